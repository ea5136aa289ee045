#!/usr/bin/env python3
"""Hostile clients against the real daemon (docs/security.md): slow, idle,
oversized, malformed and injecting requests, bounded in count and time, on
loopback only. For each: the documented status, no crash, no request byte
echoed unescaped, and a normal client still answered while it runs and
afterwards (within PROMPT seconds, a bound, not a benchmark). Stopping the
daemon fails the class if it crashed or printed a sanitizer report."""
import base64
import hashlib
import html.parser
import http.client
import json
import plistlib
import re
import resource
import socket
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from harness import Daemon, provider
from clients import parse_ad_error, parse_autoconfig, thunderbird_from_outlook

TIMEOUT = 2         # the daemon's idle timeout here (limits.timeout)
REQUEST_TIMEOUT = 4  # for a request's headers (limits.request_timeout)
IDLE = 2000         # idle connections at once (limits.connections is above)
PROMPT = harness.scaled(5.0)  # a normal client is answered within this
AC = "/mail/config-v1.1.xml"
AD = "/autodiscover/autodiscover.xml"
OUTLOOK_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
NAME = 'Ex <b>&amp;</b> "Mail"'

# Addresses with markup/JSON metacharacters: invalid ones are refused and
# never echoed; valid ones come back intact, escaped for each format.
INVALID = ['<script>alert(1)</script>@example.com', '"><img src=x onerror=alert(1)>@example.com',
           'a@example.com<x>', '{"a":"b"}@example.com', ']]><x/>@example.com',
           'a\\"b@example.com', 'x@exa<mple.com', "a@example.com'><b>", "a<b@example.com"]
# Each special character also alone: an escaper that looks for "any of
# them" before escaping must not let the lone one through.
VALID = ["o'h&a{b}|c~d!e#f$g%h*i+j=k?l^m`n/o@example.com", "j\u00fcrgen&'x@example.com",
         "'-'@example.com", "a&b@example.com", "o'neil@example.com"]
HOSTS = ["<script>.example.com", 'a"b.example.com', "exa&mple.com", "example.com<x>",
         '{"a":1}', "]]><x>", "autoconfig.example.com'><b>"]
# Every element the settings page writes; request bytes are only ever text.
HTML_ELEMENTS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p",
                 "form", "label", "input", "button", "table", "caption", "thead", "tbody",
                 "tr", "th", "td", "code", "a", "ul", "li", "strong", "em", "span", "br",
                 "div", "section", "small", "script"}


def raise_nofile(want):
    """Descriptors for IDLE connections, here and in the daemons started
    from here (they inherit the limit), as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(hard, want)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


raise_nofile(IDLE + 200)


def config():
    return {"limits": {"timeout": TIMEOUT, "request_timeout": REQUEST_TIMEOUT,
                       "connections": 4096},
            "access_log": "stderr",
            "providers": [provider(
                "example.com", name=NAME,
                activesync="https://mail.example.com/Microsoft-Server-ActiveSync")]}


def q(s):
    return urllib.parse.quote(s, safe="@")


def pox(xml_address):
    return ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="%s"><Request>'
            '<EMailAddress>%s</EMailAddress><AcceptableResponseSchema>http://schemas.'
            'microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'
            '</AcceptableResponseSchema></Request></Autodiscover>'
            % (OUTLOOK_REQ, xml_address)).encode()


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
            .replace('"', "&quot;")


def connect(d, timeout=PROMPT):
    return socket.create_connection((d.host, d.port), timeout=timeout)


def read_reply(sock):
    """One HTTP response from a raw socket: (status, headers, body)."""
    r = http.client.HTTPResponse(sock)
    r.begin()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def closed_by(sock, deadline):
    """True once the daemon closed sock (EOF or reset) before deadline."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if sock.recv(4096) == b"":
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
    return False


class HtmlTags(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.inputs, self.scripts = set(), [], {}, []
        self.in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        if tag == "input":
            self.inputs[dict(attrs).get("name")] = dict(attrs)
        if tag == "script":
            self.scripts.append("")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config()).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.d.dir.cleanup()

    def tearDown(self):
        self.assert_served()

    def assert_served(self):
        """A normal client gets its answer within PROMPT seconds."""
        c = self.d.conn(timeout=PROMPT)
        try:
            c.request("GET", AC + "?emailaddress=alice@example.com")
            r = c.getresponse()
            body = r.read()
        finally:
            c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(parse_autoconfig(body)["id"], "example.com")

    def get(self, path, headers=None):
        return self.d.request("GET", path, headers=headers)

    def assert_safe(self, payload, resp):
        """payload (request text) is not echoed in a way its format would
        read as markup or syntax, and the answer parses as its type."""
        st, h, body = resp
        ctype = h.get("content-type", "")
        self.assertEqual(h.get("x-content-type-options"), "nosniff")
        raw = payload.encode("utf-8", "surrogateescape")
        if ctype.startswith("text/plain"):
            # Inert (nosniff); but nothing for a terminal to interpret.
            self.assertIsNone(re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", body), body)
            return
        # The characters that are syntax in the format may not come back
        # raw (escaped, or the value is not echoed at all).
        if ctype.startswith("text/html"):
            special = "<>&\"'"
        elif "json" in ctype:
            special = "\"\\"
        else:
            special = "<&"
        if any(c in payload for c in special):
            self.assertNotIn(raw, body)
        text = body.decode("utf-8")     # strict: every answer is UTF-8
        if ctype.startswith("text/html"):
            page = HtmlTags(text)
            self.assertLessEqual(page.tags, HTML_ELEMENTS, page.tags - HTML_ELEMENTS)
            # The page's own script only: the one the CSP names by hash.
            self.assertEqual(len(page.scripts), 1)
            digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest())
            self.assertIn("script-src 'sha256-%s'" % digest.decode(),
                          h["content-security-policy"])
            for name, value in page.attrs:
                self.assertFalse(name.startswith("on"), name)
                if name in ("href", "src", "action"):
                    self.assertFalse((value or "").strip().lower().startswith("javascript:"))
        elif "json" in ctype:
            json.loads(text)
        elif ctype.startswith("application/x-apple-aspen-config"):
            plistlib.loads(body)
        elif "xml" in ctype:
            ET.fromstring(body)
        else:
            self.fail("unexpected content type %r" % ctype)
        return st


class SlowClients(Base):
    def drip(self, socks, byte, seconds):
        """Sends byte on every socket twice per idle timeout for a while,
        asking for a normal answer in between; returns the open sockets."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for s in socks:
                try:
                    s.sendall(byte)
                except OSError:
                    pass
            self.assert_served()
            time.sleep(TIMEOUT / 4)
        return socks

    def assert_all_closed(self, socks):
        deadline = time.monotonic() + TIMEOUT + harness.scaled(3)
        try:
            open_ = [s for s in socks if not closed_by(s, deadline)]
            self.assertEqual(open_, [], "%d connections outlived the idle timeout" % len(open_))
        finally:
            for s in socks:
                s.close()

    def test_slowloris_headers(self):
        # Dripping resets the idle timeout, but not the one for the whole
        # request head: each is closed while it still drips.
        socks = [connect(self.d) for _ in range(100)]
        for s in socks:
            s.sendall(b"GET " + AC.encode() + b" HTTP/1.1\r\nHost: example.com\r\nX-Slow: ")
        self.drip(socks, b"a", REQUEST_TIMEOUT + 2)
        deadline = time.monotonic() + harness.scaled(1)
        try:
            self.assertEqual([s for s in socks if not closed_by(s, deadline)], [])
        finally:
            for s in socks:
                s.close()

    def test_slowloris_bodies(self):
        socks = [connect(self.d) for _ in range(50)]
        for s in socks:
            s.sendall(b"POST " + AD.encode() + b" HTTP/1.1\r\nHost: example.com\r\n"
                      b"Content-Length: 8000\r\n\r\n<Autodiscover>")
        self.drip(socks, b" ", 3 * TIMEOUT)
        self.assert_all_closed(socks)

    def test_thousands_of_idle_connections(self):
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        n = max(50, min(IDLE, soft - 200))
        socks = []
        try:
            for _ in range(n):
                socks.append(connect(self.d))
            for _ in range(3):
                self.assert_served()
        except BaseException:
            for s in socks:
                s.close()
            raise
        self.assert_all_closed(socks)


class Oversize(Base):
    def test_huge_header_is_431(self):
        out = self.d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"<b>" * 7000 +
                         b"\r\n\r\n")
        self.assertRegex(out, rb"^HTTP/1\.1 431 ")
        self.assertNotIn(b"<b>", out)

    def test_many_headers_are_431(self):
        out = self.d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                         b"".join(b"X-%d: <i>\r\n" % i for i in range(3000)) + b"\r\n")
        self.assertRegex(out, rb"^HTTP/1\.1 431 ")
        self.assertNotIn(b"<i>", out)

    def test_huge_url_is_414(self):
        out = self.d.raw(b"GET " + AC.encode() + b"?x=" + b"%3Cu%3E" * 20000 +
                         b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertRegex(out, rb"^HTTP/1\.1 414 ")
        self.assertNotIn(b"<u>", out)

    def test_long_query_under_the_cap(self):
        # 6.3 KiB: under limits.header_max (8 KiB by default).
        st, h, body = self.get(AC + "?junk=" + "%3Cv%3E" * 600 + "&emailaddress=" +
                               "%3Cv%3E" * 300 + "@example.com")
        self.assertEqual(st, 400)
        self.assertEqual(body, b"invalid emailaddress: address longer than 254 octets\n")

    def test_absurd_content_length_is_413(self):
        out = self.d.raw(b"POST " + AD.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 99999999999999999999999\r\n\r\n")
        self.assertRegex(out, rb"^HTTP/1\.1 413 ")

    def test_expect_continue_oversize_on_any_path(self):
        for path in (AD, AC, "/settings", "/nowhere"):
            with self.subTest(path=path):
                s = connect(self.d)
                try:
                    s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
                    st, h, body = read_reply(s)
                finally:
                    s.close()
                self.assertEqual((st, body), (413, b"request body too large\n"))

    def test_chunked_past_the_discard_limit_is_cut_off(self):
        # Over the body cap the rest is read and dropped, up to 1 MiB; past
        # that the connection is closed without an answer. (Loopback socket
        # buffers hold several MiB: far more must be refused.)
        lots = 32 * 1024 * 1024
        s = connect(self.d)
        sent = 0
        try:
            s.sendall(b"POST " + AD.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"10000\r\n" + b"<" * 0x10000 + b"\r\n"
            try:
                while sent < lots:
                    s.sendall(chunk)
                    sent += 0x10000
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                out = s.recv(4096)
            except ConnectionResetError:
                out = b""
        finally:
            s.close()
        self.assertLess(sent, lots, "the daemon took %d MiB of body" % (lots >> 20))
        self.assertTrue(out == b"" or out.startswith(b"HTTP/1.1 413 "), out[:60])

    def test_ambiguous_framing_is_400(self):
        for framing, why in (
                (b"Content-Length: 5\r\nContent-Length: 6\r\n",
                 b"more than one Content-Length header\n"),
                (b"Content-Length: 5\r\ncontent-length: 5\r\n",
                 b"more than one Content-Length header\n"),
                (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                 b"Transfer-Encoding together with Content-Length\n")):
            with self.subTest(framing=framing):
                s = connect(self.d)
                try:
                    s.sendall(b"POST " + AD.encode() + b" HTTP/1.1\r\nHost: x\r\n" + framing +
                              b"\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    st, h, body = read_reply(s)
                    # libmicrohttpd 1.0 refuses some of these itself.
                    self.assertEqual(st, 400)
                    if not body.startswith(b"<html>"):
                        self.assertEqual(body, why)
                    self.assertEqual(h.get("connection"), "close")
                    # Nothing after it is taken as a request.
                    self.assertTrue(closed_by(s, time.monotonic() + PROMPT))
                finally:
                    s.close()


class Malformed(Base):
    def test_pipelined_garbage(self):
        # After the first answer, garbage ends the connection without an
        # answer or with a 400; the request behind it is never read. An
        # unknown method is a request like any other, but an HTTP/1.1
        # request needs its Host (RFC 9112 3.2). Where two outcomes are
        # listed, libmicrohttpd 0.9.75 and 1.0 differ (1.0 drops some
        # garbage without an answer).
        ok = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        for garbage, want in ((b"<GARBAGE>\x00\xff\r\n\r\n", [[b"200"]]),
                              (b"\xff\xfe<GARBAGE>\r\n\r\n", [[b"200"]]),
                              (b"GARBAGE /x HTTP/1.1\r\n\r\n", [[b"200", b"400"]]),
                              (b"GARBAGE /x HTTP/1.1\r\nHost: x\r\n\r\n",
                               [[b"200", b"404", b"200"]]),
                              (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", [[b"200", b"400"]]),
                              (b"\x00\xff<GARBAGE>\r\n\r\n", [[b"200", b"400"], [b"200"]])):
            with self.subTest(garbage=garbage):
                out = self.d.raw(ok + garbage + ok)
                self.assertIn(re.findall(rb"^HTTP/1\.1 (\d+) ", out, re.M), want, out)
                self.assertNotIn(b"GARBAGE", out)

    def test_tls_handshake_on_the_plain_port(self):
        hello = bytes.fromhex("16030100a5010000a10303") + bytes(32) + b"\x00\x00\x02\x13\x01"
        out = self.d.raw(hello + b"\r\n\r\n", timeout=PROMPT)
        self.assertTrue(out == b"" or out.startswith(b"HTTP/1.1 400 "), out[:60])

    def test_http_versions(self):
        self.assertRegex(self.d.raw(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"), rb"^HTTP/1\.1 505 ")
        self.assertRegex(self.d.raw(b"GET /\r\n\r\n"), rb"^HTTP/1\.1 400 ")

    def test_nul_and_invalid_utf8(self):
        cases = [
            (b"GET " + AC.encode() + b"?emailaddress=%ff%fe%40example.com", (400,)),
            (b"GET " + AC.encode() + b"?emailaddress=a%00%ff@example.com", (400,)),
            (b"GET " + AC.encode() + b"?emailaddress=a@exa%ffmple.com", (400,)),
            (b"GET " + AC.encode() + b"\xff\xfe", (404,)),
            (b"GET /settings?emailaddress=%ff%fe%3Cb%3E@example.com", (400,)),
            (b"GET /email.mobileconfig?emailaddress=%c0%bc@example.com", (400,)),
            (b"GET /autodiscover/autodiscover.json/v1.0/%ff%00@example.com?Protocol=ActiveSync",
             (400,)),
            (b"GET /autodiscover/autodiscover.json?Email=a@example.com&Protocol=%ff%fe%00",
             (400,)),
        ]
        hosts = [b"\xff\xfe.example.com", b"exa\x01mple.com", b"%00.example.com"]
        for req, want in cases:
            for accept in (b"*/*", b"text/html"):
                with self.subTest(req=req, accept=accept):
                    resp = self.d.raw(req + b" HTTP/1.1\r\nHost: example.com\r\nAccept: " +
                                      accept + b"\r\nUser-Agent: \xff\xfe\r\n"
                                      b"Connection: close\r\n\r\n")
                    self.check_raw(resp, want)
        for host in hosts:
            for path in (AC, "/.well-known/user-agent-configuration.json", "/settings"):
                with self.subTest(host=host, path=path):
                    resp = self.d.raw(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + host +
                                      b"\r\nConnection: close\r\n\r\n")
                    self.check_raw(resp, (404, 400, 200))

    def check_raw(self, resp, want):
        head, _, body = resp.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.1 (\d+) ", head)
        self.assertIsNotNone(m, resp[:80])
        self.assertIn(int(m.group(1)), want, resp[:300])
        for bad in (b"\xff", b"\xfe", b"\x00", b"\x01", b"<b>"):
            self.assertNotIn(bad, body)
        if b"text/html" in head or b"xml" in head or b"json" in head:
            body.decode("utf-8")

    def test_log_lines_cannot_be_forged(self):
        mark = len(self.d.lines)
        forged = urllib.parse.quote("\r\n2026-01-01T00:00:00Z 6.6.6.6 GET /FORGED 200")
        self.get(AC + forged + "?emailaddress=a%0a" + forged + "@example.com")
        self.get("/settings?emailaddress=" + forged,
                 headers={"User-Agent": "x\tFORGED\x0b\"quote\\"})
        self.d.raw(b"GET /FORGED\r\x0b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_served()
        deadline = time.monotonic() + PROMPT
        while len(self.d.lines) < mark + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = self.d.lines[mark:]
        self.assertGreaterEqual(len(lines), 3)
        for line in lines:
            self.assertRegex(line, r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 |autoconfd: )")
            self.assertIsNone(re.search(r"[\x00-\x1f\x7f]", line), line)


class Injection(Base):
    """No byte from a request appears unescaped in any output format; valid
    addresses holding metacharacters come back intact."""

    def endpoints(self, addr):
        """(what, method, path, body, headers) of every endpoint taking an
        address."""
        html = {"Accept": "text/html"}
        return [
            ("autoconfig", "GET", AC + "?emailaddress=" + q(addr), None, {}),
            ("autoconfig alias", "GET", "/.well-known/autoconfig" + AC + "?emailaddress=" +
             q(addr), None, {}),
            ("pox", "POST", AD, pox(xml_escape(addr)), {"Content-Type": "text/xml"}),
            ("json v1", "GET", "/autodiscover/autodiscover.json?Email=" + q(addr) +
             "&Protocol=AutodiscoverV1", None, {"Host": "autodiscover.example.com"}),
            ("json path", "GET", "/autodiscover/autodiscover.json/v1.0/" + q(addr) +
             "?Protocol=ActiveSync", None, {}),
            ("mobileconfig", "GET", "/email.mobileconfig?emailaddress=" + q(addr), None, {}),
            ("settings html", "GET", "/settings?emailaddress=" + q(addr), None, html),
            ("settings text", "GET", "/settings?emailaddress=" + q(addr), None, {}),
            ("root html", "GET", "/?emailaddress=" + q(addr), None, html),
        ]

    def test_invalid_addresses_are_refused_not_echoed(self):
        for addr in INVALID:
            for what, method, path, body, headers in self.endpoints(addr):
                with self.subTest(addr=addr, endpoint=what):
                    resp = self.d.request(method, path, body=body, headers=headers)
                    st = resp[0]
                    if what == "pox":
                        self.assertEqual(st, 200)       # Outlook's error document
                        self.assertEqual(parse_ad_error(resp[2])[0], "600")
                    else:
                        self.assertIn(st, (400, 404), resp[2][:200])
                    self.assert_safe(addr, resp)

    def test_valid_addresses_round_trip(self):
        for addr in VALID:
            want = addr
            for what, method, path, body, headers in self.endpoints(addr):
                with self.subTest(addr=addr, endpoint=what):
                    resp = self.d.request(method, path, body=body, headers=headers)
                    st, h, out = resp
                    self.assertEqual(st, 200, out[:300])
                    self.assert_safe(addr, resp)
                    if what == "pox":
                        self.assertEqual({s[4] for s in thunderbird_from_outlook(out)}, {want})
                    elif what == "mobileconfig":
                        mail = plistlib.loads(out)["PayloadContent"][0]
                        self.assertEqual(mail["EmailAddress"], want)
                    elif what.endswith("html"):
                        page = HtmlTags(out.decode())
                        self.assertEqual(page.inputs["emailaddress"]["value"], want)
                    elif what.startswith("json"):
                        self.assertEqual(set(json.loads(out)), {"Protocol", "Url"})
                    elif what == "settings text":
                        self.assertIn(want.encode(), out)

    def test_hosts_on_every_endpoint(self):
        paths = [AC, "/.well-known/autoconfig" + AC, "/.well-known/user-agent-configuration.json",
                 "/.well-known/user-agent-configuration",
                 "/autodiscover/autodiscover.json?Email=a@example.com&Protocol=AutodiscoverV1",
                 "/email.mobileconfig?emailaddress=a@example.com", "/settings", "/",
                 "/healthz", "/metrics", "/nowhere"]
        for host in HOSTS:
            for path in paths:
                for accept in ("*/*", "text/html"):
                    with self.subTest(host=host, path=path, accept=accept):
                        resp = self.d.request("GET", path, headers={
                            "Host": host, "Accept": accept})
                        self.assertIn(resp[0], (200, 400, 404), resp[2][:200])
                        self.assert_safe(host, resp)
            with self.subTest(host=host, path=AD):
                resp = self.d.request("POST", AD, body=pox("a@example.com"),
                                      headers={"Host": host})
                self.assertEqual(resp[0], 200)
                self.assert_safe(host, resp)

    def test_protocol_parameter_echo(self):
        for proto, echoed in (('x"},{"a":"<b>', 'x"},{"a":"<b>'), ("</x>&'", "</x>&'"),
                              ("\u00e9", "(invalid)"), ("a" * 65, "(invalid)")):
            with self.subTest(proto=proto):
                resp = self.get("/autodiscover/autodiscover.json?Email=a@example.com&Protocol=" +
                                urllib.parse.quote(proto, safe=""))
                self.assertEqual(resp[0], 400)
                self.assert_safe(proto, resp)
                doc = json.loads(resp[2])
                self.assertEqual(doc["ErrorCode"], "InvalidProtocol")
                self.assertIn("'%s'" % echoed, doc["ErrorMessage"])

    def test_metrics_hold_no_request_text(self):
        self.get(AC + "?emailaddress=" + q(INVALID[0]))
        self.d.request("GET", "/nowhere<x>", headers={"Host": HOSTS[0]})
        st, h, body = self.get("/metrics")
        self.assertEqual(st, 200)
        for bad in (b"script", b"<x>", b"nowhere"):
            self.assertNotIn(bad, body)


if __name__ == "__main__":
    harness.main()
