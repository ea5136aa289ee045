#!/usr/bin/env python3
"""Thunderbird autoconfig served by the real daemon, end to end."""
import json
import os
import signal
import socket
import tempfile
import threading
import time
import unittest

import harness
from harness import Daemon, provider
from clients import (k9_problems, parse_autoconfig, relaxng_problems,
                     thunderbird_flaws, thunderbird_problems, thunderbird_read)

PATHS = ["/mail/config-v1.1.xml",
         "/.well-known/autoconfig/mail/config-v1.1.xml",
         "/v1.1/mail/config-v1.1.xml"]


def example(name):
    with open(os.path.join(harness.TOP, "conf", "examples", name)) as f:
        return json.load(f)


def expected_servers(cfg_provider):
    """The encrypted servers, incoming then outgoing, in config order."""
    enc = [s for s in cfg_provider["servers"] if s["security"] != "plain"]
    sock = {"ssl": "SSL", "starttls": "STARTTLS"}
    inc = [s for s in enc if s["protocol"] != "smtp"]
    out = [s for s in enc if s["protocol"] == "smtp"]
    return [(s["protocol"], s["host"], s["port"], sock[s["security"]],
             s.get("username", "%EMAILADDRESS%"),
             s.get("auth", ["password-cleartext"])) for s in inc + out]


def served_servers(doc):
    return [(s["type"], s["hostname"], s["port"], s["socketType"],
             s["username"], s["auth"]) for s in doc["servers"]]


class ExampleProviders(unittest.TestCase):
    """Both example configs produce answers that both Thunderbirds take."""

    def check_example(self, name, address):
        cfg = example(name)
        prov = cfg["providers"][0]
        with Daemon(cfg) as d:
            for path in PATHS:
                st, h, body = d.get(path + "?emailaddress=" + address)
                self.assertEqual(st, 200, body)
                self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
                self.assertEqual(thunderbird_problems(h["content-type"], body), [])
                self.assertEqual(k9_problems(body), [])
                doc = parse_autoconfig(body)
                self.assertEqual(doc["id"], prov["id"])
                self.assertEqual(doc["domains"],
                                 [x for x in prov["domains"] if not x.startswith("*.")])
                self.assertEqual(doc["displayName"], prov["name"])
                self.assertEqual(doc["displayShortName"],
                                 prov.get("short_name", prov["name"]))
                self.assertEqual(served_servers(doc), expected_servers(prov))
                self.assertEqual(doc["documentation"], prov.get("documentation"))
                self.assertEqual(doc["webmail"], prov.get("webmail"))
        return body

    def test_one_host_provider(self):
        body = self.check_example("one-host.json", "alice@mail-one.example")
        doc = parse_autoconfig(body)
        self.assertEqual([(s["type"], s["port"], s["socketType"]) for s in doc["servers"]],
                         [("imap", 993, "SSL"), ("pop3", 995, "SSL"),
                          ("smtp", 587, "STARTTLS"), ("smtp", 465, "SSL")])

    def test_many_ports_provider_drops_plain(self):
        body = self.check_example("many-ports.json", "bob@bigmail.example")
        doc = parse_autoconfig(body)
        self.assertEqual([(s["type"], s["port"], s["socketType"]) for s in doc["servers"]],
                         [("imap", 993, "SSL"), ("imap", 143, "STARTTLS"),
                          ("pop3", 995, "SSL"), ("pop3", 110, "STARTTLS"),
                          ("smtp", 587, "STARTTLS"), ("smtp", 465, "SSL")])
        self.assertNotIn(b"plain", body)
        self.assertNotIn(b"<port>25<", body)

    def test_wildcard_domain(self):
        with Daemon(example("many-ports.json")) as d:
            st, _, body = d.get(PATHS[0] + "?emailaddress=c%40shop.customers.bigmail.example")
            self.assertEqual(st, 200)
            self.assertEqual(parse_autoconfig(body)["id"], "bigmail.example")
            st, _, _ = d.get(PATHS[0] + "?emailaddress=c%40customers.bigmail.example")
            self.assertEqual(st, 404)


class Extras12(unittest.TestCase):
    """IETF autoconfig 1.2 <calendar>, <addressbook>, <fileShare>: present
    only where configured, and both Thunderbirds still take the file."""

    def extras(self, body):
        root = parse_autoconfig(body)["root"]
        return [(el.tag, el.get("type"), [(c.tag, c.text, dict(c.attrib)) for c in el])
                for el in root if el.tag in ("calendar", "addressbook", "fileShare")]

    def test_dav_services(self):
        cfg = {"providers": [
            provider("example.com", servers=[
                {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "security": "ssl"},
                {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "plain"},
                {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "ssl",
                 "username": "%EMAILLOCALPART%", "auth": ["OAuth2", "password-cleartext"]}],
                caldav="https://dav.example.com/cal/?a=1&b=2", carddav="https://dav.example.com/card/",
                webdav="https://files.example.com/", oauth2={"issuer": "https://id.example.com"}),
            provider("plain.example", caldav="https://dav.plain.example/")]}
        with Daemon(cfg) as d:
            st, h, body = d.get(PATHS[0] + "?emailaddress=a@example.com")
            self.assertEqual(st, 200)
            self.assertEqual(thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(k9_problems(body), [])
            auth = [("authentication", "OAuth2", {}), ("authentication", "basic", {})]
            self.assertEqual(self.extras(body), [
                ("calendar", "caldav", [("url", "https://dav.example.com/cal/?a=1&b=2", {})] + auth +
                 [("username", "%EMAILLOCALPART%", {})]),
                ("addressbook", "carddav", [("url", "https://dav.example.com/card/", {})] + auth +
                 [("username", "%EMAILLOCALPART%", {})]),
                ("fileShare", "webdav", [("url", "https://files.example.com/", {})] + auth +
                 [("username", "%EMAILLOCALPART%", {})]),
            ])
            st, h, body = d.get(PATHS[0] + "?emailaddress=a@plain.example")
            self.assertEqual(thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(k9_problems(body), [])
            self.assertEqual(self.extras(body), [
                ("calendar", "caldav", [("url", "https://dav.plain.example/", {}),
                                        ("authentication", "basic", {}),
                                        ("username", "%EMAILADDRESS%", {})])])
            self.assertNotIn(b"addressbook", body)
            self.assertNotIn(b"fileShare", body)


class Draft06(unittest.TestCase):
    """URL-based incoming servers and ManageSieve: where both Thunderbirds
    still take the whole file, and what each reads of it."""

    def test_exchange_only_provider(self):
        cfg = {"providers": [provider(
            "example.com", ews="https://ex.example.com/EWS/Exchange.asmx",
            webmail="https://ex.example.com/owa/", accept_warnings=["no-imap"],
            servers=[{"protocol": "smtp", "host": "ex.example.com", "port": 587,
                      "security": "starttls", "auth": ["NTLM", "password-cleartext"]},
                     {"protocol": "managesieve", "host": "ex.example.com", "port": 4190}])]}
        with Daemon(cfg) as d:
            st, h, body = d.get(PATHS[0] + "?emailaddress=a@example.com")
            self.assertEqual(st, 200)
            self.assertEqual(thunderbird_problems(h["content-type"], body), [])
            self.assertEqual(relaxng_problems(body), [])
            # Thunderbird sets up the Exchange account from the URL, OWA as
            # the alternative; Thunderbird for Android has no IMAP server
            # to take (the no-imap warning this provider accepts).
            tb = thunderbird_read(body)
            self.assertEqual([(s["type"], s["hostname"], s["port"], s["socketType"],
                               s["username"], s["auth"]) for s in tb["incoming"]],
                             [("ews", "ex.example.com", 443, "SSL", "%EMAILADDRESS%",
                               "password-cleartext"),
                              ("owa", "ex.example.com", 443, "SSL", "%EMAILADDRESS%",
                               "password-cleartext")])
            self.assertEqual(tb["outgoing"][0]["auth"], "NTLM")
            self.assertEqual(k9_problems(body), ["no imap server"])
            setup = parse_autoconfig(body)["sections"]
            self.assertEqual([(s["kind"], s["type"], s["hostname"], s["port"], s["socketType"])
                              for s in setup],
                             [("setupServer", "managesieve", "ex.example.com", 4190, "STARTTLS")])

    def test_model_catches_what_clients_refuse(self):
        """The checks fail where the clients do (else they prove nothing)."""
        good = (b'<clientConfig version="1.1"><emailProvider id="example.com">'
                b'<domain>example.com</domain><displayName>E</displayName>%s'
                b'<outgoingServer type="smtp"><hostname>s.example.com</hostname>'
                b'<port>465</port><socketType>SSL</socketType><username>u</username>'
                b'<authentication>password-cleartext</authentication></outgoingServer>'
                b'</emailProvider></clientConfig>')
        imap = (b'<incomingServer type="imap"><hostname>i.example.com</hostname>'
                b'<port>993</port><socketType>SSL</socketType><username>u</username>'
                b'<authentication>password-cleartext</authentication></incomingServer>')
        ews = b'<incomingServer type="ews"><url>https://e.example.com/ews</url>%s</incomingServer>'
        ct = "text/xml"
        self.assertEqual(thunderbird_problems(ct, good % imap), [])
        self.assertEqual(k9_problems(good % imap), [])
        self.assertEqual(relaxng_problems(good % imap), [])
        # The draft's http-basic: Thunderbird drops the ews server.
        basic = ews % b"<username>u</username><authentication>http-basic</authentication>"
        self.assertEqual(thunderbird_flaws(good % (imap + basic)),
                         [("ews", "no authentication it maps in ['http-basic']")])
        self.assertTrue(thunderbird_problems(ct, good % basic))
        # OAuth2 alone, for a host Thunderbird does not know.
        oauth = ews % b"<username>u</username><authentication>OAuth2</authentication>"
        self.assertTrue(thunderbird_flaws(good % (imap + oauth)))
        # An attribute on a text element (the draft's system="http").
        attr = ews % (b'<username>u</username>'
                      b'<authentication system="http">password-cleartext</authentication>')
        self.assertEqual(thunderbird_flaws(good % (imap + attr)),
                         [("ews", "attribute on <authentication>")])
        # Thunderbird for Android: one plain imap server anywhere.
        plain = imap.replace(b"SSL", b"plain")
        self.assertEqual(k9_problems(good % (imap + plain)),
                         ["imap server with socketType 'plain'"])
        # The schema: a port that is no positive integer.
        self.assertTrue(relaxng_problems(good % imap.replace(b"993", b"imaps")))

    def test_missing_schema_fails(self):
        import clients
        saved = clients.TOP
        with tempfile.TemporaryDirectory(prefix="autoconfd-noschema-") as tmp:
            clients.TOP = os.path.join(tmp, "src")
            try:
                with self.assertRaisesRegex(AssertionError, "autoconfig.rng is missing beside"):
                    relaxng_problems(b'<clientConfig version="1.1"/>')
            finally:
                clients.TOP = saved


class Lookup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cfg = {"providers": [
            provider("example.com", domains=["example.com", "Example.NET"]),
            provider("other.org", name="Other"),
        ]}
        cls.d = Daemon(cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.dir.cleanup()

    def assert_provider(self, resp, pid):
        st, h, body = resp
        self.assertEqual(st, 200, body)
        self.assertEqual(parse_autoconfig(body)["id"], pid)

    def test_address_picks_provider(self):
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=a%40example.com"), "example.com")
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=a@other.org"), "other.org")

    def test_plus_in_address(self):
        # Encoded as Thunderbird sends it, and typed by hand into a URL,
        # where form decoding makes the '+' a space.
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=a%2Btag%40example.com"), "example.com")
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=a+tag@example.com"), "example.com")

    def test_domain_case_insensitive(self):
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=A%40EXAMPLE.Net"), "example.com")

    def test_evolution_style_address(self):
        self.assert_provider(self.d.get(
            PATHS[0] + "?emailaddress=EVOLUTIONUSER%40example.com&emailmd5=abc"), "example.com")

    def test_host_header_without_address(self):
        for host in ("autoconfig.example.com", "autoconfig.example.com:8080",
                     "AUTOCONFIG.Example.Net", "example.com", "example.com.",
                     "autoconfig.other.org."):
            with self.subTest(host=host):
                self.assert_provider(self.d.get(PATHS[1], host=host),
                                     "other.org" if "other" in host else "example.com")

    def test_empty_address_falls_back_to_host(self):
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=", host="autoconfig.other.org"),
                             "other.org")

    def test_unknown_domain_is_404(self):
        st, h, body = self.d.get(PATHS[0] + "?emailaddress=a@unknown.example")
        self.assertEqual(st, 404)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        self.assertIn(b"unknown.example", body)
        st, _, _ = self.d.get(PATHS[0], host="autoconfig.unknown.example")
        self.assertEqual(st, 404)

    def test_odd_hosts_are_404(self):
        for host in ("127.0.0.1", "127.0.0.1:8080", "[::1]:8080", "exa mple.com",
                     "example.com:80x", "-bad-.com", "a..b", ":80", "x" * 300):
            with self.subTest(host=host):
                st, _, body = self.d.get(PATHS[0], host=host)
                self.assertEqual(st, 404, body)
        self.assertTrue(self.d.alive())

    def test_malformed_address_is_400(self):
        for addr, why in (("alice", b"no '@'"), ("a@b@example.com", b"more than one"),
                          ("@example.com", b"empty local part"),
                          ("alice@", b"empty domain"), ("al%09ice@example.com", b"invalid character"),
                          ("a%3Cb%3E@example.com", b"invalid character"),
                          ("alice@exa_mple.com", b"invalid character in domain"),
                          ("x" * 65 + "@example.com", b"64"),
                          ("a@" + "b" * 64 + ".com", b"63"),
                          ("a%00b@example.com", b"")):
            with self.subTest(addr=addr):
                st, h, body = self.d.get(PATHS[0] + "?emailaddress=" + addr)
                self.assertEqual(st, 400, body)
                self.assertTrue(h["content-type"].startswith("text/plain"))
                self.assertIn(b"invalid emailaddress", body)
                self.assertIn(why, body)
                self.assertNotIn(b"<", body)

    def test_idn_address(self):
        cfg_d = Daemon({"providers": [provider("xn--bcher-kva.example",
                                               domains=["bücher.example"])]})
        with cfg_d as d:
            self.assert_provider(d.get(PATHS[0] + "?emailaddress=a%40B%C3%BCcher.example"),
                                 "xn--bcher-kva.example")
            self.assert_provider(d.get(PATHS[0] + "?emailaddress=a%40xn--bcher-kva.example"),
                                 "xn--bcher-kva.example")

    def test_6k_query_string(self):
        # Under limits.header_max (8 KiB by default).
        st, _, body = self.d.get(PATHS[0] + "?emailaddress=" + "a" * 6000 + "@example.com")
        self.assertEqual(st, 400)
        self.assertIn(b"254", body)
        st, _, _ = self.d.get(PATHS[0] + "?junk=" + "b" * 6000 + "&emailaddress=a@example.com")
        self.assertEqual(st, 200)

    def test_huge_url_refused_cleanly(self):
        st, _, _ = self.d.get(PATHS[0] + "?x=" + "c" * 100000)
        self.assertIn(st, (413, 414, 431))
        self.assert_provider(self.d.get(PATHS[0] + "?emailaddress=a@example.com"), "example.com")

    def test_methods(self):
        for m in ("POST", "PUT", "DELETE", "OPTIONS"):
            with self.subTest(method=m):
                st, h, _ = self.d.request(m, PATHS[0] + "?emailaddress=a@example.com", body=b"")
                self.assertEqual(st, 405)
                self.assertEqual(h["allow"], "GET, HEAD")

    def test_head(self):
        st, h, body = self.d.request("HEAD", PATHS[0] + "?emailaddress=a@example.com")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
        _, h2, full = self.d.get(PATHS[0] + "?emailaddress=a@example.com")
        self.assertEqual(int(h["content-length"]), len(full))

    def test_unknown_path_404(self):
        st, _, _ = self.d.get("/mail/config-v1.2.xml")
        self.assertEqual(st, 404)
        st, _, _ = self.d.get("/MAIL/CONFIG-V1.1.XML?emailaddress=a@example.com")
        self.assertEqual(st, 404)

    def test_keep_alive(self):
        c = self.d.conn()
        try:
            socks = set()
            for _ in range(5):
                c.request("GET", PATHS[0] + "?emailaddress=a@example.com")
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
                r.read()
                socks.add(id(c.sock))
            self.assertEqual(len(socks), 1, "connection was not reused")
        finally:
            c.close()

    def test_identical_bytes_every_time(self):
        a = self.d.get(PATHS[0] + "?emailaddress=a@example.com")[2]
        b = self.d.get(PATHS[2], host="autoconfig.example.net")[2]
        self.assertEqual(a, b)


class Lifecycle(unittest.TestCase):
    def test_reload_good_and_broken(self):
        cfg = {"providers": [provider("example.com")]}
        with Daemon(cfg) as d:
            self.assertEqual(d.get(PATHS[0] + "?emailaddress=a@new.example")[0], 404)
            cfg["providers"].append(provider("new.example", name="New"))
            d.reload(cfg, expect="generation 2")
            st, _, body = d.get(PATHS[0] + "?emailaddress=a@new.example")
            self.assertEqual(st, 200)
            self.assertEqual(parse_autoconfig(body)["displayName"], "New")
            # A broken config is reported with its position and changes nothing.
            d.reload('{"providers": [ {"name": 5} ]}', expect="previous config keeps serving")
            self.assertIn("autoconfd.json:1:", d.log())
            self.assertEqual(d.get(PATHS[0] + "?emailaddress=a@new.example")[0], 200)
            d.reload("{ not json", expect="previous config keeps serving")
            self.assertEqual(d.get(PATHS[0] + "?emailaddress=a@example.com")[0], 200)
            os.unlink(d.path)
            d.reload(None, expect="previous config keeps serving")
            self.assertIn("cannot open", d.log())
            self.assertEqual(d.get(PATHS[0] + "?emailaddress=a@example.com")[0], 200)
            self.assertEqual(d.stop(), 0)

    def test_reload_under_load_loses_nothing(self):
        cfg = {"providers": [provider("example.com")]}
        with Daemon(cfg) as d:
            errors, done = [], threading.Event()
            count = [0]

            def client():
                c = d.conn()
                while not done.is_set():
                    try:
                        c.request("GET", PATHS[0] + "?emailaddress=a@example.com")
                        r = c.getresponse()
                        r.read()
                        if r.status != 200:
                            errors.append(r.status)
                        count[0] += 1
                    except Exception as e:  # noqa: BLE001 - any failure counts
                        errors.append(repr(e))
                        c.close()
                        c = d.conn()
                c.close()

            ts = [threading.Thread(target=client) for _ in range(4)]
            for t in ts:
                t.start()
            # Each reload while requests are being answered: the clients
            # got answers since the previous one (no rate is asked for).
            for i in range(5):
                before = count[0]
                deadline = time.monotonic() + harness.scaled(10)
                while count[0] < before + 4 and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertGreaterEqual(count[0], before + 4, "no answers between reloads")
                d.reload(cfg, expect="generation %d" % (i + 2))
            done.set()
            for t in ts:
                t.join(10)
            self.assertEqual(errors, [])

    def test_sigterm_drains_and_exits_zero(self):
        with Daemon({"providers": [provider()]}) as d:
            c = d.conn()
            c.request("GET", PATHS[0] + "?emailaddress=a@example.com")
            self.assertEqual(c.getresponse().status, 200)
            # An idle keep-alive connection must not hold up the exit.
            self.assertEqual(d.stop(signal.SIGTERM, timeout=5), 0)
            self.assertIn("stopped", d.log())
            c.close()

    def test_sigint_exits_zero(self):
        with Daemon({"providers": [provider()]}) as d:
            self.assertEqual(d.stop(signal.SIGINT), 0)

    def test_ipv6_listener(self):
        if harness.opted_out("ipv6"):
            self.skipTest("ipv6: skipped by " + harness.SKIP_ENV)
        try:
            harness.free_port(socket.AF_INET6, "::1")
        except OSError as e:
            self.fail("no IPv6 loopback (::1: %s; %s=ipv6 skips this test)"
                      % (e, harness.SKIP_ENV))
        d = Daemon({"providers": [provider()]}, listen=["[::1]:0"])
        with d:
            self.assertEqual((d.host, d.bound), ("::1", [("::1", d.port, False)]))
            c = __import__("http.client").client.HTTPConnection("::1", d.port, timeout=5)
            c.request("GET", PATHS[0] + "?emailaddress=a@example.com")
            self.assertEqual(c.getresponse().status, 200)
            c.close()

    def test_bad_config_refuses_to_start(self):
        d = Daemon('{"providers": []}')
        import subprocess
        r = subprocess.run([harness.AUTOCONFD, "-c", d.path, "-l", "127.0.0.1:0"],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"autoconfd.json:1:15: providers: must list at least one provider", r.stderr)
        d.dir.cleanup()


if __name__ == "__main__":
    harness.main()
