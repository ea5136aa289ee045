#!/usr/bin/env python3
"""ACME end to end, on loopback: Debian's pebble (the ACME test server)
with pebble-challtestsrv as its DNS, certbot in webroot mode writing the
http-01 challenge into autoconfd's acme_challenge_dir, pebble fetching it
from autoconfd, certbot's deploy hook reloading autoconfd, and a TLS
client that checks the chain up to pebble's root getting the new
certificate by SNI."""
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness
from harness import Daemon, provider

NAME = "autoconfig.example.test"
TOOLS = {"pebble": "pebble", "pebble-challtestsrv": "pebble",
         "certbot": "certbot", "openssl": "openssl"}


class Exited(AssertionError):
    """A helper server exited at its start (a port taken meanwhile)."""


def wait_port(port, proc, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Exited("%s exited (%s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s does not listen on %d within %.0f s" % (what, port, timeout))


class AcmeEndToEnd(unittest.TestCase):

    def setUp(self):
        for tool, pkg in TOOLS.items():
            harness.need(self, tool, pkg)
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-acme-")
        self.addCleanup(self.tmp.cleanup)
        self.procs = []
        self.addCleanup(self.stop_all)

    def path(self, *p):
        return os.path.join(self.tmp.name, *p)

    def spawn(self, name, cmd, env=None):
        log = open(self.path(name + ".log"), "w")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
        log.close()
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def log(self, name):
        with open(self.path(name + ".log"), errors="replace") as f:
            return f.read()

    def start_pebble(self, http_port):
        """pebble-challtestsrv (the DNS pebble asks: every name is
        127.0.0.1, no AAAA) and pebble, validating http-01 on http_port;
        returns pebble's ACME and management ports."""
        acme_port, mgmt_port = harness.free_port(), harness.free_port()
        dns_port, cts_port = harness.free_port(), harness.free_port()
        cts = self.spawn("challtestsrv", [
            "pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
            "-dns01", "127.0.0.1:%d" % dns_port, "-http01", "", "-https01", "",
            "-tlsalpn01", "", "-management", "127.0.0.1:%d" % cts_port])
        wait_port(cts_port, cts, "pebble-challtestsrv")
        with open(self.path("pebble.json"), "w") as f:
            json.dump({"pebble": {
                "listenAddress": "127.0.0.1:%d" % acme_port,
                "managementListenAddress": "127.0.0.1:%d" % mgmt_port,
                "certificate": self.path("pebble.crt"),
                "privateKey": self.path("pebble.key"),
                "httpPort": http_port, "tlsPort": harness.free_port(),
                "ocspResponderURL": "", "externalAccountBindingRequired": False}}, f)
        pebble = self.spawn("pebble", [
            "pebble", "-config", self.path("pebble.json"),
            "-dnsserver", "127.0.0.1:%d" % dns_port],
            env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})
        wait_port(acme_port, pebble, "pebble")
        wait_port(mgmt_port, pebble, "pebble")
        return acme_port, mgmt_port

    def test_certbot_through_autoconfd(self):
        # pebble's own HTTPS certificate, for 127.0.0.1.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", self.path("pebble.key"), "-out", self.path("pebble.crt"),
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        dflt = harness.make_cert(self.tmp.name, "default", ["default.example.test"])
        webroot = self.path("webroot")
        challenges = os.path.join(webroot, ".well-known", "acme-challenge")
        os.makedirs(challenges)
        le = self.path("letsencrypt")
        os.makedirs(os.path.join(le, "live"))

        # autoconfd first: pebble validates on its plain port (the
        # kernel's pick); the TLS port is named in the config.
        def make():
            self.tls_port = harness.free_port()
            cfg = {"acme_challenge_dir": challenges, "access_log": "stderr",
                   "tls": {"certificate": dflt[0], "key": dflt[1],
                           "ports": [self.tls_port],
                           "certificate_dir": os.path.join(le, "live")},
                   "providers": [provider("example.test")]}
            return Daemon(cfg, listen=["127.0.0.1:0",
                                       "127.0.0.1:%d" % self.tls_port])
        d = harness.start_retrying(make)
        tls_port, http_port = self.tls_port, d.port
        for attempt in range(3):
            try:
                acme_port, mgmt_port = self.start_pebble(http_port)
                break
            except Exited:
                # A port of pebble's taken meanwhile: others.
                self.stop_all()
                self.procs = []
                if attempt == 2:
                    d.__exit__(None, None, None)
                    raise
        with d:
            self.assertEqual(self.served(tls_port)[0], dflt[2])
            r = subprocess.run([
                "certbot", "certonly", "--webroot", "-w", webroot, "-d", NAME,
                "--server", "https://127.0.0.1:%d/dir" % acme_port,
                "--config-dir", le, "--work-dir", self.path("work"),
                "--logs-dir", self.path("logs"), "--non-interactive", "--agree-tos",
                "--register-unsafely-without-email", "--no-random-sleep-on-renew",
                # The hook docs/deployment.md gives, with this daemon's pid.
                "--deploy-hook", "kill -HUP %d" % d.proc.pid],
                capture_output=True, text=True, timeout=180,
                env=dict(os.environ, REQUESTS_CA_BUNDLE=self.path("pebble.crt")))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.log("pebble"))
            # The hook's SIGHUP: a reload that found the new certificate.
            d.wait_log("generation 2", 20)
            log = d.log()
            # pebble fetched the challenge from autoconfd, found it right.
            self.assertRegex(log, r" 127\.0\.0\.1 GET /\.well-known/acme-challenge/"
                             r"[A-Za-z0-9_-]{20,} 200 \d+ \d+ acme ")
            self.assertRegex(self.log("pebble"), r"Attempting to validate w/ HTTP: "
                             r"http://%s:%d/" % (NAME, http_port))
            self.assertIn("set VALID by completed challenge", self.log("pebble"))
            fullchain = os.path.join(le, "live", NAME, "fullchain.pem")
            with open(fullchain) as f:
                issued = ssl.PEM_cert_to_DER_cert(f.read())
            der, version = self.served(tls_port, NAME)
            self.assertEqual(der, issued)
            # Other names still get the default.
            self.assertEqual(self.served(tls_port, "other.example.test")[0], dflt[2])
            # The chain verifies up to pebble's root, for the name.
            ctx = pebble_root_context(mgmt_port, self.path("pebble.crt"))
            raw = socket.create_connection(("127.0.0.1", tls_port), timeout=10)
            with ctx.wrap_socket(raw, server_hostname=NAME) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: %s\r\n"
                          b"Connection: close\r\n\r\n" % NAME.encode())
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
            # certbot removed its token afterwards: nothing left to serve.
            self.assertEqual(os.listdir(challenges), [])
            self.assertNotIn("warning", log)

    def served(self, port, name=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            return s.getpeercert(binary_form=True), s.version()


def pebble_root_context(mgmt_port, pebble_crt):
    """A verifying client context that trusts pebble's root (a new one
    each run, from its management interface)."""
    tls = ssl.create_default_context(cafile=pebble_crt)
    with urllib.request.urlopen("https://127.0.0.1:%d/roots/0" % mgmt_port,
                                context=tls, timeout=10) as r:
        root = r.read().decode()
    return ssl.create_default_context(cadata=root)


if __name__ == "__main__":
    harness.main()
