# tests/serve/lib.bash - what the vci-serve end-to-end bats files share:
# a test PKI, definitions, status lists, starting and stopping the server
# (and other servers beside it) on free loopback ports, offers (imported or
# made on the admin listener) and running the holder simulator. Loaded by
# tests/cli/vci-serve-*.bats.

PY=${PYTHON3:-/usr/bin/python3}
SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
HOLDER=$SRC/tests/serve/holder.py
MDOC_CHECK=$SRC/tests/cli/mdoc-check.py
# servers 1, 2, ... (serve_start_n): pid, port, issuer, exit status
SPIDS=()
SPORTS=()
SISS=()
SSTATUS=()

serve_skip_unless_ready() {
	command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
	command -v vci-offer >/dev/null || skip "vci-offer not on PATH"
	command -v vci-statuslist >/dev/null || skip "vci-statuslist not on PATH"
	command -v openssl >/dev/null || skip "openssl not installed"
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now
free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# make_pki DIR [DAYS]: a root CA and an issuer certificate it signed, valid
# DAYS (default 3650) from now (keyUsage
# digitalSignature, the mdoc document signer EKU), P-256 keys
make_pki() {
	local d=$1 days=${2:-3650}
	cat >"$d/pki.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.0.18013.5.1.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$d/ca.key" -subj "/C=UT/CN=Test Root" -days "$days" \
		-config "$d/pki.cnf" -extensions ca -out "$d/ca.crt"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/issuer.key" 2>/dev/null
	openssl req -new -key "$d/issuer.key" -subj "/C=UT/CN=Test Issuer" -config "$d/pki.cnf" \
		-out "$d/issuer.csr"
	openssl x509 -req -in "$d/issuer.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial 0x1001 \
		-days "$days" -extfile "$d/pki.cnf" -extensions leaf -out "$d/issuer.crt" 2>/dev/null
}

# make_defs DIR: the example definitions (pid: dc+sd-jwt, mdl: mso_mdoc,
# diploma: jwt_vc_json) without the wallet and key attestation
# requirements, which the holder simulator does not meet
make_defs() {
	"$PY" - "$SRC/examples/definitions" "$1" <<'PYEOF'
import json, sys
src, dst = sys.argv[1:]
for n in ("pid", "mdl", "diploma"):
    d = json.load(open("%s/%s.json" % (src, n)))
    d.pop("wallet_attestation_required", None)
    d.get("key_binding", {}).pop("key_attestation_required", None)
    json.dump(d, open("%s/%s.json" % (dst, n), "w"), indent=1)
PYEOF
}

# claims CONFIG: a claims object for the configuration
claims() {
	case $1 in
	pid*) echo '{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE","FR"],"issuing_country":"DE","issuing_authority":"DE","address":{"street_address":"Heidestr. 17","locality":"Berlin","postal_code":"51147","country":"DE"},"age_equal_or_over":{"18":true}}' ;;
	mdl) echo '{"org.iso.18013.5.1":{"family_name":"Doe","given_name":"Jane","birth_date":"1990-01-02","issue_date":"2024-01-01","expiry_date":"2029-01-01","issuing_country":"UT","issuing_authority":"UT DMV","document_number":"123456789","portrait":"_9j_4AAQ","driving_privileges":[{"vehicle_category_code":"A","issue_date":"2018-08-09","expiry_date":"2028-10-20"}],"un_distinguishing_sign":"UTO","age_over_18":true}}' ;;
	diploma) echo '{"given_name":"Ada","family_name":"Lovelace","degree":{"type":"BachelorDegree","name":"Mathematics"},"gpa":3.9,"awarded":"2020-07-01"}' ;;
	esac
}

# serve_init: PKI, definitions, status lists and a port in $D; sets PORT,
# ISS, STATE and the server's arguments in SERVE_ARGS
serve_init() {
	D=$BATS_TEST_TMPDIR
	make_pki "$D"
	make_defs "$D"
	PORT=$(free_port)
	STATE=$D/state
	IMPORT_ARGS=()
	STORE_ARGS=()
	mkdir -p "$STATE"
	serve_issuer "http://127.0.0.1:$PORT"
}

# serve_issuer URL: the issuer identifier (the port's, with or without a
# path): fresh status lists under it and the server's arguments
serve_issuer() {
	ISS=$1
	vci-statuslist new --force --uri "$ISS/status/pid" --output "$D/pid.list"
	vci-statuslist new --force --bits 2 --uri "$ISS/status/mdl" --output "$D/mdl.list"
	vci-statuslist new --force --method bitstring --uri "$ISS/status/diploma" --output "$D/diploma.list"
	SERVE_ARGS=(--issuer "$ISS" --defn "$D/pid.json" --defn "$D/mdl.json" --defn "$D/diploma.json"
		--key "$D/issuer.key" --cert "$D/issuer.crt" --state "$STATE"
		--listen "127.0.0.1:$PORT"
		--status-list "pid=$D/pid.list" --status-list "mdl=$D/mdl.list"
		--status-list "diploma=$D/diploma.list")
}

# Servers: server 0 is the test's issuer (serve_start: PORT, ISS, STATE,
# pid SPID, log $D/server.err and .out); servers 1, 2, ... are other
# issuers on the same machine (serve_start_n: port SPORTS[N], issuer
# SISS[N], state $D/stateN, pid SPIDS[N], log $D/serverN.err and .out).
# serve_stop stops them all.

# serve_log N: the log of server N without its extension (.err, .out)
serve_log() {
	if [ "$1" = 0 ]; then
		echo "$D/server"
	else
		echo "$D/server$1"
	fi
}

# serve_pid_set N PID: record server N's pid (empty: none running)
serve_pid_set() {
	if [ "$1" = 0 ]; then
		SPID=$2
	else
		SPIDS[$1]=$2
	fi
}

# serve_run N PORT URL [ARG]...: vci-serve run ARG... as server N, its
# stderr appended to its log (emptied first); waits (bounded) until it
# listens on PORT or URL answers /health. Its pid is recorded (emptied if
# it exited at start, kept after a timeout for serve_stop)
serve_run() {
	local n=$1 port=$2 url=$3 log i pid
	shift 3
	log=$(serve_log "$n")
	: >"$log.err"
	vci-serve run "$@" 2>>"$log.err" >"$log.out" &
	pid=$!
	serve_pid_set "$n" "$pid"
	for i in $(seq 1 240); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || true
			serve_pid_set "$n" ""
			echo "vci-serve exited at start:" >&2
			cat "$log.err" >&2
			return 1
		fi
		if grep -q "listening on 127.0.0.1:$port" "$log.err" 2>/dev/null ||
		   curl -fsS -m 5 "$url/health" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.25
	done
	echo "vci-serve did not answer within 60 s" >&2
	cat "$log.err" >&2
	return 1
}

# serve_start [OPTION]...: start server 0, vci-serve with SERVE_ARGS,
# STORE_ARGS and the options;
# waits (bounded) until it answers /health; sets SPID
serve_start() {
	serve_run 0 "$PORT" "$ISS" "${SERVE_ARGS[@]}" "${STORE_ARGS[@]}" "$@"
}

# serve_start_n N [OPTION]...: start server N (1, 2, ...), another issuer
# beside server 0: SERVE_ARGS with its own port (SPORTS[N], chosen at its
# first start and kept), issuer SISS[N] (ISS with that port) and state
# directory $D/stateN (so its own key files), then the options. It shares
# server 0's definitions, keys and status list files; STORE_ARGS are not
# passed (hosts of one issuer on a shared database: tests/serve/pg.bash).
# Waits (bounded) as serve_start does; sets SPIDS[N]
serve_start_n() {
	local n=$1 i args=()
	shift
	[ "$n" -ge 1 ] 2>/dev/null || { echo "serve_start_n: no server number: $n" >&2; return 2; }
	[ -n "${SPORTS[$n]:-}" ] || SPORTS[$n]=$(free_port)
	SISS[$n]=${ISS/127.0.0.1:$PORT/127.0.0.1:${SPORTS[$n]}}
	mkdir -p "$D/state$n"
	for ((i = 0; i < ${#SERVE_ARGS[@]}; i++)); do
		case ${SERVE_ARGS[i]} in
		--issuer) args+=(--issuer "${SISS[$n]}"); i=$((i + 1)) ;;
		--state) args+=(--state "$D/state$n"); i=$((i + 1)) ;;
		--listen) args+=(--listen "127.0.0.1:${SPORTS[$n]}"); i=$((i + 1)) ;;
		*) args+=("${SERVE_ARGS[i]}") ;;
		esac
	done
	serve_run "$n" "${SPORTS[$n]}" "${SISS[$n]}" "${args[@]}" "$@"
}

# serve_stop_n N: stop server N (SIGTERM, a bounded wait, then SIGKILL);
# its exit status in SERVE_STATUS for server 0, SSTATUS[N] for the others
serve_stop_n() {
	local n=$1 i pid status=0
	if [ "$n" = 0 ]; then
		pid=${SPID:-}
	else
		pid=${SPIDS[$n]:-}
	fi
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "vci-serve ignored SIGTERM for 30 s; killed" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || status=$?
	if [ "$n" = 0 ]; then
		SERVE_STATUS=$status
	else
		SSTATUS[$n]=$status
	fi
	serve_pid_set "$n" ""
}

# serve_stop: stop every server this test started (serve_stop_n each),
# server 0 last; no stray process
serve_stop() {
	local n
	for n in "${!SPIDS[@]}"; do
		serve_stop_n "$n"
	done
	serve_stop_n 0
}

# offer CONFIG [VCI-OFFER OPTION]...: make an offer with vci-offer and
# import it into the server's state (with IMPORT_ARGS); prints the deep link
offer() {
	local cfg=$1
	shift
	printf '{"credential_configuration_id":"%s","claims":%s}\n' "$cfg" "$(claims "$cfg")" |
		vci-offer --issuer "$ISS" --defn "$D/$cfg.json" "$@" >"$D/offer.rec" || return 1
	vci-serve import --state "$STATE" "${IMPORT_ARGS[@]}" "$D/offer.rec" >/dev/null || return 1
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["offer_link"])' \
		"$D/offer.rec"
}

# offer_ref CONFIG [OPTION]...: the same, by reference
offer_ref() {
	local cfg=$1
	shift
	offer "$cfg" --by-reference "$ISS/offers" "$@"
}

# tx_of_last_offer: the transaction code of the last offer made by offer()
tx_of_last_offer() {
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["tx_code"])' "$D/offer.rec"
}

# holder [OPTION]...: run the holder simulator; its JSON result goes to
# $D/out.json; on failure prints the holder's message and the server's
# last log lines and fails
holder() {
	if [ -z "${1:-}" ]; then
		echo "holder: no offer (making the offer failed, see above)" >&2
		return 1
	fi
	if "$PY" "$HOLDER" "$@" --ca "$D/ca.crt" --timeout 120 >"$D/out.json" 2>"$D/holder.err"; then
		return 0
	fi
	echo "holder $*:" >&2
	cat "$D/holder.err" >&2
	echo "--- vci-serve stderr (last 20 lines):" >&2
	tail -n 20 "$D/server.err" >&2
	return 1
}

# result EXPR: a Python expression over the holder's result r, printed
result() {
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$D/out.json" "$1"
}

# apikey_add: a new API key from `vci-serve apikey add` (printed once)
apikey_add() {
	vci-serve apikey add --state "$STATE" "${STORE_ARGS[@]}" --name e2e >"$D/apikey.out" || return 1
	"$PY" -c 'import json, sys
t = open(sys.argv[1]).read().strip()
try:
    d = json.loads(t)
    print(d.get("key") or d.get("api_key"))
except ValueError:
    print(t.split()[-1])' "$D/apikey.out"
}

# admin_offer AUTH-HEADER CONFIG [TX_CODE]: POST /offers on the admin
# listener ($APORT); the answer goes to $D/admin.json, the HTTP status to
# $D/admin.status; prints credential_offer_uri on 2xx
admin_offer() {
	local body tx=""
	[ -n "${3:-}" ] && tx=",\"tx_code\":{\"value\":\"$3\",\"input_mode\":\"numeric\",\"length\":${#3}}"
	body=$(printf '{"credential_configuration_id":"%s","claims":%s%s}' "$2" "$(claims "$2")" "$tx")
	curl -sS -m 60 -o "$D/admin.json" -w '%{http_code}' -X POST -H "$1" \
		-H 'Content-Type: application/json' --data-binary "$body" \
		"http://127.0.0.1:$APORT/offers" >"$D/admin.status" || return 1
	case $(cat "$D/admin.status") in
	2??) "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {"offer_id", "credential_offer_uri"}, d
print(d["credential_offer_uri"])' "$D/admin.json" ;;
	esac
}

# make_tls_cert: a TLS server certificate for 127.0.0.1 signed by the test
# root ($D/tls.crt, $D/tls.key)
make_tls_cert() {
	cat >"$D/tls.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[tls]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
CNF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/tls.key" 2>/dev/null
	openssl req -new -key "$D/tls.key" -subj "/CN=127.0.0.1" -config "$D/tls.cnf" -out "$D/tls.csr"
	openssl x509 -req -in "$D/tls.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -set_serial 0x2001 \
		-days 30 -extfile "$D/tls.cnf" -extensions tls -out "$D/tls.crt" 2>/dev/null
}

# ---- what the system A, system C and EUDI shape files share -------------

# store_pg: with VCI_SERVE_TEST_PG=1 and VCI_TEST_PG (the throwaway cluster
# scripts/check starts, or scripts/pg-cluster's URL), the store is a new
# database there: STORE_ARGS gets --db URL (serve_start and apikey_add
# pass it); otherwise the SQLite store in $STATE
store_pg() {
	[ "${VCI_SERVE_TEST_PG:-}" = 1 ] || return 0
	[ -n "${VCI_TEST_PG:-}" ] || skip "VCI_SERVE_TEST_PG=1 without VCI_TEST_PG"
	# shellcheck source=tests/serve/pg.bash
	. "$SRC/tests/serve/pg.bash"
	pg_skip_unless_ready
	STORE_ARGS=(--db "$(pg_newdb)") || return 1
}

# store_fault_on EVENT TABLE CONDITION: from now on the store refuses the
# EVENT (UPDATE, DELETE, INSERT) of a TABLE row for which CONDITION (SQL
# over NEW or OLD) holds: a trigger aborts the statement, as a full disk
# or a lost database would (one such trigger per store)
store_fault_on() {
	if [ "${#STORE_ARGS[@]}" -gt 0 ]; then
		pg_psql "${STORE_ARGS[1]}" "CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'test fault'; END \$\$; CREATE TRIGGER test_fault BEFORE $1 ON $2 FOR EACH ROW WHEN ($3) EXECUTE FUNCTION test_fault()"
	else
		"$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=120)
c.execute("CREATE TRIGGER test_fault BEFORE %s ON %s WHEN (%s) "
          "BEGIN SELECT RAISE(ABORT, \x27test fault\x27); END" % tuple(sys.argv[2:5]))
c.commit()' "$STATE/vci.db" "$1" "$2" "$3"
	fi
}

# seed_setup: serve_init over TLS (ISS https://127.0.0.1:PORT with a
# certificate of the test root), the store (store_pg), a management port
# APORT and an API key KEY; RPID and HPID (a receiver, a holder in the
# background) empty for seed_teardown
seed_setup() {
	serve_skip_unless_ready
	command -v curl >/dev/null || skip "curl not installed"
	serve_init
	make_tls_cert
	ISS=https://127.0.0.1:$PORT
	store_pg
	APORT=$(free_port)
	KEY=$(apikey_add)
	RPID=
	HPID=
}

# seed_teardown: the background processes this test started, the server,
# and the test's PostgreSQL database
seed_teardown() {
	local p
	for p in "${HPID:-}" "${RPID:-}"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	serve_stop
	if [ "${#STORE_ARGS[@]}" -gt 0 ]; then
		pg_dropdbs
	fi
}

# receiver_start FILE SECRET-FILE: tests/serve/webhook-receiver.py on a
# free port (RPORT, RPID) writing what it gets to FILE; bounded wait
receiver_start() {
	RPORT=$(free_port)
	: >"$1"
	receiver_run "$@"
}

# receiver_run FILE SECRET-FILE [STATUS]: the receiver (RPID) on $RPORT,
# again after a stop, appending to FILE (answering STATUS when given);
# bounded wait
receiver_run() {
	local i
	"$PY" "$SRC/tests/serve/webhook-receiver.py" "$RPORT" "$2" "$1" "${@:3}" \
		>"$D/recv.out" 2>"$D/recv.err" &
	RPID=$!
	for i in $(seq 1 240); do
		grep -q '^port' "$D/recv.out" 2>/dev/null && return 0
		sleep 0.25
	done
	echo "the receiver did not start within 60 s" >&2
	cat "$D/recv.err" >&2
	return 1
}

# r EXPR: a Python expression over the last answer j ($D/r.json), printed
r() {
	"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$D/r.json" "$1"
}

# token_value TOKEN-FILE IDX URI: entry IDX of a served Token Status List
# JWT whose sub is URI, its signature checked with the issuer's
# certificate ($D/issuer.crt) by python3-jwcrypto, not by the toolkit
token_value() {
	"$PY" "$SRC/tests/serve/sl-entry.py" "$1" "$D/issuer.crt" "$2" "$3" | cut -d' ' -f1
}
