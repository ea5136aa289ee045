"""Test harness: runs the real autoconfd on a free loopback port.

Every integration test starts the built daemon (path in $AUTOCONFD) with a
config written to a temporary directory, talks HTTP to it over 127.0.0.1,
and stops it. Nothing here leaves loopback; every wait is bounded.
"""
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR", os.path.dirname(os.path.dirname(HERE)))
AUTOCONFD = os.environ.get("AUTOCONFD", os.path.join(TOP, "autoconfd"))
FIXTURES = os.path.join(TOP, "tests", "fixtures")
# A command the daemon runs under, e.g. "valgrind --error-exitcode=99"
# (tests/valgrind.sh); slow wrappers need longer start and stop waits.
WRAPPER = shlex.split(os.environ.get("AUTOCONFD_WRAPPER", ""))
SLOW = 10.0 if WRAPPER else 1.0
START_TIMEOUT = 10.0 * SLOW
# What ASan, LSan, UBSan and valgrind print when they find something.
SANITIZER_REPORT = re.compile(
    r"ERROR: \w*Sanitizer|runtime error:|SUMMARY: \w*Sanitizer|"
    r"==\d+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|"
    r"Mismatched free|Invalid free|\d+ bytes in \d+ blocks are (definitely|indirectly))|"
    r"ERROR SUMMARY: [1-9]")


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def provider(pid="example.com", domains=None, servers=None, **extra):
    """A small valid provider; keyword arguments add or replace keys."""
    p = {
        "id": pid,
        "name": "Example Mail",
        "short_name": "Example",
        "domains": domains or [pid],
        "servers": servers or [
            {"protocol": "imap", "host": "imap." + pid, "port": 993, "security": "ssl"},
            {"protocol": "smtp", "host": "smtp." + pid, "port": 587, "security": "starttls"},
        ],
    }
    p.update(extra)
    return p


def make_cert(directory, name, names, days=90):
    """A self-signed EC certificate for names (the first is the CN), made
    by openssl: (certificate path, key path, certificate DER). Under 14
    days left makes it a warning of autoconfd -t."""
    import ssl
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", str(days), "-subj", "/CN=" + names[0],
                    "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in names)],
                   check=True, capture_output=True, timeout=60)
    with open(cert) as f:
        return cert, key, ssl.PEM_cert_to_DER_cert(f.read())


class Daemon:
    """One autoconfd process. Use as a context manager."""

    def __init__(self, config, args=(), listen=None, env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="autoconfd-test-")
        self.path = os.path.join(self.dir.name, "autoconfd.json")
        self.write_config(config)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.listen = listen or ["127.0.0.1:%d" % self.port]
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.stopped = False
        self.lines = []
        self.cond = threading.Condition()

    def write_config(self, config):
        text = config if isinstance(config, str) else json.dumps(config, indent=2)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    def _reader(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def start(self):
        cmd = WRAPPER + [AUTOCONFD, "-c", self.path]
        for l in self.listen:
            cmd += ["-l", l]
        cmd += self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env)
        self.reader = threading.Thread(target=self._reader, daemon=True)
        self.reader.start()
        self.wait_log("ready", START_TIMEOUT)
        return self

    def wait_log(self, needle, timeout=5.0, start=0):
        """Waits for a log line containing needle; returns its index."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if needle in self.lines[i]:
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and \
                        not any(needle in l for l in self.lines[start:]):
                    if self.proc.poll() is not None:
                        # The daemon is gone: let the reader drain the pipe
                        # (it needs this lock, so no sleeping with it held).
                        self.cond.wait_for(lambda: not self.reader.is_alive() or any(
                            needle in l for l in self.lines[start:]), 5)
                        for i in range(start, len(self.lines)):
                            if needle in self.lines[i]:
                                return i
                    raise AssertionError("no log line %r within %.1fs; log:\n%s"
                                         % (needle, timeout, "\n".join(self.lines)))
                self.cond.wait(min(left, 0.1))

    def log(self):
        with self.cond:
            return "\n".join(self.lines)

    def reload(self, config=None, expect="loaded"):
        if config is not None:
            self.write_config(config)
        mark = len(self.lines)
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log(expect, 5.0, start=mark)

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stops the daemon; returns its exit status. Fails if it crashed
        or a sanitizer (or valgrind) reported anything on stderr."""
        if self.proc is None:
            return None
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout * SLOW)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise AssertionError("autoconfd did not exit within %.0fs"
                                         % (timeout * SLOW))
        finally:
            self.reader.join(5)
            self.proc.stderr.close()
        self.check_clean()
        return self.proc.returncode

    def check_clean(self):
        """Raises if the log holds a sanitizer report or the daemon died of
        a signal it was not sent."""
        log = self.log()
        if SANITIZER_REPORT.search(log):
            raise AssertionError("sanitizer report from autoconfd:\n" + log)
        rc = self.proc.returncode
        if rc is not None and rc < 0 and -rc not in (signal.SIGTERM, signal.SIGINT,
                                                      signal.SIGKILL):
            raise AssertionError("autoconfd died of signal %d; log:\n%s" % (-rc, log))

    def conn(self, timeout=5.0):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, host=None):
        """One request on a new connection: (status, headers dict, bytes)."""
        c = self.conn()
        try:
            hdrs = dict(headers or {})
            if host is not None:
                hdrs["Host"] = host
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, data, timeout=5.0, read=True):
        """Sends raw bytes, returns whatever comes back until close/timeout."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            s.sendall(data)
            if not read:
                return b""
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def alive(self):
        """The daemon still answers a normal request."""
        return self.proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self.dir.cleanup()


def main():
    """Runs the calling module's tests; exit status for automake."""
    if not os.access(AUTOCONFD, os.X_OK):
        print("autoconfd binary not found at %s" % AUTOCONFD)
        sys.exit(99)
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    skipped = len(r.skipped)
    passed = r.testsRun - failed - skipped
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(0 if r.wasSuccessful() else 1)
