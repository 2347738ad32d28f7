#!/usr/bin/env bats
# vci-sign-mdoc: signing records into mso_mdoc credentials with every
# option, each documented error and exit status, verify on our output and
# on the ISO 18013-5 Annex D vectors, and an independent check of what we
# sign with python3-cbor2 + python3-cryptography (tests/cli/mdoc-check.py).

# The records of this file carry holder keys written by hand, not proven
# by vci-verify-proof --defn: signing them needs --unchecked-proofs
# (tests/cli/pipeline.bats signs proven ones without it).
vci-sign-mdoc() {
	case "${1:-}" in
	verify) command vci-sign-mdoc "$@" ;;
	sign) shift; command vci-sign-mdoc sign --unchecked-proofs "$@" ;;
	*) command vci-sign-mdoc --unchecked-proofs "$@" ;;
	esac
}

setup() {
	command -v vci-sign-mdoc >/dev/null || skip "vci-sign-mdoc not on PATH"
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	DEFN=$SRC/examples/definitions/mdl.json
	V=$SRC/tests/vectors
	# tomorrow noon (UTC): after the certificates made below start
	NOW=$(( ($(date +%s) / 86400 + 1) * 86400 + 43200 ))
	DAY=$(date -u -d @$NOW +%Y-%m-%d)
	UNTIL=$(date -u -d @$((NOW + 365 * 86400)) +%Y-%m-%d)
	export VCI_NOW=$NOW
	cd "$D"
	pki
	holder holder.pem P-256
	HJWK=$(jwk holder.pem)
	mdl_record >rec.json
}

# an IACA root and a document signer certificate (as examples/mdoc.sh)
pki() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out iaca.key 2>/dev/null
	openssl req -x509 -new -key iaca.key -subj "/C=UT/CN=Test IACA" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out iaca.crt 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ds.key 2>/dev/null
	openssl req -new -key ds.key -subj "/C=UT/CN=Test DS" -out ds.csr 2>/dev/null
	printf '%s\n' "keyUsage=critical,digitalSignature" "extendedKeyUsage=critical,1.0.18013.5.1.2" >ds.ext
	# two years: the credentials (365 days from tomorrow) expire before it
	openssl x509 -req -in ds.csr -CA iaca.crt -CAkey iaca.key -days 730 -extfile ds.ext \
		-set_serial 2 -out ds.crt 2>/dev/null
}

holder() { # holder FILE CURVE
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$2 -out "$1" 2>/dev/null
}

jwk() { # public JWK of a PEM key, via jwcrypto
	"$PY" -c 'import sys,json; from jwcrypto import jwk
k = jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).export_public(as_dict=True)
k.pop("kid", None); print(json.dumps(k, separators=(",",":")))' "$1"
}

mdl_record() {
	printf '{"id":"r1","claims":{"org.iso.18013.5.1":{"family_name":"Doe","given_name":"Jane","birth_date":"1990-01-02","issue_date":"2024-01-01","expiry_date":"2029-01-01","issuing_country":"UT","issuing_authority":"UT DMV","document_number":"123456789","portrait":"/9j/4AAQ","driving_privileges":[{"vehicle_category_code":"A","issue_date":"2018-08-09","expiry_date":"2028-10-20"}],"un_distinguishing_sign":"UTO","age_over_18":true}},"holder_jwk":%s,"status":{"status_list":{"idx":412,"uri":"https://issuer.example.com/status/1"}}}\n' "$HJWK"
}

cred() { # the credential of the first output line
	"$PY" -c 'import sys,json; print(json.loads(sys.stdin.readline())["credential"])'
}

sign() {
	vci-sign-mdoc --defn "$DEFN" --key ds.key --cert ds.crt "$@"
}

@test "signs an mDL: format, credential; verify and the independent check accept it" {
	run sign rec.json
	[ "$status" -eq 0 ]
	[[ $output == '{"id":"r1","claims":'*'"format":"mso_mdoc","credential":"'* ]]
	echo "$output" | cred >c.txt
	# base64url, no padding
	grep -qv '[=+/]' c.txt
	run vci-sign-mdoc verify --ca iaca.crt c.txt
	[ "$status" -eq 0 ]
	[[ $output == *'"docType":"org.iso.18013.5.1.mDL"'* ]]
	[[ $output == *'"trusted":true'* ]]
	[[ $output == *'"birth_date":"1990-01-02"'* ]]
	[[ $output == *'"validityInfo":{"signed":"'$DAY'T00:00:00Z","validFrom":"'$DAY'T00:00:00Z","validUntil":"'$UNTIL'T00:00:00Z"}'* ]]
	echo "$HJWK" >h.json
	run "$PY" "$SRC/tests/cli/mdoc-check.py" c.txt --ca iaca.crt --jwk h.json
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"alg": -7'* ]]
	[[ $output == *'"msoKeys": ["status", "docType", "version", "validityInfo", "valueDigests", "deviceKeyInfo", "digestAlgorithm"]'* ]]
	[[ $output == *'"itemKeys": ["random", "digestID", "elementValue", "elementIdentifier"]'* ]]
	[[ $output == *'"birth_date": {"tag": 1004, "value": "1990-01-02"}'* ]]
	[[ $output == *'"age_over_18": true'* ]]
	[[ $output == *'"portrait": "_9j_4AAQ"'* ]]
}

@test "the independent check itself accepts the Annex D IssuerSigned (all six digests, its signature)" {
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$V/iso18013-5-annexD-issuersigned.b64u"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"msoKeys": ["version", "digestAlgorithm", "valueDigests", "deviceKeyInfo", "docType", "validityInfo"]'* ]]
	[[ $output == *'"family_name": "Doe"'* ]]
	[[ $output == *'"document_number": "123456789"'* ]]
}

@test "the independent check sees a tampered credential" {
	sign rec.json | cred >c.txt
	"$PY" - c.txt <<'EOF'
import sys, base64
s = open(sys.argv[1]).read().strip()
b = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
i = b.find(b"Jane")
b[i] = ord("X")
open(sys.argv[1], "w").write(base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))
EOF
	run "$PY" "$SRC/tests/cli/mdoc-check.py" c.txt
	[ "$status" -eq 1 ]
	[[ $output == *"given_name: digest mismatch"* ]]
	run vci-sign-mdoc verify --cert ds.crt c.txt
	[ "$status" -eq 1 ]
	[[ $output == "vci-sign-mdoc: c.txt: nameSpaces.org.iso.18013.5.1.given_name: digest does not match the MSO"* ]]
}

@test "--digest-alg SHA-384 and SHA-512; --alg ES384 with a P-384 key" {
	run sign --digest-alg SHA-384 rec.json
	[ "$status" -eq 0 ]
	echo "$output" | cred >c.txt
	run "$PY" "$SRC/tests/cli/mdoc-check.py" c.txt
	[[ $output == *'"digestAlgorithm": "SHA-384"'* ]]
	run sign --digest-alg SHA-512 --raw rec.json
	[ "$status" -eq 0 ]
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$output"
	[[ $output == *'"digestAlgorithm": "SHA-512"'* ]]
	holder ds384.key P-384
	openssl req -x509 -new -key ds384.key -subj "/CN=DS 384" -days 800 -out ds384.crt 2>/dev/null
	run vci-sign-mdoc --defn "$DEFN" --key ds384.key --cert ds384.crt --alg ES384 --raw rec.json
	[ "$status" -eq 0 ]
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"alg": -35'* ]]
}

@test "EdDSA with an Ed25519 document signer; an Ed25519 holder key" {
	openssl genpkey -algorithm ED25519 -out ed.key
	openssl req -x509 -new -key ed.key -subj "/CN=DS Ed25519" -days 800 -out ed.crt 2>/dev/null
	openssl genpkey -algorithm ED25519 -out hed.pem
	x=$(openssl pkey -in hed.pem -pubout -outform DER | tail -c 32 | base64 -w0 | tr '+/' '-_' | tr -d '=')
	sed "s/\"holder_jwk\":{[^}]*}/\"holder_jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"$x\"}/" rec.json >ed.json
	run vci-sign-mdoc --defn "$DEFN" --key ed.key --cert ed.crt --raw ed.json
	[ "$status" -eq 0 ]
	printf '{"kty":"OKP","crv":"Ed25519","x":"%s"}' "$x" >hed.json
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$output" --jwk hed.json
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"alg": -8'* ]]
	run vci-sign-mdoc --defn "$DEFN" --key ed.key --cert ed.crt --alg ES256 rec.json
	[ "$status" -eq 4 ]
	[[ $output == "vci-sign-mdoc: "*"ES256 does not fit the key"* ]]
}

@test "flat claims take the namespace from the definition; holder_jwks gives credentials[]" {
	"$PY" - "$HJWK" <<'EOF' >flat.json
import json, sys
r = {"claims": {"family_name": "Doe", "given_name": "Jane", "birth_date": "1990-01-02",
    "issue_date": "2024-01-01", "expiry_date": "2029-01-01", "issuing_country": "UT",
    "issuing_authority": "UT DMV", "document_number": "1", "portrait": "AAEC",
    "driving_privileges": [], "un_distinguishing_sign": "UTO"},
    "holder_jwks": [json.loads(sys.argv[1]), json.loads(sys.argv[1])],
    "status": {"status_list": {"idx": 7, "uri": "https://issuer.example.com/status/1"}}}
print(json.dumps(r))
EOF
	run sign flat.json
	[ "$status" -eq 0 ]
	[[ $output == *'"format":"mso_mdoc","credentials":[{"credential":"'*'"},{"credential":"'* ]]
	# the record's own claims pass through as they came
	[[ $output == '{"claims":{"family_name":"Doe","given_name":"Jane",'* ]]
	run sign --raw flat.json
	[ "${#lines[@]}" -eq 2 ]
	echo "${lines[1]}" >c1.txt
	run vci-sign-mdoc verify --raw c1.txt
	[ "$status" -eq 2 ]
	run vci-sign-mdoc verify --cert ds.crt c1.txt
	[[ $output == *'"family_name":"Doe"'* ]]
}

@test "the status reference goes into the MSO; a definition with a status list needs one" {
	run sign --raw rec.json
	[ "$status" -eq 0 ]
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$output"
	[[ $output == *'"msoKeys": ["status", "docType"'* ]]
	[[ $output == *'"status": {"status_list": {"idx": 412, "uri": "https://issuer.example.com/status/1"}}'* ]]
	sed 's/"idx":412/"idx":-1/' rec.json >bad.json
	run sign bad.json
	[ "$status" -eq 1 ]
	[[ $output == *'"error":{"code":"invalid_request","message":"status.status_list.idx: expected an integer >= 0"}'* ]]
	sed 's/,"status":{.*}}}$/}/' rec.json >nostatus.json
	run sign nostatus.json
	[ "$status" -eq 1 ]
	[[ $output == *'"error":{"code":"invalid_request","message":"status: missing: the definition '"'"'mdl'"'"' has a status list (allocate with vci-statuslist alloc)"}'* ]]
	sed 's/"status":{/"credentialStatus":{/' rec.json >w3c.json
	run sign w3c.json
	[ "$status" -eq 1 ]
	[[ $output == *'credentialStatus: an mso_mdoc credential takes a Token Status List'* ]]
	# without a status list in the definition, no status in the MSO
	"$PY" -c 'import json; m = json.load(open("'"$DEFN"'")); del m["status"]; print(json.dumps(m))' >nolist.json
	run vci-sign-mdoc --defn nolist.json --key ds.key --cert ds.crt --raw nostatus.json
	[ "$status" -eq 0 ]
	run "$PY" "$SRC/tests/cli/mdoc-check.py" "$output"
	[[ $output == *'"msoKeys": ["docType", "version"'* ]]
}

@test "--time-precision, exp and nbf from the record" {
	run sign --time-precision hour --raw rec.json
	run vci-sign-mdoc verify --cert ds.crt <<<"$output"
	[[ $output == *'"signed":"'$DAY'T12:00:00Z"'* ]]
	nbf=$(date -u -d @$((NOW + 30 * 86400)) +%Y-%m-%dT%H:%M:%SZ)
	sed 's/}$/,"nbf":"'$nbf'","exp":'$((NOW + 60 * 86400))'}/' rec.json >t.json
	run sign --raw t.json
	run vci-sign-mdoc verify --cert ds.crt --now $((NOW + 40 * 86400)) <<<"$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"validFrom":"'$nbf'","validUntil":"'$(date -u -d @$((NOW + 60 * 86400)) +%Y-%m-%dT%H:%M:%SZ)'"'* ]]
	run vci-sign-mdoc verify --cert ds.crt --now $((NOW + 20 * 86400)) <<<"$(sign --raw t.json)"
	[ "$status" -eq 1 ]
	[[ $output == *"MSO: not valid before $nbf" ]]
	run sign --time-precision fortnight rec.json
	[ "$status" -eq 2 ]
	[[ $output == "vci-sign-mdoc: --time-precision: 'fortnight': expected"* ]]
}

@test "bad records become error records, the rest are signed (exit 1)" {
	{ cat rec.json
	  sed 's/"1990-01-02"/"02.01.1990"/' rec.json
	  sed 's/,"holder_jwk":{[^}]*}//' rec.json
	  sed 's/"age_over_18":true/"age_over_18":"yes"/' rec.json
	  echo '{"claims": '
	  sed 's/"kty":"EC"/"kty":"EC","d":"AAAA"/' rec.json
	  cat rec.json; } >mixed.ndjson
	run sign --jobs 2 mixed.ndjson
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 8 ]
	[[ ${lines[0]} == *'"credential":"'* ]]
	[[ ${lines[1]} == *'"error":{"code":"invalid_claims","message":"claims[\"org.iso.18013.5.1\"].birth_date: expected full-date'* ]]
	[[ ${lines[2]} == *'"error":{"code":"invalid_proof","message":"holder_jwk: missing'* ]]
	[[ ${lines[3]} == *'"error":{"code":"invalid_claims"'*'age_over_18'* ]]
	[[ ${lines[4]} == *'"error":{"code":"invalid_json"'* ]]
	[[ ${lines[5]} == *'"error":{"code":"invalid_proof","message":"holder_jwk: has private member '"'"'d'"'"'"}'* ]]
	[[ ${lines[6]} == *'"credential":"'* ]]
	[ "${lines[7]}" = "vci-sign-mdoc: 7 records, 2 ok, 5 failed" ]
	run sign --raw mixed.ndjson
	[ "$status" -eq 1 ]
	[[ $output == *"vci-sign-mdoc: line 2: claims"*"birth_date: expected full-date"* ]]
}

@test "an element the definition types otherwise is an error, not a guess" {
	sed 's/"age_over_18":true/"age_over_18":true,"height":"180"/' rec.json >h.json
	cat >d.json <<'EOF'
{"id": "m2", "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL",
 "claims": [{"path": ["org.iso.18013.5.1", "family_name"]},
  {"path": ["org.iso.18013.5.1", "height"], "value_type": "integer"},
  {"path": ["org.iso.18013.5.1", "issue_date"], "value_type": "date-time"}],
 "allow_unknown_claims": true, "key_binding": {"methods": ["cose_key"], "proof_algs": ["ES256"]}}
EOF
	run vci-sign-mdoc --defn d.json --key ds.key --cert ds.crt h.json
	[ "$status" -eq 1 ]
	[[ $output == *'"error":{"code":"invalid_claims"'*'height'* ]]
	sed 's/"age_over_18":true/"age_over_18":true,"portrait_capture_date":"2024-01-01"/' rec.json >p.json
	run vci-sign-mdoc --defn d.json --key ds.key --cert ds.crt p.json
	[ "$status" -eq 1 ]
	[[ $output == *'issue_date: expected date-time, got \"2024-01-01\"'* ]]
}

@test "--csv: cells coerced by the definition, flat column names" {
	cat >p.csv <<EOF
family_name,given_name,birth_date,issue_date,expiry_date,issuing_country,issuing_authority,document_number,portrait,driving_privileges,un_distinguishing_sign,age_over_18,record.id
Doe,Jane,1990-01-02,2024-01-01,2029-01-01,UT,UT DMV,1,AAEC,[],UTO,true,c1
EOF
	"$PY" -c 'import sys; print(open("p.csv").read().replace("c1\n", "c1\n"))' >/dev/null
	# the holder key comes from a record column holding JSON is not CSV's job:
	# without one the row is refused
	run sign --csv p.csv
	[ "$status" -eq 1 ]
	[[ $output == *'"id":"c1"'*'holder_jwk: missing'* ]]
	cat >nb.json <<'EOF'
{"id": "nb", "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL",
 "claims": [{"path": ["org.iso.18013.5.1", "family_name"]},
  {"path": ["org.iso.18013.5.1", "age_over_18"], "value_type": "boolean"}],
 "allow_unknown_claims": true}
EOF
	run vci-sign-mdoc --defn nb.json --key ds.key --cert ds.crt --csv p.csv
	[ "$status" -eq 1 ]
	[[ $output == *'an mdoc is bound to a device key'* ]]
}

@test "--config, credential_configuration_id, several definitions" {
	"$PY" -c 'import json; m = json.load(open("'"$DEFN"'")); p = dict(m, id="mdl2"); print(json.dumps([m, p]))' >two.json
	run vci-sign-mdoc --defn two.json --key ds.key --cert ds.crt rec.json
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_request","message":"credential_configuration_id: missing, and 2 definitions'* ]]
	run vci-sign-mdoc --defn two.json --config mdl2 --key ds.key --cert ds.crt rec.json
	[ "$status" -eq 0 ]
	sed 's/^{/{"credential_configuration_id":"mdl",/' rec.json >cc.json
	run vci-sign-mdoc --defn two.json --key ds.key --cert ds.crt cc.json
	[ "$status" -eq 0 ]
	run vci-sign-mdoc --defn two.json --config nope --key ds.key --cert ds.crt rec.json
	[ "$status" -eq 2 ]
	[[ $output == *"vci-sign-mdoc: --config: 'nope' is not among the loaded definitions"* ]]
	run vci-sign-mdoc --defn "$SRC/examples/definitions/pid.json" --key ds.key --cert ds.crt rec.json
	[ "$status" -eq 3 ]
	[ "$output" = "vci-sign-mdoc: $SRC/examples/definitions/pid.json: no mso_mdoc definition" ]
	# a record naming a configuration that is not loaded is a failed record
	sed 's/^{/{"credential_configuration_id":"nope",/' rec.json >nope.json
	run vci-sign-mdoc --defn two.json --key ds.key --cert ds.crt nope.json
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"unknown_credential_configuration"'* ]]
}

@test "--output writes atomically; --progress and --no-progress; --jobs keeps order" {
	for i in 1 2 3 4 5 6 7 8 9 10; do sed "s/\"r1\"/\"r$i\"/" rec.json; done >ten.ndjson
	run sign --jobs 2 --no-progress --output out.ndjson ten.ndjson
	[ "$status" -eq 0 ]
	[ "$(cut -c1-12 out.ndjson | tr '\n' ' ')" = '{"id":"r1"," {"id":"r2"," {"id":"r3"," {"id":"r4"," {"id":"r5"," {"id":"r6"," {"id":"r7"," {"id":"r8"," {"id":"r9"," {"id":"r10", ' ]
	[ "$output" = "vci-sign-mdoc: 10 records, 10 ok, 0 failed" ]
	run sign --progress ten.ndjson
	[[ $output == *"10 records, 0 failed"* ]]
	run sign --output /nonexistent/dir/out ten.ndjson
	[ "$status" -eq 5 ]
	[ ! -e /nonexistent/dir/out ]
}

@test "key and certificate problems: exit 4" {
	run sign --key missing.key rec.json
	[ "$status" -eq 4 ]
	[[ ${lines[0]} == "vci-sign-mdoc: missing.key: "* ]]
	holder other.key P-256
	run vci-sign-mdoc --defn "$DEFN" --key other.key --cert ds.crt rec.json
	[ "$status" -eq 4 ]
	[ "$output" = "vci-sign-mdoc: ds.crt: x5chain: the first certificate is not for the signing key" ]
	cat ds.crt iaca.crt >withroot.pem
	run vci-sign-mdoc --defn "$DEFN" --key ds.key --cert withroot.pem rec.json
	[ "$status" -eq 4 ]
	[[ $output == *"certificate 2 is a self-signed root; leave the IACA root out"* ]]
	run vci-sign-mdoc --defn "$DEFN" --key ds.key --cert missing.crt rec.json
	[ "$status" -eq 4 ]
	openssl pkey -in ds.key -aes128 -passout pass:secret -out enc.key
	run vci-sign-mdoc --defn "$DEFN" --key enc.key --pass pass:secret --cert ds.crt --raw rec.json
	[ "$status" -eq 0 ]
	run vci-sign-mdoc --defn "$DEFN" --key enc.key --pass pass:wrong --cert ds.crt rec.json
	[ "$status" -eq 4 ]
	[[ $output != *secret* ]]
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
	openssl req -x509 -new -key rsa.key -subj "/CN=r" -days 3 -out rsa.crt 2>/dev/null
	run vci-sign-mdoc --defn "$DEFN" --key rsa.key --cert rsa.crt rec.json
	[ "$status" -eq 4 ]
	[[ $output == *"ES256, ES384, ES512 or EdDSA, not PS256"* ]]
}

@test "usage errors: exit 2" {
	run vci-sign-mdoc rec.json
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "vci-sign-mdoc: --defn FILE, --key KEY and --cert CHAIN are required" ]
	run sign --alg RS256 rec.json
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "vci-sign-mdoc: --alg: 'RS256': expected ES256, ES384, ES512 or EdDSA" ]]
	run sign --digest-alg MD5 rec.json
	[ "$status" -eq 2 ]
	run sign --now 5 rec.json
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "vci-sign-mdoc: --now does nothing for sign: it is for verify" ]]
	run vci-sign-mdoc verify --key ds.key c.txt
	[ "$status" -eq 2 ]
	run vci-sign-mdoc verify --now yesterday c.txt
	[ "$status" -eq 2 ]
	run vci-sign-mdoc verify a b
	[ "$status" -eq 2 ]
	run sign --csv x.csv rec.json
	[ "$status" -eq 2 ]
}

@test "bad input files: exit 3 (definition, records document)" {
	echo '{' >bad-defn.json
	run vci-sign-mdoc --defn bad-defn.json --key ds.key --cert ds.crt rec.json
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "vci-sign-mdoc: "* ]]
	printf '[{"a":1}' >broken.json
	run sign broken.json
	[ "$status" -eq 3 ]
	run sign missing.ndjson
	[ "$status" -eq 3 ]
	[ "$output" = "vci-sign-mdoc: missing.ndjson: No such file or directory" ]
	run vci-sign-mdoc verify --cert ds.crt missing.b64u
	[ "$status" -eq 3 ]
}

@test "verify: Annex D IssuerSigned at its validity date, all six elements" {
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 2021-01-01T00:00:00Z "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 0 ]
	[[ $output == *'"nameSpaces":{"org.iso.18013.5.1":{"family_name":"Doe","issue_date":"2019-10-20","expiry_date":"2024-10-20","document_number":"123456789","portrait":"_9j_4AAQSkZJRgABAQEAkACQAAD'* ]]
	[[ $output == *'"driving_privileges":[{"vehicle_category_code":"A","issue_date":"2018-08-09","expiry_date":"2024-10-20"},{"vehicle_category_code":"B","issue_date":"2017-02-23","expiry_date":"2024-10-20"}]'* ]]
	[[ $output == *'"trusted":true'* ]]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 1 ]
	[[ $output == *"MSO: expired at 2021-10-01T13:30:02Z" ]]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 --doctype org.iso.18013.5.1.mDL <"$V/iso18013-5-annexD-device-response.hex"
	[ "$status" -eq 0 ]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 --doctype eu.europa.ec.eudi.pid.1 "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 1 ]
	[[ $output == *"docType is org.iso.18013.5.1.mDL, not eu.europa.ec.eudi.pid.1" ]]
	run vci-sign-mdoc verify --now 1609459200 --ca iaca.crt "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 1 ]
	[[ $output == *"x5chain: "* ]]
}

@test "verify: tampered Annex D copies are refused; binary CBOR input; malformed input exit 3" {
	"$PY" - "$V/iso18013-5-annexD-issuersigned.b64u" <<'EOF'
import sys, base64
s = open(sys.argv[1]).read().strip()
b = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
open("ok.cbor", "wb").write(b)
def put(name, old, new):
    i = b.find(old)
    assert i >= 0, name
    open(name, "wb").write(b[:i] + new + b[i + len(old):])
put("value.cbor", b"cDoe", b"cDoa")
put("digest.cbor", bytes.fromhex("75167333b47b6c2b"), bytes.fromhex("75167333b47b6c2c"))
open("sig.cbor", "wb").write(b[:-1] + bytes([b[-1] ^ 1]))
put("doctype.cbor", b"org.iso.18013.5.1.mDL", b"org.iso.18013.5.1.mDX")
open("trunc.cbor", "wb").write(b[:100])
EOF
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 ok.cbor
	[ "$status" -eq 0 ]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 value.cbor
	[ "$status" -eq 1 ]
	[[ $output == *"family_name: digest does not match the MSO (digestID 0)" ]]
	for f in digest sig doctype; do
		run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 $f.cbor
		[ "$status" -eq 1 ]
		[[ $output == *"IssuerAuth: COSE: signature does not verify" ]]
	done
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 1609459200 trunc.cbor
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	printf 'not*base64' >junk.txt
	run vci-sign-mdoc verify --cert ds.crt junk.txt
	[ "$status" -eq 3 ]
	printf '\x5a\xff\xff\xff\xff' >huge.cbor
	run vci-sign-mdoc verify --cert ds.crt huge.cbor
	[ "$status" -eq 3 ]
	[[ $output == *"string longer than the input"* ]]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --output v.json --at 1609459200 sig.cbor
	[ ! -e v.json ]
}

@test "verify --ca: a document signer whose extended key usage lacks mdlDS is refused" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tls.key 2>/dev/null
	openssl req -new -key tls.key -subj "/C=UT/CN=Not a DS" -out tls.csr 2>/dev/null
	printf '%s\n' "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >tls.ext
	openssl x509 -req -in tls.csr -CA iaca.crt -CAkey iaca.key -days 30 -extfile tls.ext \
		-set_serial 3 -out tls.crt 2>/dev/null
	vci-sign-mdoc --defn "$DEFN" --key tls.key --cert tls.crt --raw rec.json >tls.b64u
	run vci-sign-mdoc verify --cert tls.crt tls.b64u
	[ "$status" -eq 0 ]
	run vci-sign-mdoc verify --ca iaca.crt tls.b64u
	[ "$status" -eq 1 ]
	[ "$output" = "vci-sign-mdoc: tls.b64u: x5chain: the document signer certificate's extended key usage does not include mdlDS (1.0.18013.5.1.2)" ]
}

@test "verify needs a trust anchor: without --ca or --cert exit 2; a credential of another signer fails --cert and --ca" {
	run vci-sign-mdoc verify --at 2021-01-01T00:00:00Z "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "vci-sign-mdoc: verify: give --ca FILE (trust anchors) or --cert FILE (the document signer)" ]]
	sign --raw rec.json >ours.b64u
	# anyone's key and self-signed certificate
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out any.key 2>/dev/null
	openssl req -x509 -new -key any.key -subj "/CN=Anyone" -days 30 -out any.crt 2>/dev/null
	vci-sign-mdoc --defn "$DEFN" --key any.key --cert any.crt --raw rec.json >any.b64u
	run vci-sign-mdoc verify any.b64u
	[ "$status" -eq 2 ]
	run vci-sign-mdoc verify --cert ds.crt any.b64u
	[ "$status" -eq 1 ]
	[[ $output == *"x5chain: the document signer is not the certificate of --cert" ]]
	run vci-sign-mdoc verify --ca iaca.crt any.b64u
	[ "$status" -eq 1 ]
	run vci-sign-mdoc verify --cert ds.crt ours.b64u
	[ "$status" -eq 0 ]
	[[ $output == *'"trusted":true'* ]]
	# the pinned certificate is judged at the time judged
	run vci-sign-mdoc verify --cert any.crt --at $((NOW + 40 * 86400)) any.b64u
	[ "$status" -eq 4 ]
	[[ $output == *'--cert: any.crt: certificate "/CN=Anyone" expired at '* ]]
	run vci-sign-mdoc verify --cert any.crt any.b64u
	[ "$status" -eq 0 ]
}

@test "verify reads a signed record (credential and credentials)" {
	sign rec.json >signed.json
	run vci-sign-mdoc verify --ca iaca.crt --doctype org.iso.18013.5.1.mDL signed.json
	[ "$status" -eq 0 ]
	[[ $output == *'"trusted":true'* ]]
	echo '{"id":1}' >nocred.json
	run vci-sign-mdoc verify --ca iaca.crt nocred.json
	[ "$status" -eq 3 ]
	[[ $output == *"a record without credential or credentials" ]]
	# NDJSON: every record's credentials, one line per document
	{ sign rec.json; sign rec.json; } >two.ndjson
	run vci-sign-mdoc verify --ca iaca.crt <two.ndjson
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	{ cat two.ndjson; echo '{"id":3}'; } >three.ndjson
	run vci-sign-mdoc verify --ca iaca.crt three.ndjson
	[ "$status" -eq 3 ]
	[[ $output == *"three.ndjson: line 3: a record without credential or credentials" ]]
}

@test "--help lists every option; each is in the man page and the completions" {
	run vci-sign-mdoc --help
	[ "$status" -eq 0 ]
	opts=$(printf '%s\n' "$output" | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
	[ -n "$opts" ]
	for o in $opts; do
		case $o in --help|--version) continue ;; esac
		grep -q -- "Fl -${o#--}\\b" "$SRC/man/vci-sign-mdoc.1" || { echo "man: $o"; return 1; }
		grep -q -- "$o" "$SRC/completions/bash/vci-sign-mdoc" || { echo "bash: $o"; return 1; }
		grep -q -- "$o" "$SRC/completions/zsh/_vci-sign-mdoc" || { echo "zsh: $o"; return 1; }
		grep -q -- "-l ${o#--}\\b" "$SRC/completions/fish/vci-sign-mdoc.fish" || { echo "fish: $o"; return 1; }
	done
	run vci-sign-mdoc --version
	[[ $output == "vci-sign-mdoc (vci-tools) "* ]]
	# "sign" may be named
	run vci-sign-mdoc sign --defn "$DEFN" --key ds.key --cert ds.crt --raw rec.json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}
