#!/bin/sh
# examples/verify-proof.sh - the issuer's side of a proof of possession:
# issue a c_nonce, let a wallet make an Ed25519 holder key and an
# openid4vci-proof+jwt with the openssl CLI alone, then verify the proof
# in an issuance record and read the key the credential will be bound to.
# Needs vci-verify-proof and openssl on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
aud=https://issuer.example.com

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# Issuer: a nonce key (any 32 or more random bytes) and a fresh c_nonce.
openssl rand -out nonce.key 32
vci-verify-proof nonce --nonce-key nonce.key --ttl 300 >nonce.json
cat nonce.json
nonce=$(sed 's/.*"c_nonce":"\([^"]*\)".*/\1/' nonce.json)

# Wallet: a holder key, its public JWK, and the signed proof.
openssl genpkey -algorithm ED25519 -out holder.pem
x=$(openssl pkey -in holder.pem -pubout -outform DER | tail -c 32 | b64url)
header=$(printf '{"typ":"openid4vci-proof+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"%s"}}' "$x" | b64url)
payload=$(printf '{"aud":"%s","iat":%s,"nonce":"%s"}' "$aud" "$(date +%s)" "$nonce" | b64url)
printf '%s.%s' "$header" "$payload" >signing-input
openssl pkeyutl -sign -inkey holder.pem -rawin -in signing-input -out sig.bin
proof="$header.$payload.$(b64url <sig.bin)"

# Issuer: the credential request arrives as an issuance record.
printf '{"claims":{"given_name":"Ada"},"proofs":{"jwt":["%s"]}}\n' "$proof" >request.ndjson
vci-verify-proof --aud "$aud" --nonce-key nonce.key request.ndjson >bound.ndjson
sed 's/"proofs":{[^}]*},//' bound.ndjson

# A proof for another issuer is refused with an error record and exit 1.
if vci-verify-proof --aud https://other.example --nonce-key nonce.key request.ndjson >refused.ndjson; then
	echo "unexpected: a proof for another audience was accepted" >&2
	exit 1
fi
sed 's/.*"error":\({[^}]*}\).*/\1/' refused.ndjson
