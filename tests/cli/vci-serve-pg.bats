#!/usr/bin/env bats
# Several vci-serve hosts of one issuer sharing one PostgreSQL database
# (--db), on different loopback ports, the holder simulator spreading each
# flow's requests over them (--connect-to: a load balancer). Every flow
# completes once; a code, a c_nonce or a DPoP proof spent on one host is
# refused by the others; a database restart under load fails the requests
# in flight with 503 and Retry-After, and the hosts reconnect. PostgreSQL
# cases are skipped (saying so) only when VCI_TEST_PG is unset.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"
load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/pg.bash"

setup() {
	serve_skip_unless_ready
	pg_skip_unless_ready
	serve_init
	HPIDS=()
	LOOPS=()
	OWN_CLUSTER=
}

teardown() {
	touch "$D/stop"
	local p
	for p in "${LOOPS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	hosts_stop
	pg_dropdbs
	[ -n "$OWN_CLUSTER" ] && "$PG_CLUSTER" stop "$OWN_CLUSTER" >/dev/null 2>&1
	true
}

# loops_run N PORTS-ROTATED: N holder loops over $D/links at once, each
# with the hosts in another order; waits for them
loops_run() {
	local n=$1 k
	for k in $(seq 0 $((n - 1))); do
		flows_loop "$k" "$n" "$(ports_from "$k")" &
		LOOPS+=($!)
	done
	for k in "${LOOPS[@]}"; do
		wait "$k" || true
	done
	LOOPS=()
}

@test "two hosts, one database: every flow completes once, its requests spread over both" {
	db=$(pg_newdb)
	hosts_init 2 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 4
	pg_offers pid 2 --tx-code 6
	pg_offers mdl 2 --by-reference "$ISS/offers"
	pg_offers diploma 2
	loops_run 1
	[ "$(count_lines ok "$D"/flows.*)" -eq 10 ]
	[ "$(count_lines fail "$D"/flows.*)" -eq 0 ]
	# each request of a flow went to the next host: both served each kind
	for k in 1 2; do
		grep -q '"path":"/token","status":200' "$D/host$k.err"
		grep -q '"path":"/credential","status":200' "$D/host$k.err"
	done
	# the database: ten offers redeemed once, ten exchanges, all accepted
	[ "$(pg_psql "$PGDB" "SELECT count(*) FROM offers WHERE state = 'redeemed'")" -eq 10 ]
	[ "$(pg_psql "$PGDB" "SELECT count(*) FROM exchanges")" -eq 10 ]
	[ "$(pg_psql "$PGDB" "SELECT count(DISTINCT offer_id) FROM exchanges WHERE state = 'credential_accepted'")" -eq 10 ]
	[ "$(pg_psql "$PGDB" "SELECT count(*) - count(DISTINCT (uri, idx)) FROM status")" -eq 0 ]
}

@test "two hosts: a code, a c_nonce or a DPoP proof spent on one host is refused by the other" {
	db=$(pg_newdb)
	hosts_init 2 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 3
	# flows on host 1 alone, then their codes and c_nonces replayed on host 2
	while read -r link _; do
		"$PY" "$HOLDER" "$link" --ca "$D/ca.crt" --connect-to "${HPORTS[0]}" \
			--spent-log "$D/spent.host1" >/dev/null
	done <"$D/links"
	link=$(pg_offer pid)
	"$PY" "$HOLDER" "$link" --ca "$D/ca.crt" --connect-to "${HPORTS[1]}" \
		--check-spent "$D/spent.host1" >"$D/check.json"
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
assert r["codes"] == 3 and r["c_nonces"] >= 3, r' "$D/check.json"
	# the same code twice, consecutive requests on different hosts
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 0)" \
		--neg replay-code >/dev/null
	# a c_nonce used for a second request on the other host
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 0)" \
		--neg reuse-nonce >/dev/null
	# a DPoP proof replayed at the credential endpoint of the other host
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 0)" \
		--neg dpop-replay >/dev/null
	# and at the token endpoint, for a second offer
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 1)" \
		--neg dpop-replay-token --second-offer "$(pg_offer pid)" >/dev/null
}

@test "three hosts, three loops at once: every flow completes once, status entries unique" {
	db=$(pg_newdb)
	hosts_init 3 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 12
	pg_offers pid 6 --tx-code 6
	pg_offers mdl 6 --by-reference "$ISS/offers"
	pg_offers diploma 6
	loops_run 3
	echo "flows: $(count_lines ok "$D"/flows.*) ok, $(count_lines fail "$D"/flows.*) failed"
	cat "$D"/loop.*.err 2>/dev/null | head -n 5
	[ "$(count_lines ok "$D"/flows.*)" -eq 30 ]
	[ "$(pg_psql "$PGDB" "SELECT count(*) FROM offers WHERE state = 'redeemed'")" -eq 30 ]
	[ "$(pg_psql "$PGDB" "SELECT count(DISTINCT offer_id) FROM exchanges WHERE state = 'credential_accepted'")" -eq 30 ]
	# the status entries recorded: all distinct (the store records the
	# token status list entries: pid and mdl, two credentials a flow)
	entries=$(pg_psql "$PGDB" "SELECT count(DISTINCT (uri, idx)) FROM status")
	[ "$(pg_psql "$PGDB" "SELECT count(*) FROM status")" -eq "$entries" ]
	[ "$entries" -eq 48 ]
	# every code and c_nonce refused by the other hosts; the 60 entries the
	# holders got (diploma's bitstring ones too) are distinct
	cat "$D"/spent.* >"$D/all-spent"
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 2)" \
		--check-spent "$D/all-spent" >"$D/check.json"
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
assert r["codes"] == 30 and r["c_nonces"] >= 30 and r["status"] == 60, r' "$D/check.json"
}

@test "three hosts, pid's status list in the database: indices unique across hosts, random, the shell revokes one" {
	db=$(pg_newdb)
	vci-statuslist new --db "$db" --list pid --uri "$ISS/status/pid" --size 131072 --ttl 60
	HPID_LIST=db:pid
	hosts_init 3 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 12
	loops_run 3
	[ "$(count_lines ok "$D"/flows.*)" -eq 12 ]
	# the indices handed out, by all hosts, from the store's list
	pg_psql "$PGDB" "SELECT idx FROM status_entries WHERE list = 'pid' AND allocated = 1 ORDER BY idx" >"$D/idx"
	n=$(wc -l <"$D/idx")
	[ "$n" -ge 12 ]
	[ "$(sort -u "$D/idx" | wc -l)" -eq "$n" ]
	# not an arithmetic sequence (nor handed out in order)
	"$PY" -c 'import sys
v = [int(x) for x in open(sys.argv[1]).read().split()]
d = {b - a for a, b in zip(v, v[1:])}
assert len(d) > 1, d' "$D/idx"
	# every credential the holders got (two a flow) carries one of them,
	# each once (the hosts take indices ahead in pools: some stay unused)
	cat "$D"/spent.* >"$D/all-spent"
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 1)" \
		--check-spent "$D/all-spent" >"$D/check.json"
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
got = [e["idx"] for e in r["status_entries"]]
allocated = {int(x) for x in open(sys.argv[2]).read().split()}
assert r["codes"] == 12 and r["status"] == 24 and len(set(got)) == 24, r
assert set(got) <= allocated, sorted(set(got) - allocated)' "$D/check.json" "$D/idx"
	# a shell revokes one on the shared database: every host serves it revoked
	idx=$(head -n 1 "$D/idx")
	vci-statuslist set --db "$db" --list pid "$idx" revoked
	for p in "${HPORTS[@]}"; do
		curl -fsS -m 60 "http://127.0.0.1:$p/status/pid" >"$D/sl.jwt"
		run vci-statuslist check --idx "$idx" --ca "$D/ca.crt" --uri "$ISS/status/pid" <"$D/sl.jwt"
		echo "$output"
		[ "$status" -eq 1 ]
	done
}

@test "a PostgreSQL restart under load: requests in flight fail with 503 and Retry-After, the hosts reconnect, nothing answered is lost" {
	# a cluster of this test's own: the restart must not touch the others'
	OWN_CLUSTER=$D/pg
	base=$("$PG_CLUSTER" start "$OWN_CLUSTER")
	db=$(pg_newdb "$base")
	hosts_init 2 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 40
	for k in 0 1; do
		flows_loop "$k" 2 "$(ports_from "$k")" &
		LOOPS+=($!)
	done
	# a few flows done, then the database restarts under the load
	for _ in $(seq 1 480); do
		[ "$(count_lines ok "$D"/flows.*)" -ge 4 ] && break
		sleep 0.25
	done
	"$PG_CLUSTER" restart "$OWN_CLUSTER"
	for k in "${LOOPS[@]}"; do
		wait "$k" || true
	done
	LOOPS=()
	echo "flows: $(count_lines ok "$D"/flows.*) ok, $(count_lines fail "$D"/flows.*) failed"
	# a failure was a clean 503 (never a 500, never a crash)
	run grep -h '"status":50[0-24-9]' "$D/host1.err" "$D/host2.err"
	[ "$status" -ne 0 ]
	kill -0 "${HPIDS[1]}"
	kill -0 "${HPIDS[2]}"
	# the database down: a write (a token request: its code is looked up
	# and spent in one store operation) answers 503 with Retry-After
	"$PG_CLUSTER" pause "$OWN_CLUSTER"
	grant='grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=unknown-code'
	curl -sS -m 60 -D "$D/h503" -o /dev/null --data "$grant" "http://127.0.0.1:${HPORTS[0]}/token"
	head -n 1 "$D/h503" | grep -q ' 503'
	grep -qi '^Retry-After: [0-9]' "$D/h503"
	"$PG_CLUSTER" start "$OWN_CLUSTER" >/dev/null
	# back: both hosts reach the store again, on new connections (the
	# unknown code is refused by the store: 400 invalid_grant, not 503)
	for port in "${HPORTS[@]}"; do
		[ "$(curl -sS -m 60 -o "$D/back.json" -w '%{http_code}' --data "$grant" \
			"http://127.0.0.1:$port/token")" = 400 ]
		grep -q '"invalid_grant"' "$D/back.json"
	done
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 0)" \
		--expect-status >/dev/null || { grep -h '"status":503' "$D"/host*.err | tail -n 5; false; }
	# every flow that completed: its code and c_nonces still spent, its
	# status entries distinct and recorded once
	cat "$D"/spent.* >"$D/all-spent"
	"$PY" "$HOLDER" "$(pg_offer pid)" --ca "$D/ca.crt" --connect-to "$(ports_from 1)" \
		--check-spent "$D/all-spent" >"$D/check.json"
	ok=$(count_lines ok "$D"/flows.*)
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
assert r["codes"] >= int(sys.argv[2]), r' "$D/check.json" "$ok"
	[ "$(pg_psql "$PGDB" "SELECT count(*) - count(DISTINCT (uri, idx)) FROM status")" -eq 0 ]
	[ "$(pg_psql "$PGDB" "SELECT count(*) FROM exchanges WHERE state = 'credential_accepted'")" -ge "$ok" ]
	# both hosts stop cleanly after their reconnections (exit 0: no leak
	# under the sanitizers either)
	hosts_stop
	[ "${HSTATUS[1]}" -eq 0 ]
	[ "${HSTATUS[2]}" -eq 0 ]
}
