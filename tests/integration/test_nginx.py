#!/usr/bin/env python3
"""A real nginx, configured with conf/nginx/autoconfd.conf, in front of the
real daemon: every endpoint through it (http and https) answers exactly as
the daemon does directly, Autodiscover GETs on port 80 go to https, and the
X-Forwarded-* headers are believed from nginx and from no one else."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Daemon, provider

# On PATH only (as root, /usr/sbin is): a missing nginx fails the tests.
NGINX = shutil.which("nginx")
POX_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
POX_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
POX = ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="%s"><Request>'
       '<EMailAddress>alice@example.com</EMailAddress><AcceptableResponseSchema>%s'
       '</AcceptableResponseSchema></Request></Autodiscover>' % (POX_NS, POX_SCHEMA)).encode()
ADDR = "alice@example.com"

# Every route in src/router.c needs a case here (test_every_route_is_covered
# fails otherwise): (method, path, Host, body).
CASES = [
    ("GET", "/mail/config-v1.1.xml?emailaddress=" + ADDR, "autoconfig.example.com", None),
    ("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", "autoconfig.example.com", None),
    ("HEAD", "/.well-known/autoconfig/mail/config-v1.1.xml", "autoconfig.example.com", None),
    ("GET", "/v1.1/mail/config-v1.1.xml?emailaddress=" + ADDR, "autoconfig.example.com", None),
    ("GET", "/mail/config-v1.1.xml?emailaddress=bob@unknown.example", "autoconfig.example.com", None),
    ("GET", "/.well-known/user-agent-configuration.json", "ua-auto-config.example.com", None),
    ("GET", "/.well-known/user-agent-configuration", "ua-auto-config.example.com", None),
    ("GET", "/healthz", "autoconfig.example.com", None),
    ("GET", "/email.mobileconfig?emailaddress=" + ADDR, "autoconfig.example.com", None),
    ("GET", "/mobileconfig?emailaddress=" + ADDR, "autoconfig.example.com", None),
    ("GET", "/", "autoconfig.example.com", None),
    ("GET", "/settings?emailaddress=" + ADDR, "autoconfig.example.com", None),
    ("POST", "/autodiscover/autodiscover.xml", "autodiscover.example.com", POX),
    ("POST", "/Autodiscover/Autodiscover.xml", "autodiscover.example.com", POX),
    ("POST", "/AUTODISCOVER/AUTODISCOVER.XML", "autodiscover.example.com", POX),
    ("GET", "/autodiscover/autodiscover.json?Email=%s&Protocol=AutodiscoverV1" % ADDR,
     "autodiscover.example.com", None),
    ("GET", "/Autodiscover/Autodiscover.json/v1.0/%s?Protocol=AutodiscoverV1" % ADDR,
     "autodiscover.example.com", None),
    ("GET", "/autodiscover/autodiscover.json/v1.0/%s?Protocol=ActiveSync" % ADDR,
     "autodiscover.example.com", None),
    ("GET", "/.well-known/mta-sts.txt", "mta-sts.example.com", None),
    ("GET", "/.well-known/acme-challenge/no-such-token", "autoconfig.example.com", None),
    ("GET", "/no/such/path", "autoconfig.example.com", None),
]
# Answers that legitimately differ per request: compared by status and type.
VOLATILE = ("/metrics",)
HEADERS_COMPARED = ("content-type", "content-disposition", "allow", "location",
                    "cache-control")


def daemon_config(trusted=("127.0.0.1",)):
    return {
        "trusted_proxies": list(trusted),
        "providers": [provider(
            activesync="https://eas.example.com/Microsoft-Server-ActiveSync",
            documentation="https://example.com/help",
            mta_sts={"mode": "testing"})],
    }


class Nginx:
    """A real nginx on loopback, own prefix, as the test's user."""

    def __init__(self, upstream_port, cert, key):
        self.dir = tempfile.TemporaryDirectory(prefix="autoconfd-nginx-")
        self.prefix = self.dir.name
        self.http_port = harness.free_port()
        self.https_port = harness.free_port()
        with open(os.path.join(harness.TOP, "conf", "nginx", "autoconfd.conf")) as f:
            text = f.read()
        # The shipped file with only addresses and paths changed; each edit
        # must apply exactly as often as expected, or the file changed shape.
        edits = [
            ("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % upstream_port, 1),
            ("    listen [::]:80;\n", "", 1),
            ("    listen [::]:443 ssl http2;\n", "", 1),
            ("listen 80;", "listen 127.0.0.1:%d;" % self.http_port, 1),
            ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.https_port, 1),
            ("/etc/ssl/autoconfd/fullchain.pem", cert, 1),
            ("/etc/ssl/autoconfd/privkey.pem", key, 1),
        ]
        for old, new, n in edits:
            assert text.count(old) == n, "conf/nginx/autoconfd.conf: %r" % old
            text = text.replace(old, new)
        with open(os.path.join(self.prefix, "autoconfd.conf"), "w") as f:
            f.write(text)
        tmp = os.path.join(self.prefix, "tmp")
        os.mkdir(tmp)
        p = self.prefix
        main = [
            "daemon off;",
            "worker_processes 1;",
            "pid %s/nginx.pid;" % p,
            "error_log %s/error.log notice;" % p,
            "events { worker_connections 512; }",
            "http {",
            "  access_log %s/access.log;" % p,
            "  client_body_temp_path %s/body;" % tmp,
            "  proxy_temp_path %s/proxy;" % tmp,
            "  fastcgi_temp_path %s/fastcgi;" % tmp,
            "  uwsgi_temp_path %s/uwsgi;" % tmp,
            "  scgi_temp_path %s/scgi;" % tmp,
            "  include %s/autoconfd.conf;" % p,
            "}",
        ]
        if os.geteuid() == 0:
            main.insert(0, "user root;")   # else workers cannot reach the prefix
        with open(os.path.join(p, "nginx.conf"), "w") as f:
            f.write("\n".join(main) + "\n")
        self.proc = None

    def start(self):
        args = [NGINX, "-p", self.prefix + "/", "-c", self.prefix + "/nginx.conf",
                "-e", self.prefix + "/error.log"]
        t = subprocess.run(args + ["-t"], capture_output=True, text=True, timeout=30)
        if t.returncode != 0:
            raise AssertionError("nginx -t: " + t.stderr)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        try:
            for port in (self.http_port, self.https_port):
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if self.proc.poll() is not None or time.monotonic() > deadline:
                            err = self.errors()
                            if "Address already in use" in err:
                                raise harness.PortTaken("nginx: " + err)
                            raise AssertionError("nginx did not start: " + err)
                        time.sleep(0.05)
        except BaseException:
            # Never orphaned: a failed start is killed and its files go.
            self.stop()
            raise
        return self

    def errors(self):
        try:
            with open(os.path.join(self.prefix, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    @classmethod
    def start_retrying(cls, *args, attempts=5):
        """Started on free ports, picked again if another process took one
        between the pick and nginx's bind."""
        for i in range(attempts):
            try:
                return cls(*args).start()
            except harness.PortTaken:
                if i == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)     # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.dir.cleanup()


def make_cert(d):
    return harness.make_cert(d, "nginx", ["autoconfig.example.com",
                                          "autodiscover.example.com",
                                          "ua-auto-config.example.com"])[:2]


def fetch(conn, method, path, host, body=None, headers=None):
    h = {"Host": host, "Accept": "text/html"}
    if body is not None:
        h["Content-Type"] = "text/xml; charset=utf-8"
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


class ThroughNginx(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        harness.need(None, "nginx", "nginx-light", found=NGINX)
        cls.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-nginx-cert-")
        cls.d = cls.ngx = None
        try:
            cls.cert, cls.key = make_cert(cls.tmp.name)
            cls.d = Daemon(daemon_config()).start()
            cls.log = os.path.join(cls.d.dir.name, "access.log")
            cfg = daemon_config()
            cfg["access_log"] = cls.log
            cls.d.reload(cfg, expect="generation 2")
            cls.ngx = Nginx.start_retrying(cls.d.port, cls.cert, cls.key)
        except BaseException:
            # unittest does not call tearDownClass after a failed setUpClass.
            cls.tearDownClass()
            raise
        ctx = ssl.create_default_context(cafile=cls.cert)
        ctx.check_hostname = False     # we dial 127.0.0.1; Host names the site
        cls.ctx = ctx

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.ngx is not None:
                cls.ngx.stop()
        finally:
            try:
                if cls.d is not None:
                    cls.d.__exit__(None, None, None)
            finally:
                cls.tmp.cleanup()

    def keep(self, conn):
        self.addCleanup(conn.close)
        return conn

    def http(self):
        return self.keep(http.client.HTTPConnection("127.0.0.1", self.ngx.http_port,
                                                    timeout=10))

    def https(self):
        return self.keep(http.client.HTTPSConnection("127.0.0.1", self.ngx.https_port,
                                                     timeout=10, context=self.ctx))

    def direct(self):
        return self.keep(self.d.conn(timeout=10))

    def compare(self, via, case, expect_same=True):
        method, path, host, body = case
        a = fetch(self.direct(), method, path, host, body)
        b = fetch(via, method, path, host, body)
        self.assertEqual(b[0], a[0], "%s %s" % (method, path))
        for h in HEADERS_COMPARED:
            self.assertEqual(b[1].get(h), a[1].get(h), "%s %s: %s" % (method, path, h))
        if not path.startswith(VOLATILE):
            self.assertEqual(b[2], a[2], "%s %s: body" % (method, path))
        return a, b

    def test_every_route_is_covered(self):
        with open(os.path.join(harness.TOP, "src", "router.c")) as f:
            routes = re.findall(r'^\s*\{\s*"(/[^"]*)"', f.read(), re.M)
        self.assertGreater(len(routes), 5)
        paths = [c[1].split("?")[0].lower() for c in CASES] + ["/metrics"]
        for r in routes:
            r = r.lower()
            if r.endswith("*"):
                self.assertTrue(any(p.startswith(r[:-1]) and p != r[:-1] for p in paths), r)
            else:
                self.assertIn(r, paths, "route %s has no case in test_nginx.py" % r)

    def test_https_every_endpoint_as_direct(self):
        conn = self.https()       # one kept-alive connection for all
        for case in CASES:
            a, b = self.compare(conn, case)
            self.assertNotIn(a[0], (500, 502, 503, 504), case)

    def test_http_every_endpoint_as_direct_but_autodiscover_gets(self):
        conn = self.http()
        for case in CASES:
            method, path, host, body = case
            if method == "GET" and path.lower().startswith("/autodiscover/"):
                st, h, _ = fetch(conn, method, path, host)
                self.assertEqual(st, 302, path)
                self.assertEqual(h["location"], "https://%s%s" % (host, path))
                continue
            self.compare(conn, case)

    def test_answers_are_what_clients_want(self):
        """Spot checks of content through nginx, beyond being equal."""
        st, h, body = fetch(self.https(), "GET",
                            "/autodiscover/autodiscover.json/v1.0/%s?Protocol=AutodiscoverV1" % ADDR,
                            "autodiscover.example.com")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {
            "Protocol": "AutodiscoverV1",
            "Url": "https://autodiscover.example.com/autodiscover/autodiscover.xml"})
        st, h, body = fetch(self.https(), "POST", "/autodiscover/autodiscover.xml",
                            "autodiscover.example.com", POX)
        self.assertEqual(st, 200)
        self.assertIn(b"<Server>imap.example.com</Server>", body)
        st, h, body = fetch(self.http(), "GET", "/mail/config-v1.1.xml",
                            "autoconfig.example.com")
        self.assertEqual(st, 200)
        self.assertIn(b"<hostname>imap.example.com</hostname>", body)

    def test_metrics_only_from_loopback(self):
        for conn in (self.http(), self.https()):
            st, h, body = fetch(conn, "GET", "/metrics", "autoconfig.example.com")
            self.assertEqual(st, 200)
            self.assertIn(b"autoconfd_requests_total", body)

    def test_forwarded_headers(self):
        """nginx's X-Forwarded-* reach the daemon and are believed; a
        client's own X-Forwarded-Host is overwritten by nginx."""
        path = "/autodiscover/autodiscover.json?Email=%s&Protocol=AutodiscoverV1" % ADDR
        st, h, body = fetch(self.https(), "GET", path, "autodiscover.example.com",
                            headers={"X-Forwarded-Host": "evil.example",
                                     "X-Forwarded-Proto": "http"})
        self.assertEqual(json.loads(body)["Url"],
                         "https://autodiscover.example.com/autodiscover/autodiscover.xml")
        # The access log names the client nginx saw, not nginx.
        fetch(self.https(), "GET", "/healthz?via=nginx", "autoconfig.example.com",
              headers={"User-Agent": "via-nginx-test",
                       "Authorization": "Basic dXNlcjpwYXNz"})
        deadline = time.monotonic() + 5
        line = None
        while line is None and time.monotonic() < deadline:
            with open(self.log) as f:
                line = next((l for l in f if '"via-nginx-test"' in l), None)
            time.sleep(0.05)
        self.assertIsNotNone(line)
        # The Host as nginx passed it on; no client family or provider
        # for /healthz.
        self.assertRegex(line, r'^\S+ 127\.0\.0\.1 GET /healthz 200 3 \d+ healthz - "via-nginx-test" '
                               r'autoconfig\.example\.com - -$')
        with open(self.log) as f:
            self.assertNotIn("dXNlcjpwYXNz", f.read())

    def test_upstream_keepalive(self):
        conn = self.https()
        for _ in range(10):
            self.assertEqual(fetch(conn, "GET", "/healthz", "autoconfig.example.com")[0], 200)
        # nginx keeps its connection to the daemon open: the daemon sees it
        # beside the one asking for /metrics.
        st, h, body = fetch(self.direct(), "GET", "/metrics", "x")
        n = int(re.search(rb"^autoconfd_open_connections (\d+)$", body, re.M).group(1))
        self.assertGreaterEqual(n, 2, body)

    def test_body_cap_in_nginx(self):
        st, _, _ = fetch(self.https(), "POST", "/autodiscover/autodiscover.xml",
                         "autodiscover.example.com", b"x" * 9000)
        self.assertEqual(st, 413)

    def test_http2(self):
        """nginx speaks HTTP/2 to clients that want it (curl), HTTP/1.1 to
        the daemon."""
        curl = harness.need(self, "curl", "curl")
        r = subprocess.run([curl, "-sS", "--http2", "--cacert", self.cert,
                            "--resolve", "autoconfig.example.com:%d:127.0.0.1" % self.ngx.https_port,
                            "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                            "https://autoconfig.example.com:%d/mail/config-v1.1.xml" % self.ngx.https_port],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout, "2 200", r.stderr)


class UntrustedPeers(unittest.TestCase):
    """Only trusted_proxies may speak for the client."""

    PATH = "/autodiscover/autodiscover.json?Email=%s&Protocol=AutodiscoverV1" % ADDR

    def url(self, d, headers):
        st, h, body = d.get(self.PATH, host="autodiscover.example.com", headers=headers)
        self.assertEqual(st, 200, body)
        return json.loads(body)["Url"]

    def test_untrusted_forwarded_host_ignored(self):
        with Daemon(daemon_config(trusted=())) as d:
            self.assertEqual(self.url(d, {"X-Forwarded-Host": "evil.example",
                                          "X-Forwarded-Proto": "http"}),
                             "https://autodiscover.example.com/autodiscover/autodiscover.xml")

    def test_trusted_forwarded_host_believed(self):
        with Daemon(daemon_config(trusted=("127.0.0.0/8",))) as d:
            self.assertEqual(self.url(d, {"X-Forwarded-Host": "autodiscover.example.net",
                                          "X-Forwarded-Proto": "https"}),
                             "https://autodiscover.example.net/autodiscover/autodiscover.xml")


if __name__ == "__main__":
    harness.main()
