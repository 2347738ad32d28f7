#!/bin/sh
# Replay every fuzz target over its seed corpus (tests/fuzz/corpus/NAME/)
# and report TAP. Works for driver builds and real libFuzzer builds alike.
set -u
src=${VCI_SRCDIR:-.}
bld=${VCI_BUILDDIR:-.}
n=0
fail=0
out=$(mktemp)
for bin in "$bld"/tests/fuzz/fuzz-*; do
	[ -x "$bin" ] || continue
	case "$bin" in *.o|*.c) continue ;; esac
	name=$(basename "$bin")
	n=$((n + 1))
	dir="$src/tests/fuzz/corpus/${name#fuzz-}"
	set -- "$dir"/*
	if [ ! -e "$1" ]; then
		echo "not ok $n - $name: no seed corpus in $dir"
		fail=$((fail + 1))
		continue
	fi
	if "$bin" "$@" >"$out" 2>&1; then
		echo "ok $n - $name replays $# seed inputs"
	else
		echo "not ok $n - $name crashed on its corpus"
		sed 's/^/# /' "$out" | tail -n 20
		fail=$((fail + 1))
	fi
done
rm -f "$out"
echo "1..$n"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
