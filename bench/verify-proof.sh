#!/bin/sh
# bench/verify-proof.sh [N] - verify a batch of N (default 20000) ES256
# proofs of possession with vci-verify-proof, on one job and on two, and
# compare with OpenSSL's ECDSA P-256 verify rate measured in the same run.
#   cd build && make && ../bench/verify-proof.sh 20000
# Needs vci-verify-proof (./src/tools or PATH), openssl and python3 with
# jwcrypto (to make the proofs; PYTHON3 names the interpreter).
set -eu
n=${1:-20000}
tool=${VCI_VERIFY_PROOF:-./src/tools/vci-verify-proof}
[ -x "$tool" ] || tool=$(command -v vci-verify-proof) ||
	{ echo "verify-proof.sh: vci-verify-proof not found" >&2; exit 2; }
py=${PYTHON3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aud=https://issuer.example.com

# N records, each with a proof by its own P-256 key (as real requests).
"$py" - "$n" "$aud" "$work/in.ndjson" <<'PYEOF'
import sys, json, time
from jwcrypto import jwk, jws
n, aud, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
keys = [jwk.JWK.generate(kty='EC', crv='P-256') for _ in range(min(n, 500))]
now = int(time.time())
with open(out, 'w') as f:
    for i in range(n):
        k = keys[i % len(keys)]
        t = jws.JWS(json.dumps({"aud": aud, "iat": now, "nonce": "bench-%d" % i}).encode())
        t.add_signature(k, alg='ES256', protected=json.dumps(
            {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": k.export_public(as_dict=True)}))
        f.write(json.dumps({"i": i, "proofs": {"jwt": [t.serialize(compact=True)]}}) + "\n")
PYEOF

now() { date +%s.%N; }
run() { # run JOBS: prints verifications per second
	t0=$(now)
	"$tool" --aud "$aud" --max-age 3600 --jobs "$1" --no-progress "$work/in.ndjson" >"$work/out" 2>/dev/null
	t1=$(now)
	ok=$(grep -c holder_jkt "$work/out")
	[ "$ok" -eq "$n" ] || { echo "verify-proof.sh: only $ok of $n verified" >&2; exit 1; }
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

one=$(run 1)
two=$(run 2)
# openssl speed prints " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  12000.0":
# sign/s and verify/s last.
overify=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
	awk '/ecdsa \(nistp256\)/ { v = $NF } END { print v }')
awk -v n="$n" -v one="$one" -v two="$two" -v o="$overify" 'BEGIN {
	printf "proofs:              %d ES256\n", n
	printf "vci-verify-proof:    %8.0f/s  (--jobs 1)  ratio to openssl %.2f\n", one, one / o
	printf "vci-verify-proof:    %8.0f/s  (--jobs 2)  ratio to openssl %.2f  speedup %.2f\n", two, two / o, two / one
	printf "openssl ecdsap256:   %8.0f verify/s\n", o
}'
