#!/usr/bin/env bats
# The friction a new user meets, removed: help that fits a terminal and
# one per command, options that do nothing refused, --version naming the
# libraries, and the rest of issue 17's list.

bats_require_minimum_version 1.5.0

ISS=https://issuer.example.com

setup() {
	for t in vci-defn vci-offer vci-verify-proof vci-sign-sdjwt vci-sign-mdoc vci-statuslist; do
		command -v $t >/dev/null || skip "$t not on PATH"
	done
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	PY=${PYTHON3:-/usr/bin/python3}
	DEFS=$SRC/examples/definitions
	D=$BATS_TEST_TMPDIR
	cd "$D"
}

# no line of standard output over 80 columns
fits() {
	local long
	long=$(awk 'length($0) > 80' <<<"$output")
	[ -z "$long" ] || { echo "over 80 columns in $*:"; echo "$long"; return 1; }
}

@test "--help fits 80 columns, for every tool and every command" {
	local t c
	for t in vci-defn vci-offer vci-verify-proof vci-sign-sdjwt vci-sign-mdoc vci-statuslist vci-serve; do
		command -v $t >/dev/null || continue
		run $t --help
		[ "$status" -eq 0 ]
		fits $t --help
	done
	for c in "vci-defn create" "vci-defn import" "vci-defn metadata" "vci-defn type-metadata" \
		"vci-defn lint" "vci-defn check-claims" "vci-verify-proof verify" \
		"vci-verify-proof nonce" "vci-verify-proof dpop" "vci-verify-proof wallet-attestation" \
		"vci-sign-sdjwt sign" "vci-sign-sdjwt verify" "vci-sign-mdoc sign" \
		"vci-sign-mdoc verify" "vci-statuslist new" "vci-statuslist alloc" "vci-statuslist set" \
		"vci-statuslist get" "vci-statuslist sign" "vci-statuslist check"; do
		run $c --help
		[ "$status" -eq 0 ]
		fits $c --help
		[[ ${lines[0]} == "Usage: ${c% *} ${c#* }"* || ${lines[0]} == "Usage: ${c% *} [${c#* }]"* ]] || { echo "$c: ${lines[0]}"; return 1; }
	done
}

@test "each command's --help lists its own options, not the others'" {
	run vci-statuslist check --help
	[[ $output == *'--idx N'* && $output == *'--ca FILE'* ]]
	[[ $output != *'--bits'* && $output != *'--key KEY'* ]]
	run vci-statuslist sign --help
	[[ $output == *'--key KEY'* && $output != *'--idx'* ]]
	run vci-verify-proof dpop --help
	[[ $output == *'--htm METHOD'* && $output != *'--defn'* && $output != *'--ttl'* ]]
	run vci-sign-sdjwt verify --help
	[[ $output == *'--kb-aud'* && $output != *'--decoys'* && $output != *'--unchecked-proofs'* ]]
	run vci-defn lint --help
	[[ $output == *'--profile'* && $output != *'--vct'* ]]
	# the whole tool's help says each command has its own
	run vci-statuslist --help
	[[ $output == *'Each command has its own help: vci-statuslist COMMAND --help.'* ]]
}

@test "an option that does nothing for the command is refused, naming what it is for" {
	run vci-statuslist get --key k.pem --list l 0
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-statuslist: --key does nothing for get: it is for sign" ]
	run vci-verify-proof nonce --nonce-key k --htm POST
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-verify-proof: --htm does nothing for nonce: it is for dpop" ]
	run vci-sign-mdoc verify --unchecked-proofs x
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-sign-mdoc: --unchecked-proofs does nothing for verify: it is for sign" ]
	run vci-defn lint --issuer "$ISS" "$DEFS/pid.json"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-defn: --issuer does nothing for lint: it is for metadata" ]
	# and before the command word too
	run vci-sign-sdjwt --kb-aud x --defn d --key k --issuer "$ISS" --kid k r.json
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-sign-sdjwt: --kb-aud does nothing for sign: it is for verify" ]
	# an option for several commands is taken by each
	run vci-statuslist check --help
	[ "$status" -eq 0 ]
}

@test "--version names the libraries it runs with" {
	local v='[0-9][0-9a-zA-Z.-]*'
	local -A libs=(
		[vci-defn]="" [vci-sign-sdjwt]=""
		[vci-offer]=", libcurl $v, libqrencode $v, zlib $v"
		[vci-verify-proof]=", libcurl $v"
		[vci-sign-mdoc]=", libcbor $v"
		[vci-statuslist]=", libcbor $v, zlib $v, SQLite $v(, libpq $v)?"
		[vci-serve]=", libcbor $v, libcurl $v, zlib $v, libmicrohttpd $v, SQLite $v(, libpq $v)?"
	)
	for t in "${!libs[@]}"; do
		run $t --version
		[ "$status" -eq 0 ]
		[[ ${lines[0]} == "$t (vci-tools) "* ]]
		[[ ${lines[1]} =~ ^OpenSSL\ 3\.$v,\ jansson\ $v${libs[$t]}$ ]] ||
			{ echo "$t: ${lines[1]}"; return 1; }
	done
}

@test "a tool records only the libraries it calls: no libcurl where no HTTP request is made" {
	command -v ldd >/dev/null || skip "no ldd"
	for t in vci-defn vci-sign-sdjwt vci-sign-mdoc vci-statuslist; do
		run ldd "$(command -v $t)"
		[ "$status" -eq 0 ]
		[[ $output != *libcurl* && $output != *libqrencode* ]] || { echo "$t: $output"; return 1; }
	done
	run ldd "$(command -v vci-offer)"
	[[ $output == *libcurl* && $output == *libqrencode* ]]
}

@test "the deep link is offer_link; credential_offer_uri is the offer's https URL, by reference only" {
	run vci-offer --issuer "$ISS" --config pid <<<'{"claims":{}}'
	[ "$status" -eq 0 ]
	[[ $output == *'"offer_link":"openid-credential-offer://?credential_offer='* ]]
	[[ $output != *'"credential_offer_uri"'* ]]
	run vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/offers" <<<'{"offer_id":"o-1","claims":{}}'
	[ "$status" -eq 0 ]
	[[ $output == *'"offer_link":"openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foffers%2Fo-1"'* ]]
	[[ $output == *'"credential_offer_uri":"https://issuer.example.com/offers/o-1"'* ]]
	# the signing tools leave the used offer, code and link out (a badge
	# without key binding: no proof to check here)
	jq 'del(.key_binding)' "$SRC/examples/serve/badge.json" >badge.json
	vci-statuslist new --bits 1 --size 16 --uri "$ISS/s/1" --output l
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
	openssl req -x509 -new -key k.pem -subj /CN=i -days 30 -out k.crt 2>/dev/null
	printf '{"claims":{"given_name":"A","family_name":"B","employee_id":"1"}}\n' |
		vci-offer --issuer "$ISS" --config badge --tx-code 6 --by-reference "$ISS/offers" |
		vci-statuslist alloc --list l |
		vci-sign-sdjwt --defn badge.json --key k.pem --cert k.crt --issuer "$ISS" >signed.ndjson
	grep -q '"credential":"ey' signed.ndjson
	! grep -q -e pre_authorized_code -e tx_code -e offer_link -e credential_offer signed.ndjson
}

@test "verify output keeps the record id (vci-sign-sdjwt verify, vci-sign-mdoc verify)" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
	openssl req -x509 -new -key k.pem -subj /CN=i -days 30 -out k.crt 2>/dev/null
	jq 'del(.key_binding)' "$SRC/examples/serve/badge.json" >badge.json
	vci-statuslist new --bits 1 --size 16 --uri "$ISS/s/1" --output l
	printf '{"id":"row-7","claims":{"given_name":"A","family_name":"B","employee_id":"1"}}\n' |
		vci-statuslist alloc --list l |
		vci-sign-sdjwt --defn badge.json --key k.pem --cert k.crt --issuer "$ISS" >s.ndjson
	run vci-sign-sdjwt verify --cert k.crt s.ndjson
	[ "$status" -eq 0 ]
	[[ $output == '{"id":"row-7",'* ]]
	# mdoc: a device key written by hand (--unchecked-proofs), no status list
	jq 'del(.status)' "$DEFS/mdl.json" >mdl.json
	openssl req -x509 -new -key k.pem -subj "/C=UT/CN=DS" -days 30 -out ds.crt \
		-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=1.0.18013.5.1.2" 2>/dev/null
	printf '{"id":"mdl-9","claims":{"org.iso.18013.5.1":{"family_name":"D","given_name":"J","birth_date":"1990-01-02","issue_date":"2024-01-01","expiry_date":"2029-01-01","issuing_country":"UT","issuing_authority":"UT","document_number":"1","portrait":"/9j/4AAQ","driving_privileges":[],"un_distinguishing_sign":"UTO"}},"holder_jwk":{"kty":"EC","crv":"P-256","x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc","y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}}\n' |
		vci-sign-mdoc --defn mdl.json --key k.pem --cert ds.crt --unchecked-proofs >m.ndjson
	run vci-sign-mdoc verify --ca ds.crt m.ndjson
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == '{"id":"mdl-9",'* ]]
}

@test "vci-defn create makes definitions its own lint accepts" {
	run --separate-stderr vci-defn create --id staff --format dc+sd-jwt --vct urn:example:staff --claim given_name
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	printf '%s\n' "$output" >a.json
	vci-defn create --id mdl --format mso_mdoc --doctype org.iso.18013.5.1.mDL \
		--claim org.iso.18013.5.1/family_name --binding cose_key >b.json
	vci-defn create --id diploma --format jwt_vc_json --type VerifiableCredential --type Diploma \
		--claim credentialSubject.name >c.json
	for f in a.json b.json c.json; do
		run vci-defn lint "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
	done
	# what create cannot fill in is said, as lint says it
	run --separate-stderr vci-defn create --id 'not a scope' --format dc+sd-jwt --vct urn:x --claim a
	[[ $stderr == *'create: warning: scope: missing'* ]]
}

@test "progress: whole named lines, never a carriage return; done at the end; a tool reading the terminal says so" {
	for i in $(seq 1 200); do
		printf '{"id":"r%s","claims":{"given_name":"A","family_name":"B","birthdate":"1990-01-02","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}\n' $i
	done >in.ndjson
	run --separate-stderr vci-defn check-claims --progress "$DEFS/pid.json" in.ndjson
	[ "$status" -eq 0 ]
	[[ $stderr == *'vci-defn: 200 records, 0 failed, '*'/s, done'* ]]
	[[ $stderr != *$'\r'* ]]
	# two stages, both --progress: each line is whole and names its tool
	vci-defn check-claims --progress "$DEFS/pid.json" in.ndjson 2>err1 |
		vci-offer --issuer "$ISS" --config pid --progress >/dev/null 2>err2
	grep -q '^vci-defn: 200 records, 0 failed, .*, done$' err1
	grep -q '^vci-offer: 200 records, 0 failed, .*, done$' err2
	# stdin on a terminal: the tool says it waits for records there
	"$PY" - "$DEFS/pid.json" <<'PYEOF' >tty.out
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp("vci-defn", ["vci-defn", "check-claims", sys.argv[1]])
out = b""
deadline = time.time() + 60
while time.time() < deadline and b"Ctrl-D" not in out:
    r, _, _ = select.select([fd], [], [], 1)
    if r:
        out += os.read(fd, 4096)
os.write(fd, b"\x04")
while time.time() < deadline:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PYEOF
	grep -q 'vci-defn: reading records from the terminal (end with Ctrl-D)' tty.out
}

@test "after --, an operand starting with - stays an operand in a subcommand too (exchange ids may)" {
	command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
	run vci-serve deferred claims --state "$D/none" -- -Eab12 </dev/null
	[[ $output != *'invalid option'* ]]
	[ "$status" -ne 2 ]
}

@test "vci-offer: options that do nothing without another are refused" {
	run vci-offer --issuer "$ISS" --config pid --qr-ecc H
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-offer: --qr-ecc does nothing without --qr, --qr-png or --qr-svg" ]
	run vci-offer --issuer "$ISS" --config pid --qr-scale 4 --qr --output o
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-offer: --qr-scale does nothing without --qr-png or --qr-svg" ]
	run vci-offer --issuer "$ISS" --config pid --timeout 30
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-offer: --timeout does nothing without --send, --send-field or --tx-code-to" ]
	run vci-offer --issuer "$ISS" --config pid --qr-ecc H --qr-png 'q/{offer_id}.png' </dev/null
	[ "$status" -eq 0 ]
}
