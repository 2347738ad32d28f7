#!/usr/bin/env bats
# vci-serve killed with SIGKILL during a load run, then restarted on the
# same --state: nothing that was spent before the crash is accepted again
# (pre-authorized codes, c_nonces), no status index was handed out twice,
# and every credential a holder received has its exchange recorded. The
# load is four holder loops over imported offers, bounded in count (the
# offers) and time; no timing is asserted.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
	LOOPS=()
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
