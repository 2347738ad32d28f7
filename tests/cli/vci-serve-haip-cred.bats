#!/usr/bin/env bats
# vci-serve, HAIP at the credential endpoint: credential response and
# request encryption (OpenID4VCI 1.0 section 10) checked by the holder
# simulator with jwcrypto and again by the jose CLI; key attestations
# (Appendix D) from a test attester, with their refusals; --profile haip
# at start and vci-defn lint --profile haip. The server runs over native
# TLS with an https issuer on 127.0.0.1.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	TLS=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
}

teardown() {
	serve_stop
}

# start [OPTION]...: the server over TLS (skipped where libmicrohttpd has
# no TLS)
start() {
	if ! serve_start "${TLS[@]}" "$@" 2>"$D/start.err"; then
		grep -qi 'tls' "$D/server.err" && skip "vci-serve without native TLS here"
		cat "$D/start.err"
		return 1
	fi
}

# make_attester NAME: a key attester's root ($D/NAME-ca.crt) and its
# leaf ($D/NAME.key, $D/NAME.crt, the x5c chain without the root)
make_attester() {
	local n=$1
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/$n-ca.key" 2>/dev/null
	openssl req -x509 -new -key "$D/$n-ca.key" -subj "/CN=$n root" -days 30 \
		-config "$D/pki.cnf" -extensions ca -out "$D/$n-ca.crt"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/$n.key" 2>/dev/null
	openssl req -new -key "$D/$n.key" -subj "/CN=$n" -config "$D/pki.cnf" -out "$D/$n.csr"
	openssl x509 -req -in "$D/$n.csr" -CA "$D/$n-ca.crt" -CAkey "$D/$n-ca.key" \
		-set_serial 0x3001 -days 30 -extfile "$D/pki.cnf" -extensions leaf \
		-out "$D/$n.crt" 2>/dev/null
}

# require_key_attestation CONFIG LEVELS: the definition asks for key
# attestations with key_storage and user_authentication LEVELS (JSON array)
require_key_attestation() {
	"$PY" - "$D/$1.json" "$2" <<'PYEOF'
import json, sys
p, levels = sys.argv[1], json.loads(sys.argv[2])
d = json.load(open(p))
d["key_binding"]["key_attestation_required"] = {"key_storage": levels,
						"user_authentication": levels}
json.dump(d, open(p, "w"), indent=1)
PYEOF
}

@test "encryption metadata: credential_response_encryption and credential_request_encryption (jwks with kid); none with --encryption off" {
	start
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	"$PY" - "$D/md.json" <<'PYEOF'
import json, sys
md = json.load(open(sys.argv[1]))
r = md["credential_response_encryption"]
assert r == {"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
	     "encryption_required": False}, r
q = md["credential_request_encryption"]
assert q["encryption_required"] is False and q["enc_values_supported"] == ["A128GCM", "A256GCM"], q
k = q["jwks"]["keys"]
assert len(k) == 1 and k[0]["kty"] == "EC" and k[0]["crv"] == "P-256" and k[0]["kid"], k
assert "d" not in k[0] and k[0]["use"] == "enc" and k[0]["alg"] == "ECDH-ES", k
PYEOF
	# the request encryption key outlives a restart
	serve_stop
	start
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md2.json"
	[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential_request_encryption"]["jwks"])' "$D/md.json")" = \
	  "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential_request_encryption"]["jwks"])' "$D/md2.json")" ]
	serve_stop
	start --encryption off
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/openid-credential-issuer" >"$D/md3.json"
	run "$PY" -c 'import json,sys; d = json.load(open(sys.argv[1])); assert "credential_response_encryption" not in d and "credential_request_encryption" not in d' "$D/md3.json"
	[ "$status" -eq 0 ]
}

@test "encrypted responses for all three formats (A128GCM, A256GCM), the requests encrypted too; jwcrypto and jose jwe dec decrypt them" {
	start
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --encrypt A128GCM --expect-status --save-jwe "$D/j1"
	grep -q 'credential response decrypted (ECDH-ES, A128GCM)' "$D/out.json"
	grep -q 'credential request encrypted' "$D/out.json"
	holder "$(offer_ref mdl)" --tls-ca "$D/ca.crt" --encrypt A256GCM --batch 2 --save-jwe "$D/j2"
	holder "$(offer diploma)" --tls-ca "$D/ca.crt" --encrypt A256GCM
	[ "$(result 'len(r["credentials"])')" = 1 ]
	command -v jose >/dev/null || skip "jose CLI not installed"
	for j in "$D/j1/0.jwe" "$D/j2/0.jwe"; do
		key=$(dirname "$j")/key.jwk
		jose jwe dec -i "$j" -k "$key" >"$D/pt.json"
		"$PY" -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["credentials"] and d["notification_id"], d' "$D/pt.json"
	done
}

@test "encryption refusals: unsupported enc, an encrypted response asked for in a plain request, --encryption off, --encryption required without encryption: 400 invalid_encryption_parameters" {
	start
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --encrypt A128GCM --neg enc-unsupported
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --encrypt A128GCM --neg enc-plain-request
	serve_stop
	start --encryption off
	run "$PY" "$HOLDER" "$(offer pid)" --tls-ca "$D/ca.crt" --ca "$D/ca.crt" --timeout 120 \
		--encrypt A128GCM
	[ "$status" -eq 1 ]
	[[ $output == *invalid_encryption_parameters*"does not encrypt"* ]]
	serve_stop
	start --encryption required
	holder "$(offer mdl)" --tls-ca "$D/ca.crt" --encrypt A128GCM
	run "$PY" "$HOLDER" "$(offer pid)" --tls-ca "$D/ca.crt" --ca "$D/ca.crt" --timeout 120
	[ "$status" -eq 1 ]
	[[ $output == *invalid_encryption_parameters* ]]
}

@test "key attestations: required levels met by a trusted attester, in the jwt proof header and as the attestation proof type (a batch)" {
	make_attester att
	require_key_attestation pid '["iso_18045_high", "iso_18045_moderate"]'
	start --trust "$D/att-ca.crt"
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --attester-key "$D/att.key" \
		--attester-cert "$D/att.crt" --key-storage iso_18045_moderate --user-auth iso_18045_high
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --attester-key "$D/att.key" \
		--attester-cert "$D/att.crt" --proof-type attestation --batch 3 --save "$D/c"
	[ "$(result 'len(r["credentials"])')" = 3 ]
	[ "$(cat "$D"/c/*.jwk | sort -u | wc -l)" -eq 3 ]
	# with an encrypted response too
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --attester-key "$D/att.key" \
		--attester-cert "$D/att.crt" --encrypt A256GCM
}

@test "key attestation refusals: missing, untrusted attester, levels not accepted, no --trust: 400 invalid_proof" {
	make_attester att
	make_attester other
	require_key_attestation pid '["iso_18045_high"]'
	start --trust "$D/att-ca.crt"
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg no-key-attestation
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg key-attestation-refused \
		--attester-key "$D/other.key" --attester-cert "$D/other.crt"
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg key-attestation-refused \
		--attester-key "$D/att.key" --attester-cert "$D/att.crt" --key-storage iso_18045_basic
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg key-attestation-refused \
		--attester-key "$D/att.key" --attester-cert "$D/att.crt" --user-auth ""
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg key-attestation-refused \
		--attester-key "$D/att.key" --attester-cert "$D/att.crt" --proof-type attestation \
		--key-storage iso_18045_moderate
	serve_stop
	start
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --neg key-attestation-refused \
		--attester-key "$D/att.key" --attester-cert "$D/att.crt"
}

@test "--profile haip: a compliant server issues through PAR, PKCE, wallet attestation, DPoP with server nonces, key attestation and an encrypted response; the pre-authorized code without a wallet attestation is refused" {
	make_attester att
	make_attester wp
	cat "$D/att-ca.crt" "$D/wp-ca.crt" >"$D/trust.pem"
	require_key_attestation pid '["iso_18045_high"]'
	start --profile haip --trust "$D/trust.pem"
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	"$PY" -c 'import json,sys; a = json.load(open(sys.argv[1])); assert a["require_pushed_authorization_requests"] is True and a["code_challenge_methods_supported"] == ["S256"] and "attest_jwt_client_auth" in a["token_endpoint_auth_methods_supported"], a' "$D/as.json"
	holder "$(offer pid --auth-code --no-pre-authorized-code)" --flow auth-code \
		--wallet-key "$D/wp.key" --wallet-cert "$D/wp.crt" --tls-ca "$D/ca.crt" \
		--attester-key "$D/att.key" --attester-cert "$D/att.crt" --encrypt A128GCM \
		--expect-status
	grep -q '"error":"use_dpop_nonce"' "$D/server.err"
	grep -q 'credential response decrypted' "$D/out.json"
	[ "$(result 'r["credentials"][0]["format"]')" = "dc+sd-jwt" ]
	holder "$(offer mdl)" --tls-ca "$D/ca.crt" --neg no-wallet-attestation
	run "$PY" "$HOLDER" "$(offer mdl)" --dpop no --tls-ca "$D/ca.crt" --ca "$D/ca.crt" --timeout 120
	[ "$status" -eq 1 ]
}

@test "--profile haip refuses what breaks it, one line per rule, exit 2" {
	make_attester att
	run timeout 60 vci-serve run "${SERVE_ARGS[@]}" --profile haip --dpop optional
	[ "$status" -eq 2 ]
	[[ $output == *"HP-4: --dpop is not required"* ]]
	[[ $output == *"HA-4: no wallet provider is trusted"* ]]
	[[ $output == *"breaks 2 rules"* ]]
	# a self-signed issuer certificate, a chain holding its root, a kid
	openssl req -x509 -new -key "$D/issuer.key" -subj "/CN=self" -days 3 -out "$D/self.crt"
	run timeout 60 vci-serve run "${SERVE_ARGS[@]/$D\/issuer.crt/$D/self.crt}" --profile haip --trust "$D/att-ca.crt"
	[ "$status" -eq 2 ]
	[[ $output == *"HS-7: the --cert leaf is self-signed"* ]]
	cat "$D/issuer.crt" "$D/ca.crt" >"$D/with-root.crt"
	run timeout 60 vci-serve run "${SERVE_ARGS[@]/$D\/issuer.crt/$D/with-root.crt}" --profile haip --trust "$D/att-ca.crt"
	[ "$status" -eq 2 ]
	[[ $output == *"HS-7: the --cert chain includes its trust anchor"* ]]
	# a definition without scope, and one accepting no ES256 proof
	"$PY" - "$D/pid.json" "$D/noscope.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("scope", None)
d["key_binding"]["proof_algs"] = ["ES384"]
json.dump(d, open(sys.argv[2], "w"))
PYEOF
	run timeout 60 vci-serve run "${SERVE_ARGS[@]/$D\/pid.json/$D/noscope.json}" --profile haip --trust "$D/att-ca.crt"
	[ "$status" -eq 2 ]
	[[ $output == *"HM-2: configuration pid has no scope"* ]]
	[[ $output == *"HC-1: configuration pid: proof type jwt does not accept ES256"* ]]
	run timeout 60 vci-serve run "${SERVE_ARGS[@]}" --profile fapi
	[ "$status" -eq 2 ]
}

@test "vci-defn lint --profile haip: the example definitions pass; a definition breaking HAIP is reported offline" {
	vci-defn lint --profile haip "$SRC/examples/definitions/pid.json" "$SRC/examples/definitions/mdl.json" \
		"$SRC/examples/definitions/diploma.json"
	"$PY" - "$D/pid.json" "$D/bad.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("scope", None)
d["key_binding"]["methods"] = ["did:key"]
json.dump(d, open(sys.argv[2], "w"))
PYEOF
	run vci-defn lint --profile haip "$D/bad.json"
	[ "$status" -eq 1 ]
	[[ $output == *"--profile haip: HM-2: configuration pid has no scope"* ]]
	[[ $output == *"--profile haip: HS-3: configuration pid binds keys without \"jwk\""* ]]
	run vci-defn lint "$D/bad.json"
	[[ $output != *"--profile haip"* ]]
	run vci-defn lint --profile nope "$D/bad.json"
	[ "$status" -eq 2 ]
}

@test "deferred issuance: the deferred credential request encrypted, its 202 and 200 answers JWEs to the key it names; asked for in a plain request, refused" {
	"$PY" - "$D/pid.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["deferred_interval"] = 1
json.dump(d, open(sys.argv[1], "w"), indent=1)
PYEOF
	start
	link=$(offer pid)
	"$PY" - "$SRC/tests/serve" "$link" "$D" "$STATE" <<'PYEOF'
import json, subprocess, sys
sys.path.insert(0, sys.argv[1])
import holder as H
link, d, state = sys.argv[2:]
o, offer = H.parse_args([link, "--tls-ca", d + "/ca.crt", "--ca", d + "/ca.crt",
			 "--encrypt", "A256GCM", "--timeout", "60"])
h = H.Holder(o)
h.discover(offer)
h.token()
cid = h.offered[0]
n = h.c_nonce()
r = h.post_credential(h.request_body(cid, h.proofs_for([H.Key()], n)))
assert r.status == 202, (r.status, r.body)
assert "credential response (202) decrypted (ECDH-ES, A256GCM)" in h.checks, h.checks
tx = json.loads(r.body)["transaction_id"]
url = h.md["deferred_credential_endpoint"]

def post(body):
	payload, ctype = h.encode_request(body)
	hdrs = {"Content-Type": ctype, "Authorization": "%s %s" % (h.token_type, h.access_token)}
	if h.token_type == "DPoP":
		hdrs["DPoP"] = h.dpop_proof("POST", url, h.access_token)
	r = h.http.request("POST", url, body=payload, headers=hdrs)
	h.note_dpop_nonce(r)
	return r

# still pending: the 202 of the encrypted deferred request is a JWE too
raw = post({"transaction_id": tx})
assert raw.status == 202 and raw.header("Content-Type").startswith("application/jwt"), raw.body
r = h.decode_response(raw, None)
assert json.loads(r.body)["transaction_id"] == tx, r.body
ex = subprocess.run(["vci-serve", "exchange", "list", "--state", state], check=True,
		    capture_output=True, text=True).stdout
xid = [json.loads(l)["id"] for l in ex.splitlines() if l.strip()][0]
with open(d + "/claims.json", "w") as f:
	json.dump({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
		   "nationalities": ["DE"], "issuing_country": "DE", "issuing_authority": "DE"}, f)
subprocess.run(["vci-serve", "deferred", "claims", "--state", state, xid, d + "/claims.json"],
	       check=True)

h.force_plain = True
r = post({"transaction_id": tx})
assert r.status == 400 and json.loads(r.body)["error"] == "invalid_encryption_parameters", r.body
h.force_plain = False
r = h.decode_response(post({"transaction_id": tx}), None)
assert r.status == 200, (r.status, r.body)
doc = json.loads(r.body)
assert len(doc["credentials"]) == 1 and doc["notification_id"], doc
print("ok")
PYEOF
}
