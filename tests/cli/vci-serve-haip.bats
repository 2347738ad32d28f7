#!/usr/bin/env bats
# vci-serve, the authorization code flow as HAIP 1.0 uses it: an offer with
# an issuer_state (vci-offer --auth-code, imported), a pushed authorization
# request with PKCE S256 and client authentication by a wallet attestation,
# the authorization endpoint answering at once with a redirect carrying the
# code and iss, and the code at the token endpoint with DPoP. The wallet is
# tests/serve/holder.py (--flow auth-code), which makes its wallet
# attestation itself from a test wallet provider's key and certificate;
# the server trusts that provider's root with --trust. The refusals are the
# OpenID conformance suite's HAIP cases for the authorization and token
# endpoints: each checks the exact status and error code.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

# The issuer is https on 127.0.0.1 (native TLS with a certificate of the
# test root), as a HAIP wallet requires; the holder and curl trust the root.
setup() {
	serve_skip_unless_ready
	serve_init
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	SERVE_ARGS+=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
	make_wallet_provider
}

curl() {
	command curl --cacert "$D/ca.crt" "$@"
}

teardown() {
	serve_stop
}

# make_wallet_provider: a wallet provider root ($D/wp-ca.crt, what --trust
# names) and the attestation signer it certified ($D/wp.key, $D/wp.crt)
make_wallet_provider() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/wp-ca.key" 2>/dev/null
	openssl req -x509 -new -key "$D/wp-ca.key" -subj "/C=UT/CN=Test Wallet Provider Root" \
		-days 30 -config "$D/pki.cnf" -extensions ca -out "$D/wp-ca.crt"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/wp.key" 2>/dev/null
	openssl req -new -key "$D/wp.key" -subj "/C=UT/CN=Test Wallet Attestation Signer" \
		-config "$D/pki.cnf" -out "$D/wp.csr"
	openssl x509 -req -in "$D/wp.csr" -CA "$D/wp-ca.crt" -CAkey "$D/wp-ca.key" \
		-set_serial 0x3001 -days 30 -extfile "$D/pki.cnf" -extensions leaf \
		-out "$D/wp.crt" 2>/dev/null
}

# auth_offer CONFIG: an offer with the authorization_code grant, imported
auth_offer() {
	offer "$1" --auth-code --no-pre-authorized-code
}

# wallet [OPTION]...: the holder in the authorization code flow
wallet() {
	holder "$@" --flow auth-code --wallet-key "$D/wp.key" --wallet-cert "$D/wp.crt" \
		--tls-ca "$D/ca.crt"
}

@test "AS metadata: PAR, PKCE S256, iss, attestation-based client authentication" {
	serve_start --trust "$D/wp-ca.crt"
	curl -fsS -m 60 "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	"$PY" - "$D/as.json" "$ISS" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))
iss = sys.argv[2]
assert a["authorization_endpoint"] == iss + "/authorize", a
assert a["pushed_authorization_request_endpoint"] == iss + "/par", a
assert a["require_pushed_authorization_requests"] is True
assert a["code_challenge_methods_supported"] == ["S256"]
assert a["authorization_response_iss_parameter_supported"] is True
assert a["response_types_supported"] == ["code"]
assert "attest_jwt_client_auth" in a["token_endpoint_auth_methods_supported"]
assert "ES256" in a["client_attestation_signing_alg_values_supported"]
assert "ES256" in a["client_attestation_pop_signing_alg_values_supported"]
assert set(a["grant_types_supported"]) >= {"authorization_code",
	"urn:ietf:params:oauth:grant-type:pre-authorized_code"}
PYEOF
}

@test "issuer-initiated authorization code flow: dc+sd-jwt, mso_mdoc and jwt_vc_json" {
	serve_start --trust "$D/wp-ca.crt" --dpop required --dpop-nonce
	for cfg in pid mdl diploma; do
		wallet "$(auth_offer $cfg)" --expect-status
		[ "$(result 'len(r["credentials"])')" = 1 ]
		[ "$(result 'r["credentials"][0]["configuration"]')" = "$cfg" ] ||
			[ "$(result 'r["credentials"][0].get("format")')" != "" ]
	done
}

@test "authorization code: the offer's pre-authorized code dies with it, issuer_state is single use" {
	serve_start --trust "$D/wp-ca.crt"
	link=$(offer pid --auth-code)
	wallet "$link"
	holder "$link" --neg expired-code --wait 0 --tls-ca "$D/ca.crt"
}

@test "PAR refusals: the wallet attestation (signature, PoP signature, expiry, sub, aud, cnf key)" {
	serve_start --trust "$D/wp-ca.crt"
	for neg in wa-bad-sig wa-bad-pop-sig wa-expired wa-no-sub wa-pop-aud wa-pop-key; do
		wallet "$(auth_offer pid)" --neg "$neg"
	done
}

@test "PAR without a wallet attestation when providers are trusted: 401 invalid_client" {
	serve_start --trust "$D/wp-ca.crt"
	link=$(auth_offer pid)
	run "$PY" "$HOLDER" "$link" --flow auth-code --no-attestation --ca "$D/ca.crt" \
		--tls-ca "$D/ca.crt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PAR: status 401"*"invalid_client"* ]]
}

@test "code and request_uri refusals: PKCE mismatch, code reused, request_uri reused, redirect_uri mismatch" {
	serve_start --trust "$D/wp-ca.crt"
	for neg in pkce-mismatch reuse-code reuse-request-uri redirect-mismatch; do
		wallet "$(auth_offer pid)" --neg "$neg"
	done
}

@test "a plain authorization request (no request_uri) is refused" {
	serve_start --trust "$D/wp-ca.crt"
	code=$(curl -sS -m 60 -o "$D/az.json" -w '%{http_code}' \
		"$ISS/authorize?response_type=code&client_id=x&redirect_uri=https%3A%2F%2Fw.example%2Fcb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&scope=pid")
	[ "$code" = 400 ]
	grep -q '"invalid_request"' "$D/az.json"
}

@test "without --trust: public clients, and a configuration requiring a wallet attestation is refused" {
	"$PY" - "$D/pid.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["wallet_attestation_required"] = True
json.dump(d, open(sys.argv[1], "w"))
PYEOF
	serve_start
	holder "$(auth_offer mdl)" --flow auth-code --no-attestation --tls-ca "$D/ca.crt"
	holder "$(offer pid)" --neg no-wallet-attestation --tls-ca "$D/ca.crt"
}

@test "a configuration requiring a wallet attestation is issued with one (--trust)" {
	"$PY" - "$D/pid.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["wallet_attestation_required"] = True
json.dump(d, open(sys.argv[1], "w"))
PYEOF
	serve_start --trust "$D/wp-ca.crt"
	wallet "$(auth_offer pid)"
	[ "$(result 'len(r["credentials"])')" = 1 ]
}

@test "POST /offers with authorization_code: true makes an issuer-initiated code flow offer" {
	APORT=$(free_port)
	serve_start --trust "$D/wp-ca.crt" --admin-listen "127.0.0.1:$APORT"
	key=$(apikey_add)
	body=$(printf '{"credential_configuration_id":"mdl","claims":%s,"authorization_code":true}' \
		"$(claims mdl)")
	command curl -sS -m 60 -o "$D/admin.json" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data-binary "$body" "http://127.0.0.1:$APORT/offers" >"$D/admin.status"
	[ "$(cat "$D/admin.status")" = 201 ]
	link=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["credential_offer_uri"])' \
		"$D/admin.json")
	wallet "$link"
	[ "$(result 'len(r["credentials"])')" = 1 ]
}
