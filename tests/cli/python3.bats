#!/usr/bin/env bats
# One rule for the Python the tests and benches run: $PYTHON3, default
# /usr/bin/python3 (Debian's, with python3-jwcrypto, -cryptography and
# -cbor2; a python3 first on PATH, e.g. pyenv's, may lack them), and
# `make check` passes configure's choice (./configure PYTHON3=...).

setup() {
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	cd "$SRC"
	# every shell file that may run Python (scripts/bootstrap only lists
	# package names)
	FILES=$(ls tests/cli/*.bats tests/serve/*.bash bench/*.sh examples/*.sh \
		examples/*/*.sh scripts/* 2>/dev/null | grep -v -e '^scripts/bootstrap$' -e '^tests/cli/python3.bats$')
}

@test "every default is \${PYTHON3:-/usr/bin/python3}" {
	# shellcheck disable=SC2086
	run grep -nE '\$\{PYTHON3:-[^}]*\}' $FILES
	bad=$(printf '%s\n' "$output" | grep -v 'PYTHON3:-/usr/bin/python3}' || true)
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

@test "no bare python3 and no hard-coded /usr/bin/python3 outside that default" {
	# shellcheck disable=SC2086
	bare=$(grep -nE '(^|[[:space:];|&(`"])python3([[:space:]"]|$)' $FILES |
		grep -vE '^[^:]*:[0-9]+:[[:space:]]*#' || true)
	[ -z "$bare" ] || { echo "$bare"; return 1; }
	# shellcheck disable=SC2086
	fixed=$(grep -n '/usr/bin/python3' $FILES | grep -v 'PYTHON3:-/usr/bin/python3}' |
		grep -vE '^[^:]*:[0-9]+:[[:space:]]*#' || true)
	[ -z "$fixed" ] || { echo "$fixed"; return 1; }
}

@test "make check runs the tests with configure's PYTHON3" {
	[ -n "${VCI_BUILDDIR:-}" ] || skip "not run by make check"
	want=$(sed -n 's/^PYTHON3 = //p' "$VCI_BUILDDIR/Makefile")
	[ -n "$want" ]
	[ "${PYTHON3:-}" = "$want" ]
	grep -q "PYTHON3='\$(PYTHON3)'" "$SRC/Makefile.am"
}

@test "the Python the tests run has the modules they use" {
	"${PYTHON3:-/usr/bin/python3}" -c 'import jwcrypto, cryptography, cbor2'
}
