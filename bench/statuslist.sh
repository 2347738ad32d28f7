#!/bin/sh
# bench/statuslist.sh - vci-statuslist speed and memory: allocate
# 1,000,000 indices, set 100,000 statuses, sign a 2^24-entry 2-bit list
# (JWT and CWT). Prints wall time and peak memory of each step.
#   cd build && make src/tools/vci-statuslist && ../bench/statuslist.sh
# Goals: signing a 2^24-entry list under 1 s; memory of the order of the
# list's size.
set -eu
bin=${VCI_STATUSLIST:-./src/tools/vci-statuslist}
[ -x "$bin" ] || { echo "statuslist.sh: $bin not built" >&2; exit 2; }
n_alloc=${1:-1000000}
n_set=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# step NAME CMD...: run CMD, print seconds and peak RSS (KiB) when GNU time exists
step() {
	name=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %M" -o "$work/time" "$@"
		read -r secs kib <"$work/time"
		printf '%-44s %6.2f s  %8d KiB peak\n' "$name" "$secs" "$kib"
	else
		start=$(date +%s.%N)
		"$@"
		end=$(date +%s.%N)
		printf '%-44s %6.2f s\n' "$name" "$(echo "$end - $start" | bc)"
	fi
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/k.pem" 2>/dev/null

"$bin" new --bits 2 --size 2097152 --uri https://bench.example/sl/1 --output "$work/a.list"
seq "$n_alloc" | sed 's/.*/{"n":&}/' >"$work/records"
step "alloc $n_alloc indices (2^21 list)" \
	sh -c "'$bin' alloc --list '$work/a.list' '$work/records' >'$work/allocated' 2>/dev/null"
[ "$(wc -l <"$work/allocated")" -eq "$n_alloc" ] || { echo "alloc: wrong count" >&2; exit 1; }

"$bin" new --bits 2 --size 16777216 --uri https://bench.example/sl/2 --output "$work/b.list"
awk -v n="$n_set" 'BEGIN { srand(1); for (i = 0; i < n; i++)
	printf "{\"idx\":%d,\"status\":\"%s\"}\n", int(rand() * 16777216), (i % 3 ? "invalid" : "suspended") }' >"$work/changes"
step "set $n_set statuses (batch, 2^24 2-bit list)" \
	sh -c "'$bin' set --force --list '$work/b.list' '$work/changes' >/dev/null 2>&1"
step "sign JWT, 2^24-entry 2-bit list ($(wc -c <"$work/b.list") B file)" \
	"$bin" sign --list "$work/b.list" --key "$work/k.pem" --kid bench --output "$work/b.jwt"
step "sign CWT, same list" \
	"$bin" sign --cwt --list "$work/b.list" --key "$work/k.pem" --kid bench --output "$work/b.cwt"
step "check JWT (verify, inflate, read)" \
	sh -c "'$bin' check --idx 0 --jwk '$work/k.pem' <'$work/b.jwt' >/dev/null || true"
printf 'token sizes: JWT %s B, CWT %s B\n' "$(wc -c <"$work/b.jwt")" "$(wc -c <"$work/b.cwt")"
