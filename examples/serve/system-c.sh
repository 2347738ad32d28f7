#!/bin/sh
# examples/serve/system-c.sh - a controller written for system C's OID4VCI
# API (ACA-Py style) pointed at vci-serve: the credentials-supported
# records and the POST /issue body of system-c/*.json, unchanged but for
# the supported_cred_id the server gave; the draft-13 offer it answers and
# the exchange's state. Needs vci-serve, vci-statuslist, openssl and curl
# on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
iss=https://issuer.example.com

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 30 -out issuer.crt 2>/dev/null
vci-statuslist new --method bitstring --uri "$iss/status/w3c" --output w3c.list
key=$(vci-serve apikey add --state state --name controller 2>/dev/null |
	sed 's/.*"key":"\([^"]*\)".*/\1/')
vci-serve --issuer "$iss" --defn "$here/../definitions/diploma.json" --key issuer.key \
	--cert issuer.crt --state state --status-list w3c.list \
	--listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>serve.err &
pid=$!
i=0
until grep -q 'management listening on' serve.err; do
	i=$((i + 1))
	if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then cat serve.err; exit 1; fi
	sleep 0.1
done
c=http://127.0.0.1:$(sed -n 's/^vci-serve: management listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' serve.err)
c=$c/api/v1/oid4vci
api() { curl -sS -H "x-api-key: $key" "$@"; }
post() { api -H 'Content-Type: application/json' --data-binary "@$1" "$c/$2"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }

# The three record shapes, each becoming a served configuration.
for s in generic: jwt:/jwt sd-jwt:/sd-jwt; do
	f=${s%%:*}
	post "$here/system-c/$f.json" "credentials-supported${s#*:}" >"$f.out"
	echo "record $f: $(field supported_cred_id <"$f.out") ($(field format <"$f.out"))"
done

# POST /issue with the seed's body, naming the record by its id here.
sed 's/dd6384eb-b0b8-4084-af3b-2ddc5668addd/IDCard/' "$here/system-c/issue.json" >issue.json
post issue.json issue >issue.out
echo "offer: credentials=$(sed -n 's/.*"credentials":\[\([^]]*\)\].*/\1/p' issue.out)" \
	"user_pin_required=$(sed -n 's/.*"user_pin_required":\([a-z]*\).*/\1/p' issue.out)"
echo "link: $(field credential_offer <issue.out | cut -c1-44)..."
echo "exchange: $(field state <issue.out)"
xid=$(field exchange_id <issue.out)
echo "listed in state offer: $(api "$c/exchanges?state=offer" | grep -c "$xid")"
