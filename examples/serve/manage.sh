#!/bin/sh
# examples/serve/manage.sh - vci-serve's native management API from a back
# office's shell: a definition created over HTTP in system A's shape and
# one from the shell, the issuer metadata following both without a
# restart, offers in bulk as NDJSON straight from a pipeline (a bad record
# comes back as an error record), a wallet redeeming one of them, the
# exchanges listed a page at a time, one read and deleted. Needs
# vci-serve, vci-statuslist, openssl and curl on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
defs=$here/../definitions
. "$here/lib.sh"
iss=https://issuer.example.com

example_issuer_key issuer.key issuer.crt
vci-statuslist new --bits 2 --uri "$iss/status/1" --output token.list
vci-statuslist new --method bitstring --uri "$iss/status/w3c" --output w3c.list

# The back office's key, then the server with a management listener.
key=$(example_apikey back-office)
example_serve --issuer "$iss" --defn "$defs/pid.json" --key issuer.key --cert issuer.crt \
	--state state --status-list token.list --status-list w3c.list
url=http://127.0.0.1:$port
api() { curl -sS -H "x-api-key: $key" "$@"; }
served() {
	printf 'served: '
	curl -sf "$url/.well-known/openid-credential-issuer" | tr ',' '\n' |
		sed -n 's/^.*"\([^"]*\)":{"format".*/\1/p' | sort | tr '\n' ' '
	echo
}
served

# A definition in system A's shape over HTTP: imported as vci-defn import
# does, what has no meaning here listed under "dropped".
api -H 'Content-Type: application/json' --data-binary "@$here/../import/system-a-pid.json" \
	"$admin/definitions" >created.json
echo "created: $(grep -o '"id":"[^"]*"' created.json | tr '\n' ' ')"
echo "dropped fields: $(grep -o '"dropped":"[^"]*"' created.json | wc -l)"
served

# One from the shell, through the store: the running server picks it up
# (pid without its wallet attestation, so a plain wallet can redeem it).
sed -e 's/"id": *"pid"/"id": "pid_plain"/' \
	-e 's/"wallet_attestation_required": *true/"wallet_attestation_required": false/' \
	"$defs/pid.json" >pid-plain.json
vci-serve defn add --state state pid-plain.json >/dev/null
i=0
until served | grep -q pid_plain; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then echo "not served"; exit 1; fi
	sleep 0.2
done
served
echo "stored: $(vci-serve defn list --state state | wc -l) definitions"

# Offers in bulk: NDJSON records from a pipeline, one answer line each.
claims='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}'
for c in pid pid_plain no_such_config pid; do
	printf '{"credential_configuration_id":"%s","claims":%s}\n' "$c" "$claims"
done | api -H 'Content-Type: application/x-ndjson' --data-binary @- "$admin/offers/bulk" >offers.ndjson
echo "bulk: $(grep -c '"credential_offer_uri"' offers.ndjson) offers, $(grep -c '"error"' offers.ndjson) error record"
grep '"error"' offers.ndjson | sed 's/.*\("error":{[^}]*}\).*\("line":[0-9]*\).*/\1 \2/'

# A wallet redeems the pid_plain offer's code at the token endpoint.
id=$(sed -n 2p offers.ndjson | sed 's/.*"offer_id":"\([^"]*\)".*/\1/')
code=$(curl -sf "$url/offers/$id" | sed 's/.*"pre-authorized_code":"\([^"]*\)".*/\1/')
curl -sf --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code \
	--data-urlencode "pre-authorized_code=$code" "$url/token" >/dev/null

# The exchanges, a page at a time, and one of them.
api "$admin/exchanges?state=offer_redeemed&limit=10" >page.json
echo "exchanges redeemed: $(grep -o '"id":"[^"]*","offer_id":"'"$id"'"' page.json | wc -l), next page: $(grep -c next_cursor page.json || true)"
x=$(sed 's/.*"id":"\([^"]*\)".*/\1/' page.json)
api "$admin/exchanges/$x" | grep -o '"state":"[^"]*"'
echo "from the shell: $(vci-serve exchange list --state state offer_redeemed | wc -l) exchange"
api -X DELETE -o /dev/null -w 'deleted: %{http_code}\n' "$admin/exchanges/$x"
api -o /dev/null -w 'again: %{http_code}\n' "$admin/exchanges/$x"

kill -TERM "$pid"
wait "$pid" || true
pid=
echo "stopped"
