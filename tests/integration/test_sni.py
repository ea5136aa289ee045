#!/usr/bin/env python3
"""Certificates chosen by the client's SNI: tls.certificates, certbot's
live/ directory (tls.certificate_dir) and the default; reloads that keep
open connections; expiry warnings and the expiry metric. Real
certificates made by openssl, real TLS handshakes."""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

import harness
from harness import Daemon, provider

def not_after(pem):
    """The certificate's notAfter, seconds since the epoch (openssl's
    reading, not autoconfd's)."""
    r = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", pem],
                       capture_output=True, text=True, timeout=30, check=True)
    return int(ssl.cert_time_to_seconds(r.stdout.strip().split("=", 1)[1]))


def certbot_layout(live, name, cert, version=1):
    """live/NAME/{fullchain,privkey}.pem as certbot leaves them: links to
    archive/NAME/*N.pem."""
    archive = os.path.join(os.path.dirname(live), "archive", name)
    os.makedirs(archive, exist_ok=True)
    os.makedirs(os.path.join(live, name), exist_ok=True)
    for src, base in ((cert[0], "fullchain"), (cert[1], "privkey")):
        target = os.path.join(archive, "%s%d.pem" % (base, version))
        shutil.copy(src, target)
        link = os.path.join(live, name, base + ".pem")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.relpath(target, os.path.join(live, name)), link)


class Conn(http.client.HTTPSConnection):
    """HTTPS to the loopback port with SNI name, the chain not checked
    (the tests compare the certificate itself)."""

    def __init__(self, port, name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        super().__init__("127.0.0.1", port, timeout=10, context=ctx)
        self.name = name

    def connect(self):
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.name)


class Sni(unittest.TestCase):

    def setUp(self):
        harness.need(self, "openssl", "openssl")
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-sni-")
        self.addCleanup(self.tmp.cleanup)
        t = self.tmp.name
        mk = harness.make_cert
        self.dflt = mk(t, "default", ["autoconfig.example.com"])
        self.a = mk(t, "a", ["autoconfig.a.example", "mta-sts.a.example"])
        self.w = mk(t, "w", ["*.w.example"])
        self.b = mk(t, "b", ["autoconfig.b.example", "autodiscover.b.example"])
        self.b2 = mk(t, "b2", ["autoconfig.b.example", "autodiscover.b.example"])
        self.live = os.path.join(t, "letsencrypt", "live")
        os.makedirs(self.live)
        with open(os.path.join(self.live, "README"), "w") as f:
            f.write("certbot's own README\n")
        certbot_layout(self.live, "autoconfig.b.example", self.b)

    def config(self, **tls):
        t = {"certificate": self.dflt[0], "key": self.dflt[1], "ports": [443],
             "certificates": [{"certificate": self.a[0], "key": self.a[1]},
                              {"certificate": self.w[0], "key": self.w[1]}],
             "certificate_dir": self.live}
        t.update(tls)
        return {"tls": t, "providers": [provider()]}

    def daemon(self, config=None):
        """Started: the config names the TLS port, so it is picked before
        the start, and picked again should another process take it."""
        def make():
            self.tls_port = harness.free_port()
            cfg = json.loads(json.dumps(config or self.config()))
            cfg["tls"]["ports"] = [self.tls_port]
            return Daemon(cfg, listen=["127.0.0.1:%d" % self.tls_port,
                                       "127.0.0.1:0"])
        return harness.start_retrying(make)

    def served(self, name):
        """The DER certificate a handshake with SNI name (None: no SNI)
        gets, and the answer to a request on that connection."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=10)
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return s.getpeercert(binary_form=True), data

    def test_choice_by_name(self):
        with self.daemon():
            for name, want in (("autoconfig.a.example", self.a),
                               ("MTA-STS.A.Example", self.a),
                               ("autoconfig.w.example", self.w),
                               ("mta-sts.w.example", self.w),
                               ("autodiscover.b.example", self.b),
                               ("autoconfig.example.com", self.dflt),
                               ("a.b.w.example", self.dflt),
                               ("w.example", self.dflt),
                               ("unknown.example", self.dflt),
                               (None, self.dflt)):
                der, data = self.served(name)
                self.assertEqual(der, want[2], name)
                self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:40])

    def test_a_verifying_client(self):
        """A client that checks the chain and the name gets through."""
        with self.daemon():
            ctx = ssl.create_default_context(cafile=self.w[0])
            raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=10)
            with ctx.wrap_socket(raw, server_hostname="autoconfig.w.example") as s:
                self.assertEqual(s.getpeercert()["subjectAltName"],
                                 (("DNS", "*.w.example"),))

    def test_without_a_default(self):
        cfg = self.config()
        del cfg["tls"]["certificate"], cfg["tls"]["key"]
        with self.daemon(cfg):
            self.assertEqual(self.served("autoconfig.b.example")[0], self.b[2])
            # No name matches: the first certificate listed.
            self.assertEqual(self.served(None)[0], self.a[2])

    def test_renewal_and_reload_keep_connections(self):
        with self.daemon() as d:
            old = Conn(self.tls_port, "autoconfig.b.example")
            self.addCleanup(old.close)
            old.request("GET", "/healthz")
            self.assertEqual(old.getresponse().read(), b"ok\n")
            self.assertEqual(old.sock.getpeercert(binary_form=True), self.b[2])
            # certbot renew: archive/*2.pem, the live links moved.
            certbot_layout(self.live, "autoconfig.b.example", self.b2, version=2)
            d.reload(expect="generation 2")
            self.assertEqual(self.served("autoconfig.b.example")[0], self.b2[2])
            for _ in range(3):
                old.request("GET", "/healthz")
                self.assertEqual(old.getresponse().read(), b"ok\n")

    def test_broken_entries_of_the_directory_are_skipped(self):
        os.makedirs(os.path.join(self.live, "half.example"))
        shutil.copy(self.a[0], os.path.join(self.live, "half.example", "fullchain.pem"))
        with self.daemon() as d:
            self.assertIn("warning: tls.certificate_dir.key: %s/half.example/privkey.pem: "
                          "cannot read the file" % self.live, d.log())
            self.assertEqual(self.served("autoconfig.b.example")[0], self.b[2])

    def test_broken_pairs_are_errors(self):
        path = os.path.join(self.tmp.name, "c.json")
        for tls, msg in (
                ({"certificates": [{"certificate": self.a[0], "key": self.b[1]}]},
                 "tls.certificates[0].key: %s: does not match the certificate" % self.b[1]),
                ({"certificates": [{"certificate": self.a[0]}]},
                 'tls.certificates[0]: missing required key "key"'),
                ({"certificate_dir": self.live + "/nonexistent"},
                 "tls.certificate_dir: %s/nonexistent: No such file" % self.live),
                ({"ports": [443]}, 'tls: missing required key "certificate"'),
                ({"certificate": self.dflt[0], "certificates": []},
                 'tls: missing required key "key"')):
            with open(path, "w") as f:
                json.dump({"tls": tls, "providers": [provider()]}, f)
            r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, tls)
            self.assertIn(msg, r.stderr)

    def test_expiry_warning_and_metric(self):
        soon = harness.make_cert(self.tmp.name, "soon", ["autoconfig.soon.example"], days=5)
        cfg = self.config()
        cfg["tls"]["certificates"].append({"certificate": soon[0], "key": soon[1]})
        path = os.path.join(self.tmp.name, "c.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"warning: tls: the certificate for "
                         r"autoconfig\.soon\.example expires on \d{4}-\d\d-\d\d")
        self.assertEqual(r.stderr.count("warning"), 1, r.stderr)
        self.assertIn("1 warning\n", r.stdout)
        self.assertIn("[certificate-expiry]", r.stderr)
        with self.daemon(cfg):
            st, _, body = self.metrics()
        series = dict(re.findall(
            r'(?m)^autoconfd_tls_certificate_expiry_timestamp_seconds\{name="([^"]+)"\} (\d+)$',
            body.decode()))
        self.assertEqual(series, {
            "autoconfig.example.com": str(not_after(self.dflt[0])),
            "autoconfig.a.example": str(not_after(self.a[0])),
            "*.w.example": str(not_after(self.w[0])),
            "autoconfig.b.example": str(not_after(self.b[0])),
            "autoconfig.soon.example": str(not_after(soon[0]))})
        self.assertIn("# TYPE autoconfd_tls_certificate_expiry_timestamp_seconds gauge",
                      body.decode())

    def metrics(self):
        c = Conn(self.tls_port, None)
        try:
            c.request("GET", "/metrics")
            r = c.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            c.close()


if __name__ == "__main__":
    harness.main()
