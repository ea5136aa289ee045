#!/usr/bin/env python3
"""Operations against the real daemon: /healthz, /metrics, the access log,
and the limits from the config."""
import http.client
import os
import re
import signal
import socket
import threading
import time
import unittest

import harness
from harness import Daemon, provider

AC = "/mail/config-v1.1.xml"
# time client method path status bytes usec endpoint domain "user agent"
# host client-family provider
LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+) (\S+) (\S+) (\d{3}) '
                  r'(\d+) (\d+) (\S+) (\S+) "(.*)" (\S+) (\S+) (\S+)$')


def config(**top):
    cfg = {"providers": [provider()]}
    cfg.update(top)
    return cfg


def metrics(d):
    """The /metrics text parsed into {(name, frozenset(labels)): value}."""
    st, h, body = d.get("/metrics")
    assert st == 200, st
    assert h["content-type"] == "text/plain; version=0.0.4; charset=utf-8", h
    out = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def counter(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0)


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + harness.scaled(timeout)
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


class HealthAndMetrics(unittest.TestCase):

    def test_healthz(self):
        with Daemon(config()) as d:
            st, h, body = d.get("/healthz")
            self.assertEqual((st, body), (200, b"ok\n"))
            self.assertEqual(h["content-type"], "text/plain; charset=utf-8")
            self.assertEqual(h["cache-control"], "no-store")
            st, h, body = d.request("HEAD", "/healthz")
            self.assertEqual((st, body), (200, b""))
            st, h, _ = d.request("POST", "/healthz", body=b"")
            self.assertEqual(st, 405)
            self.assertEqual(h["allow"], "GET, HEAD")

    def test_metrics_count_requests(self):
        with Daemon(config()) as d:
            for _ in range(3):
                self.assertEqual(d.get(AC + "?emailaddress=a@example.com")[0], 200)
            self.assertEqual(d.get(AC + "?emailaddress=a@unknown.example")[0], 404)
            self.assertEqual(d.get("/nowhere")[0], 404)
            m = metrics(d)
            self.assertEqual(counter(m, "autoconfd_requests_total",
                                     endpoint="autoconfig", code="200"), 3)
            self.assertEqual(counter(m, "autoconfd_requests_total",
                                     endpoint="autoconfig", code="404"), 1)
            self.assertEqual(counter(m, "autoconfd_requests_total",
                                     endpoint="other", code="404"), 1)
            self.assertEqual(counter(m, "autoconfd_request_duration_seconds_count",
                                     endpoint="autoconfig"), 4)
            self.assertEqual(counter(m, "autoconfd_request_duration_seconds_bucket",
                                     endpoint="autoconfig", le="+Inf"), 4)
            # Buckets are cumulative.
            prev = 0
            for le in ("5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                       "0.005", "0.01", "0.025", "0.1", "1", "+Inf"):
                v = counter(m, "autoconfd_request_duration_seconds_bucket",
                            endpoint="autoconfig", le=le)
                self.assertGreaterEqual(v, prev)
                prev = v
            self.assertEqual(counter(m, "autoconfd_config_generation"), 1)
            self.assertEqual(counter(m, "autoconfd_config_reload_failures_total"), 0)
            info = [k for k in m if k[0] == "autoconfd_build_info"]
            self.assertEqual(len(info), 1)
            self.assertIn(("version", "0.1.0"), info[0][1])
            self.assertEqual(m[info[0]], 1)
            self.assertGreater(counter(m, "autoconfd_start_time_seconds"), 1.6e9)

    def test_metrics_reloads_and_connections(self):
        with Daemon(config()) as d:
            d.reload(config(), expect="generation 2")
            d.reload("{ broken", expect="previous config keeps serving")
            m = metrics(d)
            self.assertEqual(counter(m, "autoconfd_config_generation"), 2)
            self.assertEqual(counter(m, "autoconfd_config_reloads_total"), 1)
            self.assertEqual(counter(m, "autoconfd_config_reload_failures_total"), 1)
            # The /metrics connection itself is open while it is answered.
            self.assertEqual(counter(m, "autoconfd_open_connections"), 1)
            held = [socket.create_connection((d.host, d.port)) for _ in range(3)]
            try:
                self.assertTrue(wait_for(lambda: counter(
                    metrics(d), "autoconfd_open_connections") == 4))
            finally:
                for s in held:
                    s.close()
            self.assertTrue(wait_for(lambda: counter(
                metrics(d), "autoconfd_open_connections") == 1))

    def test_switched_off(self):
        with Daemon(config(healthz=False, metrics=False)) as d:
            self.assertEqual(d.get("/healthz")[:1], (404,))
            self.assertEqual(d.get("/metrics")[0], 404)
            self.assertEqual(d.get(AC + "?emailaddress=a@example.com")[0], 200)
            # Switched on again by a reload.
            d.reload(config(), expect="generation 2")
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertEqual(d.get("/metrics")[0], 200)


class AccessLog(unittest.TestCase):

    def read_lines(self, path, n):
        def got():
            if not os.path.exists(path):
                return None
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            return lines if len(lines) >= n else None
        lines = wait_for(got)
        self.assertIsNotNone(lines, "fewer than %d lines in %s" % (n, path))
        return lines

    def test_file_lines_and_privacy(self):
        cfg = config(trusted_proxies=["127.0.0.1"])
        with Daemon(cfg) as d:
            log = os.path.join(d.dir.name, "access.log")
            cfg["access_log"] = log
            d.reload(cfg, expect="generation 2")
            d.get(AC + "?emailaddress=alice@example.com&x=secret",
                  headers={"User-Agent": 'Thunder "bird"\x7f',
                           "Authorization": "Basic c2VjcmV0OnB3"})
            d.get("/autodiscover/autodiscover.json/v1.0/bob@example.com?Protocol=x",
                  headers={"X-Forwarded-For": "203.0.113.5, 198.51.100.9"})
            d.request("HEAD", "/healthz")
            lines = self.read_lines(log, 3)
            self.assertEqual(len(lines), 3, lines)
            m = [LINE.match(l) for l in lines]
            self.assertTrue(all(m), lines)
            # Workers buffer their own lines: the file is in order per
            # worker, not overall.
            m = {x.group(4): x for x in m}
            f = m[AC].groups()
            self.assertEqual(f[1:10], ("127.0.0.1", "GET", AC, "200",
                                     str(len(d.get(AC + "?emailaddress=a@example.com")[2])),
                                     f[6], "autoconfig", "example.com",
                                     'Thunder \\x22bird\\x22\\x7f'))
            self.assertLessEqual(abs(time.mktime(time.strptime(f[0], "%Y-%m-%dT%H:%M:%SZ"))
                                     - time.mktime(time.gmtime())), 60)
            f = m["/autodiscover/autodiscover.json/v1.0/*@example.com"].groups()
            # A trusted proxy's X-Forwarded-For names the client.
            self.assertEqual(f[1:6], ("198.51.100.9", "GET",
                                      "/autodiscover/autodiscover.json/v1.0/*@example.com",
                                      "400", f[5]))
            self.assertEqual(m["/healthz"].group(3, 4, 5, 8), ("HEAD", "/healthz", "200", "healthz"))
            text = "\n".join(lines)
            for secret in ("alice", "bob", "secret", "c2VjcmV0", "Basic", "x="):
                self.assertNotIn(secret, text)

    def test_full_addresses_and_untrusted_proxy(self):
        with Daemon(config(log_full_addresses=True)) as d:
            log = os.path.join(d.dir.name, "a.log")
            d.reload(config(log_full_addresses=True, access_log=log),
                     expect="generation 2")
            d.get(AC + "?emailaddress=alice@example.com",
                  headers={"X-Forwarded-For": "203.0.113.5"})
            f = LINE.match(self.read_lines(log, 1)[0]).groups()
            # No trusted proxies: the header is the client's word only.
            self.assertEqual(f[1], "127.0.0.1")
            self.assertEqual(f[8], "alice@example.com")

    def test_reopen_on_sighup(self):
        with Daemon(config()) as d:
            log = os.path.join(d.dir.name, "access.log")
            cfg = config(access_log=log)
            d.reload(cfg, expect="generation 2")
            d.get("/healthz")
            self.read_lines(log, 1)
            os.rename(log, log + ".1")
            d.get("/healthz?after=rename")      # still goes to the renamed file
            d.reload(cfg, expect="generation 3")
            d.get("/metrics")
            self.assertEqual(len(self.read_lines(log + ".1", 2)), 2)
            new = self.read_lines(log, 1)
            self.assertEqual(len(new), 1)
            self.assertIn(" GET /metrics 200 ", new[0])
            # Switched off by a reload: nothing more is written.
            d.reload(config(), expect="generation 4")
            d.get("/healthz")
            d.get("/metrics")
            self.assertEqual(len(self.read_lines(log, 1)), 1)

    def test_stderr(self):
        with Daemon(config(access_log="stderr")) as d:
            d.get(AC, host="autoconfig.example.com")
            i = d.wait_log(" GET " + AC + " 200 ")
            self.assertTrue(LINE.match(d.lines[i]), d.lines[i])

    def agent_lines(self, path, n):
        """The User-Agent field of the first n lines of path."""
        return [LINE.match(l).group(10) for l in self.read_lines(path, n)]

    def test_unwritable_log_keeps_previous(self):
        with Daemon(config()) as d:
            good = os.path.join(d.dir.name, "a.log")
            d.reload(config(access_log=good), expect="generation 2")
            d.get("/healthz", headers={"User-Agent": "one"})
            bad = os.path.join(d.dir.name, "no-such-dir", "a.log")
            d.reload(config(access_log=bad), expect="access log %s: No such file" % bad)
            d.wait_log("generation 3")
            d.get("/healthz", headers={"User-Agent": "two"})
            # The lines go on to the file that could be opened.
            self.assertEqual(self.agent_lines(good, 2), ["one", "two"])
            self.assertFalse(os.path.exists(os.path.dirname(bad)))

    def test_failed_reload_keeps_the_log(self):
        """A reload that fails changes nothing, the access log included:
        lines go on to the file in use, the new one is not created; the
        next good reload moves them."""
        with Daemon(config()) as d:
            old = os.path.join(d.dir.name, "old.log")
            new = os.path.join(d.dir.name, "new.log")
            d.reload(config(access_log=old), expect="generation 2")
            d.get("/healthz", headers={"User-Agent": "before"})
            for broken in ('{"access_log": "%s", "providers": [' % new,
                           config(access_log=new, limits={"threads": -1}),
                           config(access_log=new, providers=[])):
                d.reload(broken, expect="previous config keeps serving")
                d.get("/healthz", headers={"User-Agent": "failed"})
            self.assertEqual(self.agent_lines(old, 4), ["before"] + ["failed"] * 3)
            self.assertFalse(os.path.exists(new))
            d.reload(config(access_log=new), expect="generation 3")
            d.get("/healthz", headers={"User-Agent": "after"})
            self.assertEqual(self.agent_lines(new, 1), ["after"])
            self.assertEqual(len(self.read_lines(old, 4)), 4)


# User-Agent values as the clients send them (src/client.c lists them).
UA = {
    "thunderbird": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) "
                   "Gecko/20100101 Thunderbird/128.5.0",
    "android": "okhttp/4.12.0",
    "outlook": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook "
               "16.0.17928; Pro)",
    "ios-exchange": "iOS/17.5 (21F79) dataaccessd/1.0",
    "safari-iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
                     "Mobile/15E148 Safari/604.1",
    "kmail": "Mozilla/5.0 (X11; Linux x86_64) KHTML/5.115.0 (like Gecko) "
             "Konqueror/5 KIO/5.115",
    "curl": "curl/8.5.0",
}
POX_NS = "http://schemas.microsoft.com/exchange/autodiscover/%s/requestschema/2006"
POX_RESP = {"outlook": "http://schemas.microsoft.com/exchange/autodiscover/outlook/"
                       "responseschema/2006a",
            "mobilesync": "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/"
                          "responseschema/2006"}


HOST = None    # the Host http.client sends itself: 127.0.0.1:PORT


def pox(addr, schema="outlook"):
    return ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="%s"><Request>'
            '<EMailAddress>%s</EMailAddress><AcceptableResponseSchema>%s'
            '</AcceptableResponseSchema></Request></Autodiscover>'
            % (POX_NS % schema, addr, POX_RESP[schema])).encode()


class ClientMetrics(unittest.TestCase):
    """autoconfd_client_requests_total{client,outcome} and the access log's
    Host, client and provider fields, for requests as each client makes
    them."""

    CASES = [
        # (method, path, headers, body, status, client, outcome, log: host,
        #  domain, provider)
        ("GET", AC + "?emailaddress=alice%40Example.com", {"User-Agent": UA["thunderbird"],
         "Host": "autoconfig.example.com"}, None, 200, "thunderbird", "answered",
         "autoconfig.example.com", "example.com", "example.com"),
        ("GET", AC, {"User-Agent": UA["android"], "Host": "AutoConfig.Hosted.Example:443"},
         None, 200, "thunderbird-android", "answered", "autoconfig.hosted.example:443",
         "hosted.example", "hosted"),
        ("GET", "/.well-known/autoconfig" + AC, {"User-Agent": UA["android"],
         "Host": "nowhere.example"}, None, 404, "thunderbird-android", "unknown_domain",
         "nowhere.example", "nowhere.example", "-"),
        ("GET", AC + "?emailaddress=EVOLUTIONUSER%40example.com&emailmd5=0", {}, None, 200,
         "evolution", "answered", HOST, "example.com", "example.com"),
        ("GET", AC, {"User-Agent": UA["kmail"], "Host": "autoconfig.example.com"}, None,
         200, "evolution", "answered", "autoconfig.example.com", "example.com",
         "example.com"),
        ("GET", AC + "?emailaddress=not-an-address", {"User-Agent": UA["thunderbird"]},
         None, 400, "thunderbird", "bad_address", HOST, "-", "-"),
        ("POST", "/Autodiscover/Autodiscover.xml", {"User-Agent": UA["outlook"],
         "Content-Type": "text/xml"}, pox("bob@example.com"), 200, "outlook", "answered",
         HOST, "example.com", "example.com"),
        ("POST", "/autodiscover/autodiscover.xml", {"User-Agent": UA["outlook"]},
         pox("bob@elsewhere.example"), 404, "outlook", "unknown_domain", HOST,
         "elsewhere.example", "-"),
        ("POST", "/autodiscover/autodiscover.xml", {"User-Agent": UA["outlook"]},
         b"<Autodiscover/>", 200, "outlook", "missing_address", HOST, "-", "-"),
        ("POST", "/autodiscover/autodiscover.xml", {"User-Agent": UA["ios-exchange"]},
         pox("bob@example.com", "mobilesync"), 200, "activesync", "answered",
         HOST, "example.com", "example.com"),
        ("POST", "/autodiscover/autodiscover.xml", {"User-Agent": UA["ios-exchange"]},
         pox("bob@hosted.example", "mobilesync"), 200, "activesync", "not_found",
         HOST, "hosted.example", "hosted"),
        # Outlook's v2 probes for a domain the config lacks.
        ("GET", "/autodiscover/autodiscover.json/v1.0/bob@elsewhere.example"
         "?Protocol=AutodiscoverV1", {"User-Agent": UA["outlook"]}, None, 404, "outlook",
         "unknown_domain", HOST, "elsewhere.example", "-"),
        ("GET", "/autodiscover/autodiscover.json?Email=bob%40example.com&Protocol=Rest",
         {"User-Agent": UA["outlook"]}, None, 400, "outlook", "not_found", HOST,
         "example.com", "example.com"),
        ("GET", "/email.mobileconfig?emailaddress=carol%40example.com",
         {"User-Agent": UA["safari-iphone"]}, None, 200, "apple", "answered",
         HOST, "example.com", "example.com"),
        ("GET", "/email.mobileconfig", {"User-Agent": UA["safari-iphone"]}, None, 400,
         "apple", "missing_address", HOST, "-", "-"),
        ("GET", "/.well-known/user-agent-configuration.json",
         {"Host": "ua-auto-config.hosted.example"}, None, 200, "pacc", "answered",
         "ua-auto-config.hosted.example", "hosted.example", "hosted"),
        ("GET", "/autodiscover/autodiscover.svc", {"User-Agent": UA["outlook"]}, None, 404,
         "outlook", "not_found", HOST, "-", "-"),
        ("GET", AC + "?emailaddress=alice%40example.com", {"User-Agent": UA["curl"]}, None,
         200, "other", "answered", HOST, "example.com", "example.com"),
    ]

    def test_counted_and_logged(self):
        cfg = config(providers=[
            provider(activesync="https://mail.example.com/Microsoft-Server-ActiveSync"),
            provider("hosted", domains=["hosted.example"])])
        with Daemon(cfg) as d:
            log = os.path.join(d.dir.name, "access.log")
            cfg["access_log"] = log
            d.reload(cfg, expect="generation 2")
            before = metrics(d)
            want = {}
            for c in self.CASES:
                method, path, hdrs, body, status, client, outcome = c[:7]
                hdrs = dict(hdrs)
                host = hdrs.pop("Host", None)
                st, _, _ = d.request(method, path, body=body, headers=hdrs, host=host)
                self.assertEqual(st, status, c)
                want[(client, outcome)] = want.get((client, outcome), 0) + 1
            # Not a client's request: counted nowhere here.
            d.get("/healthz", headers={"User-Agent": UA["thunderbird"]})
            after = metrics(d)
            clients = ("thunderbird", "thunderbird-android", "outlook", "apple",
                       "evolution", "pacc", "activesync", "other")
            outcomes = ("answered", "unknown_domain", "bad_address", "missing_address",
                        "not_found")
            series = {k[1] for k in after if k[0] == "autoconfd_client_requests_total"}
            self.assertEqual(series, {frozenset({("client", c), ("outcome", o)})
                                      for c in clients for o in outcomes})
            for c in clients:
                for o in outcomes:
                    delta = (counter(after, "autoconfd_client_requests_total",
                                     client=c, outcome=o) -
                             counter(before, "autoconfd_client_requests_total",
                                     client=c, outcome=o))
                    self.assertEqual(delta, want.get((c, o), 0), (c, o))
            lines = self.read_lines(log, len(self.CASES) + 2)
            by_ua_path = {}
            for l in lines:
                m = LINE.match(l)
                self.assertTrue(m, l)
                by_ua_path.setdefault((m.group(4), m.group(5)), []).append(m.groups())
            for c in self.CASES:
                method, path, hdrs, body, status, client, outcome, host, dom, prov = c
                logged_path = re.sub(r"[^/]*@", "*@", path.split("?")[0])
                got = by_ua_path[(logged_path, str(status))]
                if host == HOST:
                    host = "127.0.0.1:%d" % d.port
                self.assertIn((dom, host, client, prov),
                              [(f[8], f[10], f[11], f[12]) for f in got], c)
            # /healthz and /metrics: no client, no provider.
            for f in by_ua_path[("/healthz", "200")]:
                self.assertEqual(f[10:], ("127.0.0.1:%d" % d.port, "-", "-"))
            text = "\n".join(lines)
            for secret in ("alice", "bob", "carol", "EVOLUTIONUSER"):
                self.assertNotIn(secret, text)

    read_lines = AccessLog.read_lines


class Limits(unittest.TestCase):

    def test_body_cap_from_config(self):
        with Daemon(config(limits={"body_max": 1024})) as d:
            st, _, body = d.request("POST", AC, body=b"x" * 1025)
            self.assertEqual((st, body), (413, b"request body too large\n"))
            st, _, _ = d.request("POST", AC, body=b"x" * 1024)
            self.assertEqual(st, 405)

    def test_header_cap_from_config(self):
        with Daemon(config(limits={"header_max": 4096})) as d:
            st, _, _ = d.get(AC, host="autoconfig.example.com",
                             headers={"X-Pad": "a" * 3000})
            self.assertEqual(st, 200)
            out = d.raw(b"GET " + AC.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Pad: "
                        + b"a" * 6000 + b"\r\n\r\n")
            self.assertRegex(out, rb"^HTTP/1\.1 431 ")
            out = d.raw(b"GET /" + b"a" * 6000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertRegex(out, rb"^HTTP/1\.1 414 ")
            self.assertTrue(d.alive())

    def test_idle_clients_do_not_block_others(self):
        """Idle and slow clients up to the limit: a normal client is answered."""
        limit = 24
        with Daemon(config(limits={"connections": limit, "threads": 1,
                                   "timeout": 30})) as d:
            idle = []
            try:
                for i in range(limit - 2):
                    s = socket.create_connection((d.host, d.port), timeout=5)
                    if i % 2:
                        s.sendall(b"GET " + AC.encode() + b" HTTP/1.1\r\nHo")
                    idle.append(s)
                # Every idle client is accepted before the normal one comes.
                self.assertTrue(wait_for(lambda: counter(
                    metrics(d), "autoconfd_open_connections") == limit - 1))
                for _ in range(3):
                    st, _, body = d.get(AC + "?emailaddress=a@example.com")
                    self.assertEqual(st, 200)
                # With every slot taken, a new client waits in the listen
                # queue (the daemon stops accepting) until a slot frees.
                idle.append(socket.create_connection((d.host, d.port), timeout=5))
                idle.append(socket.create_connection((d.host, d.port), timeout=5))
                extra = socket.create_connection((d.host, d.port), timeout=1)
                try:
                    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    with self.assertRaises(socket.timeout):
                        extra.recv(100)
                    idle.pop(0).close()
                    extra.settimeout(5)
                    self.assertTrue(extra.recv(100).startswith(b"HTTP/1.1 200 "))
                finally:
                    extra.close()
            finally:
                for s in idle:
                    s.close()
            self.assertTrue(wait_for(lambda: d.get("/healthz")[0] == 200))

    def test_idle_timeout_closes(self):
        with Daemon(config(limits={"timeout": 1})) as d:
            s = socket.create_connection((d.host, d.port), timeout=10)
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHo")
                t0 = time.monotonic()
                self.assertEqual(s.recv(100), b"")
                # The bound is generous (a loaded machine); the point is
                # that the idle connection is closed at all.
                self.assertLess(time.monotonic() - t0, harness.scaled(9))
            finally:
                s.close()

    def test_request_timeout_closes_dribbling_client(self):
        """A client sending its headers a byte at a time, each in time for
        the idle timeout, is closed after limits.request_timeout."""
        with Daemon(config(limits={"timeout": 30, "request_timeout": 1})) as d:
            s = socket.create_connection((d.host, d.port), timeout=10)
            closed = False
            try:
                head = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 200
                s.settimeout(0.2)
                for i in range(len(head)):      # at most ~40 s, far beyond 1 s
                    try:
                        s.send(head[i:i + 1])
                        if s.recv(100) == b"":
                            closed = True
                            break
                    except socket.timeout:
                        continue
                    except OSError:
                        closed = True
                        break
            finally:
                s.close()
            self.assertTrue(closed, "the slow client was never closed")
            m = metrics(d)
            self.assertEqual(counter(m, "autoconfd_request_timeouts_total"), 1)
            # A keep-alive client between requests is not cut short by it
            # unless it idles that long.
            c = d.conn()
            try:
                for _ in range(3):
                    c.request("GET", "/healthz")
                    r = c.getresponse()
                    self.assertEqual((r.status, r.read()), (200, b"ok\n"))
            finally:
                c.close()

    def test_per_ip_limit(self):
        with Daemon(config(limits={"connections_per_ip": 2})) as d:
            a = socket.create_connection((d.host, d.port), timeout=5)
            b = socket.create_connection((d.host, d.port), timeout=5)
            try:
                # The third gets a short 503 and is closed, before it
                # sends anything.
                c = socket.create_connection((d.host, d.port), timeout=5)
                out = b""
                try:
                    while True:
                        chunk = c.recv(4096)
                        if not chunk:
                            break
                        out += chunk
                except ConnectionResetError:
                    pass
                c.close()
                self.assertTrue(out.startswith(b"HTTP/1.1 503 "), out)
                self.assertTrue(out.endswith(b"\r\n\r\ntoo many connections from one "
                                             b"address\n"), out)

                # Counted, asked on a connection already open.
                a.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                r = http.client.HTTPResponse(a)
                r.begin()
                self.assertEqual(r.status, 200)
                text = r.read().decode()
                self.assertIn('autoconfd_edge_rejections_total{reason="per_ip_limit"} 1\n',
                              text)
                self.assertIn('autoconfd_requests_total{endpoint="edge",code="503"} 1\n',
                              text)
            finally:
                a.close()
                b.close()

    def test_limits_change_needs_restart(self):
        with Daemon(config()) as d:
            d.reload(config(limits={"connections": 10}),
                     expect='changed "limits" take effect at the next restart')


class ListenOnReload(unittest.TestCase):
    """A changed "listen" is taken in at the next start only, and said so."""

    def test_changed_listen_warns_and_changes_nothing(self):
        other = harness.reserve_port()      # refused unless listened on
        self.addCleanup(other.close)
        extra = "127.0.0.1:%d" % other.getsockname()[1]

        def make():
            return Daemon(config(listen=["127.0.0.1:%d" % harness.free_port()]), listen=[])
        with harness.start_retrying(make) as d:
            mine = "127.0.0.1:%d" % d.port
            mark = len(d.lines)
            d.reload(config(listen=[mine]), expect="generation 2")
            self.assertNotIn('changed "listen"', "\n".join(d.lines[mark:]))
            mark = len(d.lines)
            d.reload(config(listen=[mine, extra]), expect="generation 3")
            i = d.wait_log('changed "listen" takes effect at the next restart', start=mark)
            self.assertTrue(d.lines[i].startswith("autoconfd: warning: "), d.lines[i])
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(other.getsockname(), timeout=5).close()
            self.assertTrue(d.alive())
            d.reload(config(listen=[extra]), expect="generation 4")
            self.assertTrue(d.alive())

    def test_listen_under_l_is_not_used(self):
        """With -l the config's "listen" is not used: no warning."""
        with Daemon(config()) as d:
            d.reload(config(listen=["127.0.0.1:1"]), expect="generation 2")
            self.assertNotIn('"listen"', d.log())
            self.assertTrue(d.alive())


class Drain(unittest.TestCase):
    """SIGTERM stops accepting, lets requests in progress finish, exits 0."""

    def test_request_in_progress_completes(self):
        body = (b'<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/'
                b'exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>'
                b'alice@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.'
                b'microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'
                b'</AcceptableResponseSchema></Request></Autodiscover>')
        with Daemon(config()) as d:
            s = socket.create_connection((d.host, d.port), timeout=10)
            try:
                s.sendall(b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\n"
                          b"Host: autodiscover.example.com\r\nContent-Type: text/xml\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body[:40])
                # The daemon has the headers (the request is in progress)
                # before it is told to stop.
                self.assertTrue(wait_for(lambda: counter(
                    metrics(d), "autoconfd_open_connections") == 2))
                d.proc.send_signal(signal.SIGTERM)
                d.wait_log("finishing requests")
                # New connections are soon no longer accepted.
                def refused():
                    try:
                        socket.create_connection((d.host, d.port), timeout=5).close()
                        return False
                    except (ConnectionRefusedError, ConnectionResetError):
                        # A reset: the socket closed with the SYN queued.
                        return True
                self.assertTrue(wait_for(refused))
                s.sendall(body[40:])
                resp = b""
                while b"</Autodiscover>" not in resp:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    resp += chunk
                self.assertTrue(resp.startswith(b"HTTP/1.1 200 "), resp[:200])
                self.assertIn(b"<Server>imap.example.com</Server>", resp)
            finally:
                s.close()
            self.assertEqual(d.proc.wait(15), 0)

    def test_sigterm_under_load(self):
        """Every request either gets its whole answer or no byte of one."""
        with Daemon(config()) as d:
            bad, ok, stop = [], [0], threading.Event()

            def client():
                c = d.conn()
                while not stop.is_set():
                    try:
                        c.request("GET", AC + "?emailaddress=a@example.com")
                        r = c.getresponse()
                        data = r.read()
                        if r.status != 200 or not data.endswith(b"</clientConfig>\n"):
                            bad.append((r.status, data[-40:]))
                        ok[0] += 1
                    except http.client.IncompleteRead as e:
                        bad.append(repr(e))
                    except (ConnectionError, http.client.RemoteDisconnected, OSError):
                        c.close()
                        if d.proc.poll() is not None:
                            return
                        c = d.conn()
                c.close()

            ts = [threading.Thread(target=client) for _ in range(4)]
            for t in ts:
                t.start()
            # Requests in flight when the signal comes (a few answered
            # first; no rate is asked for).
            self.assertTrue(wait_for(lambda: ok[0] >= 8, timeout=10))
            d.proc.send_signal(signal.SIGTERM)
            self.assertEqual(d.proc.wait(15), 0)
            stop.set()
            for t in ts:
                t.join(10)
            self.assertEqual(bad, [])
            d.wait_log("stopped")


if __name__ == "__main__":
    harness.main()
