#!/usr/bin/env python3
"""autoconfd probe, end to end on loopback: a DNS server started here
(dnszone.py, Debian's python3-dnslib) with a test zone, the daemon over
TLS with a certificate from a test CA made here by openssl, every name in
the zone pointing at 127.0.0.1 (or 127.0.0.2 for a server that answers
404), and --connect-to moving ports 443 and 80 to the test ports. A working
set-up exits 0; each broken one is reported as the failure of the client
it breaks."""
import json
import os
import ssl
import subprocess
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
from harness import Daemon, provider

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ["thunderbird", "thunderbird-android", "outlook", "apple",
           "evolution", "pacc"]
SERVER_KEYS = ["protocol", "host", "port", "security", "auth", "username"]

# The domains of the test zone: each a provider of the daemon.
GOOD = "good.test"          # every record right: every client works
SRV = "srv.test"            # Outlook finds autodiscover by SRV only
NOSRV = "nosrv.test"        # the same without the SRV record
WRONG = "wrongname.test"    # names the certificate does not carry
STALE = "stale.test"        # a PACC digest of another document
AD404 = "ad404.test"        # autodiscover.<domain> is a server saying 404
CUSTOMER = "customer.test"  # autoconfig only through the MX route
DOMAINS = [GOOD, SRV, NOSRV, WRONG, STALE, AD404, CUSTOMER]


def openssl(*args, cwd):
    subprocess.run([harness.need(None, "openssl", "openssl")] + list(args),
                   cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca_and_cert(d, names, days=60):
    """A test CA and a server certificate it signed for names."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "60", "-subj", "/CN=autoconfd test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
            "-subj", "/CN=" + names[0], cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + n for n in names) + "\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-CAcreateserial", "-out", "srv.crt", "-days", str(days),
            "-extfile", "ext.cnf", cwd=d)
    return os.path.join(d, "ca.crt"), os.path.join(d, "srv.crt"), \
        os.path.join(d, "srv.key")


def servers(d):
    # One server per protocol: Evolution (the last of each) agrees.
    return [{"protocol": "imap", "host": "imap." + d, "port": 993, "security": "ssl"},
            {"protocol": "smtp", "host": "smtp." + d, "port": 465, "security": "ssl"}]


def dns_records(path, domain):
    """The SRV and TXT records "autoconfd dns" prints, as zone records."""
    r = subprocess.run([harness.AUTOCONFD, "dns", domain, "-c", path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        if line.startswith(";") or not line.strip():
            continue
        name, _, _, rtype, *rest = line.split("\t")
        value = rest[0]
        if rtype == "SRV":
            prio, weight, port, target = value.split()
            if target != ".":
                out.append([name, "SRV", int(prio), int(weight), int(port),
                            target])
        elif rtype == "TXT":
            out.append([name, "TXT", value.strip('"')])
    return out


class NotFound(BaseHTTPRequestHandler):
    """A web server without the autodiscover route."""

    def answer(self):
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not found")

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


def serve_404(address, port, ctx=None):
    srv = ThreadingHTTPServer((address, port), NotFound)
    if ctx is not None:
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Probe(unittest.TestCase):
    """One daemon, one zone, one 404 server for every case."""

    @classmethod
    def setUpClass(cls):
        r = subprocess.run([harness.AUTOCONFD, "probe", "--help"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("autoconfd was built without probe "
                                 "(configure --enable-probe=yes): " + r.stderr)
        if harness.opted_out("dnslib"):
            raise unittest.SkipTest("dnslib: skipped by " + harness.SKIP_ENV)
        cls.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-probe-")
        d = cls.tmp.name
        names = []
        for dom in DOMAINS:
            if dom != WRONG:
                names += [dom, "autoconfig." + dom, "autodiscover." + dom,
                          "ua-auto-config." + dom]
        names += ["autoconfig.mail.hoster.test", "autoconfig.hoster.test"]
        cls.ca, cert, key = make_ca_and_cert(d, names)

        def make():
            # The TLS port is named in the config: picked anew at each try.
            cls.tls_port = harness.free_port()
            cls.plain_port = harness.free_port()
            cls.config = {
                "tls": {"certificate": cert, "key": key, "ports": [cls.tls_port]},
                "providers": [provider(dom, servers=servers(dom)) for dom in DOMAINS],
            }
            return Daemon(cls.config, listen=["127.0.0.1:%d" % cls.tls_port,
                                              "127.0.0.1:%d" % cls.plain_port])
        cls.daemon = harness.start_retrying(make)
        cls.conf = cls.daemon.path

        # The server that answers 404, on 127.0.0.2 at the same ports.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        cls.web = [serve_404("127.0.0.2", cls.tls_port, ctx),
                   serve_404("127.0.0.2", cls.plain_port)]

        loop = "127.0.0.1"
        recs = []

        def names_at(dom, labels, addr=loop):
            for l in labels:
                recs.append([l + dom, "A", addr])

        for dom in (GOOD, WRONG, STALE):
            names_at(dom, ["", "autoconfig.", "autodiscover.", "ua-auto-config."])
            recs.extend(dns_records(cls.conf, dom))
        for dom in (SRV, NOSRV):
            names_at(dom, ["autoconfig.", "ua-auto-config."])
            recs.extend(dns_records(cls.conf, dom))
        recs.append(["_autodiscover._tcp." + SRV, "SRV", 0, 0, 443,
                     "autodiscover." + GOOD])
        names_at(AD404, ["autoconfig.", "ua-auto-config."])
        names_at(AD404, ["autodiscover."], "127.0.0.2")
        recs.extend(dns_records(cls.conf, AD404))
        # A stale digest: the record of another document.
        for r in recs:
            if r[0] == "_ua-auto-config.%s." % STALE:
                r[2] = "v=UAAC1; a=sha256; d=" + "A" * 43 + "="
        # The MX route: no autoconfig.customer.test; the hoster's name.
        names_at(CUSTOMER, ["ua-auto-config.", "autodiscover."])
        recs.append([CUSTOMER, "MX", 10, "mx1.mail.hoster.test"])
        recs.append(["autoconfig.mail.hoster.test", "A", loop])
        recs.extend(dns_records(cls.conf, CUSTOMER))
        zone = os.path.join(d, "zone.json")
        with open(zone, "w") as f:
            json.dump({"records": recs}, f)
        py = "/usr/bin/python3"
        if not os.access(py, os.X_OK):
            raise AssertionError("/usr/bin/python3 is missing (Debian package "
                                 "python3-dnslib; scripts/install-deps --test)")
        cls.dns = subprocess.Popen([py, os.path.join(HERE, "dnszone.py"), zone],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        line = cls.dns.stdout.readline()
        if not line.startswith("port "):
            err = cls.dns.stderr.read()
            cls.tearDownClass()
            if "No module named 'dnslib'" in err:
                raise AssertionError("dnslib is not installed (Debian package "
                                     "python3-dnslib; scripts/install-deps --test)")
            raise AssertionError("the test DNS server did not start: " + err)
        cls.dns_port = int(line.split()[1])

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "dns", None) is not None:
            cls.dns.stdin.close()
            try:
                cls.dns.wait(10)
            except subprocess.TimeoutExpired:
                cls.dns.kill()
                cls.dns.wait()
            cls.dns.stdout.close()
            cls.dns.stderr.close()
        for w in getattr(cls, "web", []):
            w.shutdown()
            w.server_close()
        if getattr(cls, "daemon", None) is not None:
            cls.daemon.stop()
        cls.tmp.cleanup()

    def probe(self, domain, *extra, conf=None, json_out=True):
        cmd = [harness.AUTOCONFD, "probe", domain,
               "--resolver", "127.0.0.1:%d" % self.dns_port,
               "--ca", self.ca,
               "--connect-to", ":443::%d" % self.tls_port,
               "--connect-to", ":80::%d" % self.plain_port,
               "-c", conf or self.conf] + list(extra)
        if json_out:
            cmd.append("--json")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertNotRegex(r.stderr, harness.SANITIZER_REPORT)
        if not json_out:
            return r.returncode, r.stdout, r.stderr
        self.assertIn(r.returncode, (0, 1), r.stderr)
        return r.returncode, json.loads(r.stdout)

    def clients(self, report):
        return {c["client"]: c for c in report["clients"]}

    def checks(self, report):
        return {c["name"]: c for c in report["checks"]}

    def assert_works_as_config(self, c, domain):
        self.assertEqual(c["outcome"], "works", c)
        self.assertEqual(c["incoming"]["host"], "imap." + domain)
        self.assertEqual(c["outgoing"]["host"], "smtp." + domain)

    # ---- a working set-up ----------------------------------------------

    def test_working_setup_exits_0(self):
        rc, rep = self.probe(GOOD, "--address", "alice@" + GOOD)
        self.assertEqual(rc, 0, json.dumps(rep, indent=1))
        self.assertEqual(list(rep), ["address", "provider", "clients", "checks"])
        self.assertEqual(rep["address"], "alice@" + GOOD)
        self.assertEqual(rep["provider"], GOOD)
        self.assertEqual([c["client"] for c in rep["clients"]], CLIENTS)
        for c in rep["clients"]:
            self.assertEqual(list(c)[:6], ["client", "outcome", "reason", "url",
                                           "incoming", "outgoing"])
            self.assertEqual(list(c["incoming"]), SERVER_KEYS)
            self.assertEqual(list(c["outgoing"]), SERVER_KEYS)
            self.assert_works_as_config(c, GOOD)
            self.assertEqual(c["incoming"], {
                "protocol": "imap", "host": "imap." + GOOD, "port": 993,
                "security": "ssl", "auth": "password-cleartext",
                "username": "alice@" + GOOD})
            self.assertEqual(c["outgoing"]["port"], 465)
            # The first URL, and it answered.
            self.assertEqual(c["answer_url"], c["url"])
        cl = self.clients(rep)
        self.assertEqual(cl["thunderbird"]["url"],
                         "https://autoconfig.good.test/mail/config-v1.1.xml"
                         "?emailaddress=alice%40good.test")
        self.assertEqual(cl["thunderbird-android"]["url"],
                         "https://autoconfig.good.test/mail/config-v1.1.xml")
        self.assertEqual(cl["outlook"]["url"],
                         "https://good.test/autodiscover/autodiscover.xml")
        self.assertEqual(cl["pacc"]["url"], "https://ua-auto-config.good.test"
                         "/.well-known/user-agent-configuration.json")
        self.assertTrue(cl["evolution"]["url"].startswith(
            "https://autoconfig.good.test/mail/config-v1.1.xml"
            "?emailaddress=EVOLUTIONUSER%40good.test&emailmd5="))
        checks = rep["checks"]
        self.assertTrue(all(set(c) == {"name", "ok", "detail"} for c in checks))
        bad = [c for c in checks if not c["ok"]]
        self.assertEqual(bad, [])
        names = self.checks(rep)
        self.assertIn("tls autoconfig.good.test:443", names)
        self.assertRegex(names["tls autoconfig.good.test:443"]["detail"],
                         r"^names autoconfig\.good\.test; chain to a trusted CA; "
                         r"valid until \d{4}-\d\d-\d\d$")
        self.assertIn("d=", names["dns TXT _ua-auto-config.good.test"]["detail"])
        self.assertIn("byte for byte", names[
            "answer https://good.test/autodiscover/autodiscover.xml"]["detail"])
        for path in ("Autodiscover/Autodiscover.xml", "AutoDiscover/AutoDiscover.xml"):
            self.assertTrue(names["POST https://autodiscover.good.test/" + path]["ok"])
        v2 = [c for c in checks if "autodiscover.json" in c["name"]]
        self.assertEqual(len(v2), 2)
        for c in v2:
            self.assertIn("Url https://autodiscover.good.test/autodiscover/"
                          "autodiscover.xml", c["detail"])

    def test_text_output(self):
        rc, out, err = self.probe(GOOD, json_out=False)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("postmaster@good.test: provider good.test\n"))
        for name in CLIENTS:
            self.assertRegex(out, r"(?m)^%s \(.*\): works$" % name)
        self.assertIn("    incoming  imap imap.good.test:993 ssl, password-cleartext, "
                      "username postmaster@good.test\n", out)
        self.assertRegex(out, r"(?m)^checks:$")
        self.assertRegex(out, r"(?m)^  ok   dns SRV _imaps\._tcp\.good\.test: ")
        self.assertNotIn("FAIL", out)

    # ---- broken set-ups, each the failure of its client -----------------

    def test_missing_srv(self):
        # With the SRV record Outlook gets there, after asking the person.
        rc, rep = self.probe(SRV)
        self.assertEqual(rc, 1)
        ol = self.clients(rep)["outlook"]
        self.assertEqual(ol["outcome"], "fallback", ol)
        self.assertIn("falls back to the _autodiscover._tcp SRV record", ol["reason"])
        self.assertEqual(ol["answer_url"],
                         "https://autodiscover.good.test/autodiscover/autodiscover.xml")
        self.assertEqual(ol["incoming"]["host"], "imap." + SRV)
        # Without it Outlook has no route at all.
        rc, rep = self.probe(NOSRV)
        self.assertEqual(rc, 1)
        cl = self.clients(rep)
        ol = cl["outlook"]
        self.assertEqual(ol["outcome"], "fails", ol)
        self.assertIsNone(ol["incoming"])
        self.assertIsNone(ol["answer_url"])
        self.assertIn("no address for autodiscover.nosrv.test", ol["reason"])
        self.assertIn("_autodiscover._tcp.nosrv.test: no such name", ol["reason"])
        for name in ("thunderbird", "thunderbird-android", "apple", "pacc"):
            self.assert_works_as_config(cl[name], NOSRV)
        chk = self.checks(rep)["dns SRV _autodiscover._tcp.nosrv.test"]
        self.assertFalse(chk["ok"])
        self.assertIn("Outlook has no route", chk["detail"])

    def test_missing_rfc6186_srv(self):
        # The zone of srv.test has them; a config that offers more than
        # the zone publishes: the records missing are named.
        cfg = dict(self.config)
        cfg["providers"] = [provider(SRV, servers=servers(SRV) + [
            {"protocol": "pop3", "host": "pop." + SRV, "port": 995, "security": "ssl"}])]
        path = os.path.join(self.tmp.name, "more.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        rc, rep = self.probe(SRV, conf=path)
        chk = self.checks(rep)
        self.assertTrue(chk["dns SRV _imaps._tcp.srv.test"]["ok"])
        self.assertFalse(chk["dns SRV _pop3s._tcp.srv.test"]["ok"])
        self.assertIn("no such name", chk["dns SRV _pop3s._tcp.srv.test"]["detail"])
        self.assertIn("the config gives 0 1 995 pop.srv.test",
                      chk["dns SRV _pop3s._tcp.srv.test"]["detail"])

    def test_wrong_certificate_name(self):
        rc, rep = self.probe(WRONG)
        self.assertEqual(rc, 1)
        cl = self.clients(rep)
        refused = "certificate refused: the certificate does not name"
        # The autoconfig clients fall back to plain http, silently.
        for name in ("thunderbird", "thunderbird-android", "evolution"):
            c = cl[name]
            self.assertEqual(c["outcome"], "fallback", c)
            self.assertIn("falls back to plain http", c["reason"])
            self.assertTrue(c["answer_url"].startswith(
                "http://autoconfig.wrongname.test/mail/config-v1.1.xml"), c)
            self.assertIn(refused + " autoconfig.wrongname.test", c["reason"])
            self.assertEqual(c["incoming"]["host"], "imap." + WRONG)
        # Those with https only fail.
        for name in ("outlook", "apple", "pacc"):
            c = cl[name]
            self.assertEqual(c["outcome"], "fails", c)
            self.assertIn(refused, c["reason"])
            self.assertIsNone(c["incoming"])
        self.assertIn("HTTP 405", cl["outlook"]["reason"])  # no http redirect
        chk = self.checks(rep)["tls autoconfig.wrongname.test:443"]
        self.assertFalse(chk["ok"])
        self.assertTrue(chk["detail"].startswith(
            "the certificate does not name autoconfig.wrongname.test (it names "
            "good.test, autoconfig.good.test"), chk)

    def test_stale_pacc_digest(self):
        rc, rep = self.probe(STALE)
        self.assertEqual(rc, 1)
        cl = self.clients(rep)
        p = cl["pacc"]
        self.assertEqual(p["outcome"], "fails", p)
        self.assertIn("stale digest: the TXT record at _ua-auto-config.stale.test "
                      "says d=AAAA", p["reason"])
        self.assertIn('publish "autoconfd dns stale.test" again', p["reason"])
        for name in CLIENTS[:-1]:
            self.assert_works_as_config(cl[name], STALE)
        chk = self.checks(rep)["dns TXT _ua-auto-config.stale.test"]
        self.assertFalse(chk["ok"])
        self.assertIn("the config's document needs d=", chk["detail"])

    def test_autodiscover_404(self):
        rc, rep = self.probe(AD404)
        self.assertEqual(rc, 1)
        cl = self.clients(rep)
        ol = cl["outlook"]
        self.assertEqual(ol["outcome"], "fails", ol)
        self.assertIn("https://autodiscover.ad404.test/autodiscover/autodiscover.xml: "
                      "HTTP 404", ol["reason"])
        self.assertIn("no address for ad404.test", ol["reason"])
        for name in ("thunderbird", "thunderbird-android", "evolution", "apple", "pacc"):
            self.assert_works_as_config(cl[name], AD404)
        chk = self.checks(rep)
        self.assertFalse(chk["GET https://autodiscover.ad404.test/autodiscover/"
                             "autodiscover.json?Email=postmaster%40ad404.test"
                             "&Protocol=AutodiscoverV1"]["ok"])

    def test_mx_route(self):
        rc, rep = self.probe(CUSTOMER, "--address", "bob@" + CUSTOMER)
        self.assertEqual(rc, 1)
        cl = self.clients(rep)
        tb = cl["thunderbird"]
        self.assertEqual(tb["outcome"], "fallback", tb)
        self.assertIn("falls back to the MX route", tb["reason"])
        self.assertEqual(tb["answer_url"], "https://autoconfig.mail.hoster.test/mail/"
                         "config-v1.1.xml?emailaddress=bob%40customer.test")
        self.assertEqual(tb["incoming"]["host"], "imap." + CUSTOMER)
        self.assertIn("no address for autoconfig.customer.test", tb["reason"])
        # Without an address in the URL the hoster's name decides.
        an = cl["thunderbird-android"]
        self.assertEqual(an["outcome"], "fails", an)
        self.assertIn("https://autoconfig.mail.hoster.test/mail/config-v1.1.xml: "
                      "HTTP 404", an["reason"])
        mx = self.checks(rep)["dns MX customer.test"]
        self.assertIn("10 mx1.mail.hoster.test", mx["detail"])
        self.assertIn("autoconfig.mail.hoster.test and autoconfig.hoster.test",
                      mx["detail"])

    def test_answer_compared_with_the_config(self):
        cfg = dict(self.config)
        cfg["providers"] = [provider(GOOD, servers=[
            {"protocol": "imap", "host": "imap2." + GOOD, "port": 993, "security": "ssl"},
            {"protocol": "smtp", "host": "smtp." + GOOD, "port": 465, "security": "ssl"}])]
        path = os.path.join(self.tmp.name, "newer.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        rc, rep = self.probe(GOOD, conf=path)
        self.assertEqual(rc, 1)
        tb = self.clients(rep)["thunderbird"]
        self.assertEqual(tb["outcome"], "fallback")
        self.assertIn("not what the config serves: imap imap.good.test:993 ssl, "
                      "the config gives imap imap2.good.test:993 ssl", tb["reason"])
        chk = self.checks(rep)["answer https://autoconfig.good.test/mail/"
                               "config-v1.1.xml?emailaddress=postmaster%40good.test"]
        self.assertFalse(chk["ok"])
        self.assertIn("not the config's answer", chk["detail"])
        # The TXT record holds the digest of the old document.
        self.assertFalse(self.checks(rep)["dns TXT _ua-auto-config.good.test"]["ok"])

    def test_command_line_errors(self):
        def run(*args):
            return subprocess.run([harness.AUTOCONFD, "probe"] + list(args),
                                  capture_output=True, text=True, timeout=30)
        r = run()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: autoconfd probe DOMAIN", r.stderr)
        r = run(GOOD, "--connect-to", "nonsense")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--connect-to nonsense: HOST:PORT:ADDR:PORT", r.stderr)
        r = run(GOOD, "--resolver", "not an address", "-c", self.conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--resolver not an address:", r.stderr)
        r = run(GOOD, "--address", "alice@elsewhere.test", "-c", self.conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not an address at the domain", r.stderr)
        r = run(GOOD, "-c", os.path.join(self.tmp.name, "missing.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.json", r.stderr)
        r = run(GOOD, "--ca", os.path.join(self.tmp.name, "zone.json"),
                "--resolver", "127.0.0.1:%d" % self.dns_port, "-c", self.conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no CA certificate in the file", r.stderr)


if __name__ == "__main__":
    harness.main()
