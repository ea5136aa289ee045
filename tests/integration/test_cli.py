#!/usr/bin/env python3
"""The command line and start-up: -h, -V, -q, -v, unknown options and
their exit statuses; -t on listen ports; a start that cannot listen or
open its access log; an access log that cannot be written."""
import json
import os
import re
import socket
import unittest

import harness
from harness import Daemon, provider

AD = "/autodiscover/autodiscover.xml"


def config(**top):
    cfg = {"providers": [provider()]}
    cfg.update(top)
    return cfg


class Options(unittest.TestCase):
    """What each option prints, where, and the exit status."""

    def setUp(self):
        d = Daemon(config())
        self.addCleanup(d.dir.cleanup)
        self.conf = d.path

    def test_version(self):
        for opt in ("-V", "--version"):
            with self.subTest(opt=opt):
                self.assertEqual(harness.run([opt]), (0, "autoconfd 0.1.0\n", ""))

    def test_help_lists_every_option(self):
        with open(os.path.join(harness.TOP, "src", "main.c")) as f:
            longs = re.findall(r'\{\s*"([a-z-]+)",\s*(?:no|required)_argument,\s*NULL,\s*\'(.)\'',
                               f.read())
        self.assertGreater(len(longs), 5)
        for opt in ("-h", "--help"):
            with self.subTest(opt=opt):
                rc, out, err = harness.run([opt])
                self.assertEqual((rc, err), (0, ""))
                self.assertTrue(out.startswith("usage: autoconfd "), out)
                for name, short in longs:
                    self.assertRegex(out, r"(?m)^  -%s, --%s\b" % (short, name))
        # Help stops there: nothing is loaded or served.
        self.assertEqual(harness.run(["-h", "-c", "/nonexistent"])[0], 0)

    def test_unknown_options_and_arguments(self):
        for args, message in ((["-x"], "invalid option -- 'x'"),
                              (["--bogus"], "unrecognized option '--bogus'"),
                              (["-c"], "option requires an argument -- 'c'"),
                              (["-c", self.conf, "serve"], 'unexpected argument "serve"'),
                              (["-c", self.conf, "dns"], "usage: autoconfd dns DOMAIN"),
                              (["-l", "127.0.0.1:65536"],
                               "autoconfd: -l 127.0.0.1:65536: port must be 0-65535"),
                              (["-l", "127.0.0.1"],
                               "autoconfd: -l 127.0.0.1: expected ADDRESS:PORT")):
            with self.subTest(args=args):
                rc, out, err = harness.run(args)
                self.assertEqual((rc, out), (1, ""), err)
                self.assertIn(message, err)
                self.assertNotRegex(err, r"(?m) ready$")

    def test_check_refuses_listen_ports_out_of_range(self):
        """-t judges "listen" as a start would: port 0 (a port nobody
        chose) and 65536 are errors, 1 and 65535 fine."""
        d = Daemon(config())
        self.addCleanup(d.dir.cleanup)
        for port, ok in ((0, False), (65536, False), (99999, False), (1, True),
                         (65535, True)):
            with self.subTest(port=port):
                d.write_config(json.dumps({"listen": ["127.0.0.1:%d" % port],
                                           "providers": [provider()]}))
                rc, out, err = harness.run(["-t", "-c", d.path])
                if ok:
                    self.assertEqual((rc, err), (0, ""))
                    self.assertEqual(out, "%s: OK: 1 provider, 1 domain, 0 warnings\n"
                                     % d.path)
                else:
                    self.assertEqual((rc, out), (1, ""))
                    self.assertEqual(err, '%s:1:13: listen[0]: "127.0.0.1:%d": port must '
                                     'be 1-65535\n' % (d.path, port))


class LogLevels(unittest.TestCase):

    def quiet_daemon(self, *args):
        """With -q there is no "listening on" line to read a port from: the
        config names one, picked again if it was taken meanwhile."""
        def make():
            port = harness.free_port()
            return Daemon(config(listen=["127.0.0.1:%d" % port]), args=args,
                          listen=[], ready=None, port=port)
        return harness.start_retrying(make)

    def test_quiet_logs_warnings_only(self):
        d = self.quiet_daemon("-q")
        with d:
            self.assertEqual(d.get("/healthz")[0], 200)
            d.reload(config(listen=["127.0.0.1:%d" % d.port], limits={"connections": 10}),
                     expect='changed "limits" take effect at the next restart')
            d.reload("{ broken", expect="previous config keeps serving")
            self.assertEqual(d.stop(), 0)
        log = d.log()
        # Errors and warnings, no information.
        self.assertIn("autoconfd.json:1:8: string or", log)
        for info in ("loaded", "listening on", "ready", "reloading", "signal 15", "stopped"):
            self.assertNotIn(info, log)

    def test_default_and_verbose(self):
        bad = b"<Autodiscover><Request/></Autodiscover>"
        with Daemon(config()) as d:
            self.assertEqual(d.request("POST", AD, body=bad)[0], 200)
            self.assertTrue(d.alive())
            self.assertEqual(d.stop(), 0)
            self.assertIn("autoconfd: stopped", d.log())
            self.assertNotIn("invalid request", d.log())
        with Daemon(config(), args=["-v"]) as d:
            self.assertEqual(d.request("POST", AD, body=bad)[0], 200)
            d.wait_log("autoconfd: debug: autodiscover: invalid request: ")


class Startup(unittest.TestCase):
    """A start that cannot happen says why and exits 1, serving nothing."""

    def run_daemon(self, cfg, *args):
        d = Daemon(cfg)
        self.addCleanup(d.dir.cleanup)
        rc, out, err = harness.run(["-c", d.path] + list(args), timeout=30)
        self.assertNotRegex(err, r"(?m) ready$")
        return rc, err, d

    def taken_port(self):
        """A port another process listens on."""
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        return taken.getsockname()[1]

    def test_port_in_use(self):
        port = self.taken_port()
        rc, err, _ = self.run_daemon(config(), "-l", "127.0.0.1:0", "-l", "127.0.0.1:%d" % port)
        self.assertEqual(rc, 1, err)
        self.assertIn("autoconfd: warning: cannot listen on 127.0.0.1:%d: Address already in use\n"
                      % port, err)
        self.assertTrue(err.endswith("autoconfd: fatal: cannot listen\n"), err)

    def test_port_in_use_from_config(self):
        port = self.taken_port()
        rc, err, _ = self.run_daemon(config(listen=["127.0.0.1:%d" % port]))
        self.assertEqual(rc, 1, err)
        self.assertIn("127.0.0.1:%d: Address already in use" % port, err)

    def test_access_log_cannot_be_opened(self):
        d = Daemon(config())
        self.addCleanup(d.dir.cleanup)
        path = os.path.join(d.dir.name, "no-such-dir", "access.log")
        d.write_config(config(access_log=path))
        rc, out, err = harness.run(["-c", d.path, "-l", "127.0.0.1:0"])
        self.assertEqual(rc, 1, err)
        self.assertIn("autoconfd: warning: access log %s: No such file or directory\n" % path, err)
        self.assertTrue(err.endswith("autoconfd: fatal: cannot open the access log\n"), err)
        self.assertNotIn("listening on", err)

    def test_config_missing(self):
        rc, out, err = harness.run(["-c", "/nonexistent/autoconfd.json", "-l", "127.0.0.1:0"])
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("/nonexistent/autoconfd.json", err)
        self.assertTrue(err.endswith("config not loaded\n"), err)


class AccessLogWriteError(unittest.TestCase):

    def test_full_disk_is_reported_once_and_answers_go_on(self):
        """/dev/full opens and then fails every write (ENOSPC), as a full
        disk does: the answers go on, the admin hears of it once."""
        with Daemon(config(access_log="/dev/full")) as d:
            for i in range(3):
                st, _, body = d.get("/healthz")
                self.assertEqual((st, body), (200, b"ok\n"))
                # Lines are written out four times a second.
                d.wait_log("access log: cannot write: No space left on device; "
                           "lines are lost until it can")
            st, _, _ = d.get("/mail/config-v1.1.xml?emailaddress=a@example.com")
            self.assertEqual(st, 200)
            self.assertEqual(d.log().count("access log: cannot write"), 1, d.log())
            # A log that works again is said to.
            log = os.path.join(d.dir.name, "access.log")
            d.reload(config(access_log=log), expect="generation 2")
            d.get("/healthz")
            d.wait_log("access log: written again")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
