#!/usr/bin/env python3
"""Log rotation: SIGUSR1 reopens the access log, and the shipped logrotate
file, run by the real logrotate against a daemon under load, keeps every
request's line exactly once across the rotated files."""
import gzip
import http.client
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest

import harness
from harness import Daemon, provider

LOGROTATE_IN = os.path.join(harness.TOP, "conf", "autoconfd.logrotate.in")
# The shipped postrotate command; the test signals its own daemon instead,
# as systemd would signal the service's.
POSTROTATE = "systemctl kill --kill-who=main --signal=USR1 autoconfd.service"
LOAD_THREADS = 4
ROTATIONS = 3


def config(**top):
    cfg = {"providers": [provider()]}
    cfg.update(top)
    return cfg


def lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def logged_paths(path):
    return [l.split(" ")[3] for l in lines(path)]


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


class Reopen(unittest.TestCase):

    def start(self):
        d = Daemon(config())
        d.start()
        self.addCleanup(d.dir.cleanup)
        self.addCleanup(d.stop)
        self.log = os.path.join(d.dir.name, "access.log")
        d.reload(config(access_log=self.log), expect="generation 2")
        return d

    def test_sigusr1_reopens_without_reloading(self):
        d = self.start()
        d.get("/one")
        self.assertTrue(wait_for(lambda: os.path.exists(self.log) and
                                 logged_paths(self.log) == ["/one"]))
        os.rename(self.log, self.log + ".1")
        d.get("/two")                    # still goes to the renamed file
        # A config edit that SIGUSR1 must not pick up.
        d.write_config(config(access_log=self.log, metrics=False))
        mark = len(d.lines)
        d.proc.send_signal(signal.SIGUSR1)
        d.wait_log("reopened the access log " + self.log, start=mark)
        d.get("/three")
        self.assertEqual(d.get("/metrics")[0], 200)
        self.assertTrue(wait_for(lambda: os.path.exists(self.log) and
                                 len(logged_paths(self.log)) == 2))
        # Lines of different workers may come in either order.
        self.assertEqual(sorted(logged_paths(self.log + ".1")), ["/one", "/two"])
        self.assertEqual(sorted(logged_paths(self.log)), ["/metrics", "/three"])
        self.assertFalse(any("reloading" in l for l in d.lines[mark:]))

    def test_failed_reload_reopens_too(self):
        d = self.start()
        d.get("/one")
        self.assertTrue(wait_for(lambda: os.path.exists(self.log)))
        os.rename(self.log, self.log + ".1")
        mark = len(d.lines)
        d.reload("{ broken", expect="previous config keeps serving")
        d.wait_log("reopened the access log", start=mark)
        d.get("/two")
        self.assertTrue(wait_for(lambda: os.path.exists(self.log) and
                                 logged_paths(self.log) == ["/two"]))
        self.assertEqual(logged_paths(self.log + ".1"), ["/one"])

    def test_sigusr1_without_a_log_file(self):
        with Daemon(config()) as d:
            d.proc.send_signal(signal.SIGUSR1)
            self.assertEqual(d.get("/healthz")[0], 200)
            d.proc.send_signal(signal.SIGUSR1)
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertFalse(any("reopened" in l for l in d.lines))


class Load:
    """Threads sending requests on keep-alive connections, each to a path
    of its own, until stopped: (thread, n) is request n of thread."""

    def __init__(self, d):
        self.d = d
        self.stop = threading.Event()
        self.sent = [[] for _ in range(LOAD_THREADS)]
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def run(self, t):
        c = http.client.HTTPConnection(self.d.host, self.d.port, timeout=10)
        try:
            n = 0
            while not self.stop.is_set():
                path = "/load/%d/%d" % (t, n)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                if r.status != 404:
                    self.errors.append("%s: %d" % (path, r.status))
                self.sent[t].append(path)
                n += 1
        except Exception as e:          # reported by the test
            self.errors.append("thread %d: %r" % (t, e))
        finally:
            c.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(20)

    def total(self):
        return sum(len(s) for s in self.sent)


class Logrotate(unittest.TestCase):

    def setUp(self):
        self.logrotate = harness.need(self, "logrotate", "logrotate",
                                      found=shutil.which("logrotate") or
                                      shutil.which("/usr/sbin/logrotate"))

    def rotate_config(self, tmp, logdir, pid):
        """The shipped file for this daemon: its log directory and its
        pid in place of the service's."""
        with open(LOGROTATE_IN) as f:
            text = f.read()
        self.assertIn(POSTROTATE, text)
        self.assertRegex(text, r"(?m)^@localstatedir@/log/autoconfd/\*\.log \{$")
        for word in ("delaycompress", "nocreate", "missingok", "sharedscripts"):
            self.assertRegex(text, r"(?m)^\s+%s$" % word)
        text = text.replace("@localstatedir@/log/autoconfd", logdir)
        text = re.sub(re.escape(POSTROTATE) + ".*", "kill -USR1 %d" % pid, text)
        self.assertNotRegex(text, r"(?m)^[^#]*@\w+@")
        path = os.path.join(tmp, "logrotate.conf")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def test_rotation_under_load_keeps_every_line_once(self):
        d = Daemon(config())
        d.start()
        self.addCleanup(d.dir.cleanup)
        self.addCleanup(d.stop)
        logdir = os.path.join(d.dir.name, "log")
        os.mkdir(logdir, 0o750)
        log = os.path.join(logdir, "access.log")
        d.reload(config(access_log=log), expect="generation 2")
        conf = self.rotate_config(d.dir.name, logdir, d.proc.pid)
        state = os.path.join(d.dir.name, "logrotate.state")
        counts = []
        with Load(d) as load:
            for _ in range(ROTATIONS):
                # Traffic into the file about to be rotated, and in the
                # daemon's buffers at the moment of the rename.
                start = load.total()
                self.assertTrue(wait_for(lambda: load.total() > start + 300 and
                                         os.path.exists(log) and
                                         os.path.getsize(log) > 0, 20), load.errors)
                mark = len(d.lines)
                r = subprocess.run([self.logrotate, "-f", "-s", state, conf],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
                d.wait_log("reopened the access log " + log, start=mark)
                counts.append(load.total())
            start = load.total()
            self.assertTrue(wait_for(lambda: load.total() > start + 300, 20), load.errors)
        self.assertEqual(load.errors, [])
        # A stop writes out what the workers still buffer.
        self.assertEqual(d.stop(), 0)

        files = sorted(os.listdir(logdir))
        self.assertEqual(files, ["access.log", "access.log.1", "access.log.2.gz",
                                 "access.log.3.gz"])
        seen = {}
        for name in files:
            paths = logged_paths(os.path.join(logdir, name))
            self.assertGreater(len(paths), 0, name)
            for p in paths:
                seen[p] = seen.get(p, 0) + 1
        sent = [p for s in load.sent for p in s]
        self.assertGreater(len(sent), 4 * 300)
        self.assertEqual(sorted(p for p, n in seen.items() if n > 1), [], "logged twice")
        self.assertEqual(sorted(set(sent) - set(seen)), [], "never logged")
        self.assertEqual(sorted(set(seen) - set(sent)), [], "logged but not sent")
        self.assertEqual(len(sent), sum(seen.values()))


if __name__ == "__main__":
    harness.main()
