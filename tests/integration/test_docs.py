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


def expand(page):
    """The page with its .ds strings (the paths) interpolated, as a
    formatter shows it."""
    strings = dict(re.findall(r"^\.ds (\w+) (.*)$", page, re.M))
    return re.sub(r"\\\*\[(\w+)\]", lambda m: strings[m.group(1)], page)


def make_vars():
    """The build's installation directories, expanded."""
    with open(os.path.join(BUILD, "Makefile")) as f:
        raw = dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))
    var = {}
    for k in ("prefix", "exec_prefix", "sbindir", "sysconfdir", "localstatedir",
              "datarootdir", "mandir", "docdir"):
        v = raw[k]
        while "${" in v or "$(" in v:
            v = re.sub(r"\$[{(](\w+)[})]", lambda m: raw[m.group(1)], v)
        var[k] = v
    return var


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
        page = expand(read("docs", "autoconfd.json.5"))
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
        """make install puts every file where its directory variable says,
        and the installed pages name the configured paths."""
        self.assertIsNotNone(BUILD, "TOP_BUILDDIR is not set (run through make check)")
        var = make_vars()
        rel = {k: var[k].lstrip("/") for k in var}
        with tempfile.TemporaryDirectory(prefix="autoconfd-install-") as dest:
            r = subprocess.run(["make", "-s", "-C", BUILD, "install", "DESTDIR=" + dest],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            found = set()
            for root, _, files in os.walk(dest):
                for f in files:
                    found.add(os.path.relpath(os.path.join(root, f), dest))
            doc = rel["docdir"] + "/"
            for path in (rel["sbindir"] + "/autoconfd",
                         rel["mandir"] + "/man8/autoconfd.8",
                         rel["mandir"] + "/man5/autoconfd.json.5",
                         rel["sysconfdir"] + "/autoconfd/autoconfd.json",
                         rel["sysconfdir"] + "/logrotate.d/autoconfd",
                         doc + "deployment.md", doc + "metrics.md",
                         doc + "nginx/autoconfd.conf",
                         doc + "examples/one-host.json",
                         doc + "examples/many-ports.json",
                         doc + "contrib/prometheus/autoconfd.rules.yml",
                         doc + "contrib/prometheus/autoconfd.rules.test.yml",
                         doc + "contrib/grafana/autoconfd.json"):
                self.assertIn(path, found)
            with open(os.path.join(dest, rel["sysconfdir"], "autoconfd/autoconfd.json")) as f:
                self.assertEqual(read("conf", "autoconfd.json"), f.read())
            with open(os.path.join(dest, rel["sysconfdir"], "logrotate.d/autoconfd")) as f:
                rot = f.read()
            self.assertRegex(rot, r"(?m)^%s/log/autoconfd/\*\.log \{$"
                             % re.escape(var["localstatedir"]))
            self.assertNotRegex(rot, r"@\w+@")
            # The pages as man shows them name the configured paths, and
            # no other.
            text = self.formatted(os.path.join(dest, rel["mandir"], "man8/autoconfd.8"))
            for path in ("%(sysconfdir)s/autoconfd/autoconfd.json",
                         "%(sysconfdir)s/logrotate.d/autoconfd",
                         "%(localstatedir)s/log/autoconfd/",
                         "%(docdir)s/metrics.md"):
                self.assertIn(path % var, text)
            self.assertNotIn("/etc/autoconfd",
                             text.replace(var["sysconfdir"] + "/autoconfd", ""))
            text = self.formatted(os.path.join(dest, rel["mandir"], "man5/autoconfd.json.5"))
            self.assertIn("%(sysconfdir)s/autoconfd/autoconfd.json" % var, text)
            self.assertIn('"%(localstatedir)s/log/autoconfd/access.log"' % var, text)
            # The daemon's built-in default is the configured one too.
            r = subprocess.run([harness.AUTOCONFD, "-h"], capture_output=True,
                               text=True, timeout=30)
            self.assertIn("(default %s/autoconfd/autoconfd.json)" % var["sysconfdir"],
                          r.stdout)

    def formatted(self, page):
        r = subprocess.run([harness.need(self, "mandoc", "mandoc"), "-T", "utf8", page],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return re.sub(r".\x08", "", r.stdout)

    def test_generated_pages_lint_clean(self):
        """The pages with the build's paths substituted, as installed."""
        self.assertIsNotNone(BUILD, "TOP_BUILDDIR is not set (run through make check)")
        mandoc = harness.need(self, "mandoc", "mandoc")
        for page in ("man/autoconfd.8", "man/autoconfd.json.5"):
            path = os.path.join(BUILD, page)
            r = subprocess.run(["make", "-s", "-C", BUILD, page], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), page)

if __name__ == "__main__":
    harness.main()
