#!/bin/sh
# examples/sign-sdjwt.sh - a CSV batch of 100 people becomes 100 issuance
# records: each gets a Token Status List entry, then an SD-JWT VC signed
# with an x5c header; the one row with a malformed birth date becomes an
# error record and the other 99 credentials come out. Every credential is
# then checked the way a verifier would, against the issuer certificate
# as trust anchor. Needs vci-statuslist, vci-sign-sdjwt and openssl on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
issuer=https://issuer.example.com

# Issuer key and certificate.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 30 -out issuer.crt 2>/dev/null

# An employee badge: names and birth date disclosable, the employer not;
# no holder key binding (a badge shown as a whole), revocable.
cat >badge.json <<'JSON'
{"id": "badge", "format": "dc+sd-jwt", "vct": "https://issuer.example.com/badge",
 "claims": [
  {"path": ["given_name"], "mandatory": true, "sd": "always"},
  {"path": ["family_name"], "mandatory": true, "sd": "always"},
  {"path": ["birthdate"], "mandatory": true, "value_type": "date", "sd": "always"},
  {"path": ["employer"], "mandatory": true, "sd": "never"}],
 "expiry_days": 365, "status": "token_status_list"}
JSON

# 100 people; row 42 has a birth date in the wrong format.
{
	echo 'given_name,family_name,birthdate,employer,record.id'
	i=1
	while [ "$i" -le 100 ]; do
		d=$(printf '19%02d-%02d-%02d' $((50 + i % 50)) $((1 + i % 12)) $((1 + i % 28)))
		[ "$i" -eq 42 ] && d=31.12.1990
		printf 'Given%d,Family%d,%s,Example Corp,emp-%03d\n' "$i" "$i" "$d" "$i"
		i=$((i + 1))
	done
} >people.csv

vci-statuslist new --bits 1 --uri "$issuer/status/badges" --output badges.list
vci-statuslist alloc --list badges.list --csv people.csv >with-status.ndjson 2>/dev/null
status=0
vci-sign-sdjwt --defn badge.json --key issuer.key --cert issuer.crt --issuer "$issuer" \
	--jobs 2 --output issued.ndjson with-status.ndjson || status=$?
[ "$status" -eq 1 ] || { echo "expected exit 1 for the bad row, got $status" >&2; exit 1; }

ok=$(grep -c '"credential":"ey' issued.ndjson)
bad=$(grep -c '"error"' issued.ndjson)
echo "records: $(wc -l <issued.ndjson), credentials: $ok, error records: $bad"
grep '"error"' issued.ndjson | sed 's/.*"id":"\([^"]*\)".*"message":"\(.*\)"},"line".*/\1: \2/'
[ "$ok" -eq 99 ] && [ "$bad" -eq 1 ]

# Every credential verifies against the issuer certificate as trust anchor.
grep -v '"error"' issued.ndjson | vci-sign-sdjwt verify --ca issuer.crt >claims.ndjson
echo "verified: $(wc -l <claims.ndjson)"
head -n 1 claims.ndjson
[ "$(wc -l <claims.ndjson)" -eq 99 ]
