#!/usr/bin/env bats
# vci-sign-sdjwt: every option and documented error of sign and verify.
# What we issue is checked with implementations we did not write:
# python3-jwcrypto verifies the issuer signature and a few lines of Python
# recompute every disclosure digest; jwcrypto also makes a KB-JWT that our
# verifier must accept.

bats_require_minimum_version 1.5.0

ISS=https://issuer.example.com
HJWK='{"kty":"EC","crv":"P-256","x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc","y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}'
STATUS='{"status_list":{"idx":7,"uri":"https://issuer.example.com/status/1"}}'
CLAIMS='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE","FR"],"issuing_country":"DE","issuing_authority":"DE","address":{"street_address":"Heidestr. 17","locality":"Berlin"},"age_equal_or_over":{"18":true}}'

# The records of this file carry holder keys written by hand, not proven
# by vci-verify-proof --defn: signing them needs --unchecked-proofs
# (tests/cli/pipeline.bats signs proven ones without it).
vci-sign-sdjwt() {
	case "${1:-}" in
	verify) command vci-sign-sdjwt "$@" ;;
	sign) shift; command vci-sign-sdjwt sign --unchecked-proofs "$@" ;;
	*) command vci-sign-sdjwt --unchecked-proofs "$@" ;;
	esac
}

setup() {
	command -v vci-sign-sdjwt >/dev/null || skip "vci-sign-sdjwt not on PATH"
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	DEFS=$SRC/examples/definitions
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/issuer.key" 2>/dev/null
	# valid longer than the credentials (a credential that outlives its
	# certificate is signed with a warning: cert-validity.bats)
	openssl req -x509 -new -key "$D/issuer.key" -subj "/CN=Example Issuer" -days 400 \
		-out "$D/issuer.crt" 2>/dev/null
	printf '{"id":"h-1","claims":%s,"holder_jwk":%s,"status":%s}\n' "$CLAIMS" "$HJWK" "$STATUS" >"$D/rec.json"
}

need_py() {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
}

sign() { # sign [options...] < records
	vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/issuer.key" --cert "$D/issuer.crt" \
		--issuer "$ISS" "$@"
}

# check CRED-FILE PEM [sha-256]: verify the signature with jwcrypto, recompute
# every digest, check each disclosure is referenced exactly once; print the
# header, then the payload, then the disclosed claims (one JSON per line).
check() {
	"$PY" - "$1" "$2" "${3:-sha-256}" <<'PYEOF'
import sys, json, base64, hashlib
from jwcrypto import jwk, jws
cred = open(sys.argv[1]).read().strip()
key = jwk.JWK.from_pem(open(sys.argv[2], 'rb').read())
H = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}[sys.argv[3]]
assert cred.endswith('~'), "an SD-JWT ends in ~"
parts = cred.split('~')
t = jws.JWS()
t.deserialize(parts[0])
t.verify(key)                       # raises if the signature is bad
b64d = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
b64e = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
hdr = json.loads(b64d(parts[0].split('.')[0]))
payload = json.loads(t.payload)
disc = {b64e(H(d.encode('ascii')).digest()): json.loads(b64d(d)) for d in parts[1:-1]}
assert len(disc) == len(parts) - 2, "disclosures are distinct"
used = set()
def walk(v):
    if isinstance(v, dict):
        out = {k: walk(x) for k, x in v.items() if k != '_sd'}
        for dg in v.get('_sd', []):
            if dg in disc:
                assert dg not in used; used.add(dg)
                s, name, val = disc[dg]
                assert len(s) >= 22 and name not in out
                out[name] = walk(val)
        return out
    if isinstance(v, list):
        out = []
        for x in v:
            if isinstance(x, dict) and list(x) == ['...']:
                if x['...'] in disc:
                    assert x['...'] not in used; used.add(x['...'])
                    out.append(walk(disc[x['...']][1]))
            else:
                out.append(walk(x))
        return out
    return v
claims = walk(payload)
assert used == set(disc), "every disclosure is referenced"
claims.pop('_sd_alg', None)
print(json.dumps(hdr, sort_keys=True))
print(json.dumps(payload, sort_keys=True))
print(json.dumps(claims, sort_keys=True))
PYEOF
}

field() { # field NAME < record: the string value of a top-level field
	"$PY" -c 'import sys, json; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"
}

@test "signs a PID record: jwcrypto verifies, every digest recomputed, claims as given" {
	need_py
	run sign "$D/rec.json"
	[ "$status" -eq 0 ]
	[[ "$output" == '{"id":"h-1","claims":'*'"format":"dc+sd-jwt","credential":"ey'*'~"}' ]]
	echo "$output" | field credential >"$D/cred"
	run check "$D/cred" "$D/issuer.crt"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'"alg": "ES256"'*'"typ": "dc+sd-jwt"'*'"x5c": ["'* ]]
	# plaintext: issuer-set claims and sd never; no selectively disclosable claim in clear
	[[ "${lines[1]}" == *'"_sd_alg": "sha-256"'* ]]
	[[ "${lines[1]}" == *'"cnf": {"jwk": {"crv": "P-256"'* ]]
	[[ "${lines[1]}" == *'"issuing_country": "DE"'* ]]
	[[ "${lines[1]}" == *'"status": {"status_list": {"idx": 7'* ]]
	[[ "${lines[1]}" == *'"vct": "urn:eudi:pid:1"'* ]]
	[[ "${lines[1]}" == *'"iss": "https://issuer.example.com"'* ]]
	[[ "${lines[1]}" != *Erika* && "${lines[1]}" != *Berlin* && "${lines[1]}" != *given_name* ]]
	# everything disclosed comes back, nested and array elements included
	[[ "${lines[2]}" == *'"address": {"locality": "Berlin", "street_address": "Heidestr. 17"}'* ]]
	[[ "${lines[2]}" == *'"nationalities": ["DE", "FR"]'* ]]
	[[ "${lines[2]}" == *'"age_equal_or_over": {"18": true}'* ]]
	[[ "${lines[2]}" == *'"given_name": "Erika"'* ]]
}

@test "our verify prints the disclosed claims; --cert, --jwk and --ca all work" {
	sign --raw "$D/rec.json" >"$D/cred"
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/cred"
	[ "$status" -eq 0 ]
	[[ "$output" == '{"iss":"https://issuer.example.com","iat":'*'"given_name":"Erika"'* ]]
	[[ "$output" != *'"_sd'* ]]
	openssl pkey -in "$D/issuer.key" -pubout -out "$D/issuer.pub"
	run vci-sign-sdjwt verify --jwk "$D/issuer.pub" <"$D/cred"
	[ "$status" -eq 0 ]
	run vci-sign-sdjwt verify --ca "$D/issuer.crt" "$D/cred"
	[ "$status" -eq 0 ]
	# records with a credential field work too
	sign "$D/rec.json" >"$D/issued.ndjson"
	run vci-sign-sdjwt verify --ca "$D/issuer.crt" "$D/issued.ndjson"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"family_name":"Mustermann"'* ]]
}

@test "verify: a tampered credential is an error record, a line on stderr and exit 1" {
	sign --raw "$D/rec.json" >"$D/cred"
	c=$(cat "$D/cred")
	# drop the leading character of the first disclosure: unreferenced or malformed
	bad=$(printf '%s' "$c" | sed 's/~W/~X/')
	printf '%s\n%s\n' "$c" "$bad" >"$D/two"
	run --separate-stderr vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/two"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"given_name":"Erika"'* ]]
	[[ "${lines[1]}" == '{"error":{"code":"invalid_sd_jwt","message":"SD-JWT: disclosure 1'*'"line":2}' ]]
	[[ "$stderr" == "vci-sign-sdjwt: $D/two: line 2: SD-JWT: disclosure 1"* ]]
	# another issuer's key: invalid signature
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/other.key" 2>/dev/null
	openssl req -x509 -new -key "$D/other.key" -subj "/CN=Other" -days 30 -out "$D/other.crt" 2>/dev/null
	run vci-sign-sdjwt verify --cert "$D/other.crt" "$D/cred"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"code":"invalid_signature"'* ]]
	run vci-sign-sdjwt verify --ca "$D/other.crt" "$D/cred"
	[ "$status" -eq 1 ]
	# a plain JWT is not an SD-JWT
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" <<<"${c%%~*}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no '~'"* ]]
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" <<<'{"id":1}'
	[ "$status" -eq 1 ]
	[[ "$output" == *'no \"credential\"'* ]]
}

@test "verify: the RFC 9901 vectors, with and without key binding" {
	v=$SRC/tests/vectors
	printf '%s' '{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}' >"$D/rfc.jwk"
	run vci-sign-sdjwt verify --jwk "$D/rfc.jwk" "$v/rfc9901-5.1-issuance.txt" "$v/oid4vci-1.0-A.3.4-sd-jwt-vc.txt" "$v/tsl-6.2-referenced-token-sd-jwt.txt"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *'"nationalities":["US","DE"]'* ]]
	[[ "${lines[1]}" == *'"vct":"https://credentials.example.com/identity_credential"'* ]]
	export VCI_NOW=1748537244
	run vci-sign-sdjwt verify --jwk "$D/rfc.jwk" --kb-aud https://verifier.example.org \
		--kb-nonce 1234567890 "$v/rfc9901-5.2-presentation.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"nationalities":["US"]'*'"given_name":"John"}' ]]
	run vci-sign-sdjwt verify --jwk "$D/rfc.jwk" --kb-aud https://verifier.example.org \
		--kb-nonce 0000000000 "$v/rfc9901-5.2-presentation.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"code":"invalid_kb_jwt"'*'nonce'* ]]
	run vci-sign-sdjwt verify --jwk "$D/rfc.jwk" "$v/rfc9901-5.2-presentation.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *'KB-JWT: present'* ]]
	run vci-sign-sdjwt verify --jwk "$D/rfc.jwk" --alg ES384 "$v/rfc9901-5.1-issuance.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *'not allowed'* ]]
}

@test "verify: a KB-JWT made by jwcrypto over our credential is accepted; a wrong aud is not" {
	need_py
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/holder.pem" 2>/dev/null
	hjwk=$("$PY" -c 'import sys; from jwcrypto import jwk; print(jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).export_public())' "$D/holder.pem")
	printf '{"claims":%s,"holder_jwk":%s,"status":%s}\n' "$CLAIMS" "$hjwk" "$STATUS" | sign --raw >"$D/cred"
	"$PY" - "$D/cred" "$D/holder.pem" >"$D/vp" <<'PYEOF'
import sys, json, time, base64, hashlib
from jwcrypto import jwk, jws
cred = open(sys.argv[1]).read().strip()
key = jwk.JWK.from_pem(open(sys.argv[2], 'rb').read())
parts = cred.split('~')
# present the first two disclosures only
sd = '~'.join(parts[:3]) + '~'
h = base64.urlsafe_b64encode(hashlib.sha256(sd.encode()).digest()).rstrip(b'=').decode()
t = jws.JWS(json.dumps({"iat": int(time.time()), "aud": "https://verifier.example.org",
                        "nonce": "n-42", "sd_hash": h}).encode())
t.add_signature(key, alg='ES256', protected=json.dumps({"typ": "kb+jwt", "alg": "ES256"}))
print(sd + t.serialize(compact=True))
PYEOF
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" --kb-aud https://verifier.example.org --kb-nonce n-42 "$D/vp"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"cnf":{"jwk":'* ]]
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" --kb-aud https://other.example --kb-nonce n-42 "$D/vp"
	[ "$status" -eq 1 ]
	[[ "$output" == *'aud'* ]]
}

@test "--kid, --legacy-typ, --raw" {
	need_py
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/issuer.key" --kid key-1 --issuer "$ISS" \
		--legacy-typ --raw "$D/rec.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == ey*~ ]]
	echo "${lines[0]}" >"$D/cred"
	run check "$D/cred" "$D/issuer.crt"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == '{"alg": "ES256", "kid": "key-1", "typ": "vc+sd-jwt"}' ]]
	run sign --legacy-typ "$D/rec.json"
	[[ "$output" == *'"format":"vc+sd-jwt"'* ]]
}

@test "--sd-alg sha-384 and sha-512: digests recomputed by Python" {
	need_py
	for a in sha-384 sha-512; do
		sign --raw --sd-alg "$a" "$D/rec.json" >"$D/cred"
		run check "$D/cred" "$D/issuer.crt" "$a"
		[ "$status" -eq 0 ]
		[[ "${lines[1]}" == *"\"_sd_alg\": \"$a\""* ]]
		run vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/cred"
		[ "$status" -eq 0 ]
	done
}

@test "--decoys N: exactly N decoys per _sd array; default 1 to 4; salts differ per credential" {
	need_py
	count() {
		"$PY" -c '
import sys, json, base64
c = open(sys.argv[1]).read().strip().split("~")
p = json.loads(base64.urlsafe_b64decode(c[0].split(".")[1] + "=="))
print(len(p["_sd"]), len(c) - 2)' "$1"
	}
	sign --raw --decoys 0 "$D/rec.json" >"$D/c0"
	# top level: 6 disclosable claims, no decoys; 11 disclosures in all
	[ "$(count "$D/c0")" = "6 11" ]
	sign --raw --decoys 5 "$D/rec.json" >"$D/c5"
	[ "$(count "$D/c5")" = "11 11" ]
	sign --raw "$D/rec.json" >"$D/cd"
	n=$(count "$D/cd" | cut -d' ' -f1)
	[ "$n" -ge 7 ] && [ "$n" -le 10 ]
	# the same record twice: no disclosure in common
	[ -z "$(comm -12 <(tr '~' '\n' <"$D/c0" | sort) <(tr '~' '\n' <"$D/c5" | sort))" ]
}

@test "--time-precision and VCI_NOW: iat rounded; exp from expiry_days or the record" {
	iat() { vci-sign-sdjwt verify --cert "$D/issuer.crt" "$1" | sed 's/.*"iat":\([0-9]*\).*/\1/'; }
	exp() { vci-sign-sdjwt verify --cert "$D/issuer.crt" "$1" | sed 's/.*"exp":\([0-9]*\).*/\1/'; }
	export VCI_NOW=1790000123
	# a time before the certificate made now: sign with a kid (the
	# certificate would be refused as not yet valid)
	sign() { vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/issuer.key" --kid k1 --issuer "$ISS" "$@"; }
	sign --raw "$D/rec.json" >"$D/c"
	[ "$(iat "$D/c")" -eq 1789948800 ]
	[ "$(exp "$D/c")" -eq $((1789948800 + 90 * 86400)) ]
	sign --raw --time-precision hour "$D/rec.json" >"$D/c"
	[ "$(iat "$D/c")" -eq 1789999200 ]
	sign --raw --time-precision 15m "$D/rec.json" >"$D/c"
	[ "$(iat "$D/c")" -eq 1790000100 ]
	sign --raw --time-precision second "$D/rec.json" >"$D/c"
	[ "$(iat "$D/c")" -eq 1790000123 ]
	sed 's/}$/,"exp":"2027-01-01T00:00:00Z","nbf":1790000000}/' "$D/rec.json" | sign --raw >"$D/c"
	[ "$(exp "$D/c")" -eq 1798761600 ]
	vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/c" | grep -q '"nbf":1790000000'
	run sign --time-precision week "$D/rec.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *'--time-precision: '\''week'\'''* ]]
}

@test "--format jwt_vc_json: a W3C VC JWT jwcrypto verifies, bound to the holder's did:jwk" {
	need_py
	cs='{"id":"https://issuer.example.com/status/3#94567","type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"94567","statusListCredential":"https://issuer.example.com/status/3"}'
	printf '{"claims":{"given_name":"Ada","family_name":"Lovelace","degree":{"type":"BachelorDegree"},"awarded":"2020-07-01"},"holder_jwk":%s,"credentialStatus":%s}\n' "$HJWK" "$cs" >"$D/vc.json"
	run vci-sign-sdjwt --defn "$DEFS/diploma.json" --format jwt_vc_json --key "$D/issuer.key" \
		--kid k1 --issuer "$ISS" "$D/vc.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"format":"jwt_vc_json","credential":"ey'* ]]
	echo "$output" | field credential >"$D/jwt"
	run "$PY" - "$D/jwt" "$D/issuer.crt" <<'PYEOF'
import sys, json, base64
from jwcrypto import jwk, jws
t = jws.JWS(); t.deserialize(open(sys.argv[1]).read().strip())
t.verify(jwk.JWK.from_pem(open(sys.argv[2], 'rb').read()))
p = json.loads(t.payload)
did = p["sub"]
assert did.startswith("did:jwk:")
j = json.loads(base64.urlsafe_b64decode(did[8:] + "=="))
assert j["x"] == "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc"
vc = p["vc"]
assert vc["credentialSubject"]["id"] == did and vc["credentialSubject"]["given_name"] == "Ada"
assert vc["type"] == ["VerifiableCredential", "UniversityDegreeCredential"]
assert vc["@context"][0] == "https://www.w3.org/2018/credentials/v1"
assert vc["credentialStatus"]["statusListIndex"] == "94567"
assert p["jti"].startswith("urn:uuid:") and p["iss"] == "https://issuer.example.com"
assert p["nbf"] <= p["exp"]
print(t.jose_header["typ"])
PYEOF
	[ "$status" -eq 0 ]
	[ "$output" = JWT ]
	# a TSL status on a jwt_vc_json record is refused
	sed 's/"credentialStatus":{[^}]*}/"status":{"status_list":{"idx":1,"uri":"https:\/\/x.example\/s"}}/' "$D/vc.json" >"$D/vc2.json"
	run vci-sign-sdjwt --defn "$DEFS/diploma.json" --key "$D/issuer.key" --kid k1 --issuer "$ISS" "$D/vc2.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *'a jwt_vc_json credential takes a W3C credentialStatus'* ]]
	# --format that no loaded definition has
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --format jwt_vc_json --key "$D/issuer.key" --kid k1 --issuer "$ISS" "$D/vc.json"
	[ "$status" -eq 3 ]
	[[ "$output" == "vci-sign-sdjwt: $DEFS/pid.json: no jwt_vc_json definition" ]]
	run sign --format mso_mdoc "$D/rec.json"
	[ "$status" -eq 2 ]
	run sign --format jwt_vc_json --legacy-typ "$D/rec.json"
	[ "$status" -eq 2 ]
}

@test "--config and credential_configuration_id choose among several definitions" {
	"$PY" -c 'import json,sys; print(json.dumps([json.load(open(f)) for f in sys.argv[1:]]))' \
		"$DEFS/pid.json" "$DEFS/diploma.json" "$DEFS/mdl.json" >"$D/all.json"
	run vci-sign-sdjwt --defn "$D/all.json" --config pid --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"format":"dc+sd-jwt"'* ]]
	sed 's/^{/{"credential_configuration_id":"pid",/' "$D/rec.json" >"$D/cc.json"
	run vci-sign-sdjwt --defn "$D/all.json" --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/cc.json"
	[ "$status" -eq 0 ]
	run vci-sign-sdjwt --defn "$D/all.json" --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"code":"invalid_request"'*'give --config ID'* ]]
	run vci-sign-sdjwt --defn "$D/all.json" --config nope --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'nope' is not among the loaded definitions"* ]]
	run vci-sign-sdjwt --defn "$D/all.json" --config mdl --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *'mso_mdoc definition'* ]]
}

@test "--alg: RS256 and PS256 for an RSA key; an alg that does not fit the key is exit 4" {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$D/rsa.key" 2>/dev/null
	openssl pkey -in "$D/rsa.key" -pubout -out "$D/rsa.pub"
	for a in RS256 PS256; do
		vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/rsa.key" --kid r --issuer "$ISS" --alg "$a" --raw "$D/rec.json" >"$D/c"
		head -c 40 "$D/c" | cut -d. -f1 | base64 -d 2>/dev/null | grep -q "\"alg\":\"$a\""
		vci-sign-sdjwt verify --jwk "$D/rsa.pub" "$D/c" >/dev/null
	done
	run sign --alg ES384 "$D/rec.json"
	[ "$status" -eq 4 ]
	[[ "$output" == "vci-sign-sdjwt: JWS: algorithm ES384 does not fit the key" ]]
	run sign --alg HS256 "$D/rec.json"
	[ "$status" -eq 2 ]
}

@test "--pass: an encrypted key; a wrong passphrase or a missing key is exit 4" {
	openssl pkey -in "$D/issuer.key" -aes256 -passout pass:s3cret -out "$D/enc.key"
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/enc.key" --pass pass:s3cret --kid k --issuer "$ISS" --raw "$D/rec.json"
	[ "$status" -eq 0 ]
	[[ "$output" == ey*~ ]]
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/enc.key" --pass pass:wrong --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 4 ]
	[ -z "$(echo "$output" | grep s3cret)" ]
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/nope.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 4 ]
	[[ "$output" == "vci-sign-sdjwt: "*nope.key* ]]
}

@test "--cert for another key is exit 4; an unreadable certificate too" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/other.key" 2>/dev/null
	openssl req -x509 -new -key "$D/other.key" -subj "/CN=Other" -days 30 -out "$D/other.crt" 2>/dev/null
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/issuer.key" --cert "$D/other.crt" --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 4 ]
	[[ "$output" == "vci-sign-sdjwt: --cert: $D/other.crt: the first certificate is not for the signing key" ]]
	run vci-sign-sdjwt --defn "$DEFS/pid.json" --key "$D/issuer.key" --cert "$D/none.crt" --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 4 ]
}

@test "holder_jwks: one credential per key in credentials[]" {
	printf '{"claims":%s,"holder_jwks":[%s,%s],"status":%s}\n' "$CLAIMS" "$HJWK" "$HJWK" "$STATUS" | sign >"$D/out"
	grep -q '"credentials":\[{"credential":"ey[^"]*~"},{"credential":"ey[^"]*~"}\]' "$D/out"
	printf '{"claims":%s,"holder_jwks":[%s,%s],"status":%s}\n' "$CLAIMS" "$HJWK" "$HJWK" "$STATUS" | sign --raw >"$D/raw"
	[ "$(wc -l <"$D/raw")" -eq 2 ]
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/out"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "bad records become error records, the others are signed, exit 1 and a summary" {
	{
		cat "$D/rec.json"
		printf '{"id":"no-key","claims":%s,"status":%s}\n' "$CLAIMS" "$STATUS"
		printf '{"id":"no-status","claims":%s,"holder_jwk":%s}\n' "$CLAIMS" "$HJWK"
		printf '{"id":"bad-date","claims":%s,"holder_jwk":%s,"status":%s}\n' "$(echo "$CLAIMS" | sed 's/1964-08-12/12.08.1964/')" "$HJWK" "$STATUS"
		printf '{"id":"reserved","claims":%s,"holder_jwk":%s,"status":%s}\n' "$(echo "$CLAIMS" | sed 's/^{/{"iss":"x",/')" "$HJWK" "$STATUS"
		printf '{"id":"priv","claims":%s,"holder_jwk":{"kty":"EC","d":"x"},"status":%s}\n' "$CLAIMS" "$STATUS"
		printf '{"id":"old","claims":%s,"holder_jwk":%s,"status":%s,"exp":100}\n' "$CLAIMS" "$HJWK" "$STATUS"
		echo '{"id":"broken",'
		cat "$D/rec.json"
	} >"$D/batch.ndjson"
	run --separate-stderr sign --jobs 2 "$D/batch.ndjson"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 9 ]
	[[ "${lines[0]}" == '{"id":"h-1",'*'"credential":"ey'* ]]
	[[ "${lines[1]}" == *'"code":"invalid_proof","message":"holder_jwk: missing'* ]]
	[[ "${lines[2]}" == *'"code":"invalid_request","message":"status: missing'* ]]
	[[ "${lines[3]}" == *'"code":"invalid_claims","message":"claims.birthdate: expected full-date'* ]]
	[[ "${lines[4]}" == *'"code":"invalid_claims"'*'claims.iss'* ]]
	[[ "${lines[5]}" == *'"code":"invalid_proof"'*"private member"* ]]
	[[ "${lines[6]}" == *'"code":"invalid_request","message":"exp: 100 is not after'* ]]
	[[ "${lines[7]}" == *'"code":"invalid_json"'*'"line":8}' ]]
	[[ "${lines[8]}" == '{"id":"h-1",'*'"credential":"ey'* ]]
	[[ "$stderr" == *"vci-sign-sdjwt: 9 records, 2 ok, 7 failed"* ]]
	# --raw: the failures go to stderr, one line each
	run --separate-stderr sign --raw --jobs 1 "$D/batch.ndjson"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == *"vci-sign-sdjwt: line 2: holder_jwk: missing"* ]]
}

@test "--csv: 100 rows signed in order with --jobs 2; a bad row is an error record" {
	# the PID without key binding and status list: CSV cells are claims only
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("key_binding","status","wallet_attestation_required")]; print(json.dumps(d))' \
		"$DEFS/pid.json" >"$D/pid-unbound.json"
	{
		echo 'given_name,family_name,birthdate,nationalities,age_equal_or_over.18,issuing_country,issuing_authority,record.id'
		for i in $(seq 1 100); do
			b=1980-01-01
			[ "$i" -eq 50 ] && b=not-a-date
			printf 'G%d,F%d,%s,"[""DE""]",true,DE,DE,r-%d\n' "$i" "$i" "$b" "$i"
		done
	} >"$D/people.csv"
	run --separate-stderr vci-sign-sdjwt --defn "$D/pid-unbound.json" --key "$D/issuer.key" \
		--cert "$D/issuer.crt" --issuer "$ISS" --jobs 2 --csv "$D/people.csv"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 100 ]
	[[ "${lines[0]}" == *'"id":"r-1"'* ]]
	[[ "${lines[49]}" == *'"error":{"code":"invalid_claims"'*'"line":51}' ]]
	[[ "${lines[99]}" == *'"id":"r-100"'*'"credential":"ey'* ]]
	[[ "$stderr" == *"100 records, 99 ok, 1 failed"* ]]
	# cells were coerced to the declared types before signing
	echo "${lines[0]}" | field credential >"$D/c"
	vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/c" | grep -q '"age_equal_or_over":{"18":true}'
}

@test "--output: written atomically; nothing is left behind on a fatal error" {
	run sign --output "$D/out.ndjson" "$D/rec.json"
	[ "$status" -eq 0 ]
	[ -s "$D/out.ndjson" ]
	cp "$D/out.ndjson" "$D/before"
	echo '[{"id":' >"$D/broken.json"
	run sign --output "$D/out.ndjson" "$D/broken.json"
	[ "$status" -eq 3 ]
	cmp "$D/out.ndjson" "$D/before"
	[ -z "$(ls "$D" | grep '\.tmp\.')" ]
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" --output "$D/claims.ndjson" "$D/out.ndjson"
	[ "$status" -eq 0 ]
	grep -q '"given_name":"Erika"' "$D/claims.ndjson"
}

@test "usage errors are exit 2 with a one-line reason" {
	u() { # u MESSAGE ARGS...
		local want=$1
		shift
		run vci-sign-sdjwt "$@"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "${lines[0]}" == "vci-sign-sdjwt: $want"* ]]
	}
	u '--defn FILE is required' --key "$D/issuer.key" --kid k --issuer "$ISS"
	u '--key KEY is required' --defn "$DEFS/pid.json" --kid k --issuer "$ISS"
	u '--issuer URL is required' --defn "$DEFS/pid.json" --key "$D/issuer.key" --kid k
	u 'give --cert FILE (x5c) or --kid KID' --defn "$DEFS/pid.json" --key "$D/issuer.key" --issuer "$ISS"
	u "--issuer: 'http://issuer.example.com' is not an https URL" --issuer http://issuer.example.com
	u '--kid: empty' --kid ''
	u "--sd-alg: 'md5'" --sd-alg md5
	u '--decoys: 101 is out of range' --decoys 101
	u "--format: 'ldp_vc'" --format ldp_vc
	u '--ca does nothing for sign: it is for verify' --defn "$DEFS/pid.json" --key "$D/issuer.key" --kid k --issuer "$ISS" --ca x
	u 'verify: give one of --cert FILE, --jwk FILE, --ca FILE' verify
	u 'verify: give one of --cert FILE, --jwk FILE, --ca FILE' verify --cert a --ca b
	u 'verify: --kb-aud and --kb-nonce go together' verify --cert a --kb-aud x
	u '--decoys does nothing for verify: it is for sign' verify --cert a --decoys 2
	u '--alg: "none" is not an asymmetric signature algorithm' verify --cert a --alg none
	u "unrecognized option '--bogus'" --bogus
}

@test "input errors: a missing definitions file is exit 3, a missing input file too" {
	run vci-sign-sdjwt --defn "$D/none.json" --key "$D/issuer.key" --kid k --issuer "$ISS" "$D/rec.json"
	[ "$status" -eq 3 ]
	[[ "$output" == "vci-sign-sdjwt: $D/none.json"* ]]
	run sign "$D/none.ndjson"
	[ "$status" -eq 3 ]
	run vci-sign-sdjwt verify --cert "$D/issuer.crt" "$D/none.txt"
	[ "$status" -eq 3 ]
	run vci-sign-sdjwt verify --cert "$D/none.crt" "$D/rec.json"
	[ "$status" -eq 4 ]
}

@test "--help lists every option the man page documents, and the reverse" {
	run vci-sign-sdjwt --help
	[ "$status" -eq 0 ]
	opts=$(echo "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	for o in $opts; do
		grep -q -- "Fl -${o#--}\\b" "$SRC/man/vci-sign-sdjwt.1" || { echo "not in man page: $o"; return 1; }
	done
	for o in $(grep -o 'Fl -[a-z][a-z-]*' "$SRC/man/vci-sign-sdjwt.1" | sed 's/Fl -/--/' | sort -u); do
		echo "$opts" | grep -qx -- "$o" || { echo "not in --help: $o"; return 1; }
	done
	for f in completions/bash/vci-sign-sdjwt completions/zsh/_vci-sign-sdjwt completions/fish/vci-sign-sdjwt.fish; do
		for o in $opts; do
			grep -q -- "${o#--}" "$SRC/$f" || { echo "$f lacks $o"; return 1; }
		done
	done
}
