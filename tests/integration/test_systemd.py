#!/usr/bin/env python3
"""systemd integration: the units checked by systemd's own tools, and the
daemon's side of socket activation and sd_notify driven exactly as systemd
drives them (sockets from fd 3 with LISTEN_FDS/LISTEN_PID, state datagrams
on NOTIFY_SOCKET)."""
import fcntl
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import provider

BUILD = os.environ.get("TOP_BUILDDIR", os.path.dirname(harness.AUTOCONFD))
UNITS = ("autoconfd.service", "autoconfd.socket", "autoconfd-reload.path",
         "autoconfd-reload.service")
MAX_EXPOSURE = 1.5


def analyze(test):
    return harness.need(test, "systemd-analyze", "systemd")


class Units(unittest.TestCase):
    """The units as installed, and as systemd-analyze judges them."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-units-")
        self.addCleanup(self.tmp.cleanup)

    def instantiate(self):
        """The templates with this build's daemon and a scratch sysconfdir,
        so verify finds every executable it names."""
        for u in UNITS:
            with open(os.path.join(harness.TOP, "systemd", u + ".in")) as f:
                text = f.read()
            text = text.replace("@sbindir@", os.path.dirname(harness.AUTOCONFD))
            text = text.replace("@sysconfdir@", self.tmp.name)
            self.assertNotRegex(text, r"@\w+@")
            with open(os.path.join(self.tmp.name, u), "w") as f:
                f.write(text)
        return [os.path.join(self.tmp.name, u) for u in UNITS]

    def test_generated_units_use_configured_paths(self):
        with open(os.path.join(BUILD, "Makefile")) as f:
            mk = f.read()
        sbindir = re.search(r"^sbindir = (.*)$", mk, re.M).group(1)
        self.assertNotIn("@", sbindir)
        with open(os.path.join(BUILD, "systemd", "autoconfd.service")) as f:
            svc = f.read()
        self.assertNotRegex(svc, r"@\w+@")
        start = re.search(r"^ExecStart=(\S+) -c (\S+)$", svc, re.M)
        self.assertIsNotNone(start, svc)
        self.assertTrue(start.group(1).endswith("/sbin/autoconfd"), start.group(1))
        self.assertFalse("${" in start.group(1) or "$(" in start.group(1))
        self.assertTrue(start.group(2).endswith("/autoconfd.json"))
        self.assertRegex(svc, r"(?m)^ExecStartPre=%s -t -q -c %s$"
                         % (re.escape(start.group(1)), re.escape(start.group(2))))
        self.assertTrue(os.path.exists(os.path.join(BUILD, "systemd", "autoconfd.socket")))

    def test_service_settings(self):
        with open(os.path.join(harness.TOP, "systemd", "autoconfd.service.in")) as f:
            svc = f.read()
        for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID",
                     "DynamicUser=yes", "CapabilityBoundingSet=",
                     "ProtectSystem=strict", "MemoryDenyWriteExecute=yes",
                     "NoNewPrivileges=yes", "UMask=0077",
                     "Documentation=man:autoconfd(8) man:autoconfd.json(5)",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"):
            self.assertRegex(svc, r"(?m)^%s$" % re.escape(line))

    def test_reload_path_unit(self):
        """The .path unit watches the config and the conf.d/ beside it and
        starts the oneshot that reloads a running autoconfd."""
        units = {}
        for u in UNITS[2:]:
            with open(os.path.join(harness.TOP, "systemd", u + ".in")) as f:
                units[u] = f.read()
        path = units["autoconfd-reload.path"]
        self.assertEqual(re.findall(r"(?m)^PathChanged=(.*)$", path),
                         ["@sysconfdir@/autoconfd/autoconfd.json",
                          "@sysconfdir@/autoconfd/conf.d"])
        self.assertRegex(path, r"(?m)^Unit=autoconfd-reload\.service$")
        self.assertRegex(path, r"(?m)^WantedBy=paths\.target$")
        svc = units["autoconfd-reload.service"]
        self.assertRegex(svc, r"(?m)^Type=oneshot$")
        self.assertRegex(svc, r"(?m)^ExecStart=/bin/systemctl try-reload-or-restart "
                         r"autoconfd\.service$")
        with open(os.path.join(BUILD, "systemd", "autoconfd-reload.path")) as f:
            self.assertNotRegex(f.read(), r"@\w+@")

    def test_verify(self):
        analyze(self)
        paths = self.instantiate()
        r = subprocess.run([analyze(self), "verify", "--man=no"] + paths,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("autoconfd.s", r.stdout + r.stderr)

    def test_verify_catches_mistakes(self):
        """The check is real: a typo in the unit fails it."""
        analyze(self)
        paths = self.instantiate()
        with open(paths[0]) as f:
            text = f.read()
        with open(paths[0], "w") as f:
            f.write(text.replace("ExecStart=", "ExecStart=/nonexistent/").replace(
                "ExecStart=/nonexistent//", "ExecStart=/nonexistent/"))
        r = subprocess.run([analyze(self), "verify", "--man=no"] + paths,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_security_exposure(self):
        analyze(self)
        paths = self.instantiate()
        r = subprocess.run([analyze(self), "security", "--offline=true", "--no-pager",
                            paths[0]], capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for autoconfd\.service: ([\d.]+)",
                      r.stdout + r.stderr)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, r.stdout)
        # The few points left are what a network server must keep: it
        # needs the network, and ProtectClock= leaves /dev/rtc readable.
        allowed = ("RootDirectory=", "PrivateNetwork=", "IPAddressDeny=",
                   "RestrictAddressFamilies=~AF_UNIX",
                   "RestrictAddressFamilies=~AF_(INET|INET6)", "DeviceAllow=")
        for l in r.stdout.splitlines():
            if l.startswith("\u2717 "):
                self.assertTrue(l[2:].startswith(allowed), l)


class Activation(unittest.TestCase):
    """Socket activation and sd_notify, as systemd does them."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-sd-")
        self.addCleanup(self.tmp.cleanup)
        self.conf = os.path.join(self.tmp.name, "autoconfd.json")
        # Held bound and not listening: no one else takes the port, and a
        # connection to it is refused unless the daemon listened there.
        unused = harness.reserve_port()
        self.addCleanup(unused.close)
        self.unused_port = unused.getsockname()[1]
        self.write({"listen": ["127.0.0.1:%d" % self.unused_port],
                    "providers": [provider()]})
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = os.path.join(self.tmp.name, "notify")
        self.notify.bind(self.notify_path)
        self.addCleanup(self.notify.close)
        self.proc = None
        self.held = []

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc is not None:
            self.proc.stderr.close()
        for s in self.held:
            s.close()

    def write(self, cfg):
        with open(self.conf + ".tmp", "w") as f:
            f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))
        os.replace(self.conf + ".tmp", self.conf)

    def listener(self, family=socket.AF_INET, host="127.0.0.1",
                 kind=socket.SOCK_STREAM):
        s = socket.socket(family, kind)
        s.bind((host, 0))
        if kind == socket.SOCK_STREAM:
            s.listen(16)
        self.held.append(s)
        return s

    def start(self, socks, listen_pid_self=True, notify_path=None, extra=()):
        """Starts autoconfd with socks as fds 3, 4, ... as systemd would."""
        high = []
        for s in socks:
            fd = fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 10)  # clear of 3..9
            high.append(fd)
            self.addCleanup(os.close, fd)
        # A tiny exec wrapper, as systemd does it: the sockets become fds
        # 3, 4, ... and LISTEN_PID is the pid that then runs autoconfd.
        wrapper = ("import os, sys\n"
                   "fds = [int(x) for x in sys.argv[1].split(',')]\n"
                   "for i, fd in enumerate(fds):\n"
                   "    os.dup2(fd, 3 + i)\n"
                   "for fd in fds:\n"
                   "    os.close(fd)\n"
                   "os.environ['LISTEN_PID'] = %s\n"
                   "os.environ['LISTEN_FDS'] = str(len(fds))\n"
                   "os.execv(sys.argv[2], sys.argv[2:])\n"
                   % ("str(os.getpid())" if listen_pid_self else "'1'"))
        env = dict(os.environ, NOTIFY_SOCKET=notify_path or self.notify_path)
        env.pop("LISTEN_PID", None)
        env.pop("LISTEN_FDS", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", wrapper, ",".join(map(str, high)),
             harness.AUTOCONFD, "-c", self.conf] + list(extra),
            pass_fds=high, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self.proc

    def messages(self, until, timeout=10.0):
        """Datagrams until one holds the line `until`; returns them all."""
        got = []
        self.notify.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.notify.recv(4096).decode()
            except socket.timeout:
                break
            got.append(dict(l.split("=", 1) for l in data.split("\n")))
            if until in data.split("\n"):
                return got
        self.fail("no %r from the daemon; got %r; log: %s" % (
            until, got, self.proc.stderr.read1(65536) if self.proc.poll() is not None else ""))

    def get(self, family, addr, path="/healthz"):
        c = http.client.HTTPConnection(addr[0], addr[1], timeout=5)
        try:
            c.request("GET", path, headers={"Host": "autoconfig.example.com"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def test_passed_sockets_ready_reload_stop(self):
        s4 = self.listener()
        socks = [s4]
        if socket.has_ipv6:
            try:
                socks.append(self.listener(socket.AF_INET6, "::1"))
            except OSError:
                pass
        self.start(socks)
        ready = self.messages("READY=1")
        self.assertEqual(ready[-1]["READY"], "1")
        self.assertEqual(ready[-1]["STATUS"],
                         "serving 1 providers, config generation 1")
        for s in socks:
            addr = s.getsockname()[:2]
            self.assertEqual(self.get(s.family, addr), (200, b"ok\n"))
            st, body = self.get(s.family, addr, "/mail/config-v1.1.xml")
            self.assertEqual(st, 200)
        # The config's "listen" is not used when sockets are passed.
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.unused_port), timeout=5).close()

        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        self.proc.send_signal(signal.SIGHUP)
        msgs = self.messages("READY=1")
        self.assertEqual(msgs[0]["RELOADING"], "1")
        usec = int(msgs[0]["MONOTONIC_USEC"])
        self.assertGreaterEqual(usec, int(before * 1e6))
        self.assertLessEqual(usec, int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6))
        self.assertEqual(msgs[-1]["STATUS"], "serving 1 providers, config generation 2")

        self.write("{ broken")
        self.proc.send_signal(signal.SIGHUP)
        msgs = self.messages("READY=1")
        self.assertEqual(msgs[0]["RELOADING"], "1")
        self.assertEqual(msgs[-1]["STATUS"], "reload failed; serving config generation 2")
        self.assertEqual(self.get(s4.family, s4.getsockname()), (200, b"ok\n"))

        self.proc.send_signal(signal.SIGTERM)
        msgs = self.messages("STOPPING=1")
        self.assertEqual(msgs[-1]["STATUS"], "finishing requests")
        self.assertEqual(self.proc.wait(15), 0)

    def test_passed_socket_outlives_a_stop(self):
        # systemd keeps the socket across restarts: stopping must leave it
        # listening, with what arrives meanwhile queued for the next start.
        s4 = self.listener()
        addr = s4.getsockname()
        self.start([s4])
        self.messages("READY=1")
        self.assertEqual(self.get(s4.family, addr), (200, b"ok\n"))
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(15), 0)
        self.proc.stderr.close()
        waiting = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
        waiting.request("GET", "/healthz",
                        headers={"Host": "autoconfig.example.com"})
        self.start([s4])
        self.messages("READY=1")
        r = waiting.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"ok\n"))
        waiting.close()
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(15), 0)

    def test_abstract_notify_socket(self):
        self.notify.close()
        name = "autoconfd-test-%d" % os.getpid()
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind("\0" + name)
        self.addCleanup(self.notify.close)
        s = self.listener()
        self.start([s], notify_path="@" + name)
        self.assertEqual(self.messages("READY=1")[-1]["READY"], "1")
        self.assertEqual(self.get(s.family, s.getsockname()), (200, b"ok\n"))

    def test_listen_pid_of_another_process_is_ignored(self):
        s = self.listener()
        self.start([s], listen_pid_self=False, extra=["-l", "127.0.0.1:0"])
        self.messages("READY=1")
        # Logged before READY=1: in the pipe already.
        os.set_blocking(self.proc.stderr.fileno(), False)
        log = (self.proc.stderr.read() or b"").decode()
        ports = [int(m.group(2)) for m in map(harness.LISTENING.search, log.splitlines()) if m]
        self.assertEqual(len(ports), 1, log)
        port = ports[0]
        self.assertNotEqual(port, s.getsockname()[1])
        self.assertEqual(self.get(socket.AF_INET, ("127.0.0.1", port)), (200, b"ok\n"))

    def test_passed_udp_socket_is_refused(self):
        s = self.listener(kind=socket.SOCK_DGRAM)
        self.start([s])
        self.assertEqual(self.proc.wait(15), 1)
        err = self.proc.stderr.read().decode()
        self.assertIn("passed descriptor 3 is not a listening TCP socket", err)

    def test_passed_socket_on_a_tls_port_speaks_tls(self):
        plain, secure = self.listener(), self.listener()
        cert, key, der = harness.make_cert(self.tmp.name, "a", ["autoconfig.example.com"])
        self.write({"tls": {"certificate": cert, "key": key,
                            "ports": [secure.getsockname()[1]]},
                    "providers": [provider()]})
        self.start([plain, secure])
        self.messages("READY=1")
        self.assertEqual(self.get(plain.family, plain.getsockname()), (200, b"ok\n"))
        ctx = ssl.create_default_context(cafile=cert)
        with socket.create_connection(secure.getsockname()[:2], timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="autoconfig.example.com") as tls:
                self.assertEqual(tls.getpeercert(binary_form=True), der)
                tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(tls.recv(100).startswith(b"HTTP/1.1 200 "))

    def test_no_notify_socket_is_fine(self):
        s = self.listener()
        self.start([s], notify_path="")
        deadline = time.monotonic() + 10
        while True:
            try:
                self.assertEqual(self.get(s.family, s.getsockname()), (200, b"ok\n"))
                break
            except (ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


if __name__ == "__main__":
    harness.main()
