#!/usr/bin/env python3
"""Microsoft Autodiscover (Outlook POX, mobilesync, v2 JSON) served by the
real daemon, end to end, including hostile requests."""
import base64
import json
import re
import socket
import unittest
import xml.etree.ElementTree as ET

import harness
from harness import Daemon, provider
from clients import (AD_MOBILESYNC, AD_NS, AD_OUTLOOK, outlook_problems,
                     parse_ad_error, parse_outlook, thunderbird_from_outlook)

POX = "/autodiscover/autodiscover.xml"
SPELLINGS = [POX, "/Autodiscover/Autodiscover.xml", "/AutoDiscover/AutoDiscover.xml"]
OUTLOOK_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
EAS_REQ = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
EAS_URL = "https://eas.example.com/Microsoft-Server-ActiveSync"
CAP = 8192


def request_body(address, schema=AD_OUTLOOK, ns=OUTLOOK_REQ, who="EMailAddress"):
    """A POX request as clients send it; address is XML text (escaped)."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<Autodiscover xmlns="%s">\n  <Request>\n'
            '    <%s>%s</%s>\n'
            '    <AcceptableResponseSchema>%s</AcceptableResponseSchema>\n'
            '  </Request>\n</Autodiscover>\n' % (ns, who, address, who, schema)).encode()


def read_response(sock):
    """Reads one HTTP response: (status, headers, body). Bounded by the
    socket timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed before a response: %r" % data)
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def chunked(data, size=1000):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


class Base(unittest.TestCase):
    CONFIG = {"trusted_proxies": ["127.0.0.1"], "providers": [
        provider("example.com", domains=["example.com", "example.net"],
                 activesync=EAS_URL,
                 servers=[
                     {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "ssl"},
                     {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "plain"},
                     {"protocol": "smtp", "host": "smtp.example.com", "port": 587,
                      "security": "starttls", "username": "%EMAILLOCALPART%"},
                     {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "security": "ssl"},
                 ]),
        provider("other.org", name="Other"),
    ]}
    ARGS = ("-v",)

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.CONFIG, args=cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.dir.cleanup()

    def tearDown(self):
        # Whatever a test sent, the daemon keeps serving.
        st, _, body = self.d.request("POST", POX, body=request_body("z@example.com"))
        self.assertEqual(st, 200, body)
        self.assertTrue(self.d.alive())

    def post(self, body, path=POX, headers=None):
        h = {"Content-Type": "text/xml"}
        h.update(headers or {})
        return self.d.request("POST", path, body=body, headers=h)

    def assert_error(self, resp, code, message):
        st, h, body = resp
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
        got = parse_ad_error(body)
        self.assertEqual(got[:2], (code, message))
        self.assertRegex(got[2], r"^\d\d:\d\d:\d\d\.\d{7}$")
        self.assertRegex(got[3], r"^\d+$")
        self.assertNotIn(b"2006a", body)
        return body

    def raw_conn(self):
        return socket.create_connection((self.d.host, self.d.port), timeout=harness.scaled(5))


class Pox(Base):
    def test_three_spellings_outlook_schema(self):
        for path in SPELLINGS + ["/AUTODISCOVER/autodiscover.XML"]:
            with self.subTest(path=path):
                st, h, body = self.post(request_body("alice@Example.NET"), path)
                self.assertEqual(st, 200, body)
                self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
                self.assertEqual(outlook_problems(h["content-type"], body), [])
                self.assertEqual(thunderbird_from_outlook(body), [
                    ("imap", "imap.example.com", 993, "SSL", "alice@example.net"),
                    ("smtp", "smtp.example.com", 587, "STARTTLS", "alice"),
                    ("smtp", "smtp.example.com", 465, "SSL", "alice@example.net"),
                ])
                self.assertNotIn(b"<Port>143<", body)

    def test_every_protocol_element_in_order(self):
        st, _, body = self.post(request_body("bob@example.com"))
        self.assertEqual(st, 200)
        protos = parse_outlook(body)["protocols"]
        self.assertEqual(protos[1], [
            ("Type", "SMTP"), ("Server", "smtp.example.com"), ("Port", "587"),
            ("DomainRequired", "off"), ("LoginName", "bob"), ("SPA", "off"),
            ("SSL", "on"), ("Encryption", "TLS"), ("AuthRequired", "on"),
            ("UsePOPAuth", "off"), ("SMTPLast", "off")])
        self.assertEqual([dict(p)["Encryption"] for p in protos], ["SSL", "TLS", "SSL"])
        self.assertNotIn(b"true", body)
        self.assertNotIn(b"false", body)

    def test_mobilesync_schema(self):
        for path in SPELLINGS:
            with self.subTest(path=path):
                st, h, body = self.post(request_body("carol@example.com", AD_MOBILESYNC,
                                                     EAS_REQ), path)
                self.assertEqual(st, 200, body)
                self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
                root = ET.fromstring(body)
                self.assertEqual(root.tag, "{%s}Autodiscover" % AD_NS)
                q = lambda t: "{%s}%s" % (AD_MOBILESYNC, t)
                resp = root.find(q("Response"))
                self.assertEqual([c.tag for c in resp],
                                 [q("Culture"), q("User"), q("Action")])
                self.assertEqual(resp.findtext(q("User") + "/" + q("EMailAddress")),
                                 "carol@example.com")
                server = resp.find("/".join([q("Action"), q("Settings"), q("Server")]))
                self.assertEqual([(c.tag, c.text) for c in server],
                                 [(q("Type"), "MobileSync"), (q("Url"), EAS_URL),
                                  (q("Name"), EAS_URL)])

    def test_mobilesync_without_activesync_is_601(self):
        self.assert_error(self.post(request_body("a@other.org", AD_MOBILESYNC, EAS_REQ)),
                          "601", "Provider is not available")

    def test_unsupported_schema_is_601(self):
        for schema in ("http://schemas.microsoft.com/exchange/autodiscover/"
                       "outlook/responseschema/2006", "urn:nothing"):
            with self.subTest(schema=schema):
                self.assert_error(self.post(request_body("a@example.com", schema)),
                                  "601", "Provider is not available")

    def test_unknown_domain_is_404(self):
        st, h, body = self.post(request_body("a@unknown.example"))
        self.assertEqual(st, 404)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        st, _, _ = self.post(request_body("/o=Org/ou=X/cn=Recipients/cn=a", who="LegacyDN"))
        self.assertEqual(st, 404)

    def test_legacydn_address_and_any_order(self):
        body = ('<Autodiscover xmlns="%s"><Request><AcceptableResponseSchema>%s'
                '</AcceptableResponseSchema><LegacyDN>dan@example.com</LegacyDN>'
                '</Request></Autodiscover>' % (OUTLOOK_REQ, AD_OUTLOOK)).encode()
        st, _, resp = self.post(body, headers={"Content-Type": "application/xml; charset=UTF-8"})
        self.assertEqual(st, 200, resp)
        self.assertEqual(thunderbird_from_outlook(resp)[0][4], "dan@example.com")

    def test_get_and_others_are_405(self):
        for m in ("GET", "HEAD", "PUT", "DELETE"):
            for path in SPELLINGS:
                with self.subTest(method=m, path=path):
                    st, h, _ = self.d.request(m, path)
                    self.assertEqual(st, 405)
                    self.assertEqual(h["allow"], "POST")

    def test_malformed_is_600(self):
        for body in (b"", b"hello", b"<Autodiscover><Request>", b"{\"Email\":\"a@example.com\"}",
                     b"<Autodiscover><Request/></Autodiscover>",
                     b"<Other><Request><EMailAddress>a@example.com</EMailAddress></Request></Other>",
                     request_body("not-an-address"), request_body("a@b@example.com"),
                     b"\xff\xfe<\x00A\x00",
                     # Unbalanced: an end tag that is not the open element's.
                     request_body("a@example.com").replace(b"</Request>", b"</Requests>"),
                     request_body("a@example.com").replace(b"</EMailAddress>", b"</Request>")
                     .replace(b"  </Request>\n</Autodiscover>", b"  </EMailAddress>\n</Autodiscover>")):
            with self.subTest(body=body[:40]):
                self.assert_error(self.post(body), "600", "Invalid Request")

    def test_keep_alive(self):
        c = self.d.conn()
        try:
            socks = set()
            for i in range(4):
                c.request("POST", SPELLINGS[i % 3], body=request_body("k%d@example.com" % i))
                r = c.getresponse()
                body = r.read()
                self.assertEqual(r.status, 200)
                self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
                self.assertIn(b"<LoginName>k%d@example.com</LoginName>" % i, body)
                socks.add(id(c.sock))
            self.assertEqual(len(socks), 1, "connection was not reused")
        finally:
            c.close()


class Hostile(Base):
    def test_addresses_with_markup_characters(self):
        # Valid addresses holding & and ': escaped in output, read back intact.
        for raw, xml in (("a&b@example.com", "a&amp;b@example.com"),
                         ("o'neil@example.com", "o&apos;neil@example.com"),
                         ("x&#39;&amp;y@example.com", None)):
            with self.subTest(addr=raw):
                st, _, body = self.post(request_body(xml or raw))
                self.assertEqual(st, 200, body)
                want = raw if xml else "x'&y@example.com"
                self.assertEqual(thunderbird_from_outlook(body)[0][4], want)
                self.assertNotIn(want.encode(), body)
        # Addresses holding <, > or quotes are invalid: 600, never echoed.
        for xml in ("&lt;script&gt;@example.com", "<![CDATA[<b>x</b>@example.com]]>",
                    "&quot;q&quot;@example.com", "a@exa&lt;mple.com"):
            with self.subTest(addr=xml):
                body = self.assert_error(self.post(request_body(xml)), "600", "Invalid Request")
                for bad in (b"script", b"<b>", b"q&quot;", b"exa"):
                    self.assertNotIn(bad, body)

    def test_xxe_refused_nothing_fetched(self):
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(8)
        lsock.settimeout(0.5)
        url = "http://127.0.0.1:%d/x" % lsock.getsockname()[1]
        try:
            payloads = [
                '<?xml version="1.0"?><!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM '
                '"file:///etc/passwd">]><Autodiscover xmlns="%s"><Request><EMailAddress>'
                '&xxe;</EMailAddress></Request></Autodiscover>' % OUTLOOK_REQ,
                '<!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "%s">]><Autodiscover>'
                '<Request><EMailAddress>a@example.com</EMailAddress><LegacyDN>&xxe;'
                '</LegacyDN></Request></Autodiscover>' % url,
                '<!DOCTYPE Autodiscover SYSTEM "%s"><Autodiscover><Request><EMailAddress>'
                'a@example.com</EMailAddress></Request></Autodiscover>' % url,
                '<!DOCTYPE a [<!ENTITY %% p SYSTEM "%s"> %%p;]><Autodiscover/>' % url,
                '<Autodiscover xmlns:xi="http://www.w3.org/2001/XInclude"><Request>'
                '<EMailAddress><xi:include href="file:///etc/passwd" parse="text"/>'
                '</EMailAddress></Request></Autodiscover>',
            ]
            for p in payloads:
                with self.subTest(payload=p[:60]):
                    body = self.assert_error(self.post(p.encode()), "600", "Invalid Request")
                    self.assertNotIn(b"root:", body)
            with self.assertRaises(socket.timeout):
                lsock.accept()[0].close()   # nobody connected
        finally:
            lsock.close()
        self.assertNotIn("root:", self.d.log())

    def test_billion_laughs_refused(self):
        ents = ['<!ENTITY lol "lol">'] + [
            '<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
            for i in range(1, 10)]
        doc = ('<?xml version="1.0"?><!DOCTYPE lolz [%s]><Autodiscover><Request>'
               '<EMailAddress>&lol9;</EMailAddress></Request></Autodiscover>' % "".join(ents))
        self.assertLess(len(doc), CAP)
        body = self.assert_error(self.post(doc.encode()), "600", "Invalid Request")
        self.assertNotIn(b"lol", body)

    def test_deep_nesting_refused(self):
        doc = b"<Autodiscover><Request>" + b"<x>" * 1000 + b"</x>" * 1000 + \
            b"<EMailAddress>a@example.com</EMailAddress></Request></Autodiscover>"
        self.assertLess(len(doc), CAP)
        self.assert_error(self.post(doc), "600", "Invalid Request")

    def test_authorization_ignored_and_not_logged(self):
        secret = base64.b64encode(b"alice@example.com:S3cret-Pa55").decode()
        mark = len(self.d.lines)
        st, _, with_auth = self.post(request_body("alice@example.com"),
                                     headers={"Authorization": "Basic " + secret})
        self.assertEqual(st, 200)
        _, _, without = self.post(request_body("alice@example.com"))
        self.assertEqual(with_auth, without)
        st, _, _ = self.post(b"<bad", headers={"Authorization": "Basic " + secret})
        self.assertEqual(st, 200)
        self.d.request("GET", "/autodiscover/autodiscover.json?Email=alice@example.com"
                       "&Protocol=AutodiscoverV1", headers={"Authorization": "Basic " + secret})
        log = "\n".join(self.d.lines[mark:])
        self.assertNotIn(secret, log)
        self.assertNotIn("S3cret", log)
        self.assertNotIn("Authorization", log)


class BodyCap(Base):
    PREFIX = b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\n"

    def padded(self, size):
        """A valid request of exactly size bytes (padded with a comment)."""
        base = request_body("pad@example.com")
        pad = size - len(base) - len(b"<!---->")
        return base + b"<!--" + b"p" * pad + b"-->"

    def test_exactly_the_cap_is_served(self):
        body = self.padded(CAP)
        self.assertEqual(len(body), CAP)
        st, _, resp = self.post(body)
        self.assertEqual(st, 200, resp)
        self.assertIn(b"<LoginName>pad@example.com</LoginName>", resp)

    def test_content_length_over_cap(self):
        s = self.raw_conn()
        try:
            s.sendall(self.PREFIX + b"Content-Length: %d\r\n\r\n" % (CAP + 1) +
                      self.padded(CAP + 1))
            st, h, body = read_response(s)
        finally:
            s.close()
        self.assertEqual(st, 413)
        self.assertEqual(body, b"request body too large\n")

    def test_expect_100_continue_over_cap(self):
        # Refused from the headers alone: no "100 Continue", the body is
        # never sent.
        s = self.raw_conn()
        try:
            s.sendall(self.PREFIX + b"Content-Length: 100000\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            st, h, body = read_response(s)
        finally:
            s.close()
        self.assertEqual(st, 413)
        self.assertEqual(h.get("connection"), "close")

    def test_chunked_over_cap_then_closed(self):
        s = self.raw_conn()
        try:
            s.sendall(self.PREFIX + b"Transfer-Encoding: chunked\r\n\r\n" +
                      chunked(self.padded(CAP + 500)))
            st, h, body = read_response(s)
            self.assertEqual(st, 413)
            self.assertEqual(body, b"request body too large\n")
            # A chunked body ends the connection (docs/security.md).
            self.assertEqual(h.get("connection"), "close")
        finally:
            s.close()

    def test_chunked_with_expect_over_cap(self):
        s = self.raw_conn()
        try:
            s.sendall(self.PREFIX + b"Transfer-Encoding: chunked\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            self.assertTrue(s.recv(64).startswith(b"HTTP/1.1 100"))
            s.sendall(chunked(b"x" * (CAP * 2), 4096))
            st, _, _ = read_response(s)
            self.assertEqual(st, 413)
        finally:
            s.close()

    def test_chunked_under_cap_is_served(self):
        s = self.raw_conn()
        try:
            s.sendall(self.PREFIX + b"Transfer-Encoding: chunked\r\n\r\n" +
                      chunked(request_body("ch@example.com"), 7))
            st, _, body = read_response(s)
        finally:
            s.close()
        self.assertEqual(st, 200)
        self.assertIn(b"<LoginName>ch@example.com</LoginName>", body)


class Json(Base):
    def get_json(self, path, status=200, headers=None):
        st, h, body = self.d.request("GET", path, headers=headers)
        self.assertEqual(st, status, body)
        self.assertEqual(h["content-type"], "application/json; charset=utf-8")
        return json.loads(body)

    def test_query_form(self):
        for path in ("/autodiscover/autodiscover.json?Email=a%40example.com&Protocol=AutodiscoverV1",
                     "/Autodiscover/Autodiscover.json?Email=a@example.com&Protocol=Autodiscoverv1",
                     "/AUTODISCOVER/AUTODISCOVER.JSON?email=a@example.com&protocol=AUTODISCOVERV1"):
            with self.subTest(path=path):
                self.assertEqual(self.get_json(path, headers={"Host": "autodiscover.example.com"}),
                                 {"Protocol": "AutodiscoverV1",
                                  "Url": "https://autodiscover.example.com/autodiscover/autodiscover.xml"})

    def test_path_form(self):
        for path in ("/autodiscover/autodiscover.json/v1.0/a@example.com?Protocol=AutodiscoverV1",
                     "/Autodiscover/Autodiscover.json/V1.0/a%40example.com?Protocol=autodiscoverv1&RedirectCount=1"):
            with self.subTest(path=path):
                self.assertEqual(self.get_json(path, headers={"Host": "Example.COM:8443"}),
                                 {"Protocol": "AutodiscoverV1",
                                  "Url": "https://example.com:8443/autodiscover/autodiscover.xml"})

    def test_activesync(self):
        self.assertEqual(self.get_json("/autodiscover/autodiscover.json/v1.0/a@example.com?Protocol=ActiveSync"),
                         {"Protocol": "ActiveSync", "Url": EAS_URL})
        err = self.get_json("/autodiscover/autodiscover.json?Email=a@other.org&Protocol=activesync", 400)
        self.assertEqual(err, {"ErrorCode": "InvalidProtocol",
                               "ErrorMessage": "The given protocol value 'activesync' is invalid. "
                                               "Supported values are 'AutodiscoverV1'"})

    def test_invalid_protocol(self):
        err = self.get_json("/autodiscover/autodiscover.json?Email=a@example.com&Protocol=Rest", 400)
        self.assertEqual(err["ErrorCode"], "InvalidProtocol")
        self.assertEqual(err["ErrorMessage"], "The given protocol value 'Rest' is invalid. "
                         "Supported values are 'AutodiscoverV1,ActiveSync'")
        # Request text is JSON-escaped, read back intact.
        st, _, body = self.d.get("/autodiscover/autodiscover.json?Email=a@example.com"
                                 "&Protocol=%3C%22x%27%5C%26%3E")
        self.assertEqual(st, 400)
        self.assertIn("'<\"x'\\&>'", json.loads(body)["ErrorMessage"])
        self.assertIn(b'\\"x', body)
        self.get_json("/autodiscover/autodiscover.json?Email=a@example.com", 400)

    def test_unknown_domain_and_bad_address(self):
        for path in ("/autodiscover/autodiscover.json?Email=a@unknown.example&Protocol=AutodiscoverV1",
                     "/autodiscover/autodiscover.json/v1.0/a@unknown.example?Protocol=AutodiscoverV1"):
            with self.subTest(path=path):
                st, h, _ = self.d.get(path)
                self.assertEqual(st, 404)
        st, _, body = self.d.get("/autodiscover/autodiscover.json/v1.0/%3Cb%3E@example.com?Protocol=AutodiscoverV1")
        self.assertEqual(st, 400)
        self.assertNotIn(b"<b>", body)

    def test_forwarded_headers_from_trusted_proxy(self):
        # 127.0.0.1 is a trusted proxy in this config.
        got = self.get_json("/autodiscover/autodiscover.json?Email=a@example.com&Protocol=AutodiscoverV1",
                            headers={"Host": "backend:8080", "X-Forwarded-Host": "ad.example.com",
                                     "X-Forwarded-Proto": "http"})
        self.assertEqual(got["Url"], "http://ad.example.com/autodiscover/autodiscover.xml")

    def test_forwarded_headers_ignored_from_others(self):
        cfg = dict(self.CONFIG, trusted_proxies=["192.0.2.1"])
        with Daemon(cfg) as d:
            st, _, body = d.get("/autodiscover/autodiscover.json?Email=a@example.com&Protocol=AutodiscoverV1",
                                headers={"Host": "autodiscover.example.com",
                                         "X-Forwarded-Host": "evil.example",
                                         "X-Forwarded-Proto": "http"})
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body)["Url"],
                             "https://autodiscover.example.com/autodiscover/autodiscover.xml")
            st, _, _ = d.get("/autodiscover/autodiscover.json?Email=a@example.com&Protocol=AutodiscoverV1",
                             headers={"Host": "bad host"})
            self.assertEqual(st, 400)


class AccessLog(unittest.TestCase):
    def test_domain_from_body_and_path_never_the_user(self):
        cfg = dict(Base.CONFIG, access_log="stderr")
        secret = base64.b64encode(b"erin:Pa55").decode()
        with Daemon(cfg) as d:
            st, _, _ = d.request("POST", "/Autodiscover/Autodiscover.xml",
                                 body=request_body("erin@Example.NET"),
                                 headers={"Authorization": "Basic " + secret})
            self.assertEqual(st, 200)
            i = d.wait_log(" autodiscover example.net ")
            self.assertIn(" POST /Autodiscover/Autodiscover.xml 200 ", d.lines[i])
            d.get("/autodiscover/autodiscover.json/v1.0/erin@example.com?Protocol=x")
            i = d.wait_log(" autodiscover-json example.com ")
            self.assertIn("/v1.0/*@example.com 400 ", d.lines[i])
            # Malformed: nothing named, nothing echoed.
            d.request("POST", POX, body=b"<Autodiscover><Request><EMailAddress>erin@x")
            i = d.wait_log(" autodiscover - ")
            self.assertNotIn("erin", d.log())
            self.assertNotIn(secret, d.log())


if __name__ == "__main__":
    harness.main()
