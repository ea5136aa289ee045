#!/usr/bin/env python3
"""The settings page for people: HTML for browsers (checked in real headless
Chromium), plain text for curl, always generated from the config."""
import base64
import hashlib
import html.parser
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import time
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
        self.assertEqual(h["vary"], "Accept, User-Agent")
        m = re.match(r"^default-src 'none'; style-src 'sha256-([A-Za-z0-9+/]{43}=)'; "
                     r"script-src 'sha256-([A-Za-z0-9+/]{43}=)'; "
                     r"form-action 'self'; base-uri 'none'; frame-ancestors 'none'$",
                     h["content-security-policy"])
        self.assertIsNotNone(m, h["content-security-policy"])
        # The page's one style sheet and one script, each by its hash.
        text = body.decode("utf-8")
        css = re.findall(r"<style>(.*?)</style>", text, re.S)
        js = re.findall(r"<script>(.*?)</script>", text, re.S)
        self.assertEqual(len(css), 1)
        self.assertEqual(len(js), 1)
        for inline, digest in ((css[0], m.group(1)), (js[0], m.group(2))):
            self.assertEqual(base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode(),
                             digest)
        self.assertEqual(h["referrer-policy"], "no-referrer")
        page = Page(body.decode("utf-8"))
        self.assertEqual(page.lang, "en")
        self.assertEqual(page.title, prov["name"] + " – mail settings")
        self.assertEqual(page.heads, ["Protocol", "Server", "Port", "Encryption",
                                      "Authentication", "Username", "Use"])
        for r in page.rows:
            self.assertEqual((r[0]["tag"], r[0]["scope"]), ("th", "row"))
        self.assertEqual(page.servers(), expected_rows(prov, username))
        self.assertEqual((page.external, page.scripts, page.styles), ([], 1, 1))
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
                    # The page's own script only; the request's is text.
                    self.assertEqual(body.count(b"<script"), 1)
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


def chromium(test=None):
    """The browser the tests drive: missing, it fails them (harness.need)."""
    found = next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome")) if p), None)
    return harness.need(test, "chromium", "chromium", found=found)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--force-device-scale-factor=1"]
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Mobile Safari/537.36")
DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36")
LONG_ADDR = "firstname.middlename.lastname+newsletters@shop.customers.bigmail.example"


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: messages are JSON ended by a NUL byte, read
    from the browser's descriptor 3 and written to its 4): no port to
    open, no library to install. Every wait is bounded."""

    TIMEOUT = 60

    def __init__(self):
        exe = chromium()
        self.prof = tempfile.TemporaryDirectory(prefix="autoconfd-chromium-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        self.proc = subprocess.Popen(
            [exe] + CHROMIUM_FLAGS + ["--remote-debugging-pipe",
                                      "--user-data-dir=" + self.prof.name, "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf, self.next_id, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        m = self.wait(lambda m: m.get("id") == self.next_id, method)
        if "error" in m:
            raise AssertionError("%s: %s" % (method, m["error"]))
        return m["result"]

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def wait(self, pred, what):
        """The first message pred accepts; the others are kept as events."""
        for i, m in enumerate(self.events):
            if pred(m):
                return self.events.pop(i)
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if pred(m):
                    return m
                self.events.append(m)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("chromium: no answer to %s within %ds"
                                     % (what, self.TIMEOUT))
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                data = os.read(self.from_r, 1 << 20)
                if not data:
                    raise AssertionError("chromium exited (waiting for %s)" % what)
                self.buf += data

    def open(self, url, width, height, ua, scheme="light", script=True):
        """Loads url in a viewport of width x height CSS pixels, as a
        phone (touch, the viewport meta honoured) below 800."""
        self.page("Page.enable")
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 800)
        self.page("Emulation.setUserAgentOverride", userAgent=ua)
        self.page("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-color-scheme", "value": scheme}])
        self.page("Emulation.setScriptExecutionDisabled", value=not script)
        # Not subject to the page's CSP: records what it refuses.
        self.page("Page.addScriptToEvaluateOnNewDocument", source=(
            "window.__csp = [];document.addEventListener('securitypolicyviolation',"
            "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"))
        self.events = [m for m in self.events if m.get("method") != "Page.loadEventFired"]
        self.page("Page.navigate", url=url)
        self.wait(lambda m: m.get("method") == "Page.loadEventFired", "the page load")

    def js(self, expr, promise=False):
        r = self.page("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=promise)
        if "exceptionDetails" in r:
            raise AssertionError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self, width, height):
        """The whole page from its top left, width x height CSS pixels."""
        return base64.b64decode(self.page(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})["data"])

    def close(self):
        try:
            self.call("Browser.close")
            self.proc.wait(15)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.to_w)
            os.close(self.from_r)
            self.prof.cleanup()


def rgb(css):
    """'rgb(11, 87, 208)' -> (11, 87, 208)."""
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


def near(a, b, tol=12):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


# What the tests read from the laid-out page, in CSS pixels.
MEASURE = r"""(() => {
  const box = e => { const b = e.getBoundingClientRect();
    return {x: b.left, y: b.top, w: b.width, h: b.height, r: b.right, b: b.bottom}; };
  const cs = e => getComputedStyle(e);
  const shown = e => { const b = e.getBoundingClientRect(); return b.width > 1 && b.height > 1 &&
    cs(e).visibility !== 'hidden' && !e.closest('thead'); };
  const q = s => document.querySelector(s);
  const els = [...document.querySelectorAll('main *')].filter(shown);
  return JSON.stringify({
    innerWidth, innerHeight,
    scrollWidth: document.scrollingElement.scrollWidth,
    scrollHeight: document.scrollingElement.scrollHeight,
    bodyBg: cs(document.body).backgroundColor, bodyFg: cs(document.body).color,
    overflowing: els.filter(e => box(e).r > innerWidth + 0.5 || box(e).x < -0.5)
      .map(e => e.outerHTML.slice(0, 80)),
    smallText: els.filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.data.trim())
      && parseFloat(cs(e).fontSize) < 12).map(e => e.outerHTML.slice(0, 80)),
    thead: {display: cs(q('thead')).display, box: box(q('thead'))},
    rows: [...document.querySelectorAll('tbody tr')].map(tr => ({
      cls: tr.className, display: cs(tr).display, box: box(tr), bg: cs(tr).backgroundColor,
      cells: [...tr.children].map(c => ({label: c.dataset.label || null, box: box(c),
        before: getComputedStyle(c, '::before').content, text: c.innerText}))})),
    copy: [...document.querySelectorAll('button.copy')].map(b => ({shown: shown(b),
      label: b.getAttribute('aria-label'), value: b.previousElementSibling.textContent})),
    profile: q('#profile') && {tag: q('#profile').tagName, box: box(q('#profile')),
      bg: cs(q('#profile')).backgroundColor, href: q('#profile').getAttribute('href') ||
      q('#profile a').getAttribute('href')},
    form: box(q('form')), table: box(q('table')),
    csp: window.__csp,
  });
})()"""


class Browser(unittest.TestCase):
    """The page in real headless Chromium: it renders, the inline style sheet
    passes the CSP (by its hash), the table is what the config says."""

    def run_chromium(self, url, *args):
        exe = chromium(self)
        with tempfile.TemporaryDirectory(prefix="autoconfd-chromium-") as prof:
            cmd = [exe] + CHROMIUM_FLAGS + ["--user-data-dir=" + prof,
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
            r = self.run_chromium(url, "--screenshot=" + shot, "--window-size=1100,900")
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


class Layout(unittest.TestCase):
    """The laid-out page over the DevTools protocol, at 390 px (a phone) and
    1280 px: one column of cards or the table, nothing to scroll sideways,
    the profile first for Apple devices, copy buttons that copy, a dark
    scheme, and screenshots whose pixels are where the layout says."""

    @classmethod
    def setUpClass(cls):
        cfg = example("many-ports.json")
        cls.prov = cfg["providers"][0]
        cls.browser = DevTools()     # first: it may fail or be skipped
        cls.d = Daemon(cfg).start()
        cls.shots = os.environ.get("AUTOCONFD_SCREENSHOT_DIR")

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.d.stop()
        cls.d.dir.cleanup()

    def load(self, width, ua, addr=LONG_ADDR, scheme="light", script=True, name=None):
        b = self.browser
        b.open("http://127.0.0.1:%d%s" % (self.d.port, q(addr)), width, 844, ua, scheme,
               script)
        m = json.loads(b.js(MEASURE))
        # The whole page, as wide as the window: the pixels below are where
        # the layout says its boxes are.
        png = b.screenshot(width, m["scrollHeight"])
        if self.shots:
            with open(os.path.join(self.shots, "%s.png" % (name or width)), "wb") as f:
                f.write(png)
        w, h, px = png_pixels(png)
        self.assertEqual((w, h), (width, m["scrollHeight"]))
        self.assertEqual(m["csp"], [])
        return m, px

    def pixel(self, px, box, dx=None, dy=None):
        x = int(box["x"] + (box["w"] / 2 if dx is None else dx))
        y = int(box["y"] + (box["h"] / 2 if dy is None else dy))
        return px[y][x]

    def check_no_sideways_scroll(self, m):
        self.assertLessEqual(m["scrollWidth"], m["innerWidth"], m["overflowing"])
        self.assertEqual(m["overflowing"], [])
        self.assertEqual(m["smallText"], [])

    def test_phone_cards(self):
        m, px = self.load(390, IPHONE, name="phone-iphone")
        self.assertEqual(m["innerWidth"], 390)
        self.check_no_sideways_scroll(m)
        # The header row is there for screen readers only.
        self.assertLessEqual(m["thead"]["box"]["h"], 1)
        rows = expected_rows(self.prov, LONG_ADDR)
        self.assertEqual(len(m["rows"]), len(rows))
        labels = ["Server", "Port", "Encryption", "Authentication", "Username", "Use"]
        prev_bottom = 0
        for card, want in zip(m["rows"], rows):
            # One card after another, each the width of the column.
            self.assertEqual(card["display"], "block")
            self.assertGreaterEqual(card["box"]["y"], prev_bottom)
            self.assertLessEqual(card["box"]["r"], 390)
            prev_bottom = card["box"]["b"]
            cells = card["cells"]
            self.assertEqual(cells[0]["text"].split()[0], want[0])
            # Each value on its own line under the one before, labelled.
            self.assertEqual([c["label"] for c in cells[1:]], labels)
            self.assertEqual([c["before"] for c in cells[1:]], ['"%s"' % l for l in labels])
            for a, b in zip(cells, cells[1:]):
                self.assertGreaterEqual(b["box"]["y"], a["box"]["b"] - 0.5)
            self.assertIn(want[1], cells[1]["text"])
            self.assertIn(str(want[2]), cells[2]["text"])
            self.assertIn(want[5], cells[5]["text"])
            self.assertIn(want[6], cells[6]["text"])
            # The screenshot agrees: a not-recommended card is tinted.
            inside = self.pixel(px, card["box"], dx=4, dy=4)
            self.assertTrue(near(inside, rgb(card["bg"])) if card["cls"] == "plain"
                            else near(inside, rgb(m["bodyBg"])), (card, inside))
        self.assertEqual(sum(c["cls"] == "plain" for c in m["rows"]), 3)
        self.assertTrue(near(rgb(m["rows"][2]["bg"]), (255, 244, 244)), m["rows"][2]["bg"])
        # The profile first, as a button, on the first screen.
        p = m["profile"]
        self.assertEqual(p["tag"], "A")
        self.assertEqual(p["href"], "email.mobileconfig?emailaddress=" +
                         urllib.parse.quote(LONG_ADDR, safe="@"))
        self.assertLess(p["box"]["b"], m["form"]["y"])
        self.assertLess(p["box"]["b"], m["table"]["y"])
        self.assertLess(p["box"]["b"], 844)
        self.assertTrue(near(self.pixel(px, p["box"], dx=4, dy=4), rgb(p["bg"])), p)
        self.assertTrue(near(rgb(p["bg"]), (11, 87, 208)), p["bg"])

    def test_phone_without_apple(self):
        m, px = self.load(390, ANDROID, name="phone-android")
        self.check_no_sideways_scroll(m)
        # Elsewhere the profile is a line after the table.
        self.assertEqual(m["profile"]["tag"], "P")
        self.assertGreater(m["profile"]["box"]["y"], m["table"]["b"])

    def test_desktop_table(self):
        m, px = self.load(1280, DESKTOP, name="desktop")
        self.assertEqual(m["innerWidth"], 1280)
        self.check_no_sideways_scroll(m)
        self.assertEqual(m["thead"]["display"], "table-header-group")
        self.assertGreater(m["thead"]["box"]["h"], 20)
        for row in m["rows"]:
            self.assertEqual(row["display"], "table-row")
            # Every cell of a row on one line, left to right.
            tops = {round(c["box"]["y"]) for c in row["cells"]}
            self.assertEqual(len(tops), 1, row)
            xs = [c["box"]["x"] for c in row["cells"]]
            self.assertEqual(xs, sorted(xs))
            self.assertIsNone(row["cells"][0]["label"])
        self.assertGreater(m["profile"]["box"]["y"], m["table"]["b"])
        # The screenshot agrees: the header row is shaded, the page not.
        head = m["thead"]["box"]
        self.assertTrue(near(self.pixel(px, head, dx=3, dy=3), (242, 242, 242)))
        self.assertTrue(near(self.pixel(px, head, dx=3, dy=-6), rgb(m["bodyBg"])))

    def test_mac_gets_the_profile_first(self):
        m, _ = self.load(1280, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                         name="desktop-mac")
        self.assertEqual(m["profile"]["tag"], "A")
        self.assertLess(m["profile"]["box"]["b"], m["table"]["y"])

    def test_dark(self):
        m, px = self.load(390, IPHONE, scheme="dark", name="phone-dark")
        self.check_no_sideways_scroll(m)
        bg, fg = rgb(m["bodyBg"]), rgb(m["bodyFg"])
        self.assertLess(sum(bg), 3 * 40, bg)
        self.assertGreater(sum(fg), 3 * 200, fg)
        # The page's background, where nothing is drawn: the margins.
        self.assertTrue(near(px[len(px) - 2][388], bg), px[len(px) - 2][388])
        self.assertTrue(near(px[2][2], bg), px[2][2])
        p = m["profile"]
        self.assertTrue(near(self.pixel(px, p["box"], dx=4, dy=4), rgb(p["bg"])), p)
        plain = [r for r in m["rows"] if r["cls"] == "plain"][0]
        self.assertLess(sum(rgb(plain["bg"])), 3 * 80, plain["bg"])

    def test_copy(self):
        b = self.browser
        m, _ = self.load(390, IPHONE)
        self.assertEqual(len(m["copy"]), 3 * len(m["rows"]))
        self.assertTrue(all(c["shown"] for c in m["copy"]), m["copy"])
        self.assertEqual(m["copy"][:3], [
            {"shown": True, "label": "Copy the server name", "value": "imap.bigmail.example"},
            {"shown": True, "label": "Copy the port", "value": "993"},
            {"shown": True, "label": "Copy the username", "value": LONG_ADDR}])
        origin = "http://127.0.0.1:%d" % self.d.port
        b.call("Browser.grantPermissions", origin=origin,
               permissions=["clipboardReadWrite", "clipboardSanitizedWrite"])
        for i, want in ((0, "imap.bigmail.example"), (2, LONG_ADDR), (1, "993")):
            b.js("document.querySelectorAll('button.copy')[%d].click()" % i)
            got = b.js("new Promise(r => setTimeout(r, 50)).then(() => "
                       "navigator.clipboard.readText())", promise=True)
            self.assertEqual(got, want)
            self.assertTrue(b.js("document.querySelectorAll('button.copy')[%d]"
                                 ".classList.contains('done')" % i))

    def test_without_script(self):
        m, _ = self.load(390, IPHONE, script=False, name="phone-noscript")
        self.check_no_sideways_scroll(m)
        # The buttons stay hidden; every value is there to read.
        self.assertTrue(m["copy"])
        self.assertFalse(any(c["shown"] for c in m["copy"]), m["copy"])
        self.assertIn(LONG_ADDR, m["rows"][0]["cells"][5]["text"])
        self.assertEqual(m["profile"]["tag"], "A")


if __name__ == "__main__":
    harness.main()
