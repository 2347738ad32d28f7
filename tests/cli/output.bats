#!/usr/bin/env bats
# --output is safe: an interrupted run (SIGINT, SIGTERM) leaves no
# temporary file and publishes nothing; offers written to vci-offer
# --offer-dir (and its QR images) appear with the output or not at all;
# a symbolic link is written through, a FIFO or device written into and
# never replaced; files that hold secrets are created 0600.

bats_require_minimum_version 1.5.0

ISS=https://issuer.example.com

setup() {
	command -v vci-offer >/dev/null || skip "vci-offer not on PATH"
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	cd "$D"
	mkdir offers
	echo '{}' >in.json
	WPID=
}

teardown() {
	exec 7>&- 2>/dev/null || true
	if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
		kill -KILL "$WPID" 2>/dev/null || true
	fi
}

offer() {
	vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" --offer-dir offers "$@"
}

# wait_for GLOB: until a file matches (60 s at most)
wait_for() {
	local i
	for i in $(seq 1 600); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.1
	done
	echo "nothing matches $1" >&2
	return 1
}

# start_fed CMD...: CMD in the background, its standard input the FIFO
# fed through fd 7 (kept open, so CMD waits for more), default actions
# for SIGINT and SIGTERM (a background job of a script ignores SIGINT)
start_fed() {
	mkfifo feed
	env --default-signal=INT,TERM "$@" <feed &
	WPID=$!
	exec 7>feed
}

@test "SIGINT and SIGTERM: the temporary output and the staged offers are removed, nothing is published" {
	for sig in INT TERM; do
		start_fed vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" \
			--offer-dir offers --output out.json
		echo '{}' >&7
		echo '{}' >&7
		wait_for 'offers/.vci-stage.*/1'
		wait_for 'out.json.tmp.*'
		kill -$sig "$WPID"
		st=0
		wait "$WPID" || st=$?
		WPID=
		exec 7>&-
		rm feed
		[ "$st" -eq $((128 + $(kill -l $sig))) ]
		run ls -A offers
		[ -z "$output" ]
		! compgen -G 'out.json*'
	done
}

@test "SIGTERM while signing: no temporary output left" {
	command -v vci-sign-sdjwt >/dev/null || skip "vci-sign-sdjwt not on PATH"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
	start_fed vci-sign-sdjwt --defn "$SRC/examples/definitions/member.json" --key k.pem --kid k \
		--issuer "$ISS" --output creds.json
	wait_for 'creds.json.tmp.*'
	kill -TERM "$WPID"
	st=0
	wait "$WPID" || st=$?
	WPID=
	[ "$st" -eq 143 ]
	! compgen -G 'creds.json*'
}

@test "--offer-dir: hosted offers appear only when the output commits, one for each record" {
	start_fed vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" --offer-dir offers \
		--output out.json
	for i in 1 2 3; do echo '{}' >&7; done
	wait_for 'offers/.vci-stage.*/2'
	run ls offers
	[ -z "$output" ]
	exec 7>&-
	wait "$WPID"
	WPID=
	[ "$(ls offers | wc -l)" -eq 3 ]
	[ -z "$(ls -A offers | grep -v '\.json$')" ]
	"$PY" - out.json <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert json.load(open("offers/%s.json" % r["offer_id"])) == r["credential_offer"]
EOF
}

@test "an error after offers were made (an unreadable second input): exit 5, no output, no offer" {
	mkdir notafile
	run offer --qr-png 'qr-{offer_id}.png' --output out.json in.json notafile
	[ "$status" -eq 5 ]
	run ls -A offers
	[ -z "$output" ]
	! compgen -G 'out.json*'
	! compgen -G 'qr-*'
}

@test "files holding codes are 0600: the output, hosted offers, QR images; 0640 in a set-group-ID directory; 0644 without a pre-authorized code" {
	umask 022
	offer --qr-png 'qr-{offer_id}.png' --qr-svg 'qr-{offer_id}.svg' --output out.json in.json
	[ "$(stat -c %a out.json)" = 600 ]
	[ "$(stat -c %a offers/*.json)" = 600 ]
	[ "$(stat -c %a qr-*.png)" = 600 ]
	[ "$(stat -c %a qr-*.svg)" = 600 ]
	mkdir shared
	chmod 2750 shared
	vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" --offer-dir shared in.json >/dev/null
	[ "$(stat -c %a shared/*.json)" = 640 ]
	vci-offer --issuer "$ISS" --config pid --no-pre-authorized-code --auth-code --by-reference "$ISS/o" \
		--offer-dir offers --qr-png 'auth-{offer_id}.png' --output auth.json in.json
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["offer_id"])' auth.json)
	[ "$(stat -c %a "offers/$id.json")" = 644 ]
	[ "$(stat -c %a auth-*.png)" = 644 ]
}

@test "--output onto a symbolic link writes the file it points to; a dangling link creates it" {
	echo old >real.json
	ln -s real.json link.json
	offer --output link.json in.json
	[ -L link.json ]
	[ "$(readlink link.json)" = real.json ]
	grep -q '"offer_id"' real.json
	ln -s sub/made.json dangling.json
	mkdir sub
	offer --output dangling.json in.json
	[ -L dangling.json ]
	grep -q '"offer_id"' sub/made.json
	! compgen -G 'sub/*.tmp.*'
	# vci_file_replace (vci-statuslist new) too
	ln -s list.real list.link
	vci-statuslist new --size 100 --uri "$ISS/s/1" --output list.link
	[ -L list.link ] && [ -s list.real ]
}

@test "--output onto a FIFO writes into it; a link to /dev/null leaves the device alone" {
	mkfifo out.fifo
	cat out.fifo >got.json &
	offer --output out.fifo in.json
	wait $!
	[ -p out.fifo ]
	grep -q '"offer_id"' got.json
	ln -s /dev/null null.link
	offer --output null.link in.json
	[ -L null.link ] && [ -c /dev/null ]
	! compgen -G '/dev/null.tmp.*'
	vci-offer --issuer "$ISS" --config pid --output /dev/stdout in.json >stdout.json
	grep -q '"offer_id"' stdout.json
	mkfifo list.fifo
	cat list.fifo >list.got &
	vci-statuslist new --force --size 100 --uri "$ISS/s/1" --output list.fifo
	wait $!
	[ -p list.fifo ] && [ -s list.got ]
}
