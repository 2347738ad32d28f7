#!/bin/sh
# examples/serve/system-a.sh - a back office that drove system A's issuer
# API points it at vci-serve: the credential definition (two formats) and
# issue calls of system-a/*.json, unchanged, on the management listener
# under system A's paths; the credentialHistory records they answer; the
# claims of a deferred issuance supplied later. Needs vci-serve,
# vci-statuslist, openssl and curl on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
iss=https://issuer.example.com

example_issuer_key issuer.key issuer.crt
vci-statuslist new --bits 2 --uri "$iss/status/1" --output token.list
vci-statuslist new --method bitstring --uri "$iss/status/w3c" --output w3c.list
key=$(example_apikey back-office)
example_serve --issuer "$iss" --defn "$here/../definitions/diploma.json" --key issuer.key \
	--cert issuer.crt --state state --status-list token.list --status-list w3c.list
a=$admin
a=$a/v2/config/digital-wallet/openid/sdjwt
api() { curl -sS -H "Authorization: ApiKey $key" "$@"; }
post() { api -X "$1" -H 'Content-Type: application/json' --data-binary "@$2" "$a/$3"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }

# The definition, as system A takes it: one native definition per entry.
post POST "$here/system-a/definition.json" credential-definition >def.json
echo "definitions: $(grep -o '"credentialDefinitionId":"[^"]*"' def.json | sort -u | tr '\n' ' ')"
echo "dropped: $(grep -o '"dropped":"[^"]*"' def.json | wc -l) fields"

# Issue InTime with a userPin (the tx_code): the exchange's record.
post POST "$here/system-a/issue.json" credential/issue >one.json
echo "issued: status=$(field status <one.json) mode=$(field issuanceMode <one.json)"
echo "offer: $(field credentialOffer <one.json | cut -c1-51)..."

# credentials[]: one exchange per entry.
post POST "$here/system-a/issue-batch.json" credential/issue >batch.json
echo "batch: $(grep -o '"credentialExchangeId"' batch.json | wc -l) exchanges"

# Deferred (the wallet endpoint left out here): pending until the claims
# come, which needs a wallet to have asked first (PUT answers 409 before).
sed '/credentialOfferEndpoint/d' "$here/system-a/issue-deferred.json" >deferred.json
post POST deferred.json credential/issue >later.json
id=$(field credentialExchangeId <later.json)
echo "deferred: credentialStatus=$(field credentialStatus <later.json) link=$(field credentialOffer <later.json | cut -c1-7)"
echo "claims before the wallet asked: $(post PUT "$here/system-a/claims.json" "credential/history/$id" | sed -n "s/.*\"errorCode\":\([0-9]*\).*/\1/p")"

api "$a/credential/history?status=offer_sent&limit=10" >list.json
echo "history: $(sed -n 's/.*"totalItems":\([0-9]*\).*/\1/p' list.json) offers sent"
