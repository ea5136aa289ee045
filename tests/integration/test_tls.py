#!/usr/bin/env python3
"""Direct HTTPS: certificates made by openssl here, keep-alive over TLS,
and a SIGHUP that gives new connections a new certificate."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import Daemon, provider



class Conn(http.client.HTTPSConnection):
    """HTTPS to a loopback port, verifying the certificate for a name."""

    def __init__(self, port, ctx, name):
        super().__init__("127.0.0.1", port, timeout=10, context=ctx)
        self.name = name

    def connect(self):
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.name)


def make_cert(d, name, cn):
    return harness.make_cert(d, name, [cn])


class DirectHttps(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-tls-")
        self.addCleanup(self.tmp.cleanup)
        self.a = make_cert(self.tmp.name, "a", "autoconfig.example.com")
        self.b = make_cert(self.tmp.name, "b", "autoconfig.example.com")
        # The daemon reads these two paths; tests swap what is in them.
        self.cert = os.path.join(self.tmp.name, "live.crt")
        self.key = os.path.join(self.tmp.name, "live.key")
        self.install(self.a)

    def install(self, ck):
        shutil.copy(ck[0], self.cert)
        shutil.copy(ck[1], self.key)

    def config(self, **tls):
        t = {"certificate": self.cert, "key": self.key, "ports": [self.tls_port]}
        t.update(tls)
        return {"tls": t, "providers": [provider()]}

    def daemon(self):
        """Started: the config names the TLS port, so it is picked before
        the start, and picked again should another process take it."""
        def make():
            self.tls_port = harness.free_port()
            return Daemon(self.config(), listen=["127.0.0.1:%d" % self.tls_port,
                                                 "127.0.0.1:0"])
        d = harness.start_retrying(make)
        self.plain_port = d.port
        return d

    def ctx(self):
        ctx = ssl.create_default_context()
        ctx.load_verify_locations(self.a[0])
        ctx.load_verify_locations(self.b[0])
        return ctx

    def conn(self):
        c = Conn(self.tls_port, self.ctx(), "autoconfig.example.com")
        self.addCleanup(c.close)
        return c

    def get(self, c, path="/mail/config-v1.1.xml"):
        c.request("GET", path, headers={"Host": "autoconfig.example.com"})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()

    def served_cert(self, c):
        return c.sock.getpeercert(binary_form=True)

    def test_https_and_plain_side_by_side(self):
        with self.daemon() as d:
            self.assertIn("listening on 127.0.0.1:%d (TLS)" % self.tls_port, d.log())
            c = self.conn()
            st, ct, body = self.get(c)
            self.assertEqual((st, ct), (200, "text/xml; charset=utf-8"))
            self.assertIn(b"<hostname>imap.example.com</hostname>", body)
            self.assertEqual(self.served_cert(c), self.a[2])
            self.assertIn(c.sock.version(), ("TLSv1.2", "TLSv1.3"))
            p = http.client.HTTPConnection("127.0.0.1", self.plain_port, timeout=10)
            self.addCleanup(p.close)
            self.assertEqual(self.get(p)[2], body)

    def test_keep_alive_over_tls(self):
        with self.daemon() as d:
            c = self.conn()
            self.get(c)
            sock = c.sock
            for path in ("/healthz", "/mail/config-v1.1.xml", "/metrics"):
                st, _, body = self.get(c, path)
                self.assertEqual(st, 200)
                self.assertIs(c.sock, sock, "connection was not kept alive")
            self.assertIn(b"autoconfd_open_connections 1\n", body)

    def test_reload_serves_new_certificate(self):
        with self.daemon() as d:
            old = self.conn()
            self.get(old)
            self.assertEqual(self.served_cert(old), self.a[2])
            self.install(self.b)
            d.reload(expect="generation 2")
            new = self.conn()
            self.assertEqual(self.get(new)[0], 200)
            self.assertEqual(self.served_cert(new), self.b[2])
            # The connection made before the reload goes on as it was.
            self.assertEqual(self.get(old)[0], 200)
            self.assertEqual(self.served_cert(old), self.a[2])

    def test_bad_certificate_on_reload_keeps_the_old(self):
        with self.daemon() as d:
            with open(self.key, "w") as f:
                f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            d.reload(expect="previous config keeps serving")
            self.assertIn("tls.key: %s: " % self.key, d.log())
            c = self.conn()
            self.assertEqual(self.get(c)[0], 200)
            self.assertEqual(self.served_cert(c), self.a[2])

    def test_tls_removed_on_reload_warns_and_stays(self):
        with self.daemon() as d:
            d.reload({"providers": [provider()]}, expect="generation 2")
            i = d.wait_log('"tls" removed: takes effect at the next restart')
            self.assertTrue(d.lines[i].startswith("autoconfd: warning: "), d.lines[i])
            # Until then the TLS port speaks TLS, with the certificate it had.
            c = self.conn()
            self.assertEqual(self.get(c, "/healthz")[:1], (200,))
            self.assertEqual(self.served_cert(c), self.a[2])

    def test_tls_added_on_reload_warns_and_waits(self):
        with Daemon({"providers": [provider()]}) as d:
            self.tls_port = d.port      # the plain port, named a TLS port
            d.reload(self.config(), expect="generation 2")
            i = d.wait_log('"tls" added: takes effect at the next restart')
            self.assertTrue(d.lines[i].startswith("autoconfd: warning: "), d.lines[i])
            # Until then the port goes on speaking plain HTTP.
            self.assertTrue(d.alive())
            st, _, body = d.get("/mail/config-v1.1.xml", host="autoconfig.example.com")
            self.assertEqual(st, 200)

    def test_plain_http_on_tls_port_gets_no_answer(self):
        with self.daemon() as d:
            s = socket.create_connection(("127.0.0.1", self.tls_port), timeout=5)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    data = s.recv(100)
                except ConnectionResetError:
                    data = b""
                self.assertNotIn(b"HTTP/1.1 200", data)
            finally:
                s.close()
            self.assertEqual(self.get(self.conn(), "/healthz")[0], 200)


    def handshake(self, ctx, session=None):
        raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="autoconfig.example.com", session=session)
        # TLS 1.3 tickets come after the handshake: read an answer.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: autoconfig.example.com\r\n\r\n")
        data = b""
        while b"\r\n\r\nok\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        return s

    def test_sessions_resume(self):
        # Session tickets (TLS 1.2, RFC 5077) and PSK (TLS 1.3): a
        # client's second connection skips the certificate and key
        # exchange. Also after a reload, which keeps the ticket key.
        with self.daemon() as d:
            for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
                with self.subTest(version=version):
                    ctx = self.ctx()
                    ctx.minimum_version = ctx.maximum_version = version
                    first = self.handshake(ctx)
                    session = first.session
                    first.close()
                    self.assertIsNotNone(session)
                    self.assertTrue(session.has_ticket)
                    again = self.handshake(ctx, session)
                    self.assertTrue(again.session_reused)
                    again.close()
                    d.reload(expect="loaded")
                    after = self.handshake(ctx, session)
                    self.assertTrue(after.session_reused)
                    after.close()

    def test_old_versions_refused(self):
        with self.daemon():
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with self.subTest(version=version):
                    ctx = self.ctx()
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                    ctx.minimum_version = ctx.maximum_version = version
                    with self.assertRaises(ssl.SSLError) as e:
                        self.handshake(ctx)
                    # The server's refusal (an alert, or libmicrohttpd
                    # closing at once), not the client's.
                    self.assertRegex(str(e.exception),
                                     "ALERT_PROTOCOL_VERSION|UNEXPECTED_EOF_WHILE_READING")
            self.handshake(self.ctx()).close()

    def test_client_that_never_handshakes(self):
        def make():
            self.tls_port = harness.free_port()
            cfg = self.config()
            cfg["limits"] = {"request_timeout": 2, "timeout": 30}
            return Daemon(cfg, listen=["127.0.0.1:%d" % self.tls_port])
        with harness.start_retrying(make):
            idle = [socket.create_connection(("127.0.0.1", self.tls_port), timeout=10)
                    for _ in range(20)]
            try:
                # Others are served meanwhile.
                self.handshake(self.ctx()).close()
                start = time.monotonic()
                for s in idle:
                    s.settimeout(max(0.1, 8 * harness.SLOW - (time.monotonic() - start)))
                    try:
                        self.assertEqual(s.recv(10), b"")
                    except ConnectionResetError:
                        pass
                self.assertLess(time.monotonic() - start, 6 * harness.SLOW)
            finally:
                for s in idle:
                    s.close()

    def test_handshakes_during_reloads(self):
        # The credentials a handshake picked up stay alive until its
        # connection closes, however many reloads come meanwhile.
        with self.daemon() as d:
            stop = threading.Event()
            seen, errors = set(), []

            def client():
                ctx = self.ctx()
                while not stop.is_set():
                    try:
                        s = self.handshake(ctx)
                        seen.add(s.getpeercert(binary_form=True))
                        s.close()
                    except Exception as e:   # reported below
                        errors.append(repr(e))
            threads = [threading.Thread(target=client) for _ in range(4)]
            for t in threads:
                t.start()
            try:
                for i in range(20):
                    self.install(self.b if i % 2 == 0 else self.a)
                    d.reload(expect="generation %d" % (i + 2))
                    time.sleep(0.05)
            finally:
                stop.set()
                for t in threads:
                    t.join(30)
            self.assertEqual(errors, [])
            self.assertEqual(seen, {self.a[2], self.b[2]})


class Checks(unittest.TestCase):
    """autoconfd -t judges the certificate and key, as a reload does."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-tls-")
        self.addCleanup(self.tmp.cleanup)
        self.a = make_cert(self.tmp.name, "a", "autoconfig.example.com")
        self.b = make_cert(self.tmp.name, "b", "autoconfig.example.com")

    def check(self, cert, key):
        path = os.path.join(self.tmp.name, "c.json")
        with open(path, "w") as f:
            f.write('{"tls": {"certificate": "%s", "key": "%s"}, "providers": [%s]}'
                    % (cert, key, json.dumps(provider())))
        r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path], capture_output=True,
                           text=True, timeout=30)
        return r.returncode, r.stderr, path

    def test_good(self):
        rc, err, _ = self.check(self.a[0], self.a[1])
        self.assertEqual((rc, err), (0, ""))

    def test_key_of_another_certificate(self):
        rc, err, path = self.check(self.a[0], self.b[1])
        self.assertEqual(rc, 1)
        self.assertEqual(err, "%s: tls.key: %s: does not match the certificate\n"
                         % (path, self.b[1]))

    def test_missing_files(self):
        missing = os.path.join(self.tmp.name, "none.pem")
        rc, err, path = self.check(missing, self.a[1])
        self.assertEqual(rc, 1)
        self.assertEqual(err, "%s: tls.certificate: %s: cannot read the file\n"
                         % (path, missing))
        rc, err, path = self.check(self.a[0], missing)
        self.assertEqual(err, "%s: tls.key: %s: cannot read the file\n" % (path, missing))

    def test_not_a_certificate(self):
        rc, err, path = self.check(self.a[1], self.a[1])
        self.assertEqual(rc, 1)
        self.assertTrue(err.startswith("%s: tls.certificate: %s: " % (path, self.a[1])), err)


if __name__ == "__main__":
    harness.main()
