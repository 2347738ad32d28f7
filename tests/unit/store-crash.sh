#!/bin/sh
# The store survives kill -9: a writer (store-crash write) runs threads
# that redeem codes, spend nonces and record status indices, printing each
# only once its operation returned; it is killed with SIGKILL mid-load,
# three rounds on one state directory, and after each round every line
# printed must still hold (store-crash verify) and the database be intact.
# TAP output. Needs store-crash on PATH (make check puts tests/unit there).
set -u
dir=$(mktemp -d "${TMPDIR:-/tmp}/store-crash.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
rounds=3
echo "1..$((rounds * 2 + 1))"

lines() { cat "$dir"/log.* 2>/dev/null | wc -l; }

n=0
for round in $(seq 1 $rounds); do
	want=$(( $(lines) + 300 + round * 97 ))
	store-crash write "$dir/state" "$round" >"$dir/log.$round" 2>"$dir/err.$round" &
	pid=$!
	# Wait for enough lines (generous: a loaded machine is slow), then kill.
	waited=0
	while [ "$(lines)" -lt "$want" ] && [ $waited -lt 1200 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		waited=$((waited + 1))
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	n=$((n + 1))
	if [ "$(lines)" -ge "$want" ]; then
		echo "ok $n - round $round: writer killed with SIGKILL after $(lines) lines"
	else
		echo "not ok $n - round $round: writer wrote $(lines) of $want lines"
		sed 's/^/# /' "$dir/err.$round"
	fi
	n=$((n + 1))
	if got=$(store-crash verify "$dir/state" "$dir"/log.* 2>"$dir/verify.err"); then
		echo "ok $n - round $round: all $got reported writes survived, database intact"
	else
		echo "not ok $n - round $round: after kill -9"
		sed 's/^/# /' "$dir/verify.err"
	fi
done

# The checker finds losses: the same logs against another, empty store fail.
n=$((n + 1))
if store-crash verify "$dir/other" "$dir"/log.* >/dev/null 2>&1; then
	echo "not ok $n - verify against an empty store should report losses"
else
	echo "ok $n - verify against an empty store reports losses"
fi
