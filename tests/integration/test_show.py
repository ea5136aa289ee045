#!/usr/bin/env python3
"""autoconfd show: what each client family configures for an address,
from the config alone. Each family in the set-ups that set it apart, the
JSON shape of the contract, and agreement with the answers the running
daemon serves (read back by the tests' own client rules, clients.py)."""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

import clients
import harness
from harness import Daemon, provider

CLIENTS = ["thunderbird", "thunderbird-android", "outlook", "apple",
           "evolution", "pacc"]
SERVER_KEYS = ["protocol", "host", "port", "security", "auth", "username"]


def srv(proto, host, port, security, **kw):
    s = {"protocol": proto, "host": host, "port": port, "security": security}
    s.update(kw)
    return s


class Show(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-show-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, config):
        path = os.path.join(self.tmp.name, "autoconfd.json")
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def run_show(self, config, address, *extra):
        path = self.write(config) if isinstance(config, dict) else config
        return subprocess.run([harness.AUTOCONFD, "show", address, "-c", path]
                              + list(extra), capture_output=True, text=True,
                              timeout=30)

    def show(self, config, address="alice@example.com", *extra):
        r = self.run_show(config, address, "--json", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stderr, harness.SANITIZER_REPORT)
        rep = json.loads(r.stdout)
        return rep, {c["client"]: c for c in rep["clients"]}

    def assert_server(self, s, proto, host, port, security, username,
                      auth="password-cleartext"):
        self.assertEqual(s, {"protocol": proto, "host": host, "port": port,
                             "security": security, "auth": auth,
                             "username": username})

    def test_json_shape(self):
        rep, cl = self.show({"providers": [provider(servers=[
            srv("imap", "imap.example.com", 993, "ssl"),
            srv("smtp", "smtp.example.com", 465, "ssl")])]})
        self.assertEqual(list(rep), ["address", "provider", "clients"])
        self.assertEqual(rep["address"], "alice@example.com")
        self.assertEqual(rep["provider"], "example.com")
        self.assertEqual([c["client"] for c in rep["clients"]], CLIENTS)
        for c in rep["clients"]:
            self.assertEqual(list(c), ["client", "outcome", "reason", "url",
                                       "incoming", "outgoing"])
            self.assertEqual(list(c["incoming"]), SERVER_KEYS)
            self.assertIn(c["outcome"], ("works", "fallback", "fails"))
            self.assertTrue(c["reason"])
            self.assertEqual(c["outcome"], "works", c)
            self.assert_server(c["incoming"], "imap", "imap.example.com", 993,
                               "ssl", "alice@example.com")
            self.assert_server(c["outgoing"], "smtp", "smtp.example.com", 465,
                               "ssl", "alice@example.com")
        self.assertEqual(cl["thunderbird"]["url"], "https://autoconfig.example.com"
                         "/mail/config-v1.1.xml?emailaddress=alice%40example.com")
        self.assertEqual(cl["thunderbird-android"]["url"],
                         "https://autoconfig.example.com/mail/config-v1.1.xml")
        self.assertEqual(cl["outlook"]["url"],
                         "https://example.com/autodiscover/autodiscover.xml")
        self.assertEqual(cl["apple"]["url"], "https://autoconfig.example.com/"
                         "email.mobileconfig?emailaddress=alice%40example.com")
        self.assertEqual(cl["pacc"]["url"], "https://ua-auto-config.example.com"
                         "/.well-known/user-agent-configuration.json")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(cl["evolution"]["url"]).query)
        self.assertEqual(q["emailaddress"], ["EVOLUTIONUSER@example.com"])
        self.assertRegex(q["emailmd5"][0], r"^[0-9a-f]{32}$")

    def test_hosts_per_domain(self):
        # A hosting provider's %EMAILDOMAIN%: every client's servers as the
        # daemon answers them for the address's domain.
        p = provider("hoster.example", domains=["hoster.example", "cust.example"],
                     servers=[srv("imap", "imap.%EMAILDOMAIN%", 993, "ssl"),
                              srv("smtp", "smtp.%EMAILDOMAIN%", 465, "ssl")])
        rep, cl = self.show({"providers": [p]}, "bob@cust.example")
        self.assertEqual(rep["provider"], "hoster.example")
        for name in CLIENTS:
            self.assertEqual(cl[name]["outcome"], "works", cl[name])
            self.assert_server(cl[name]["incoming"], "imap", "imap.cust.example",
                               993, "ssl", "bob@cust.example")
            self.assert_server(cl[name]["outgoing"], "smtp", "smtp.cust.example",
                               465, "ssl", "bob@cust.example")

    def test_client_option_and_public_url(self):
        rep, cl = self.show({"public_url": "https://setup.example.net",
                             "providers": [provider()]}, "Alice@Example.COM",
                            "--client", "apple")
        self.assertEqual(list(cl), ["apple"])
        self.assertEqual(rep["address"], "Alice@example.com")
        self.assertEqual(cl["apple"]["url"], "https://setup.example.net/"
                         "email.mobileconfig?emailaddress=Alice%40example.com")
        self.assertEqual(cl["apple"]["incoming"]["username"], "Alice@example.com")

    def test_pop3_only_provider(self):
        p = provider(servers=[srv("pop3", "pop.example.com", 995, "ssl"),
                              srv("smtp", "smtp.example.com", 465, "ssl")],
                     accept_warnings=["no-imap"])
        _, cl = self.show({"providers": [p]})
        an = cl["thunderbird-android"]
        self.assertEqual(an["outcome"], "fails")
        self.assertIn("no IMAP server: it reads IMAP only (the file offers POP3 "
                      "alone)", an["reason"])
        self.assertIsNone(an["incoming"])
        self.assertIsNone(an["outgoing"])
        for name in ("thunderbird", "outlook", "evolution", "apple", "pacc"):
            self.assertEqual(cl[name]["outcome"], "works", cl[name])
            self.assert_server(cl[name]["incoming"], "pop3", "pop.example.com",
                               995, "ssl", "alice@example.com")
        self.assertIn("one incoming and one outgoing", cl["apple"]["reason"])

    def test_plain_server_filtered_out(self):
        p = provider(servers=[srv("imap", "imap.example.com", 143, "plain"),
                              srv("pop3", "pop.example.com", 995, "ssl"),
                              srv("smtp", "smtp.example.com", 465, "ssl")],
                     accept_warnings=["no-imap", "plain-only"])
        _, cl = self.show({"providers": [p]})
        an = cl["thunderbird-android"]
        self.assertEqual(an["outcome"], "fails")
        self.assertIn("imap imap.example.com:143 is plain: no answer names it",
                      an["reason"])
        # The others are given POP3, never the plain IMAP server.
        for name in ("thunderbird", "outlook", "evolution", "apple", "pacc"):
            self.assertEqual(cl[name]["incoming"]["protocol"], "pop3", name)

    def test_plain_only_outgoing(self):
        p = provider(servers=[srv("imap", "imap.example.com", 993, "ssl"),
                              srv("smtp", "smtp.example.com", 25, "plain")],
                     accept_warnings=["plain-only", "port-25"])
        _, cl = self.show({"providers": [p]})
        for name in CLIENTS:
            c = cl[name]
            self.assertEqual(c["outcome"], "fails", c)
            self.assertIsNone(c["outgoing"])
            self.assertIn("smtp smtp.example.com:25 is plain", c["reason"])

    def test_realname_username(self):
        p = provider(servers=[
            srv("imap", "imap.example.com", 993, "ssl", username="%REALNAME%"),
            srv("smtp", "smtp.example.com", 465, "ssl", username="%REALNAME%")],
            accept_warnings=["realname-username"])
        _, cl = self.show({"providers": [p]})
        tb = cl["thunderbird"]
        self.assertEqual(tb["outcome"], "works")
        self.assertEqual(tb["incoming"]["username"], "%REALNAME%")
        self.assertIn("fills %REALNAME% with the name typed in", tb["reason"])
        an = cl["thunderbird-android"]
        self.assertEqual(an["outcome"], "fails")
        self.assertIn('logs in with "%REALNAME%" literally', an["reason"])
        ol = cl["outlook"]
        self.assertEqual(ol["outcome"], "fallback")
        self.assertIn("no LoginName for imap.example.com: Outlook asks for it",
                      ol["reason"])
        self.assertEqual(ol["incoming"]["username"], "")
        ap = cl["apple"]
        self.assertEqual(ap["outcome"], "fallback")
        self.assertIn("carries no username: the device asks", ap["reason"])
        pc = cl["pacc"]
        self.assertEqual(pc["outcome"], "fallback")
        self.assertIn("the imap login is %REALNAME%, not the address", pc["reason"])

    def test_localpart_username(self):
        p = provider(servers=[
            srv("imap", "imap.example.com", 993, "ssl", username="%EMAILLOCALPART%"),
            srv("smtp", "smtp.example.com", 465, "ssl", username="%EMAILLOCALPART%")])
        _, cl = self.show({"providers": [p]})
        for name in ("thunderbird", "thunderbird-android", "outlook", "apple",
                     "evolution"):
            self.assertEqual(cl[name]["incoming"]["username"], "alice", name)
            self.assertEqual(cl[name]["outcome"], "works", name)
        self.assertEqual(cl["pacc"]["outcome"], "fallback")
        self.assertEqual(cl["pacc"]["incoming"]["username"], "alice@example.com")

    def test_evolution_keeps_the_last_server(self):
        p = provider(servers=[
            srv("imap", "imap.example.com", 993, "ssl",
                auth=["password-cleartext", "password-encrypted"]),
            srv("imap", "imap.example.com", 143, "starttls"),
            srv("smtp", "smtp.example.com", 465, "ssl")])
        _, cl = self.show({"providers": [p]})
        ev = cl["evolution"]
        self.assertEqual(ev["outcome"], "fallback")
        self.assert_server(ev["incoming"], "imap", "imap.example.com", 143,
                           "starttls", "alice@example.com")
        self.assertIn("Evolution keeps the last imap server listed "
                      "(imap imap.example.com:143 starttls), not the first",
                      ev["reason"])
        self.assertIn("KMail logs in to imap.example.com with password-encrypted",
                      ev["reason"])
        # Thunderbird takes the first.
        self.assertEqual(cl["thunderbird"]["incoming"]["port"], 993)
        self.assertEqual(cl["thunderbird"]["outcome"], "works")

    def test_pacc_implicit_tls_only(self):
        p = provider(servers=[srv("imap", "imap.example.com", 143, "starttls"),
                              srv("smtp", "smtp.example.com", 587, "starttls")])
        _, cl = self.show({"providers": [p]})
        pc = cl["pacc"]
        self.assertEqual(pc["outcome"], "fails")
        self.assertIn("no IMAP or POP3 in the document", pc["reason"])
        self.assertIn("imap imap.example.com:143 starttls is left out: PACC names "
                      "only implicit TLS on 993, 995 and 465", pc["reason"])
        self.assertEqual(cl["thunderbird"]["outcome"], "works")
        # Apple: STARTTLS is UseSSL too.
        self.assert_server(cl["apple"]["incoming"], "imap", "imap.example.com",
                           143, "starttls", "alice@example.com")

    def test_signed_profile(self):
        # The config names the files; show does not read them.
        _, cl = self.show({"providers": [provider()],
                           "signing": {"certificate": "/nonexistent/s.crt",
                                       "key": "/nonexistent/s.key"}})
        self.assertIn("signed", cl["apple"]["reason"])
        self.assertNotIn("Not Verified", cl["apple"]["reason"])
        _, cl = self.show({"providers": [provider()]})
        self.assertIn('unsigned: shown as "Not Verified"', cl["apple"]["reason"])

    def test_text_output(self):
        r = self.run_show({"providers": [provider()]}, "alice@example.com")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("alice@example.com: provider example.com\n"))
        self.assertIn("\nthunderbird (Thunderbird): works\n"
                      "    fetches   https://autoconfig.example.com/mail/"
                      "config-v1.1.xml?emailaddress=alice%40example.com\n"
                      "    incoming  imap imap.example.com:993 ssl, "
                      "password-cleartext, username alice@example.com\n"
                      "    outgoing  smtp smtp.example.com:587 starttls, "
                      "password-cleartext, username alice@example.com\n"
                      "    why       ", r.stdout)
        for name in CLIENTS:
            self.assertRegex(r.stdout, r"(?m)^%s \(.*\): (works|fallback|fails)$" % name)

    def test_errors(self):
        cfg = {"providers": [provider()]}
        r = self.run_show(cfg, "alice@unknown.example")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no provider in", r.stderr)
        self.assertIn("serves unknown.example", r.stderr)
        r = self.run_show(cfg, "not-an-address")
        self.assertEqual(r.returncode, 1)
        self.assertIn('show: "not-an-address": ', r.stderr)
        r = self.run_show(cfg, "alice@example.com", "--client", "mutt")
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown client "mutt"; the clients are: thunderbird, '
                      'thunderbird-android, outlook, apple, evolution, pacc',
                      r.stderr)
        r = self.run_show(os.path.join(self.tmp.name, "missing.json"),
                          "alice@example.com")
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.json", r.stderr)
        r = subprocess.run([harness.AUTOCONFD, "show"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("usage: autoconfd show ADDRESS", r.stderr)

    def test_agrees_with_the_served_answers(self):
        """What show says Thunderbird and Android take is what the tests'
        own reading of the daemon's answer gives (clients.py)."""
        p = provider(servers=[
            srv("imap", "imap.example.com", 993, "ssl"),
            srv("imap", "imap.example.com", 143, "starttls"),
            srv("pop3", "pop.example.com", 995, "ssl", username="%EMAILLOCALPART%"),
            srv("smtp", "smtp.example.com", 587, "starttls"),
            srv("smtp", "smtp.example.com", 465, "ssl")])
        cfg = {"providers": [p]}
        _, cl = self.show(cfg)
        with Daemon(cfg) as d:
            st, hdr, body = d.get("/mail/config-v1.1.xml?emailaddress=alice%40example.com")
            self.assertEqual(st, 200)
        tb = clients.thunderbird_read(body)
        first_in, first_out = tb["incoming"][0], tb["outgoing"][0]
        got = cl["thunderbird"]
        self.assertEqual((got["incoming"]["protocol"], got["incoming"]["host"],
                          got["incoming"]["port"]),
                         (first_in["type"], first_in["hostname"], first_in["port"]))
        self.assertEqual(got["incoming"]["security"],
                         {"SSL": "ssl", "STARTTLS": "starttls"}[first_in["socketType"]])
        self.assertEqual((got["outgoing"]["host"], got["outgoing"]["port"]),
                         (first_out["hostname"], first_out["port"]))
        self.assertEqual(clients.k9_problems(body), [])
        self.assertEqual(cl["thunderbird-android"]["outcome"], "works")
        # Evolution: the last of each protocol.
        imaps = [s for s in tb["incoming"] if s["type"] == "imap"]
        self.assertEqual(cl["evolution"]["incoming"]["port"], imaps[-1]["port"])
        self.assertEqual(cl["evolution"]["outgoing"]["port"],
                         tb["outgoing"][-1]["port"])


if __name__ == "__main__":
    harness.main()
