#!/bin/sh
# examples/serve/system-c.sh - a controller written for system C's OID4VCI
# API (ACA-Py style) pointed at vci-serve: the credentials-supported
# records and the POST /issue body of system-c/*.json, unchanged but for
# the supported_cred_id the server gave; the draft-13 offer it answers and
# the exchange's state. Needs vci-serve, vci-statuslist, openssl and curl
# on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
iss=https://issuer.example.com

example_issuer_key issuer.key issuer.crt
vci-statuslist new --method bitstring --uri "$iss/status/w3c" --output w3c.list
key=$(example_apikey controller)
example_serve --issuer "$iss" --defn "$here/../definitions/diploma.json" --key issuer.key \
	--cert issuer.crt --state state --status-list w3c.list
c=$admin
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
