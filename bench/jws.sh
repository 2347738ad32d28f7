#!/bin/sh
# bench/jws.sh [N] - JWS sign/verify rate of libvci against `openssl speed`
# for the same primitive on this machine (single core).
#   cd build && make bench/bench-jws && ../bench/jws.sh 20000
set -eu
n=${1:-20000}
bin=${BENCH_JWS:-./bench/bench-jws}
[ -x "$bin" ] || { echo "jws.sh: $bin not built (make bench/bench-jws)" >&2; exit 2; }

# openssl speed prints e.g. " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  12000.0"
# and "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  25000.0   9000.0": sign/s, verify/s last.
ossl_rates() {
	openssl speed -seconds 3 "$1" 2>/dev/null | awk -v pat="$2" '$0 ~ pat { print $(NF-1), $NF }' | tail -n 1
}

compare() { # compare ALG SPEEDNAME PATTERN
	ours=$("$bin" "$1" "$n")
	echo "$ours"
	rates=$(ossl_rates "$2" "$3")
	osign=${rates% *}
	overify=${rates#* }
	sign=$(echo "$ours" | sed -n 's/.* sign \([0-9]*\)\/s.*/\1/p')
	verify=$(echo "$ours" | sed -n 's/.* verify \([0-9]*\)\/s.*/\1/p')
	awk -v a="$1" -v s="$sign" -v v="$verify" -v os="$osign" -v ov="$overify" 'BEGIN {
		printf "%s sign:   ours %8.0f/s  openssl %8.0f/s  ratio %.2f\n", a, s, os, s / os
		printf "%s verify: ours %8.0f/s  openssl %8.0f/s  ratio %.2f\n", a, v, ov, v / ov
	}'
}

compare ES256 ecdsap256 "ecdsa \\(nistp256\\)"
compare EdDSA ed25519 "EdDSA \\(Ed25519\\)"
