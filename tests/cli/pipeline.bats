#!/usr/bin/env bats
# The pipeline as a user runs it: error records pass through every tool
# untouched, CSV cells get their types where the CSV is read, bad lines
# are one error record wherever they are, verify of nothing fails, options
# go anywhere; and the pipelines of vci(7) and the README run as printed.

bats_require_minimum_version 1.5.0

ISS=https://issuer.example.com

setup() {
	for t in vci-offer vci-statuslist vci-verify-proof vci-sign-sdjwt vci-sign-mdoc vci-defn; do
		command -v $t >/dev/null || skip "$t not on PATH"
	done
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	PY=${PYTHON3:-/usr/bin/python3}
	DEFS=$SRC/examples/definitions
	D=$BATS_TEST_TMPDIR
	cd "$D"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
	openssl req -x509 -new -key issuer.key -subj /CN=issuer -days 30 -out issuer.pem 2>/dev/null
	cp issuer.pem issuer.crt
	ERR='{"id":"r0","claims":{"given_name":"Ann"},"error":{"code":"invalid_claims","message":"claims.birthdate: first"},"line":7}'
	printf '%s\n' "$ERR" >err.ndjson
}

need_py() {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
}

# a proof of possession for AUD (default $ISS), signed by jwcrypto with KEY.pem
mkproof() {
	"$PY" - "$1" "${2:-$ISS}" <<'PYEOF'
import sys, json, time
from jwcrypto import jwk, jws
key = jwk.JWK.from_pem(open(sys.argv[1], 'rb').read())
h = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": key.export_public(as_dict=True)}
t = jws.JWS(json.dumps({"aud": sys.argv[2], "iat": int(time.time())}).encode())
t.add_signature(key, alg="ES256", protected=json.dumps(h))
print(t.serialize(compact=True))
PYEOF
}

pid_claims() { # pid_claims GIVEN
	printf '{"given_name":"%s","family_name":"Doe","birthdate":"1990-01-02","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}' "$1"
}

# The block of man/vci.7 that follows the line matching $1, as a shell
# script (roff's \e is a backslash).
man_block() {
	awk -v want="$1" '
		index($0, want) { found = 1; next }
		found && /^\.Bd/ { on = 1; next }
		on && /^\.Ed/ { exit }
		on { gsub(/\\e/, "\\"); print }' "$SRC/man/vci.7"
}

# The fenced block of README.md (```$2) that follows the line matching $1.
readme_block() {
	awk -v want="$1" -v lang="$2" '
		index($0, want) { found = 1; next }
		found && !on && $0 == "```" lang { on = 1; next }
		on && /^```/ { exit }
		on { print }' "$SRC/README.md"
}

# ---- error records pass through ----

# run TOOL ARGS... on err.ndjson and a good record (in GOOD): the error
# record comes out byte for byte, exit 1, the summary counts it
passes_through() {
	local good=$1
	shift
	{ cat err.ndjson; printf '%s\n' "$good"; } >in.ndjson
	run --separate-stderr "$@" in.ndjson
	echo "status $status"; echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$ERR" ]
	[[ ${lines[1]} != *'"error"'* ]]
	[[ $stderr == *"2 records, 1 ok, 0 failed, 1 error record passed through"* ]]
}

@test "vci-offer passes an error record through: no code, no offer, exit 1" {
	passes_through '{"claims":{"given_name":"Bo"}}' \
		vci-offer --issuer "$ISS" --config pid
}

@test "vci-statuslist alloc spends no index on an error record" {
	vci-statuslist new --bits 2 --size 16 --uri "$ISS/status/1" --output l.list
	passes_through '{"claims":{}}' vci-statuslist alloc --list l.list
}

@test "vci-verify-proof passes an error record through" {
	need_py
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out h.pem 2>/dev/null
	passes_through "{\"proofs\":{\"jwt\":[\"$(mkproof h.pem)\"]}}" \
		vci-verify-proof --aud "$ISS"
}

@test "vci-defn check-claims passes an error record through" {
	passes_through "{\"claims\":$(pid_claims Bo)}" vci-defn check-claims "$DEFS/pid.json"
}

@test "vci-sign-sdjwt passes an error record through; --raw says it on stderr" {
	cp "$SRC/examples/serve/badge.json" badge.json
	local good='{"claims":{"given_name":"Bo","family_name":"Doe","employee_id":"7"},"holder_jwk":{"kty":"EC","crv":"P-256","x":"nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4","y":"HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY"},"status":{"status_list":{"idx":1,"uri":"https://issuer.example.com/s"}}}'
	passes_through "$good" vci-sign-sdjwt --defn badge.json --key issuer.key --cert issuer.crt \
		--issuer "$ISS" --unchecked-proofs
	run --separate-stderr vci-sign-sdjwt --defn badge.json --key issuer.key --cert issuer.crt \
		--issuer "$ISS" --unchecked-proofs --raw in.ndjson
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $stderr == *"line 7: claims.birthdate: first"* ]]
}

@test "vci-sign-mdoc passes an error record through" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out iaca.key 2>/dev/null
	openssl req -x509 -new -key iaca.key -subj "/C=UT/CN=Test IACA" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out iaca.crt 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ds.key 2>/dev/null
	openssl req -new -key ds.key -subj "/C=UT/CN=Test DS" -out ds.csr 2>/dev/null
	printf '%s\n' "keyUsage=critical,digitalSignature" "extendedKeyUsage=critical,1.0.18013.5.1.2" >ds.ext
	openssl x509 -req -in ds.csr -CA iaca.crt -CAkey iaca.key -days 365 -extfile ds.ext \
		-set_serial 2 -out ds.crt 2>/dev/null
	local good='{"claims":{"org.iso.18013.5.1":{"family_name":"Doe","given_name":"Jane","birth_date":"1990-01-02","issue_date":"2024-01-01","expiry_date":"2029-01-01","issuing_country":"UT","issuing_authority":"UT DMV","document_number":"123456789","portrait":"/9j/4AAQ","driving_privileges":[{"vehicle_category_code":"A","issue_date":"2018-08-09","expiry_date":"2028-10-20"}],"un_distinguishing_sign":"UTO","age_over_18":true}},"holder_jwk":{"kty":"EC","crv":"P-256","x":"nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4","y":"HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY"},"status":{"status_list":{"idx":412,"uri":"https://issuer.example.com/status/1"}}}'
	passes_through "$good" vci-sign-mdoc --defn "$DEFS/mdl.json" --key ds.key --cert ds.crt \
		--unchecked-proofs
}

@test "vci(7): the whole issuance runs as printed; a bad proof keeps its first error through every stage" {
	need_py
	# pid.json as shipped asks for key and wallet attestations (tested in
	# "the definition is the policy"); here the plain proofs of mkproof
	jq 'del(.wallet_attestation_required, .key_binding.key_attestation_required)' \
		"$DEFS/pid.json" >pid.json
	vci-statuslist new --bits 2 --uri "$ISS/status/1" --output pid.list
	for i in 1 2 3; do
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out h$i.pem 2>/dev/null
		p=$(mkproof h$i.pem)
		[ $i -eq 2 ] && p=$(mkproof h$i.pem https://other.example.com)   # another aud
		printf '{"id":"p%s","claims":%s,"proofs":{"jwt":["%s"]}}\n' $i "$(pid_claims G$i)" "$p"
	done >people.ndjson
	man_block "A whole issuance" >whole.sh
	grep -q 'vci-sign-sdjwt' whole.sh
	run --separate-stderr bash -o pipefail whole.sh
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} == *'"credential":"ey'* && ${lines[2]} == *'"credential":"ey'* ]]
	# the bad one: the error of vci-verify-proof and its line, nothing after it
	[[ ${lines[1]} == *'"error":{"code":"invalid_proof"'* ]]
	[[ ${lines[1]} == *'"line":2'* ]]
	[[ ${lines[1]} != *'"status"'* && ${lines[1]} != *'"credential"'* ]]
	[[ $stderr == *"vci-sign-sdjwt: 3 records, 2 ok, 0 failed, 1 error record passed through"* ]]
	# the good ones verify
	printf '%s\n' "${lines[0]}" "${lines[2]}" | vci-sign-sdjwt verify --ca issuer.pem >claims.ndjson
	[ "$(wc -l <claims.ndjson)" -eq 2 ]
}

# ---- CSV values get their types where the CSV is read ----

@test "README: the CSV pipeline runs as printed; claims are typed from vci-offer on" {
	cp "$DEFS/member.json" member.json
	readme_block "### CSV input" csv >members.csv
	readme_block "From the CSV to signed credentials" sh >csv.sh
	[ "$(wc -l <members.csv)" -eq 3 ]
	grep -q 'vci-offer.*--csv members.csv' csv.sh
	run bash -eo pipefail csv.sh
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"credential":"ey' issued.ndjson)" -eq 2 ]
	# typed in the record, and in the credential
	grep -q '"member_number":4711,"newsletter":true,"sports":\["swim","run"\]' issued.ndjson
	vci-sign-sdjwt verify --ca issuer.crt issued.ndjson >claims.ndjson
	head -n1 claims.ndjson
	grep -q '"member_number":4711' claims.ndjson
	grep -q '"newsletter":true' claims.ndjson
	grep -q '"sports":\["swim","run"\]' claims.ndjson
}

@test "vci-offer --defn --csv: a row that does not fit its definition is an error record with no offer" {
	cp "$DEFS/member.json" member.json
	printf '%s\n' 'given_name,family_name,birthdate,member_number' \
		'Jane,Doe,1990-01-02,4711' 'John,Roe,1985-06-30,many' >m.csv
	run --separate-stderr vci-offer --issuer "$ISS" --defn member.json --config member --csv m.csv
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == *'"member_number":4711'* && ${lines[0]} == *'"pre_authorized_code"'* ]]
	[[ ${lines[1]} == *'"error":{"code":"invalid_claims","message":"claims.member_number: expected'* ]]
	[[ ${lines[1]} == *'"line":3'* ]]
	[[ ${lines[1]} != *'pre_authorized_code'* ]]
}

# ---- a bad line is one error record wherever it is ----

@test "a malformed first line is one error record, as it is further down" {
	for first in 'not json' '{"claims":{"given_name":"Ann"}' '{"claims":}'; do
		printf '%s\n%s\n' "$first" '{"claims":{}}' >in.ndjson
		run --separate-stderr vci-offer --issuer "$ISS" --config pid in.ndjson
		echo "$first: $status"; echo "$output"; echo "$stderr"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ ${lines[0]} == '{"error":{"code":"invalid_json","message":"in.ndjson: line 1: '* ]]
		[[ ${lines[0]} == *'"line":1}' ]]
		[[ ${lines[1]} == *'"pre_authorized_code"'* ]]
	done
	# a document over several lines is still one document, and a broken one fatal
	printf '{\n  "claims": {"given_name": "Ann"}\n}\n' >doc.json
	run vci-offer --issuer "$ISS" --config pid doc.json
	[ "$status" -eq 0 ]
	[[ $output == *'"given_name":"Ann"'* ]]
	printf '[\n  {"claims": {}},\n  {"claims": x}\n]\n' >doc.json
	run vci-offer --issuer "$ISS" --config pid doc.json
	[ "$status" -eq 3 ]
}

@test "CSV: an unclosed quote is reported at the line its field began, with the raw text and the rows it spans" {
	printf '%s\n' 'given_name,family_name' 'Ann,"Doe' 'Bob,Roe' 'Cid,Poe' >open.csv
	run --separate-stderr vci-defn check-claims --csv open.csv "$DEFS/pid.json"
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *'"message":"open.csv: line 2: field 2: '* ]]
	[[ ${lines[0]} == *'3 lines (2 to 4)'* ]]
	[[ ${lines[0]} == *'"raw":"Ann,\"Doe\nBob,Roe\nCid,Poe\n"'* ]]
	[[ ${lines[0]} == *'"line":2'* ]]
	# closed further down with something after the quote: the rows after it are read
	printf '%s\n' 'given_name,family_name' 'Ann,"Doe' 'Bob,Roe"x' 'Cid,Poe' >junk.csv
	run --separate-stderr vci-defn check-claims --csv junk.csv "$DEFS/pid.json"
	echo "$output"; echo "$stderr"
	[[ ${lines[0]} == *'"message":"junk.csv: line 2: field 2: '* ]]
	[[ ${lines[0]} == *'2 lines (2 to 3)'* ]]
	[[ ${lines[0]} == *'"raw":"Ann,\"Doe\nBob,Roe\"x\n"'* ]]
	[[ ${lines[0]} == *'"line":2'* ]]
	[[ ${lines[1]} == *'"given_name":"Cid"'*'"line":4'* ]]
}

# ---- nothing verified does not pass ----

@test "verify on empty input exits 1 with a message" {
	run --separate-stderr vci-sign-sdjwt verify --ca issuer.crt </dev/null
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"vci-sign-sdjwt: verify: no credential in the input"* ]]
	printf '\n\n' >blank
	run --separate-stderr vci-sign-sdjwt verify --ca issuer.crt blank
	[ "$status" -eq 1 ]
	run --separate-stderr vci-sign-mdoc verify --ca issuer.crt </dev/null
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"vci-sign-mdoc: verify: no credential in the input"* ]]
}

# ---- options go anywhere ----

@test "options after operands are options, in every tool" {
	printf '{"claims":{}}\n' >r.ndjson
	run vci-offer r.ndjson --issuer "$ISS" --config pid
	echo "$output"
	[ "$status" -eq 0 ]
	run vci-verify-proof r.ndjson --aud "$ISS"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'no proof'* ]]
	vci-statuslist new --bits 2 --uri "$ISS/status/1" --output l.list
	run vci-statuslist alloc r.ndjson --list l.list
	echo "$output"
	[ "$status" -eq 0 ]
	run vci-statuslist get 0 --list l.list
	echo "$output"
	[ "$status" -eq 0 ]
	run vci-sign-sdjwt r.ndjson --defn "$DEFS/pid.json" --key issuer.key --cert issuer.crt --issuer "$ISS" --unchecked-proofs
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'invalid_claims'* ]]
	# options before the command word of a tool whose command is optional
	run --separate-stderr vci-sign-sdjwt --ca issuer.crt verify </dev/null
	echo "$stderr"
	[[ $stderr == *"verify: no credential in the input"* ]]
	run --separate-stderr vci-sign-mdoc verify r.ndjson --ca issuer.crt
	echo "$stderr"
	[[ $stderr != *"one input at a time"* ]]
	# after --, an operand that looks like an option is an operand
	run --separate-stderr vci-offer --issuer "$ISS" --config pid -- --r.ndjson
	[ "$status" -eq 3 ]
	[[ $stderr == *"--r.ndjson: No such file"* ]]
}

@test "vci-statuslist set passes an error record through and counts it" {
	vci-statuslist new --bits 2 --size 16 --uri "$ISS/status/1" --output l.list
	printf '{"id":1}\n' | vci-statuslist alloc --list l.list >a.ndjson
	{ cat err.ndjson a.ndjson; } >in.ndjson
	run --separate-stderr vci-statuslist set --list l.list --to revoked in.ndjson
	echo "$output"; echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$ERR" ]
	[[ $stderr == *"2 records, 1 ok, 0 failed, 1 error record passed through"* ]]
}

@test "vci-sign-sdjwt verify passes an error record through, exit 1" {
	run --separate-stderr vci-sign-sdjwt verify --ca issuer.crt err.ndjson
	[ "$status" -eq 1 ]
	[ "$output" = "$ERR" ]
}

@test "vci-sign-mdoc verify of an error record exits 1 and says its first error" {
	run --separate-stderr vci-sign-mdoc verify --ca issuer.crt err.ndjson
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"an error record: claims.birthdate: first"* ]]
}

# proof ALG KEY.pem: a proof for $ISS signed by jwcrypto (ES256 or EdDSA)
mkproof_alg() {
	"$PY" - "$1" "$2" "$ISS" <<'PYEOF'
import sys, json, time
from jwcrypto import jwk, jws
key = jwk.JWK.from_pem(open(sys.argv[2], 'rb').read())
h = {"typ": "openid4vci-proof+jwt", "alg": sys.argv[1], "jwk": key.export_public(as_dict=True)}
t = jws.JWS(json.dumps({"aud": sys.argv[3], "iat": int(time.time())}).encode())
t.add_signature(key, alg=sys.argv[1], protected=json.dumps(h))
print(t.serialize(compact=True))
PYEOF
}

# a wallet attestation by att.key/att.pem for the instance key inst.pem, and its PoP
mkwallet() {
	"$PY" - "$ISS" <<'PYEOF'
import sys, json, base64, subprocess, time
from jwcrypto import jwk, jws
now = int(time.time())
att = jwk.JWK.from_pem(open('att.key', 'rb').read())
inst = jwk.JWK.from_pem(open('inst.pem', 'rb').read())
der = subprocess.run(['openssl', 'x509', '-in', 'att.pem', '-outform', 'DER'], capture_output=True).stdout
def sign(key, hdr, claims):
    t = jws.JWS(json.dumps(claims).encode())
    t.add_signature(key, alg='ES256', protected=json.dumps(hdr))
    return t.serialize(compact=True)
a = sign(att, {"typ": "oauth-client-attestation+jwt", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]},
         {"sub": "wallet-1", "iat": now, "exp": now + 3600, "cnf": {"jwk": inst.export_public(as_dict=True)}})
p = sign(inst, {"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"},
         {"aud": sys.argv[1], "jti": "j-1", "iat": now})
print(json.dumps({"client_attestation": a, "client_attestation_pop": p}))
PYEOF
}

@test "the definition is the policy: vci-verify-proof --defn applies it, the signing tools require it" {
	need_py
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out h.pem 2>/dev/null
	openssl genpkey -algorithm ED25519 -out ed.pem 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out inst.pem 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout att.key \
		-out att.pem -subj /CN=wallet-provider -days 2 2>/dev/null
	rec() { printf '{"id":"%s","credential_configuration_id":"pid","claims":%s,"proofs":{"jwt":["%s"]}%s}\n' \
		"$1" "$(pid_claims "$1")" "$2" "${3:-}"; }
	# pid.json as shipped: ES256 only, key attestations, a wallet attestation
	rec ed "$(mkproof_alg EdDSA ed.pem)" >ed.ndjson
	run vci-verify-proof --aud "$ISS" --defn "$DEFS/pid.json" --trust att.pem ed.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_client_attestation"'* ]]
	w=$(mkwallet)
	rec ed "$(mkproof_alg EdDSA ed.pem)" ",${w:1:-1}" >ed.ndjson
	run vci-verify-proof --aud "$ISS" --defn "$DEFS/pid.json" --trust att.pem ed.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'alg \"EdDSA\" is not allowed'* ]]
	rec es "$(mkproof_alg ES256 h.pem)" ",${w:1:-1}" >es.ndjson
	run vci-verify-proof --aud "$ISS" --defn "$DEFS/pid.json" --trust att.pem es.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'no \"key_attestation\" but one is required'* ]]
	# without --defn the same proofs pass, but unmarked: signing refuses them
	run vci-verify-proof --aud "$ISS" ed.ndjson
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >unmarked.ndjson
	vci-statuslist new --bits 2 --uri "$ISS/status/1" --output l.list
	jq 'del(.key_binding.key_attestation_required)' "$DEFS/pid.json" >pid-wa.json
	run vci-statuslist alloc --list l.list unmarked.ndjson
	printf '%s\n' "$output" >unmarked.ndjson
	run --separate-stderr vci-sign-sdjwt --defn pid-wa.json --key issuer.key --cert issuer.crt \
		--issuer "$ISS" unmarked.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'"error":{"code":"invalid_proof","message":"proof_policy: missing'* ]]
	run vci-sign-sdjwt --defn pid-wa.json --key issuer.key --cert issuer.crt \
		--issuer "$ISS" --unchecked-proofs unmarked.ndjson
	[ "$status" -eq 0 ]
	[[ $output == *'"credential":"ey'* ]]
	# a definition without key attestations: ES256 and the wallet attestation pass
	run vci-verify-proof --aud "$ISS" --defn pid-wa.json es.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'no wallet provider is trusted'* ]]
	vci-verify-proof --aud "$ISS" --defn pid-wa.json --trust att.pem es.ndjson >ok.ndjson
	grep -q '"proof_policy":{"credential_configuration_id":"pid","digest":"' ok.ndjson
	grep -q '"wallet_attestation":{"sub":"wallet-1"' ok.ndjson
	vci-statuslist alloc --list l.list ok.ndjson >st.ndjson
	vci-sign-sdjwt --defn pid-wa.json --key issuer.key --cert issuer.crt --issuer "$ISS" \
		st.ndjson >signed.ndjson
	grep -q '"credential":"ey' signed.ndjson
	# what the issuance used up is not in the signed record
	! grep -q -e '"proofs"' -e 'client_attestation' signed.ndjson
	# the policy changed after the check: checked again, not signed
	jq '.key_binding.proof_algs = ["ES256","EdDSA"]' pid-wa.json >pid-new.json
	run vci-sign-sdjwt --defn pid-new.json --key issuer.key --cert issuer.crt --issuer "$ISS" st.ndjson
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'another policy'* ]]
	# --proof with --config: one proof under one definition's policy
	run vci-verify-proof --aud "$ISS" --defn pid-new.json --config pid --trust att.pem \
		--proof "$(mkproof_alg EdDSA ed.pem)"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'client_attestation: missing'* ]]
}
