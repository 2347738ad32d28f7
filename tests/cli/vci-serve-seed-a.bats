#!/usr/bin/env bats
# vci-serve's system A shapes (seeds 000 and 002, paths and names of
# ../shared/seeds/system-a-api.md) on the management listener, end to end
# on free 127.0.0.1 ports: credential definitions created, read, listed,
# replaced and deleted in system A's record shape with the issuer
# metadata following; the seed's printed body refused for its entry
# fields at the top; issue InTime with a userPin (the tx_code), then the
# holder simulator (tests/serve/holder.py) completes it and the
# credentialHistory shows credential_accepted, then Suspended / Revoked;
# issue Deferred pushed to the wallet's credentialOfferEndpoint (a
# loopback receiver), the history pending until "issue deferred
# credential" supplies the claims; credentials[] making one exchange per
# entry with the haip:// scheme; a record of several entries read back as
# created, in order, across a restart; the definition list's type and
# sortOrder; the history filtered and paged in the store's query with its
# bounds; refusals (no key, wrong key, malformed bodies, unknown ids).
# With VCI_SERVE_TEST_PG=1 on a PostgreSQL store (tests/serve/lib.bash).

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

EX=$SRC/examples/serve/system-a
A=/v2/config/digital-wallet/openid/sdjwt

setup() {
	seed_setup
	vci-statuslist new --force --bits 2 --uri "$ISS/status/tsl" --output "$D/tsl"
	vci-statuslist new --force --method bitstring --uri "$ISS/status/bsl" --output "$D/bsl"
	SERVE_ARGS=(--issuer "$ISS" --defn "$D/diploma.json" --key "$D/issuer.key"
		--cert "$D/issuer.crt" --state "$STATE" --listen "127.0.0.1:$PORT"
		--tls-cert "$D/tls.crt" --tls-key "$D/tls.key"
		--status-list "$D/tsl" --status-list "$D/bsl")
	serve_start --admin-listen "127.0.0.1:$APORT"
}

teardown() {
	seed_teardown
}

# api METHOD PATH [BODY-FILE] [CURL OPTION]...: system A's API with the key
# as "Authorization: ApiKey"; the answer to $D/r.json, the status printed
api() {
	local m=$1 p=$2 body=${3:-}
	shift 3 || shift $#
	local args=(-sS -m 60 -o "$D/r.json" -w '%{http_code}' -X "$m"
		-H "Authorization: ApiKey $KEY" "$@")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
	curl "${args[@]}" "http://127.0.0.1:$APORT$A/$p"
}

# saved_record FILE: the last answer, without its "dropped" list, to FILE
saved_record() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d.pop("dropped", None)
json.dump(d, open(sys.argv[2], "w"))' "$D/r.json" "$1"
}

# same_record FILE LABEL: the last answer is the record saved in FILE
# (times aside), under LABEL
same_record() {
	"$PY" -c 'import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for x in (a, b):
    x = x["credentialDefinition"]
    for e in [x] + x["credentialDefinitions"]:
        e.pop("updatedAt"), e.pop("createdAt")
assert a == b, (a, b)
assert b["credentialDefinition"]["label"] == sys.argv[3], b' "$1" "$D/r.json" "$2"
}

create_defs() {
	[ "$(api POST credential-definition "$EX/definition.json")" = 200 ]
}

@test "system A: credential definitions created, read, listed, replaced, deleted; metadata follows" {
	create_defs
	[ "$(r 'j["credentialDefinition"]["credentialDefinitionId"]')" = a_pid ]
	[ "$(r '[e["id"] for e in j["credentialDefinition"]["credentialDefinitions"]]')" = '["a_pid", "a_pid_mdoc"]' ]
	[ "$(r 'j["credentialDefinition"]["credentialFormat"]')" = dc+sd-jwt ]
	# what has no meaning here is accepted and listed
	"$PY" -c 'import json, sys
dr = {d.get("dropped") for d in json.load(open(sys.argv[1]))["dropped"]}
assert {"kid", "trustAnchor", "version",
        "credentialDefinitions[0].enforceCredentialUniqueness"} <= dr, dr' "$D/r.json"
	# the issuer metadata serves both entries
	curl -sS --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))["credential_configurations_supported"]
assert c["a_pid"]["format"] == "dc+sd-jwt" and c["a_pid"]["vct"] == "urn:eu.europa.ec.eudi:pid:1", c
assert c["a_pid_mdoc"]["format"] == "mso_mdoc" and c["a_pid_mdoc"]["doctype"] == "eu.europa.ec.eudi.pid.1", c' "$D/md.json"
	# read: system A's record, limitDisclosure and mandatory per claim path
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))["credentialDefinition"]
assert d["expirationInDays"] == 90 and d["supportRevocation"] is True, d
assert d["revocationMethod"] == "status_list" and d["enforceWUA"] is False, d
assert d["credentialBindingMethods"] == ["jwk"] and d["scope"] == "a_pid", d
assert d["display"]["name"] == "PID" and d["display"]["backgroundColor"] == "#12107c", d
cl = {tuple(c["path"]): c for c in d["claims"]["claims"]}
assert cl[("given_name",)] == {"path": ["given_name"], "mandatory": True, "limitDisclosure": True}, cl
assert cl[("issuing_country",)]["limitDisclosure"] is False, cl
assert cl[("address", "country")]["mandatory"] is False, cl' "$D/r.json"
	[ "$(api GET credential-definition/a_pid_mdoc)" = 200 ]
	[ "$(r 'j["credentialDefinition"]["credentialBindingMethods"]')" = '["cose_key"]' ]
	# list with filters and paging
	[ "$(api GET 'credential-definitions?doctype=eu.europa.ec.eudi.pid.1')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["a_pid_mdoc"]' ]
	[ "$(api GET 'credential-definitions?limit=1&offset=1')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 3 ]
	[ "$(r 'len(j["credentialDefinitions"])')" = 1 ]
	# replace (the record by one entry, the id of the path), then delete
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["credentialDefinitions"] = d["credentialDefinitions"][:1]
d["credentialDefinitions"][0]["expirationInDays"] = 7
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/put.json"
	[ "$(api PUT credential-definition/a_pid "$D/put.json")" = 200 ]
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	[ "$(r 'j["credentialDefinition"]["expirationInDays"]')" = 7 ]
	# the record is replaced whole: the entry the body leaves out is gone
	[ "$(api GET credential-definition/a_pid_mdoc)" = 404 ]
	[ "$(r 'j["errorCode"]')" = 404 ]
	curl -sS --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	! grep -q a_pid_mdoc "$D/md.json"
	grep -q '"a_pid"' "$D/md.json"
	[ "$(api DELETE credential-definition/a_pid)" = 204 ]
	[ "$(api GET credential-definition/a_pid)" = 404 ]
	# a --defn definition is read-only
	[ "$(api DELETE credential-definition/diploma)" = 409 ]
}

@test "system A: refusals in its error shape (no key, wrong key, the seed's printed body, malformed, unknown ids)" {
	[ "$(curl -sS -o "$D/r.json" -w '%{http_code}' "http://127.0.0.1:$APORT$A/credential-definitions")" = 401 ]
	[ "$(r 'j["errorCode"]')" = 401 ]
	[ "$(curl -sS -o "$D/r.json" -w '%{http_code}' -H 'Authorization: ApiKey wrong' \
		"http://127.0.0.1:$APORT$A/credential/history")" = 401 ]
	# the seed's response example as a request: entry fields at the top
	[ "$(api POST credential-definition "$SRC/examples/import/system-a-response.json")" = 400 ]
	[[ "$(r 'j["errorDescription"]')" == *"belongs in each entry"* ]]
	printf '{"label":"ab","credentialDefinitions":[{"credentialFormat":"dc+sd-jwt"}]}' >"$D/b.json"
	[ "$(api POST credential-definition "$D/b.json")" = 400 ]
	printf '{"label":"abc","credentialDefinitions":[{"credentialFormat":"dc+sd-jwt","kid":"k"}]}' >"$D/b.json"
	[ "$(api POST credential-definition "$D/b.json")" = 400 ]
	printf '{"label":' >"$D/b.json"
	[ "$(api POST credential-definition "$D/b.json")" = 400 ]
	[ "$(api GET credential-definition/nope)" = 404 ]
	[ "$(api GET credential/history/nope)" = 404 ]
	[ "$(api DELETE credential/history/nope)" = 404 ]
	printf '{"revocationStatus":"Revoked"}' >"$D/b.json"
	[ "$(api PUT credential/history/nope/revocation-status "$D/b.json")" = 404 ]
	create_defs
	printf '{"credentialDefinitionId":"a_pid","userPin":""}' >"$D/b.json"
	[ "$(api POST credential/issue "$D/b.json")" = 400 ]
	[[ "$(r 'j["errorDescription"]')" == *issuanceMode* ]]
	printf '{"issuanceMode":"InTime","credentialDefinitionId":"a_pid","userPin":"12","credential":{"claims":{}}}' >"$D/b.json"
	[ "$(api POST credential/issue "$D/b.json")" = 400 ]
	[[ "$(r 'j["errorDescription"]')" == *userPin* ]]
	printf '{"issuanceMode":"InTime","credentialDefinitionId":"nope","userPin":""}' >"$D/b.json"
	[ "$(api POST credential/issue "$D/b.json")" = 400 ]
	printf '{"issuanceMode":"InTime","credentialDefinitionId":"a_pid","userPin":"","credential":{"claims":{"given_name":"E"}}}' >"$D/b.json"
	[ "$(api POST credential/issue "$D/b.json")" = 400 ]
	# no userPin at all: the authorization code flow (an issuer_state grant)
	printf '{"issuanceMode":"InTime","credentialDefinitionId":"a_pid","credential":{"claims":{"given_name":"E","family_name":"M","issuing_country":"DE"}}}' >"$D/b.json"
	[ "$(api POST credential/issue "$D/b.json")" = 200 ]
	[ "$(r 'j["credentialHistory"]["isPreAuthorised"]')" = false ]
	curl -sS --cacert "$D/ca.crt" "$ISS/offers/$(r 'j["credentialHistory"]["id"]')" >"$D/offer.json"
	"$PY" -c 'import json, sys
g = json.load(open(sys.argv[1]))["grants"]
assert list(g) == ["authorization_code"] and g["authorization_code"]["issuer_state"], g' "$D/offer.json"
	[ "$(api GET 'credential/history?status=bogus')" = 400 ]
	[ "$(api GET 'credential/history?limit=5000')" = 400 ]
	printf '{"revocationStatus":"Gone"}' >"$D/b.json"
	[ "$(api PUT credential/history/x/revocation-status "$D/b.json")" = 400 ]
}

@test "system A: issue InTime with a userPin, the holder completes it, history and revocation status follow" {
	create_defs
	[ "$(api POST credential/issue "$EX/issue.json")" = 200 ]
	"$PY" -c 'import json, sys
h = json.load(open(sys.argv[1]))["credentialHistory"]
assert h["status"] == "offer_sent" and h["credentialStatus"] == "ready", h
assert h["issuanceMode"] == "InTime" and h["isPreAuthorised"] is True, h
assert h["isAccessed"] is False and h["revocationStatus"] == "", h
assert h["credentialExchangeId"] == h["id"] and h["credentialDefinitionId"] == "a_pid", h
assert h["credentialOffer"].startswith("openid-credential-offer://?credential_offer_uri="), h
assert h["credentialMetadata"] == {"termsOfUse": "demo"}, h
assert h["transactionCode"] == "", h   # kept only as a hash' "$D/r.json"
	id=$(r 'j["credentialHistory"]["id"]')
	holder "$(r 'j["credentialHistory"]["credentialOffer"]')" --tx-code 4711 --tls-ca "$D/ca.crt" \
		--expect-status
	[ "$(api GET "credential/history/$id")" = 200 ]
	[ "$(r 'j["credentialHistory"]["status"]')" = credential_accepted ]
	[ "$(r 'j["credentialHistory"]["revocationStatus"]')" = Operational ]
	[ "$(r 'j["credentialHistory"]["isTokenAccessed"]')" = true ]
	printf '{"revocationStatus":"Suspended"}' >"$D/b.json"
	[ "$(api PUT "credential/history/$id/revocation-status" "$D/b.json")" = 200 ]
	[ "$(r 'j["credentialHistory"]["revocationStatus"]')" = Suspended ]
	printf '{"revocationStatus":"Operational"}' >"$D/b.json"
	[ "$(api PUT "credential/history/$id/revocation-status" "$D/b.json")" = 200 ]
	[ "$(r 'j["credentialHistory"]["revocationStatus"]')" = Operational ]
	printf '{"revocationStatus":"Revoked"}' >"$D/b.json"
	[ "$(api PUT "credential/history/$id/revocation-status" "$D/b.json")" = 200 ]
	[ "$(r 'j["credentialHistory"]["revocationStatus"]')" = Revoked ]
	# the list and its filters
	[ "$(api GET 'credential/history?status=credential_accepted&revoked=true')" = 200 ]
	[ "$(r '[h["id"] for h in j["credentialHistory"]]')" = "[\"$id\"]" ]
	[ "$(api GET 'credential/history?status=offer_sent')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	[ "$(api GET 'credential/history?denied=false&revoked=true')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 1 ]
	[ "$(api GET 'credential/history?denied=true')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	[ "$(api DELETE "credential/history/$id")" = 204 ]
	[ "$(api GET "credential/history/$id")" = 404 ]
}

@test "system A: Deferred, pushed to the wallet's credentialOfferEndpoint, then issue deferred credential" {
	create_defs
	printf 'unused-secret-0123456789\n' >"$D/secret"
	receiver_start "$D/wallet" "$D/secret"
	sed "s#http://127.0.0.1:9/wallet/offer#http://127.0.0.1:$RPORT/wallet/offer#" \
		"$EX/issue-deferred.json" >"$D/issue.json"
	[ "$(api POST credential/issue "$D/issue.json")" = 200 ]
	"$PY" -c 'import json, sys
h = json.load(open(sys.argv[1]))["credentialHistory"]
assert h["issuanceMode"] == "Deferred" and h["credentialStatus"] == "pending", h
assert h["credentialOffer"].startswith("haip://?credential_offer_uri="), h
assert h["individualId"] == "" and h["presentationDefinitionId"] == "", h   # passed through' "$D/r.json"
	id=$(r 'j["credentialHistory"]["id"]')
	# the wallet endpoint got the offer by reference
	link=$("$PY" -c 'import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
assert len(e) == 1 and e[0]["get"] and e[0]["path"] == "/wallet/offer", e
print("openid-credential-offer://?credential_offer_uri=" + e[0]["query"]["credential_offer_uri"])' "$D/wallet")
	"$PY" "$HOLDER" "$link" --deferred --pending-file "$D/pending" --poll 1 --ca "$D/ca.crt" \
		--tls-ca "$D/ca.crt" --timeout 120 >"$D/out.json" 2>"$D/holder.err" &
	HPID=$!
	for i in $(seq 1 480); do [ -e "$D/pending" ] && break; sleep 0.25; done
	[ -e "$D/pending" ] || { cat "$D/holder.err"; false; }
	[ "$(api GET "credential/history/$id")" = 200 ]
	[ "$(r 'j["credentialHistory"]["status"]')" = offer_received ]
	[ "$(r 'j["credentialHistory"]["credentialStatus"]')" = pending ]
	# claims that do not fit the definition are refused; then the right ones
	printf '{"credential":{"claims":{"given_name":"E"}}}' >"$D/b.json"
	[ "$(api PUT "credential/history/$id" "$D/b.json")" = 400 ]
	[ "$(api PUT "credential/history/$id" "$EX/claims.json")" = 200 ]
	[ "$(r 'j["credentialHistory"]["credentialStatus"]')" = ready ]
	wait "$HPID" || { cat "$D/holder.err"; tail -n 20 "$D/server.err"; false; }
	HPID=
	[ "$(api GET "credential/history/$id")" = 200 ]
	[ "$(r 'j["credentialHistory"]["status"]')" = credential_accepted ]
	# nothing waits any more
	[ "$(api PUT "credential/history/$id" "$EX/claims.json")" = 409 ]
}

@test "system A: credentials[] makes one exchange per entry, each completed by the holder" {
	create_defs
	[ "$(api POST credential/issue "$EX/issue-batch.json")" = 200 ]
	[ "$(r 'len(j["credentialHistory"])')" = 2 ]
	[ "$(r '[h["credentialDefinitionId"] for h in j["credentialHistory"]]')" = '["a_pid", "a_pid_mdoc"]' ]
	cp "$D/r.json" "$D/batch.json"
	for i in 0 1; do
		link=$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["credentialHistory"][int(sys.argv[2])]["credentialOffer"])' \
			"$D/batch.json" "$i")
		holder "$link" --tls-ca "$D/ca.crt"
	done
	[ "$(api GET 'credential/history?status=credential_accepted')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 2 ]
	[ "$(api GET 'credential/history?credentialDefinitionId=a_pid_mdoc')" = 200 ]
	[ "$(r '[h["credentialDefinitionId"] for h in j["credentialHistory"]]')" = '["a_pid_mdoc"]' ]
}

@test "system A: a definition of several entries reads back as created, in order, across a restart" {
	# the seed's body (two entries), and the same with the entries swapped
	create_defs
	saved_record "$D/made1.json"
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["label"] = "Swapped entries"
e = d["credentialDefinitions"]
for x in e:
    x["scope"] = "b_" + x["scope"]
d["credentialDefinitions"] = e[::-1]
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/swapped.json"
	[ "$(api POST credential-definition "$D/swapped.json")" = 200 ]
	saved_record "$D/made2.json"
	head=$(r 'j["credentialDefinition"]["credentialDefinitionId"]')
	[ "$(r '[e["credentialFormat"] for e in j["credentialDefinition"]["credentialDefinitions"]]')" = '["mso_mdoc", "dc+sd-jwt"]' ]
	for round in 1 2; do
		[ "$(api GET credential-definition/a_pid)" = 200 ]
		same_record "$D/made1.json" "Issue PID in two formats"
		[ "$(api GET "credential-definition/$head")" = 200 ]
		same_record "$D/made2.json" "Swapped entries"
		[ "$(r '[e["credentialFormat"] for e in j["credentialDefinition"]["credentialDefinitions"]]')" = '["mso_mdoc", "dc+sd-jwt"]' ]
		# an entry that heads no group reads alone
		second=$(r 'j["credentialDefinition"]["credentialDefinitions"][1]["id"]')
		[ "$(api GET "credential-definition/$second")" = 200 ]
		[ "$(r '"credentialDefinitions" in j["credentialDefinition"]')" = false ]
		# the grouping is kept in the store: the same after a restart
		serve_stop
		serve_start --admin-listen "127.0.0.1:$APORT"
	done
	# the stored definition read from the shell is the definition alone
	vci-serve defn get --state "$STATE" "${STORE_ARGS[@]}" a_pid >"$D/native.json"
	! grep -q '"group"' "$D/native.json"
	# deleting the record deletes every entry of it
	[ "$(api DELETE "credential-definition/$head")" = 204 ]
	[ "$(api GET "credential-definition/$second")" = 404 ]
	[ "$(api GET credential-definition/a_pid)" = 200 ]
}

@test "system A: PUT of a record replaces its entries, deletes those it leaves out, refuses a clash whole" {
	create_defs
	second=$(r 'j["credentialDefinition"]["credentialDefinitions"][1]["id"]')
	# the whole record: a new label, the first entry changed, the second kept by its id
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["label"] = "Renamed record"
d["credentialDefinitions"][0]["expirationInDays"] = 30
d["credentialDefinitions"][1]["credentialDefinitionId"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/put2.json" "$second"
	[ "$(api PUT credential-definition/a_pid "$D/put2.json")" = 200 ]
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	"$PY" -c 'import json, sys
b = json.load(open(sys.argv[1]))["credentialDefinition"]
assert b["label"] == "Renamed record", b
e = b["credentialDefinitions"]
assert [x["id"] for x in e] == ["a_pid", sys.argv[2]], e
assert e[0]["expirationInDays"] == 30, e[0]' "$D/r.json" "$second"
	cp "$D/r.json" "$D/before.json"
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
e = d["credentialDefinitions"][0]
e["credentialDefinitionId"] = "other_def"
e["scope"] = "other_def"
e["vct"] = "urn:example:other"
d["credentialDefinitions"] = [e]
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/other.json"
	# a clash changes nothing: an entry takes the id of a definition
	# outside the record (a --defn one, then a stored one)
	[ "$(api POST credential-definition "$D/other.json")" = 200 ]
	for clash in diploma other_def; do
		"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["credentialDefinitions"][0]["expirationInDays"] = 7
d["credentialDefinitions"][1]["credentialDefinitionId"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/clash.json" "$clash"
		[ "$(api PUT credential-definition/a_pid "$D/clash.json")" = 409 ]
		[ "$(r 'j["errorCode"]')" = 409 ]
		[ "$(api GET credential-definition/a_pid)" = 200 ]
		cmp "$D/before.json" "$D/r.json"
		[ "$(api GET "credential-definition/$second")" = 200 ]
	done
	# the record of the first entry alone: the second is deleted
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["credentialDefinitions"] = d["credentialDefinitions"][:1]
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/put1.json"
	[ "$(api PUT credential-definition/a_pid "$D/put1.json")" = 200 ]
	[ "$(api GET "credential-definition/$second")" = 404 ]
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	[ "$(r '[x["id"] for x in j["credentialDefinition"]["credentialDefinitions"]]')" = '["a_pid"]' ]
	[ "$(r 'j["credentialDefinition"]["label"]')" = "Issue PID in two formats" ]
	# an entry that heads no record is still replaced one at a time
	[ "$(api PUT credential-definition/a_pid "$D/put2.json")" = 200 ]
	second=$(r 'j["credentialDefinition"]["credentialDefinitions"][1]["id"]')
	[ "$(api PUT "credential-definition/$second" "$D/put2.json")" = 400 ]
}

@test "system A: a PUT of a record whose last store write fails leaves the record as it was" {
	create_defs
	second=$(r 'j["credentialDefinition"]["credentialDefinitions"][1]["id"]')
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	cp "$D/r.json" "$D/before.json"
	# the first entry changed, the second left out: its entry replaced,
	# then the second deleted, which the store refuses
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["label"] = "Renamed record"
d["credentialDefinitions"] = d["credentialDefinitions"][:1]
d["credentialDefinitions"][0]["expirationInDays"] = 30
json.dump(d, open(sys.argv[2], "w"))' "$EX/definition.json" "$D/put1.json"
	store_fault_on DELETE definitions "OLD.id = '$second'"
	[ "$(api PUT credential-definition/a_pid "$D/put1.json")" = 503 ]
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	cmp "$D/before.json" "$D/r.json"
	[ "$(api GET "credential-definition/$second")" = 200 ]
	# the same after a restart: what the store holds
	serve_stop
	serve_start --admin-listen "127.0.0.1:$APORT"
	[ "$(api GET credential-definition/a_pid)" = 200 ]
	cmp "$D/before.json" "$D/r.json"
}

@test "system A: the definition list's type and sortOrder filters; a bad sortOrder refused" {
	create_defs
	[ "$(api GET 'credential-definitions?type=UniversityDegreeCredential')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["diploma"]' ]
	[ "$(r 'j["totalItems"]')" = 1 ]
	[ "$(api GET 'credential-definitions?type=NoSuchType')" = 200 ]
	[ "$(r 'j["credentialDefinitions"]')" = '[]' ]
	# createdAt then id: the --defn one (created with the server) first
	[ "$(api GET 'credential-definitions?sortOrder=asc')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["diploma", "a_pid", "a_pid_mdoc"]' ]
	[ "$(api GET credential-definitions)" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["diploma", "a_pid", "a_pid_mdoc"]' ]
	[ "$(api GET 'credential-definitions?sortOrder=desc')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["a_pid_mdoc", "a_pid", "diploma"]' ]
	[ "$(api GET 'credential-definitions?sortOrder=desc&offset=1&limit=1')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["a_pid"]' ]
	[ "$(r 'j["totalItems"]')" = 3 ]
	[ "$(api GET 'credential-definitions?sortOrder=desc&type=UniversityDegreeCredential')" = 200 ]
	[ "$(r '[d["id"] for d in j["credentialDefinitions"]]')" = '["diploma"]' ]
	[ "$(api GET 'credential-definitions?sortOrder=sideways')" = 400 ]
	[ "$(r 'j')" = '{"errorCode": 400, "errorDescription": "sortOrder: asc or desc"}' ]
	[ "$(api GET 'credential-definitions?sortOrder=')" = 400 ]
	[ "$(r 'j["errorCode"]')" = 400 ]
}

@test "system A: credentialHistory filtered and paged in the store's query; paging bounds" {
	create_defs
	ids=()
	for _ in 1 2 3; do
		[ "$(api POST credential/issue "$EX/issue.json")" = 200 ]
		ids+=("$(r 'j["credentialHistory"]["id"]')")
	done
	printf '{"issuanceMode":"InTime","credentialDefinitionId":"a_pid_mdoc","userPin":"","credential":{"doctype":"eu.europa.ec.eudi.pid.1","claims":{"eu.europa.ec.eudi.pid.1":{"given_name":"E","family_name":"M","birth_date":"1964-08-12","issuing_country":"DE","issuing_authority":"DE"}}}}' >"$D/mdoc.json"
	[ "$(api POST credential/issue "$D/mdoc.json")" = 200 ]
	mdoc=$(r 'j["credentialHistory"]["id"]')
	# the whole list (by creation, then id), and pages that are its slices
	[ "$(api GET 'credential/history?limit=1000')" = 200 ]
	cp "$D/r.json" "$D/all.json"
	"$PY" -c 'import json, sys
l = [h["id"] for h in json.load(open(sys.argv[1]))["credentialHistory"]]
assert sorted(l) == sorted(sys.argv[2:]), (l, sys.argv[2:])' "$D/all.json" "${ids[@]}" "$mdoc"
	# page EXPECTED-SLICE EXPECTED-TOTAL [FILTER-IDS...]: the last answer is
	# that slice of the whole list restricted to FILTER-IDS (default all)
	page() {
		"$PY" -c 'import json, sys
a = [h["id"] for h in json.load(open(sys.argv[1]))["credentialHistory"]]
r = json.load(open(sys.argv[2]))
keep = sys.argv[5:] or a
sel = [i for i in a if i in keep]
got = [h["id"] for h in r["credentialHistory"]]
want = eval("sel" + sys.argv[3])
assert got == want and r["totalItems"] == int(sys.argv[4]), (got, want, r["totalItems"])' \
			"$D/all.json" "$D/r.json" "$@"
	}
	[ "$(api GET 'credential/history?offset=1&limit=2')" = 200 ]
	page '[1:3]' 4
	[ "$(api GET 'credential/history?offset=3&limit=2')" = 200 ]
	page '[3:5]' 4
	# past the end, and the largest offset: an empty page with the total
	for o in 4 1073741824; do
		[ "$(api GET "credential/history?offset=$o")" = 200 ]
		page '[4:]' 4
	done
	# filters in the query, with the paging on what they select
	[ "$(api GET 'credential/history?credentialDefinitionId=a_pid&limit=2')" = 200 ]
	page '[0:2]' 3 "${ids[@]}"
	[ "$(api GET 'credential/history?credentialDefinitionId=a_pid&offset=2')" = 200 ]
	page '[2:]' 3 "${ids[@]}"
	[ "$(api GET 'credential/history?credentialDefinitionId=a_pid_mdoc&status=offer_sent')" = 200 ]
	page '[:]' 1 "$mdoc"
	[ "$(api GET 'credential/history?credentialDefinitionId=a_pi')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	[ "$(api GET 'credential/history?status=offer_received')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	[ "$(api GET 'credential/history?denied=false&offset=2')" = 200 ]
	page '[2:]' 4
	[ "$(api GET 'credential/history?denied=true')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	[ "$(api GET 'credential/history?revoked=false&offset=3')" = 200 ]
	page '[3:]' 4
	[ "$(api GET 'credential/history?revoked=true')" = 200 ]
	[ "$(r 'j["totalItems"]')" = 0 ]
	# page 0, negative, huge, not a number, not a truth value
	for q in limit=0 limit=-1 limit=1001 limit=99999999999999999999 offset=-1 \
		offset=1073741825 offset=x revoked=maybe denied=1; do
		[ "$(api GET "credential/history?$q")" = 400 ]
		[ "$(r 'j["errorCode"]')" = 400 ]
		[ -n "$(r 'j["errorDescription"]')" ]
	done
}
