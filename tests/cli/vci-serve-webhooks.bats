#!/usr/bin/env bats
# vci-serve webhooks: every lifecycle change written to the store's outbox
# with the change and delivered, signed, by the server's worker to a
# loopback receiver (tests/serve/webhook-receiver.py, which verifies the
# HMAC as vci-serve(8) documents it): in order, after the receiver was down
# for a while, after a restart with undelivered events, through POST
# /webhooks with the EUDI connector's event names, and for expired offers.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
	RPID=
	HPID=
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	SERVE_ARGS+=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
	printf 'whsec-%s\n' "$(openssl rand -hex 24)" >"$D/secret"
	RPORT=$(free_port)
	: >"$D/events"
}

teardown() {
	if [ -n "${HPID:-}" ]; then
		kill "$HPID" 2>/dev/null || true
		wait "$HPID" 2>/dev/null || true
	fi
	recv_stop
	serve_stop
}

# recv_start [STATUS]: the receiver on $RPORT (events to $D/events)
recv_start() {
	receiver_run "$D/events" "$D/secret" "$@"
}

recv_stop() {
	[ -n "${RPID:-}" ] || return 0
	kill "$RPID" 2>/dev/null || true
	wait "$RPID" 2>/dev/null || true
	RPID=
}

# wait_events N: bounded wait (120 s) for N events at the receiver
wait_events() {
	local i
	for i in $(seq 1 480); do
		[ "$(wc -l <"$D/events")" -ge "$1" ] && return 0
		sleep 0.25
	done
	echo "events received:" >&2
	cat "$D/events" >&2
	tail -n 20 "$D/server.err" >&2
	return 1
}

# types: the event types received, verified ones only, space-separated
types() {
	"$PY" -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(" ".join((e["body"].get("type") or e["body"].get("status")) if e["verified"] else "UNVERIFIED"
               for e in ev))' "$D/events"
}

hook_args() {
	echo --webhook "http://127.0.0.1:$RPORT/hook" --webhook-secret-file "$D/secret"
}

@test "webhooks: each lifecycle event, signed and in order, with the documented body" {
	recv_start
	# shellcheck disable=SC2046
	serve_start $(hook_args)
	holder "$(offer pid)" --tls-ca "$D/ca.crt"
	wait_events 4
	[ "$(types)" = "offer.created offer.redeemed credential.issued credential.accepted" ]
	"$PY" -c 'import json, sys
ev = [json.loads(l)["body"] for l in open(sys.argv[1])]
for e in ev:
    assert set(e) == {"id", "type", "created_at", "exchange_id", "offer_id", "data"} or \
        (e["type"] == "offer.created" and set(e) == {"id", "type", "created_at", "offer_id", "data"}), e
    assert e["id"].startswith("evt_") and isinstance(e["created_at"], int), e
assert len({e["id"] for e in ev}) == len(ev)
assert len({e["offer_id"] for e in ev}) == 1
assert len({e["exchange_id"] for e in ev[1:]}) == 1
assert ev[2]["data"]["credentials"] == 1, ev[2]' "$D/events"
}

@test "webhooks: a receiver down for a while still gets every event, in order" {
	# shellcheck disable=SC2046
	serve_start $(hook_args)
	holder "$(offer pid)" --tls-ca "$D/ca.crt"
	holder "$(offer diploma)" --tls-ca "$D/ca.crt" --no-notify
	sleep 2
	grep -q 'webhook cli-.*attempt 1' "$D/server.err"
	[ "$(wc -l <"$D/events")" -eq 0 ]
	recv_start
	wait_events 7
	[ "$(types)" = "offer.created offer.redeemed credential.issued credential.accepted offer.created offer.redeemed credential.issued" ]
}

@test "webhooks: a receiver answering 500 is retried; a restart with undelivered events delivers them" {
	recv_start 500
	# shellcheck disable=SC2046
	serve_start $(hook_args)
	holder "$(offer pid)" --tls-ca "$D/ca.crt"
	wait_events 1
	serve_stop
	[ "$SERVE_STATUS" -eq 0 ]
	recv_stop
	: >"$D/events"
	recv_start
	# shellcheck disable=SC2046
	serve_start $(hook_args)
	wait_events 4
	[ "$(types)" = "offer.created offer.redeemed credential.issued credential.accepted" ]
}

@test "POST /webhooks: filtered events in the EUDI connector's names; list, delete, refusals" {
	APORT=$(free_port)
	recv_start
	serve_start --admin-listen "127.0.0.1:$APORT"
	key=$(vci-serve apikey add --state "$STATE" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	A=http://127.0.0.1:$APORT
	post() { curl -s -m 60 -o "$D/resp" -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d "$1" "$A/webhooks"; }
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$A/webhooks")" = 401 ]
	[ "$(post '{"url":"http://example.com/x","events":"*","secret":"0123456789abcdef"}')" = 400 ]
	[ "$(post '{"url":"http://127.0.0.1:9/x","events":["no.such"],"secret":"0123456789abcdef"}')" = 400 ]
	[ "$(post '{"url":"http://127.0.0.1:9/x","events":"*","secret":"short"}')" = 400 ]
	[ "$(post '{"url":"http://127.0.0.1:9/x","events":"*","secret":"0123456789abcdef","format":"x"}')" = 400 ]
	[ "$(post '[1]')" = 400 ]
	secret=$(cat "$D/secret")
	[ "$(post "{\"url\":\"http://127.0.0.1:$RPORT/cb\",\"events\":[\"offer.created\",\"credential.issued\",\"offer.expired\"],\"secret\":\"$secret\",\"format\":\"eudi-connector\"}")" = 201 ]
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$D/resp")
	curl -fsS -m 60 -H "x-api-key: $key" "$A/webhooks" >"$D/list"
	"$PY" -c 'import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 1 and l[0]["id"] == sys.argv[2] and "secret" not in l[0], l
assert l[0]["format"] == "eudi-connector", l' "$D/list" "$id"
	holder "$(offer pid)" --tls-ca "$D/ca.crt"
	wait_events 2
	[ "$(types)" = "OFFER_CREATED ISSUED" ]
	"$PY" -c 'import json, sys
ev = [json.loads(l)["body"] for l in open(sys.argv[1])]
for e in ev:
    assert set(e) == {"eventId", "status", "offerId"}, e
assert ev[0]["offerId"] == ev[1]["offerId"]' "$D/events"
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X DELETE -H "x-api-key: $key" "$A/webhooks/$id")" = 204 ]
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X DELETE -H "x-api-key: $key" "$A/webhooks/$id")" = 404 ]
	run vci-serve webhook list --state "$STATE"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "webhooks: an offer that expires unredeemed gives offer.expired (EXPIRED)" {
	recv_start
	# shellcheck disable=SC2046
	serve_start $(hook_args) --sweep-interval 1
	vci-serve webhook add --state "$STATE" --webhook-secret-file "$D/secret" \
		"http://127.0.0.1:$RPORT/eudi" offer.expired eudi-connector >/dev/null
	offer pid --ttl 1 >/dev/null
	wait_events 3
	"$PY" -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert all(e["verified"] for e in ev), ev
got = sorted((e["path"], e["body"].get("type") or e["body"].get("status")) for e in ev)
assert got == [("/eudi", "EXPIRED"), ("/hook", "offer.created"), ("/hook", "offer.expired")], got' \
		"$D/events"
}

@test "webhooks: deferred pending and denied; FAILED with errorDetails" {
	recv_start
	# shellcheck disable=SC2046
	serve_start $(hook_args)
	vci-serve webhook add --state "$STATE" --webhook-secret-file "$D/secret" \
		"http://127.0.0.1:$RPORT/eudi" deferred.denied eudi-connector >/dev/null
	printf '{"credential_configuration_id":"pid","claims":%s,"deferred":true}\n' "$(claims pid)" |
		vci-offer --issuer "$ISS" --defn "$D/pid.json" >"$D/offer.rec"
	vci-serve import --state "$STATE" "$D/offer.rec" >/dev/null
	link=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["offer_link"])' "$D/offer.rec")
	"$PY" "$HOLDER" "$link" --deferred --expect-denied --poll 0.3 --pending-file "$D/pending" \
		--ca "$D/ca.crt" --tls-ca "$D/ca.crt" --timeout 120 >"$D/out.json" 2>"$D/holder.err" &
	HPID=$!
	wait_events 3
	xid=$(vci-serve exchange list --state "$STATE" issuance_pending |
		"$PY" -c 'import json, sys; print(json.loads(sys.stdin.readline())["id"])')
	vci-serve deferred deny --state "$STATE" -- "$xid" "not eligible"
	wait "$HPID"
	HPID=
	wait_events 5
	"$PY" -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert all(e["verified"] for e in ev), ev
hook = [e["body"]["type"] for e in ev if e["path"] == "/hook"]
assert hook == ["offer.created", "offer.redeemed", "deferred.pending", "deferred.denied"], hook
eudi = [e["body"] for e in ev if e["path"] == "/eudi"]
assert len(eudi) == 1 and eudi[0]["status"] == "FAILED", eudi
assert eudi[0]["errorDetails"] == "not eligible", eudi' "$D/events"
}

@test "--webhook needs --webhook-secret-file and a loopback or https URL" {
	run vci-serve run "${SERVE_ARGS[@]}" --webhook "http://127.0.0.1:$RPORT/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--webhook-secret-file"* ]]
	run vci-serve run "${SERVE_ARGS[@]}" --webhook "http://example.com/x" \
		--webhook-secret-file "$D/secret"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not an https URL"* ]]
}
