#!/bin/sh
# bench/serve.sh [N] - N (default 2000) complete OID4VCI flows against
# vci-serve on 127.0.0.1: token request with DPoP (pre-authorized code),
# nonce, credential request with one proof JWT, an SD-JWT VC (dc+sd-jwt,
# the PID definition of examples/definitions/ with a token status list)
# issued per flow. Runs bench/load-client once saturated (BENCH_CONCURRENCY
# flows in flight, default 64) and once at half the saturated rate, and
# prints flows/s, p50/p99 latency, the server's peak RSS (VmHWM), its CPU
# seconds per flow (utime + stime from /proc) against the crypto it must
# do per flow: three ECDSA P-256 verifies (DPoP at the token and
# credential endpoints, the proof JWT) and one ES256 signature, rated by
# `openssl speed -seconds 2 ecdsap256` in the same run. Goals (issue 13):
# ratio >= 0.5, p99 < 20 ms at half the saturated rate, RSS < 32 MB.
#   cd build && ../bench/serve.sh 2000
# Builds what it needs when run from a build directory (make
# src/tools/vci-serve ... bench/load-client). Needs openssl, curl, jq and
# python3 (to find a free port; PYTHON3 names it, default /usr/bin/python3).
# Environment: BENCH_CONCURRENCY (64), BENCH_THREADS (vci-serve --threads,
# default the server's), BENCH_ISSUER (the issuer identifier, default
# https://issuer.example.com, served as behind a TLS-terminating proxy),
# BENCH_PERF=FILE (a perf profile of the server with call graphs during
# the saturated run; perf report -i FILE --children), BENCH_NO_STATUS=1
# (the definition without its status list), BENCH_SYSCALLS=0 (no perf
# stat count of the server's fdatasync calls and context switches), TMPDIR (where the state
# lives: on tmpfs fsync costs nothing, so use the disk a deployment
# would use).
#   bench/serve.sh --db URL [--servers K] [N]: the store in PostgreSQL
# (URL: a database the run may fill; e.g. scripts/pg-cluster createdb),
# K (1 or more, default 1) server processes of one issuer sharing it, the
# flows split between them (one load client each, at once); CPU per flow
# sums the servers'.
# Measured (2-core VM shared with other work, load average 2.2-3.1,
# ext4, 2000 flows, the server before and after in turn, 4 pairs): ratio
# 0.20-0.25 (1.05-1.40 ms of server CPU per flow, 0.27-0.29 ms of
# crypto; ratio 0.18-0.22 and 1.21-1.55 ms before the access log and
# the JSON responses were written in one pass, the SAVEPOINT journals
# kept in memory and the token's offer read skipped), 0.8-1.1
# fdatasync and 6-8 context switches per flow, 460-810 flows/s, peak RSS
# 18 MB, p99 at half rate 12-147 ms (the other work on the machine moves
# it; a synchronous 4 KiB write took 0.2 ms). Where a flow's server CPU
# goes (perf, --threads 2): the three verifies and the signature 29%, the
# commit (WAL writes, fdatasync, checkpoints) 21%, the writer's SQL
# statements 14%, HTTP over loopback and thread wake-ups in the kernel
# 12%, libc, jansson, MHD and our own code the rest. A commit made
# inline by the thread that brings the write (leader/follower, no writer
# thread) was measured and dropped: a worker blocked in its own fsync
# gathers no other write, 3.1 fdatasync per flow, 1.7 ms of CPU per flow.
# With sealed c_nonces (two writes per flow; load average 0.2-0.6, three
# runs): ratio 0.24-0.28 (0.93-1.09 ms per flow; writer thread 0.31-0.37,
# HTTP workers 0.62-0.73), 0.8-0.9 fdatasync, 48-50 pwrite and 5 context
# switches per flow, 910-1080 flows/s, p99 at half rate 8-18 ms, RSS 18
# MB; HTTP floor 0.06-0.07 ms and commit floor 0.05-0.06 ms per flow,
# ratio at most 0.68 with nothing else. A commit held for announced
# requests still computing was tried and dropped (0.9 -> 0.8 fdatasync
# per flow, CPU per flow unchanged within the noise).
# With sealed access tokens (no tokens row: one INSERT and its index
# fewer per flow, no token read at the credential endpoint; load average
# 1.1-2.2, the server before and after in turn, 4 pairs): ratio 0.26-0.28
# (0.99-1.09 ms per flow; writer thread 0.305-0.325, HTTP workers
# 0.665-0.745) against 0.22-0.29 before (1.005-1.21 ms; writer 0.315-0.400,
# workers 0.685-0.800); 38-40 pwrite per flow against 44-46, 0.7-0.8
# fdatasync either way, 680-840 flows/s against 560-700.
# Then with ids that start with their time in milliseconds, schema
# version 8 (no tokens or nonces table) and the DPoP URI normalised once
# per thread (load average 0.8-1.3, against the server before in turn, 3
# pairs): ratio 0.27-0.30 against 0.23-0.27 (0.865-0.94 ms per flow against
# 0.985-1.14; writer 0.235-0.285 against 0.315-0.38, workers 0.60-0.665
# against 0.655-0.75), 33-38 pwrite per flow against 46-50, p99 at half
# rate 7 ms; BENCH_CONCURRENCY=32: 0.32 either way. wal_autocheckpoint
# 8000 was tried and dropped (1.05-1.3 ms per flow).
# The default concurrency was 8 until then, which did not saturate the
# server: it took one core of two and the rate still rose with more
# flows in flight (load average 0.4-1.3, two runs each, flows/s and
# ratio): 8: 1130-1220, 0.28-0.30; 16: 1475-1555, 0.31-0.32; 32:
# 1575-1635, 0.33-0.36; 64: 1675-1875, 0.34-0.37; 128: 1930, 0.38; 256:
# 1790, 0.35. So the saturated run now has 64 flows in flight (p99 at half
# that rate 10 ms). CPU per flow falls as the load rises (1.14 ms at half
# rate against 0.76 saturated in the same run): a thread that waits for
# work wakes for each request, and the commits are shared by more writes
# (0.3-0.4 fdatasync per flow at 64 against 0.8 at 8).
set -eu
db=
nsrv=1
while [ $# -gt 0 ]; do
	case $1 in
	--db) db=$2; shift 2 ;;
	--servers) nsrv=$2; shift 2 ;;
	*) break ;;
	esac
done
case $nsrv in '' | *[!0-9]* | 0) echo "serve.sh: --servers K, K >= 1" >&2; exit 2 ;; esac
[ "$nsrv" -eq 1 ] || [ -n "$db" ] || { echo "serve.sh: --servers needs --db" >&2; exit 2; }
n=${1:-2000}
conc=${BENCH_CONCURRENCY:-64}
src=$(cd "$(dirname "$0")/.." && pwd)
case $n in '' | *[!0-9]*) echo "serve.sh: N must be a number" >&2; exit 2 ;; esac
[ "$n" -ge 10 ] || { echo "serve.sh: N must be at least 10" >&2; exit 2; }

if [ -f Makefile ]; then
	targets=
	for t in src/tools/vci-serve src/tools/vci-offer src/tools/vci-statuslist bench/load-client; do
		grep -q "^$t\$(EXEEXT):" Makefile && targets="$targets $t"
	done
	# shellcheck disable=SC2086 # a list of make targets
	[ -z "$targets" ] || make -s -j2 $targets >/dev/null
fi
tool() { # tool NAME VAR: ./src/tools/NAME, $VAR, or PATH
	eval "t=\${$2:-./src/tools/$1}"
	[ -x "$t" ] || t=$(command -v "$1") || { echo "serve.sh: $1 not found" >&2; exit 2; }
	echo "$t"
}
serve=$(tool vci-serve VCI_SERVE)
offer=$(tool vci-offer VCI_OFFER)
statuslist=$(tool vci-statuslist VCI_STATUSLIST)
client=${BENCH_LOAD_CLIENT:-./bench/load-client}
[ -x "$client" ] || { echo "serve.sh: $client not built (make bench/load-client)" >&2; exit 2; }
for t in openssl curl jq; do
	command -v "$t" >/dev/null || { echo "serve.sh: $t not found" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vci-serve-bench.XXXXXX")
pid=
more_pids=
more_clients=
perf_pid=
stat_pid=
client_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in $client_pid $more_clients $more_pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $stat_pid $perf_pid; do
		kill -INT "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

free_port() { # a port the kernel hands out on 127.0.0.1 now
	${PYTHON3:-/usr/bin/python3} -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
srv=http://127.0.0.1:$port
# The issuer as a deployment names it, behind a reverse proxy that
# terminates TLS: the proofs' aud and htu name it, the requests go to srv.
iss=${BENCH_ISSUER:-https://issuer.example.com}
warm=$((n / 5 > 200 ? 200 : n / 5))
total=$((warm + 2 * n))

# Issuer key and certificate; the PID definition without the attestations
# it asks of wallets (the bench's wallet has none), with its status list.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/issuer.key" 2>/dev/null
openssl req -x509 -new -key "$work/issuer.key" -subj "/CN=vci-serve bench issuer" -days 2 \
	-addext keyUsage=digitalSignature -out "$work/issuer.crt" 2>/dev/null
status_args=
if [ -n "${BENCH_NO_STATUS:-}" ]; then
	jq 'del(.key_binding.key_attestation_required, .wallet_attestation_required, .status)' \
		"$src/examples/definitions/pid.json" >"$work/pid.json"
else
	jq 'del(.key_binding.key_attestation_required, .wallet_attestation_required)' \
		"$src/examples/definitions/pid.json" >"$work/pid.json"
	size=$((total * 16 > 131072 ? total * 16 : 131072))
	"$statuslist" new --uri "$iss/status/pid" --size "$size" --output "$work/pid.status"
	status_args="--status-list pid=$work/pid.status"
fi

# One offer per flow, imported into a new state.
i=0
while [ "$i" -lt "$total" ]; do
	printf '{"claims":{"given_name":"Erika%d","family_name":"Mustermann","birthdate":"1964-08-12",' "$i"
	printf '"nationalities":["DE"],"address":{"street_address":"Heidestrasse %d",' "$((i % 200 + 1))"
	printf '"locality":"Berlin","postal_code":"10557","country":"DE"},"age_equal_or_over":{"18":true},'
	printf '"issuing_country":"DE","issuing_authority":"DE"}}\n'
	i=$((i + 1))
done >"$work/records.ndjson"
"$offer" --issuer "$iss" --config pid --defn "$work/pid.json" --ttl 7200 --no-progress \
	"$work/records.ndjson" >"$work/offers.ndjson" 2>"$work/offer.err" ||
	{ cat "$work/offer.err" >&2; exit 1; }
mkdir "$work/state"
"$serve" import --state "$work/state" ${db:+--db "$db"} "$work/offers.ndjson" \
	>"$work/import.out" 2>&1 || { cat "$work/import.out" >&2; exit 1; }

# shellcheck disable=SC2086 # status_args is empty or two words without spaces
"$serve" run --issuer "$iss" --defn "$work/pid.json" --key "$work/issuer.key" \
	--cert "$work/issuer.crt" --state "$work/state" --listen "127.0.0.1:$port" $status_args \
	${db:+--db "$db"} ${BENCH_THREADS:+--threads "$BENCH_THREADS"} --log "$work/access.log" \
	>"$work/server.out" 2>"$work/server.err" &
pid=$!
srvs=$srv
k=1
while [ "$k" -lt "$nsrv" ]; do # the other servers of --servers K: the same issuer and keys
	sleep 1
	p=$(free_port)
	cp -a "$work/state" "$work/state$k"
	# shellcheck disable=SC2086
	"$serve" run --issuer "$iss" --defn "$work/pid.json" --key "$work/issuer.key" \
		--cert "$work/issuer.crt" --state "$work/state$k" --listen "127.0.0.1:$p" \
		$status_args --db "$db" ${BENCH_THREADS:+--threads "$BENCH_THREADS"} \
		--log "$work/access$k.log" >/dev/null 2>"$work/server$k.err" &
	more_pids="$more_pids $!"
	srvs="$srvs http://127.0.0.1:$p"
	k=$((k + 1))
done
for s in $srvs; do
	i=0
	until curl -fsS -o /dev/null "$s/health" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 200 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "serve.sh: vci-serve did not come up on $s:" >&2
			tail -n 20 "$work"/server*.err >&2
			exit 1
		fi
		sleep 0.1
	done
done

ticks=$(getconf CLK_TCK)
cpu_ticks() { # "utime stime" of the servers (fields 14 and 15 of stat; comm may hold spaces)
	for p in $pid $more_pids; do sed 's/^.*) //' "/proc/$p/stat"; done |
		awk '{ u += $12; s += $13 } END { print u, s }'
}
thread_ticks() { # "writer workers other": the first server's ticks by thread (name in field 2)
	for t in /proc/"$pid"/task/*/stat; do cat "$t" 2>/dev/null; done |
		awk '{ c = $0; sub(/^[^(]*\(/, "", c); name = c; sub(/\).*$/, "", name)
			sub(/^.*\) /, "", c); split(c, f, " "); t = f[12] + f[13]
			if (name == "vci-store-write") w += t; else if (name ~ /^MHD/) m += t; else o += t }
			END { print w + 0, m + 0, o + 0 }'
}
result() { # result KEY: a value of the load client's RESULT line in $work/run.out
	sed -n "s/^RESULT .*[ ]$1=\\([^ ]*\\).*/\\1/p" "$work/run.out"
}
load() { # load FLOWS SKIP [RATE]: one run of the load client; output in $work/run.out
	if [ "$nsrv" -gt 1 ]; then
		load_split "$@"
		return
	fi
	# in the background, so that a signal to this script acts at once
	"$client" --issuer "$iss" --server "$srv" --offers "$work/offers.ndjson" --flows "$1" \
		--skip "$2" --concurrency "$conc" ${3:+--rate "$3"} >"$work/run.out" 2>"$work/run.err" &
	client_pid=$!
	rc=0
	wait "$client_pid" || rc=$?
	client_pid=
	if [ "$rc" -ne 0 ]; then
		cat "$work/run.out" "$work/run.err" >&2
		echo "serve.sh: the load client met errors (the server's messages and access log end so:)" >&2
		tail -n 5 "$work/server.err" "$work/access.log" >&2
		exit 1
	fi
}

# --servers K: FLOWS split between the servers, one load client each at
# once (rate and concurrency split too); run.out holds the first client's
# lines and a RESULT line of them all: rates and CPU summed, the longest
# wall time, the worst p99.
load_split() {
	per=$(($1 / nsrv))
	k=0
	more_clients=
	for s in $srvs; do
		"$client" --issuer "$iss" --server "$s" --offers "$work/offers.ndjson" --flows "$per" \
			--skip "$(($2 + k * per))" --concurrency "$(((conc + nsrv - 1) / nsrv))" \
			${3:+--rate "$(($3 / nsrv > 0 ? $3 / nsrv : 1))"} >"$work/run.out.$k" \
			2>"$work/run.err.$k" &
		more_clients="$more_clients $!"
		k=$((k + 1))
	done
	rc=0
	for p in $more_clients; do wait "$p" || rc=$?; done
	more_clients=
	if [ "$rc" -ne 0 ]; then
		cat "$work"/run.out.* "$work"/run.err.* >&2
		echo "serve.sh: a load client met errors" >&2
		exit 1
	fi
	{ grep -v '^RESULT' "$work/run.out.0"; grep -h '^RESULT' "$work"/run.out.*; } | awk '
		/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2]
			if (kv[1] == "rate" || kv[1] == "client_cpu") sum[kv[1]] += kv[2]
			else if (kv[2] + 0 > max[kv[1]] + 0) max[kv[1]] = kv[2] } next }
		{ print }
		END { printf "RESULT servers=%d rate=%.2f wall=%s client_cpu=%.3f p99_ms=%s\n", n,
			sum["rate"], max["wall"], sum["client_cpu"], max["p99_ms"] }' n="$nsrv" >"$work/run.out"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
load "$warm" 0
# What a durable commit costs on the state's filesystem now: 200
# synchronous 4 KiB overwrites (O_DSYNC, as write + fdatasync). A flow
# waits for its commits one after another, so this bounds its latency.
dd if=/dev/zero of="$work/state/sync.test" bs=4096 count=200 2>/dev/null
sync_ms=$(LC_ALL=C dd if=/dev/zero of="$work/state/sync.test" bs=4096 count=200 oflag=dsync \
	conv=notrunc 2>&1 | sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p' | awk '{ printf "%.2f", $1 / 200 * 1e3 }')
# The CPU (mostly the kernel's) one such write costs: 2000 of them, as
# the children's CPU time seen by python3.
sync_cpu=$(${PYTHON3:-/usr/bin/python3} -c 'import resource, subprocess, sys
a = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
b = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % ((b.ru_utime - a.ru_utime + b.ru_stime - a.ru_stime) / 2000 * 1e3))' \
	dd if=/dev/zero of="$work/state/sync.test" bs=4096 count=2000 oflag=dsync conv=notrunc) ||
	sync_cpu=
rm -f "$work/state/sync.test"
# Durable commits and context switches of the server per flow, counted
# by perf stat when this machine lets us (tracepoints; cheap).
events=syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,context-switches,syscalls:sys_enter_pwrite64
if [ "${BENCH_SYSCALLS:-1}" != 0 ] && command -v perf >/dev/null &&
   perf stat -e "$events" -o /dev/null true >/dev/null 2>&1; then
	perf stat -e "$events" -x, -o "$work/syscalls" -p "$pid" >/dev/null 2>&1 &
	stat_pid=$!
	sleep 0.5
fi
c0=$(cpu_ticks)
t0=$(thread_ticks)
if [ -n "${BENCH_PERF:-}" ]; then
	# DWARF unwinding: the libraries are built without frame pointers
	perf record -F "${BENCH_PERF_FREQ:-499}" --call-graph dwarf,16384 -o "$BENCH_PERF" -p "$pid" \
		2>"$work/perf.err" >/dev/null &
	perf_pid=$!
	sleep 1
fi
load "$n" "$warm"
c1=$(cpu_ticks)
t1=$(thread_ticks)
if [ -n "$stat_pid" ]; then
	kill -INT "$stat_pid" 2>/dev/null || true
	wait "$stat_pid" 2>/dev/null || true
	stat_pid=
	syncs=$(awk -F, -v n="$n" '/fdatasync|fsync/ { s += $1 } END { printf "%.1f", s / n }' "$work/syscalls")
	switches=$(awk -F, -v n="$n" '/context-switches/ { printf "%.0f", $1 / n }' "$work/syscalls")
	# SQLite writes a WAL frame (header, then page) in two pwrite calls
	pwrites=$(awk -F, -v n="$n" '/pwrite64/ { printf "%.0f", $1 / n }' "$work/syscalls")
fi
if [ -n "$perf_pid" ]; then
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" 2>/dev/null || true
	perf_pid=
fi
cp "$work/run.out" "$work/sat.out"
sat_rate=$(result rate)
sat_wall=$(result wall)
sat_client=$(result client_cpu)
half=$(awk -v r="$sat_rate" 'BEGIN { h = int(r / 2); print (h < 1 ? 1 : h) }')
load "$n" "$((warm + n))" "$half"
cp "$work/run.out" "$work/half.out"
c2=$(cpu_ticks)
half_wall=$(result wall)
half_client=$(result client_cpu)
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")
# The HTTP floor: as many flows again, saturated, each three POST /nonce
# (no store, no signature: a sealed c_nonce is one HMAC), so the server
# CPU a flow's three requests cost before any of its work.
c3=$c2
c4=$c2
if [ "$nsrv" -eq 1 ]; then
	c3=$(cpu_ticks)
	"$client" --issuer "$iss" --server "$srv" --offers "$work/offers.ndjson" --flows "$n" \
		--concurrency "$conc" --nonce-only >"$work/floor.out" 2>"$work/floor.err" &
	client_pid=$!
	rc=0
	wait "$client_pid" || rc=$?
	client_pid=
	[ "$rc" -eq 0 ] || { cat "$work/floor.out" "$work/floor.err" >&2; exit 1; }
	c4=$(cpu_ticks)
fi

# openssl speed prints " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  12000.0":
# sign/s and verify/s last, per second of its user CPU time (the server's
# side is CPU time too, so other load on the machine moves neither much).
rates=$(openssl speed -seconds 2 ecdsap256 2>/dev/null |
	awk '/ecdsa \(nistp256\)/ { s = $(NF-1); v = $NF } END { print s, v }')
osign=${rates% *}
overify=${rates#* }
case $osign$overify in
*[0-9]*[0-9]*) ;;
*) echo "serve.sh: openssl speed ecdsap256 printed no rates" >&2; exit 1 ;;
esac

echo "load average before the runs: $load0 (other work on the machine moves flows/s and p99; CPU per flow less)"
echo "vci-serve, $n flows per run (token with DPoP, nonce, credential with one proof JWT; SD-JWT VC"
echo "with ${BENCH_NO_STATUS:+no }status list), concurrency $conc, state on $(stat -f -c %T "$work/state"), $(nproc) cores"
[ -z "$db" ] || echo "store: PostgreSQL (--db), $nsrv server process(es) sharing it; the lines of one load client shown, RESULT of all"
echo "synchronous write: ${sync_ms:-?} ms per 4 KiB (dd oflag=dsync on the state's filesystem, before the runs)"
echo "saturated:"
sed -n 's/^\(flows\/s\|flow\|token\|nonce\|credential\) *:* */  &/p' "$work/sat.out"
[ -z "${syncs:-}" ] || echo "  server:       $syncs fdatasync/fsync, $pwrites pwrite (2 per WAL frame) and $switches context switches per flow (perf stat)"
[ "$nsrv" -eq 1 ] || echo "  all $nsrv:        $sat_rate flows/s, flow p99 $(sed -n 's/^RESULT .* p99_ms=\([^ ]*\).*/\1/p' "$work/sat.out") ms (the worst client's)"
echo "at half the saturated rate ($half flows/s asked):"
sed -n 's/^\(flows\/s\|schedule\|flow\|token\|nonce\|credential\) *:* */  &/p' "$work/half.out"
[ "$nsrv" -eq 1 ] || echo "  all $nsrv:        $(sed -n 's/^RESULT .* rate=\([^ ]*\).*/\1/p' "$work/half.out") flows/s, flow p99 $(sed -n 's/^RESULT .* p99_ms=\([^ ]*\).*/\1/p' "$work/half.out") ms (the worst client's)"
awk -v n="$n" -v u0="${c0% *}" -v s0="${c0#* }" -v u1="${c1% *}" -v s1="${c1#* }" \
	-v u2="${c2% *}" -v s2="${c2#* }" -v tk="$ticks" -v sw="$sat_wall" \
	-v sc="$sat_client" -v hw="$half_wall" -v hc="$half_client" -v rss="$rss" \
	-v os="$osign" -v ov="$overify" -v ncpu="$(nproc)" -v nsrv="$nsrv" \
	-v u3="${c3% *}" -v s3="${c3#* }" -v u4="${c4% *}" -v s4="${c4#* }" \
	-v syncs="${syncs:-}" -v sync_cpu="${sync_cpu:-}" -v t0="$t0" -v t1="$t1" \
	-v hp99="$(sed -n 's/^RESULT .* p99_ms=\([^ ]*\).*/\1/p' "$work/half.out")" 'BEGIN {
	scpu = (u1 + s1 - u0 - s0) / tk; hcpu = (u2 + s2 - u1 - s1) / tk
	per = scpu / n
	crypto = 3 / ov + 1 / os
	ratio = crypto / per
	printf "server CPU:      %.3f ms per flow saturated (%.2f s; user %.3f ms, system %.3f ms), %.3f ms at half rate\n",
		per * 1e3, scpu, (u1 - u0) / tk / n * 1e3, (s1 - s0) / tk / n * 1e3, hcpu / n * 1e3
	split(t0, a, " "); split(t1, b, " ")
	if (nsrv == 1)
		printf "by thread:       the store writer %.3f ms, the HTTP workers %.3f ms, the rest %.3f ms per flow saturated\n",
			(b[1] - a[1]) / tk / n * 1e3, (b[2] - a[2]) / tk / n * 1e3, (b[3] - a[3]) / tk / n * 1e3
	printf "machine share:   saturated: server %.2f cores, client %.2f cores of %d; half rate: server %.2f, client %.2f\n",
		scpu / sw, sc / sw, ncpu, hcpu / hw, hc / hw
	printf "client CPU:      %.3f ms per flow saturated (key generation before the run not counted)\n", sc / n * 1e3
	printf "crypto per flow: %.3f ms = 3 ECDSA P-256 verifies (%.0f/s) + 1 sign (%.0f/s), openssl speed, CPU time\n",
		crypto * 1e3, ov, os
	printf "ratio:           %.2f (crypto-bound CPU per flow / server CPU per flow; goal >= 0.5)  %s\n",
		ratio, (ratio >= 0.5 ? "met" : "NOT met")
	if (u4 + s4 > u3 + s3) {
		http = (u4 + s4 - u3 - s3) / tk / n
		printf "HTTP floor:      %.3f ms per flow: three POST /nonce, no store, no signature (saturated)\n", http * 1e3
		if (syncs != "" && sync_cpu != "") {
			commit = syncs * sync_cpu / 1e3
			printf "commit floor:    %.3f ms per flow: %s fdatasync x %.3f ms of CPU per synchronous 4 KiB write\n",
				commit * 1e3, syncs, sync_cpu
			printf "ratio at most:   %.2f with nothing but the crypto and these two floors\n",
				crypto / (crypto + http + commit)
		}
	}
	printf "p99 at half:     %.2f ms (goal < 20 ms)  %s\n", hp99, (hp99 < 20 ? "met" : "NOT met")
	printf "peak RSS:        %.1f MB (VmHWM; goal < 32 MB)  %s\n", rss / 1024, (rss < 32 * 1024 ? "met" : "NOT met")
}'
[ -n "${BENCH_PERF:-}" ] && echo "profile:         $BENCH_PERF (perf report -i $BENCH_PERF --children)"
exit 0
