#!/usr/bin/env bats
# vci-serve end to end: the server on a free 127.0.0.1 port with the
# example definitions (dc+sd-jwt, mso_mdoc, jwt_vc_json), a test PKI and
# status lists, offers imported from vci-offer or made on the admin
# listener, and tests/serve/holder.py, a wallet written from the
# specifications alone, completing the pre-authorized code flow. Every
# credential it receives is checked by it (issuer signature, disclosures or
# value digests, binding to its proof key, status entry) and again by
# vci-sign-sdjwt verify or tests/cli/mdoc-check.py. The negative cases are
# the OpenID conformance suite's that apply to this flow: each checks the
# exact status and error code.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
}

teardown() {
	serve_stop
}

# creds_distinct_idx: the status entries of the credentials received are
# all present and distinct
creds_distinct_idx() {
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
st = [(c["status"]["uri"], c["status"]["idx"]) for c in r["credentials"]]
assert len(st) == int(sys.argv[2]), st
assert len(set(st)) == len(st), st' "$D/out.json" "$1"
}

@test "metadata: issuer, AS and jwt-vc-issuer documents; signed metadata on Accept: application/jwt" {
	serve_start
	curl -fsS -m 60 "$ISS/.well-known/openid-credential-issuer" >"$D/md.json"
	curl -fsS -m 60 "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	curl -fsS -m 60 "$ISS/.well-known/jwt-vc-issuer" >"$D/jvi.json"
	curl -fsS -m 60 -H 'Accept: application/jwt' -D "$D/smd.h" \
		"$ISS/.well-known/openid-credential-issuer" >"$D/smd.jwt"
	curl -fsS -m 60 "$ISS/health" >"$D/health.json"
	"$PY" - "$D" "$ISS" <<'PYEOF'
import base64, json, sys
from cryptography import x509
from jwcrypto import jwk, jws
d, iss = sys.argv[1:]
md = json.load(open(d + "/md.json"))
assert md["credential_issuer"] == iss, md["credential_issuer"]
assert md["credential_endpoint"] == iss + "/credential"
assert md["nonce_endpoint"] == iss + "/nonce"
assert md["notification_endpoint"] == iss + "/notification"
assert md["batch_credential_issuance"] == {"batch_size": 10}
cs = md["credential_configurations_supported"]
assert set(cs) == {"pid", "mdl", "diploma"}, set(cs)
assert cs["pid"]["format"] == "dc+sd-jwt" and cs["pid"]["vct"] == "urn:eudi:pid:1"
assert cs["mdl"]["format"] == "mso_mdoc" and cs["mdl"]["doctype"] == "org.iso.18013.5.1.mDL"
assert cs["diploma"]["format"] == "jwt_vc_json"
a = json.load(open(d + "/as.json"))
assert a["issuer"] == iss and a["token_endpoint"] == iss + "/token", a
assert "urn:ietf:params:oauth:grant-type:pre-authorized_code" in a["grant_types_supported"]
assert "ES256" in a["dpop_signing_alg_values_supported"]
j = json.load(open(d + "/jvi.json"))
assert j["issuer"] == iss and j["jwks"]["keys"], j
assert json.load(open(d + "/health.json")) == {"status": "ok"}
hdrs = open(d + "/smd.h").read().lower()
assert "content-type: application/jwt" in hdrs, hdrs
tok = open(d + "/smd.jwt").read().strip()
h = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
assert h["typ"] == "openidvci-issuer-metadata+jwt" and h["alg"] == "ES256", h
leaf = x509.load_der_x509_certificate(base64.b64decode(h["x5c"][0]))
k = jwk.JWK.from_pyca(leaf.public_key())
o = jws.JWS()
o.deserialize(tok)
o.verify(k)
p = json.loads(o.payload)
assert p["sub"] == iss and isinstance(p["iat"], int), p
assert p["credential_issuer"] == iss and p["credential_configurations_supported"] == cs
PYEOF
}

@test "dc+sd-jwt by value with a tx_code, DPoP: checked by the holder and by vci-sign-sdjwt verify" {
	serve_start
	link=$(offer pid --tx-code 6)
	[[ $link == openid-credential-offer://\?credential_offer=* ]]
	holder "$link" --tx-code "$(tx_of_last_offer)" --expect-status --save "$D/c"
	[ "$(result 'r["offer_by"]')" = value ]
	[ "$(result 'r["credentials"][0]["format"]')" = dc+sd-jwt ]
	[ "$(result '"token (DPoP)" in r["checks"]')" = true ]
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = Erika ]
	[ "$(result 'r["credentials"][0]["status"]["uri"]')" = "$ISS/status/pid" ]
	[ "$(result 'any(c.startswith("notification credential_accepted: 2") for c in r["checks"])')" = true ]
	vci-sign-sdjwt verify --ca "$D/ca.crt" <"$D/c/0.sdjwt" >"$D/v.json"
	"$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))
k = json.load(open(sys.argv[2]))
assert v["given_name"] == "Erika" and v["address"]["locality"] == "Berlin", v
assert v["cnf"]["jwk"] == k, (v["cnf"], k)
assert v["iss"] == sys.argv[3], v["iss"]' "$D/v.json" "$D/c/0.jwk" "$ISS"
}

@test "dc+sd-jwt by reference, no tx_code" {
	serve_start
	link=$(offer_ref pid)
	[[ $link == openid-credential-offer://\?credential_offer_uri=* ]]
	holder "$link" --expect-status --save "$D/c"
	[ "$(result 'r["offer_by"]')" = reference ]
	[ "$(result 'len(r["credentials"])')" = 1 ]
	vci-sign-sdjwt verify --ca "$D/ca.crt" <"$D/c/0.sdjwt" >/dev/null
}

@test "issuer identifier with a path (/tenant): well-known documents by path insertion (and the draft-13 suffix), endpoints and offers under the path, all formats" {
	serve_issuer "http://127.0.0.1:$PORT/tenant"
	serve_start
	holder "$(offer_ref pid)" --expect-status
	[ "$(result 'r["issuer"]')" = "http://127.0.0.1:$PORT/tenant" ]
	holder "$(offer mdl)" --expect-status
	holder "$(offer diploma)" --draft13 --expect-status
	curl -fsS -m 60 "http://127.0.0.1:$PORT/tenant/.well-known/openid-credential-issuer" >"$D/md13.json"
	"$PY" -c 'import json, sys
assert json.load(open(sys.argv[1]))["credential_issuer"] == sys.argv[2]' "$D/md13.json" "$ISS"
	run curl -sS -m 60 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/.well-known/openid-credential-issuer"
	[ "$output" = 404 ]
}

@test "native TLS (--tls-cert, --tls-key) with an https issuer on 127.0.0.1: all three formats, by value and by reference" {
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	if ! serve_start --tls-cert "$D/tls.crt" --tls-key "$D/tls.key" 2>"$D/start.err"; then
		grep -qi 'tls' "$D/server.err" && skip "vci-serve without native TLS here"
		cat "$D/start.err"
		return 1
	fi
	holder "$(offer pid)" --tls-ca "$D/ca.crt" --expect-status --save "$D/c"
	vci-sign-sdjwt verify --ca "$D/ca.crt" <"$D/c/0.sdjwt" >/dev/null
	holder "$(offer_ref mdl)" --tls-ca "$D/ca.crt" --expect-status
	holder "$(offer diploma)" --tls-ca "$D/ca.crt" --expect-status --batch 2
	[ "$(result 'r["issuer"]')" = "https://127.0.0.1:$PORT" ]
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/health" >/dev/null
	run curl -sS -m 60 "http://127.0.0.1:$PORT/health"
	[ "$status" -ne 0 ]
}

@test "dc+sd-jwt: the status list token at its URI says valid for the index received" {
	serve_start
	holder "$(offer pid)" --expect-status
	idx=$(result 'r["credentials"][0]["status"]["idx"]')
	curl -fsS -m 60 -D "$D/sl.h" "$ISS/status/pid" >"$D/sl.jwt"
	grep -qi '^content-type: application/statuslist+jwt' "$D/sl.h"
	run vci-statuslist check --idx "$idx" --ca "$D/ca.crt" --uri "$ISS/status/pid" <"$D/sl.jwt"
	[ "$status" -eq 0 ]
	[[ $output == *valid* ]]
}

@test "mso_mdoc by reference, batch of 3: each mdoc checked by mdoc-check.py against its own holder key" {
	serve_start
	holder "$(offer_ref mdl)" --batch 3 --expect-status --save "$D/c"
	[ "$(result '[c["format"] for c in r["credentials"]]')" = '["mso_mdoc", "mso_mdoc", "mso_mdoc"]' ]
	creds_distinct_idx 3
	for i in 0 1 2; do
		"$PY" "$MDOC_CHECK" "$D/c/$i.mdoc" --ca "$D/ca.crt" --jwk "$D/c/$i.jwk" >"$D/m$i.json"
		grep -q '"docType": "org.iso.18013.5.1.mDL"' "$D/m$i.json"
	done
	# three different device keys
	[ "$(cat "$D"/c/*.jwk | sort -u | wc -l)" -eq 3 ]
}

@test "mso_mdoc by value with a tx_code" {
	serve_start
	link=$(offer mdl --tx-code 4)
	holder "$link" --tx-code "$(tx_of_last_offer)" --expect-status --save "$D/c"
	"$PY" "$MDOC_CHECK" "$D/c/0.mdoc" --ca "$D/ca.crt" --jwk "$D/c/0.jwk" >/dev/null
}

@test "jwt_vc_json by value and by reference, bound to the holder key as did:jwk" {
	serve_start
	holder "$(offer diploma)" --expect-status
	[ "$(result 'r["credentials"][0]["format"]')" = jwt_vc_json ]
	[ "$(result 'r["credentials"][0]["claims"]["degree"]["type"]')" = BachelorDegree ]
	[ "$(result 'r["credentials"][0]["status"]["uri"]')" = "$ISS/status/diploma" ]
	holder "$(offer_ref diploma)" --expect-status
	[ "$(result 'r["offer_by"]')" = reference ]
}

@test "batch of 5 SD-JWT VCs: five keys, five distinct status indices, each verified by vci-sign-sdjwt" {
	serve_start
	holder "$(offer pid)" --batch 5 --expect-status --save "$D/c"
	creds_distinct_idx 5
	for i in 0 1 2 3 4; do
		vci-sign-sdjwt verify --ca "$D/ca.crt" <"$D/c/$i.sdjwt" >"$D/v$i.json"
		"$PY" -c 'import json, sys
assert json.load(open(sys.argv[1]))["cnf"]["jwk"] == json.load(open(sys.argv[2]))' \
			"$D/v$i.json" "$D/c/$i.jwk"
	done
}

@test "admin listener: POST /offers with the key as Bearer, ApiKey and x-api-key; a wrong or missing key is refused" {
	APORT=$(free_port)
	key=$(apikey_add)
	[ -n "$key" ]
	serve_start --admin-listen "127.0.0.1:$APORT"
	link=$(admin_offer "Authorization: Bearer $key" pid)
	holder "$link" --expect-status
	link=$(admin_offer "Authorization: ApiKey $key" mdl)
	holder "$link" --expect-status
	link=$(admin_offer "x-api-key: $key" diploma 482913)
	holder "$link" --tx-code 482913 --expect-status
	run admin_offer "Authorization: Bearer ${key}x" pid
	[ "$(cat "$D/admin.status")" = 401 ]
	run admin_offer "X-Nothing: 1" pid
	[ "$(cat "$D/admin.status")" = 401 ]
}

@test "tx_code: one wrong attempt (400 invalid_grant) does not burn the code" {
	serve_start
	link=$(offer pid --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg wrong-tx-code --wrong-tx-code 1
	[ "$(result 'len(r["credentials"])')" = 1 ]
}

@test "tx_code: the right code after cap - 1 wrong attempts is accepted (import --tx-attempts 3)" {
	serve_start
	IMPORT_ARGS=(--tx-attempts 3)
	link=$(offer mdl --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg wrong-tx-code --wrong-tx-code 2 --tx-attempts 3
	[ "$(result 'len(r["credentials"])')" = 1 ]
}

@test "tx_code over the cap (admin offer): after 3 wrong attempts the right code gets 400 invalid_grant" {
	APORT=$(free_port)
	key=$(apikey_add)
	serve_start --tx-attempts 3 --admin-listen "127.0.0.1:$APORT"
	link=$(admin_offer "x-api-key: $key" mdl 730154)
	holder "$link" --tx-code 730154 --neg wrong-tx-code --wrong-tx-code 3 --tx-attempts 3
	[ "$(result 'r["code_dead"]')" = true ]
	[ "$(result 'r["credentials"]')" = '[]' ]
}

@test "tx_code over the cap (offer imported with --tx-attempts 3): the code dies after 3 wrong attempts" {
	serve_start
	IMPORT_ARGS=(--tx-attempts 3)
	link=$(offer diploma --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg wrong-tx-code --wrong-tx-code 3 --tx-attempts 3
	[ "$(result 'r["code_dead"]')" = true ]
	[ "$(result 'r["credentials"]')" = '[]' ]
}

@test "tx_code over the default cap of 5" {
	serve_start
	link=$(offer pid --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg wrong-tx-code --wrong-tx-code 5
	[ "$(result 'r["code_dead"]')" = true ]
}

@test "tx_code missing where the offer asks for one: 400 invalid_request" {
	serve_start
	link=$(offer pid --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg no-tx-code
}

@test "tx_code sent where the offer has none: 400 invalid_request" {
	serve_start
	holder "$(offer pid)" --neg unexpected-tx-code
}

@test "DPoP optional (default): a Bearer token flow and a DPoP-bound flow both complete" {
	serve_start
	holder "$(offer pid)" --dpop no --expect-status
	[ "$(result '"token (Bearer)" in r["checks"]')" = true ]
	holder "$(offer mdl)" --dpop yes --expect-status
	[ "$(result '"token (DPoP)" in r["checks"]')" = true ]
}

@test "DPoP required: a token request without DPoP is refused; a DPoP-bound token presented as Bearer gets 401 invalid_token" {
	serve_start --dpop required
	holder "$(offer pid)" --neg bearer-token
	[ "$(result 'any(c.startswith("token without DPoP: 400") for c in r["checks"])')" = true ]
	holder "$(offer pid)" --neg bearer-dpop-token
	holder "$(offer diploma)" --expect-status
}

@test "DPoP --dpop off: Bearer tokens" {
	serve_start --dpop off
	holder "$(offer pid)" --dpop no --expect-status
}

@test "server DPoP nonces: use_dpop_nonce with a DPoP-Nonce header, the retry with the nonce completes (all formats)" {
	serve_start --dpop required --dpop-nonce
	for cfg in pid mdl diploma; do
		holder "$(offer "$cfg")" --expect-status
		[ "$(result 'r.get("dpop_nonce_retries", 0) >= 1')" = true ]
	done
	holder "$(offer pid)" --neg dpop-replay
}

@test "notification: credential_accepted gets 2xx (again when repeated); an unknown id or event gets 400 invalid_notification_id / invalid_notification_request" {
	serve_start
	holder "$(offer pid)"
	[ "$(result 'len(r["spent"]["notification_ids"])')" = 1 ]
	holder "$(offer mdl)" --neg bad-notification
	holder "$(offer diploma)" --neg notify-repeat
	holder "$(offer pid)" --neg bad-event
}

@test "replayed pre-authorized code: 400 invalid_grant" {
	serve_start
	holder "$(offer pid)" --neg replay-code
	link=$(offer mdl --tx-code 6)
	holder "$link" --tx-code "$(tx_of_last_offer)" --neg replay-code
}

@test "reused c_nonce: 400 invalid_nonce" {
	serve_start
	holder "$(offer pid)" --neg reuse-nonce
}

@test "c_nonce the server never made: 400 invalid_nonce" {
	serve_start
	holder "$(offer mdl)" --neg bad-nonce
}

@test "sealed c_nonce: one changed character, or sealed under another state's c-nonce.key: 400 invalid_nonce" {
	serve_start
	holder "$(offer pid)" --neg forged-nonce
	# a second server on its own state: its nonces are not ours
	serve_start_n 1
	curl -fsS -m 60 -o "$D/other.nonce" -X POST "${SISS[1]}/nonce"
	serve_stop_n 1
	[ "${SSTATUS[1]}" -eq 0 ]
	[ "$(cmp -s "$STATE/c-nonce.key" "$D/state1/c-nonce.key"; echo $?)" -ne 0 ]
	holder "$(offer pid)" --neg given-nonce --nonce "$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["c_nonce"])' "$D/other.nonce")"
}

@test "sealed c_nonce: spent once, refused after a restart; the draft-13 c_nonce of the token response works once" {
	serve_start
	holder "$(offer pid)" --spent-log "$D/spent.ndjson"
	holder "$(offer mdl)" --draft13 --spent-log "$D/spent.ndjson"
	serve_stop
	serve_start
	holder "$(offer pid)" --check-spent "$D/spent.ndjson"
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
assert r["c_nonces"] >= 2, r' "$D/out.json"
	holder "$(offer pid)" --draft13 --neg reuse-nonce
}

@test "replayed DPoP proof at the credential endpoint: 401 invalid_dpop_proof" {
	serve_start
	holder "$(offer pid)" --neg dpop-replay
}

@test "replayed DPoP proof at the token endpoint: 400 invalid_dpop_proof" {
	serve_start
	first=$(offer pid)
	second=$(offer pid)
	holder "$first" --neg dpop-replay-token --second-offer "$second"
}

@test "proof with a bad signature: 400 invalid_proof" {
	serve_start
	holder "$(offer pid)" --neg bad-proof-sig
	holder "$(offer mdl)" --neg bad-proof-sig
}

@test "proof for another audience: 400 invalid_proof" {
	serve_start
	holder "$(offer diploma)" --neg wrong-aud
}

@test "credential request without proofs: 400 invalid_proof" {
	serve_start
	holder "$(offer pid)" --neg missing-proof
}

@test "more proofs than the batch size (--batch-size 2), or two proofs of one key: 400, no credential" {
	serve_start --batch-size 2
	holder "$(offer pid)" --neg over-batch
	[ "$(result 'any(c.startswith("credential, 3 proofs over batch_size 2: 400") for c in r["checks"])')" = true ]
	holder "$(offer mdl)" --neg dup-key
	holder "$(offer pid)" --batch 2 --expect-status
	creds_distinct_idx 2
}

@test "unknown credential_configuration_id: 400 unknown_credential_configuration" {
	serve_start
	holder "$(offer pid)" --neg unknown-config
}

@test "unknown credential_identifier: 400 unknown_credential_identifier" {
	serve_start
	holder "$(offer pid)" --neg unknown-identifier
}

@test "access token in the query string only: refused, no credential" {
	serve_start
	holder "$(offer pid)" --neg token-in-query
	holder "$(offer pid)" --dpop no --neg token-in-query
}

@test "expiry: a code past the offer's ttl (400 invalid_grant), a token past --token-ttl (401 invalid_token), a c_nonce past --nonce-ttl (400 invalid_nonce)" {
	serve_start --token-ttl 2
	holder "$(offer pid --ttl 2)" --neg expired-code --wait 4
	holder "$(offer pid)" --neg expired-token --wait 4
	serve_stop
	serve_start --nonce-ttl 2
	holder "$(offer mdl)" --neg expired-nonce --wait 4
}

@test "unknown parameters in token, credential and notification requests are ignored" {
	serve_start
	for cfg in pid mdl diploma; do
		holder "$(offer "$cfg")" --unknown-fields --expect-status
	done
}

@test "draft-13 requests: singular proof with format + vct / doctype / credential_definition" {
	serve_start
	for cfg in pid mdl diploma; do
		holder "$(offer "$cfg")" --draft13 --expect-status --save "$D/c$cfg"
	done
	vci-sign-sdjwt verify --ca "$D/ca.crt" <"$D/cpid/0.sdjwt" >/dev/null
	"$PY" "$MDOC_CHECK" "$D/cmdl/0.mdoc" --ca "$D/ca.crt" --jwk "$D/cmdl/0.jwk" >/dev/null
}

@test "attestations a definition requires (examples/definitions/pid.json) are enforced, or the definition refused at start; never ignored" {
	"$PY" - "$SRC/examples/definitions/pid.json" "$D" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d.get("wallet_attestation_required") and d["key_binding"].get("key_attestation_required")
ka = dict(d, id="pid_ka", vct="urn:eudi:pid:ka:1")
ka.pop("wallet_attestation_required")
wa = dict(d, id="pid_wa", vct="urn:eudi:pid:wa:1")
wa["key_binding"] = {k: v for k, v in d["key_binding"].items() if k != "key_attestation_required"}
json.dump(ka, open(sys.argv[2] + "/pid_ka.json", "w"))
json.dump(wa, open(sys.argv[2] + "/pid_wa.json", "w"))
PYEOF
	SERVE_ARGS=(--issuer "$ISS" --defn "$D/pid_ka.json" --defn "$D/pid_wa.json"
		--key "$D/issuer.key" --cert "$D/issuer.crt" --state "$STATE"
		--listen "127.0.0.1:$PORT" --status-list "$D/pid.list")
	if ! serve_start 2>"$D/start.err"; then
		grep -qi attestation "$D/server.err"
		return 0
	fi
	holder "$(offer pid_ka)" --neg no-key-attestation
	holder "$(offer pid_wa)" --neg no-wallet-attestation
}

@test "SIGTERM: the server exits 0 after a completed flow" {
	serve_start
	holder "$(offer pid)"
	serve_stop
	[ "$SERVE_STATUS" -eq 0 ]
}

# sl_value TOKEN-FILE IDX: the entry of a status list token, its signature
# checked with the issuer's certificate by python3-jwcrypto; prints
# "VALUE TTL"
sl_value() {
	"$PY" "$SRC/tests/serve/sl-entry.py" "$1" "$D/issuer.crt" "$2" "$ISS/status/pid"
}

@test "status list in the store (--status-list pid=db:pid): indices from the store, and vci-statuslist set --db from a shell revokes an issued credential in the served token" {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
	vci-statuslist new --db "$STATE" --list pid --uri "$ISS/status/pid" --ttl 120
	SERVE_ARGS=("${SERVE_ARGS[@]/pid=$D\/pid.list/pid=db:pid}")
	serve_start
	holder "$(offer pid)" --expect-status --batch 2
	creds_distinct_idx 2
	idx=$(result 'r["credentials"][0]["status"]["idx"]')
	other=$(result 'r["credentials"][1]["status"]["idx"]')
	[ "$(result 'r["credentials"][0]["status"]["uri"]')" = "$ISS/status/pid" ]
	# the store's list has them, valid
	vci-statuslist get --db "$STATE" --list pid "$idx" "$other" | grep -c '^valid$' | grep -qx 2
	curl -fsS -m 60 -D "$D/sl.h" "$ISS/status/pid" >"$D/sl.jwt"
	grep -qi '^cache-control: max-age=120' "$D/sl.h"
	[ "$(sl_value "$D/sl.jwt" "$idx")" = "0 120" ]
	# revoked from a shell while the server runs
	vci-statuslist set --db "$STATE" --list pid "$idx" revoked
	curl -fsS -m 60 "$ISS/status/pid" >"$D/sl.jwt"
	[ "$(sl_value "$D/sl.jwt" "$idx")" = "1 120" ]
	[ "$(sl_value "$D/sl.jwt" "$other")" = "0 120" ]
	run vci-statuslist check --idx "$idx" --ca "$D/ca.crt" --uri "$ISS/status/pid" <"$D/sl.jwt"
	[ "$status" -eq 1 ]
	[[ $output == invalid ]]
}
