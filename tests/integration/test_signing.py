#!/usr/bin/env python3
"""Signed Apple profiles: CMS SignedData (DER, content attached) that
openssl verifies against the configured chain, with the very plist the
unsigned profile holds; bad keys fail the load or the reload."""
import os
import plistlib
import subprocess
import tempfile
import unittest

import harness
from harness import Daemon, provider

ADDR = "/email.mobileconfig?emailaddress=alice@example.com"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, timeout=60,
                   capture_output=True)


def make_pki(d):
    """Root CA -> intermediate -> RSA and ECDSA leaves, plus a stranger key."""
    w = lambda name, text: open(os.path.join(d, name), "w").write(text)
    w("ca.ext", "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n")
    w("leaf.ext", "basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "30", "-subj", "/CN=autoconfd test root",
            "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out", "int.csr",
            "-subj", "/CN=autoconfd test intermediate", cwd=d)
    openssl("x509", "-req", "-in", "int.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "2", "-out", "int.pem", "-days", "30", "-extfile", "ca.ext", cwd=d)
    for name, alg in (("rsa", ["-newkey", "rsa:2048"]),
                      ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        openssl("req", *alg, "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=profiles.example.com", cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "int.pem", "-CAkey", "int.key",
                "-set_serial", "3", "-out", name + ".pem", "-days", "30",
                "-extfile", "leaf.ext", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-out", "other.key", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:secret",
            "-out", "encrypted.key", cwd=d)
    w("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")


class Signing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.need(None, "openssl", "openssl")
        cls.tmp = tempfile.TemporaryDirectory(prefix="autoconfd-pki-")
        cls.pki = cls.tmp.name
        make_pki(cls.pki)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def f(self, name):
        return os.path.join(self.pki, name)

    def cfg(self, leaf="rsa", with_chain=True, **signing):
        s = {"certificate": self.f(leaf + ".pem"), "key": self.f(leaf + ".key")}
        if with_chain:
            s["chain"] = self.f("int.pem")
        s.update(signing)
        return {"providers": [provider("example.com")], "signing": s}

    def verify(self, der):
        """openssl cms -verify against the root only: the intermediate must
        come from the profile. Returns the signed content."""
        with tempfile.TemporaryDirectory() as t:
            p = os.path.join(t, "p.der")
            out = os.path.join(t, "p.plist")
            with open(p, "wb") as fh:
                fh.write(der)
            r = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", p,
                                "-CAfile", self.f("ca.pem"), "-purpose", "any", "-out", out],
                               capture_output=True, timeout=30, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Verification successful", r.stderr)
            with open(out, "rb") as fh:
                return fh.read()

    def test_signed_profile_verifies_and_holds_the_plist(self):
        with Daemon({"providers": [provider("example.com")]}) as d:
            unsigned = d.get(ADDR)[2]
        for leaf in ("rsa", "ec"):
            with self.subTest(key=leaf), Daemon(self.cfg(leaf)) as d:
                st, h, der = d.get(ADDR)
                self.assertEqual(st, 200)
                self.assertEqual(h["content-type"], "application/x-apple-aspen-config")
                self.assertEqual(h["content-disposition"],
                                 'attachment; filename="example.com.mobileconfig"')
                self.assertEqual(der[0], 0x30)   # DER SEQUENCE, not PEM or S/MIME
                content = self.verify(der)
                self.assertEqual(content, unsigned)
                self.assertEqual(plistlib.loads(content)["PayloadContent"][0]["EmailAddress"],
                                 "alice@example.com")
                # No signing time, and RSA PKCS #1 v1.5 signatures are
                # deterministic: the same bytes every time. ECDSA takes a
                # random nonce: the signature varies, the content does not.
                again = d.get(ADDR)[2]
                if leaf == "rsa":
                    self.assertEqual(again, der)
                else:
                    self.assertEqual(self.verify(again), unsigned)
            with Daemon(self.cfg(leaf)) as d:
                again = d.get(ADDR)[2]
                if leaf == "rsa":
                    self.assertEqual(again, der, "changed across a restart")
                else:
                    self.assertEqual(self.verify(again), unsigned)

    def test_certificate_file_may_hold_the_chain(self):
        both = self.f("rsa+int.pem")
        with open(both, "w") as out:
            out.write(open(self.f("rsa.pem")).read() + open(self.f("int.pem")).read())
        with Daemon(self.cfg(with_chain=False, certificate=both)) as d:
            self.verify(d.get(ADDR)[2])

    def check(self, cfg):
        d = Daemon(cfg)
        try:
            r = subprocess.run([harness.AUTOCONFD, "-t", "-c", d.path], capture_output=True,
                               timeout=30, text=True)
            return r.returncode, r.stderr.replace(d.path, "CONF")
        finally:
            d.dir.cleanup()

    def test_bad_files_fail_the_load(self):
        for signing, msg in (
                ({"key": self.f("other.key")},
                 "CONF: signing.key: %s does not belong to the certificate in %s"
                 % (self.f("other.key"), self.f("rsa.pem"))),
                ({"key": self.f("encrypted.key")},
                 "CONF: signing.key: %s: not an unencrypted PEM private key" % self.f("encrypted.key")),
                ({"key": self.f("missing.key")},
                 "CONF: signing.key: cannot read %s" % self.f("missing.key")),
                ({"certificate": self.f("garbage.pem")},
                 "CONF: signing.certificate: %s holds no valid PEM certificate" % self.f("garbage.pem")),
                ({"chain": self.f("rsa.key")},
                 "CONF: signing.chain: %s holds no valid PEM certificate" % self.f("rsa.key")),
                ({"certificate": "rsa.pem"},
                 'signing.certificate: expected an absolute file name, found "rsa.pem"'),
                ({"chian": "x"}, 'signing.chian: unknown key "chian" (did you mean "chain"?)')):
            with self.subTest(signing=signing):
                rc, err = self.check(self.cfg(**signing))
                self.assertEqual(rc, 1)
                self.assertIn(msg, err)
        rc, err = self.check(self.cfg())
        self.assertEqual((rc, err), (0, ""))

    def test_reload_with_a_bad_key_keeps_signing(self):
        cfg = self.cfg()
        with Daemon(cfg) as d:
            der = d.get(ADDR)[2]
            bad = self.cfg(key=self.f("other.key"))
            d.reload(bad, expect="previous config keeps serving")
            self.assertIn("does not belong to the certificate", d.log())
            self.assertEqual(d.get(ADDR)[2], der)
            d.reload({"providers": cfg["providers"]}, expect="generation 2")
            st, _, body = d.get(ADDR)
            self.assertEqual(st, 200)
            self.assertTrue(body.startswith(b"<?xml"))
            d.reload(cfg, expect="generation 3")
            self.assertEqual(d.get(ADDR)[2], der)


if __name__ == "__main__":
    harness.main()
