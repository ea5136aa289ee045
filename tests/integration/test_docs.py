#!/usr/bin/env python3
"""The man pages: clean under mandoc's linter, complete (every config key
of src/conf.c, every option of src/main.c), and installed by make install."""
import json
import os
import re
import subprocess
import tempfile
import unittest

import harness

DOCS = os.path.join(harness.TOP, "docs")
PAGES = ("autoconfd.8", "autoconfd.json.5")
BUILD = os.environ.get("TOP_BUILDDIR")


def read(*parts):
    with open(os.path.join(harness.TOP, *parts), encoding="utf-8") as f:
        return f.read()


class ManPages(unittest.TestCase):

    def test_mandoc_lint(self):
        mandoc = harness.need(self, "mandoc", "mandoc")
        for page in PAGES:
            # Warnings and errors; "style" also flags pages this machine
            # lacks (systemd.socket(5)), which is not the page's fault.
            r = subprocess.run([mandoc, "-T", "lint", "-W", "warning",
                                os.path.join(DOCS, page)],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), page)

    def test_every_config_key_documented(self):
        conf = read("src", "conf.c")
        keys = set()
        for table in re.findall(r"keys\[\]\s*=\s*\{(.*?)\};", conf, re.S):
            keys.update(re.findall(r'"([a-z_0-9]+)"', table))
        self.assertGreater(len(keys), 30)
        page = read("docs", "autoconfd.json.5")
        documented = set()
        for line in page.splitlines():
            if line.startswith(".It Ic "):
                words = line[len(".It Ic "):].split(" Pq ")[0]
                documented.update(w for w in words.split() if w != ",")
        self.assertEqual(sorted(keys - documented), [],
                         "keys of src/conf.c missing from docs/autoconfd.json.5")
        self.assertEqual(sorted(documented - keys), [],
                         "docs/autoconfd.json.5 documents keys src/conf.c does not know")
        examples = page[page.index(".Sh EXAMPLES"):]
        self.assertEqual(sorted(k for k in keys if '"%s":' % k not in examples), [],
                         "keys without an example in docs/autoconfd.json.5")

    def test_examples_are_valid(self):
        """The complete example in autoconfd.json(5) passes autoconfd -t
        (but for its files, which this machine lacks)."""
        page = read("docs", "autoconfd.json.5")
        blocks = re.findall(r"^\.Bd -literal -offset indent\n(\{.*?)^\.Ed$", page, re.M | re.S)
        self.assertEqual(len(blocks), 2)
        with tempfile.TemporaryDirectory(prefix="autoconfd-doc-") as d:
            for text in blocks:
                cfg = json.loads(text)
                cfg.pop("tls", None)
                cfg.pop("signing", None)
                if cfg.get("access_log", "").startswith("/"):
                    cfg["access_log"] = os.path.join(d, "access.log")
                path = os.path.join(d, "example.json")
                with open(path, "w") as f:
                    json.dump(cfg, f)
                r = subprocess.run([harness.AUTOCONFD, "-t", "-c", path],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)

    def test_every_option_documented(self):
        main = read("src", "main.c")
        longs = re.findall(r'\{\s*"([a-z-]+)",\s*(?:no|required)_argument,\s*NULL,\s*\'(.)\'', main)
        self.assertGreater(len(longs), 5)
        page = read("docs", "autoconfd.8")
        for name, short in longs:
            self.assertIn(".It Fl %s" % short, page)
            self.assertIn("Fl -%s" % name, page)
        for verb in re.findall(r'^"  ([a-z]+) [A-Z]+ ', main, re.M):
            self.assertIn(".It Cm %s" % verb, page)
        for sig in ("SIGHUP", "SIGTERM", "SIGINT"):
            self.assertIn("Dv %s" % sig, page)

    def test_installed(self):
        self.assertIsNotNone(BUILD, "TOP_BUILDDIR is not set (run through make check)")
        with tempfile.TemporaryDirectory(prefix="autoconfd-install-") as dest:
            r = subprocess.run(["make", "-s", "-C", BUILD, "install", "DESTDIR=" + dest],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            found = {}
            for root, _, files in os.walk(dest):
                for f in files:
                    found[f] = os.path.join(root, f)
            self.assertTrue(found["autoconfd.8"].endswith("/man8/autoconfd.8"))
            self.assertTrue(found["autoconfd.json.5"].endswith("/man5/autoconfd.json.5"))
            self.assertTrue(found["autoconfd.conf"].endswith("/doc/autoconfd/nginx/autoconfd.conf"))
            self.assertTrue(found["deployment.md"].endswith("/doc/autoconfd/deployment.md"))
            self.assertIn("autoconfd", found)
            self.assertIn("autoconfd.json", found)


if __name__ == "__main__":
    harness.main()
