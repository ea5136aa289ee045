#!/bin/sh
# Runs integration suites with the daemon under valgrind memcheck: any
# invalid access, use of uninitialised memory or definite/indirect leak
# fails the test whose daemon it was (harness.Daemon.stop() reads the
# report), and the script exits non-zero.
#
#   tests/valgrind.sh [BUILDDIR [SUITE...]]
#
# BUILDDIR is a build without sanitizers (default build/normal, configured
# and built if missing); SUITE names tests/integration/test_SUITE.py. Each
# suite leaves BUILDDIR/valgrind/test_SUITE.py.log and, as automake would,
# a .trs beside it with its result (scripts/summary.py reads them).
set -u
if ! command -v valgrind >/dev/null; then
	echo "valgrind.sh: valgrind is not installed (Debian package valgrind)" >&2
	exit 1
fi
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/normal}
[ $# -gt 0 ] && shift
# test_operations is left out by default: its per-IP limit test races with
# valgrind's slow start of each connection (a timing, not a memory, matter).
suites=${*:-autoconfig autodiscover mobileconfig pacc_dns settings signing hostile}
if [ ! -x "$build/autoconfd" ]; then
	mkdir -p "$build"
	(cd "$build" && "$top/configure" --quiet && make -s -j2) || exit 1
fi
if grep -q -- '-fsanitize' "$build/Makefile"; then
	echo "valgrind.sh: $build is a sanitizer build; use one without" >&2
	exit 1
fi
AUTOCONFD=$build/autoconfd
TOP_SRCDIR=$top
AUTOCONFD_WRAPPER="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30"
export AUTOCONFD TOP_SRCDIR AUTOCONFD_WRAPPER
status=0
rm -rf "$build/valgrind"
mkdir -p "$build/valgrind"
for s in $suites; do
	log=$build/valgrind/test_$s.py.log
	start=$(date +%s)
	python3 "$top/tests/integration/test_$s.py" >"$log" 2>&1
	case $? in
	0) r=PASS ;;
	77) r=SKIP ;;
	*) r=FAIL; status=1 ;;
	esac
	printf ':test-result: %s\n' $r >"${log%.log}.trs"
	printf '   [valgrind] %s test_%s.py: %s (%d s)\n' "$r" "$s" \
	    "$(tail -n 1 "$log")" $(($(date +%s) - start))
	[ $r = FAIL ] && grep -E '^(FAIL|ERROR):|==[0-9]+==' "$log" | head -20
done
exit $status
