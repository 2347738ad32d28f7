#!/usr/bin/env bats
# Interoperability of our JWS, JWK and thumbprints with implementations we
# did not write: python3-jwcrypto, python3-cryptography and latchset jose.
# jws-tool (tests/unit/jws-tool.c) is the thin test driver over libvci.

setup() {
	PY=${PYTHON3:-/usr/bin/python3}
	"$PY" -c 'import jwcrypto, cryptography' 2>/dev/null || skip "python3-jwcrypto not available"
	command -v jws-tool >/dev/null || skip "jws-tool not on PATH (build tests/unit/jws-tool)"
	D=$BATS_TEST_TMPDIR
	PAYLOAD='{"iss":"https://issuer.example","vct":"urn:x","n":42,"s":"h\u00e9llo"}'
}

genkey() { # genkey ALG FILE
	case $1 in
	ES256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	ES384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	ES512) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
	EdDSA) openssl genpkey -algorithm ED25519 -out "$2" ;;
	RS256 | PS256) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
	esac 2>/dev/null
}

# jwcrypto verifies TOKEN-FILE with the key in PEM-FILE under ALG only and
# prints the payload.
jwcrypto_verify() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import sys
from jwcrypto import jwk, jws
pem, alg, tok = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().strip()
key = jwk.JWK.from_pem(open(pem, 'rb').read())
t = jws.JWS()
t.deserialize(tok)
t.verify(key.public() if key.has_private else key, alg=alg)
sys.stdout.write(t.payload.decode())
EOF
}

# jwcrypto signs stdin with PEM-FILE and ALG, compact serialization.
jwcrypto_sign() {
	cat >"$BATS_TEST_TMPDIR/jwcrypto-payload"
	"$PY" - "$1" "$2" "$BATS_TEST_TMPDIR/jwcrypto-payload" <<'EOF'
import sys, json
from jwcrypto import jwk, jws
key = jwk.JWK.from_pem(open(sys.argv[1], 'rb').read())
t = jws.JWS(open(sys.argv[3], 'rb').read())
t.add_signature(key, alg=sys.argv[2], protected=json.dumps({"alg": sys.argv[2], "typ": "JWT"}))
print(t.serialize(compact=True))
EOF
}

sign_ours() { # sign_ours ALG -> $D/t.jws
	genkey "$1" "$D/k.pem"
	printf '%s' "$PAYLOAD" | jws-tool sign "$D/k.pem" "$1" --header '{"typ":"JWT","kid":"k1"}' >"$D/t.jws"
}

ours_to_jwcrypto() {
	sign_ours "$1"
	run jwcrypto_verify "$D/k.pem" "$1" "$D/t.jws"
	[ "$status" -eq 0 ]
	[ "$output" = "$PAYLOAD" ]
	# and a tampered token must fail there too
	sed 's/\.eyJ/.eyK/' "$D/t.jws" >"$D/bad.jws"
	run jwcrypto_verify "$D/k.pem" "$1" "$D/bad.jws"
	[ "$status" -ne 0 ]
}

ours_to_jose() {
	sign_ours "$1"
	jws-tool jwk "$D/k.pem" >"$D/pub.jwk"
	tr -d '\n' <"$D/t.jws" >"$D/t1.jws"
	run jose jws ver -i "$D/t1.jws" -k "$D/pub.jwk" -O-
	[ "$status" -eq 0 ]
	[ "$output" = "$PAYLOAD" ]
	sed 's/\.eyJ/.eyK/' "$D/t1.jws" | tr -d '\n' >"$D/bad.jws"
	run jose jws ver -i "$D/bad.jws" -k "$D/pub.jwk" -O-
	[ "$status" -ne 0 ]
}

jwcrypto_to_ours() {
	genkey "$1" "$D/k.pem"
	printf '%s' "$PAYLOAD" | jwcrypto_sign "$D/k.pem" "$1" >"$D/t.jws"
	run jws-tool verify "$D/k.pem" "$1" <"$D/t.jws"
	[ "$status" -eq 0 ]
	[ "$output" = "$PAYLOAD" ]
	# our allow-list is enforced
	run jws-tool verify "$D/k.pem" HS256 <"$D/t.jws"
	[ "$status" -eq 1 ]
}

@test "ES256: our JWS verifies with jwcrypto" { ours_to_jwcrypto ES256; }
@test "ES384: our JWS verifies with jwcrypto" { ours_to_jwcrypto ES384; }
@test "ES512: our JWS verifies with jwcrypto" { ours_to_jwcrypto ES512; }
@test "EdDSA: our JWS verifies with jwcrypto" { ours_to_jwcrypto EdDSA; }
@test "RS256: our JWS verifies with jwcrypto" { ours_to_jwcrypto RS256; }
@test "PS256: our JWS verifies with jwcrypto" { ours_to_jwcrypto PS256; }

@test "ES256: our JWS verifies with jose" { ours_to_jose ES256; }
@test "ES384: our JWS verifies with jose" { ours_to_jose ES384; }
@test "ES512: our JWS verifies with jose" { ours_to_jose ES512; }
@test "RS256: our JWS verifies with jose" { ours_to_jose RS256; }
@test "PS256: our JWS verifies with jose" { ours_to_jose PS256; }
@test "EdDSA: jose has no EdDSA; Ed25519 is covered by jwcrypto" {
	run jose alg
	if echo "$output" | grep -qx EdDSA; then ours_to_jose EdDSA; else skip "jose lacks EdDSA"; fi
}

@test "ES256: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours ES256; }
@test "ES384: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours ES384; }
@test "ES512: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours ES512; }
@test "EdDSA: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours EdDSA; }
@test "RS256: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours RS256; }
@test "PS256: jwcrypto's JWS verifies with ours" { jwcrypto_to_ours PS256; }

@test "jose's ES256, RS256 and PS256 JWS verify with ours" {
	for alg in ES256 RS256 PS256; do
		jose jwk gen -i "{\"alg\":\"$alg\"}" -o "$D/j.jwk"
		jose jwk pub -i "$D/j.jwk" -o "$D/jp.jwk"
		printf '%s' "$PAYLOAD" | jose jws sig -I- -k "$D/j.jwk" -c -o "$D/j.jws"
		run jws-tool verify "$D/jp.jwk" "$alg" <"$D/j.jws"
		[ "$status" -eq 0 ]
		[ "$output" = "$PAYLOAD" ]
	done
}

@test "JWK export equals python cryptography's numbers" {
	for alg in ES256 ES384 ES512 EdDSA RS256; do
		genkey "$alg" "$D/$alg.pem"
		jws-tool jwk "$D/$alg.pem" >"$D/$alg.jwk"
		run "$PY" - "$D/$alg.pem" "$D/$alg.jwk" <<'EOF'
import sys, json, base64
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
k = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None).public_key()
if isinstance(k, ec.EllipticCurvePublicKey):
    n = (k.curve.key_size + 7) // 8
    nums = k.public_numbers()
    want = {"kty": "EC", "crv": {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[k.curve.name],
            "x": b64(nums.x.to_bytes(n, 'big')), "y": b64(nums.y.to_bytes(n, 'big'))}
elif isinstance(k, ed25519.Ed25519PublicKey):
    want = {"kty": "OKP", "crv": "Ed25519",
            "x": b64(k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))}
else:
    nums = k.public_numbers()
    want = {"kty": "RSA", "n": b64(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, 'big')),
            "e": b64(nums.e.to_bytes((nums.e.bit_length() + 7) // 8, 'big'))}
got = json.load(open(sys.argv[2]))
if got != want:
    print("got ", got); print("want", want); sys.exit(1)
if list(got) != list(want):
    print("member order", list(got)); sys.exit(1)
EOF
		echo "$alg: $output"
		[ "$status" -eq 0 ]
	done
}

@test "thumbprints equal jwcrypto's thumbprint()" {
	for alg in ES256 ES384 ES512 EdDSA RS256; do
		genkey "$alg" "$D/$alg.pem"
		ours=$(jws-tool jwk "$D/$alg.pem" | jws-tool thumbprint)
		theirs=$("$PY" -c 'import sys; from jwcrypto import jwk; print(jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).thumbprint())' "$D/$alg.pem")
		echo "$alg: ours $ours theirs $theirs"
		[ -n "$ours" ]
		[ "$ours" = "$theirs" ]
	done
}

@test "thumbprint of the RFC 7638 example and of jwcrypto's own JWK" {
	run jws-tool thumbprint <<<'{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}'
	[ "$status" -eq 0 ]
	[ "$output" = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" ]
	jwk=$("$PY" -c 'from jwcrypto import jwk; k = jwk.JWK.generate(kty="EC", crv="P-256"); print(k.export_public()); print(k.thumbprint())')
	run jws-tool thumbprint <<<"$(echo "$jwk" | head -n1)"
	[ "$output" = "$(echo "$jwk" | tail -n1)" ]
}

@test "our did:jwk decodes to the key's JWK in python" {
	genkey ES256 "$D/k.pem"
	did=$(jws-tool did-jwk "$D/k.pem")
	run "$PY" - "$did" "$D/k.pem" <<'EOF'
import sys, json, base64
from jwcrypto import jwk
did, pem = sys.argv[1], sys.argv[2]
assert did.startswith("did:jwk:")
s = did[8:]
j = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
k = jwk.JWK.from_pem(open(pem, "rb").read())
want = json.loads(k.export_public())
for m in ("kty", "crv", "x", "y"):
    assert j[m] == want[m], (m, j, want)
EOF
	[ "$status" -eq 0 ]
}

@test "encrypted PEM: env:, file: and pass: passphrases; errors exit 4" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:hunter22 -out "$D/enc.pem" 2>/dev/null
	printf 'hunter22\n' >"$D/pass"
	printf 'wrong\n' >"$D/wrong"
	run jws-tool load "$D/enc.pem" --pass "file:$D/pass"
	[ "$status" -eq 0 ]
	[ "$output" = ES256 ]
	PW=hunter22 run jws-tool load "$D/enc.pem" --pass env:PW
	[ "$status" -eq 0 ]
	run jws-tool load "$D/enc.pem" --pass "file:$D/wrong"
	[ "$status" -eq 4 ]
	[[ "$output" == *"enc.pem: bad passphrase"* ]]
	run jws-tool load "$D/enc.pem"
	[ "$status" -eq 4 ]
	[[ "$output" == *"passphrase"* ]]
	printf 'not a key\n' >"$D/notkey.pem"
	run jws-tool load "$D/notkey.pem"
	[ "$status" -eq 4 ]
	[[ "$output" == *"notkey.pem: not a private key"* ]]
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$D/small.pem" 2>/dev/null
	run jws-tool load "$D/small.pem"
	[ "$status" -eq 4 ]
	[[ "$output" == *"unsupported key"* ]]
}

@test "a signature jwcrypto makes with the wrong key fails with ours (exit 1)" {
	genkey ES256 "$D/a.pem"
	genkey ES256 "$D/b.pem"
	printf '%s' "$PAYLOAD" | jwcrypto_sign "$D/a.pem" ES256 >"$D/t.jws"
	run jws-tool verify "$D/b.pem" ES256 <"$D/t.jws"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature verification failed"* ]]
}
