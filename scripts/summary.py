#!/usr/bin/env python3
"""The verdict of scripts/test: one line per part, then the closing line
"N passed, N failed, N skipped" (CI reads it); exit status 1 when anything
failed.

    scripts/summary.py RECORDS      the summary of a run
    scripts/summary.py --self-test  checks the counting on made-up trees

RECORDS holds one tab-separated record per line, written by scripts/test:

    step    NAME  STATUS          a step (bootstrap, configure, make...):
                                  one that failed counts as one failed test
    check   NAME  STATUS  DIR     a command that runs tests (make check,
                                  tests/valgrind.sh, tests/fuzz/run): one
                                  that failed with no failed result below
                                  DIR counts as one failed test
    results PART  DIR             the test results below DIR count on the
                                  line of PART

A result is an automake .trs file (":test-result: PASS" ...) beside its
.log. The log's own counts are used where it has them: Check's "Checks: N,
Failures: F, Errors: E" and the Python harness's "N passed, N failed, N
skipped" with a "SKIPPED: name: reason" line per skipped test. A program
whose result is FAIL although its counts show no failure (a crash at exit,
a sanitizer report, valgrind's exit status) counts one failed more; one
with no counts counts as one test. A fuzz corpus replay ("corpus files
replayed") is no test: it counts only if it failed.
"""
import os
import re
import subprocess
import sys
import tempfile

CHECK = re.compile(r"^\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)", re.M)
PYTHON = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", re.M)
SKIPPED = re.compile(r"^SKIPPED: (.*)$", re.M)
REPLAY = re.compile(r"^\S+: (\d+) corpus files replayed", re.M)
RESULT = re.compile(r"^:test-result: *(\S+)", re.M)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class Part:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.replays = self.replayed = 0
        self.failures, self.skips = [], []


def count_result(part, trs, top):
    """Adds the test program of trs (and its log) to part."""
    results = RESULT.findall(read(trs)) or ["ERROR"]
    if any(r in ("FAIL", "ERROR", "XPASS") for r in results):
        verdict = "FAIL"
    elif all(r == "SKIP" for r in results):
        verdict = "SKIP"
    else:
        verdict = "PASS"
    log = read(trs[:-4] + ".log")
    name = os.path.relpath(trs[:-4], top)
    p = f = s = 0
    checks, py, replay = CHECK.findall(log), PYTHON.findall(log), REPLAY.search(log)
    if replay:
        part.replays += 1
        part.replayed += int(replay.group(1))
    elif checks:
        for n, fl, er in checks:
            p += int(n) - int(fl) - int(er)
            f += int(fl) + int(er)
    elif py:
        p, f, s = map(int, py[-1])
    elif verdict == "PASS":
        p = 1
    elif verdict == "SKIP":
        s = 1
    if f:
        part.failures.append("%s: %d failed" % (name, f))
    if verdict == "FAIL" and f == 0:
        # It said nothing failed, yet it failed: it crashed, or a sanitizer
        # or valgrind made its exit status.
        f = 1
        part.failures.append("%s: %s" % (name, "failed" if replay else
                                         "crashed or exited non-zero"
                                         if checks or py else "failed with no count"))
    for line in SKIPPED.findall(log):
        part.skips.append(line)
    if verdict == "SKIP" and not SKIPPED.search(log):
        part.skips.append("%s: skipped as a whole" % name)
    part.passed += p
    part.failed += f
    part.skipped += s


def summarize(records, out=sys.stdout):
    """Prints the summary of a records file; returns the number failed."""
    top = os.path.dirname(os.path.abspath(records))
    parts, order = {}, []
    steps = Part("steps")
    nsteps = 0
    checks = []
    dir_failed = {}     # failed results per results directory

    def part(name):
        if name not in parts:
            parts[name] = Part(name)
            order.append(name)
        return parts[name]

    for line in read(records).splitlines():
        f = line.split("\t")
        if f[0] == "step" and len(f) == 3:
            nsteps += 1
            if f[2] != "0":
                steps.failed += 1
                steps.failures.append("%s: exit status %s" % (f[1], f[2]))
        elif f[0] == "check" and len(f) == 4:
            nsteps += 1
            checks.append(f[1:])
        elif f[0] == "results" and len(f) == 3:
            p = part(f[1])
            before = p.failed
            found = False
            for root, _, files in os.walk(f[2]):
                for name in sorted(files):
                    if name.endswith(".trs"):
                        found = True
                        count_result(p, os.path.join(root, name), top)
            if not found:
                p.failed += 1
                p.failures.append("%s: no test results" % os.path.relpath(f[2], top))
            d = os.path.abspath(f[2]) + os.sep
            dir_failed[d] = dir_failed.get(d, 0) + p.failed - before
        elif line.strip():
            steps.failed += 1
            steps.failures.append("unreadable record %r" % line)
    for name, status, d in checks:
        if status == "0":
            continue
        # Its failure is explained if a result below d failed.
        d = os.path.abspath(d) + os.sep
        explained = any(n and (x.startswith(d) or d.startswith(x))
                        for x, n in dir_failed.items())
        if not explained:
            steps.failed += 1
            steps.failures.append("%s: exit status %s and no failed test to say why"
                                  % (name, status))

    total = Part("total")
    for p in [parts[n] for n in order] + [steps]:
        if p is steps:
            print("%-12s %d run, %d failed" % ("steps:", nsteps, p.failed), file=out)
        else:
            extra = ""
            if p.replays:
                extra = " (and %d corpus replays of %d files, not counted as tests)" % (
                    p.replays, p.replayed)
            print("%-12s %d passed, %d failed, %d skipped%s"
                  % (p.name + ":", p.passed, p.failed, p.skipped, extra), file=out)
        for x in p.failures:
            print("    FAILED: %s" % x, file=out)
        for x in p.skips:
            print("    SKIPPED: %s" % x, file=out)
        total.passed += p.passed
        total.failed += p.failed
        total.skipped += p.skipped
    print("%d passed, %d failed, %d skipped" % (total.passed, total.failed, total.skipped),
          file=out)
    return total.failed


# ---- self-test -----------------------------------------------------------

def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _result(d, name, verdict, log):
    _write(os.path.join(d, name + ".trs"), ":test-result: %s\n:global-test-result: %s\n"
           ":recheck: no\n:copy-in-global-log: no\n" % (verdict, verdict))
    _write(os.path.join(d, name + ".log"), log)


def _clean_tree(top):
    """A run where everything passed: records and results."""
    b = os.path.join(top, "normal", "tests")
    _result(b + "/unit", "check_conf", "PASS",
            "Running suite(s): conf\n100%: Checks: 20, Failures: 0, Errors: 0\n")
    _result(b + "/fuzz", "fuzz_conf", "PASS",
            "conf: 7 corpus files replayed without a finding\n")
    _result(b + "/integration", "test_cli.py", "PASS", "ok\n11 passed, 0 failed, 0 skipped\n")
    v = os.path.join(top, "normal", "valgrind")
    _result(v, "test_cli.py", "PASS", "ok\n11 passed, 0 failed, 0 skipped\n")
    f = os.path.join(top, "fuzz", "tests", "fuzz")
    _result(f, "fuzz_conf", "PASS", "#123 DONE cov: 40\n")
    records = ["step\tbootstrap\t0", "step\tconfigure (normal)\t0", "step\tmake (normal)\t0",
               "check\tmake check (normal)\t0\t%s" % b,
               "results\tunit\t%s/unit" % b, "results\tintegration\t%s/integration" % b,
               "check\tvalgrind\t0\t%s" % v, "results\tvalgrind\t%s" % v,
               "step\tconfigure (fuzz)\t0", "step\tmake (fuzz)\t0",
               "check\tfuzz runs\t0\t%s" % f,
               "results\tfuzz\t%s/fuzz" % b, "results\tfuzz\t%s" % f]
    return records


def _run(top, records):
    path = os.path.join(top, "summary.tsv")
    _write(path, "\n".join(records) + "\n")
    r = subprocess.run([sys.executable, os.path.abspath(__file__), path],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout


def self_test():
    """Made-up build trees, each broken one way: the summary must count the
    breakage as failed and exit non-zero; a clean one exits 0."""
    problems = []
    final = re.compile(r"\n(\d+) passed, (\d+) failed, (\d+) skipped\n$")

    def expect(what, breakage, failed, passed=None, skipped=0, lines=()):
        with tempfile.TemporaryDirectory(prefix="summary-selftest-") as top:
            records = _clean_tree(top)
            breakage(top, records)
            rc, out = _run(top, records)
        m = final.search("\n" + out)
        got = tuple(map(int, m.groups())) if m else None
        want_rc = 1 if failed else 0
        if got is None or got[1] != failed or rc != want_rc or \
                passed is not None and got[0] != passed or got[2] != skipped or \
                any(l not in out for l in lines):
            problems.append("%s: want %s passed, %d failed, %d skipped, exit %d and %r;"
                            " got exit %d:\n%s" % (what, passed, failed, skipped, want_rc,
                                                   lines, rc, out))

    n = os.path.join
    # 20 unit + 11 integration + 11 valgrind + 1 fuzz run; replays are no tests.
    expect("a clean run", lambda top, r: None, 0, passed=43,
           lines=("unit:        20 passed, 0 failed, 0 skipped\n",
                  "fuzz:        1 passed, 0 failed, 0 skipped (and 1 corpus replays of 7 "
                  "files, not counted as tests)\n",
                  "steps:       8 run, 0 failed\n"))
    expect("a failing unit test", lambda top, r: _result(
        n(top, "normal/tests/unit"), "check_conf", "FAIL",
        "95%: Checks: 20, Failures: 1, Errors: 0\n"), 1, passed=42,
        lines=("unit:        19 passed, 1 failed",
               "FAILED: normal/tests/unit/check_conf: 1 failed"))
    expect("a crashed unit test", lambda top, r: _result(
        n(top, "normal/tests/unit"), "check_site", "FAIL",
        "Running suite(s): site\n"), 1, passed=43,
        lines=("FAILED: normal/tests/unit/check_site: failed with no count",))
    expect("a test that crashed after its checks passed", lambda top, r: _result(
        n(top, "normal/tests/unit"), "check_conf", "FAIL",
        "100%: Checks: 20, Failures: 0, Errors: 0\n==1==ERROR: LeakSanitizer\n"), 1,
        passed=43, lines=("check_conf: crashed or exited non-zero",))
    expect("a failing integration test", lambda top, r: _result(
        n(top, "normal/tests/integration"), "test_cli.py", "FAIL",
        "FAIL: test_x\n10 passed, 1 failed, 0 skipped\n"), 1, passed=42)
    expect("a valgrind error (exit 99, tests passed)", lambda top, r: _result(
        n(top, "normal/valgrind"), "test_cli.py", "FAIL",
        "11 passed, 0 failed, 0 skipped\n"), 1, passed=43,
        lines=("valgrind:    11 passed, 1 failed",))
    expect("a failed build", lambda top, r: r.__setitem__(2, "step\tmake (normal)\t2"), 1,
           lines=("FAILED: make (normal): exit status 2",))
    expect("a failed configure", lambda top, r: r.__setitem__(1, "step\tconfigure (normal)\t1"),
           1)
    expect("a failed fuzz build", lambda top, r: r.__setitem__(9, "step\tmake (fuzz)\t2"), 1,
           lines=("FAILED: make (fuzz): exit status 2",))
    expect("a failing fuzz run", lambda top, r: (_result(
        n(top, "fuzz/tests/fuzz"), "fuzz_conf", "FAIL",
        "==9==ERROR: AddressSanitizer: heap-buffer-overflow\n"),
        r.__setitem__(10, "check\tfuzz runs\t1\t%s" % n(top, "fuzz/tests/fuzz"))), 1,
        passed=42, lines=("fuzz:        0 passed, 1 failed",))
    expect("a failing corpus replay", lambda top, r: _result(
        n(top, "normal/tests/fuzz"), "fuzz_conf", "FAIL", "Running: crash-1\n"), 1,
        passed=43)
    expect("make check failing with no failed result", lambda top, r: r.__setitem__(
        3, "check\tmake check (normal)\t2\t%s" % n(top, "normal/tests")), 1, passed=43,
        lines=("make check (normal): exit status 2 and no failed test to say why",))
    expect("results missing", lambda top, r: r.append(
        "results\tsanitizer\t%s" % n(top, "sanitize/tests")), 1, passed=43,
        lines=("sanitizer:   0 passed, 1 failed", "no test results"))
    expect("a file whose every test skipped", lambda top, r: _result(
        n(top, "normal/tests/integration"), "test_nginx.py", "SKIP",
        "SKIPPED: test_nginx.ThroughNginx.test_http2: nginx: skipped by AUTOCONFD_TEST_SKIP\n"
        "SKIPPED: test_nginx.ThroughNginx.test_x: nginx: skipped by AUTOCONFD_TEST_SKIP\n"
        "0 passed, 0 failed, 2 skipped\n"), 0, passed=43, skipped=2,
        lines=("SKIPPED: test_nginx.ThroughNginx.test_http2: nginx: skipped by "
               "AUTOCONFD_TEST_SKIP",))
    expect("a result with no test-result line", lambda top, r: _write(
        n(top, "normal/tests/unit/check_ops.trs"), ""), 1, passed=43)
    for p in problems:
        print("summary self-test: " + p)
    print("summary self-test: %s" % ("FAILED" if problems else "every case counted right"))
    return 1 if problems else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/summary.py RECORDS | --self-test")
    sys.exit(1 if summarize(sys.argv[1]) else 0)


if __name__ == "__main__":
    main()
