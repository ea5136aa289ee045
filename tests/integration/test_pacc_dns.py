#!/usr/bin/env python3
"""PACC JSON served by the real daemon, and the DNS records "autoconfd dns"
prints for it: the TXT digest must match the bytes served."""
import base64
import hashlib
import json
import os
import re
import subprocess
import unittest

import harness
from harness import Daemon, provider

PATHS = ["/.well-known/user-agent-configuration.json",
         "/.well-known/user-agent-configuration"]


def example(name):
    with open(os.path.join(harness.TOP, "conf", "examples", name)) as f:
        return json.load(f)


def dns(path, domain, *extra):
    return subprocess.run([harness.AUTOCONFD, "dns", domain, "-c", path] + list(extra),
                          capture_output=True, timeout=10, text=True)


def records(text):
    """Zone lines (not comments) as (name, ttl, class, type, rdata) tuples."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        name, ttl, cls, typ, rdata = line.split("\t")
        out.append((name, ttl, cls, typ, rdata))
    return out


class Pacc(unittest.TestCase):
    def test_many_ports_example(self):
        with Daemon(example("many-ports.json")) as d:
            for path in PATHS:
                st, h, body = d.get(path, host="ua-auto-config.bigmail.example")
                self.assertEqual(st, 200, body)
                self.assertEqual(h["content-type"], "application/json")
                self.assertEqual(json.loads(body), {
                    "protocols": {"imap": {"host": "imap.bigmail.example"},
                                  "pop3": {"host": "pop.bigmail.example"},
                                  # 587 STARTTLS is preferred, but PACC only
                                  # knows implicit TLS on 465.
                                  "smtp": {"host": "smtp.bigmail.example"}},
                    "authentication": {"password": True},
                    "info": {"provider": {"name": "BigMail", "shortName": "BigMail"},
                             "help": {"documentation":
                                      "https://help.bigmail.example/mail/settings"}}})

    def test_only_implicit_tls_on_standard_ports(self):
        cfg = {"providers": [provider("example.com", servers=[
            {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "starttls"},
            {"protocol": "imap", "host": "imap2.example.com", "port": 1993, "security": "ssl"},
            {"protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "ssl",
             "auth": ["OAuth2", "password-cleartext"]},
            {"protocol": "smtp", "host": "smtp.example.com", "port": 587, "security": "starttls"},
        ], jmap="https://jmap.example.com/session", caldav="https://dav.example.com/cal/",
            carddav="http://dav.example.com/card/",
            oauth2={"issuer": "https://login.example.com"})]}
        with Daemon(cfg) as d:
            st, _, body = d.get(PATHS[0], host="example.com")
            self.assertEqual(st, 200)
            doc = json.loads(body)
            self.assertEqual(doc["protocols"], {
                "pop3": {"host": "pop.example.com"},
                "jmap": {"url": "https://jmap.example.com/session"},
                "caldav": {"url": "https://dav.example.com/cal/"}})
            self.assertEqual(doc["authentication"], {
                "password": True, "oauth-public": {"issuer": "https://login.example.com"}})
            self.assertEqual(doc["info"], {"provider": {"name": "Example Mail",
                                                        "shortName": "Example"}})

    def test_names_are_escaped(self):
        name = 'A<b>&"c\\d\' é'
        cfg = {"providers": [provider("example.com", name=name, short_name='"<&>"')]}
        with Daemon(cfg) as d:
            st, _, body = d.get(PATHS[0], host="ua-auto-config.example.com")
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body)["info"]["provider"],
                             {"name": name, "shortName": '"<&>"'})

    def test_lookup_and_errors(self):
        cfg = {"providers": [provider("example.com"), provider("other.org", name="Other")]}
        with Daemon(cfg) as d:
            st, _, body = d.get(PATHS[1], host="ua-auto-config.other.org:443")
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body)["info"]["provider"]["name"], "Other")
            for host in ("ua-auto-config.unknown.example", "127.0.0.1", "a<b>.example",
                         "x&y", '"q"', ""):
                with self.subTest(host=host):
                    st, h, body = d.get(PATHS[0], host=host)
                    self.assertEqual(st, 404)
                    self.assertTrue(h["content-type"].startswith("text/plain"))
            st, h, _ = d.request("POST", PATHS[0], body=b"", host="example.com")
            self.assertEqual(st, 405)
            self.assertEqual(h["allow"], "GET, HEAD")
            st, h, body = d.request("HEAD", PATHS[0], host="example.com")
            self.assertEqual((st, body), (200, b""))
            self.assertEqual(int(h["content-length"]),
                             len(d.get(PATHS[0], host="example.com")[2]))
            self.assertTrue(d.alive())

    def test_byte_identical_across_requests_and_restarts(self):
        cfg = example("one-host.json")
        with Daemon(cfg) as d:
            a = d.get(PATHS[0], host="ua-auto-config.mail-one.example")[2]
            b = d.get(PATHS[1], host="mail-one.example.org")[2]
            d.reload(cfg, expect="generation 2")
            c = d.get(PATHS[0], host="ua-auto-config.mail-one.example")[2]
        with Daemon(cfg) as d:
            e = d.get(PATHS[0], host="ua-auto-config.mail-one.example")[2]
        self.assertEqual(a, b)
        self.assertEqual(a, c)
        self.assertEqual(a, e)


class DnsVerb(unittest.TestCase):
    def test_txt_digest_matches_served_body(self):
        for name, domain in (("many-ports.json", "bigmail.example"),
                             ("one-host.json", "mail-one.example.org"),
                             ("many-ports.json", "shop.customers.bigmail.example")):
            with self.subTest(config=name, domain=domain), Daemon(example(name)) as d:
                st, _, body = d.get(PATHS[0], host="ua-auto-config." + domain)
                self.assertEqual(st, 200)
                r = dns(d.path, domain)
                self.assertEqual(r.returncode, 0, r.stderr)
                txt = [x for x in records(r.stdout) if x[3] == "TXT"]
                self.assertEqual(txt, [("_ua-auto-config.%s." % domain, "3600", "IN", "TXT",
                                        '"v=UAAC1; a=sha256; d=%s"' % base64.b64encode(
                                            hashlib.sha256(body).digest()).decode())])

    def test_many_ports_records(self):
        with Daemon(example("many-ports.json")) as d:
            r = dns(d.path, "BigMail.Example.")
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = [x for x in records(r.stdout) if x[3] != "TXT"]
        self.assertEqual([(n, t, v) for n, _, _, t, v in recs], [
            ("autodiscover.bigmail.example.", "CNAME", "autoconfig.bigmail.example."),
            ("_imaps._tcp.bigmail.example.", "SRV", "0 1 993 imap.bigmail.example."),
            ("_imap._tcp.bigmail.example.", "SRV", "1 1 143 imap.bigmail.example."),
            ("_pop3s._tcp.bigmail.example.", "SRV", "0 1 995 pop.bigmail.example."),
            ("_pop3._tcp.bigmail.example.", "SRV", "1 1 110 pop.bigmail.example."),
            ("_submission._tcp.bigmail.example.", "SRV", "0 1 587 smtp.bigmail.example."),
            ("_submissions._tcp.bigmail.example.", "SRV", "1 1 465 smtp.bigmail.example."),
            ("_autodiscover._tcp.bigmail.example.", "SRV", "0 0 443 autoconfig.bigmail.example."),
            ("ua-auto-config.bigmail.example.", "CNAME", "autoconfig.bigmail.example."),
        ])
        # The public_url host is autoconfig.bigmail.example itself: no CNAME
        # to itself, a comment says what to do instead.
        self.assertIn("; autoconfig.bigmail.example. is the public_url host itself", r.stdout)
        self.assertNotIn("25 smtp", r.stdout)

    def test_managesieve_record(self):
        with Daemon(example("groupware.json")) as d:
            r = dns(d.path, "team.groupware.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        srv = [(n, v) for n, _, _, t, v in records(r.stdout) if t == "SRV"]
        self.assertEqual(srv[:7], [
            ("_imaps._tcp.team.groupware.example.", "0 1 993 mail.groupware.example."),
            ("_imap._tcp.team.groupware.example.", "0 0 0 ."),
            ("_pop3s._tcp.team.groupware.example.", "0 0 0 ."),
            ("_pop3._tcp.team.groupware.example.", "0 0 0 ."),
            ("_submissions._tcp.team.groupware.example.", "0 1 465 mail.groupware.example."),
            ("_submission._tcp.team.groupware.example.", "1 1 587 mail.groupware.example."),
            # RFC 5804: STARTTLS only, so one label; none when not offered.
            ("_sieve._tcp.team.groupware.example.", "0 1 4190 mail.groupware.example."),
        ])
        with Daemon(example("one-host.json")) as d:
            self.assertNotIn("_sieve", dns(d.path, "mail-one.example").stdout)

    def test_not_offered_and_unknown_host(self):
        cfg = {"public_url": "https://setup.hoster.example:8443/base",
               "providers": [provider("example.com", servers=[
                   {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "starttls"},
                   {"protocol": "smtp", "host": "smtp.example.com", "port": 25, "security": "plain"},
               ])]}
        with Daemon(cfg) as d:
            r = dns(d.path, "example.com")
            self.assertEqual(r.returncode, 0, r.stderr)
            recs = {(n, v) for n, _, _, t, v in records(r.stdout) if t == "SRV"}
            self.assertEqual(recs, {
                ("_imaps._tcp.example.com.", "0 0 0 ."),
                ("_imap._tcp.example.com.", "0 1 143 imap.example.com."),
                ("_pop3s._tcp.example.com.", "0 0 0 ."),
                ("_pop3._tcp.example.com.", "0 0 0 ."),
                ("_submissions._tcp.example.com.", "0 0 0 ."),
                ("_submission._tcp.example.com.", "0 0 0 ."),
                ("_autodiscover._tcp.example.com.", "0 0 8443 setup.hoster.example."),
            })
            self.assertIn("autoconfig.example.com.\t3600\tIN\tCNAME\tsetup.hoster.example.\n",
                          r.stdout)
            self.assertIn("; warning: no IMAP on 993 or POP3 on 995", r.stdout)
            d.write_config({"providers": cfg["providers"]})
            r = dns(d.path, "example.com")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("CNAME", "".join(v[3] for v in records(r.stdout)))
            self.assertIn("; autoconfig.example.com.\t3600\tIN\tCNAME\t<this server>.", r.stdout)

    def test_internationalised_names_explained(self):
        """Zone files hold A-labels: each one the records name gets a
        comment with the form people know, once, and the digest still
        matches what ua-auto-config.<A-label> serves."""
        cfg = {"public_url": "https://setup.b\u00fccher.example",
               "providers": [provider("b\u00fccher.example", servers=[
                   {"protocol": "imap", "host": "mail.b\u00fccher.example", "port": 993,
                    "security": "ssl"},
                   {"protocol": "smtp", "host": "mail.b\u00fccher.example", "port": 465,
                    "security": "ssl"},
                   {"protocol": "smtp", "host": "smtp.example.net", "port": 587,
                    "security": "starttls"}])]}
        with Daemon(cfg) as d:
            r = dns(d.path, "B\u00dcCHER.example")
            self.assertEqual(r.returncode, 0, r.stderr)
            st, _, body = d.get(PATHS[0], host="ua-auto-config.xn--bcher-kva.example")
            self.assertEqual(st, 200)
        comments = [l for l in r.stdout.splitlines() if l.startswith("; ") and " is " in l
                    and "IDNA" in l]
        self.assertEqual(comments, [
            "; xn--bcher-kva.example is b\u00fccher.example, written as DNS holds it "
            "(IDNA A-labels)",
            "; setup.xn--bcher-kva.example is setup.b\u00fccher.example, written as DNS "
            "holds it (IDNA A-labels)",
            "; mail.xn--bcher-kva.example is mail.b\u00fccher.example, written as DNS "
            "holds it (IDNA A-labels)"])
        recs = records(r.stdout)
        self.assertTrue(all(all(ord(ch) < 128 for ch in "".join(x)) for x in recs), recs)
        self.assertIn(("_imaps._tcp.xn--bcher-kva.example.", "3600", "IN", "SRV",
                       "0 1 993 mail.xn--bcher-kva.example."), recs)
        self.assertIn(("_ua-auto-config.xn--bcher-kva.example.", "3600", "IN", "TXT",
                       '"v=UAAC1; a=sha256; d=%s"' % base64.b64encode(
                           hashlib.sha256(body).digest()).decode()), recs)
        # Nothing here needed a \DDD escape, so nothing explains one.
        self.assertNotIn("\\", r.stdout)

    def test_errors(self):
        with Daemon({"providers": [provider("example.com")]}) as d:
            r = dns(d.path, "unknown.example")
            self.assertEqual(r.returncode, 1)
            self.assertIn("no provider in %s serves unknown.example" % d.path, r.stderr)
            self.assertEqual(r.stdout, "")
            r = dns(d.path, "exa mple.com")
            self.assertEqual(r.returncode, 1)
            self.assertIn('dns: "exa mple.com": invalid character in domain', r.stderr)
            r = subprocess.run([harness.AUTOCONFD, "dns", "-c", d.path],
                               capture_output=True, timeout=10, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("usage: autoconfd dns DOMAIN", r.stderr)
            d.write_config('{"providers": 1}')
            r = dns(d.path, "example.com")
            self.assertEqual(r.returncode, 1)
            self.assertIn("autoconfd.json:1:15: providers: expected an array", r.stderr)


if __name__ == "__main__":
    harness.main()
