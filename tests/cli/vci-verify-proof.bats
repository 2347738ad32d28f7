#!/usr/bin/env bats
# vci-verify-proof: proofs in records and on the command line, every
# refusal with its message and exit status, nonces, DPoP, attestations.
# Proofs are made with python3-jwcrypto (an implementation we did not
# write) and with jws-tool (tests/unit/jws-tool.c).

AUD=https://issuer.example.com
F1='eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-jvh1WlA'
DPOP='eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg'
DPOP_RES='eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA'

setup() {
	command -v vci-verify-proof >/dev/null || skip "vci-verify-proof not on PATH"
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	NOW=$(date +%s)
}

need_py() {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
}

holder() { # holder FILE [curve]
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${2:-P-256} -out "$1" 2>/dev/null
}

# mkproof KEY.pem HEADER-JSON CLAIMS-JSON [ALG]: a proof signed by jwcrypto;
# HEADER-JSON is merged into {"typ":..., "alg":..., "jwk":...} (a member
# set to null is removed).
mkproof() {
	"$PY" - "$1" "$2" "$3" "${4:-ES256}" <<'PYEOF'
import sys, json
from jwcrypto import jwk, jws
key = jwk.JWK.from_pem(open(sys.argv[1], 'rb').read())
h = {"typ": "openid4vci-proof+jwt", "alg": sys.argv[4], "jwk": key.export_public(as_dict=True)}
for k, v in json.loads(sys.argv[2]).items():
    if v is None:
        h.pop(k, None)
    else:
        h[k] = v
t = jws.JWS(sys.argv[3].encode())
t.add_signature(key, alg=sys.argv[4], protected=json.dumps(h))
print(t.serialize(compact=True))
PYEOF
}

claims() { # claims [extra JSON members]
	printf '{"aud":"%s","iat":%s%s}' "$AUD" "$NOW" "${1:+,$1}"
}

refused() { # refused MESSAGE-FRAGMENT PROOF [options...]
	local want=$1 p=$2
	shift 2
	run vci-verify-proof --aud "$AUD" "$@" --proof "$p"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$want"* ]]
	[ -z "$(vci-verify-proof --aud "$AUD" "$@" --proof "$p" 2>/dev/null)" ]
}

b64() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

@test "F.1 vector verifies with --proof and prints holder_jwk and holder_jkt" {
	run vci-verify-proof --aud https://credential-issuer.example.com \
		--nonce LarRGSbmUPYtRYO6BQ4yn8 --now 1701960444 --proof "$F1"
	[ "$status" -eq 0 ]
	[[ $output == *'"holder_jkt":"nsnRYXLu2y5KUIxcX-zph8ZtLWiJfLKxVDVYUWPwhcc"'* ]]
	[[ $output == *'"x":"nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4"'* ]]
}

@test "F.1 vector refused with another nonce (exit 1) or far in the past" {
	run vci-verify-proof --aud https://credential-issuer.example.com \
		--nonce other --now 1701960444 --proof "$F1"
	[ "$status" -eq 1 ]
	[[ $output == *'"nonce" is not the c_nonce'* ]]
	run vci-verify-proof --aud https://credential-issuer.example.com --proof "$F1"
	[ "$status" -eq 1 ]
	[[ $output == *'seconds old'* ]]
}

@test "a jwcrypto-made proof in a record verifies; fields pass through" {
	need_py
	holder "$D/h.pem"
	p=$(mkproof "$D/h.pem" '{}' "$(claims)")
	printf '{"id":"a","claims":{"n":1},"proofs":{"jwt":["%s"]}}\n' "$p" >"$D/in.ndjson"
	run vci-verify-proof --aud "$AUD" "$D/in.ndjson"
	[ "$status" -eq 0 ]
	[[ $output == '{"id":"a","claims":{"n":1},"proofs":'* ]]
	[[ $output == *'"holder_jwk":{"kty":"EC","crv":"P-256"'* ]]
	jkt=$("$PY" -c 'import sys; from jwcrypto import jwk; print(jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).thumbprint())' "$D/h.pem")
	[[ $output == *"\"holder_jkt\":\"$jkt\""* ]]
}

@test "--proof-file and the draft-13 proof object" {
	need_py
	holder "$D/h.pem"
	mkproof "$D/h.pem" '{}' "$(claims)" >"$D/p.jwt"
	run vci-verify-proof --aud "$AUD" --proof-file "$D/p.jwt"
	[ "$status" -eq 0 ]
	[[ $output == '{"holder_jwk":'* ]]
	printf '{"proof":{"proof_type":"jwt","jwt":"%s"}}\n' "$(cat "$D/p.jwt")" |
		vci-verify-proof --aud "$AUD" >"$D/out"
	grep -q '"holder_jkt"' "$D/out"
}

@test "batch: holder_jwks for distinct keys, duplicates refused" {
	need_py
	holder "$D/a.pem"
	holder "$D/b.pem"
	a=$(mkproof "$D/a.pem" '{}' "$(claims)")
	b=$(mkproof "$D/b.pem" '{}' "$(claims)")
	run vci-verify-proof --aud "$AUD" <<<"{\"proofs\":{\"jwt\":[\"$a\",\"$b\"]}}"
	[ "$status" -eq 0 ]
	[[ $output == *'"holder_jwks":[{'*'},{'*'"holder_jkts":['* ]]
	run vci-verify-proof --aud "$AUD" <<<"{\"proofs\":{\"jwt\":[\"$a\",\"$a\"]}}"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_proof"'*'proofs.jwt[1]: same key as proofs.jwt[0]'* ]]
}

@test "--jobs 2 and --output keep order; failing records become error records" {
	need_py
	holder "$D/h.pem"
	good=$(mkproof "$D/h.pem" '{}' "$(claims)")
	bad=$(mkproof "$D/h.pem" '{}' '{"aud":"https://evil.example","iat":'"$NOW"'}')
	for i in 1 2 3 4 5 6; do
		if [ $((i % 3)) -eq 0 ]; then p=$bad; else p=$good; fi
		printf '{"i":%d,"proofs":{"jwt":["%s"]}}\n' "$i" "$p"
	done >"$D/in"
	run vci-verify-proof --jobs 2 --aud "$AUD" --output "$D/out" "$D/in"
	[ "$status" -eq 1 ]
	[ "$(jq -c '.i' "$D/out" | tr '\n' ' ')" = "1 2 3 4 5 6 " ]
	[ "$(jq -r 'select(.error) | .error.code' "$D/out" | sort -u)" = invalid_proof ]
	[ "$(jq -r 'select(.error) | .i' "$D/out" | tr '\n' ' ')" = "3 6 " ]
}

@test "refusals: alg none, HS256 keyed with the public key, unknown alg" {
	need_py
	holder "$D/h.pem"
	good=$(mkproof "$D/h.pem" '{}' "$(claims)")
	pay=$(cut -d. -f2 <<<"$good")
	jwk=$("$PY" -c 'import sys; from jwcrypto import jwk; print(jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).export_public())' "$D/h.pem")
	h=$(b64 "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"none\",\"jwk\":$jwk}")
	refused 'alg "none" is refused' "$h.$pay."
	h=$(b64 "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"HS256\",\"jwk\":$jwk}")
	mac=$(printf '%s' "$h.$pay" | openssl dgst -sha256 -mac HMAC -macopt "key:$jwk" -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
	refused 'alg "HS256" is a MAC' "$h.$pay.$mac"
	h=$(b64 "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"XS999\",\"jwk\":$jwk}")
	refused 'unknown alg "XS999"' "$h.$pay.AAAA"
}

@test "refusals: typ missing or wrong, jwk and kid, neither, private jwk" {
	need_py
	holder "$D/h.pem"
	refused '"typ" missing' "$(mkproof "$D/h.pem" '{"typ":null}' "$(claims)")"
	refused '"typ" is "JWT"' "$(mkproof "$D/h.pem" '{"typ":"JWT"}' "$(claims)")"
	refused 'mutually exclusive' "$(mkproof "$D/h.pem" '{"kid":"did:jwk:x"}' "$(claims)")"
	refused 'no key' "$(mkproof "$D/h.pem" '{"jwk":null}' "$(claims)")"
	priv=$("$PY" -c 'import sys; from jwcrypto import jwk; print(jwk.JWK.from_pem(open(sys.argv[1],"rb").read()).export_private())' "$D/h.pem")
	refused 'holds a private key' "$(mkproof "$D/h.pem" "{\"jwk\":$priv}" "$(claims)")"
}

@test "refusals: point not on the curve, RSA under 2048 bits" {
	need_py
	holder "$D/h.pem"
	off='{"jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"}}'
	refused 'proof: jwk' "$(mkproof "$D/h.pem" "$off" "$(claims)")"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$D/r.pem" 2>/dev/null
	refused '2048' "$(mkproof "$D/r.pem" '{}' "$(claims)" RS256)"
}

@test "refusals: signature of the wrong length or not matching" {
	need_py
	holder "$D/h.pem"
	good=$(mkproof "$D/h.pem" '{}' "$(claims)")
	refused 'R||S' "${good%.*}.AAAA"
	other=$(mkproof "$D/h.pem" '{}' "$(claims '"x":1')")
	refused 'signature verification failed' "${good%.*}.${other##*.}"
}

@test "refusals: aud missing, wrong, an array without the issuer" {
	need_py
	holder "$D/h.pem"
	refused '"aud" missing' "$(mkproof "$D/h.pem" '{}' "{\"iat\":$NOW}")"
	refused '"aud" is "https://x.example"' "$(mkproof "$D/h.pem" '{}' "{\"aud\":\"https://x.example\",\"iat\":$NOW}")"
	refused 'does not contain' "$(mkproof "$D/h.pem" '{}' "{\"aud\":[\"https://x.example\"],\"iat\":$NOW}")"
}

@test "refusals: iat missing, in the future, too old; --max-age and --skew" {
	need_py
	# the clock is pinned to NOW: the margins below are seconds, and
	# under load more than that can pass between setup and a check
	holder "$D/h.pem"
	refused '"iat" missing' "$(mkproof "$D/h.pem" '{}' "{\"aud\":\"$AUD\"}")" --now "$NOW"
	refused 'in the future' "$(mkproof "$D/h.pem" '{}' "{\"aud\":\"$AUD\",\"iat\":$((NOW + 600))}")" --now "$NOW"
	old=$(mkproof "$D/h.pem" '{}' "{\"aud\":\"$AUD\",\"iat\":$((NOW - 1000))}")
	refused 'seconds old' "$old" --now "$NOW"
	run vci-verify-proof --aud "$AUD" --max-age 3600 --now "$NOW" --proof "$old"
	[ "$status" -eq 0 ]
	ahead=$(mkproof "$D/h.pem" '{}' "{\"aud\":\"$AUD\",\"iat\":$((NOW + 30))}")
	run vci-verify-proof --aud "$AUD" --now "$NOW" --proof "$ahead"
	[ "$status" -eq 0 ]
	refused 'in the future' "$ahead" --skew 5 --now "$NOW"
}

@test "refusals: truncated, non-base64url, four segments, payload not an object, megabyte header" {
	need_py
	holder "$D/h.pem"
	good=$(mkproof "$D/h.pem" '{}' "$(claims)")
	refused 'three dot-separated parts' "${good%.*}"
	refused 'three dot-separated parts' "$good.AAAA"
	refused 'proof: ' "${good:0:5}*${good:6}"
	h=${good%%.*}
	refused 'payload is not a JSON object' "$h.$(b64 '[1]').AAAA"
	head -c 1100000 /dev/zero | tr '\0' 'e' >"$D/big"
	printf '.e30.AAAA' >>"$D/big"
	run vci-verify-proof --aud "$AUD" --proof-file "$D/big"
	[ "$status" -ne 0 ]
	[ "$status" -ne 0 ] && [[ $output == *'--proof-file'* || $output == *'more than the'* ]]
	printf '{"proofs":{"jwt":["%s"]}}\n' "$(cat "$D/big")" | vci-verify-proof --aud "$AUD" >"$D/out" || true
	[[ $(jq -r .error.message "$D/out") == *'more than the 65536 allowed'* ]]
}

@test "kid: did:key and did:jwk resolved, did:web refused" {
	need_py
	command -v jws-tool >/dev/null || skip "jws-tool not on PATH"
	openssl genpkey -algorithm ED25519 -out "$D/ed.pem" 2>/dev/null
	did=$(jws-tool did-key "$D/ed.pem")
	p=$(mkproof "$D/ed.pem" "{\"jwk\":null,\"kid\":\"$did#${did#did:key:}\"}" "$(claims)" EdDSA)
	run vci-verify-proof --aud "$AUD" --proof "$p"
	[ "$status" -eq 0 ]
	[[ $output == *"\"holder_did\":\"$did\""* ]]
	holder "$D/h.pem"
	did=$(jws-tool did-jwk "$D/h.pem")
	run vci-verify-proof --aud "$AUD" --proof "$(mkproof "$D/h.pem" "{\"jwk\":null,\"kid\":\"$did#0\"}" "$(claims)")"
	[ "$status" -eq 0 ]
	refused 'DID method "web" is not supported' "$(mkproof "$D/h.pem" '{"jwk":null,"kid":"did:web:example.com#1"}' "$(claims)")"
}

@test "x5c: chain validated against --ca, refused without it or with another CA" {
	need_py
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/ca.key" \
		-out "$D/ca.pem" -subj /CN=wallet-ca -days 2 2>/dev/null
	holder "$D/h.pem"
	openssl req -new -key "$D/h.pem" -subj /CN=holder -out "$D/h.csr" 2>/dev/null
	openssl x509 -req -in "$D/h.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" -days 1 \
		-CAcreateserial -out "$D/h.crt" 2>/dev/null
	x5c=$(openssl x509 -in "$D/h.crt" -outform DER | base64 -w0)
	p=$(mkproof "$D/h.pem" "{\"jwk\":null,\"x5c\":[\"$x5c\"]}" "$(claims)")
	run vci-verify-proof --aud "$AUD" --ca "$D/ca.pem" --proof "$p"
	[ "$status" -eq 0 ]
	[[ $output == *'"holder_jkt"'* ]]
	refused 'no trust anchors (--ca)' "$p"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/o.key" \
		-out "$D/other.pem" -subj /CN=other -days 2 2>/dev/null
	refused 'x5c' "$p" --ca "$D/other.pem"
}

@test "--alg narrows the allow-list and refuses none and HS256 (usage)" {
	need_py
	holder "$D/h.pem"
	p=$(mkproof "$D/h.pem" '{}' "$(claims)")
	refused 'alg "ES256" is not allowed' "$p" --alg EdDSA,PS256
	run vci-verify-proof --aud "$AUD" --alg ES256 --proof "$p"
	[ "$status" -eq 0 ]
	run vci-verify-proof --aud "$AUD" --alg none --proof "$p"
	[ "$status" -eq 2 ]
	run vci-verify-proof --aud "$AUD" --alg HS256 --proof "$p"
	[ "$status" -eq 2 ]
}

@test "--client-id: iss must equal it" {
	need_py
	holder "$D/h.pem"
	p=$(mkproof "$D/h.pem" '{}' "$(claims '"iss":"wallet-1"')")
	run vci-verify-proof --aud "$AUD" --client-id wallet-1 --proof "$p"
	[ "$status" -eq 0 ]
	refused 'not the client_id "wallet-2"' "$p" --client-id wallet-2
	refused '"iss" missing' "$(mkproof "$D/h.pem" '{}' "$(claims)")" --client-id wallet-1
}

@test "nonce: made with --nonce-key, checked, expired, forged, missing" {
	need_py
	holder "$D/h.pem"
	openssl rand -out "$D/nk" 32
	run vci-verify-proof nonce --nonce-key "$D/nk" --ttl 120
	[ "$status" -eq 0 ]
	[[ $output == '{"c_nonce":"'*'","c_nonce_expires_in":120}' ]]
	n=$(jq -r .c_nonce <<<"$output")
	p=$(mkproof "$D/h.pem" '{}' "$(claims "\"nonce\":\"$n\"")")
	run vci-verify-proof --aud "$AUD" --nonce-key "$D/nk" --proof "$p"
	[ "$status" -eq 0 ]
	run vci-verify-proof --aud "$AUD" --nonce-key "$D/nk" --now $((NOW + 200)) --max-age 3600 --proof "$p"
	[ "$status" -eq 1 ]
	[[ $output == *'nonce: expired'* ]]
	openssl rand -out "$D/nk2" 32
	refused 'forged' "$p" --nonce-key "$D/nk2"
	refused '"nonce" missing' "$(mkproof "$D/h.pem" '{}' "$(claims)")" --nonce-key "$D/nk"
	refused 'not a c_nonce issued here' "$(mkproof "$D/h.pem" '{}' "$(claims '"nonce":"abc"')")" --nonce-key "$D/nk"
	printf '{"proofs":{"jwt":["%s"]}}\n' "$(mkproof "$D/h.pem" '{}' "$(claims '"nonce":"abc"')")" |
		vci-verify-proof --aud "$AUD" --nonce-key "$D/nk" >"$D/out" || true
	[ "$(jq -r .error.code "$D/out")" = invalid_nonce ]
}

@test "nonce: usage errors and a short key" {
	run vci-verify-proof nonce
	[ "$status" -eq 2 ]
	[[ $output == *'--nonce-key FILE is required'* ]]
	head -c 8 /dev/urandom >"$D/short"
	run vci-verify-proof nonce --nonce-key "$D/short"
	[ "$status" -eq 4 ]
	[[ $output == *'8 bytes'* ]]
}

@test "usage: --aud required, --nonce with --nonce-key, --help lists every option" {
	run vci-verify-proof --proof x
	[ "$status" -eq 2 ]
	[[ $output == *'--aud URL'* ]]
	run vci-verify-proof --aud "$AUD" --nonce a --nonce-key b --proof x
	[ "$status" -eq 2 ]
	run vci-verify-proof --help
	[ "$status" -eq 0 ]
	for o in aud client-id alg ca trust require-key-attestation max-age skew now nonce \
		nonce-key proof proof-file ttl htm htu ath dpop-nonce jkt jti-cache challenge \
		attestation attestation-file pop pop-file key-storage user-auth; do
		[[ $output == *"--$o"* ]]
	done
}

@test "a record without proofs is an error record" {
	run vci-verify-proof --aud "$AUD" <<<'{"id":1}'
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_proof"'*'no proof'* ]]
}

@test "dpop: RFC 9449 token proof, jkt printed; htu query ignored" {
	run vci-verify-proof dpop --htm POST --htu 'https://server.example.com/token?x=1' --now 1562262616 <<<"$DPOP"
	[ "$status" -eq 0 ]
	[ "$output" = '{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I","jti":"-BwC3ESc6acc2lTc"}' ]
}

@test "dpop: wrong htm, htu, ath, clock, nonce, jkt refused" {
	run vci-verify-proof dpop --htm GET --htu https://server.example.com/token --now 1562262616 --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'"htm" is "POST"'* ]]
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/other --now 1562262616 --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'"htu"'* ]]
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562299999 --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'seconds old'* ]]
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562262616 --dpop-nonce n1 --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'"nonce" missing'* ]]
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562262616 --jkt AAAA --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'bound'* ]]
	run vci-verify-proof dpop --htm GET --htu https://resource.example.org/protectedresource --now 1562262618 \
		--ath 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU' --proof "$DPOP_RES"
	[ "$status" -eq 0 ]
	run vci-verify-proof dpop --htm GET --htu https://resource.example.org/protectedresource --now 1562262618 \
		--ath other --proof "$DPOP_RES"
	[ "$status" -eq 1 ]
	[[ $output == *'"ath" is not the hash'* ]]
	run vci-verify-proof dpop --htu https://x/ --proof "$DPOP"
	[ "$status" -eq 2 ]
}

@test "dpop: htu compared after RFC 3986 normalisation" {
	for u in 'HTTPS://Server.Example.COM/token' 'https://server.example.com:443/token' \
		'https://server.example.com/%74oken' 'https://server.example.com/a/../token' \
		'https://server.example.com/./token#f'; do
		run vci-verify-proof dpop --htm POST --htu "$u" --now 1562262616 --proof "$DPOP"
		[ "$status" -eq 0 ] || { echo "$u: $output"; false; }
		[[ $output == *'"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"'* ]]
	done
	for u in 'https://server.example.com/Token' 'https://server.example.com:8443/token' \
		'http://server.example.com/token' 'https://server.example.com/token/'; do
		run vci-verify-proof dpop --htm POST --htu "$u" --now 1562262616 --proof "$DPOP"
		[ "$status" -eq 1 ] || { echo "$u: $output"; false; }
		[[ $output == *'"htu" is "https://server.example.com/token"'* ]]
	done
	run vci-verify-proof dpop --htm POST --htu /token --now 1562262616 --proof "$DPOP"
	[ "$status" -eq 2 ]
	[[ $output == 'vci-verify-proof: dpop: --htu: URI "/token": not an absolute URL'* ]]
}

@test "dpop: --jti-cache refuses a replay; concurrent uses admit exactly one" {
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562262616 --jti-cache "$D/jti" --proof "$DPOP"
	[ "$status" -eq 0 ]
	run vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562262620 --jti-cache "$D/jti" --proof "$DPOP"
	[ "$status" -eq 1 ]
	[[ $output == *'replay'* ]]
	for i in $(seq 8); do
		vci-verify-proof dpop --htm POST --htu https://server.example.com/token --now 1562262616 \
			--jti-cache "$D/jti2" --proof "$DPOP" >"$D/r$i" 2>/dev/null &
	done
	wait
	[ "$(cat "$D"/r[0-9] | grep -c jkt)" -eq 1 ]
}

@test "wallet-attestation: trusted attester, PoP by the cnf key, every check" {
	need_py
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/att.key" \
		-out "$D/att.pem" -subj /CN=wallet-provider -days 2 2>/dev/null
	holder "$D/inst.pem"
	"$PY" - "$D" "$NOW" <<'PYEOF'
import sys, json, base64, subprocess
from jwcrypto import jwk, jws
d, now = sys.argv[1], int(sys.argv[2])
att = jwk.JWK.from_pem(open(d + '/att.key', 'rb').read())
inst = jwk.JWK.from_pem(open(d + '/inst.pem', 'rb').read())
der = subprocess.run(['openssl', 'x509', '-in', d + '/att.pem', '-outform', 'DER'], capture_output=True).stdout
def sign(key, hdr, claims):
    t = jws.JWS(json.dumps(claims).encode())
    t.add_signature(key, alg='ES256', protected=json.dumps(hdr))
    return t.serialize(compact=True)
a = sign(att, {"typ": "oauth-client-attestation+jwt", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]},
         {"sub": "wallet-1", "iat": now, "exp": now + 3600, "cnf": {"jwk": inst.export_public(as_dict=True)}})
p = sign(inst, {"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"},
         {"aud": "https://issuer.example.com", "jti": "j-1", "iat": now, "challenge": "c-1"})
open(d + '/att.jwt', 'w').write(a)
open(d + '/pop.jwt', 'w').write(p)
PYEOF
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" --challenge c-1 \
		--client-id wallet-1 --attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt" --jti-cache "$D/j"
	[ "$status" -eq 0 ]
	[[ $output == '{"sub":"wallet-1","cnf":{"jwk":'*'"jkt":"'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" \
		--attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt" --jti-cache "$D/j"
	[ "$status" -eq 1 ]
	[[ $output == *'replay'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" --challenge other \
		--attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'challenge'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud https://other.example \
		--attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'"aud"'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" --client-id wallet-2 \
		--attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'not the client_id'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" --now $((NOW + 7200)) \
		--max-age 86400 --attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'expired'* ]]
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/o.key" \
		-out "$D/other.pem" -subj /CN=other -days 2 2>/dev/null
	run vci-verify-proof wallet-attestation --trust "$D/other.pem" --aud "$AUD" \
		--attestation-file "$D/att.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'wallet attestation'* ]]
	run vci-verify-proof wallet-attestation --aud "$AUD" --attestation x --pop y
	[ "$status" -eq 2 ]
	# an empty attestation or PoP is a refusal, not a crash
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" --attestation "" \
		--pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[ "$output" = 'vci-verify-proof: wallet attestation: empty' ]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" \
		--attestation-file "$D/att.jwt" --pop ""
	[ "$status" -eq 1 ]
	[ "$output" = 'vci-verify-proof: wallet attestation PoP: empty' ]
}

@test "key attestation: --trust, attested_keys, facts exposed, --require-key-attestation, attestation proof type" {
	need_py
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/ka.key" \
		-out "$D/ka.pem" -subj /CN=key-attester -days 2 2>/dev/null
	holder "$D/h.pem"
	holder "$D/o.pem"
	"$PY" - "$D" "$NOW" <<'PYEOF'
import sys, json, base64, subprocess
from jwcrypto import jwk, jws
d, now = sys.argv[1], int(sys.argv[2])
ka = jwk.JWK.from_pem(open(d + '/ka.key', 'rb').read())
h = jwk.JWK.from_pem(open(d + '/h.pem', 'rb').read())
o = jwk.JWK.from_pem(open(d + '/o.pem', 'rb').read())
der = subprocess.run(['openssl', 'x509', '-in', d + '/ka.pem', '-outform', 'DER'], capture_output=True).stdout
def sign(key, hdr, claims):
    t = jws.JWS(json.dumps(claims).encode())
    t.add_signature(key, alg='ES256', protected=json.dumps(hdr))
    return t.serialize(compact=True)
att = sign(ka, {"typ": "key-attestation+jwt", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]},
           {"iat": now, "exp": now + 3600, "attested_keys": [h.export_public(as_dict=True)],
            "key_storage": ["iso_18045_high"], "user_authentication": ["iso_18045_moderate"], "nonce": "n-1"})
for name, key in (("p", h), ("q", o)):
    open(d + '/' + name + '.jwt', 'w').write(sign(key, {"typ": "openid4vci-proof+jwt", "alg": "ES256",
        "jwk": key.export_public(as_dict=True), "key_attestation": att},
        {"aud": "https://issuer.example.com", "iat": now, "nonce": "n-1"}))
open(d + '/att.jwt', 'w').write(att)
stale = sign(ka, {"typ": "key-attestation+jwt", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]},
             {"iat": now, "exp": now + 3600, "attested_keys": [h.export_public(as_dict=True)], "nonce": "n-0"})
open(d + '/s.jwt', 'w').write(sign(h, {"typ": "openid4vci-proof+jwt", "alg": "ES256",
    "jwk": h.export_public(as_dict=True), "key_attestation": stale},
    {"aud": "https://issuer.example.com", "iat": now, "nonce": "n-1"}))
PYEOF
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --require-key-attestation --proof-file "$D/p.jwt"
	[ "$status" -eq 0 ]
	[[ $output == *'"key_attestation":{"key_storage":["iso_18045_high"],"user_authentication":["iso_18045_moderate"]}'* ]]
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --proof-file "$D/q.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'not among'*'attested_keys'* ]]
	run vci-verify-proof --aud "$AUD" --proof-file "$D/p.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'--trust'* ]]
	refused 'key_attestation' "$(mkproof "$D/h.pem" '{}' "$(claims)")" --require-key-attestation
	# a key attestation carrying another nonce than the c_nonce is refused
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --nonce n-1 --proof-file "$D/s.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'proof: key_attestation: "nonce" is not the c_nonce'* ]]
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --nonce n-1 --proof-file "$D/p.jwt"
	[ "$status" -eq 0 ]
	printf '{"proofs":{"attestation":["%s"]}}\n' "$(cat "$D/att.jwt")" >"$D/in"
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --nonce n-1 "$D/in"
	[ "$status" -eq 0 ]
	[[ $output == *'"holder_jkt"'*'"key_attestation"'* ]]
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --nonce n-2 "$D/in"
	[ "$status" -eq 1 ]
	[[ $output == *invalid_nonce* ]]
	# the levels a configuration requires (key_attestations_required)
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --key-storage iso_18045_high,iso_18045_moderate \
		--user-auth iso_18045_moderate --proof-file "$D/p.jwt"
	[ "$status" -eq 0 ]
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --key-storage iso_18045_enhanced-basic \
		--proof-file "$D/p.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'key_storage'* ]]
	run vci-verify-proof --aud "$AUD" --trust "$D/ka.pem" --user-auth iso_18045_high --nonce n-1 "$D/in"
	[ "$status" -eq 1 ]
	[[ $output == *'user_authentication'* ]]
	# and they require a key attestation
	refused 'key_attestation' "$(mkproof "$D/h.pem" '{}' "$(claims)")" --key-storage iso_18045_high
}

@test "--trust-jwks: key and wallet attestations whose attester is named by kid" {
	need_py
	holder "$D/h.pem"
	holder "$D/att.pem"
	holder "$D/other.pem"
	"$PY" - "$D" "$NOW" <<'PYEOF'
import sys, json
from jwcrypto import jwk, jws
d, now = sys.argv[1], int(sys.argv[2])
att = jwk.JWK.from_pem(open(d + '/att.pem', 'rb').read())
other = jwk.JWK.from_pem(open(d + '/other.pem', 'rb').read())
h = jwk.JWK.from_pem(open(d + '/h.pem', 'rb').read())
pub = dict(att.export_public(as_dict=True), kid="wp-2025", alg="ES256")
open(d + '/attesters.jwks', 'w').write(json.dumps({"keys": [pub]}))
open(d + '/private.jwks', 'w').write(json.dumps({"keys": [dict(json.loads(att.export_private()), kid="x")]}))
def sign(key, hdr, claims):
    t = jws.JWS(json.dumps(claims).encode())
    t.add_signature(key, alg='ES256', protected=json.dumps(dict(hdr, alg="ES256")))
    return t.serialize(compact=True)
def ka(key, hdr):
    return sign(key, dict(hdr, typ="key-attestation+jwt"),
                {"iat": now, "exp": now + 3600, "attested_keys": [h.export_public(as_dict=True)],
                 "key_storage": ["iso_18045_high"]})
def proof(a):
    return sign(h, {"typ": "openid4vci-proof+jwt", "jwk": h.export_public(as_dict=True), "key_attestation": a},
                {"aud": "https://issuer.example.com", "iat": now})
open(d + '/p.jwt', 'w').write(proof(ka(att, {"kid": "wp-2025"})))
open(d + '/forged.jwt', 'w').write(proof(ka(other, {"kid": "wp-2025"})))
open(d + '/unknown.jwt', 'w').write(proof(ka(att, {"kid": "wp-2024"})))
open(d + '/tc.jwt', 'w').write(proof(ka(att, {"kid": "wp-2025", "trust_chain": ["e30.e30.AA"]})))
open(d + '/wa.jwt', 'w').write(sign(att, {"typ": "oauth-client-attestation+jwt", "kid": "wp-2025"},
    {"sub": "wallet-1", "iat": now, "exp": now + 3600, "cnf": {"jwk": h.export_public(as_dict=True)}}))
open(d + '/pop.jwt', 'w').write(sign(h, {"typ": "oauth-client-attestation-pop+jwt"},
    {"aud": "https://issuer.example.com", "jti": "j-1", "iat": now}))
PYEOF
	run vci-verify-proof --aud "$AUD" --trust-jwks "$D/attesters.jwks" --require-key-attestation \
		--proof-file "$D/p.jwt"
	[ "$status" -eq 0 ]
	[[ $output == *'"key_attestation":{"key_storage":["iso_18045_high"]}'* ]]
	run vci-verify-proof --aud "$AUD" --proof-file "$D/p.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'signed by "kid" "wp-2025" but no attester keys (--trust-jwks)'* ]]
	run vci-verify-proof --aud "$AUD" --trust-jwks "$D/attesters.jwks" --proof-file "$D/forged.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'proof: key_attestation: JWS: signature verification failed'* ]]
	run vci-verify-proof --aud "$AUD" --trust-jwks "$D/attesters.jwks" --proof-file "$D/unknown.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'no trusted key has "kid" "wp-2024"'* ]]
	run vci-verify-proof --aud "$AUD" --trust-jwks "$D/attesters.jwks" --proof-file "$D/tc.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'"trust_chain" (OpenID Federation) is not supported'* ]]
	run vci-verify-proof wallet-attestation --trust-jwks "$D/attesters.jwks" --aud "$AUD" \
		--attestation-file "$D/wa.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 0 ]
	[[ $output == '{"sub":"wallet-1",'* ]]
	run vci-verify-proof wallet-attestation --trust "$D/att.pem" --aud "$AUD" \
		--attestation-file "$D/wa.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 1 ]
	[[ $output == *'wallet attestation: signed by "kid" "wp-2025" but no attester keys (--trust-jwks)'* ]]
	run vci-verify-proof --aud "$AUD" --trust-jwks "$D/private.jwks" --proof-file "$D/p.jwt"
	[ "$status" -eq 4 ]
	[[ $output == "vci-verify-proof: $D/private.jwks: keys[0]: JWK: holds private members"* ]]
	echo '{"keys":[]}' >"$D/empty.jwks"
	run vci-verify-proof wallet-attestation --trust-jwks "$D/empty.jwks" --aud "$AUD" \
		--attestation-file "$D/wa.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 4 ]
	[[ $output == *'not a JWK Set'* ]]
	run vci-verify-proof wallet-attestation --aud "$AUD" --attestation-file "$D/wa.jwt" --pop-file "$D/pop.jwt"
	[ "$status" -eq 2 ]
	[[ $output == *'--trust FILE (or --trust-jwks FILE)'* ]]
}

@test "the man page documents every option --help lists" {
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	for o in $(vci-verify-proof --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "Fl -${o#--}" "$SRC/man/vci-verify-proof.1" || grep -q -- "Fl ${o#--}" "$SRC/man/vci-verify-proof.1" || {
			echo "missing $o"
			return 1
		}
	done
}

@test "examples/verify-proof.sh runs" {
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	cd "$BATS_TEST_TMPDIR"
	run sh "$SRC/examples/verify-proof.sh"
	[ "$status" -eq 0 ]
	[[ $output == *'"holder_jkt"'* ]]
	[[ $output == *'"code":"invalid_proof"'* ]]
}
