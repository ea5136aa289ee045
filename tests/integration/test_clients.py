#!/usr/bin/env python3
"""Every example config, every answer, every client: each conf/examples/
file is served by the real daemon and every answer it gives is put
through the models of the clients that read it (clients.py: Thunderbird,
Thunderbird for Android, Outlook, Thunderbird's Exchange setup, Apple),
the draft-06 RELAX NG schema (xmllint) and exchangelib's own parser, and
read back element by element against the config."""
import glob
import json
import os
import plistlib
import re
import subprocess
import tempfile
import unittest
import urllib.parse

import harness
from harness import Daemon
from clients import (AD_MOBILESYNC, apple_mail_problems, exchangelib_read,
                     k9_problems, outlook_problems, parse_autoconfig,
                     parse_outlook, relaxng_problems, thunderbird_flaws,
                     thunderbird_from_outlook, thunderbird_problems,
                     thunderbird_read)
from test_autodiscover import EAS_REQ, request_body

AC = "/mail/config-v1.1.xml?emailaddress="
POX = "/autodiscover/autodiscover.xml"
SOCK = {"ssl": "SSL", "starttls": "STARTTLS"}
EXAMPLES = sorted(glob.glob(os.path.join(harness.TOP, "conf", "examples", "*.json")))


def load(path):
    with open(path) as f:
        return json.load(f)


def servers(prov):
    """The provider's servers with the defaults of the config format."""
    out = []
    for s in prov["servers"]:
        s = dict(s)
        if s["protocol"] == "managesieve":
            s.setdefault("port", 4190)
            s.setdefault("security", "starttls")
        s.setdefault("auth", ["password-cleartext"])
        s.setdefault("username", "%EMAILADDRESS%")
        out.append(s)
    return out


def advertised(prov, *protocols):
    return [s for s in servers(prov)
            if s["protocol"] in protocols and s["security"] != "plain"]


def addresses(prov):
    """An address for every domain (a name under each wildcard), and one
    with characters that need escaping in XML."""
    out = []
    for d in prov["domains"]:
        out.append("alice@" + (d.replace("*.", "shop.", 1)))
    out.append("o'neil&co@" + prov["domains"][0].replace("*.", "x.", 1))
    return out


def expand(template, address):
    """A username for an address, None when it needs %REALNAME%."""
    if "%REALNAME%" in template:
        return None
    local, domain = address.rsplit("@", 1)
    return (template.replace("%EMAILADDRESS%", address)
            .replace("%EMAILLOCALPART%", local).replace("%EMAILDOMAIN%", domain))


def account_user(prov):
    inc = advertised(prov, "imap", "pop3")
    return inc[0]["username"] if inc else "%EMAILADDRESS%"


def http_auth(prov):
    """The methods of a URL entry, as docs/clients.md says: the account
    login's methods that HTTP carries, a password as password-cleartext,
    which closes the list."""
    inc = advertised(prov, "imap", "pop3")
    out = []
    for a in inc[0]["auth"] if inc else []:
        if a in ("OAuth2", "NTLM", "GSSAPI"):
            out.append(a)
        elif a in ("password-cleartext", "password-encrypted") and \
                "password-cleartext" not in out:
            out.append("password-cleartext")
    if "password-cleartext" not in out:
        out.append("password-cleartext")
    return out


def url_entries(prov):
    """(type, url) of the draft-06 URL-based incoming servers, in order."""
    out = []
    https = lambda u: u if u and u.startswith("https://") else None
    if https(prov.get("ews")):
        out.append(("ews", prov["ews"]))
        web = https(prov.get("webmail"))
        if web and urllib.parse.urlsplit(web).path.lower() in ("/owa", "/owa/"):
            out.append(("owa", web))
    for t in ("jmap", "activesync"):
        if https(prov.get(t)):
            out.append((t, prov[t]))
    return out


def check_warnings(path, accepted_removed=False):
    """autoconfd -t on the file (with every provider's accept_warnings
    dropped when asked): (exit status, stdout, stderr)."""
    if accepted_removed:
        cfg = load(path)
        for p in cfg["providers"]:
            p.pop("accept_warnings", None)
        tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(cfg, tmp, indent=2)
        tmp.close()
        path = tmp.name
    try:
        r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                           capture_output=True, text=True, timeout=30)
    finally:
        if accepted_removed:
            os.unlink(path)
    return r.returncode, r.stdout, r.stderr


class Examples(unittest.TestCase):
    """Each example: every answer for every address, through every check."""

    def each(self, fn):
        self.assertGreaterEqual(len(EXAMPLES), 3)
        for path in EXAMPLES:
            cfg = load(path)
            with Daemon(cfg) as d:
                for prov in cfg["providers"]:
                    for addr in addresses(prov):
                        with self.subTest(example=os.path.basename(path), address=addr):
                            fn(d, cfg, prov, addr)

    def test_check_is_silent(self):
        for path in EXAMPLES:
            with self.subTest(example=os.path.basename(path)):
                cfg = load(path)
                rc, out, err = check_warnings(path)
                self.assertEqual((rc, err), (0, ""))
                n = sum(len(p["domains"]) for p in cfg["providers"])
                self.assertEqual(out, "%s: OK: %d provider%s, %d domain%s, 0 warnings\n" % (
                    path, len(cfg["providers"]), "" if len(cfg["providers"]) == 1 else "s",
                    n, "" if n == 1 else "s"))

    def test_autoconfig(self):
        def check(d, cfg, prov, addr):
            st, h, body = d.get(AC + urllib.parse.quote(addr))
            self.assertEqual(st, 200, body)
            self.assertEqual(thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(k9_problems(body), [])
            self.assertEqual(relaxng_problems(body), [])
            self.assertEqual(thunderbird_flaws(body), [])
            doc = parse_autoconfig(body)
            served = [(s["kind"], s["type"], s["url"], s["hostname"], s["port"],
                       s["socketType"], s["username"], s["auth"]) for s in doc["servers"]]
            want = [("incomingServer", s["protocol"], None, s["host"], s["port"],
                     SOCK[s["security"]], s["username"], s["auth"])
                    for s in advertised(prov, "imap", "pop3")]
            want += [("incomingServer", t, u, None, None, None, account_user(prov),
                      http_auth(prov)) for t, u in url_entries(prov)]
            want += [("outgoingServer", "smtp", None, s["host"], s["port"],
                      SOCK[s["security"]], s["username"], s["auth"])
                     for s in advertised(prov, "smtp")]
            self.assertEqual(served, want)
            self.assertEqual(
                [(s["type"], s["hostname"], s["port"], s["socketType"], s["username"], s["auth"])
                 for s in doc["sections"] if s["kind"] == "setupServer"],
                [("managesieve", s["host"], s["port"], SOCK[s["security"]], s["username"],
                  s["auth"]) for s in advertised(prov, "managesieve")])
            # Thunderbird: the first IMAP (else POP3) server is the account;
            # the ews and owa entries are alternatives it reads from the URL.
            tb = thunderbird_read(body)
            first = advertised(prov, "imap", "pop3")[0]
            self.assertEqual((tb["incoming"][0]["type"], tb["incoming"][0]["hostname"],
                              tb["incoming"][0]["port"]),
                             (first["protocol"], first["host"], first["port"]))
            urls = [(t, urllib.parse.urlsplit(u).hostname, 443, "SSL")
                    for t, u in url_entries(prov) if t in ("ews", "owa")]
            self.assertEqual([(s["type"], s["hostname"], s["port"], s["socketType"])
                              for s in tb["incoming"] if s["type"] in ("ews", "owa")], urls)
            self.assertEqual(sorted(t for t, _ in tb["skipped"]),
                             sorted(t for t, _ in url_entries(prov)
                                    if t in ("jmap", "activesync")))
        self.each(check)

    def test_outlook_pox(self):
        answers, want = [], []

        def check(d, cfg, prov, addr):
            xml_addr = addr.replace("&", "&amp;").replace("'", "&apos;")
            st, h, body = d.request("POST", POX, body=request_body(xml_addr))
            self.assertEqual(st, 200, body)
            self.assertEqual(outlook_problems(h["content-type"], body), [])
            doc = parse_outlook(body)
            self.assertEqual(doc["children"], ["User", "Account"])
            self.assertEqual(doc["User"], [("AutoDiscoverSMTPAddress", addr)])
            order = advertised(prov, "imap", "pop3") + advertised(prov, "smtp")
            answers.append(body)
            want.append({
                "user": {"display_name": None, "autodiscover_smtp_address": addr},
                "autodiscover_smtp_address": addr,
                "account_type": "email", "action": "settings",
                "protocols": [{
                    "type": s["protocol"].upper(), "server": s["host"], "port": s["port"],
                    "ssl": True, "login_name": expand(s["username"], addr), "spa": False,
                    "auth_required": True, "domain_required": False} for s in order]})
        self.each(check)
        # One run of exchangelib for all of them.
        self.assertEqual(exchangelib_read(answers), want)

    def test_thunderbird_exchange_setup(self):
        """Thunderbird's Exchange setup configures every server as the config
        says, but the ones autoconfd -t warns about by name."""
        for path in EXAMPLES:
            cfg = load(path)
            _, _, err = check_warnings(path, accepted_removed=True)
            named = set()
            for m in re.finditer(r"providers\[(\d+)\]\.servers\[(\d+)\]: .* "
                                 r"\[(starttls-port|ssl-port)\]$", err, re.M):
                named.add((int(m.group(1)), int(m.group(2))))
            with Daemon(cfg) as d:
                for pi, prov in enumerate(cfg["providers"]):
                    addr = addresses(prov)[0]
                    with self.subTest(example=os.path.basename(path), address=addr):
                        st, _, body = d.request("POST", POX, body=request_body(addr))
                        self.assertEqual(st, 200)
                        order = [(i, s) for i, s in enumerate(servers(prov))
                                 if s["protocol"] in ("imap", "pop3") and s["security"] != "plain"]
                        order += [(i, s) for i, s in enumerate(servers(prov))
                                  if s["protocol"] == "smtp" and s["security"] != "plain"]
                        got = thunderbird_from_outlook(body)
                        self.assertEqual(len(got), len(order))
                        differ = set()
                        for (i, s), g in zip(order, got):
                            self.assertEqual(g[:3], (s["protocol"], s["host"], s["port"]))
                            self.assertEqual(g[4], expand(s.get("username", "%EMAILADDRESS%"),
                                                          addr))
                            if g[3] != SOCK[s["security"]]:
                                differ.add((pi, i))
                        self.assertEqual(differ, {n for n in named if n[0] == pi})
        # many-ports.json's POP3 STARTTLS on 110 is such a server.
        self.assertIn("many-ports.json", " ".join(EXAMPLES))

    def test_activesync_and_v2(self):
        def check(d, cfg, prov, addr):
            st, _, body = d.request("POST", POX, body=request_body(
                addr.replace("&", "&amp;"), AD_MOBILESYNC, EAS_REQ))
            self.assertEqual(st, 200)
            if "activesync" in prov:
                self.assertIn(b"<Url>%s</Url>" % prov["activesync"].encode(), body)
            else:
                self.assertIn(b"<ErrorCode>601</ErrorCode>", body)
            st, _, body = d.get("/autodiscover/autodiscover.json/v1.0/%s?Protocol=AutodiscoverV1"
                                % urllib.parse.quote(addr))
            self.assertEqual((st, json.loads(body)), (200, {
                "Protocol": "AutodiscoverV1", "Url": cfg["public_url"] + POX}))
            st, _, body = d.get("/autodiscover/autodiscover.json/v1.0/%s?Protocol=ActiveSync"
                                % urllib.parse.quote(addr))
            if "activesync" in prov:
                self.assertEqual((st, json.loads(body)),
                                 (200, {"Protocol": "ActiveSync", "Url": prov["activesync"]}))
            else:
                self.assertEqual(st, 400)
        self.each(check)

    def test_apple_profile(self):
        def check(d, cfg, prov, addr):
            st, _, body = d.get("/email.mobileconfig?emailaddress=" + urllib.parse.quote(addr))
            self.assertEqual(st, 200, body)
            prof = plistlib.loads(body)
            mail = prof["PayloadContent"][0]
            self.assertEqual(apple_mail_problems(mail), [])
            inc = (advertised(prov, "imap") or advertised(prov, "pop3"))[0]
            out = advertised(prov, "smtp")[0]
            self.assertEqual((mail["IncomingMailServerHostName"],
                              mail["IncomingMailServerPortNumber"],
                              mail["OutgoingMailServerHostName"],
                              mail["OutgoingMailServerPortNumber"], mail["EmailAddress"]),
                             (inc["host"], inc["port"], out["host"], out["port"], addr))
            kinds = [p["PayloadType"] for p in prof["PayloadContent"]]
            self.assertEqual(kinds, ["com.apple.mail.managed"] +
                             (["com.apple.caldav.account"] if "caldav" in prov else []) +
                             (["com.apple.carddav.account"] if "carddav" in prov else []))
        self.each(check)

    def test_pacc_and_settings(self):
        def check(d, cfg, prov, addr):
            domain = addr.rsplit("@", 1)[1]
            st, _, body = d.get("/.well-known/user-agent-configuration.json",
                                host="ua-auto-config." + domain)
            self.assertEqual(st, 200)
            protos = json.loads(body)["protocols"]
            self.assertNotIn("managesieve", protos)
            if prov.get("jmap", "").startswith("https://"):
                self.assertEqual(protos["jmap"], {"url": prov["jmap"]})
            st, _, body = d.get("/settings?emailaddress=" + urllib.parse.quote(addr),
                                headers={"Accept": "*/*"})
            self.assertEqual(st, 200)
            text = body.decode()
            for s in servers(prov):
                self.assertIn("Server:          %s\n  Port:            %d\n"
                              % (s["host"], s["port"]), text)
            if "ews" in prov:
                self.assertIn("Exchange (EWS):    %s\n" % prov["ews"], text)
        self.each(check)


class Check(unittest.TestCase):
    """autoconfd -t: errors before warnings, each warning named with the
    client it affects, accept_warnings, counts in words."""

    def check(self, cfg):
        with tempfile.TemporaryDirectory(prefix="autoconfd-check-") as d:
            path = os.path.join(d, "c.json")
            with open(path, "w") as f:
                f.write(json.dumps(cfg, indent=1))
            r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                               capture_output=True, text=True, timeout=30)
            return r.returncode, r.stdout.replace(path, "C"), r.stderr.replace(path, "C")

    DOUBTFUL = harness.provider("example.com", servers=[
        {"protocol": "pop3", "host": "pop.example.com", "port": 110, "security": "starttls",
         "username": "%REALNAME%"},
        {"protocol": "imap", "host": "192.0.2.1", "port": 143, "security": "plain"},
        {"protocol": "smtp", "host": "smtp.example.com", "port": 587, "security": "starttls"}])

    def test_each_warning_named_with_the_client(self):
        rc, out, err = self.check({"providers": [self.DOUBTFUL]})
        self.assertEqual(rc, 0, err)
        lines = err.splitlines()
        names = [re.search(r" \[([a-z0-9-]+)\]$", l).group(1) for l in lines]
        self.assertEqual(names, ["starttls-port", "realname-username", "ip-host",
                                 "plain-only", "no-imap"])
        for name, client in zip(names, ("Thunderbird's Exchange (Autodiscover) setup",
                                        "Thunderbird for Android", "TLS certificate",
                                        "no client", "Thunderbird for Android")):
            self.assertIn(client, lines[names.index(name)])
        self.assertTrue(lines[0].startswith("C:"), lines[0])
        self.assertIn(": warning: providers[0].servers[0]: STARTTLS on port 110", lines[0])
        self.assertEqual(out, "C: OK: 1 provider, 1 domain, 5 warnings\n")

    def test_accept_warnings_silences_by_name(self):
        p = dict(self.DOUBTFUL, accept_warnings=["no-imap", "ip-host", "plain-only",
                                                 "starttls-port", "realname-username"])
        rc, out, err = self.check({"providers": [p]})
        self.assertEqual((rc, err, out), (0, "", "C: OK: 1 provider, 1 domain, 0 warnings\n"))
        # Only the provider that accepts them; the count is in words.
        p = dict(self.DOUBTFUL, accept_warnings=["no-imap", "ip-host", "plain-only",
                                                 "starttls-port"])
        other = harness.provider("other.example", domains=["other.example", "other.test"])
        rc, out, err = self.check({"providers": [p, other]})
        self.assertEqual(rc, 0, err)
        self.assertEqual([l.rsplit(" ", 1)[1] for l in err.splitlines()], ["[realname-username]"])
        self.assertEqual(out, "C: OK: 2 providers, 3 domains, 1 warning\n")

    def test_unknown_names_are_errors_printed_before_warnings(self):
        p = dict(self.DOUBTFUL, accept_warnings=["no-imap", "starttls_port"])
        rc, out, err = self.check({"providers": [p]})
        self.assertEqual((rc, out), (1, ""))
        lines = err.splitlines()
        self.assertRegex(lines[0], r'^C:\d+:\d+: providers\[0\]\.accept_warnings\[1\]: '
                         r'unknown value "starttls_port"; expected one of "http-url", ')
        self.assertIn('"starttls-port"', lines[0])
        self.assertTrue(all(" warning: " in l for l in lines[1:]), err)
        # The name it did accept stays silent.
        self.assertEqual(len(lines), 1 + 4)
        self.assertNotIn("[no-imap]", err)


if __name__ == "__main__":
    harness.main()
