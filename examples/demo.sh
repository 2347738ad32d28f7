#!/bin/sh
# examples/demo.sh - the end-to-end story of what vci-tools does so far,
# as scripts/demo runs it (the tools must be on PATH):
#   1. an issuer signing key and certificate, made with the openssl CLI;
#   2. the example credential definitions, linted;
#   3. the Credential Issuer Metadata wallets fetch, plain and signed,
#      and the SD-JWT VC Type Metadata of the PID;
#   4. a CSV batch of holders checked against the PID definition (the bad
#      row becomes an error record, the good rows go on);
#   5. each holder's wallet proves possession of a key (an Ed25519 proof
#      JWT made with the openssl CLI) against a c_nonce; the proofs are
#      verified and each record gets the holder_jwk to bind to;
#   6. each record gets a Token Status List entry; one credential is
#      revoked, the list is signed and every status read back;
#   7. a credential offer for a holder, shown as a QR code in the terminal;
#   8. each holder gets a PID credential (SD-JWT VC) bound to the key it
#      proved, with its status entry; the credentials are then verified
#      the way a wallet or verifier would;
#   9. the first holder also gets an mDL (ISO 18013-5 mdoc) bound to the
#      key its wallet proved in step 5, with a status entry, verified.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
defs=$here/definitions
issuer=https://issuer.example.com
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }

step "1. issuer key (P-256) and self-signed certificate"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 30 \
	-out issuer.crt 2>/dev/null
openssl x509 -in issuer.crt -noout -subject

step "2. lint the credential definitions"
vci-defn lint "$defs/pid.json" "$defs/mdl.json" "$defs/diploma.json"
echo "pid.json, mdl.json, diploma.json: no findings"

step "3. Credential Issuer Metadata ($issuer/.well-known/openid-credential-issuer)"
vci-defn metadata --issuer "$issuer" --nonce-endpoint "$issuer/nonce" \
	--key issuer.key "$defs/pid.json" "$defs/mdl.json" "$defs/diploma.json" | tee metadata.json
echo
echo "signed metadata (application/jwt), header:"
vci-defn metadata --issuer "$issuer" --key issuer.key --cert issuer.crt --sign \
	"$defs/pid.json" >metadata.jwt
cut -d. -f1 metadata.jwt | tr '_-' '/+' | base64 -d 2>/dev/null | cut -c1-120 || true
echo
echo "SD-JWT VC Type Metadata of the PID:"
vci-defn type-metadata "$defs/pid.json"

step "4. a CSV batch of holders, checked against the PID definition"
cat >people.csv <<'CSV'
given_name,family_name,birthdate,nationalities,issuing_country,issuing_authority,record.id
Erika,Mustermann,1964-08-12,"[""DE""]",DE,DE,h-001
Max,Mustermann,31/12/1990,"[""DE""]",DE,DE,h-002
Ada,Lovelace,1815-12-10,"[""GB""]",GB,GB,h-003
CSV
vci-defn check-claims --jobs 2 --csv people.csv "$defs/pid.json" >checked.ndjson || test $? -eq 1
cat checked.ndjson
grep -v '"error"' checked.ndjson >ready.ndjson

step "5. proofs of possession: c_nonce, wallet proofs, holder keys bound"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
openssl rand -out nonce.key 32
: >requests.ndjson
while IFS= read -r rec; do
	nonce=$(vci-verify-proof nonce --nonce-key nonce.key | sed 's/.*"c_nonce":"\([^"]*\)".*/\1/')
	openssl genpkey -algorithm ED25519 -out holder.pem
	x=$(openssl pkey -in holder.pem -pubout -outform DER | tail -c 32 | b64url)
	h=$(printf '{"typ":"openid4vci-proof+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"%s"}}' "$x" | b64url)
	p=$(printf '{"aud":"%s","iat":%s,"nonce":"%s"}' "$issuer" "$(date +%s)" "$nonce" | b64url)
	printf '%s.%s' "$h" "$p" >signing-input
	openssl pkeyutl -sign -inkey holder.pem -rawin -in signing-input -out sig.bin
	echo "$rec" | sed "s/}\$/,\"proofs\":{\"jwt\":[\"$h.$p.$(b64url <sig.bin)\"]}}/" >>requests.ndjson
done <ready.ndjson
# pid.json asks for ES256 keys attested at iso_18045_high and a wallet
# attestation, which no shell wallet can give; pid-demo.json states the
# policy these wallets meet (EdDSA proofs, no attestations), and the
# proofs are checked against it (--defn) so that it can be signed below.
sed -e '/key_attestation_required/d' \
	-e 's/"proof_algs": \["ES256"\],/"proof_algs": ["ES256", "EdDSA"]/' \
	-e 's/"wallet_attestation_required": true/"wallet_attestation_required": false/' \
	"$defs/pid.json" >pid-demo.json
vci-verify-proof --aud "$issuer" --nonce-key nonce.key --defn pid-demo.json \
	requests.ndjson >bound.ndjson
sed 's/"proofs":{[^}]*},//' bound.ndjson

if command -v vci-statuslist >/dev/null 2>&1; then
	step "6. status entries, a revocation, the signed status list"
	vci-statuslist new --bits 2 --uri "$issuer/status/1" --output pid.list
	vci-statuslist alloc --list pid.list <bound.ndjson >issued.ndjson
	sed 's/"proofs":{[^}]*},//' issued.ndjson
	idx() { sed -n "${1}p" issued.ndjson | sed 's/.*"idx":\([0-9]*\).*/\1/'; }
	first=$(idx 1) second=$(idx 2)
	vci-statuslist set --list pid.list "$second" revoked
	vci-statuslist sign --list pid.list --key issuer.key --cert issuer.crt --ttl 600 --output pid.jwt
	for i in "$first" "$second"; do
		s=$(vci-statuslist check --idx "$i" --ca issuer.crt --uri "$issuer/status/1" <pid.jwt) || true
		echo "index $i: $s"
	done
fi

if command -v vci-offer >/dev/null 2>&1; then
	step "7. a credential offer for the first holder, as a QR code in the terminal"
	head -n 1 ready.ndjson |
		vci-offer --issuer "$issuer" --config pid --tx-code 6 \
			--by-reference "$issuer/offers" --qr --output offer.ndjson
	sed 's/.*"offer_link":"\([^"]*\)".*/offer link: \1/' offer.ndjson
fi

if command -v vci-sign-sdjwt >/dev/null 2>&1 && [ -f issued.ndjson ]; then
	step "8. PID credentials (SD-JWT VC) for the bound holder keys, verified"
	vci-sign-sdjwt --defn pid-demo.json --key issuer.key --cert issuer.crt \
		--issuer "$issuer" issued.ndjson >credentials.ndjson
	sed 's/.*\("format":"[^"]*","credential":"[^"]\{40\}\)[^"]*".*/\1...~"/' credentials.ndjson
	echo "header of the first credential:"
	sed -n '1s/.*"credential":"\([^.]*\)\..*/\1/p' credentials.ndjson | tr '_-' '/+' |
		base64 -d 2>/dev/null | cut -c1-100 || true
	echo
	echo "disclosed claims, as a verifier sees them:"
	vci-sign-sdjwt verify --ca issuer.crt credentials.ndjson
fi

if command -v vci-sign-mdoc >/dev/null 2>&1; then
	step "9. an mDL for the first holder, bound to the key its wallet proved"
	jwk=$(sed -n 1p bound.ndjson | sed 's/.*"holder_jwk":\({[^}]*}\).*/\1/')
	printf '{"id":"mdl-1","claims":{"org.iso.18013.5.1":{"family_name":"Mustermann","given_name":"Erika","birth_date":"1964-08-12","issue_date":"2024-03-01","expiry_date":"2034-02-28","issuing_country":"DE","issuing_authority":"Kraftfahrt-Bundesamt","document_number":"B072RRE2I55","portrait":"/9j/4AAQSkZJRg==","driving_privileges":[{"vehicle_category_code":"B","issue_date":"1982-06-14","expiry_date":"2034-02-28"}],"un_distinguishing_sign":"D","age_over_18":true}},"holder_jwk":%s}\n' \
		"$jwk" >mdl.ndjson
	vci-statuslist new --bits 2 --uri "$issuer/status/mdl" --output mdl.list
	# the key was proven in step 5, for the PID: --unchecked-proofs says
	# that the mDL's own proof policy was not applied to it
	vci-statuslist alloc --list mdl.list <mdl.ndjson |
		vci-sign-mdoc --defn "$defs/mdl.json" --key issuer.key --cert issuer.crt \
			--unchecked-proofs >mdl-issued.ndjson
	echo "mDL credential (base64url IssuerSigned), first 72 characters:"
	sed 's/.*"credential":"\([^"]*\)".*/\1/' mdl-issued.ndjson | cut -c1-72
	vci-sign-mdoc verify --ca issuer.crt --doctype org.iso.18013.5.1.mDL mdl-issued.ndjson
fi
