#!/bin/sh
# examples/mdoc.sh - an mdoc issuer's PKI and two credentials:
#   1. a test IACA root and a document signer (DS) certificate made with the
#      openssl CLI, with the extensions ISO/IEC 18013-5 Annex B expects
#      (IACA: CA, keyCertSign/cRLSign, issuer alternative name, CRL
#      distribution point; DS: digitalSignature, extended key usage mdlDS
#      1.0.18013.5.1.2, key identifiers);
#   2. a wallet's device key (P-256), as a JWK;
#   3. an mDL (org.iso.18013.5.1.mDL) and an EU PID in mdoc form
#      (eu.europa.ec.eudi.pid.1) signed with the DS key, and both verified
#      against the IACA root.
# Needs vci-sign-mdoc, vci-statuslist and openssl on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# 1. IACA root (kept offline in real life) and the document signer.
cat >pki.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[iaca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
issuerAltName = URI:https://iaca.example.com
crlDistributionPoints = URI:https://iaca.example.com/crl
[ds]
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, 1.0.18013.5.1.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
issuerAltName = URI:https://iaca.example.com
crlDistributionPoints = URI:https://iaca.example.com/crl
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out iaca.key 2>/dev/null
openssl req -x509 -new -key iaca.key -subj "/C=UT/ST=UT/CN=Example IACA" -days 3650 \
	-config pki.cnf -extensions iaca -out iaca.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ds.key 2>/dev/null
openssl req -new -key ds.key -subj "/C=UT/ST=UT/CN=Example Document Signer" -config pki.cnf \
	-out ds.csr
openssl x509 -req -in ds.csr -CA iaca.crt -CAkey iaca.key -set_serial 0x1001 -days 365 \
	-extfile pki.cnf -extensions ds -out ds.crt 2>/dev/null
openssl x509 -in ds.crt -noout -subject -issuer -ext extendedKeyUsage,keyUsage

# 2. The wallet's device key as a JWK (x and y from the uncompressed point).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out device.pem 2>/dev/null
openssl pkey -in device.pem -pubout -outform DER | tail -c 64 >point.bin
x=$(head -c 32 point.bin | b64url)
y=$(tail -c 32 point.bin | b64url)
jwk=$(printf '{"kty":"EC","crv":"P-256","x":"%s","y":"%s"}' "$x" "$y")

# 3a. An mDL: claims namespaced as the seeds send them.
portrait=$(printf '\377\330\377\340fake-jpeg' | openssl base64 -A)
cat >mdl.ndjson <<REC
{"id":"mdl-1","claims":{"org.iso.18013.5.1":{"family_name":"Mustermann","given_name":"Erika","birth_date":"1964-08-12","issue_date":"2024-03-01","expiry_date":"2034-02-28","issuing_country":"DE","issuing_authority":"Kraftfahrt-Bundesamt","document_number":"B072RRE2I55","portrait":"$portrait","driving_privileges":[{"vehicle_category_code":"B","issue_date":"1982-06-14","expiry_date":"2034-02-28","codes":[{"code":"78"}]}],"un_distinguishing_sign":"D","age_over_18":true}},"holder_jwk":$jwk}
REC
# mdl.json has a Token Status List: each mDL gets an entry first
vci-statuslist new --bits 2 --uri https://issuer.example.com/status/mdl --output mdl.list
# the device key comes from the wallet here, not from a proof checked by
# vci-verify-proof --defn: --unchecked-proofs says so
vci-statuslist alloc --list mdl.list <mdl.ndjson |
	vci-sign-mdoc --defn "$here/definitions/mdl.json" --key ds.key --cert ds.crt \
		--unchecked-proofs >mdl-issued.ndjson
echo "mDL credential (base64url IssuerSigned), first 80 characters:"
sed 's/.*"credential":"\([^"]*\)".*/\1/' mdl-issued.ndjson | cut -c1-80
vci-sign-mdoc verify --ca iaca.crt --doctype org.iso.18013.5.1.mDL mdl-issued.ndjson

# 3b. An EU PID in mdoc form: flat claims, the namespace from the definition.
cat >pid-mdoc.json <<'DEFN'
{
  "id": "pid-mdoc",
  "format": "mso_mdoc",
  "doctype": "eu.europa.ec.eudi.pid.1",
  "claims": [
    { "path": ["eu.europa.ec.eudi.pid.1", "family_name"], "mandatory": true, "value_type": "string" },
    { "path": ["eu.europa.ec.eudi.pid.1", "given_name"], "mandatory": true, "value_type": "string" },
    { "path": ["eu.europa.ec.eudi.pid.1", "birth_date"], "mandatory": true, "value_type": "date" },
    { "path": ["eu.europa.ec.eudi.pid.1", "place_of_birth"], "mandatory": true, "value_type": "object" },
    { "path": ["eu.europa.ec.eudi.pid.1", "nationality"], "mandatory": true, "value_type": "array" },
    { "path": ["eu.europa.ec.eudi.pid.1", "issuing_authority"], "mandatory": true, "value_type": "string" },
    { "path": ["eu.europa.ec.eudi.pid.1", "issuing_country"], "mandatory": true, "value_type": "string" },
    { "path": ["eu.europa.ec.eudi.pid.1", "expiry_date"], "value_type": "date" },
    { "path": ["eu.europa.ec.eudi.pid.1", "sex"], "value_type": "integer" }
  ],
  "expiry_days": 90,
  "key_binding": { "methods": ["cose_key"], "proof_algs": ["ES256"] }
}
DEFN
cat >pid.ndjson <<REC
{"id":"pid-1","claims":{"family_name":"Mustermann","given_name":"Erika","birth_date":"1964-08-12","place_of_birth":{"country":"DE","locality":"Berlin"},"nationality":["DE"],"issuing_authority":"DE","issuing_country":"DE","expiry_date":"2031-01-01","sex":2},"holder_jwk":$jwk}
REC
vci-sign-mdoc --defn pid-mdoc.json --key ds.key --cert ds.crt --unchecked-proofs --raw \
	pid.ndjson >pid.b64u
vci-sign-mdoc verify --ca iaca.crt --doctype eu.europa.ec.eudi.pid.1 pid.b64u
