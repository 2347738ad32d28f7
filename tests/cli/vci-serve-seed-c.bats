#!/usr/bin/env bats
# vci-serve's system C shapes (seed 003, ACA-Py style) on the management
# listener, end to end on free 127.0.0.1 ports, replaying the request
# bodies the seed prints (examples/serve/system-c/): credentials-supported
# records (generic with format_data, /jwt, /sd-jwt with sd_list) created,
# listed with filters, read and deleted, each served in the issuer
# metadata; POST /issue answering the draft-13 offer shape (credentials,
# user_pin_required) and the exchange, the holder simulator
# (tests/serve/holder.py) completing it from the deep link, the exchange's
# state following (offer -> accepted) with the state filter; the
# exchanges filtered and paged (offset, limit) in the store's query and
# the bounds; refusals (no key, wrong key, malformed bodies, unknown ids,
# unknown states). With VCI_SERVE_TEST_PG=1 on a PostgreSQL store.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

EX=$SRC/examples/serve/system-c
C=/api/v1/oid4vci

setup() {
	seed_setup
	vci-statuslist new --force --method bitstring --uri "$ISS/status/bsl" --output "$D/bsl"
	SERVE_ARGS=(--issuer "$ISS" --defn "$D/diploma.json" --key "$D/issuer.key"
		--cert "$D/issuer.crt" --state "$STATE" --listen "127.0.0.1:$PORT"
		--tls-cert "$D/tls.crt" --tls-key "$D/tls.key" --status-list "$D/bsl")
	serve_start --admin-listen "127.0.0.1:$APORT"
}

teardown() {
	seed_teardown
}

# api METHOD PATH [BODY-FILE]: system C's API with x-api-key; the answer
# to $D/r.json, the status printed
api() {
	local args=(-sS -m 60 -o "$D/r.json" -w '%{http_code}' -X "$1" -H "x-api-key: $KEY")
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
	curl "${args[@]}" "http://127.0.0.1:$APORT$C/$2"
}

create_records() {
	[ "$(api POST credentials-supported "$EX/generic.json")" = 200 ] &&
	[ "$(api POST credentials-supported/jwt "$EX/jwt.json")" = 200 ] &&
	[ "$(api POST credentials-supported/sd-jwt "$EX/sd-jwt.json")" = 200 ]
}

@test "system C: credentials-supported records from the seed's bodies, listed, read, deleted, served" {
	[ "$(api POST credentials-supported "$EX/generic.json")" = 200 ]
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["supported_cred_id"] == "IDCard" and r["identifier"] == "IDCard", r
assert r["format"] == "vc+sd-jwt" and r["format_data"]["vct"] == "ExampleIDCard", r
c = r["format_data"]["claims"]
assert c["given_name"] == {"mandatory": True, "value_type": "string"}, c
assert c["something_nested"]["key1"]["key2"]["key3"]["value_type"] == "string", c
assert c["age_equal_or_over"]["65"]["value_type"] == "boolean", c
sd = r["vc_additional_data"]["sd_list"]
assert sd == ["/given_name", "/family_name", "/age_equal_or_over/12", "/age_equal_or_over/14",
              "/age_equal_or_over/16", "/age_equal_or_over/18", "/age_equal_or_over/21",
              "/age_equal_or_over/65"], sd
assert r["format_data"]["cryptographic_binding_methods_supported"] == ["jwk"], r
assert r["display"] is None and r["cryptographic_suites_supported"] is None, r' "$D/r.json"
	[ "$(api POST credentials-supported/jwt "$EX/jwt.json")" = 200 ]
	jid=$(r 'j["supported_cred_id"]')
	[ "$jid" = "Email_-_JWT_VC" ]
	[ "$(r 'j["format_data"]["types"]')" = '["VerifiableCredential", "EmailCredential"]' ]
	[ "$(r 'sorted(j["format_data"]["credentialSubject"])')" = '["address", "domain", "local_part", "verified_at"]' ]
	[[ "$(r 'j["dropped"]')" == *'did names no DID method'* ]]
	[ "$(api POST credentials-supported/sd-jwt "$EX/sd-jwt.json")" = 200 ]
	[ "$(r 'j["format_data"]["vct"]')" = testCard ]
	# a second record with the same id
	[ "$(api POST credentials-supported/sd-jwt "$EX/sd-jwt.json")" = 409 ]
	# list and filters
	[ "$(api GET credentials-supported)" = 200 ]
	[ "$(r 'sorted(x["supported_cred_id"] for x in j)')" = '["Email_-_JWT_VC", "IDCard", "diploma", "test"]' ]
	[ "$(api GET 'credentials-supported?format=vc%2Bsd-jwt')" = 200 ]
	[ "$(r 'sorted(x["supported_cred_id"] for x in j)')" = '["IDCard", "test"]' ]
	[ "$(api GET 'credentials-supported?supported_cred_id=test')" = 200 ]
	[ "$(r 'len(j)')" = 1 ]
	[ "$(api GET credentials-supported/IDCard)" = 200 ]
	[ "$(r 'j["format_data"]["vct"]')" = ExampleIDCard ]
	# served in the issuer metadata
	curl -sS --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))["credential_configurations_supported"]
assert c["IDCard"]["vct"] == "ExampleIDCard" and c["test"]["vct"] == "testCard", c
assert c["Email_-_JWT_VC"]["format"] == "jwt_vc_json", c' "$D/md.json"
	[ "$(api DELETE credentials-supported/test)" = 204 ]
	[ "$(api GET credentials-supported/test)" = 404 ]
}

@test "system C: POST /issue answers the draft-13 offer; the holder completes it; exchanges and their state" {
	create_records
	sed 's/dd6384eb-b0b8-4084-af3b-2ddc5668addd/IDCard/' "$EX/issue.json" >"$D/issue.json"
	[ "$(api POST issue "$D/issue.json")" = 200 ]
	"$PY" -c 'import json, sys
a = json.load(open(sys.argv[1]))
o = a["offer"]
assert o["credentials"] == ["IDCard"] and o["credential_configuration_ids"] == ["IDCard"], o
g = o["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
assert g["user_pin_required"] is False and g["pre-authorized_code"], g
assert a["credential_offer"].startswith("openid-credential-offer://?credential_offer="), a
x = a["exchange"]
assert x["state"] == "created" and x["supported_cred_id"] == "IDCard", x
assert x["credential_subject"]["source_document_type"] == "id_card", x
assert x["pin"] is None and x["code"] is None, x' "$D/r.json"
	xid=$(r 'j["exchange"]["exchange_id"]')
	link=$(r 'j["credential_offer"]')
	[ "$(api GET "exchanges?state=offer")" = 200 ]
	[ "$(r '[x["exchange_id"] for x in j]')" = "[\"$xid\"]" ]
	holder "$link" --tls-ca "$D/ca.crt"
	# every member of credential_subject was issued, as system C does
	[[ "$(cat "$D/out.json")" == *source_document_type* ]]
	[ "$(api GET "exchanges?state=accepted")" = 200 ]
	[ "$(r '[x["exchange_id"] for x in j]')" = "[\"$xid\"]" ]
	[ "$(api GET "exchanges?state=offer")" = 200 ]
	[ "$(r 'j')" = '[]' ]
	[ "$(api GET "exchanges?supported_cred_id=IDCard")" = 200 ]
	[ "$(r 'len(j)')" = 1 ]
	[ "$(api GET "exchanges/$xid")" = 200 ]
	[ "$(r 'j["state"]')" = accepted ]
	[ "$(api DELETE "exchanges/$xid")" = 204 ]
	[ "$(api GET "exchanges/$xid")" = 404 ]
}

@test "system C: a pin makes a tx_code; refusals (no key, wrong key, malformed, unknown ids and states)" {
	create_records
	printf '{"supported_cred_id":"test","credential_subject":{"given_name":"A","family_name":"B","something_nested":{"key1":{"key2":{"key3":"x"}}},"age_equal_or_over":{"12":true,"14":true,"16":true,"18":true,"21":true,"65":false}},"pin":"2468","did":"did:sov:Qi5LPB4mtKfbhQqC2f6yPj"}' >"$D/b.json"
	[ "$(api POST issue "$D/b.json")" = 200 ]
	[ "$(r 'j["offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["user_pin_required"]')" = true ]
	[[ "$(r 'j["dropped"]')" == *'"did"'* ]]
	holder "$(r 'j["credential_offer"]')" --tx-code 2468 --tls-ca "$D/ca.crt"
	[ "$(curl -sS -o "$D/r.json" -w '%{http_code}' "http://127.0.0.1:$APORT$C/exchanges")" = 401 ]
	[ "$(curl -sS -o "$D/r.json" -w '%{http_code}' -H 'x-api-key: nope' \
		"http://127.0.0.1:$APORT$C/credentials-supported")" = 401 ]
	printf '{"supported_cred_id":' >"$D/b.json"
	[ "$(api POST issue "$D/b.json")" = 400 ]
	printf '{"credential_subject":{}}' >"$D/b.json"
	[ "$(api POST issue "$D/b.json")" = 400 ]
	printf '{"supported_cred_id":"nope","credential_subject":{}}' >"$D/b.json"
	[ "$(api POST issue "$D/b.json")" = 400 ]
	printf '{"supported_cred_id":"test","credential_subject":[]}' >"$D/b.json"
	[ "$(api POST issue "$D/b.json")" = 400 ]
	printf '[]' >"$D/b.json"
	[ "$(api POST credentials-supported "$D/b.json")" = 400 ]
	printf '{"format":"nope","id":"x"}' >"$D/b.json"
	[ "$(api POST credentials-supported "$D/b.json")" = 400 ]
	[ "$(api GET credentials-supported/nope)" = 404 ]
	[ "$(api DELETE credentials-supported/nope)" = 404 ]
	[ "$(api DELETE credentials-supported/diploma)" = 409 ]
	[ "$(api GET exchanges/nope)" = 404 ]
	[ "$(api GET 'exchanges?state=bogus')" = 400 ]
	[ "$(api GET 'exchanges?state=a&state=b')" = 400 ]
}

@test "system C: exchanges filtered and paged in the store's query (offset, limit); paging bounds" {
	create_records
	sed 's/dd6384eb-b0b8-4084-af3b-2ddc5668addd/IDCard/' "$EX/issue.json" >"$D/issue.json"
	for _ in 1 2 3; do
		[ "$(api POST issue "$D/issue.json")" = 200 ]
	done
	[ "$(api GET exchanges)" = 200 ]
	cp "$D/r.json" "$D/all.json"
	[ "$(r 'len(j)')" = 3 ]
	# page EXPECTED-SLICE: the last answer is that slice of the whole list
	page() {
		"$PY" -c 'import json, sys
a = [x["exchange_id"] for x in json.load(open(sys.argv[1]))]
got = [x["exchange_id"] for x in json.load(open(sys.argv[2]))]
want = eval("a" + sys.argv[3])
assert got == want, (got, want)' "$D/all.json" "$D/r.json" "$1"
	}
	[ "$(api GET 'exchanges?limit=2')" = 200 ]
	page '[0:2]'
	[ "$(api GET 'exchanges?offset=2&limit=2')" = 200 ]
	page '[2:4]'
	[ "$(api GET 'exchanges?offset=1')" = 200 ]
	page '[1:]'
	[ "$(api GET 'exchanges?offset=1&state=offer&supported_cred_id=IDCard&limit=1')" = 200 ]
	page '[1:2]'
	for o in 3 1073741824; do
		[ "$(api GET "exchanges?offset=$o")" = 200 ]
		[ "$(r 'j')" = '[]' ]
	done
	first=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["exchange_id"])' "$D/all.json")
	[ "$(api GET "exchanges?exchange_id=$first")" = 200 ]
	page '[0:1]'
	[ "$(api GET 'exchanges?supported_cred_id=IDCar')" = 200 ]
	[ "$(r 'j')" = '[]' ]
	[ "$(api GET 'exchanges?state=accepted')" = 200 ]
	[ "$(r 'j')" = '[]' ]
	for q in limit=0 limit=-1 limit=1001 limit=99999999999999999999 offset=-1 \
		offset=1073741825 'limit=1&limit=2'; do
		[ "$(api GET "exchanges?$q")" = 400 ]
		[ "$(r 'j["error"]')" = invalid_request ]
	done
}
