#!/usr/bin/env bats
# vci-serve's native management API on the management listener (a random
# free 127.0.0.1 port): API key refusals, definitions (create in the native
# and a foreign shape, list, get, replace, delete) with the issuer metadata,
# signed metadata and type metadata following each change, bulk offers as
# NDJSON, exchanges (state filter, paging and its bounds, get, delete),
# revoke / suspend / reinstate followed by the published status list token
# (checked with python3-jwcrypto), the same from the shell through the
# store (vci-serve defn, exchange, revoke ...), and one issuance end to end
# with the holder simulator tests/serve/holder.py.

bats_require_minimum_version 1.5.0

CLAIMS='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}'

setup() {
	command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	DEFS=$SRC/examples/definitions
	PY=${PYTHON3:-/usr/bin/python3}
	HOLDER=${VCI_HOLDER:-$SRC/tests/serve/holder.py}
	D=$BATS_TEST_TMPDIR
	SPID=
	PORT=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	# the issuer: http on the loopback port where the library allows it
	# (the holder simulator needs it), else an https identifier with a path
	# whose paths this listener serves (ISS: the identifier, BASE: the URL of
	# its paths here, WK: its metadata here)
	if vci-defn metadata --issuer "http://127.0.0.1:$PORT" "$DEFS/pid.json" >/dev/null 2>&1; then
		ISS=http://127.0.0.1:$PORT
		BASE=$ISS
		WK=$ISS/.well-known/openid-credential-issuer
	else
		ISS=https://issuer.example/t
		BASE=http://127.0.0.1:$PORT/t
		WK=http://127.0.0.1:$PORT/.well-known/openid-credential-issuer/t
	fi
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/k.pem" 2>/dev/null
	openssl req -x509 -new -key "$D/k.pem" -subj "/CN=Example Issuer" -days 30 \
		-out "$D/c.crt" 2>/dev/null
	vci-statuslist new --bits 2 --size 1000 --uri "$ISS/status/1" --output "$D/tsl"
	vci-statuslist new --method bitstring --uri "$ISS/status/w3c" --output "$D/bsl"
	# pid without the attestations (the holder has none) is the --defn one;
	# badge (its vct under the issuer) is made through the API
	"$PY" - "$DEFS/pid.json" "$D" "$ISS" <<'EOF'
import json, sys
src, d, iss = sys.argv[1:]
p = json.load(open(src))
p.pop("wallet_attestation_required", None)
p.get("key_binding", {}).pop("key_attestation_required", None)
json.dump(p, open(d + "/pid.json", "w"))
p["id"] = "badge"
p["vct"] = iss + "/vct/badge"
p.pop("scope", None)
json.dump(p, open(d + "/badge.json", "w"))
p["display"][0]["name"] = "Badge, renamed"
json.dump(p, open(d + "/badge2.json", "w"))
EOF
	KEY=$(vci-serve apikey add --state "$D/state" --name test 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
}

teardown() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || true
	fi
}

need_py() {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
}

# start_server [OPTION]...: on 127.0.0.1:$PORT with a management listener
# on a free port; sets A (its base URL) and SPID
start_server() {
	vci-serve run --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/state" --listen "127.0.0.1:$PORT" --admin-listen 127.0.0.1:0 \
		--status-list "$D/tsl" --status-list "$D/bsl" "$@" 2>"$D/err" 3>&- &
	SPID=$!
	for _ in $(seq 600); do
		grep -q '^vci-serve: management listening on' "$D/err" && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	A=http://$(sed -n 's/^vci-serve: management listening on \([0-9.:]*\).*/\1/p' "$D/err")
	[ "$A" != http:// ] || { cat "$D/err"; return 1; }
}

# api METHOD PATH [CURL_ARG]...: a management call with the key; the body
# goes to $D/out, the status to $CODE
api() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -s -m 60 -o "$D/out" -w '%{http_code}' -X "$m" -H "x-api-key: $KEY" "$@" "$A$p")
}

# post_json PATH FILE: POST a JSON file
post_json() {
	api POST "$1" -H 'Content-Type: application/json' --data-binary "@$2"
}

# jq_out EXPR: a Python expression over the last answer (j)
jq_out() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$D/out" "$1"
}

# md_ids: the configuration ids of the served metadata
md_ids() {
	curl -s -m 60 "$WK" |
		"$PY" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["credential_configurations_supported"])))'
}

# redeem OFFER_URI: fetch the offer by reference and redeem its code at the
# token endpoint (makes an exchange in state offer_redeemed)
redeem() {
	local code
	code=$("$PY" -c 'import json,sys,urllib.parse,urllib.request
u = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)["credential_offer_uri"][0]
u = sys.argv[3] + u[len(sys.argv[2]):]
o = json.load(urllib.request.urlopen(u, timeout=60))
print(o["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"])' "$1" "$ISS" "$BASE")
	curl -fsS -m 60 -o /dev/null --data-urlencode \
		"grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
		--data-urlencode "pre-authorized_code=$code" "$BASE/token"
}

# offer CONFIG_ID: POST /offers; prints the offer's deep link
offer() {
	printf '{"credential_configuration_id":"%s","claims":%s}' "$1" "$CLAIMS" >"$D/o.json"
	post_json /offers "$D/o.json"
	[ "$CODE" = 201 ] || { cat "$D/out"; return 1; }
	jq_out 'j["credential_offer_uri"]'
}

# token_status IDX: the value of entry IDX of the published token status
# list, its signature verified with the issuer's certificate (jwcrypto)
token_status() {
	curl -s -m 60 -o "$D/tok" "$BASE/status/1"
	"$PY" "$SRC/tests/serve/sl-entry.py" "$D/tok" "$D/c.crt" "$1" "$ISS/status/1" | cut -d' ' -f1
}

# ---- API keys --------------------------------------------------------------

@test "management calls: refused without a key, with a wrong one and a revoked one" {
	start_server
	for p in /definitions /definitions/pid /exchanges /exchanges/x; do
		c=$(curl -s -m 60 -o "$D/out" -w '%{http_code}' "$A$p")
		[ "$c" = 401 ]
		grep -q '"error":"invalid_token"' "$D/out"
		c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H 'x-api-key: wrong' "$A$p")
		[ "$c" = 401 ]
	done
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' \
		--data-binary '{}' "$A/offers/bulk")
	[ "$c" = 401 ]
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST "$A/exchanges/x/revoke")
	[ "$c" = 401 ]
	api GET /definitions
	[ "$CODE" = 200 ]
	id=$(vci-serve apikey list --state "$D/state" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
	vci-serve apikey revoke --state "$D/state" "$id"
	api GET /definitions
	[ "$CODE" = 401 ]
	# the management paths are not on the wallet-facing listener
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "x-api-key: $KEY" "$BASE/definitions")
	[ "$c" = 404 ]
}

# ---- definitions ---------------------------------------------------------

@test "definitions: create, list, get, replace, delete; the metadata and type metadata follow" {
	need_py
	start_server
	[ "$(md_ids)" = pid ]
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$BASE/vct/badge")
	[ "$c" = 404 ]
	post_json /definitions "$D/badge.json"
	[ "$CODE" = 201 ]
	[ "$(jq_out 'j["definitions"][0]["id"]')" = badge ]
	[ "$(md_ids)" = "badge pid" ]
	curl -fsS -m 60 "$BASE/vct/badge" >"$D/tm.json"
	grep -q "\"vct\":\"$ISS/vct/badge\"" "$D/tm.json"
	# draft 13 and signed metadata too
	curl -fsS -m 60 -H 'Accept: application/jwt' "$WK" >"$D/smd"
	"$PY" - "$D/smd" "$D/c.crt" <<'EOF'
import json, sys
from jwcrypto import jwk, jws
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
key = jwk.JWK.from_pem(cert.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
s = jws.JWS()
s.deserialize(open(sys.argv[1]).read().strip())
s.verify(key)
assert sorted(json.loads(s.payload)["credential_configurations_supported"]) == ["badge", "pid"]
EOF
	post_json /definitions "$D/badge.json"
	[ "$CODE" = 409 ]
	grep -q '"error":"definition_exists"' "$D/out"
	api GET /definitions
	[ "$CODE" = 200 ]
	[ "$(jq_out '" ".join(d["id"] + ":" + d["source"] for d in j["definitions"])')" = "pid:config badge:store" ]
	api GET /definitions/badge
	[ "$CODE" = 200 ]
	[ "$(jq_out 'j["vct"]')" = "$ISS/vct/badge" ]
	api PUT /definitions/badge -H 'Content-Type: application/json' --data-binary "@$D/badge2.json"
	[ "$CODE" = 200 ]
	curl -fsS -m 60 "$WK" | grep -q 'Badge, renamed'
	curl -fsS -m 60 "$BASE/vct/badge" | grep -q 'Badge, renamed'
	# replace: the path's id only, a stored one only; --defn ones are read-only
	api PUT /definitions/other -H 'Content-Type: application/json' --data-binary "@$D/badge2.json"
	[ "$CODE" = 400 ]
	api PUT /definitions/pid -H 'Content-Type: application/json' --data-binary "@$D/pid.json"
	[ "$CODE" = 409 ]
	grep -q '"error":"read_only"' "$D/out"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["id"]="nope"; print(json.dumps(d))' \
		"$D/badge.json" >"$D/nope.json"
	api PUT /definitions/nope -H 'Content-Type: application/json' --data-binary "@$D/nope.json"
	[ "$CODE" = 404 ]
	api DELETE /definitions/badge
	[ "$CODE" = 204 ]
	[ "$(md_ids)" = pid ]
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$BASE/vct/badge")
	[ "$c" = 404 ]
	api DELETE /definitions/badge
	[ "$CODE" = 404 ]
	api GET /definitions/badge
	[ "$CODE" = 404 ]
	api DELETE /definitions/pid
	[ "$CODE" = 409 ]
	[ "$(md_ids)" = pid ]
}

@test "definitions: malformed and invalid bodies, other media types, a foreign shape imported" {
	start_server
	api POST /definitions -H 'Content-Type: application/json' --data-binary '{"id":'
	[ "$CODE" = 400 ]
	grep -q '"error":"invalid_request"' "$D/out"
	api POST /definitions -H 'Content-Type: application/json' --data-binary '"text"'
	[ "$CODE" = 400 ]
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["no_such_field"]=1; print(json.dumps(d))' \
		"$D/badge.json" >"$D/bad.json"
	post_json /definitions "$D/bad.json"
	[ "$CODE" = 400 ]
	grep -q '"error":"invalid_definition"' "$D/out"
	api POST /definitions -H 'Content-Type: text/plain' --data-binary "@$D/badge.json"
	[ "$CODE" = 415 ]
	c=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X PATCH -H "x-api-key: $KEY" "$A/definitions/pid")
	[ "$c" = 405 ]
	# system A's shape, as vci-defn import reads it; what has no meaning is noted
	post_json /definitions "$SRC/examples/import/system-a-pid.json"
	[ "$CODE" = 201 ]
	[ "$(jq_out 'len(j["definitions"]) >= 1 and len(j["dropped"]) >= 1')" = True ]
	api GET /definitions
	[ "$(jq_out 'len(j["definitions"]) >= 2')" = True ]
	[ -z "$(vci-serve defn list --state "$D/state" | grep -v '"definition"')" ]
}

# ---- offers ----------------------------------------------------------------

@test "offers/bulk: NDJSON records in, one NDJSON line out each, error records for bad ones" {
	start_server
	{
		printf '{"credential_configuration_id":"pid","claims":%s}\n' "$CLAIMS"
		printf '\n{"credential_configuration_id":"nope","claims":%s}\n' "$CLAIMS"
		printf '{"credential_configuration_id":\n'
		printf '{"credential_configuration_id":"pid","claims":%s,"tx_code":"123456"}\n' "$CLAIMS"
	} >"$D/in.ndjson"
	api POST /offers/bulk -H 'Content-Type: application/x-ndjson' --data-binary "@$D/in.ndjson"
	[ "$CODE" = 200 ]
	[ "$(wc -l <"$D/out")" = 4 ]
	"$PY" - "$D/out" "$ISS" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
a, b, c, d = lines
assert a["offer_id"] and a["credential_offer_uri"].startswith("openid-credential-offer://"), a
assert "error" not in a and "tx_code" not in a, a
assert b["error"]["code"] == "unknown_credential_configuration" or b["error"]["code"], b
assert b["line"] == 3 and b["credential_configuration_id"] == "nope", b
assert "pre_authorized_code" not in b and "credential_offer" not in b, b
assert c["line"] == 4 and c["error"]["code"], c
assert d["offer_id"] != a["offer_id"] and "error" not in d, d
EOF
	# each offer is served by reference
	uri=$(head -1 "$D/out" | "$PY" -c 'import json,sys,urllib.parse
l = json.load(sys.stdin)["credential_offer_uri"]
print(urllib.parse.parse_qs(urllib.parse.urlparse(l).query)["credential_offer_uri"][0])')
	curl -fsS -m 60 "$BASE${uri#"$ISS"}" | grep -q '"credential_configuration_ids":\["pid"\]'
	api POST /offers/bulk -H 'Content-Type: application/json' --data-binary "@$D/in.ndjson"
	[ "$CODE" = 415 ]
	api POST /offers/bulk -H 'Content-Type: application/x-ndjson' --data-binary $'\n\n'
	[ "$CODE" = 400 ]
}

# ---- exchanges -------------------------------------------------------------

@test "exchanges: state filter, paging and its bounds, get, delete, unknown ids" {
	need_py
	start_server
	for _ in 1 2 3; do redeem "$(offer pid)"; done
	api GET '/exchanges?limit=2'
	[ "$CODE" = 200 ]
	[ "$(jq_out 'len(j["exchanges"])')" = 2 ]
	cur=$(jq_out 'j["next_cursor"]')
	first=$(jq_out 'j["exchanges"][0]["id"]')
	api GET "/exchanges?limit=2&cursor=$cur"
	[ "$(jq_out 'len(j["exchanges"]), "next_cursor" in j')" = "(1, False)" ]
	api GET '/exchanges?state=offer_redeemed'
	[ "$(jq_out 'len(j["exchanges"])')" = 3 ]
	api GET '/exchanges?state=credential_issued'
	[ "$(jq_out 'j')" = "{'exchanges': []}" ]
	# a cursor past the last exchange: an empty page, no next cursor
	api GET '/exchanges?limit=2&cursor=99999999999.zzzz'
	[ "$CODE" = 200 ]
	[ "$(jq_out 'j')" = "{'exchanges': []}" ]
	for q in limit=0 limit=-1 limit=1001 limit=99999999999999999999 limit=abc \
		'limit=1&limit=2' cursor=zz cursor=-1.x 'state=' ; do
		api GET "/exchanges?$q"
		[ "$CODE" = 400 ]
		grep -q '"error":"invalid_request"' "$D/out"
	done
	api GET '/exchanges?limit=1000'
	[ "$CODE" = 200 ]
	api GET "/exchanges/$first"
	[ "$CODE" = 200 ]
	[ "$(jq_out 'j["state"], j["record"]["claims"]["given_name"], j["status_list_entries"]')" = "('offer_redeemed', 'Erika', [])" ]
	api GET /exchanges/nope
	[ "$CODE" = 404 ]
	api POST /exchanges/nope/revoke
	[ "$CODE" = 404 ]
	api POST "/exchanges/$first/revoke"
	[ "$CODE" = 409 ]
	grep -q '"error":"no_status_entry"' "$D/out"
	api POST "/exchanges/$first/frobnicate"
	[ "$CODE" = 404 ]
	api POST "/exchanges/$first/revoke" --data-binary '{"idx":-1}'
	[ "$CODE" = 400 ]
	api DELETE "/exchanges/$first"
	[ "$CODE" = 204 ]
	api DELETE "/exchanges/$first"
	[ "$CODE" = 404 ]
	api GET /exchanges
	[ "$(jq_out 'len(j["exchanges"])')" = 2 ]
	# the shell sees the same
	[ "$(vci-serve exchange list --state "$D/state" | wc -l)" = 2 ]
	[ "$(vci-serve exchange list --state "$D/state" offer_redeemed | wc -l)" = 2 ]
	id=$(vci-serve exchange list --state "$D/state" | head -1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	vci-serve exchange get --state "$D/state" "$id" | grep -q '"state":"offer_redeemed"'
	vci-serve exchange rm --state "$D/state" "$id"
	run -3 vci-serve exchange get --state "$D/state" "$id"
	run -3 vci-serve exchange rm --state "$D/state" "$id"
	api GET /exchanges
	[ "$(jq_out 'len(j["exchanges"])')" = 1 ]
}

# ---- the shell -------------------------------------------------------------

@test "vci-serve defn add|replace|list|get|rm through the store; a running server follows" {
	need_py
	start_server
	vci-serve defn add --state "$D/state" "$D/badge.json" >"$D/added"
	grep -q '"id":"badge"' "$D/added"
	for _ in $(seq 120); do [ "$(md_ids)" = "badge pid" ] && break; sleep 0.5; done
	[ "$(md_ids)" = "badge pid" ]
	run -1 vci-serve defn add --state "$D/state" "$D/badge.json"
	[[ "$output" == *"a definition has this id"* ]]
	vci-serve defn replace --state "$D/state" <"$D/badge2.json" >/dev/null
	for _ in $(seq 120); do curl -s "$BASE/vct/badge" | grep -q 'Badge, renamed' && break; sleep 0.5; done
	curl -fsS -m 60 "$BASE/vct/badge" | grep -q 'Badge, renamed'
	[ "$(vci-serve defn list --state "$D/state" | wc -l)" = 1 ]
	vci-serve defn get --state "$D/state" badge | grep -q '"Badge, renamed"'
	run -3 vci-serve defn get --state "$D/state" nope
	run -1 vci-serve defn add --state "$D/state" --defn "$D/pid.json" "$D/pid.json"
	[[ "$output" == *"read-only"* ]]
	run -3 vci-serve defn add --state "$D/state" "$D/k.pem"
	vci-serve defn rm --state "$D/state" badge
	run -3 vci-serve defn rm --state "$D/state" badge
	for _ in $(seq 120); do [ "$(md_ids)" = pid ] && break; sleep 0.5; done
	[ "$(md_ids)" = pid ]
	run -2 vci-serve defn frob --state "$D/state"
	run -2 vci-serve revoke --state "$D/state" someid
	run -2 vci-serve exchange
}

# ---- end to end ------------------------------------------------------------

@test "end to end: a definition made, an offer, the holder's issuance, the exchange's states, revoke in the published token" {
	need_py
	[ -f "$HOLDER" ] || skip "the holder simulator $HOLDER is not there"
	[ "$ISS" = "$BASE" ] || skip "this build refuses a loopback http issuer: the holder cannot reach $ISS"
	"$PY" -c 'import cbor2' 2>/dev/null || skip "python3-cbor2 not available"
	start_server
	post_json /definitions "$D/badge.json"
	[ "$CODE" = 201 ]
	link=$(offer badge)
	"$PY" "$HOLDER" "$link" --expect-status >"$D/holder.json"
	api GET '/exchanges?state=credential_accepted'
	[ "$(jq_out 'len(j["exchanges"])')" = 1 ]
	id=$(jq_out 'j["exchanges"][0]["id"]')
	api GET "/exchanges/$id"
	[ "$(jq_out 'j["state"], len(j["status_list_entries"]), j["status_list_entries"][0]["status"]')" = "('credential_accepted', 1, 'valid')" ]
	idx=$(jq_out 'j["status_list_entries"][0]["idx"]')
	[ "$(jq_out 'j["status_list_entries"][0]["uri"]')" = "$ISS/status/1" ]
	[ "$(token_status "$idx")" = 0 ]
	# suspend from the shell, reinstate and revoke over HTTP
	vci-serve suspend --state "$D/state" --status-list "$D/tsl" "$id" >"$D/sh"
	grep -q '"status":"suspended"' "$D/sh"
	[ "$(token_status "$idx")" = 2 ]
	api POST "/exchanges/$id/reinstate"
	[ "$CODE" = 200 ]
	[ "$(token_status "$idx")" = 0 ]
	api POST "/exchanges/$id/revoke" --data-binary "{\"idx\":$idx}"
	[ "$CODE" = 200 ]
	[ "$(jq_out 'j["status_list_entries"][0]["status"]')" = invalid ]
	[ "$(token_status "$idx")" = 1 ]
	api GET "/exchanges/$id"
	[ "$(jq_out 'j["status_list_entries"][0]["status"]')" = invalid ]
	# revocation is final; an index the exchange does not have is refused
	api POST "/exchanges/$id/reinstate"
	[ "$CODE" = 409 ]
	grep -q '"error":"status_final"' "$D/out"
	run -1 vci-serve reinstate --state "$D/state" --status-list "$D/tsl" "$id"
	api POST "/exchanges/$id/suspend" --data-binary "{\"idx\":$((idx + 1))}"
	[ "$CODE" = 409 ]
	[ "$(token_status "$idx")" = 1 ]
}

@test "completions name the management commands and their words" {
	bash -n "$SRC/completions/bash/vci-serve"
	for f in "$SRC/completions/bash/vci-serve" "$SRC/completions/zsh/_vci-serve" \
		"$SRC/completions/fish/vci-serve.fish"; do
		for c in defn exchange revoke suspend reinstate replace 'get rm'; do
			grep -q "$c" "$f" || { echo "$f: $c"; false; }
		done
	done
	vci-serve --help 2>&1 | grep -q 'defn add|replace'
}
