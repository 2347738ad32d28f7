#!/usr/bin/env bats
# Sealed values (src/lib/crypto/seal.h) checked with an implementation we
# did not write: python3-cryptography's AESGCM opens what we seal, and we
# open what it seals in our format (base64url of 0x01 || 12-byte nonce ||
# ciphertext || 16-byte tag, AAD 0x01 || aad). test-seal
# (tests/unit/test-seal.c) is the thin driver over libvci.

setup() {
	PY=${PYTHON3:-/usr/bin/python3}
	"$PY" -c 'from cryptography.hazmat.primitives.ciphers.aead import AESGCM' 2>/dev/null ||
		skip "python3-cryptography not available"
	command -v test-seal >/dev/null || skip "test-seal not on PATH (build tests/unit/test-seal)"
	D=$BATS_TEST_TMPDIR
	KEY=$("$PY" -c 'import os; print(os.urandom(32).hex())')
}

# py_open KEYHEX AAD FILE: AESGCM opens the sealed value in FILE, prints it.
py_open() {
	"$PY" - "$1" "$2" "$3" <<'PYEOF'
import base64, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key, aad, text = bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), open(sys.argv[3]).read().strip()
raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
assert "=" not in text and raw[0] == 1 and len(raw) >= 29
sys.stdout.buffer.write(AESGCM(key).decrypt(raw[1:13], raw[13:], b"\x01" + aad))
PYEOF
}

# py_seal KEYHEX AAD FILE: AESGCM seals FILE's bytes in our format.
py_seal() {
	"$PY" - "$1" "$2" "$3" <<'PYEOF'
import base64, os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key, aad, plain = bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), open(sys.argv[3], "rb").read()
nonce = os.urandom(12)
ct = AESGCM(key).encrypt(nonce, plain, b"\x01" + aad)
print(base64.urlsafe_b64encode(b"\x01" + nonce + ct).decode().rstrip("="))
PYEOF
}

@test "python3-cryptography opens what we seal" {
	offer='{"credential_issuer":"https://i.example","grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"SplxlOBeZQQYbYS6WxSbIA"}}}'
	printf '%s' "$offer" | test-seal seal "$KEY" offer-1 >"$D/sealed"
	! grep -q SplxlOBeZQQYbYS6WxSbIA "$D/sealed"
	run py_open "$KEY" offer-1 "$D/sealed"
	[ "$status" -eq 0 ]
	[ "$output" = "$offer" ]
}

@test "python3-cryptography opens an empty plaintext we seal" {
	test-seal seal "$KEY" "" </dev/null >"$D/sealed"
	run py_open "$KEY" "" "$D/sealed"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "python3-cryptography refuses our value under another aad" {
	printf 'code' | test-seal seal "$KEY" offer-1 >"$D/sealed"
	run py_open "$KEY" offer-2 "$D/sealed"
	[ "$status" -ne 0 ]
	[[ "$output" == *InvalidTag* ]]
}

@test "we open what python3-cryptography seals in our format" {
	head -c 3000 /dev/urandom >"$D/plain"
	py_seal "$KEY" row-9 "$D/plain" >"$D/sealed"
	test-seal open "$KEY" row-9 <"$D/sealed" >"$D/back"
	cmp "$D/plain" "$D/back"
}

@test "we refuse a python3-cryptography value under another aad or key" {
	printf 'secret' >"$D/plain"
	py_seal "$KEY" row-9 "$D/plain" >"$D/sealed"
	test-seal open "$KEY" row-9 <"$D/sealed" | grep -qx secret
	run test-seal open "$KEY" row-8 <"$D/sealed"
	[ "$status" -ne 0 ]
	[[ "$output" == *"sealed value: authentication failed"* ]]
	[[ "$output" != *secret* ]]
	other=$("$PY" -c 'import os; print(os.urandom(32).hex())')
	run test-seal open "$other" row-9 <"$D/sealed"
	[ "$status" -ne 0 ]
	[[ "$output" == *"sealed value: authentication failed"* ]]
}
