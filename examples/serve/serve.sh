#!/bin/sh
# examples/serve/serve.sh - vci-serve on loopback, driven from the shell:
# start it from a config file, read its metadata, import an offer made by
# vci-offer and fetch it by reference, make another through the management
# API with an API key, redeem a pre-authorized code at the token endpoint,
# revoke a status and see the published token change, stop it with
# SIGTERM. Needs vci-serve, vci-offer, vci-statuslist, openssl and curl on
# PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
defs=$here/../definitions
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
iss=https://issuer.example.com

# The pid definition as this example's wallet (curl) can use it: without
# the wallet attestation the example definition asks for at the token
# endpoint (curl presents none).
sed 's/"wallet_attestation_required": true/"wallet_attestation_required": false/' \
	"$defs/pid.json" >pid.json

# The issuer's key and certificate, and a status list for pid.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 30 -out issuer.crt 2>/dev/null
vci-statuslist new --bits 2 --size 1000 --uri "$iss/status/1" --output pid.list

# The settings (as /etc/vci-serve/vci-serve.conf would hold them), on
# free loopback ports for this example.
cat >vci-serve.conf <<EOF
issuer = $iss
defn = $work/pid.json
key = issuer.key
cert = issuer.crt
state = state
status-list = pid.list
listen = 127.0.0.1:0
admin-listen = 127.0.0.1:0
log = access.log
EOF
vci-serve --config vci-serve.conf 2>serve.err &
pid=$!
i=0
until grep -q 'management listening on' serve.err; do
	i=$((i + 1))
	if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then cat serve.err; exit 1; fi
	sleep 0.1
done
cat serve.err
port=$(sed -n 's/^vci-serve: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' serve.err)
admin=$(sed -n 's/^vci-serve: management listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' serve.err)
url=http://127.0.0.1:$port

# What wallets read first (a reverse proxy would serve it at $iss).
curl -sf "$url/.well-known/openid-credential-issuer" | grep -o '"credential_issuer":"[^"]*"'
curl -sf "$url/.well-known/oauth-authorization-server" | grep -o '"token_endpoint":"[^"]*"'

# An offer from a pipeline: vci-offer makes it, vci-serve import keeps it.
claims='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}'
printf '{"claims":%s}\n' "$claims" |
	vci-offer --issuer "$iss" --config pid --by-reference "$iss/offers" >offer.ndjson
vci-serve import --state state offer.ndjson
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }
id=$(field offer_id offer.ndjson)
echo "offer link: $(field offer_link offer.ndjson)"
echo "by reference: $(curl -sf "$url/offers/$id")"

# An offer from the back office: POST /offers with an API key.
key=$(vci-serve apikey add --state state --name back-office 2>/dev/null | sed 's/.*"key":"\([^"]*\)".*/\1/')
curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d "{\"credential_configuration_id\":\"pid\",\"claims\":$claims}" \
	"http://127.0.0.1:$admin/offers" >made.json
echo "management API: $(cat made.json)"

# The wallet's first step: the pre-authorized code for an access token,
# which works once.
code=$(field pre_authorized_code offer.ndjson)
curl -s --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code \
	--data-urlencode "pre-authorized_code=$code" "$url/token" >token.json
echo "token type: $(field token_type token.json)"
curl -s --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code \
	--data-urlencode "pre-authorized_code=$code" "$url/token" >again.json
echo "the same code again: $(field error again.json)"

# Revocation from the shell while the server runs: the published token
# follows at once. (No credential has index 7 here, so set needs --force;
# the index of an issued credential needs none.)
vci-statuslist set --force --list pid.list 7 revoked
curl -sf "$url/status/1" >token.jwt
# check exits 1 for anything but valid: report it, do not stop
st=$(vci-statuslist check --idx 7 --cert issuer.crt --uri "$iss/status/1" <token.jwt) || true
echo "index 7: $st"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
echo "stopped: exit $status"
echo "access log: $(wc -l <access.log) requests, e.g. $(sed -n 3p access.log)"
