#!/usr/bin/env bats
# vci-serve deferred issuance (OpenID4VCI 1.0 section 9) and the claims
# hook, end to end on a free 127.0.0.1 port with tests/serve/holder.py
# --deferred: the credential request answered 202 with a transaction_id,
# polls answered 202 until the back office supplies the claims (from the
# shell or the management listener) or denies, then the credentials
# (checked by the holder, bound to its keys) and the id refused once
# delivered; a restart while pending loses nothing. --claims-hook: the
# claims from a command (its input checked: no secret), and its failure,
# timeout and oversized output ending in a credential error with no
# child left behind.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
	HPID=
	# an https issuer on 127.0.0.1 (native TLS from the test root)
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	SERVE_ARGS+=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
}

teardown() {
	if [ -n "${HPID:-}" ]; then
		kill "$HPID" 2>/dev/null || true
		wait "$HPID" 2>/dev/null || true
	fi
	serve_stop
}

# deferred_offer CONFIG: an imported offer whose record says "deferred":
# true; prints the deep link
deferred_offer() {
	printf '{"credential_configuration_id":"%s","claims":%s,"deferred":true}\n' "$1" \
		"$(claims "$1")" | vci-offer --issuer "$ISS" --defn "$D/$1.json" >"$D/offer.rec" ||
		return 1
	vci-serve import --state "$STATE" "$D/offer.rec" >/dev/null || return 1
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["offer_link"])' \
		"$D/offer.rec"
}

# holder_bg OPTION...: the holder in the background (HPID), its result in
# $D/out.json
holder_bg() {
	"$PY" "$HOLDER" "$@" --ca "$D/ca.crt" --tls-ca "$D/ca.crt" --timeout 120 \
		>"$D/out.json" 2>"$D/holder.err" &
	HPID=$!
}

# holder_wait: the background holder's exit status is 0
holder_wait() {
	local st=0
	wait "$HPID" || st=$?
	HPID=
	if [ "$st" -ne 0 ]; then
		cat "$D/holder.err" >&2
		tail -n 20 "$D/server.err" >&2
	fi
	return "$st"
}

# wait_file FILE: bounded wait (120 s) until FILE exists
wait_file() {
	local i
	for i in $(seq 1 480); do
		[ -e "$1" ] && return 0
		[ -z "${HPID:-}" ] || kill -0 "$HPID" 2>/dev/null || break
		sleep 0.25
	done
	echo "no $1" >&2
	cat "$D/holder.err" >&2
	return 1
}

# pending_exchange: the id of the one exchange in issuance_pending
pending_exchange() {
	vci-serve exchange list --state "$STATE" issuance_pending |
		"$PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
rows = [x for r in rows for x in (r if isinstance(r, list) else r.get("exchanges", [r]))]
assert len(rows) == 1, rows
print(rows[0]["id"])'
}

# exchange_state ID
exchange_state() {
	vci-serve exchange get --state "$STATE" -- "$1" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])'
}

@test "metadata advertises the deferred credential endpoint" {
	serve_start
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	"$PY" -c 'import json, sys
md = json.load(open(sys.argv[1]))
assert md["deferred_credential_endpoint"] == sys.argv[2] + "/deferred_credential", md' \
		"$D/md.json" "$ISS"
}

@test "deferred: 202 and pending polls, claims from the shell, then the credentials; the id spent" {
	serve_start
	link=$(deferred_offer pid)
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending" --batch 2
	wait_file "$D/pending"
	xid=$(pending_exchange)
	sleep 1   # a few polls answered 202
	claims pid | sed 's/"Erika"/"Erika Deferred"/' >"$D/claims.json"
	run vci-serve deferred claims --state "$STATE" -- "$xid" "$D/claims.json"
	[ "$status" -eq 0 ]
	holder_wait
	[ "$(result 'len(r["credentials"])')" = 2 ]
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "Erika Deferred" ]
	[ "$(result 'len(set(json.dumps(c["status"], sort_keys=True) for c in r["credentials"]))')" = 2 ]
	grep -q '202 transaction_id' "$D/out.json"
	grep -q 'delivered id again): 400 invalid_transaction_id' "$D/out.json"
	[ "$(exchange_state "$xid")" = credential_accepted ]
	# decided once: a second supply finds nothing waiting
	run vci-serve deferred claims --state "$STATE" -- "$xid" "$D/claims.json"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no deferred request of this exchange is waiting"* ]]
}

@test "deferred: claims over the management listener (204), refusals (no key, not an object, unknown exchange, claims the definition refuses, decided already)" {
	APORT=$(free_port)
	serve_start --admin-listen "127.0.0.1:$APORT"
	key=$(vci-serve apikey add --state "$STATE" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	link=$(deferred_offer diploma)
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	xid=$(pending_exchange)
	A=http://127.0.0.1:$APORT
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{}' "$A/exchanges/$xid/claims")" = 401 ]
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d '[1]' "$A/exchanges/$xid/claims")" = 400 ]
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d '{}' "$A/exchanges/nope/claims")" = 404 ]
	# claims the definition refuses (family_name and degree missing)
	[ "$(curl -s -m 60 -o "$D/resp" -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d '{"given_name":"Ada"}' \
		"$A/exchanges/$xid/claims")" = 400 ]
	grep -q invalid_claims "$D/resp"
	body=$(printf '{"claims":%s}' "$(claims diploma)")
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d "$body" "$A/exchanges/$xid/claims")" = 204 ]
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $key" \
		-H 'Content-Type: application/json' -d "$body" "$A/exchanges/$xid/claims")" = 404 ]
	holder_wait
	[ "$(result 'len(r["credentials"])')" = 1 ]
	[ "$(result 'r["credentials"][0]["claims"]["degree"]["name"]')" = Mathematics ]
}

@test "deferred: denied from the shell ends in credential_request_denied" {
	serve_start
	link=$(deferred_offer pid)
	holder_bg "$link" --deferred --expect-denied --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	xid=$(pending_exchange)
	run vci-serve deferred deny --state "$STATE" -- "$xid" "no such person"
	[ "$status" -eq 0 ]
	holder_wait
	grep -q '400 credential_request_denied' "$D/out.json"
	[ "$(exchange_state "$xid")" = issuance_denied ]
	run vci-serve deferred deny --state "$STATE" -- "$xid"
	[ "$status" -eq 3 ]
}

@test "deferred: denied over the management listener" {
	APORT=$(free_port)
	serve_start --admin-listen "127.0.0.1:$APORT"
	key=$(vci-serve apikey add --state "$STATE" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	link=$(deferred_offer pid)
	holder_bg "$link" --deferred --expect-denied --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	xid=$(pending_exchange)
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $key" \
		"http://127.0.0.1:$APORT/exchanges/$xid/deny")" = 204 ]
	holder_wait
}

@test "deferred: a definition with deferred_interval defers every offer of it" {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["deferred_interval"] = 1
json.dump(d, open(sys.argv[1], "w"))' "$D/diploma.json"
	serve_start
	link=$(offer diploma)
	holder_bg "$link" --deferred --pending-file "$D/pending"
	wait_file "$D/pending"
	vci-serve deferred claims --state "$STATE" -- "$(pending_exchange)" <<<"$(claims diploma)"
	holder_wait
	grep -q 'interval 1' "$D/out.json"
	[ "$(result 'len(r["credentials"])')" = 1 ]
}

@test "deferred: a restart while pending loses nothing" {
	serve_start
	link=$(deferred_offer pid)
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	xid=$(pending_exchange)
	serve_stop
	[ "$SERVE_STATUS" -eq 0 ]
	claims pid | vci-serve deferred claims --state "$STATE" -- "$xid"
	serve_start
	holder_wait
	[ "$(result 'len(r["credentials"])')" = 1 ]
	[ "$(exchange_state "$xid")" = credential_accepted ]
}

@test "deferred: DPoP required with server nonces at the deferred endpoint too" {
	serve_start --dpop required --dpop-nonce
	link=$(deferred_offer mdl)
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	vci-serve deferred claims --state "$STATE" -- "$(pending_exchange)" <<<"$(claims mdl)"
	holder_wait
	[ "$(result 'len(r["credentials"])')" = 1 ]
	[ "$(result 'r["credentials"][0]["format"]')" = mso_mdoc ]
}

@test "deferred_credential without a token: 401" {
	serve_start
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--cacert "$D/ca.crt" -d '{"transaction_id":"x"}' "$ISS/deferred_credential")" = 401 ]
}

# ---- the claims hook ---------------------------------------------------

# hook NAME BODY: an executable script $D/NAME
hook() {
	printf '#!/bin/sh\n%s\n' "$2" >"$D/$1"
	chmod +x "$D/$1"
}

@test "claims hook: the claims from its output; its input has the exchange and no secret" {
	hook ok "cat >\"$D/hook.in\"; printf '%s' '$(claims pid | sed 's/"Erika"/"Hooked"/')'"
	serve_start --claims-hook "$D/ok --some-argument"
	link=$(offer pid --tx-code 6)
	tx=$(tx_of_last_offer)
	holder "$link" --tx-code "$tx" --tls-ca "$D/ca.crt"
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = Hooked ]
	"$PY" -c 'import json, sys
i = json.load(open(sys.argv[1]))
assert i["credential_configuration_id"] == "pid", i
assert i["exchange_id"] and i["offer_id"] and len(i["holder_jkt"]) == 1, i
assert i["deferred"] is False, i
text = json.dumps(i)
for secret in ("pre_authorized_code", "tx_code", sys.argv[2]):
    assert secret not in text, secret' "$D/hook.in" "$tx"
}

@test "claims hook: a failing hook is a 500 server_error, logged, and the server keeps serving" {
	hook fail 'cat >/dev/null; echo "lookup failed" >&2; exit 3'
	serve_start --claims-hook "$D/fail"
	run holder "$(offer pid)" --tls-ca "$D/ca.crt"
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"status 500"* ]]
	[[ "$output" == *"server_error"* ]]
	grep -q 'claims hook: exit status 3' "$D/server.err"
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/health" >/dev/null
}

@test "claims hook: timeout kills it (no zombie, no child left), oversized output refused" {
	hook slow 'exec sleep 60'
	serve_start --claims-hook "$D/slow" --claims-hook-timeout 1
	t0=$(date +%s)
	run holder "$(offer pid)" --tls-ca "$D/ca.crt"
	[ "$status" -ne 0 ]
	[ $(($(date +%s) - t0)) -lt 50 ]
	grep -q 'no answer within 1000 ms\|did not exit within 1000 ms' "$D/server.err"
	[ -z "$(ps -o pid= --ppid "$SPID")" ]
	serve_stop
	hook big "cat >/dev/null; $PY -c 'print(\"{\\\"x\\\":\\\"\" + \"a\" * 100000 + \"\\\"}\")'"
	serve_start --claims-hook "$D/big"
	run holder "$(offer pid)" --tls-ca "$D/ca.crt"
	[ "$status" -ne 0 ]
	grep -q 'output over 65536 bytes' "$D/server.err"
	[ -z "$(ps -o pid= --ppid "$SPID")" ]
	hook notjson 'cat >/dev/null; echo not json'
	serve_stop
	serve_start --claims-hook "$D/notjson"
	run holder "$(offer pid)" --tls-ca "$D/ca.crt"
	[ "$status" -ne 0 ]
	grep -q 'not a JSON object' "$D/server.err"
}

@test "claims hook with a deferred offer: exit 75 keeps it pending until the hook has the claims" {
	hook later "cat >/dev/null; [ -e \"$D/ready\" ] || exit 75; claims_json='$(claims pid)'; printf '%s' \"\$claims_json\""
	serve_start --claims-hook "$D/later"
	link=$(deferred_offer pid)
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	sleep 1
	touch "$D/ready"
	holder_wait
	[ "$(result 'len(r["credentials"])')" = 1 ]
}

@test "examples/serve/claims-hook.sh: a deferred request pending until the claims file is there" {
	mkdir "$D/claims"
	serve_start --claims-hook "$SRC/examples/serve/claims-hook.sh $D/claims"
	link=$(deferred_offer pid)
	offer_id=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["offer_id"])' "$D/offer.rec")
	holder_bg "$link" --deferred --poll 0.3 --pending-file "$D/pending"
	wait_file "$D/pending"
	sleep 1
	claims pid | sed 's/"Erika"/"From File"/' >"$D/claims/$offer_id.json"
	holder_wait
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "From File" ]
}

@test "--claims-hook and --claims-hook-timeout are checked" {
	run vci-serve run "${SERVE_ARGS[@]}" --claims-hook-timeout 0
	[ "$status" -eq 2 ]
	run vci-serve --help
	[[ "$output" == *"--claims-hook"* ]]
	[[ "$output" == *"deferred claims"* ]]
}

@test "completions name the deferred and webhook commands and the new options" {
	bash -n "$SRC/completions/bash/vci-serve"
	for f in "$SRC/completions/bash/vci-serve" "$SRC/completions/zsh/_vci-serve" \
		"$SRC/completions/fish/vci-serve.fish"; do
		for w in deferred webhook claims deny delete claims-hook claims-hook-timeout \
			webhook-secret-file sweep-interval; do
			grep -q -- "$w" "$f" || { echo "$f: $w"; false; }
		done
	done
}
