#!/usr/bin/env bats
# vci-defn: every command and option, the documented errors with their
# exit statuses, the example definitions and seed-shape imports, and the
# metadata checked by python (jwcrypto for signed metadata).

bats_require_minimum_version 1.5.0

setup() {
  SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
  DEFS=$SRC/examples/definitions
  IMP=$SRC/examples/import
  PY=${PYTHON3:-/usr/bin/python3}
  T=$BATS_TEST_TMPDIR
  ISS=https://issuer.example.com
}

keypair() {
  openssl ecparam -genkey -name prime256v1 -noout -out "$T/key.pem" 2>/dev/null
  openssl req -new -x509 -key "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj "/CN=Test Issuer" 2>/dev/null
}

# json FILE EXPR: evaluate a python expression on the JSON in FILE (as j)
json() {
  $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,(dict,list)) else json.dumps(r,separators=(",",":")))' "$1" "$2"
}

# ---- the examples ----

@test "the example definitions lint clean: silent, exit 0" {
  run vci-defn lint "$DEFS/pid.json" "$DEFS/mdl.json" "$DEFS/diploma.json"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "examples/defn.sh runs" {
  run sh "$SRC/examples/defn.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"credential_issuer":"https://issuer.example.com"'* ]]
  [[ "$output" == *'"vct":"urn:eudi:pid:1"'* ]]
  [[ "$output" == *'claims.birthdate: expected full-date, got \"31/12/1990\"'* ]]
}

@test "metadata for the three examples is OID4VCI 1.0 shaped (checked by python)" {
  vci-defn metadata --issuer $ISS "$DEFS/pid.json" "$DEFS/mdl.json" "$DEFS/diploma.json" > "$T/md.json"
  $PY - "$T/md.json" <<'PY'
import json, sys
md = json.load(open(sys.argv[1]))
assert md["credential_issuer"] == "https://issuer.example.com"
assert md["credential_endpoint"] == "https://issuer.example.com/credential"
c = md["credential_configurations_supported"]
assert set(c) == {"pid", "mdl", "diploma"}
assert c["pid"]["format"] == "dc+sd-jwt" and c["pid"]["vct"] == "urn:eudi:pid:1"
assert c["pid"]["cryptographic_binding_methods_supported"] == ["jwk"]
assert c["pid"]["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256"]
assert "key_attestations_required" in c["pid"]["proof_types_supported"]["attestation"]
assert c["mdl"]["doctype"] == "org.iso.18013.5.1.mDL"
assert c["mdl"]["credential_metadata"]["claims"][0]["path"] == ["org.iso.18013.5.1", "family_name"]
assert c["diploma"]["credential_definition"]["type"] == ["VerifiableCredential", "UniversityDegreeCredential"]
assert c["diploma"]["credential_metadata"]["claims"][0]["path"] == ["credentialSubject", "given_name"]
for cfg in c.values():
    assert ("proof_types_supported" in cfg) == ("cryptographic_binding_methods_supported" in cfg)
    assert "display" not in cfg and "claims" not in cfg
PY
  run vci-defn lint "$T/md.json"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "type-metadata of the PID (checked by python)" {
  vci-defn type-metadata "$DEFS/pid.json" > "$T/tm.json"
  $PY - "$T/tm.json" <<'PY'
import json, sys
tm = json.load(open(sys.argv[1]))
assert tm["vct"] == "urn:eudi:pid:1"
assert tm["display"][0]["locale"] == "en-US" and tm["display"][0]["rendering"]["simple"]["background_color"] == "#12107c"
c = {tuple(x["path"]): x for x in tm["claims"]}
assert c[("given_name",)]["sd"] == "always" and c[("given_name",)]["mandatory"] is True
assert c[("given_name",)]["display"][1] == {"locale": "de-DE", "label": "Vorname"}
assert c[("issuing_country",)]["sd"] == "never"
assert c[("nationalities", None)]["sd"] == "always"
PY
  run vci-defn lint "$T/tm.json"
  [ "$status" -eq 0 ]
}

@test "type-metadata of an mdoc definition is exit 3" {
  run vci-defn type-metadata "$DEFS/mdl.json"
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: type-metadata: mdl: type metadata is for dc+sd-jwt, not mso_mdoc" ]
}

@test "type-metadata --id picks one of several definitions" {
  $PY -c 'import json,sys; print(json.dumps([json.load(open(f)) for f in sys.argv[1:]]))' "$DEFS/pid.json" "$DEFS/mdl.json" > "$T/both.json"
  run vci-defn type-metadata --id pid "$T/both.json"
  [ "$status" -eq 0 ]
  [[ "$output" == '{"vct":"urn:eudi:pid:1"'* ]]
}

# ---- signed metadata ----

@test "--sign --key --cert: a JWT verified by jwcrypto with the certificate's key" {
  keypair
  vci-defn metadata --issuer $ISS --key "$T/key.pem" --cert "$T/cert.pem" --sign "$DEFS/pid.json" "$DEFS/mdl.json" > "$T/md.jwt"
  $PY - "$T/md.jwt" "$T/cert.pem" <<'PY'
import json, sys, time, base64
from jwcrypto import jwk, jws
from cryptography import x509
tok = open(sys.argv[1]).read().strip()
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
key = jwk.JWK.from_pyca(cert.public_key())
s = jws.JWS()
s.deserialize(tok)
s.verify(key, alg="ES256")
h = s.jose_header
assert h["typ"] == "openidvci-issuer-metadata+jwt"
der = base64.b64decode(h["x5c"][0])
assert der == cert.public_bytes(__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)
p = json.loads(s.payload)
assert p["sub"] == "https://issuer.example.com" == p["credential_issuer"]
assert abs(p["iat"] - time.time()) < 300
assert "iss" not in p
c = p["credential_configurations_supported"]
assert c["pid"]["credential_signing_alg_values_supported"] == ["ES256"]
assert c["mdl"]["credential_signing_alg_values_supported"] == [-7]
PY
  run vci-defn lint "$T/md.jwt"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "--draft13 --sign: signed_metadata inside the JSON, with iss" {
  keypair
  vci-defn metadata --issuer $ISS --key "$T/key.pem" --cert "$T/cert.pem" --sign --draft13 "$DEFS/pid.json" > "$T/md13.json"
  $PY - "$T/md13.json" "$T/cert.pem" <<'PY'
import json, sys
from jwcrypto import jwk, jws
from cryptography import x509
md = json.load(open(sys.argv[1]))
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
s = jws.JWS(); s.deserialize(md["signed_metadata"]); s.verify(jwk.JWK.from_pyca(cert.public_key()), alg="ES256")
p = json.loads(s.payload)
assert p["iss"] == p["sub"] == md["credential_issuer"]
assert md["credential_configurations_supported"]["pid"]["format"] == "vc+sd-jwt"
PY
}

@test "--draft13 shape: display, claims tree and order at the configuration top" {
  vci-defn metadata --issuer $ISS --draft13 --nonce-endpoint $ISS/nonce --batch-size 5 "$DEFS/pid.json" "$DEFS/mdl.json" "$DEFS/diploma.json" > "$T/d13.json"
  [ "$(json "$T/d13.json" 'j["credential_configurations_supported"]["pid"]["claims"]["address"]["locality"]["display"][0]["name"]')" = City ]
  [ "$(json "$T/d13.json" 'j["credential_configurations_supported"]["pid"]["order"][0]')" = given_name ]
  [ "$(json "$T/d13.json" '"credential_metadata" in j["credential_configurations_supported"]["pid"]')" = False ]
  [ "$(json "$T/d13.json" 'j["credential_configurations_supported"]["diploma"]["credential_definition"]["credentialSubject"]["degree"]["type"]["mandatory"]')" = True ]
  [ "$(json "$T/d13.json" '"nonce_endpoint" in j or "batch_credential_issuance" in j')" = False ]
  run vci-defn lint "$T/d13.json"
  [ "$status" -eq 0 ]
}

@test "--key: the key's algorithm is advertised; --alg overrides; --pass opens an encrypted key" {
  keypair
  openssl pkcs8 -topk8 -in "$T/key.pem" -out "$T/enc.pem" -passout pass:secret 2>/dev/null
  vci-defn metadata --issuer $ISS --key "$T/key.pem" "$DEFS/diploma.json" > "$T/a.json"
  [ "$(json "$T/a.json" 'j["credential_configurations_supported"]["diploma"]["credential_signing_alg_values_supported"]')" = '["ES256"]' ]
  run vci-defn metadata --issuer $ISS --key "$T/key.pem" --alg ES384 "$DEFS/diploma.json"
  [ "$status" -eq 4 ]
  [[ "$output" == "vci-defn: $T/key.pem: cannot sign with ES384" ]]
  run vci-defn metadata --issuer $ISS --key "$T/enc.pem" --pass pass:secret --alg ES256 "$DEFS/diploma.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"credential_signing_alg_values_supported":["ES256"]'* ]]
}

@test "a key file that is not a key is exit 4" {
  echo "hello" > "$T/notakey.pem"
  run vci-defn metadata --issuer $ISS --key "$T/notakey.pem" "$DEFS/pid.json"
  [ "$status" -eq 4 ]
  [[ "${lines[0]}" == "vci-defn: "*notakey.pem* ]]
  [ "${#lines[@]}" -eq 1 ]
}

@test "a certificate that is not the key's is exit 4" {
  keypair
  openssl ecparam -genkey -name prime256v1 -noout -out "$T/other.pem" 2>/dev/null
  run vci-defn metadata --issuer $ISS --key "$T/other.pem" --cert "$T/cert.pem" --sign "$DEFS/pid.json"
  [ "$status" -eq 4 ]
  [ "$output" = "vci-defn: metadata: --sign: the certificate does not belong to the signing key" ]
}

@test "--sign without --cert, --cert without --sign, --alg without --key are usage errors" {
  keypair
  run vci-defn metadata --issuer $ISS --key "$T/key.pem" --sign "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: metadata: --sign needs --key and --cert" ]]
  run vci-defn metadata --issuer $ISS --cert "$T/cert.pem" "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  run vci-defn metadata --issuer $ISS --alg ES256 "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  run vci-defn metadata --issuer $ISS --key "$T/key.pem" --alg HS256 "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --alg: 'HS256' is not a JOSE signature algorithm" ]]
}

# ---- metadata options ----

@test "endpoint options, authorization servers, batch size and issuer name" {
  vci-defn metadata --issuer $ISS/tenant --credential-endpoint https://api.example.com/cred \
    --nonce-endpoint $ISS/nonce --deferred-endpoint $ISS/deferred \
    --notification-endpoint $ISS/notify --authorization-server https://as1.example.com \
    --authorization-server https://as2.example.com --batch-size 10 \
    --issuer-name "Example Issuer" --locale en-GB "$DEFS/pid.json" > "$T/m.json"
  [ "$(json "$T/m.json" 'j["credential_endpoint"]')" = https://api.example.com/cred ]
  [ "$(json "$T/m.json" 'j["nonce_endpoint"]')" = $ISS/nonce ]
  [ "$(json "$T/m.json" 'j["deferred_credential_endpoint"]')" = $ISS/deferred ]
  [ "$(json "$T/m.json" 'j["notification_endpoint"]')" = $ISS/notify ]
  [ "$(json "$T/m.json" 'j["authorization_servers"]')" = '["https://as1.example.com","https://as2.example.com"]' ]
  [ "$(json "$T/m.json" 'j["batch_credential_issuance"]["batch_size"]')" = 10 ]
  [ "$(json "$T/m.json" 'j["display"]')" = '[{"name":"Example Issuer","locale":"en-GB"}]' ]
  run vci-defn lint "$T/m.json"
  [ "$status" -eq 0 ]
}

@test "--issuer is required and must be https without query or fragment" {
  run vci-defn metadata "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: metadata: --issuer URL is required" ]]
  run vci-defn metadata --issuer http://issuer.example.com "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --issuer: http://issuer.example.com is not an https URL without query or fragment" ]]
  run vci-defn metadata --issuer "$ISS/?tenant=1" "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  run vci-defn metadata --issuer $ISS --nonce-endpoint ftp://x "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --nonce-endpoint: ftp://x is not an https URL" ]]
}

@test "--batch-size below 2 is a usage error" {
  run vci-defn metadata --issuer $ISS --batch-size 1 "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --batch-size: 1 is out of range (2 to 100000)" ]]
}

@test "two definitions with the same id are exit 3" {
  run vci-defn metadata --issuer $ISS "$DEFS/pid.json" "$DEFS/pid.json"
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: metadata: pid: two definitions have this id" ]
}

@test "--pretty indents, --output writes a file" {
  vci-defn metadata --issuer $ISS --pretty --output "$T/p.json" "$DEFS/mdl.json"
  [ "$(sed -n 2p "$T/p.json")" = '  "credential_issuer": "https://issuer.example.com",' ]
  run vci-defn -o "$T/q.json" type-metadata "$DEFS/pid.json"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(json "$T/q.json" 'j["vct"]')" = urn:eudi:pid:1 ]
}

# ---- create ----

@test "create from options alone" {
  run vci-defn create --id pid --format dc+sd-jwt --vct urn:eudi:pid:1 --scope pid \
    --name "Personal ID" --locale de-DE --claim given_name:string:mandatory:sd=always \
    --claim 'nationalities/*:string' --claim address/locality --expiry-days 7 \
    --status token_status_list --binding jwk --binding did:jwk --proof-alg ES256 --proof-alg EdDSA \
    --key-attestation --wallet-attestation --deferred-interval 30 --allow-unknown-claims
  [ "$status" -eq 0 ]
  echo "$output" > "$T/c.json"
  [ "$(json "$T/c.json" 'j["display"]')" = '[{"name":"Personal ID","locale":"de-DE"}]' ]
  [ "$(json "$T/c.json" 'j["claims"][0]')" = '{"path":["given_name"],"mandatory":true,"value_type":"string","sd":"always"}' ]
  [ "$(json "$T/c.json" 'j["claims"][1]["path"]')" = '["nationalities",null]' ]
  [ "$(json "$T/c.json" 'j["claims"][2]["value_type"]')" = any ]
  [ "$(json "$T/c.json" 'j["expiry_days"]')" = 7 ]
  [ "$(json "$T/c.json" 'j["status"]')" = token_status_list ]
  [ "$(json "$T/c.json" 'j["key_binding"]')" = '{"methods":["jwk","did:jwk"],"proof_algs":["ES256","EdDSA"],"key_attestation_required":{}}' ]
  [ "$(json "$T/c.json" 'j["wallet_attestation_required"]')" = True ]
  [ "$(json "$T/c.json" 'j["deferred_interval"]')" = 30 ]
  [ "$(json "$T/c.json" 'j["allow_unknown_claims"]')" = True ]
  [ "$(json "$T/c.json" 'j["scope"]')" = pid ]
}

@test "create: mdoc and jwt_vc_json from options (--doctype, --type, --context)" {
  run vci-defn create --id mdl --format mso_mdoc --doctype org.iso.18013.5.1.mDL \
    --claim org.iso.18013.5.1/birth_date:date:mandatory --binding cose_key
  [ "$status" -eq 0 ]
  [[ "$output" == *'"path":["org.iso.18013.5.1","birth_date"]'* ]]
  run vci-defn create --id d --format jwt_vc_json --type UniversityDegreeCredential \
    --context https://www.w3.org/2018/credentials/v1 --context https://example.com/ctx
  [ "$status" -eq 0 ]
  [[ "$output" == *'"type":["VerifiableCredential","UniversityDegreeCredential"],"@context":["https://www.w3.org/2018/credentials/v1","https://example.com/ctx"]'* ]]
}

@test "create normalises a document from a file and from stdin; options override it" {
  run vci-defn create "$DEFS/pid.json"
  [ "$status" -eq 0 ]
  [[ "$output" == '{"id":"pid","format":"dc+sd-jwt","vct":"urn:eudi:pid:1",'* ]]
  run sh -c "vci-defn create < '$DEFS/mdl.json'"
  [ "$status" -eq 0 ]
  [[ "$output" == '{"id":"mdl","format":"mso_mdoc"'* ]]
  run vci-defn create --scope pid2 --id pid2 "$DEFS/pid.json"
  [[ "$output" == '{"id":"pid2",'*'"scope":"pid2"'* ]]
}

@test "create: an unknown format is exit 3 with a one-line message" {
  run vci-defn create --id x --format ldp_vc
  [ "$status" -eq 3 ]
  [ "$output" = 'vci-defn: create: format: unknown format "ldp_vc" (dc+sd-jwt, mso_mdoc or jwt_vc_json)' ]
}

@test "create: a bad claim path is exit 3" {
  echo '{"id":"x","format":"mso_mdoc","doctype":"d","claims":[{"path":["given_name"]}]}' > "$T/b.json"
  run vci-defn create "$T/b.json"
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: create: claims[0].path: mso_mdoc paths are [namespace, data element, ...]" ]
  run vci-defn create --id x --format dc+sd-jwt --vct v --claim a/b --claim 'a/*'
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: create: claims[1].path: the same node is used as an object and as an array" ]
}

@test "create: malformed JSON and duplicate keys are exit 3" {
  echo '{"id": "x", "format":' > "$T/m.json"
  run vci-defn create "$T/m.json"
  [ "$status" -eq 3 ]
  [[ "$output" == "vci-defn: $T/m.json: "* ]]
  [ "${#lines[@]}" -eq 1 ]
  echo '{"id": "x", "id": "y", "format": "dc+sd-jwt", "vct": "v"}' > "$T/d.json"
  run vci-defn create "$T/d.json"
  [ "$status" -eq 3 ]
  [[ "$output" == *"duplicate"* ]]
}

@test "create: bad option values are usage errors" {
  run vci-defn create --id x --format dc+sd-jwt --vct v --expiry-days 0
  [ "$status" -eq 2 ]
  run vci-defn create --id x --format dc+sd-jwt --vct v --deferred-interval soon
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --deferred-interval: expected a number, got 'soon'" ]]
  run vci-defn create --id x --locale en_US
  [ "$status" -eq 2 ]
  run vci-defn create --id x --claim a:colour=blue
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: --claim: unknown setting 'colour=blue'" ]]
}

@test "create: a bad status or binding method is exit 3" {
  run vci-defn create --id x --format dc+sd-jwt --vct v --status crl
  [ "$status" -eq 3 ]
  [[ "$output" == "vci-defn: create: status: expected none, token_status_list or bitstring_status_list" ]]
  run vci-defn create --id x --format dc+sd-jwt --vct v --binding x5c
  [ "$status" -eq 3 ]
  [[ "$output" == *"key_binding.methods[0]: x5c is not a binding method"* ]]
}

# ---- import ----

@test "import system A: credentialDefinitions[] per format, dropped fields named" {
  run --separate-stderr vci-defn import "$IMP/system-a-pid.json"
  [ "$status" -eq 0 ]
  echo "$output" > "$T/a.json"
  [ "$(json "$T/a.json" '[d["format"] for d in j]')" = '["dc+sd-jwt","mso_mdoc","jwt_vc_json"]' ]
  [ "$(json "$T/a.json" 'j[0]["claims"][0]["sd"]')" = always ]
  [ "$(json "$T/a.json" 'j[0]["key_binding"]["methods"]')" = '["jwk"]' ]
  [[ "$stderr" == *"vci-defn: import: dropped field trustAnchor (no meaning here)"* ]]
  [[ "$stderr" == *"vci-defn: import: dropped field kid ("* ]]
  [[ "$stderr" == *"dropped field credentialDefinitions[0].enforceCredentialUniqueness"* ]]
  run vci-defn lint "$T/a.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"[1].scope: missing"* ]]
}

@test "import system A response (wrapped in credentialDefinition)" {
  run --separate-stderr vci-defn import "$IMP/system-a-response.json"
  [ "$status" -eq 0 ]
  [[ "$output" == '[{"id":"string","format":"jwt_vc_json"'* ]]
  [[ "$stderr" == *"dropped field createdAt"* ]]
}

@test "import system C: credentials-supported records, sd_list and nested claims" {
  run --separate-stderr vci-defn import "$IMP/system-c-list.json"
  [ "$status" -eq 0 ]
  echo "$output" > "$T/c.json"
  [ "$(json "$T/c.json" 'j[0]["id"]')" = IDCard ]
  [ "$(json "$T/c.json" 'j[0]["format"]')" = dc+sd-jwt ]
  [ "$(json "$T/c.json" '[c["sd"] for c in j[0]["claims"]][:4]')" = '["always","always","never","always"]' ]
  [ "$(json "$T/c.json" 'j[1]["@context"][1]')" = https://www.w3.org/2018/credentials/examples/v1 ]
  [[ "$stderr" == *"vci-defn: import: format: vc+sd-jwt is the pre-final name of dc+sd-jwt"* ]]
  [[ "$stderr" == *"dropped field wallet_id (no meaning here)"* ]]
  for f in system-c-sdjwt-body system-c-jwt-body system-c-jwt-record; do
    run vci-defn import "$IMP/$f.json"
    [ "$status" -eq 0 ]
  done
}

@test "import SD-JWT VC Type Metadata, then metadata from it" {
  vci-defn import "$IMP/type-metadata-identity.json" > "$T/id.json"
  [ "$(json "$T/id.json" 'j["vct"]')" = https://issuer.example.com/oidc4vci/types/IdentityCredential ]
  run vci-defn metadata --issuer $ISS "$T/id.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"IdentityCredential":{"format":"dc+sd-jwt"'* ]]
}

@test "import of an unknown shape is exit 3" {
  echo '{"hello":"world"}' > "$T/h.json"
  run vci-defn import "$T/h.json"
  [ "$status" -eq 3 ]
  [[ "$output" == "vci-defn: import: not a definition shape vci-defn knows"* ]]
}

# ---- lint ----

@test "lint of foreign metadata: one line per finding, exit 1" {
  cat > "$T/bad.json" <<'JSON'
{"credential_issuer":"https://issuer.example.com/?t=1","credential_endpoint":"http://issuer.example.com/c",
 "credential_configurations_supported":{"pid":{"format":"vc+sd-jwt","vct":"v","scope":"p i d",
 "cryptographic_binding_methods_supported":["jwk"],
 "credential_metadata":{"display":[{"name":"P","locale":"en-US"},{"name":"Q","locale":"en-US"},{"name":"R","locale":"en_GB"}]}}}}
JSON
  run vci-defn lint "$T/bad.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"vci-defn: lint: $T/bad.json: credential_configurations_supported.pid.scope: not a scope token"* ]]
  [[ "$output" == *"lint: $T/bad.json: credential_issuer: not an https URL without query or fragment"* ]]
  [[ "$output" == *"lint: $T/bad.json: credential_endpoint: not an https URL"* ]]
  [[ "$output" == *"pid.format: vc+sd-jwt is the pre-final name; OID4VCI 1.0 uses dc+sd-jwt"* ]]
  [[ "$output" == *"pid.proof_types_supported: missing (required with cryptographic_binding_methods_supported)"* ]]
  [[ "$output" == *"display[1].locale: locale en-US appears more than once"* ]]
  [[ "$output" == *"display[2].locale: not a BCP 47 language tag"* ]]
  [ "${#lines[@]}" -eq 7 ]
}

@test "lint reads stdin and checks definitions too" {
  run sh -c "echo '{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"scope\":\"x\",\"display\":[{\"name\":\"X\"}],\"claims\":[{\"path\":[\"a\",-1]}]}' | vci-defn lint"
  [ "$status" -eq 1 ]
  [ "$output" = "vci-defn: lint: stdin: claims[0].path: negative array index" ]
}

@test "lint of something else is exit 3" {
  echo '[1,2]' > "$T/n.json"
  run vci-defn lint "$T/n.json"
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: lint: $T/n.json: not a definition, issuer metadata or type metadata" ]
}

# ---- check-claims ----

@test "check-claims passes good records through and turns bad ones into error records" {
  printf '%s\n' '{"id":1,"x":"keep","claims":{"org.iso.18013.5.1":{"family_name":"M","given_name":"E","birth_date":"1990-01-01","issue_date":"2024-01-01","expiry_date":"2034-01-01","issuing_country":"DE","issuing_authority":"KBA","document_number":"1","portrait":"AAEC","driving_privileges":[],"un_distinguishing_sign":"D"}}}' \
    '{"id":2,"claims":{"org.iso.18013.5.1":{"family_name":"M"}}}' > "$T/r.ndjson"
  run --separate-stderr vci-defn check-claims "$DEFS/mdl.json" "$T/r.ndjson"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "$(head -1 "$T/r.ndjson")" ]
  [[ "${lines[1]}" == '{"id":2,"claims":{"org.iso.18013.5.1":{"family_name":"M"}},"error":{"code":"invalid_claims","message":"claims[\"org.iso.18013.5.1\"].given_name: missing mandatory claim"}'* ]]
  [[ "$stderr" == *"vci-defn: 2 records, 1 ok, 1 failed"* ]]
}

@test "check-claims --csv converts cells to the value types; --jobs, --progress, --no-progress" {
  printf 'given_name,family_name,birthdate,nationalities,issuing_country,issuing_authority,age_equal_or_over.18,record.id\n' > "$T/p.csv"
  printf 'Erika,Mustermann,1964-08-12,"[""DE""]",DE,DE,true,a\n' >> "$T/p.csv"
  printf 'Max,Mustermann,1964-08-12,"[""DE""]",DE,DE,maybe,b\n' >> "$T/p.csv"
  run --separate-stderr vci-defn check-claims --csv "$T/p.csv" --jobs 2 --no-progress "$DEFS/pid.json"
  [ "$status" -eq 1 ]
  [[ "${lines[0]}" == *'"nationalities":["DE"]'*'"age_equal_or_over":{"18":true}'* ]]
  [[ "${lines[1]}" == *'"message":"claims.age_equal_or_over[\"18\"]: expected boolean, got \"maybe\""'* ]]
  run --separate-stderr vci-defn check-claims --progress --jobs 1 --csv "$T/p.csv" "$DEFS/pid.json"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"records"* ]]
}

@test "check-claims refuses unknown claims unless the definition allows them" {
  echo '{"claims":{"given_name":"E","shoe_size":42}}' > "$T/u.json"
  vci-defn create --id open --format dc+sd-jwt --vct v --claim given_name:string --allow-unknown-claims > "$T/open.json"
  vci-defn create --id closed --format dc+sd-jwt --vct v --claim given_name:string > "$T/closed.json"
  run vci-defn check-claims "$T/open.json" "$T/u.json"
  [ "$status" -eq 0 ]
  run --separate-stderr vci-defn check-claims "$T/closed.json" "$T/u.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *'"message":"claims.shoe_size: not in the definition of closed"'* ]]
}

@test "check-claims --id picks the definition; several without --id is a usage error" {
  $PY -c 'import json,sys; print(json.dumps([json.load(open(f)) for f in sys.argv[1:]]))' "$DEFS/pid.json" "$DEFS/diploma.json" > "$T/both.json"
  echo '{"claims":{"given_name":"E","family_name":"M","degree":{"type":"BSc"},"awarded":"2020-07-01","gpa":3.7}}' > "$T/d.json"
  run vci-defn check-claims --id diploma "$T/both.json" "$T/d.json"
  [ "$status" -eq 0 ]
  run vci-defn check-claims "$T/both.json" "$T/d.json"
  [ "$status" -eq 2 ]
  run vci-defn check-claims --id nope "$T/both.json" "$T/d.json"
  [ "$status" -eq 3 ]
}

@test "check-claims: a bad definition is exit 3, a malformed record an error record" {
  echo '{"id":"x","format":"dc+sd-jwt"}' > "$T/bad.json"
  run vci-defn check-claims "$T/bad.json" /dev/null
  [ "$status" -eq 3 ]
  [ "$output" = "vci-defn: $T/bad.json: vct: missing" ]
  printf '{"claims":{}}\n{"claims":\n' > "$T/r.ndjson"
  run --separate-stderr vci-defn check-claims --id pid "$DEFS/pid.json" "$T/r.ndjson"
  [ "$status" -eq 1 ]
  [[ "${lines[1]}" == *'"code":"invalid_json"'* ]]
}

# ---- the command line ----

@test "no command, an unknown command, too many arguments: usage errors" {
  run vci-defn
  [ "$status" -eq 2 ]
  [ "${lines[0]}" = "vci-defn: no command given" ]
  run vci-defn frobnicate
  [ "$status" -eq 2 ]
  [ "${lines[0]}" = "vci-defn: unknown command 'frobnicate'" ]
  run vci-defn import a b
  [ "$status" -eq 2 ]
}

@test "--help lists the commands; every long option in --help is in the man page" {
  run vci-defn --help
  [ "$status" -eq 0 ]
  for c in create import metadata type-metadata lint check-claims; do
    [[ "$output" == *"  $c"* ]]
  done
  opts=$(printf '%s\n' "$output" | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
  [ -n "$opts" ]
  for o in $opts; do
    grep -q -- "Fl -${o#--}\\b" "$SRC/man/vci-defn.1" || { echo "not in man page: $o"; return 1; }
  done
}

@test "every long option in --help is in the completions" {
  opts=$(vci-defn --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
  for o in $opts; do
    grep -q -- "$o" "$SRC/completions/bash/vci-defn" || { echo "bash: $o"; return 1; }
    grep -q -- "'$o" "$SRC/completions/zsh/_vci-defn" || grep -q -- "$o=" "$SRC/completions/zsh/_vci-defn" || grep -q -- ",$o" "$SRC/completions/zsh/_vci-defn" || { echo "zsh: $o"; return 1; }
    grep -q -- "-l ${o#--}\\b" "$SRC/completions/fish/vci-defn.fish" || { echo "fish: $o"; return 1; }
  done
  bash -n "$SRC/completions/bash/vci-defn"
}

@test "--version" {
  run vci-defn --version
  [ "$status" -eq 0 ]
  [[ "$output" == "vci-defn (vci-tools) "* ]]
}
