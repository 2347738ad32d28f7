#!/usr/bin/env bats
# Keys on a PKCS#11 token: a SoftHSM token made in a temporary directory
# (SOFTHSM2_CONF) holds a P-256 key generated on the token; every signing
# path signs with its pkcs11: URI through libp11's engine, and what it
# signs verifies with the certificate of the token's public key, checked by
# python3-jwcrypto / python3-cryptography / python3-cbor2. The PIN comes
# from --pass or the URI and is never printed.

bats_require_minimum_version 1.5.0

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

PIN=Pq7351xz
ISSUER=https://issuer.example.com

setup_file() {
	local d=$BATS_FILE_TMPDIR mod
	command -v softhsm2-util >/dev/null || return 0
	for mod in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
		[ -f "$mod" ] && break
	done
	mkdir -p "$d/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$d" >"$d/softhsm2.conf"
	export SOFTHSM2_CONF=$d/softhsm2.conf P11MOD=$mod
	softhsm2-util --init-token --free --label vci-test --so-pin 87654321 --pin $PIN >/dev/null
	if command -v pkcs11-tool >/dev/null; then
		# generated on the token, never extractable
		pkcs11-tool --module "$mod" --token-label vci-test --login --pin $PIN \
			--keypairgen --key-type EC:prime256v1 --label signer --id 01 >/dev/null
		pkcs11-tool --module "$mod" --token-label vci-test --read-object --type pubkey \
			--id 01 -o "$d/pub.der" >/dev/null
		openssl pkey -pubin -inform DER -in "$d/pub.der" -out "$d/pub.pem"
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/soft.pem"
		openssl pkcs8 -topk8 -nocrypt -in "$d/soft.pem" -out "$d/soft.p8"
		softhsm2-util --import "$d/soft.p8" --token vci-test --label signer --id 01 \
			--pin $PIN >/dev/null
		openssl pkey -in "$d/soft.pem" -pubout -out "$d/pub.pem"
		rm -f "$d/soft.pem" "$d/soft.p8"
	fi
	# a root and a certificate for the token's public key (-force_pubkey:
	# the request is signed by a throwaway key, the certificate names the
	# token's), made without the engine
	make_pki "$d"
	openssl x509 -req -in "$d/issuer.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial 0x3001 \
		-days 30 -extfile "$d/pki.cnf" -extensions leaf -force_pubkey "$d/pub.pem" \
		-out "$d/token.crt" 2>/dev/null
}

setup() {
	command -v softhsm2-util >/dev/null ||
		skip "softhsm2 is not installed (scripts/bootstrap installs it)"
	command -v vci-sign-sdjwt >/dev/null || skip "the tools are not on PATH"
	F=$BATS_FILE_TMPDIR
	D=$BATS_TEST_TMPDIR
	DEFS=$SRC/examples/definitions
	export PKCS11_MODULE_PATH=$P11MOD
	KEY="pkcs11:token=vci-test;object=signer;type=private"
	HJWK='{"kty":"EC","crv":"P-256","x":"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc","y":"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}'
}

teardown() {
	serve_stop
}

pid_records() { # pid_records N
	local i
	for i in $(seq 1 "$1"); do
		printf '{"id":"r%d","claims":%s,"holder_jwk":%s,"status":{"status_list":{"idx":%d,"uri":"%s/status/1"}}}\n' \
			"$i" "$(claims pid)" "$HJWK" "$i" "$ISSUER"
	done
}

# jws_check FILE: every JWS (or SD-JWT issuer JWS) of FILE, one a line,
# verifies with the token certificate's key; prints how many
jws_check() {
	"$PY" - "$1" "$F/token.crt" <<'EOF'
import sys
from cryptography import x509
from jwcrypto import jwk, jws
key = jwk.JWK.from_pyca(x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read()).public_key())
n = 0
for line in open(sys.argv[1]):
    t = jws.JWS()
    t.deserialize(line.strip().split("~")[0])
    t.verify(key, alg="ES256")
    n += 1
print(n)
EOF
}

@test "dc+sd-jwt and jwt_vc_json signed on the token with --pass: jwcrypto and verify --ca accept them" {
	pid_records 3 >"$D/recs.json"
	vci-sign-sdjwt --unchecked-proofs --raw --defn "$DEFS/pid.json" --key "$KEY" --pass pass:$PIN \
		--cert "$F/token.crt" --issuer "$ISSUER" "$D/recs.json" >"$D/sd.txt" 2>"$D/err"
	[ "$(jws_check "$D/sd.txt")" = 3 ]
	vci-sign-sdjwt verify --ca "$F/ca.crt" "$D/sd.txt" >/dev/null
	cs='{"id":"https://issuer.example.com/status/3#7","type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"7","statusListCredential":"https://issuer.example.com/status/3"}'
	printf '{"claims":%s,"holder_jwk":%s,"credentialStatus":%s}\n' "$(claims diploma)" "$HJWK" "$cs" >"$D/vc.json"
	PIN_ENV=$PIN vci-sign-sdjwt --unchecked-proofs --raw --defn "$DEFS/diploma.json" --key "$KEY" --pass env:PIN_ENV \
		--cert "$F/token.crt" --issuer "$ISSUER" "$D/vc.json" >"$D/vc.txt"
	[ "$(jws_check "$D/vc.txt")" = 1 ]
}

@test "many records on two threads and more: every signature made on the token verifies" {
	pid_records 120 >"$D/recs.json"
	vci-sign-sdjwt --unchecked-proofs --jobs 4 --raw --defn "$DEFS/pid.json" --key "$KEY;pin-value=$PIN" \
		--cert "$F/token.crt" --issuer "$ISSUER" "$D/recs.json" >"$D/sd.txt"
	[ "$(jws_check "$D/sd.txt")" = 120 ]
}

@test "mso_mdoc signed on the token: mdoc-check.py (cbor2 + cryptography) and verify --ca accept it" {
	printf '{"id":"m1","claims":%s,"holder_jwk":%s,"status":{"status_list":{"idx":1,"uri":"%s/status/2"}}}\n' \
		"$(claims mdl | sed 's/_9j_4AAQ/\/9j\/4AAQ/')" "$HJWK" "$ISSUER" >"$D/mdl.json"
	vci-sign-mdoc --unchecked-proofs --raw --defn "$DEFS/mdl.json" --key "$KEY" --pass pass:$PIN --cert "$F/token.crt" \
		"$D/mdl.json" >"$D/c.txt"
	echo "$HJWK" >"$D/h.json"
	run "$PY" "$MDOC_CHECK" "$D/c.txt" --ca "$F/ca.crt" --jwk "$D/h.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *'"alg": -7'* ]]
	run vci-sign-mdoc verify --ca "$F/ca.crt" "$D/c.txt"
	[ "$status" -eq 0 ]
	[[ $output == *'"trusted":true'* ]]
}

@test "status list tokens signed on the token: the JWT by jwcrypto, the CWT by cryptography" {
	vci-statuslist new --size 1000 --uri "$ISSUER/status/1" --output "$D/l"
	vci-statuslist set --force --list "$D/l" 5 invalid
	vci-statuslist sign --list "$D/l" --key "$KEY" --pass pass:$PIN --cert "$F/token.crt" \
		--output "$D/t.jwt"
	[ "$(jws_check "$D/t.jwt")" = 1 ]
	run vci-statuslist check --idx 5 --ca "$F/ca.crt" <"$D/t.jwt"
	[ "$output" = invalid ]
	vci-statuslist sign --cwt --list "$D/l" --key "$KEY" --pass pass:$PIN --kid k1 --output "$D/t.cwt"
	"$PY" - "$F/token.crt" "$D/t.cwt" <<'EOF'
import sys, cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
key = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read()).public_key()
msg = cbor2.loads(open(sys.argv[2], "rb").read())
prot, unprot, payload, sig = msg.value
tbs = cbor2.dumps(["Signature1", prot, b"", payload])
key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
           tbs, ec.ECDSA(hashes.SHA256()))
EOF
}

@test "signed metadata (vci-defn metadata --sign) with a token key: jwcrypto verifies it" {
	vci-defn metadata --issuer "$ISSUER" --key "$KEY" --pass pass:$PIN --cert "$F/token.crt" --sign \
		"$DEFS/pid.json" >"$D/md.jwt"
	[ "$(jws_check "$D/md.jwt")" = 1 ]
	"$PY" -c 'import json, sys, base64
p = json.loads(base64.urlsafe_b64decode(open(sys.argv[1]).read().split(".")[1] + "=="))
assert p["credential_configurations_supported"]["pid"]["credential_signing_alg_values_supported"] == ["ES256"], p' "$D/md.jwt"
}

@test "vci-serve --key pkcs11: signed metadata and an issued credential verify with the certificate" {
	serve_init
	local a args=()
	for a in "${SERVE_ARGS[@]}"; do
		case $a in
		"$D/issuer.key") args+=("$KEY") ;;
		"$D/issuer.crt") args+=("$F/token.crt") ;;
		*) args+=("$a") ;;
		esac
	done
	SERVE_ARGS=("${args[@]}")
	cp "$F/ca.crt" "$D/ca.crt" # the holder's trust anchor
	serve_start --pass pass:$PIN
	curl -fsS -m 60 -H 'Accept: application/jwt' "$ISS/.well-known/openid-credential-issuer" >"$D/md.jwt"
	[ "$(jws_check "$D/md.jwt")" = 1 ]
	holder "$(offer pid)" --save "$D/c"
	vci-sign-sdjwt verify --ca "$F/ca.crt" <"$D/c/0.sdjwt" >/dev/null
	jws_check "$D/c/0.sdjwt"
	! grep -q "$PIN" "$D/server.err"
}

@test "the PIN: from pin-value, pin-source or --pass; missing or wrong: exit 4, and never printed" {
	pid_records 1 >"$D/r.json"
	sign() { vci-sign-sdjwt --unchecked-proofs --raw --defn "$DEFS/pid.json" --cert "$F/token.crt" --issuer "$ISSUER" "$@" "$D/r.json"; }
	sign --key "$KEY;pin-value=$PIN" >"$D/a.txt"
	printf '%s\n' $PIN >"$D/pin.txt"
	sign --key "$KEY?pin-source=file:$D/pin.txt" >"$D/b.txt"
	sign --key "$KEY" --pass file:"$D/pin.txt" >"$D/c.txt"
	cat "$D/a.txt" "$D/b.txt" "$D/c.txt" >"$D/all.txt"
	[ "$(jws_check "$D/all.txt")" = 3 ]
	run sign --key "$KEY"
	[ "$status" -eq 4 ]
	[[ $output == *'the token needs a PIN (--pass, or pin-value in the URI)'* ]]
	run sign --key "$KEY;pin-value=98765432"
	[ "$status" -eq 4 ]
	[[ $output == *'pin-value=***'* ]]
	[[ $output != *98765432* ]]
	run sign --key "$KEY" --pass pass:98765432
	[ "$status" -eq 4 ]
	[[ $output != *98765432* ]]
	run sign --key "pkcs11:token=no-such-token;object=signer?pin-value=98765432"
	[ "$status" -eq 4 ]
	[[ $output != *98765432* ]]
}

@test "module-path in the URI names the module (RFC 7512), without PKCS11_MODULE_PATH" {
	pid_records 1 >"$D/r.json"
	unset PKCS11_MODULE_PATH
	vci-sign-sdjwt --unchecked-proofs --raw --defn "$DEFS/pid.json" --cert "$F/token.crt" --issuer "$ISSUER" \
		--key "$KEY;pin-value=$PIN?module-path=$P11MOD" "$D/r.json" >"$D/a.txt"
	[ "$(jws_check "$D/a.txt")" = 1 ]
	run vci-sign-sdjwt --unchecked-proofs --raw --defn "$DEFS/pid.json" --cert "$F/token.crt" --issuer "$ISSUER" \
		--key "$KEY;pin-value=$PIN?module-path=/nonexistent/libnone.so" "$D/r.json"
	[ "$status" -eq 4 ]
	[[ $output == *'/nonexistent/libnone.so'* ]]
	[[ $output != *"$PIN"* ]]
}
