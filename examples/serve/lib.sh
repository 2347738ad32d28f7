# examples/serve/lib.sh - what the vci-serve examples share, sourced by
# them after they set `here` (the directory of the examples):
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/lib.sh"
# It makes a work directory and goes there; at exit it stops what the
# example started (the server in $pid, the processes named with
# example_bg) and removes the directory. Then:
#   example_issuer_key KEY CERT [SUBJECT [DAYS]]
#                         a throwaway P-256 issuer key and self-signed
#                         certificate (in production: your signing key
#                         and its certificate)
#   example_apikey NAME   a management API key in the state directory
#                         "state", printed (vci-serve prints it once)
#   example_serve ARG...  vci-serve with ARG on free 127.0.0.1 ports
#                         with a management listener (--state state is
#                         the caller's to give); waits (at most 60 s)
#                         until it listens; sets pid, port (the
#                         issuer's listener) and admin (the management
#                         listener's base URL)
#   example_bg PID        one more process to stop at exit
# POSIX sh; the tools on PATH.

set -eu
work=$(mktemp -d)
pid=
example_pids=
example_cleanup() {
	for p in $pid $example_pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pid $example_pids; do
		wait "$p" 2>/dev/null || true
	done
	cd /
	rm -rf "$work"
}
trap example_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"

example_bg() {
	example_pids="$example_pids $1"
}

example_issuer_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
	openssl req -x509 -new -key "$1" -subj "${3:-/CN=Example Issuer}" -days "${4:-30}" \
		-out "$2" 2>/dev/null
}

example_apikey() {
	vci-serve apikey add --state state --name "$1" 2>/dev/null |
		sed 's/.*"key":"\([^"]*\)".*/\1/'
}

example_serve() {
	vci-serve "$@" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>serve.err &
	pid=$!
	i=0
	until grep -q 'management listening on' serve.err; do
		i=$((i + 1))
		if [ "$i" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
			cat serve.err >&2
			exit 1
		fi
		sleep 0.1
	done
	port=$(sed -n 's/^vci-serve: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' serve.err)
	admin=http://127.0.0.1:$(sed -n \
		's/^vci-serve: management listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' serve.err)
}
