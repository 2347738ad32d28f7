#!/usr/bin/env bats
# The signing certificate's validity: a certificate that has expired or is
# not yet valid signs nothing (exit 4) in every signing path, and vci-serve
# does not start with one; a credential (or status list token) that stays
# valid after the certificate expires is signed, with one warning on
# stderr after the summary. "Now" is moved with VCI_NOW.

bats_require_minimum_version 1.5.0

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

ISSUER=https://issuer.example.com

setup() {
	command -v vci-sign-sdjwt >/dev/null || skip "the tools are not on PATH"
	D=$BATS_TEST_TMPDIR
	DEFS=$SRC/examples/definitions
	make_pki "$D" 30 # a root and an issuer certificate, both valid 30 days from now
	NOW=$(date +%s)
	LATER=$((NOW + 40 * 86400))  # both expired
	BEFORE=$((NOW - 86400))      # neither valid yet
	HJWK='{"kty":"EC","crv":"P-256","x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc","y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}'
	printf '{"id":"p1","claims":%s,"holder_jwk":%s,"status":{"status_list":{"idx":1,"uri":"%s/s/1"}}}\n' \
		"$(claims pid)" "$HJWK" "$ISSUER" >"$D/pid.json"
	printf '{"id":"m1","claims":%s,"holder_jwk":%s,"status":{"status_list":{"idx":1,"uri":"%s/s/2"}}}\n' \
		"$(claims mdl | sed 's/_9j_4AAQ/\/9j\/4AAQ/')" "$HJWK" "$ISSUER" >"$D/mdl.json"
	vci-statuslist new --size 100 --uri "$ISSUER/s/1" --output "$D/list"
}

teardown() {
	serve_stop
}

sdjwt() {
	vci-sign-sdjwt --unchecked-proofs --defn "$DEFS/pid.json" --key "$D/issuer.key" --cert "$D/issuer.crt" \
		--issuer "$ISSUER" "$@" "$D/pid.json"
}

mdoc() {
	vci-sign-mdoc --unchecked-proofs --defn "$DEFS/mdl.json" --key "$D/issuer.key" --cert "$D/issuer.crt" "$@" "$D/mdl.json"
}

@test "an expired certificate signs nothing: SD-JWT VC, VC JWT, mdoc, status list, metadata (exit 4)" {
	export VCI_NOW=$LATER
	run sdjwt
	[ "$status" -eq 4 ]
	[[ $output == "vci-sign-sdjwt: --cert: $D/issuer.crt: certificate \"/C=UT/CN=Test Issuer\" expired at "*Z ]]
	cs='{"id":"https://issuer.example.com/status/3#7","type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"7","statusListCredential":"https://issuer.example.com/status/3"}'
	printf '{"claims":%s,"holder_jwk":%s,"credentialStatus":%s}\n' "$(claims diploma)" "$HJWK" "$cs" >"$D/vc.json"
	run vci-sign-sdjwt --unchecked-proofs --defn "$DEFS/diploma.json" --key "$D/issuer.key" --cert "$D/issuer.crt" \
		--issuer "$ISSUER" "$D/vc.json"
	[ "$status" -eq 4 ]
	[[ $output == *'expired at'* ]]
	run mdoc
	[ "$status" -eq 4 ]
	[[ $output == "vci-sign-mdoc: --cert: $D/issuer.crt: certificate \"/C=UT/CN=Test Issuer\" expired at "*Z ]]
	run vci-statuslist sign --list "$D/list" --key "$D/issuer.key" --cert "$D/issuer.crt"
	[ "$status" -eq 4 ]
	[[ $output == *'expired at'* ]]
	run vci-defn metadata --issuer "$ISSUER" --key "$D/issuer.key" --cert "$D/issuer.crt" --sign "$DEFS/pid.json"
	[ "$status" -eq 4 ]
	[[ $output == *'expired at'* ]]
	# a kid instead of a certificate: nothing to judge
	run vci-sign-sdjwt --unchecked-proofs --defn "$DEFS/pid.json" --key "$D/issuer.key" --kid k --issuer "$ISSUER" "$D/pid.json"
	[ "$status" -eq 0 ]
}

@test "a certificate not yet valid signs nothing (exit 4), and the chain's root counts too" {
	export VCI_NOW=$BEFORE
	run sdjwt
	[ "$status" -eq 4 ]
	[[ $output == *'certificate "/C=UT/CN=Test Issuer" is not valid before '*Z ]]
	run mdoc
	[ "$status" -eq 4 ]
	run vci-statuslist sign --cwt --list "$D/list" --key "$D/issuer.key" --cert "$D/issuer.crt" --output "$D/t"
	[ "$status" -eq 4 ]
	[ ! -e "$D/t" ]
	# an expired certificate further up the chain
	cat "$D/issuer.crt" "$D/ca.crt" >"$D/chain.pem"
	openssl req -x509 -new -key "$D/ca.key" -subj "/C=UT/CN=Short Root" -days 1 \
		-config "$D/pki.cnf" -extensions ca -out "$D/short.crt"
	openssl x509 -req -in "$D/issuer.csr" -CA "$D/short.crt" -CAkey "$D/ca.key" -set_serial 0x1002 \
		-days 30 -extfile "$D/pki.cnf" -extensions leaf -out "$D/leaf.crt" 2>/dev/null
	cat "$D/leaf.crt" "$D/short.crt" >"$D/chain2.pem"
	export VCI_NOW=$((NOW + 3 * 86400))
	run vci-sign-sdjwt --unchecked-proofs --defn "$DEFS/pid.json" --key "$D/issuer.key" --cert "$D/chain2.pem" \
		--issuer "$ISSUER" "$D/pid.json"
	[ "$status" -eq 4 ]
	[[ $output == *'certificate "/C=UT/CN=Short Root" expired at '* ]]
}

@test "a credential that outlives its certificate is signed, with one warning after the summary" {
	# pid: 90 days, mdl: 365 days; the certificate: 30 days
	run --separate-stderr sdjwt
	[ "$status" -eq 0 ]
	[[ $output == *'"credential":"ey'* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == 'vci-sign-sdjwt: warning: 1 credential stays valid after the certificate expires at '*'Z (the last until '*'Z)' ]]
	cat "$D/pid.json" "$D/pid.json" "$D/pid.json" >"$D/three.json"
	run --separate-stderr vci-sign-mdoc --unchecked-proofs --defn "$DEFS/mdl.json" --key "$D/issuer.key" --cert "$D/issuer.crt" \
		--raw "$D/mdl.json" "$D/mdl.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == *'vci-sign-mdoc: warning: 2 credentials stay valid after the certificate expires at '* ]]
	# a record whose exp comes before the certificate's end: no warning
	sed 's/}$/,"exp":'$((NOW + 10 * 86400))'}/' "$D/pid.json" >"$D/short.json"
	run --separate-stderr vci-sign-sdjwt --unchecked-proofs --defn "$DEFS/pid.json" --key "$D/issuer.key" \
		--cert "$D/issuer.crt" --issuer "$ISSUER" "$D/short.json"
	[ "$status" -eq 0 ]
	[[ $stderr != *warning* ]]
	# a status list token that expires after the certificate
	run --separate-stderr vci-statuslist sign --list "$D/list" --key "$D/issuer.key" \
		--cert "$D/issuer.crt" --exp $((60 * 86400)) --output "$D/t.jwt"
	[ "$status" -eq 0 ]
	[[ $stderr == 'vci-statuslist: warning: 1 status list token stays valid after the certificate expires at '* ]]
	[ -s "$D/t.jwt" ]
}

@test "vci-serve does not start with an expired certificate (exit 4)" {
	serve_skip_unless_ready
	serve_init
	# the test PKI of tests/serve lives ten years: after it
	export VCI_NOW=$((NOW + 4000 * 86400))
	# bounded: a server that starts after all must not hold the suite
	run timeout 120 vci-serve run "${SERVE_ARGS[@]}"
	[ "$status" -eq 4 ]
	[[ $output == *"--cert: $D/issuer.crt: certificate \"/C=UT/CN=Test Issuer\" expired at "* ]]
}

@test "vci-serve warns at start-up for each definition whose credentials outlive its certificate" {
	serve_skip_unless_ready
	serve_init
	make_pki "$D" 30   # the server's certificate: 30 days
	# pid: 90 days, mdl: 365 days; diploma shortened to 10 days: no warning
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["expiry_days"] = 10
json.dump(d, open(sys.argv[1], "w"))' "$D/diploma.json"
	serve_start
	serve_stop
	cat "$D/server.err"
	expires=$(openssl x509 -in "$D/issuer.crt" -noout -enddate | cut -d= -f2)
	expires=$(date -u -d "$expires" +%Y-%m-%dT%H:%M:%SZ)
	grep -qxF "vci-serve: warning: definition pid: credentials valid 90 days outlive the certificate (expires $expires)" "$D/server.err"
	grep -qxF "vci-serve: warning: definition mdl: credentials valid 365 days outlive the certificate (expires $expires)" "$D/server.err"
	[ "$(grep -c warning "$D/server.err")" -eq 2 ]
	# a certificate that outlives them: no warning
	make_pki "$D" 400
	serve_start
	serve_stop
	! grep -q warning "$D/server.err"
}
