#!/usr/bin/env bats
# vci-serve's EUDI connector shapes (seed 004) end to end on free
# 127.0.0.1 ports: the credential type from the seed's SD-JWT VC Type
# Metadata (POST /definitions), a webhook subscribed in the connector's
# callback format, POST /offers with the seed's body pushed to a wallet's
# credential_offer_endpoint (send_to) with its tx_code on a channel of its
# own (tx_code_to), both received by a loopback listener
# (tests/serve/webhook-receiver.py); the holder simulator completes the
# issuance and the callbacks arrive signed and in order (OFFER_CREATED,
# ISSUED); an issuance the issuer cannot complete (the claims hook has no
# claims), or whose signed credential the store fails to record, ends in
# FAILED with errorDetails. (EXPIRED is covered by
# vci-serve-webhooks.bats.) Refusals: no key, wrong key, bad targets,
# a wallet endpoint that is down. With VCI_SERVE_TEST_PG=1 on a
# PostgreSQL store.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

EX=$SRC/examples/serve/eudi

setup() {
	seed_setup
	serve_issuer "$ISS"
	SERVE_ARGS+=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
	mkdir -p "$D/claims"
	SERVE_ARGS+=(--claims-hook "$SRC/examples/serve/claims-hook.sh $D/claims")
	printf 'whsec-%s\n' "$(openssl rand -hex 24)" >"$D/secret"
	receiver_start "$D/events" "$D/secret"
	serve_start --admin-listen "127.0.0.1:$APORT"
	R=http://127.0.0.1:$RPORT
}

teardown() {
	seed_teardown
}

# post PATH BODY-FILE [KEY]: POST on the management listener; answer in
# $D/r.json, the status printed
post() {
	curl -sS -m 60 -o "$D/r.json" -w '%{http_code}' -H "Authorization: Bearer ${3:-$KEY}" \
		-H 'Content-Type: application/json' --data-binary "@$2" "http://127.0.0.1:$APORT$1"
}

# wait_lines N: bounded wait (120 s) for N lines at the receiver
wait_lines() {
	for i in $(seq 1 480); do
		[ "$(wc -l <"$D/events")" -ge "$1" ] && return 0
		sleep 0.25
	done
	cat "$D/events" >&2
	tail -n 20 "$D/server.err" >&2
	return 1
}

# the receiver's lines of one kind: gets PATH, or callbacks
gets() {
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("get") and e["path"] == sys.argv[2]:
        print(json.dumps(e["query"]))' "$D/events" "$1"
}
callbacks() {
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if not e.get("get"):
        assert e["verified"], e
        print(json.dumps(e["body"], sort_keys=True))' "$D/events"
}

setup_connector() {
	[ "$(post /definitions "$EX/identity-credential.json")" = 201 ]
	[ "$(r '[d["id"] for d in j["definitions"]]')" = '["IdentityCredential"]' ]
	printf '{"url":"%s/callback/issuance","events":["offer.created","credential.issued","credential.error","credential.failure","offer.expired"],"secret":"%s","format":"eudi-connector"}' \
		"$R" "$(cat "$D/secret")" >"$D/wh.json"
	[ "$(post /webhooks "$D/wh.json")" = 201 ]
}

@test "EUDI connector: POST /offers pushed to the wallet, tx_code apart; the callbacks OFFER_CREATED, ISSUED" {
	setup_connector
	"$PY" -c 'import json, sys
b = json.load(open(sys.argv[1]))
b["tx_code"] = {"input_mode": "numeric", "length": 6, "description": "sent by SMS"}
b["send_to"] = sys.argv[2] + "/wallet/offer"
b["tx_code_to"] = sys.argv[2] + "/tx"
json.dump(b, open(sys.argv[3], "w"))' "$EX/offer.json" "$R" "$D/offer.json"
	[ "$(post /offers "$D/offer.json")" = 201 ]
	oid=$(r 'j["offer_id"]')
	[[ "$(r 'j["credential_offer_uri"]')" == openid-credential-offer://?credential_offer_uri=* ]]
	[ "$(r '"tx_code" in j')" = false ]
	[ "$(r 'j["delivery"]["status"]')" = 200 ]
	[ "$(r 'j["tx_code_delivery"]["status"]')" = 200 ]
	"$PY" -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["claims"]))' "$EX/offer.json" >"$D/claims/$oid.json"
	wait_lines 3
	tx=$(gets /tx | "$PY" -c 'import json, sys; q = json.loads(sys.stdin.read()); print(q["tx_code"])')
	[ "$(gets /tx | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["offer_id"])')" = "$oid" ]
	uri=$(gets /wallet/offer | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())["credential_offer_uri"])')
	[ "$uri" = "$ISS/offers/$oid" ]
	holder "$uri" --tx-code "$tx" --tls-ca "$D/ca.crt"
	wait_lines 4
	callbacks >"$D/cb"
	"$PY" -c 'import json, sys
cb = [json.loads(l) for l in open(sys.argv[1])]
assert [c["status"] for c in cb] == ["OFFER_CREATED", "ISSUED"], cb
assert all(set(c) == {"eventId", "status", "offerId"} and c["offerId"] == sys.argv[2] for c in cb), cb
assert len({c["eventId"] for c in cb}) == 2, cb' "$D/cb" "$oid"
}

# created_then_failed OFFER-ID: the receiver got OFFER_CREATED, then FAILED
# with the issuer's errorDetails, both for that offer
created_then_failed() {
	wait_lines 2
	callbacks >"$D/cb"
	"$PY" -c 'import json, sys
cb = [json.loads(l) for l in open(sys.argv[1])]
assert [c["status"] for c in cb] == ["OFFER_CREATED", "FAILED"], cb
assert all(c["offerId"] == sys.argv[2] for c in cb), cb
assert cb[1]["errorDetails"].startswith("issuer service error: "), cb' "$D/cb" "$1"
}

@test "EUDI connector: an issuance the issuer cannot complete ends in FAILED with errorDetails" {
	setup_connector
	[ "$(post /offers "$EX/offer.json")" = 201 ]
	oid=$(r 'j["offer_id"]')
	# no claims for this offer from the hook: the credential request fails
	run "$PY" "$HOLDER" "$(r 'j["credential_offer_uri"]')" --ca "$D/ca.crt" --tls-ca "$D/ca.crt" \
		--timeout 60
	[ "$status" -ne 0 ]
	created_then_failed "$oid"
}

# store_fault: from now on the store refuses to record an issued
# credential (a trigger aborts the exchange's move to credential_issued),
# as a full disk or a lost database would: the credential is signed, then
# its record fails
store_fault() {
	store_fault_on UPDATE exchanges "NEW.state = 'credential_issued'"
}

@test "EUDI connector: a credential signed but not recorded (the store fails) ends in FAILED with errorDetails" {
	setup_connector
	[ "$(post /offers "$EX/offer.json")" = 201 ]
	oid=$(r 'j["offer_id"]')
	link=$(r 'j["credential_offer_uri"]')
	"$PY" -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["claims"]))' "$EX/offer.json" >"$D/claims/$oid.json"
	store_fault
	run "$PY" "$HOLDER" "$link" --ca "$D/ca.crt" --tls-ca "$D/ca.crt" --timeout 60
	[ "$status" -ne 0 ]
	[[ $output == *server_error* ]]
	created_then_failed "$oid"
	# the server serves on
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/health" >/dev/null
}

@test "EUDI connector: refusals (no key, wrong key, bad delivery targets, a wallet endpoint that is down)" {
	setup_connector
	[ "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$EX/offer.json" "http://127.0.0.1:$APORT/offers")" = 401 ]
	[ "$(post /offers "$EX/offer.json" wrong-key)" = 401 ]
	"$PY" -c 'import json, sys
b = json.load(open(sys.argv[1])); b["send_to"] = "http://192.0.2.1/wallet"
json.dump(b, open(sys.argv[2], "w"))' "$EX/offer.json" "$D/b.json"
	[ "$(post /offers "$D/b.json")" = 400 ]
	[[ "$(r 'j["error_description"]')" == *send_to* ]]
	"$PY" -c 'import json, sys
b = json.load(open(sys.argv[1])); b["send_to"] = 7
json.dump(b, open(sys.argv[2], "w"))' "$EX/offer.json" "$D/b.json"
	[ "$(post /offers "$D/b.json")" = 400 ]
	# a wallet endpoint nobody listens on: 502, nothing delivered
	"$PY" -c 'import json, sys
b = json.load(open(sys.argv[1])); b["send_to"] = "http://127.0.0.1:%s/w" % sys.argv[3]
json.dump(b, open(sys.argv[2], "w"))' "$EX/offer.json" "$D/b.json" "$(free_port)"
	[ "$(post /offers "$D/b.json")" = 502 ]
	[ "$(r 'j["error"]')" = delivery_failed ]
}
