#!/usr/bin/env python3
"""MTA-STS policies (RFC 8461) served on mta-sts.<domain>, their DNS
records from "autoconfd dns", and ACME http-01 challenges answered from
acme_challenge_dir, against the real daemon."""
import json
import os
import re
import subprocess
import tempfile
import unittest

import harness
from harness import Daemon, provider


def smtp_provider(pid, servers=None, **extra):
    return provider(pid, servers=servers or [
        {"protocol": "imap", "host": "imap." + pid, "port": 993, "security": "ssl"},
        {"protocol": "smtp", "host": "mx1." + pid, "port": 465, "security": "ssl"},
        {"protocol": "smtp", "host": "mx1." + pid, "port": 587, "security": "starttls"},
        {"protocol": "smtp", "host": "mx2." + pid, "port": 587, "security": "starttls"},
    ], **extra)


def parse_policy(body):
    """RFC 8461 3.2, strictly: CRLF-terminated "key: value" lines, version
    first; returns [(key, value)] in order."""
    text = body.decode("ascii")
    assert text.endswith("\r\n"), repr(text)
    lines = text[:-2].split("\r\n")
    out = []
    for line in lines:
        assert "\n" not in line and "\r" not in line, repr(line)
        m = re.fullmatch(r"([a-z_]+): ([^\s;]+)", line)
        assert m, "not a policy line: %r" % line
        out.append(m.groups())
    assert out[0] == ("version", "STSv1"), out
    return out


def dns(path, domain):
    r = subprocess.run([harness.AUTOCONFD, "dns", domain, "-c", path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


class MtaSts(unittest.TestCase):

    def config(self, mode="enforce", **sts):
        sts.update(mode=mode)
        return {"public_url": "https://autoconfig.example.net", "providers": [
            smtp_provider("example.com", domains=["example.com", "example.org"],
                          mta_sts=dict(sts)),
            smtp_provider("templated.example", mta_sts={"mode": "testing"},
                          servers=[{"protocol": "smtp", "host": "mx.%EMAILDOMAIN%",
                                    "port": 465, "security": "ssl"},
                                   {"protocol": "imap", "host": "imap.%EMAILDOMAIN%",
                                    "port": 993, "security": "ssl"}]),
            provider("nosts.example")]}

    def test_policy(self):
        with Daemon(self.config(tls_rpt="mailto:tls@example.com")) as d:
            for dom in ("example.com", "example.org"):
                st, h, body = d.get("/.well-known/mta-sts.txt", host="mta-sts." + dom)
                self.assertEqual(st, 200)
                self.assertEqual(h["content-type"], "text/plain")
                # The provider's SMTP hosts, each once, in order.
                self.assertEqual(parse_policy(body), [
                    ("version", "STSv1"), ("mode", "enforce"),
                    ("mx", "mx1.example.com"), ("mx", "mx2.example.com"),
                    ("max_age", "604800")])
            st, _, body = d.get("/.well-known/mta-sts.txt", host="mta-sts.templated.example")
            self.assertEqual(parse_policy(body)[1:3], [("mode", "testing"),
                                                       ("mx", "mx.templated.example")])

    def test_only_on_the_mta_sts_name(self):
        with Daemon(self.config()) as d:
            for host in ("example.com", "autoconfig.example.com", "mta-sts.unknown.example",
                         "mta-sts.nosts.example", "mta-sts.example.com.evil"):
                st, _, _ = d.get("/.well-known/mta-sts.txt", host=host)
                self.assertEqual(st, 404, host)
            st, _, _ = d.request("POST", "/.well-known/mta-sts.txt", body=b"x",
                                 host="mta-sts.example.com")
            self.assertEqual(st, 405)

    def test_explicit_mx_and_max_age(self):
        cfg = self.config(mode="testing", max_age=86400 * 30,
                          mx=["mx1.example.com", "*.backup.example.com", "mx2.example.com"])
        with Daemon(cfg) as d:
            st, _, body = d.get("/.well-known/mta-sts.txt", host="mta-sts.example.com")
            self.assertEqual(parse_policy(body), [
                ("version", "STSv1"), ("mode", "testing"), ("mx", "mx1.example.com"),
                ("mx", "*.backup.example.com"), ("mx", "mx2.example.com"),
                ("max_age", "2592000")])

    def test_dns_records_and_the_id(self):
        with tempfile.TemporaryDirectory(prefix="autoconfd-sts-") as tmp:
            path = os.path.join(tmp, "c.json")
            ids = []
            for cfg in (self.config(), self.config(), self.config(mode="testing"),
                        self.config(tls_rpt="https://rpt.example.com/v1")):
                with open(path, "w") as f:
                    json.dump(cfg, f)
                out = dns(path, "example.org")
                m = re.search(r'(?m)^_mta-sts\.example\.org\.\t3600\tIN\tTXT\t'
                              r'"v=STSv1; id=([A-Za-z0-9]{1,32})"$', out)
                self.assertIsNotNone(m, out)
                ids.append(m.group(1))
                self.assertIn("mta-sts.example.org.\t3600\tIN\tCNAME\t"
                              "autoconfig.example.net.", out)
            # The same policy, the same id; another policy, another id; the
            # TLS-RPT address is no part of the policy.
            self.assertEqual(ids[0], ids[1])
            self.assertNotEqual(ids[0], ids[2])
            self.assertEqual(ids[0], ids[3])
            self.assertIn('_smtp._tls.example.org.\t3600\tIN\tTXT\t'
                          '"v=TLSRPTv1; rua=https://rpt.example.com/v1"', out)
            self.assertNotIn("_smtp._tls", dns(path, "templated.example"))

    def test_check_warns_about_foreign_mx(self):
        with tempfile.TemporaryDirectory(prefix="autoconfd-sts-") as tmp:
            path = os.path.join(tmp, "c.json")
            with open(path, "w") as f:
                json.dump(self.config(mx=["mx1.example.com", "mx.elsewhere.example"]), f)
            r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("warning: providers[0].mta_sts.mx: the SMTP host mx2.example.com "
                          "of this provider is not in the policy's mx", r.stderr)
            self.assertIn("warning: providers[0].mta_sts.mx: mx.elsewhere.example is "
                          "not an SMTP host of this provider", r.stderr)
            with open(path, "w") as f:
                json.dump(self.config(), f)
            r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                               capture_output=True, text=True, timeout=30)
            self.assertNotIn("mta_sts", r.stderr)

    def test_bad_policies(self):
        with tempfile.TemporaryDirectory(prefix="autoconfd-sts-") as tmp:
            path = os.path.join(tmp, "c.json")
            for sts, msg in (
                    ({"mode": "strict"}, 'mta_sts.mode: unknown value "strict"'),
                    ({"mode": "enforce", "max_age": 31557601},
                     "mta_sts.max_age: expected integer 0-31557600"),
                    ({"mode": "enforce", "tls_rpt": "tls@example.com"},
                     "mta_sts.tls_rpt: expected a mailto: or https: URI"),
                    ({"mode": "enforce", "mx": ["bad host"]},
                     'mta_sts.mx[0]: "bad host" is not a valid host name'),
                    ({"max_age": 5}, 'mta_sts: missing required key "mode"')):
                with open(path, "w") as f:
                    json.dump({"providers": [smtp_provider("example.com", mta_sts=sts)]}, f)
                r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, sts)
                self.assertIn(msg, r.stderr)


class Acme(unittest.TestCase):
    """http-01 challenges from the directory certbot (webroot), uacme or
    dehydrated write them to."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-acme-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = os.path.join(self.tmp.name, "webroot", ".well-known", "acme-challenge")
        os.makedirs(self.dir)

    def test_challenges(self):
        token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
        keyauth = token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
        with open(os.path.join(self.dir, token), "w") as f:
            f.write(keyauth)
        with open(os.path.join(self.tmp.name, "secret"), "w") as f:
            f.write("not for the CA")
        os.symlink(os.path.join(self.tmp.name, "secret"), os.path.join(self.dir, "link"))
        os.mkfifo(os.path.join(self.dir, "fifo"))
        cfg = {"acme_challenge_dir": self.dir + "/", "providers": [provider()]}
        with Daemon(cfg) as d:
            # Any Host: the CA asks for the name being validated.
            for host in ("autoconfig.example.com", "mta-sts.whatever.example", None):
                st, h, body = d.get("/.well-known/acme-challenge/" + token, host=host)
                self.assertEqual((st, body.decode()), (200, keyauth))
                self.assertEqual(h["content-type"], "application/octet-stream")
            for bad in ("", "nope", "..", "%2e%2e%2fsecret", "..%2fsecret",
                        "a%2fb", "link", "fifo", "x" * 200, "a.b"):
                st, _, body = d.get("/.well-known/acme-challenge/" + bad)
                self.assertEqual(st, 404, bad)
                self.assertNotIn(b"not for the CA", body)
            os.unlink(os.path.join(self.dir, token))
            st, _, _ = d.get("/.well-known/acme-challenge/" + token)
            self.assertEqual(st, 404)
            self.assertTrue(d.alive())

    def test_not_configured(self):
        with Daemon({"providers": [provider()]}) as d:
            st, _, body = d.get("/.well-known/acme-challenge/abc")
            self.assertEqual(st, 404)
            self.assertIn(b"no acme_challenge_dir", body)

    def test_missing_directory_is_a_warning(self):
        path = os.path.join(self.tmp.name, "c.json")
        with open(path, "w") as f:
            json.dump({"acme_challenge_dir": self.dir + "/later", "providers": [provider()]}, f)
        r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("acme_challenge_dir: %s/later is not a directory (yet)" % self.dir,
                      r.stderr)
        with open(path, "w") as f:
            json.dump({"acme_challenge_dir": "relative/dir", "providers": [provider()]}, f)
        r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("acme_challenge_dir: expected an absolute file name", r.stderr)


if __name__ == "__main__":
    harness.main()
