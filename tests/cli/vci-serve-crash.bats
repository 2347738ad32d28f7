#!/usr/bin/env bats
# vci-serve killed with SIGKILL during a load run, then restarted on the
# same --state (and, with PostgreSQL, one of two hosts on one database
# killed and restarted): nothing that was spent before the crash is
# accepted again (pre-authorized codes, c_nonces), no status index was
# handed out twice, and every credential a holder received has its
# exchange recorded. The load is four holder loops over imported offers,
# bounded in count (the offers) and time; no timing is asserted. Last, a
# full disk under the SQLite state directory.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"
load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/pg.bash"

setup() {
	serve_skip_unless_ready
	serve_init
	LOOPS=()
	HPIDS=()
}

# loops_wait: wait for the holder loops to see $D/stop and end (each ends
# after its current holder run; bounded at 150 s, then killed)
loops_wait() {
	local p i
	for i in $(seq 1 600); do
		for p in "${LOOPS[@]}"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "${p:-}" ] && break
		sleep 0.25
	done
	for p in "${LOOPS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	LOOPS=()
}

teardown() {
	touch "$D/stop"
	serve_stop
	loops_wait
	hosts_stop
	pg_dropdbs
	if mountpoint -q "$D/disk" 2>/dev/null; then
		umount "$D/disk" || true
	fi
}

# offers_batch CONFIG N [VCI-OFFER OPTION]...: N offers imported; their
# links and transaction codes appended to $D/links as "link tx|-"
offers_batch() {
	local cfg=$1 n=$2
	shift 2
	for _ in $(seq 1 "$n"); do
		printf '{"credential_configuration_id":"%s","claims":%s}\n' "$cfg" "$(claims "$cfg")"
	done | vci-offer --issuer "$ISS" --defn "$D/$cfg.json" "$@" >"$D/batch.rec" 2>/dev/null
	vci-serve import --state "$STATE" "$D/batch.rec" >/dev/null
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["offer_link"], r.get("tx_code", "-"))' "$D/batch.rec" >>"$D/links"
}

# load_loop K: run the holder over every 4th link from the K-th until the
# links run out, $D/stop appears or 90 s have passed
load_loop() {
	local k=$1 n=0 link tx
	local end=$((SECONDS + 90))
	while read -r link tx; do
		n=$((n + 1))
		[ $(((n - 1) % 4)) -eq "$k" ] || continue
		[ -e "$D/stop" ] && break
		[ "$SECONDS" -lt "$end" ] || break
		set -- "$link" --batch 2 --expect-status --timeout 60 --spent-log "$D/spent.$k"
		[ "$tx" != - ] && set -- "$@" --tx-code "$tx"
		"$PY" "$HOLDER" "$@" >/dev/null 2>>"$D/loop.$k.err" || true
	done <"$D/links"
}

# spent_count: credentials received so far by all loops
spent_count() {
	cat "$D"/spent.* 2>/dev/null | grep -c '"c_nonce"' || true
}

@test "kill -9 during load, restart on the same state: no code, c_nonce or status index is accepted or handed out again; every credential received has its exchange" {
	: >"$D/links"
	offers_batch pid 60
	offers_batch pid 40 --tx-code 6
	offers_batch mdl 40 --by-reference "$ISS/offers"
	offers_batch diploma 30
	# two offers kept for after the restart
	after1=$(offer pid)
	after2=$(offer mdl)

	serve_start
	for k in 0 1 2 3; do
		load_loop "$k" &
		LOOPS+=($!)
	done
	# wait (bounded) for a few credentials, then kill the server mid-run
	for _ in $(seq 1 240); do
		[ "$(spent_count)" -ge 12 ] && break
		sleep 0.25
	done
	kill -KILL "$SPID"
	wait "$SPID" 2>/dev/null || true
	SPID=
	touch "$D/stop"
	loops_wait
	cat "$D"/spent.* >"$D/all-spent.ndjson"
	echo "credentials received before the crash: $(spent_count)"
	[ "$(spent_count)" -ge 1 ]

	# restart on the same state and port (bounded retries if the port lingers)
	started=0
	for _ in 1 2 3 4 5; do
		if serve_start; then
			started=1
			break
		fi
		sleep 1
	done
	[ "$started" -eq 1 ]

	# a fresh flow after the restart works and joins the log
	holder "$after2" --batch 3 --expect-status --spent-log "$D/all-spent.ndjson"
	# every code and c_nonce spent before is refused; status entries distinct
	holder "$after1" --check-spent "$D/all-spent.ndjson"
	result 'r["spent_check"]["codes"], r["spent_check"]["c_nonces"], r["spent_check"]["status"]'
	serve_stop

	# the state: each credential's exchange recorded with its status
	# entries and notification id; each index allocated in its list file
	"$PY" - "$STATE" "$D/all-spent.ndjson" "$D" "$ISS" <<'PYEOF'
import glob, hashlib, json, os, sqlite3, sys, zlib
state, log, d, iss = sys.argv[1:]
dbs = []
for f in sorted(glob.glob(state + "/**", recursive=True)):
    if not os.path.isfile(f) or f.endswith(("-wal", "-shm", "-journal")):
        continue
    with open(f, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            continue
    db = sqlite3.connect("file:%s?mode=ro" % f, uri=True)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "exchanges" in names:
        dbs.append(db)
assert len(dbs) == 1, "expected one SQLite database with exchanges under %s" % state
db = dbs[0]
recs = [json.loads(l) for l in open(log) if l.strip()]
creds = [r for r in recs if "c_nonce" in r]
assert creds, "no credential in the log"
for r in creds:
    h = hashlib.sha256(r["of_code"].encode()).digest()
    rows = db.execute("SELECT e.id, e.issued, e.notification_id FROM exchanges e "
                      "JOIN offers o ON o.offer_id = e.offer_id WHERE o.code_hash = ?",
                      (h,)).fetchall()
    if not rows:
        rows = db.execute("SELECT e.id, e.issued, e.notification_id FROM exchanges e "
                          "JOIN offers o ON o.offer_id = e.offer_id WHERE o.code_hash = ?",
                          (h.hex(),)).fetchall()
    assert len(rows) == 1, "credential of config %s: %d exchanges for its code" % (r["config"], len(rows))
    xid, issued, nid = rows[0]
    assert issued, "exchange %s: credential received but not recorded as issued" % xid
    if r.get("notification_id"):
        assert nid == r["notification_id"], (nid, r["notification_id"])
    for s in r["status"]:
        got = db.execute("SELECT exchange_id FROM status WHERE uri = ? AND idx = ?",
                         (s["uri"], s["idx"])).fetchall()
        assert got == [(xid,)], "status %s#%d: %r, expected exchange %s" % (s["uri"], s["idx"], got, xid)
# every index received is marked allocated in its list file
lists = {iss + "/status/" + n: d + "/" + n + ".list" for n in ("pid", "mdl", "diploma")}
alloc = {}
for uri, path in lists.items():
    raw = open(path, "rb").read()
    first = raw.index(b"\n")
    second = raw.index(b"\n", first + 1)
    hdr = json.loads(raw[first + 1:second])
    body = raw[second + 1:]
    assert zlib.crc32(raw[:-4]).to_bytes(4, "big") == raw[-4:], path + ": CRC"
    nstat = (hdr["size"] * hdr["bits"] + 7) // 8
    amap = body[nstat:nstat + (hdr["size"] + 7) // 8]
    alloc[uri] = (amap, hdr)
n = 0
for r in creds:
    for s in r["status"]:
        amap, hdr = alloc[s["uri"]]
        assert amap[s["idx"] // 8] >> (s["idx"] % 8) & 1, "%s#%d not allocated" % (s["uri"], s["idx"])
        n += 1
print("%d credentials with their exchanges, %d status entries allocated" % (len(creds), n))
PYEOF
}

# ---- PostgreSQL: two hosts on one database, one of them killed ----

# pg_verify LOG: each credential of the log has its exchange recorded in
# the database (by its code's hash), issued, with its notification id and
# its token status list entries; nothing recorded twice
pg_verify() {
	"$PY" - "$PGDB" "$1" <<'PYEOF'
import hashlib, json, subprocess, sys
url, log = sys.argv[1:]
if url.startswith("pg:"):
    url = url[3:]
def q(sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url,
                          "-c", sql], check=True, capture_output=True, text=True).stdout
    return [l.split("|") for l in out.splitlines() if l]
creds = [r for r in (json.loads(l) for l in open(log) if l.strip()) if "c_nonce" in r]
assert creds, "no credential in the log"
n = 0
for r in creds:
    h = hashlib.sha256(r["of_code"].encode()).hexdigest()
    rows = q("SELECT e.id, e.issued IS NOT NULL, coalesce(e.notification_id, '') FROM exchanges e"
             " JOIN offers o ON o.offer_id = e.offer_id WHERE o.code_hash = '\\x%s'" % h)
    assert len(rows) == 1, "credential of %s: %d exchanges for its code" % (r["config"], len(rows))
    xid, issued, nid = rows[0]
    assert issued == "t", "exchange %s: received but not recorded as issued" % xid
    if r.get("notification_id"):
        assert nid == r["notification_id"], (nid, r["notification_id"])
    for s in r["status"]:
        if not s["uri"].endswith(("/status/pid", "/status/mdl")):
            continue  # the store records token status list entries
        got = q("SELECT exchange_id FROM status WHERE uri = '%s' AND idx = %d" % (s["uri"], s["idx"]))
        assert got == [[xid]], "status %s#%d: %r, expected %s" % (s["uri"], s["idx"], got, xid)
        n += 1
dup = q("SELECT count(*) - count(DISTINCT (uri, idx)) FROM status")
assert dup == [["0"]], dup
print("%d credentials with their exchanges, %d status entries recorded once" % (len(creds), n))
PYEOF
}

@test "PostgreSQL: kill -9 of one of two hosts during load, restart: nothing answered is lost or handed out twice" {
	pg_skip_unless_ready
	HPIDS=()
	db=$(pg_newdb)
	hosts_init 2 "$db"
	hosts_start
	: >"$D/links"
	pg_offers pid 60
	pg_offers pid 30 --tx-code 6
	pg_offers mdl 30 --by-reference "$ISS/offers"
	after1=$(pg_offer pid)
	after2=$(pg_offer mdl)
	# four loops, each request of a flow to the next host
	for k in 0 1 2 3; do
		flows_loop "$k" 4 "$(ports_from "$k")" &
		LOOPS+=($!)
	done
	for _ in $(seq 1 480); do
		[ "$(count_lines ok "$D"/flows.*)" -ge 8 ] && break
		sleep 0.25
	done
	host_stop 2 KILL
	# host 1 alone carries on for a while (flows sent to host 2 fail)
	sleep 2
	touch "$D/stop"
	loops_wait
	echo "flows before the restart: $(count_lines ok "$D"/flows.*) ok, $(count_lines fail "$D"/flows.*) failed"
	[ "$(count_lines ok "$D"/flows.*)" -ge 1 ]
	cat "$D"/spent.* >"$D/all-spent.ndjson"
	host_start 2
	# a fresh flow over both hosts, then every code and c_nonce spent
	# before is refused by both; status entries distinct
	"$PY" "$HOLDER" "$after2" --ca "$D/ca.crt" --batch 3 --expect-status \
		--connect-to "$(ports_from 1)" --spent-log "$D/all-spent.ndjson" >/dev/null
	"$PY" "$HOLDER" "$after1" --ca "$D/ca.crt" --connect-to "$(ports_from 0)" \
		--check-spent "$D/all-spent.ndjson" >"$D/check.json"
	hosts_stop
	pg_verify "$D/all-spent.ndjson"
	pg_dropdbs
}

# ---- SQLite: the state directory's disk full ----

# offers_until_503 PORT KEY MAX BODY: POST /offers on the admin listener
# (each one a write of a new offer) until an answer is 503 or MAX were
# sent; prints "ok=N other=N status=S retry_after=V"
offers_until_503() {
	"$PY" - "$@" <<'PYEOF'
import http.client, sys
port, key, most, body = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
ok = other = 0
status, retry = "-", "-"
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(most):
    c.request("POST", "/offers", body=body, headers={
        "Authorization": "Bearer " + key, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status in (200, 201):
        ok += 1
        continue
    status, retry = r.status, r.getheader("Retry-After") or "-"
    if r.status == 503:
        break
    other += 1
print("ok=%d other=%d status=%s retry_after=%s" % (ok, other, status, retry))
PYEOF
}

@test "SQLite: a full disk under the state directory: requests fail with 503 and Retry-After, the database stays consistent, service resumes when space returns" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs for the state directory"
	mkdir -p "$D/disk"
	mount -t tmpfs -o size=3m,mode=0700 tmpfs "$D/disk" ||
		skip "cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container)"
	STATE=$D/disk/state
	serve_issuer "$ISS"
	before=$(offer pid)
	after=$(offer pid)
	KEY=$(apikey_add)
	APORT=$(free_port)
	serve_start --admin-listen "127.0.0.1:$APORT"
	holder "$before" --expect-status --spent-log "$D/spent.ndjson"
	# fill the disk, then write until the store refuses (a sealed c_nonce
	# writes nothing: new offers on the admin listener are the writes)
	dd if=/dev/zero of="$D/disk/fill" bs=16k >/dev/null 2>&1 || true
	run offers_until_503 "$APORT" "$KEY" 20000 \
		"$(printf '{"credential_configuration_id":"pid","claims":%s}' "$(claims pid)")"
	echo "$output"
	echo "$output" | grep -q "status=503 retry_after=2"
	echo "$output" | grep -q "other=0 "
	# the server is up and answered cleanly: no 500 in its log
	kill -0 "$SPID"
	run grep -h '"status":50[0-24-9]' "$D/server.err"
	[ "$status" -ne 0 ]
	# space back: the database is intact and the service resumes
	rm -f "$D/disk/fill"
	"$PY" -c 'import sqlite3, sys
db = sqlite3.connect("file:%s/vci.db?mode=ro" % sys.argv[1], uri=True)
r = db.execute("PRAGMA integrity_check").fetchall()
assert r == [("ok",)], r' "$STATE"
	admin_offer "Authorization: Bearer $KEY" pid >/dev/null
	grep -qx 201 "$D/admin.status"
	holder "$after" --expect-status --spent-log "$D/spent.ndjson"
	# what was spent before the disk filled stays spent
	holder "$(offer pid)" --check-spent "$D/spent.ndjson"
	serve_stop
	umount "$D/disk"
}
