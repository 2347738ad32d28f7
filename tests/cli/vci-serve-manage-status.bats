#!/usr/bin/env bats
# Revoke, suspend and reinstate of an issued credential whose status list
# is kept in the store (--status-list pid=db:pid, made by
# `vci-statuslist new --db`): over the management API (POST
# /exchanges/{id}/suspend|reinstate|revoke, system A's revocation-status)
# and from the shell (`vci-serve suspend|reinstate|revoke --status-list
# db:pid`), the served status list token following each change, checked
# by python3-jwcrypto with the issuer's certificate. The holder simulator
# (tests/serve/holder.py) gets the credentials. On PostgreSQL too with
# VCI_SERVE_TEST_PG=1 and VCI_TEST_PG (store_pg in tests/serve/lib.bash).

bats_require_minimum_version 1.5.0

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	command -v curl >/dev/null || skip "curl not installed"
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
	serve_init
	store_pg
	# the store the list is made in: the state directory, or the database
	DB=${STORE_ARGS[1]:-$STATE}
	vci-statuslist new --db "$DB" --list pid --bits 2 --uri "$ISS/status/pid" --ttl 60
	SERVE_ARGS=("${SERVE_ARGS[@]/pid=$D\/pid.list/pid=db:pid}")
	APORT=$(free_port)
	KEY=$(apikey_add)
	serve_start --admin-listen "127.0.0.1:$APORT"
}

teardown() {
	serve_stop
	if [ "${#STORE_ARGS[@]}" -gt 0 ]; then
		pg_dropdbs
	fi
}

# api METHOD PATH [CURL ARG]...: a management call; the answer to
# $D/r.json, the status printed
api() {
	local m=$1 p=$2
	shift 2
	curl -sS -m 60 -o "$D/r.json" -w '%{http_code}' -X "$m" -H "x-api-key: $KEY" "$@" \
		"http://127.0.0.1:$APORT$p"
}

# served IDX: entry IDX of the token the server publishes now
served() {
	curl -fsS -m 60 "$ISS/status/pid" >"$D/sl.jwt" || return 1
	token_value "$D/sl.jwt" "$1" "$ISS/status/pid"
}

# sh_status ACTION ID [IDX]: vci-serve ACTION from the shell on the store
sh_status() {
	vci-serve "$1" --state "$STATE" "${STORE_ARGS[@]}" --status-list db:pid "${@:2}"
}

# issue_two: the holder gets two pid credentials of one exchange; EX
# the exchange, I1 and I2 their indices
issue_two() {
	link=$(admin_offer "x-api-key: $KEY" pid)
	holder "$link" --expect-status --batch 2
	I1=$(result 'r["credentials"][0]["status"]["idx"]')
	I2=$(result 'r["credentials"][1]["status"]["idx"]')
	[ "$I1" != "$I2" ]
	[ "$(result 'r["credentials"][0]["status"]["uri"]')" = "$ISS/status/pid" ]
	[ "$(api GET '/exchanges?state=credential_accepted')" = 200 ]
	EX=$(r 'j["exchanges"][-1]["id"]')
	[ "$(served "$I1")" = 0 ]
	[ "$(served "$I2")" = 0 ]
}

@test "db: status list, management API: suspend, reinstate, revoke one entry, revoked is final; the served token follows" {
	issue_two
	[ "$(api POST "/exchanges/$EX/suspend")" = 200 ]
	[ "$(r '[e["status"] for e in j["status_list_entries"]]')" = '["suspended", "suspended"]' ]
	[ "$(served "$I1")" = 2 ]
	[ "$(served "$I2")" = 2 ]
	[ "$(api POST "/exchanges/$EX/reinstate")" = 200 ]
	[ "$(served "$I1")" = 0 ]
	[ "$(served "$I2")" = 0 ]
	[ "$(api POST "/exchanges/$EX/revoke" --data-binary "{\"idx\":$I2}")" = 200 ]
	[ "$(served "$I1")" = 0 ]
	[ "$(served "$I2")" = 1 ]
	# the store's list says the same
	[ "$(vci-statuslist get --db "$DB" --list pid "$I1" "$I2" | tr '\n' ' ')" = "valid invalid " ]
	[ "$(api GET "/exchanges/$EX")" = 200 ]
	[ "$(r 'sorted(e["status"] for e in j["status_list_entries"])')" = '["invalid", "valid"]' ]
	# revoked is final; an index the exchange does not hold is refused
	[ "$(api POST "/exchanges/$EX/reinstate" --data-binary "{\"idx\":$I2}")" = 409 ]
	[ "$(served "$I2")" = 1 ]
	other=$(( (I1 == 0 || I2 == 0) ? 1 + I1 + I2 : 0 ))
	[ "$(api POST "/exchanges/$EX/suspend" --data-binary "{\"idx\":$other}")" = 409 ]
	[ "$(api POST /exchanges/nope/revoke)" = 404 ]
}

@test "db: status list, from the shell: vci-serve suspend, reinstate, revoke while the server runs; the served token follows" {
	issue_two
	sh_status suspend "$EX" >"$D/sh"
	grep -q '"status":"suspended"' "$D/sh"
	[ "$(served "$I1")" = 2 ]
	[ "$(served "$I2")" = 2 ]
	sh_status reinstate "$EX" "$I1" >"$D/sh"
	[ "$(served "$I1")" = 0 ]
	[ "$(served "$I2")" = 2 ]
	sh_status revoke "$EX" >"$D/sh"
	grep -q '"status":"invalid"' "$D/sh"
	[ "$(served "$I1")" = 1 ]
	[ "$(served "$I2")" = 1 ]
	run -1 sh_status reinstate "$EX"
	[ "$(served "$I1")" = 1 ]
	# a list the store does not hold, an exchange it does not know
	run -3 vci-serve revoke --state "$STATE" "${STORE_ARGS[@]}" --status-list db:nope "$EX"
	[[ $output == *"db:nope"* ]]
	run -3 sh_status revoke nope
	[[ $output == *"nope: not found"* ]]
	# the exchange's view names the list and both entries, revoked
	[ "$(api GET "/exchanges/$EX")" = 200 ]
	[ "$(r '[e["status"] for e in j["status_list_entries"]]')" = '["invalid", "invalid"]' ]
}

@test "db: status list, system A's revocation-status: Suspended, Operational, Revoked in the served token" {
	issue_two
	A=/v2/config/digital-wallet/openid/sdjwt
	[ "$(api GET "$A/credential/history?status=credential_accepted" -H "Authorization: ApiKey $KEY")" = 200 ]
	hid=$(r 'j["credentialHistory"][0]["id"]')
	for w in Suspended:2 Operational:0 Revoked:1; do
		[ "$(api PUT "$A/credential/history/$hid/revocation-status" \
			-H 'Content-Type: application/json' \
			--data-binary "{\"revocationStatus\":\"${w%:*}\"}")" = 200 ]
		[ "$(r 'j["credentialHistory"]["revocationStatus"]')" = "${w%:*}" ]
		[ "$(served "$I1")" = "${w#*:}" ]
		[ "$(served "$I2")" = "${w#*:}" ]
	done
}
