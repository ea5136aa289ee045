#!/usr/bin/env python3
"""The settings page for people: HTML for browsers (checked in real headless
Chromium), plain text for curl, always generated from the config."""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import urllib.parse
import zlib

import harness
from harness import Daemon, provider

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CURL = {"Accept": "*/*"}
SEC = {"ssl": "SSL/TLS", "starttls": "STARTTLS", "plain": "None"}


def example(name):
    with open(os.path.join(harness.TOP, "conf", "examples", name)) as f:
        return json.load(f)


class Page(html.parser.HTMLParser):
    """Collects what the tests check: the table, the form, the error, and
    anything that would load an external asset or run a script."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.rows, self.heads, self.stack = [], [], []
        self.row = None
        self.cell = None
        self.lang = self.title = self.error = None
        self.inputs, self.external, self.scripts, self.styles = {}, [], 0, 0
        self.text, self.links = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self.styles += 1
        if tag in ("img", "link", "iframe", "script", "object", "embed") and \
                (a.get("src") or a.get("href")):
            self.external.append((tag, a))
        if "style" in a:
            self.external.append((tag, a))   # inline style attributes break the CSP
        if tag == "input":
            self.inputs[a.get("name")] = a
        if tag == "a":
            self.links.append(a.get("href"))
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.cell = {"tag": tag, "scope": a.get("scope"), "class": a.get("class"), "text": ""}
        if tag == "br" and self.cell is not None:
            self.cell["text"] += "\n"
        if tag == "p" and a.get("role") == "alert":
            self.error = ""

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag in ("td", "th") and self.cell is not None:
            self.cell["text"] = self.cell["text"].strip()
            self.row.append(self.cell)
            self.cell = None
        if tag == "tr" and self.row is not None:
            if all(c["tag"] == "th" and c["scope"] == "col" for c in self.row):
                self.heads = [c["text"] for c in self.row]
            else:
                self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
        if self.stack and self.stack[-1] == "title":
            self.title = (self.title or "") + data
        if self.error is not None and self.stack and self.stack[-1] == "p":
            self.error += data
        self.text.append(data)

    def servers(self):
        return [(r[0]["text"].split()[0], r[1]["text"], int(r[2]["text"]), r[3]["text"],
                 r[4]["text"].split("\n"), r[5]["text"], r[6]["text"]) for r in self.rows]


def expected_rows(prov, username):
    """Per protocol: encrypted servers in config order, then plain ones."""
    auth = {"password-cleartext": "Normal password", "password-encrypted": "Encrypted password",
            "OAuth2": "OAuth2"}
    rows = []
    for proto in ("imap", "pop3", "smtp"):
        enc = [s for s in prov["servers"] if s["protocol"] == proto and s["security"] != "plain"]
        plain = [s for s in prov["servers"] if s["protocol"] == proto and s["security"] == "plain"]
        for i, s in enumerate(enc + plain):
            mark = ("Not recommended: no encryption" if s["security"] == "plain"
                    else "Recommended" if i == 0 else "Alternative")
            rows.append((proto.upper(), s["host"], s["port"], SEC[s["security"]],
                         [auth[a] for a in s.get("auth", ["password-cleartext"])],
                         username, mark))
    return rows


def q(addr):
    return "/settings?emailaddress=" + urllib.parse.quote(addr, safe="")


class Settings(unittest.TestCase):
    def check_page(self, d, path, prov, username, host=None):
        st, h, body = d.get(path, headers=HTML, host=host)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        self.assertEqual(h["vary"], "Accept")
        self.assertRegex(h["content-security-policy"],
                         r"^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; "
                         r"form-action 'self'; base-uri 'none'; frame-ancestors 'none'$")
        self.assertEqual(h["referrer-policy"], "no-referrer")
        page = Page(body.decode("utf-8"))
        self.assertEqual(page.lang, "en")
        self.assertEqual(page.title, prov["name"] + " – mail settings")
        self.assertEqual(page.heads, ["Protocol", "Server", "Port", "Encryption",
                                      "Authentication", "Username", "Use"])
        for r in page.rows:
            self.assertEqual((r[0]["tag"], r[0]["scope"]), ("th", "row"))
        self.assertEqual(page.servers(), expected_rows(prov, username))
        self.assertEqual((page.external, page.scripts, page.styles), ([], 0, 1))
        self.assertIn("emailaddress", page.inputs)
        return page

    def test_example_providers(self):
        for name, addr in (("many-ports.json", "bob@bigmail.example"),
                           ("one-host.json", "alice@mail-one.example.org")):
            cfg = example(name)
            prov = cfg["providers"][0]
            with self.subTest(config=name), Daemon(cfg) as d:
                page = self.check_page(d, q(addr), prov, addr)
                self.assertEqual(page.inputs["emailaddress"]["value"], addr)
                self.assertIn(prov["documentation"], "".join(page.text))
                # Without an address: the Host names the provider, the
                # username is described rather than filled in.
                self.check_page(d, "/", prov, "your full email address",
                                host="autoconfig." + prov["domains"][0])

    def test_plain_text_for_curl(self):
        cfg = example("many-ports.json")
        with Daemon(cfg) as d:
            for hdrs in (CURL, {}, {"Accept": "text/plain"}, {"Accept": "text/html;q=0, */*"}):
                with self.subTest(accept=hdrs):
                    st, h, body = d.get(q("bob@bigmail.example"), headers=hdrs)
                    self.assertEqual(st, 200)
                    self.assertEqual(h["content-type"], "text/plain; charset=utf-8")
                    self.assertNotIn("content-security-policy", h)
            text = body.decode()
            self.assertTrue(text.startswith("Mail settings for BigMail (bob@bigmail.example)\n"))
            blocks = text.split("\n\n")[1:-1]
            self.assertEqual(len(blocks), 9)
            self.assertEqual(blocks[0], "IMAP (incoming): Recommended\n"
                             "  Server:          imap.bigmail.example\n"
                             "  Port:            993\n"
                             "  Encryption:      SSL/TLS\n"
                             "  Authentication:  Normal password\n"
                             "  Username:        bob@bigmail.example")
            self.assertTrue(blocks[2].startswith("IMAP (incoming): Not recommended: no encryption\n"))
            self.assertIn("  Port:            25\n", blocks[8])
            self.assertIn("Help:              https://help.bigmail.example/mail/settings\n", text)
            st, h, body = d.get("/", headers=CURL)
            self.assertEqual(st, 200)
            self.assertIn(b"settings?emailaddress=", body)

    def test_form_errors_and_escaping(self):
        cfg = {"providers": [provider("example.com", name='Ex <b>&"\'', servers=[
            {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "ssl",
             "username": "%EMAILLOCALPART%"},
            {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "security": "ssl",
             "auth": ["OAuth2", "password-encrypted"]}])]}
        with Daemon(cfg) as d:
            addr = "o'ne&\"two\"{}@Example.COM"
            st, _, body = d.get(q(addr), headers=HTML)
            self.assertEqual(st, 400)   # quotes are RFC 5322 specials
            page = Page(body.decode())
            self.assertEqual(page.inputs["emailaddress"]["value"], addr)
            self.assertEqual(page.error, "invalid emailaddress: invalid character in local part")
            self.assertEqual(page.rows, [])
            addr = "o'ne&two{}@Example.COM"
            st, _, body = d.get(q(addr), headers=HTML)
            self.assertEqual(st, 200, body)
            page = Page(body.decode())
            self.assertEqual(page.title, 'Ex <b>&"\' – mail settings')
            self.assertEqual(page.inputs["emailaddress"]["value"], addr)
            self.assertEqual([r[5] for r in page.servers()],
                             ["o'ne&two{}", "o'ne&two{}@example.com"])
            self.assertEqual(page.servers()[1][4], ["OAuth2", "Encrypted password"])
            self.assertIn("email.mobileconfig?emailaddress=o%27ne%26two%7B%7D@example.com",
                          page.links)
            self.assertNotIn(b"<b>", body)
            for addr, status, why in (("<script>@example.com", 400, "invalid character"),
                                      ("a@unknown.example", 404,
                                       "no provider serves the domain unknown.example"),
                                      ("no-at-sign", 400, "no '@'")):
                with self.subTest(addr=addr):
                    st, h, body = d.get(q(addr), headers=HTML)
                    self.assertEqual(st, status)
                    self.assertEqual(h["content-type"], "text/html; charset=utf-8")
                    page = Page(body.decode())
                    self.assertIn(why, page.error)
                    self.assertEqual(page.inputs["emailaddress"]["value"], addr)
                    self.assertNotIn(b"<script>", body)
                    st, h, body = d.get(q(addr), headers=CURL)
                    self.assertEqual(st, status)
                    self.assertTrue(body.startswith(b"error: "))
            # An odd Host without an address is just the form.
            for host in ("127.0.0.1", "<x>", "a&b"):
                st, _, body = d.get("/", headers=HTML, host=host)
                self.assertEqual(st, 200)
                page = Page(body.decode())
                self.assertEqual((page.rows, page.error, page.title), ([], None, "Mail settings"))
            st, h, _ = d.request("POST", "/settings", body=b"x")
            self.assertEqual((st, h["allow"]), (405, "GET, HEAD"))
            self.assertTrue(d.alive())


def png_pixels(data):
    """(width, height, pixel rows) of an 8-bit RGB or RGBA PNG, each row a
    list of colour tuples: enough of PNG to look at a screenshot."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:8]
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    width, height, depth, ctype, _, _, interlace = head
    assert depth == 8 and ctype in (2, 6) and interlace == 0, head
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser(unittest.TestCase):
    """The page in real headless Chromium: it renders, the inline style sheet
    passes the CSP (by its hash), the table is what the config says."""

    def run_chromium(self, url, *args):
        exe = harness.need(self, "chromium", "chromium", found=chromium())
        with tempfile.TemporaryDirectory(prefix="autoconfd-chromium-") as prof:
            cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--user-data-dir=" + prof,
                   "--enable-logging=stderr", "--v=0"] + list(args) + [url]
            return subprocess.run(cmd, capture_output=True, timeout=90, text=True)

    def test_renders_in_chromium(self):
        cfg = example("many-ports.json")
        prov = cfg["providers"][0]
        with Daemon(cfg) as d, tempfile.TemporaryDirectory() as tmp:
            url = "http://127.0.0.1:%d%s" % (d.port, q("bob@bigmail.example"))
            r = self.run_chromium(url, "--dump-dom")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            page = Page(r.stdout)
            self.assertEqual(page.servers(), expected_rows(prov, "bob@bigmail.example"))
            self.assertEqual(page.title, "BigMail – mail settings")
            self.assertNotIn("Content Security Policy", r.stderr)
            shot = os.path.join(tmp, "settings.png")
            r = self.run_chromium(url, "--screenshot=" + shot, "--window-size=1100,900",
                                  "--hide-scrollbars")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertNotIn("Content Security Policy", r.stderr)
            with open(shot, "rb") as f:
                png = f.read()
            # A page, not a blank canvas: the window's size, and besides the
            # background, text and the table's lines in other colours.
            width, height, rows = png_pixels(png)
            self.assertEqual((width, height), (1100, 900))
            counts = {}
            for row in rows:
                for px in row:
                    counts[px] = counts.get(px, 0) + 1
            background = max(counts.values())
            self.assertGreater(len(counts), 2, counts)
            self.assertGreater(width * height - background, width * height // 100)
            keep = os.environ.get("AUTOCONFD_SCREENSHOT")
            if keep:
                shutil.copy(shot, keep)


if __name__ == "__main__":
    harness.main()
