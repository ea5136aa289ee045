#!/usr/bin/env python3
"""Hosting many domains, against the real daemon: %EMAILDOMAIN% in host
names and URLs filled in per domain in every answer, MX hosting
(mx_domains), domains from files, include, and their reloads."""
import base64
import hashlib
import http.client
import json
import os
import plistlib
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import clients
import harness
from harness import Daemon

RNG = os.path.join(harness.TOP, "..", "shared", "reference", "autoconfig",
                   "autoconfig.rng")
POX = """<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/%s/requestschema/2006">
<Request><EMailAddress>%s</EMailAddress>
<AcceptableResponseSchema>%s</AcceptableResponseSchema></Request></Autodiscover>"""


def hoster(**extra):
    """A hosting provider: per-domain host names and URLs, one fixed
    submission host, its customers in a file the test writes."""
    p = {
        "id": "hoster.example",
        "name": "Hoster Mail",
        "short_name": "Hoster",
        "domains": ["hoster.example", "@customers.txt"],
        "servers": [
            {"protocol": "imap", "host": "imap.%EMAILDOMAIN%", "port": 993,
             "security": "ssl"},
            {"protocol": "smtp", "host": "smtp.%EMAILDOMAIN%", "port": 465,
             "security": "ssl"},
            {"protocol": "smtp", "host": "submit.hoster.example", "port": 587,
             "security": "starttls"},
        ],
        "webmail": "https://webmail.%EMAILDOMAIN%/",
        "activesync": "https://eas.%EMAILDOMAIN%/Microsoft-Server-ActiveSync",
        "caldav": "https://dav.%EMAILDOMAIN%/cal/",
    }
    p.update(extra)
    return p


CUSTOMERS = """# customers of hoster.example (a Postfix map: the key is the domain)
alpha.example     OK
beta.example\tOK
    a continuation line, no key
# gamma is on hold

.sub.example
"""


def validate_rng(testcase, body):
    """The autoconfig draft's own schema accepts the answer."""
    if not os.path.exists(RNG):
        testcase.fail("the schema %s is missing" % RNG)
    xmllint = harness.need(testcase, "xmllint", "libxml2-utils")
    r = subprocess.run([xmllint, "--noout", "--relaxng", RNG, "-"],
                       input=body, capture_output=True, timeout=30)
    testcase.assertEqual(r.returncode, 0, r.stderr.decode())


class Setup:
    """A daemon serving hoster() and a plain provider, its customer file
    beside the config."""

    @classmethod
    def start(cls, providers, files=None):
        cls.d = Daemon({"providers": providers})
        for name, text in (files or {"customers.txt": CUSTOMERS}).items():
            with open(os.path.join(cls.d.dir.name, name), "w") as f:
                f.write(text)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.__exit__(None, None, None)

    def autoconfig(self, address=None, host=None, path="/mail/config-v1.1.xml"):
        q = "?emailaddress=" + address if address else ""
        return self.d.get(path + q, host=host)


class PerDomain(Setup, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.start([hoster(), harness.provider("plain.example")])

    def test_autoconfig_per_domain(self):
        for dom in ("alpha.example", "beta.example", "hoster.example",
                    "x.sub.example"):
            st, h, body = self.autoconfig("bob@" + dom)
            self.assertEqual(st, 200, body)
            doc = clients.parse_autoconfig(body)
            self.assertEqual(doc["id"], "hoster.example")
            # The domain asked for alone: no customer sees another.
            self.assertEqual(doc["domains"], [dom])
            self.assertEqual([(s["type"], s["hostname"], s["port"]) for s in doc["servers"]
                              if s["type"] in ("imap", "smtp")],
                             [("imap", "imap." + dom, 993), ("smtp", "smtp." + dom, 465),
                              ("smtp", "submit.hoster.example", 587)])
            self.assertEqual([s["url"] for s in doc["servers"] if s["type"] == "activesync"],
                             ["https://eas.%s/Microsoft-Server-ActiveSync" % dom])
            self.assertEqual(doc["webmail"], "https://webmail.%s/" % dom)
            cal = doc["root"].find("calendar")
            self.assertEqual(cal.findtext("url"), "https://dav.%s/cal/" % dom)
            self.assertNotIn(b"%EMAILDOMAIN%", body)
            self.assertEqual(clients.thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(clients.k9_problems(body), [])
            validate_rng(self, body)

    def test_no_address_takes_the_host(self):
        st, _, body = self.autoconfig(host="autoconfig.beta.example")
        self.assertEqual(st, 200)
        doc = clients.parse_autoconfig(body)
        self.assertEqual(doc["servers"][0]["hostname"], "imap.beta.example")
        st, _, body = self.autoconfig(host="beta.example",
                                      path="/.well-known/autoconfig/mail/config-v1.1.xml")
        self.assertEqual(clients.parse_autoconfig(body)["domains"], ["beta.example"])

    def test_domains_alternate_on_one_connection(self):
        """One worker, several domains in turn: each answer its own."""
        c = self.d.conn()
        try:
            for dom in ["alpha.example", "beta.example"] * 3 + ["plain.example"]:
                c.request("GET", "/mail/config-v1.1.xml?emailaddress=a@" + dom)
                r = c.getresponse()
                doc = clients.parse_autoconfig(r.read())
                self.assertEqual(r.status, 200)
                want = "imap." + dom
                self.assertEqual(doc["servers"][0]["hostname"], want)
        finally:
            c.close()

    def test_unknown_and_commented_domains(self):
        for dom in ("gamma.example", "sub.example", "a.b.alpha.example"):
            st, _, _ = self.autoconfig("bob@" + dom)
            self.assertEqual(st, 404, dom)

    def test_plain_provider_keeps_its_document(self):
        st, _, body = self.autoconfig("bob@plain.example")
        doc = clients.parse_autoconfig(body)
        self.assertEqual(doc["domains"], ["plain.example"])
        self.assertEqual(doc["servers"][0]["hostname"], "imap.plain.example")

    def test_autodiscover_pox_and_mobilesync(self):
        st, h, body = self.d.request("POST", "/autodiscover/autodiscover.xml", body=POX % (
            "outlook", "carol@alpha.example", clients.AD_OUTLOOK))
        self.assertEqual(st, 200)
        self.assertEqual(clients.outlook_problems(h["content-type"], body), [])
        self.assertEqual(clients.thunderbird_from_outlook(body), [
            ("imap", "imap.alpha.example", 993, "SSL", "carol@alpha.example"),
            ("smtp", "smtp.alpha.example", 465, "SSL", "carol@alpha.example"),
            ("smtp", "submit.hoster.example", 587, "STARTTLS", "carol@alpha.example")])
        st, _, body = self.d.request("POST", "/autodiscover/autodiscover.xml", body=POX % (
            "mobilesync", "carol@beta.example", clients.AD_MOBILESYNC))
        self.assertEqual(st, 200)
        root = ET.fromstring(body)
        ns = {"r": clients.AD_MOBILESYNC}
        url = "https://eas.beta.example/Microsoft-Server-ActiveSync"
        self.assertEqual(root.findtext(".//r:Server/r:Url", namespaces=ns), url)
        self.assertEqual(root.findtext(".//r:Server/r:Name", namespaces=ns), url)
        self.assertEqual(root.findtext(".//r:User/r:EMailAddress", namespaces=ns),
                         "carol@beta.example")

    def test_autodiscover_json(self):
        for path in ("/autodiscover/autodiscover.json?Email=d@alpha.example&Protocol=ActiveSync",
                     "/autodiscover/autodiscover.json/v1.0/d@alpha.example?Protocol=ActiveSync"):
            st, h, body = self.d.get(path)
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body), {
                "Protocol": "ActiveSync",
                "Url": "https://eas.alpha.example/Microsoft-Server-ActiveSync"})

    def test_apple_profile(self):
        st, _, body = self.d.get("/email.mobileconfig?emailaddress=erin@beta.example")
        self.assertEqual(st, 200)
        pl = plistlib.loads(body)
        mail = [p for p in pl["PayloadContent"] if p["PayloadType"] == "com.apple.mail.managed"][0]
        self.assertEqual(mail["IncomingMailServerHostName"], "imap.beta.example")
        self.assertEqual(mail["OutgoingMailServerHostName"], "smtp.beta.example")
        self.assertEqual(mail["EmailAddress"], "erin@beta.example")
        cal = [p for p in pl["PayloadContent"] if p["PayloadType"] == "com.apple.caldav.account"][0]
        self.assertEqual(cal["CalDAVHostName"], "dav.beta.example")
        self.assertEqual(cal["CalDAVPrincipalURL"], "https://dav.beta.example/cal/")

    def test_settings_page(self):
        st, _, body = self.d.get("/settings?emailaddress=fay@alpha.example")
        self.assertEqual(st, 200)
        text = body.decode()
        servers = re.findall(r"Server:\s+(\S+)", text)
        self.assertEqual(servers, ["imap.alpha.example", "smtp.alpha.example",
                                   "submit.hoster.example"])
        self.assertIn("Webmail:           https://webmail.alpha.example/", text)
        st, _, body = self.d.get("/settings?emailaddress=fay@alpha.example",
                                 headers={"Accept": "text/html"})
        html = body.decode()
        self.assertIn("<code>imap.alpha.example</code>", html)
        self.assertIn('href="https://webmail.alpha.example/"', html)
        self.assertIn("addresses at alpha.example.", html)
        self.assertNotIn("%EMAILDOMAIN%", html)
        # No address: the Host's domain.
        st, _, body = self.d.get("/", host="autoconfig.beta.example")
        self.assertIn("imap.beta.example", body.decode())

    def test_pacc_and_its_dns_digest(self):
        st, h, body = self.d.get("/.well-known/user-agent-configuration.json",
                                 host="ua-auto-config.alpha.example")
        self.assertEqual(st, 200)
        doc = json.loads(body)
        self.assertEqual(doc["protocols"]["imap"], {"host": "imap.alpha.example"})
        self.assertEqual(doc["protocols"]["smtp"], {"host": "smtp.alpha.example"})
        self.assertEqual(doc["protocols"]["caldav"], {"url": "https://dav.alpha.example/cal/"})
        r = subprocess.run([harness.AUTOCONFD, "dns", "alpha.example", "-c", self.d.path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.assertIn('_ua-auto-config.alpha.example.\t3600\tIN\tTXT\t'
                      '"v=UAAC1; a=sha256; d=%s"' % want, r.stdout)
        self.assertIn("_imaps._tcp.alpha.example.\t3600\tIN\tSRV\t0 1 993 "
                      "imap.alpha.example.", r.stdout)
        self.assertIn("_submission._tcp.alpha.example.\t3600\tIN\tSRV\t1 1 587 "
                      "submit.hoster.example.", r.stdout)
        self.assertNotIn("%EMAILDOMAIN%", r.stdout)


class MxHosting(Setup, unittest.TestCase):
    """Thunderbird asks autoconfig.<MX domain> with the customer's
    address; the hoster declares that name in mx_domains."""

    @classmethod
    def setUpClass(cls):
        cls.start([hoster(domains=["hoster.example"],
                          mx_domains=["hoster.net", "mail.hoster.net"]),
                   harness.provider("plain.example")])

    def test_any_domain_through_the_mx_name(self):
        for host in ("autoconfig.hoster.net", "autoconfig.mail.hoster.net"):
            st, h, body = self.autoconfig("zoe@customer.test", host=host)
            self.assertEqual(st, 200, body)
            doc = clients.parse_autoconfig(body)
            self.assertEqual(doc["domains"], ["customer.test"])
            self.assertEqual(doc["mx_domains"], ["hoster.net", "mail.hoster.net"])
            self.assertEqual(doc["servers"][0]["hostname"], "imap.customer.test")
            self.assertEqual(clients.thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(clients.k9_problems(body), [])
            validate_rng(self, body)
        st, _, body = self.autoconfig("zoe@customer.test", host="hoster.net",
                                      path="/.well-known/autoconfig/mail/config-v1.1.xml")
        self.assertEqual(st, 200)

    def test_mx_attribute_is_the_only_one(self):
        _, _, body = self.autoconfig("zoe@customer.test", host="autoconfig.hoster.net")
        for d in ET.fromstring(body).iter("domain"):
            self.assertIn(d.attrib, ({}, {"purpose": "mx"}))

    def test_other_hosts_do_not_answer(self):
        for host in ("autoconfig.other.net", "autoconfig.sub.hoster.net", None):
            st, _, _ = self.autoconfig("zoe@customer.test", host=host)
            self.assertEqual(st, 404, host)

    def test_the_address_provider_comes_first(self):
        st, _, body = self.autoconfig("zoe@plain.example", host="autoconfig.hoster.net")
        self.assertEqual(clients.parse_autoconfig(body)["servers"][0]["hostname"],
                         "imap.plain.example")

    def test_without_an_address(self):
        st, _, body = self.autoconfig(host="autoconfig.hoster.net")
        self.assertEqual(st, 200)
        self.assertEqual(clients.parse_autoconfig(body)["domains"], ["hoster.net"])

    def test_autodiscover_through_the_mx_name(self):
        """An SRV record of the customer's points at autodiscover.<hoster>."""
        st, h, body = self.d.request("POST", "/autodiscover/autodiscover.xml", body=POX % (
            "outlook", "zoe@customer.test", clients.AD_OUTLOOK),
            host="autodiscover.hoster.net")
        self.assertEqual(st, 200)
        self.assertEqual(clients.thunderbird_from_outlook(body)[0],
                         ("imap", "imap.customer.test", 993, "SSL", "zoe@customer.test"))
        st, _, _ = self.d.request("POST", "/autodiscover/autodiscover.xml", body=POX % (
            "outlook", "zoe@customer.test", clients.AD_OUTLOOK), host="autodiscover.x.net")
        self.assertEqual(st, 404)


class Files(unittest.TestCase):
    """Domain files and include: read at start, read again at SIGHUP,
    errors that name the file, line and column."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-files-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name
        os.mkdir(os.path.join(self.dir, "conf.d"))

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text if isinstance(text, str) else json.dumps(text, indent=2))
        os.replace(tmp, path)
        return path

    def check(self, config):
        path = self.write("autoconfd.json", config)
        return subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                              capture_output=True, text=True, timeout=30)

    def daemon(self, config):
        d = Daemon(config)
        # The config where its files are.
        d.path = os.path.join(self.dir, "autoconfd.json")
        d.write_config(config)
        return d

    def status(self, d, dom):
        return d.get("/mail/config-v1.1.xml?emailaddress=u@" + dom)[0]

    def test_domain_file_reload(self):
        self.write("customers.txt", CUSTOMERS)
        with self.daemon({"providers": [hoster()]}) as d:
            self.assertEqual(self.status(d, "alpha.example"), 200)
            self.assertEqual(self.status(d, "delta.example"), 404)
            self.write("customers.txt", CUSTOMERS + "delta.example\n")
            d.reload(expect="generation 2")
            self.assertEqual(self.status(d, "delta.example"), 200)
            self.assertEqual(self.status(d, "alpha.example"), 200)
            self.write("customers.txt", "delta.example\n")
            d.reload(expect="generation 3")
            self.assertEqual(self.status(d, "alpha.example"), 404)
            # A broken file keeps the last good config serving.
            self.write("customers.txt", "delta.example\nbad!.example OK\n")
            d.reload(expect="reload of")
            self.assertIn("customers.txt:2:1: providers[0].domains[1]: "
                          "\"bad!.example\" is not a valid domain", d.log())
            self.assertEqual(self.status(d, "delta.example"), 200)

    def test_domain_file_errors(self):
        self.write("customers.txt", "ok.example\n\n#\nbad_domain.example OK\n")
        r = self.check({"providers": [hoster()]})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"(?m)^%s:4:1: providers\[0\]\.domains\[1\]: "
                         r"\"bad_domain\.example\" is not a valid domain"
                         % re.escape(os.path.join(self.dir, "customers.txt")))
        r = self.check({"providers": [hoster(domains=["@missing.txt"])]})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"autoconfd\.json:\d+:\d+: providers\[0\]\.domains\[0\]: "
                         r".*missing\.txt: cannot read: No such file")
        # A domain both in a file and in another provider: the file's line.
        self.write("customers.txt", "a.example\nplain.example\n")
        r = self.check({"providers": [harness.provider("plain.example"), hoster()]})
        self.assertEqual(r.returncode, 1)
        self.assertIn("customers.txt:2:1: providers[1].domains[1]: domain "
                      "\"plain.example\" already belongs to provider \"plain.example\"",
                      r.stderr)

    def test_include_reload(self):
        self.write("conf.d/a.json", harness.provider("a.example"))
        self.write("conf.d/b.json", {"providers": [harness.provider("b.example"),
                                                   harness.provider("c.example")]})
        self.write("conf.d/skip.txt", "not JSON, not included")
        cfg = {"include": "conf.d/*.json", "providers": [harness.provider("main.example")]}
        with self.daemon(cfg) as d:
            for dom in ("main.example", "a.example", "b.example", "c.example"):
                self.assertEqual(self.status(d, dom), 200, dom)
            self.write("conf.d/e.json", harness.provider("e.example"))
            os.unlink(os.path.join(self.dir, "conf.d", "a.json"))
            d.reload(expect="generation 2")
            self.assertEqual(self.status(d, "e.example"), 200)
            self.assertEqual(self.status(d, "a.example"), 404)
            self.write("conf.d/f.json", '{"name": "F", "domains": ["f.example"],\n'
                       ' "servers": [], "webmial": 1}')
            d.reload(expect="reload of")
            self.assertEqual(self.status(d, "e.example"), 200)
        log = d.log()
        self.assertRegex(log, r"conf\.d/f\.json:2:13: servers: must list at least one server")
        self.assertRegex(log, r'conf\.d/f\.json:2:17: webmial: unknown key "webmial"')

    def test_include_forms_and_errors(self):
        self.write("one.json", harness.provider("one.example"))
        r = self.check({"include": ["one.json", "conf.d/*.json"]})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OK: 1 provider, 1 domain", r.stdout)
        r = self.check({"include": "conf.d/*.json"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("include: must list at least one provider", r.stderr)
        r = self.check({"include": "absent.json", "providers": [harness.provider()]})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"autoconfd\.json:2:14: include: .*absent\.json: "
                         "cannot read: No such file")
        self.write("conf.d/x.json", '{"providers": [\n  {"name": 5}\n]}')
        r = self.check({"include": "conf.d/*.json"})
        self.assertRegex(r.stderr, r"conf\.d/x\.json:2:12: providers\[0\]\.name: "
                         "expected a string, found an integer")
        self.write("conf.d/x.json", '{"providers": [\n  {"name": }\n]}')
        r = self.check({"include": "conf.d/*.json"})
        self.assertRegex(r.stderr, r"conf\.d/x\.json:2:12: unexpected token")
        # Two files with one domain: the later is named, where it is.
        self.write("conf.d/x.json", harness.provider("one.example", id="other.example"))
        r = self.check({"include": ["one.json", "conf.d/*.json"]})
        self.assertRegex(r.stderr, r'conf\.d/x\.json:6:5: domains\[0\]: domain '
                         r'"one\.example" already belongs to provider "one\.example"')

    def test_mx_domain_conflicts(self):
        r = self.check({"providers": [
            harness.provider("a.example", mx_domains=["mx.example"]),
            harness.provider("b.example", mx_domains=["mx.example", "*.x.example"])]})
        self.assertEqual(r.returncode, 1)
        self.assertIn("providers[1].mx_domains[1]: an MX domain is one name", r.stderr)


if __name__ == "__main__":
    harness.main()
