"""Test harness: runs the real autoconfd on a loopback port it picks.

Every integration test starts the built daemon (path in $AUTOCONFD) with a
config written to a temporary directory, talks HTTP to it over 127.0.0.1,
and stops it. Nothing here leaves loopback; every wait is bounded.

The daemon binds port 0 (-l 127.0.0.1:0) and the harness reads the port
the kernel gave it from its "listening on" log line, so no two tests can
race for a port. Where a port number must be written into a config before
the start (the "tls" ports), start_retrying() picks free ones and starts
again should another process take one first.

A test that needs a tool (nginx, openssl, chromium...) calls need(): a
missing tool fails the test with its name, unless $AUTOCONFD_TEST_SKIP
names it (docs in README.md, "Tests"); then the test is skipped and main()
lists it by name.
"""
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR", os.path.dirname(os.path.dirname(HERE)))
AUTOCONFD = os.environ.get("AUTOCONFD", os.path.join(TOP, "autoconfd"))
FIXTURES = os.path.join(TOP, "tests", "fixtures")
# A command the daemon runs under, e.g. "valgrind --error-exitcode=99"
# (tests/valgrind.sh); slow wrappers need longer waits, every one of them
# scaled by SLOW.
WRAPPER = shlex.split(os.environ.get("AUTOCONFD_WRAPPER", ""))
SLOW = 10.0 if WRAPPER else 1.0
START_TIMEOUT = 10.0 * SLOW
# Tools (and "ipv6") whose tests are skipped rather than failed: an explicit
# opt-out, never a silent one.
SKIP_ENV = "AUTOCONFD_TEST_SKIP"
OPTED_OUT = set(re.split(r"[\s,]+", os.environ.get(SKIP_ENV, "").strip())) - {""}
LISTENING = re.compile(r"listening on (\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)( \(TLS\))?$")
# What ASan, LSan, UBSan and valgrind print when they find something.
SANITIZER_REPORT = re.compile(
    r"ERROR: \w*Sanitizer|runtime error:|SUMMARY: \w*Sanitizer|"
    r"==\d+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|"
    r"Mismatched free|Invalid free|\d+ bytes in \d+ blocks are (definitely|indirectly))|"
    r"ERROR SUMMARY: [1-9]")


def scaled(seconds):
    """A wait for the daemon, longer under a slow wrapper (valgrind)."""
    return seconds * SLOW


def opted_out(name):
    return name in OPTED_OUT


def need(test, tool, package, found=None):
    """The path of tool, which test needs. Missing, it fails the test with
    the tool's name, or skips it if $AUTOCONFD_TEST_SKIP names the tool.
    found: the path already looked up (None: shutil.which(tool))."""
    if opted_out(tool):
        raise unittest.SkipTest("%s: skipped by %s" % (tool, SKIP_ENV))
    path = found if found is not None else shutil.which(tool)
    if path is None:
        msg = ("%s is not installed (Debian package %s; scripts/install-deps "
               "--test installs it, %s=%s skips the tests that need it)"
               % (tool, package, SKIP_ENV, tool))
        if test is None:
            raise AssertionError(msg)
        test.fail(msg)
    return path


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A port free now, for configs that must name one before the start
    (another process may take it first: see start_retrying)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def reserve_port(family=socket.AF_INET, host="127.0.0.1"):
    """A socket bound to a port and not listening: nobody else can take the
    port while it is held, and a connection to it is refused."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    return s


class PortTaken(AssertionError):
    """The daemon could not bind a port named in advance."""


def start_retrying(make, attempts=5):
    """make() builds a Daemon on ports picked anew at each call; returns it
    started, trying again while a port it was given was taken meanwhile."""
    for i in range(attempts):
        d = make()
        try:
            return d.start()
        except PortTaken:
            d.dir.cleanup()
            if i == attempts - 1:
                raise
    raise AssertionError("unreachable")


def run(args, timeout=30, **kw):
    """autoconfd ARGS (under the wrapper too) to completion:
    (exit status, stdout, stderr) as text. A hang is killed and fails."""
    r = subprocess.run(WRAPPER + [AUTOCONFD] + list(args), capture_output=True,
                       text=True, timeout=scaled(timeout), **kw)
    return r.returncode, r.stdout, r.stderr


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def provider(pid="example.com", domains=None, servers=None, **extra):
    """A small valid provider; keyword arguments add or replace keys."""
    p = {
        "id": pid,
        "name": "Example Mail",
        "short_name": "Example",
        "domains": domains or [pid],
        "servers": servers or [
            {"protocol": "imap", "host": "imap." + pid, "port": 993, "security": "ssl"},
            {"protocol": "smtp", "host": "smtp." + pid, "port": 587, "security": "starttls"},
        ],
    }
    p.update(extra)
    return p


def make_cert(directory, name, names, days=90):
    """A self-signed EC certificate for names (the first is the CN), made
    by openssl: (certificate path, key path, certificate DER). Under 14
    days left makes it a warning of autoconfd -t."""
    import ssl
    need(None, "openssl", "openssl")
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", str(days), "-subj", "/CN=" + names[0],
                    "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in names)],
                   check=True, capture_output=True, timeout=60)
    with open(cert) as f:
        return cert, key, ssl.PEM_cert_to_DER_cert(f.read())


class Daemon:
    """One autoconfd process. Use as a context manager.

    listen: the -l arguments (default 127.0.0.1:0; [] for none, the config's
    "listen" then applies). ready: the log line that says it has started,
    or None to wait for an answer to /healthz on port instead (-q logs no
    "ready"; port must then be known: listen names it)."""

    def __init__(self, config, args=(), listen=None, env=None, ready="ready",
                 port=None):
        self.dir = tempfile.TemporaryDirectory(prefix="autoconfd-test-")
        self.path = os.path.join(self.dir.name, "autoconfd.json")
        self.healthz_off = False
        self.write_config(config)
        self.host = "127.0.0.1"
        self.port = port
        self.bound = []         # (host, port, tls) from the log
        self.listen = ["127.0.0.1:0"] if listen is None else list(listen)
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.ready = ready
        self.proc = None
        self.stopped = False
        self.lines = []
        self.cond = threading.Condition()

    def write_config(self, config):
        text = config if isinstance(config, str) else json.dumps(config, indent=2)
        try:
            if json.loads(text).get("healthz") is False:
                self.healthz_off = True
        except (ValueError, AttributeError):
            pass
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    def _reader(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def start(self):
        cmd = WRAPPER + [AUTOCONFD, "-c", self.path]
        for l in self.listen:
            cmd += ["-l", l]
        cmd += self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.env)
        self.reader = threading.Thread(target=self._reader, daemon=True)
        self.reader.start()
        try:
            if self.ready is not None:
                self.wait_log(self.ready, START_TIMEOUT)
                self._read_ports()
            else:
                self._wait_answer(START_TIMEOUT)
        except BaseException as e:
            # Never left running (nor its pipe open) behind a failed test.
            self.kill()
            if "Address already in use" in self.log():
                raise PortTaken("%s; log:\n%s" % (e, self.log())) from None
            raise
        return self

    def _read_ports(self):
        with self.cond:
            for line in self.lines:
                m = LISTENING.search(line)
                if m:
                    self.bound.append((m.group(1).strip("[]"), int(m.group(2)),
                                       m.group(3) is not None))
        plain = [b for b in self.bound if not b[2]] or self.bound
        if plain:
            host, self.port = plain[0][:2]
            self.host = "127.0.0.1" if host == "0.0.0.0" else host
        if self.port is None:
            raise AssertionError("no \"listening on\" line in the log:\n" + self.log())

    def _wait_answer(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("autoconfd did not answer on port %s within "
                                     "%.0fs; log:\n%s" % (self.port, timeout, self.log()))
            time.sleep(0.05)

    def kill(self):
        """Kills the daemon outright (a start that failed)."""
        if self.proc is None or self.stopped:
            return
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(5)
        self.proc.stderr.close()

    def wait_log(self, needle, timeout=None, start=0):
        """Waits for a log line containing needle; returns its index."""
        timeout = scaled(5.0) if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if needle in self.lines[i]:
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and \
                        not any(needle in l for l in self.lines[start:]):
                    if self.proc.poll() is not None:
                        # The daemon is gone: let the reader drain the pipe
                        # (it needs this lock, so no sleeping with it held).
                        self.cond.wait_for(lambda: not self.reader.is_alive() or any(
                            needle in l for l in self.lines[start:]), 5)
                        for i in range(start, len(self.lines)):
                            if needle in self.lines[i]:
                                return i
                    raise AssertionError("no log line %r within %.1fs; log:\n%s"
                                         % (needle, timeout, "\n".join(self.lines)))
                self.cond.wait(min(left, 0.1))

    def log(self):
        with self.cond:
            return "\n".join(self.lines)

    def reload(self, config=None, expect="loaded"):
        if config is not None:
            self.write_config(config)
        with self.cond:
            mark = len(self.lines)
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log(expect, scaled(5.0), start=mark)

    def stop(self, sig=signal.SIGTERM, timeout=15.0, expect=0):
        """Stops the daemon; returns its exit status. Fails if that is not
        expect, or a sanitizer (or valgrind) reported anything on stderr."""
        if self.proc is None:
            return None
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout * SLOW)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise AssertionError("autoconfd did not exit within %.0fs"
                                         % (timeout * SLOW))
        finally:
            self.reader.join(5)
            self.proc.stderr.close()
        self.check_clean(expect)
        return self.proc.returncode

    def check_clean(self, expect=0):
        """Raises if the log holds a sanitizer report or the daemon exited
        with another status than expect (valgrind's --error-exitcode, a
        crash, a failed start...)."""
        log = self.log()
        if SANITIZER_REPORT.search(log):
            raise AssertionError("sanitizer report from autoconfd:\n" + log)
        rc = self.proc.returncode
        if rc != expect:
            why = ("died of signal %d" % -rc if rc < 0 else
                   "exited %d (valgrind found errors)" % rc if WRAPPER and rc == 99 else
                   "exited %d" % rc)
            raise AssertionError("autoconfd %s, expected exit status %d; log:\n%s"
                                 % (why, expect, log))

    def conn(self, timeout=None):
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=scaled(5.0) if timeout is None else timeout)

    def request(self, method, path, body=None, headers=None, host=None):
        """One request on a new connection: (status, headers dict, bytes)."""
        c = self.conn()
        try:
            hdrs = dict(headers or {})
            if host is not None:
                hdrs["Host"] = host
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, data, timeout=None, read=True):
        """Sends raw bytes, returns whatever comes back until close/timeout."""
        s = socket.create_connection((self.host, self.port),
                                     timeout=scaled(5.0) if timeout is None else timeout)
        try:
            s.sendall(data)
            if not read:
                return b""
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def alive(self):
        """The daemon still answers a normal request: GET /healthz gets
        200 "ok" (or 404 once a config switched it off)."""
        if self.proc.poll() is not None:
            return False
        try:
            st, _, body = self.get("/healthz")
        except (OSError, http.client.HTTPException):
            return False
        return (st, body) == (200, b"ok\n") or self.healthz_off and st == 404

    def __enter__(self):
        if self.proc is None:
            try:
                self.start()
            except BaseException:
                self.dir.cleanup()
                raise
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self.dir.cleanup()


def _tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _tests(t)
        else:
            yield t


def main():
    """Runs the calling module's tests; exit status for automake (77 when
    every test was skipped). Prints every skipped test by name and a last
    line "N passed, N failed, N skipped" that scripts/summary.py reads."""
    if not os.access(AUTOCONFD, os.X_OK):
        print("autoconfd binary not found at %s" % AUTOCONFD)
        sys.exit(99)
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    r = prog.result
    # The suite run has let go of its tests: their names, loaded afresh.
    tests = list(_tests(unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules["__main__"])))
    # A class skipped or failed in setUpClass ran none of its tests: its
    # skip stands for each of them, its error counts once.
    class_level = re.compile(r"^(setUpClass|tearDownClass|setUpModule|"
                             r"tearDownModule) \((.+)\)$")
    failed_ids, class_errors = set(), 0
    for test, _ in r.failures + r.errors:
        if class_level.match(str(test)):
            class_errors += 1
        else:
            failed_ids.add(getattr(test, "test_case", test).id())
    skipped = []
    for test, reason in r.skipped:
        m = class_level.match(str(test))
        names = [t.id() for t in tests if m and t.id().startswith(m.group(2) + ".")] \
            if m else [test.id()]
        skipped += [(n, reason) for n in names]
    run_skips = sum(1 for test, _ in r.skipped if not class_level.match(str(test)))
    passed = max(0, r.testsRun - len(failed_ids) - run_skips)
    failed = len(failed_ids) + class_errors
    module = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    for name, reason in skipped:
        print("SKIPPED: %s: %s" % (re.sub(r"^__main__\.", module + ".", name), reason))
    print("%d passed, %d failed, %d skipped" % (passed, failed, len(skipped)))
    if failed or not r.wasSuccessful():
        sys.exit(1)
    # A file whose every test skipped did not pass: automake's SKIP.
    sys.exit(77 if skipped and passed == 0 else 0)
