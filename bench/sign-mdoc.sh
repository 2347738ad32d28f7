#!/bin/sh
# bench/sign-mdoc.sh [N] - sign N (default 20000) mDLs with vci-sign-mdoc
# (10 data elements each, ES256, each bound to a holder's P-256 device key)
# on one job and on two, and compare with OpenSSL's ECDSA P-256 signing
# rate measured in the same run; prints credentials/s, the ratio, the
# speedup of --jobs 2 and the peak RSS (which must not grow with N).
#   cd build && make && ../bench/sign-mdoc.sh 20000
# Needs vci-sign-mdoc (./src/tools or PATH), openssl, /usr/bin/time and
# python3 with jwcrypto and cbor2 (to make the holder keys and measure the
# ceiling; PYTHON3 names it).
# Measured on a shared 2-core VM (OpenSSL 3.0.19), 4 December 2026:
#   per CPU second, --jobs 1: 0.53 to 0.55 of openssl speed's sign rate
#   (least CPU of six runs of 10,000 mDLs against openssl's best of six,
#   load average 1.4 to 1.8); a single run of this script at load average
#   2.1 to 2.7 read 0.48. Ceiling (bench-floor): 0.74. --jobs 2 speedup
#   0.97 in that run while openssl -multi 2 showed 1.13: not judged.
#   Peak RSS 11.0 MB (--jobs 1), 11.8 MB (--jobs 2).
set -eu
n=${1:-20000}
tool=${VCI_SIGN_MDOC:-./src/tools/vci-sign-mdoc}
[ -x "$tool" ] || tool=$(command -v vci-sign-mdoc) ||
	{ echo "sign-mdoc.sh: vci-sign-mdoc not found" >&2; exit 2; }
py=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ds.key" 2>/dev/null
openssl req -x509 -new -key "$work/ds.key" -subj "/CN=Bench Document Signer" -days 30 \
	-addext "keyUsage=critical,digitalSignature" \
	-addext "extendedKeyUsage=critical,1.0.18013.5.1.2" -out "$work/ds.crt" 2>/dev/null
cat >"$work/defn.json" <<'DEFN'
{"id": "mdl-bench", "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL",
 "claims": [
  {"path": ["org.iso.18013.5.1", "family_name"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "given_name"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "birth_date"], "mandatory": true, "value_type": "date"},
  {"path": ["org.iso.18013.5.1", "issue_date"], "mandatory": true, "value_type": "date"},
  {"path": ["org.iso.18013.5.1", "expiry_date"], "mandatory": true, "value_type": "date"},
  {"path": ["org.iso.18013.5.1", "issuing_country"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "issuing_authority"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "document_number"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "un_distinguishing_sign"], "mandatory": true, "value_type": "string"},
  {"path": ["org.iso.18013.5.1", "age_over_18"], "mandatory": true, "value_type": "boolean"}],
 "expiry_days": 365,
 "key_binding": {"methods": ["cose_key"], "proof_algs": ["ES256"]}}
DEFN

# N records; holder keys as the proofs of real requests would give them
"$py" - "$n" "$work/in.ndjson" <<'PYEOF'
import sys, json
from jwcrypto import jwk
n, out = int(sys.argv[1]), sys.argv[2]
keys = []
for _ in range(min(n, 500)):
    k = jwk.JWK.generate(kty='EC', crv='P-256').export_public(as_dict=True)
    k.pop('kid', None)
    keys.append(k)
with open(out, 'w') as f:
    for i in range(n):
        f.write(json.dumps({"id": i, "claims": {"org.iso.18013.5.1": {
            "family_name": "Mustermann", "given_name": "Erika %d" % i,
            "birth_date": "1964-08-12", "issue_date": "2024-03-01", "expiry_date": "2034-02-28",
            "issuing_country": "DE", "issuing_authority": "Kraftfahrt-Bundesamt",
            "document_number": "B%09d" % i, "un_distinguishing_sign": "D", "age_over_18": True}},
            "holder_jwk": keys[i % len(keys)]}) + "\n")
PYEOF

now() { date +%s.%N; }
run() { # run JOBS: prints "credentials/s credentials-per-CPU-second peak-RSS-kB"
	t0=$(now)
	/usr/bin/time -f '%U %S %M' -o "$work/time" "$tool" --unchecked-proofs --defn "$work/defn.json" \
		--key "$work/ds.key" --cert "$work/ds.crt" --jobs "$1" --no-progress --raw \
		"$work/in.ndjson" >"$work/out" 2>/dev/null
	t1=$(now)
	ok=$(wc -l <"$work/out")
	[ "$ok" -eq "$n" ] || { echo "sign-mdoc.sh: only $ok of $n signed" >&2; exit 1; }
	awk -v n="$n" -v a="$t0" -v b="$t1" '{ printf "%.0f %.0f %d", n / (b - a), n / ($1 + $2), $3 }' "$work/time"
}

set -- $(run 1) $(run 2)
# openssl speed prints " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  12000.0":
# sign/s then verify/s. By default it divides by its user CPU time;
# -elapsed divides by wall-clock time, as the runs above are timed, so the
# ratios compare like with like when other processes share the machine.
ospeed() {
	openssl speed "$@" -seconds 3 ecdsap256 2>/dev/null |
		awk '/ecdsa \(nistp256\)/ { s = $(NF-1) } END { print s }'
}
owall=$(ospeed -elapsed)
ocpu=$(ospeed)
# what two processes get on this machine now: the --jobs 2 speedup cannot
# be more than openssl's own (on a shared machine it can be well under 2)
omulti=$(ospeed -elapsed -multi 2)
awk -v n="$n" -v one="$1" -v c1="$2" -v r1="$3" -v two="$4" -v c2="$5" -v r2="$6" \
	-v o="$owall" -v oc="$ocpu" -v om="$omulti" 'BEGIN {
	printf "mDLs:               %d (10 elements, ES256, device-bound)\n", n
	printf "vci-sign-mdoc:      %8.0f/s  (--jobs 1)  ratio to openssl %.2f  peak RSS %.1f MB\n", one, one / o, r1 / 1024
	printf "vci-sign-mdoc:      %8.0f/s  (--jobs 2)  ratio to openssl %.2f  peak RSS %.1f MB  speedup %.2f\n", two, two / o, r2 / 1024, two / one
	printf "openssl ecdsap256:  %8.0f sign/s (wall clock)\n", o
	printf "openssl -multi 2:   %8.0f sign/s (wall clock)  speedup %.2f\n", om, om / o
	printf "per CPU second:     %8.0f/s  (--jobs 1)  %.0f/s (--jobs 2)  openssl %.0f/s  ratio %.2f\n", c1, c2, oc, c1 / oc
}'

# The ceiling of the ratio: besides its ECDSA signature an mdoc needs its
# record parsed (jansson) and SHA-256 over every IssuerSignedItemBytes and
# the COSE Sig_structure. bench-floor times those for the first
# credential's sizes with the same libraries; no issuer can beat
# 1 / (1 + (parse + random + SHA) * openssl-sign-rate) on this machine
# with jansson and OpenSSL (the second figure leaves the parse out). Both
# sides are CPU time (bench-floor takes the best of three rounds), so that
# other load on the machine does not move the ceiling.
floor=${BENCH_FLOOR:-./bench/bench-floor}
if [ -x "$floor" ]; then
	lens=$(head -n 1 "$work/out" | "$py" -c '
import sys, base64, cbor2
c = sys.stdin.read().strip()
d = cbor2.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))
lens = [len(cbor2.dumps(i)) for ns in d["nameSpaces"].values() for i in ns]
rnd = 32 * len(lens) + 4 * len(lens)
a = d["issuerAuth"]
lens.append(len(cbor2.dumps(["Signature1", a[0], b"", a[2]])))
print(rnd, " ".join(map(str, lens)))')
	head -n 1 "$work/in.ndjson" >"$work/rec1"
	set -- $("$floor" "$work/rec1" $lens) # lens: random bytes, then message lengths
	awk -v o="$ocpu" -v parse="$1" -v heap="$4" -v rnd="$2" -v sha="$3" 'BEGIN {
		printf "ceiling:            ratio %.2f at most (jansson arena), %.2f with malloc, %.2f without the JSON parse (per credential: JSON parse %.1f us in the arena, %.1f us with malloc, CSPRNG %.1f us, SHA-256 %.1f us, ECDSA %.1f us at openssl'"'"'s CPU rate)\n",
			1 / (1 + (parse + rnd + sha) * o / 1e6), 1 / (1 + (heap + rnd + sha) * o / 1e6),
			1 / (1 + (rnd + sha) * o / 1e6), parse, heap, rnd, sha, 1e6 / o
	}'
fi
