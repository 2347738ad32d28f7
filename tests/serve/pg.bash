# tests/serve/pg.bash - what the PostgreSQL tests of vci-serve share:
# a fresh database on the cluster of VCI_TEST_PG (scripts/check starts a
# throwaway one and sets it), and several vci-serve hosts on loopback
# ports sharing it. Loaded after lib.bash.

PG_CLUSTER=$SRC/scripts/pg-cluster

# pg_skip_unless_ready: skip, saying why, without VCI_TEST_PG or without
# the PostgreSQL driver in this build
pg_skip_unless_ready() {
	[ -n "${VCI_TEST_PG:-}" ] ||
		skip "PostgreSQL: VCI_TEST_PG is not set (scripts/check starts a throwaway cluster and sets it)"
	command -v psql >/dev/null || skip "PostgreSQL: psql not installed"
	if vci-serve apikey list --db "pg:dbname=none" 2>&1 | grep -q "no PostgreSQL driver"; then
		skip "PostgreSQL: this build has no PostgreSQL driver (configure --with-postgresql)"
	fi
}

# pg_url BASE NAME: BASE (a URL or pg:CONNINFO) naming database NAME
pg_url() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys, urllib.parse
base, name = sys.argv[1:]
if base.startswith("pg:"):
    print("%s dbname=%s" % (base, name))
else:
    u = urllib.parse.urlsplit(base)
    print("%s://%s/%s%s" % (u.scheme, u.netloc, name, "?" + u.query if u.query else ""))
PYEOF
}

# pg_psql URL SQL: run SQL on the database of URL; rows as "a|b" lines
pg_psql() {
	local url=$1
	shift
	case $url in
	pg:*) psql -X -q -At -v ON_ERROR_STOP=1 -d "${url#pg:}" -c "$@" ;;
	*) psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" -c "$@" ;;
	esac
}

# pg_newdb [BASE]: a new, empty database on the cluster of BASE (default
# VCI_TEST_PG); prints its URL and records it for pg_dropdbs
pg_newdb() {
	local base=${1:-$VCI_TEST_PG} name
	name=vci_t_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	pg_psql "$base" "CREATE DATABASE $name" || return 1
	echo "$base $name" >>"$BATS_TEST_TMPDIR/pg-dbs"
	pg_url "$base" "$name"
}

# pg_dropdbs: drop the databases pg_newdb made (teardown)
pg_dropdbs() {
	local base name
	[ -f "$BATS_TEST_TMPDIR/pg-dbs" ] || return 0
	while read -r base name; do
		pg_psql "$base" "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
	done <"$BATS_TEST_TMPDIR/pg-dbs"
	rm -f "$BATS_TEST_TMPDIR/pg-dbs"
}

# hosts_init N DB: N hosts of one issuer ($ISS, the first host's port) on
# database DB: ports in HPORTS, state (key) directories $D/hostK; the
# status list files are shared (one machine: flock keeps them unique)
hosts_init() {
	local n=$1 k
	PGDB=$2
	HPORTS=("$PORT")
	HPIDS=()
	for k in $(seq 2 "$n"); do
		HPORTS+=("$(free_port)")
	done
}

# host_args K: the server arguments of host K (1-based); HPID_LIST
# (e.g. db:pid) names pid's status list instead of the shared file
host_args() {
	local k=$1
	HARGS=(--issuer "$ISS" --defn "$D/pid.json" --defn "$D/mdl.json" --defn "$D/diploma.json"
		--key "$D/issuer.key" --cert "$D/issuer.crt" --state "$D/host$k" --db "$PGDB"
		--listen "127.0.0.1:${HPORTS[$((k - 1))]}"
		--status-list "pid=${HPID_LIST:-$D/pid.list}" --status-list "mdl=$D/mdl.list"
		--status-list "diploma=$D/diploma.list")
}

# host_start K [OPTION]...: start host K, wait (bounded) until it listens
host_start() {
	local k=$1 i pid port
	shift
	host_args "$k"
	port=${HPORTS[$((k - 1))]}
	vci-serve run "${HARGS[@]}" "$@" 2>>"$D/host$k.err" >/dev/null &
	pid=$!
	HPIDS[$k]=$pid
	for i in $(seq 1 240); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "host $k exited at start:" >&2
			tail -n 20 "$D/host$k.err" >&2
			HPIDS[$k]=
			return 1
		fi
		curl -fsS -m 5 "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	echo "host $k did not answer within 60 s" >&2
	return 1
}

# hosts_start: host 1 first (it makes the key files in $D/host1), then
# the others with a copy of them, as an operator copies them to each host
hosts_start() {
	local k
	host_start 1 || return 1
	for k in $(seq 2 "${#HPORTS[@]}"); do
		rm -rf "$D/host$k"
		cp -a "$D/host1" "$D/host$k"
		host_start "$k" || return 1
	done
}

# host_stop K [SIGNAL]: stop host K (SIGTERM, bounded, then SIGKILL); its
# exit status in HSTATUS[K]
host_stop() {
	local k=$1 sig=${2:-TERM} pid i
	pid=${HPIDS[$k]:-}
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "$pid" 2>/dev/null || true
	HSTATUS[$k]=0
	wait "$pid" 2>/dev/null || HSTATUS[$k]=$?
	HPIDS[$k]=
}

hosts_stop() {
	local k
	for k in "${!HPIDS[@]}"; do
		host_stop "$k"
	done
}

# ports_from K: the hosts' ports as a --connect-to list, from host K round
ports_from() {
	local k=$1 n=${#HPORTS[@]} i out=""
	for i in $(seq 0 $((n - 1))); do
		out="$out,${HPORTS[$(((k + i) % n))]}"
	done
	echo "${out#,}"
}

# pg_offers CONFIG N [VCI-OFFER OPTION]...: N offers imported into the
# shared database; "link tx|-" lines appended to $LINKS ($D/links)
pg_offers() {
	local cfg=$1 n=$2
	shift 2
	for _ in $(seq 1 "$n"); do
		printf '{"credential_configuration_id":"%s","claims":%s}\n' "$cfg" "$(claims "$cfg")"
	done | vci-offer --issuer "$ISS" --defn "$D/$cfg.json" "$@" >"$D/batch.rec" 2>/dev/null
	vci-serve import --db "$PGDB" --state "$D/host1" "$D/batch.rec" >/dev/null || return 1
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["offer_link"], r.get("tx_code", "-"))' "$D/batch.rec" >>"${LINKS:-$D/links}"
}

# pg_offer CONFIG [VCI-OFFER OPTION]...: one offer imported; prints its link
pg_offer() {
	local cfg=$1
	shift
	: >"$D/one.links"
	LINKS=$D/one.links pg_offers "$cfg" 1 "$@" || return 1
	cut -d' ' -f1 "$D/one.links"
}

# flows_loop K STEP PORTS: run the holder over every STEP-th link from the
# K-th (0-based) with --connect-to PORTS; a line "ok" or "fail" per flow
# in $D/flows.K; stops at $D/stop or after 150 s
flows_loop() {
	local k=$1 step=$2 ports=$3 n=0 link tx
	local end=$((SECONDS + 150))
	while read -r link tx; do
		n=$((n + 1))
		[ $(((n - 1) % step)) -eq "$k" ] || continue
		[ -e "$D/stop" ] && break
		[ "$SECONDS" -lt "$end" ] || break
		set -- "$link" --batch 2 --expect-status --timeout 60 --ca "$D/ca.crt" \
			--connect-to "$ports" --spent-log "$D/spent.$k"
		[ "$tx" != - ] && set -- "$@" --tx-code "$tx"
		if "$PY" "$HOLDER" "$@" >/dev/null 2>>"$D/loop.$k.err"; then
			echo ok >>"$D/flows.$k"
		else
			echo fail >>"$D/flows.$k"
		fi
	done <"$D/links"
}

# count_lines PATTERN FILE...: lines equal to PATTERN in the files
count_lines() {
	local p=$1
	shift
	cat "$@" 2>/dev/null | grep -cx "$p" || true
}
