#!/usr/bin/env bats
# vci-serve, the wallet-initiated authorization code flow: a pushed
# request without issuer_state sends the browser to an upstream OpenID
# Provider (--oidc-issuer, --oidc-client), whose ID token vci-serve
# verifies (signature by the provider's JWK Set, iss, aud, exp, nonce)
# before it makes the exchange from the verified claims and redirects to
# the wallet with its code and iss. The provider is tests/serve/op.py, a
# stand-in written for these tests (jwcrypto) on a free loopback port; the
# wallet is tests/serve/holder.py --flow wallet-init, which follows the
# redirects as a browser would.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

OP=$SRC/tests/serve/op.py

setup() {
	serve_skip_unless_ready
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not installed"
	serve_init
	OPID=
	oidc_files
}

teardown() {
	serve_stop
	op_stop
}

# oidc_files: the client at the provider ($D/client.json, owner only),
# the user's claims ($D/user.json: every claim the three test
# configurations need, flat), and mdl.json with an oidc_claims mapping
# into its namespace
oidc_files() {
	printf '{"client_id":"vci-serve-test","client_secret":"%s","redirect_uri":"%s"}\n' \
		"$(openssl rand -hex 16)" "$ISS/oidc/callback" >"$D/client.json"
	chmod 600 "$D/client.json"
	"$PY" - "$D" "$(claims diploma)" "$(claims mdl)" "$(claims pid)" <<'PYEOF'
import json, sys
d = sys.argv[1]
diploma, mdl, pid = (json.loads(a) for a in sys.argv[2:])
mdl = mdl["org.iso.18013.5.1"]
user = {"sub": "user-4711"}
for c in (diploma, mdl, pid):
    user.update(c)
json.dump(user, open(d + "/user.json", "w"))
m = json.load(open(d + "/mdl.json"))
m["oidc_claims"] = {"org.iso.18013.5.1/" + k: k for k in mdl}
json.dump(m, open(d + "/mdl.json", "w"))
PYEOF
}

# op_start [--neg MODE]: the stand-in OpenID Provider; sets OPID, OP_ISS
op_start() {
	local i
	rm -f "$D/op.port"
	"$PY" "$OP" --port-file "$D/op.port" --client "$D/client.json" --claims "$D/user.json" \
		"$@" 2>"$D/op.err" &
	OPID=$!
	for i in $(seq 1 240); do
		[ -s "$D/op.port" ] && break
		kill -0 "$OPID" 2>/dev/null || { cat "$D/op.err" >&2; return 1; }
		sleep 0.25
	done
	[ -s "$D/op.port" ] || { echo "op.py did not start within 60 s" >&2; return 1; }
	OP_ISS=http://127.0.0.1:$(cat "$D/op.port")
}

op_stop() {
	[ -n "${OPID:-}" ] || return 0
	kill -TERM "$OPID" 2>/dev/null || true
	wait "$OPID" 2>/dev/null || true
	OPID=
}

# oidc_serve [OPTION]...: vci-serve with the provider
oidc_serve() {
	serve_start --oidc-issuer "$OP_ISS" --oidc-client "$D/client.json" "$@"
}

# login CONFIGS [OPTION]...: the wallet-initiated flow for CONFIGS (a,b)
login() {
	local cfg=$1
	shift
	holder "$ISS" --flow wallet-init --config "$cfg" --no-attestation "$@"
}

@test "wallet-initiated: dc+sd-jwt, mso_mdoc (encrypted response) and jwt_vc_json with the provider's claims" {
	op_start
	oidc_serve
	login pid
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "Erika" ]
	[ "$(result 'r["credentials"][0]["claims"]["birthdate"]')" = "1964-08-12" ]
	[ "$(result '"authorize: sent to the OpenID Provider" in r["checks"]')" = "true" ]
	login mdl --encrypt A128GCM
	[ "$(result 'r["credentials"][0]["format"]')" = "mso_mdoc" ]
	[ "$(result 'r["credentials"][0]["claims"]["org.iso.18013.5.1"]["document_number"]')" = "123456789" ]
	[ "$(result 'any("decrypted" in c or "JWE" in c for c in r["checks"])')" = "true" ]
	login diploma
	[ "$(result 'r["credentials"][0]["format"]')" = "jwt_vc_json" ]
	[ "$(result 'r["credentials"][0]["claims"]["degree"]["name"]')" = "Mathematics" ]
	# the provider was asked for the login three times, its code redeemed three times
	[ "$(grep -c '"GET /authorize' "$D/op.err")" -eq 3 ]
	[ "$(grep -c '"POST /token' "$D/op.err")" -eq 3 ]
}

# tls_wallet_provider: the issuer over TLS (https://127.0.0.1:PORT), the
# OP's files, a wallet provider's root (wp-ca) and attestation signer (wp),
# and the OP started
tls_wallet_provider() {
	make_tls_cert
	serve_issuer "https://127.0.0.1:$PORT"
	SERVE_ARGS+=(--tls-cert "$D/tls.crt" --tls-key "$D/tls.key")
	oidc_files
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/wp-ca.key" 2>/dev/null
	openssl req -x509 -new -key "$D/wp-ca.key" -subj "/CN=Test Wallet Provider Root" -days 30 \
		-config "$D/pki.cnf" -extensions ca -out "$D/wp-ca.crt"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/wp.key" 2>/dev/null
	openssl req -new -key "$D/wp.key" -subj "/CN=Test Wallet Attestation Signer" \
		-config "$D/pki.cnf" -out "$D/wp.csr"
	openssl x509 -req -in "$D/wp.csr" -CA "$D/wp-ca.crt" -CAkey "$D/wp-ca.key" -set_serial 0x3001 \
		-days 30 -extfile "$D/pki.cnf" -extensions leaf -out "$D/wp.crt" 2>/dev/null
	op_start
}

@test "wallet-initiated over TLS with a wallet attestation, DPoP server nonces and an encrypted response" {
	tls_wallet_provider
	oidc_serve --trust "$D/wp-ca.crt" --dpop required --dpop-nonce
	holder "$ISS" --flow wallet-init --config pid --wallet-key "$D/wp.key" \
		--wallet-cert "$D/wp.crt" --tls-ca "$D/ca.crt" --encrypt A256GCM
	[ "$(result 'r["credentials"][0]["claims"]["family_name"]')" = "Mustermann" ]
	grep -q 'credential response decrypted (ECDH-ES, A256GCM)' "$D/out.json"
	grep -q '"error":"use_dpop_nonce"' "$D/server.err"
	# without the attestation the pushed request is refused
	run "$PY" "$HOLDER" "$ISS" --flow wallet-init --config pid --no-attestation \
		--tls-ca "$D/ca.crt" --timeout 60
	[ "$status" -eq 1 ]
	[[ "$output" == *"401"* ]]
}

@test "wallet-initiated: three configurations in one authorization" {
	op_start
	oidc_serve
	login pid,mdl,diploma
	[ "$(result 'sorted(c["format"] for c in r["credentials"])')" = '["dc+sd-jwt", "jwt_vc_json", "mso_mdoc"]' ]
}

@test "wallet-initiated: the verified ID token claims go to --claims-hook" {
	cat >"$D/hook.py" <<'PYEOF'
import json, sys
x = json.load(sys.stdin)
t = x["record"]["id_token_claims"]
c = {"given_name": t["given_name"], "family_name": t["sub"], "degree": t["degree"],
     "gpa": t["gpa"], "awarded": t["awarded"]}
print(json.dumps(c))
PYEOF
	op_start
	oidc_serve --claims-hook "$PY $D/hook.py"
	login diploma
	[ "$(result 'r["credentials"][0]["claims"]["family_name"]')" = "user-4711" ]
}

@test "wallet-initiated: ID tokens that fail a check and a refused login end in access_denied" {
	for neg in bad-nonce bad-aud bad-iss expired bad-sig deny token-error; do
		op_stop
		op_start --neg "$neg"
		serve_stop
		oidc_serve
		login pid --neg access-denied || { echo "OP --neg $neg"; return 1; }
		[ "$(result 'r["neg"]')" = "access-denied" ]
		cat "$D/server.err" >>"$D/all.err"
	done
	grep -q 'nonce: not the one sent' "$D/all.err"
	grep -q 'aud: not our client_id' "$D/all.err"
	grep -q 'iss: not the provider' "$D/all.err"
	grep -q 'exp: expired' "$D/all.err"
	grep -q 'signature: does not verify' "$D/all.err"
	grep -q 'the provider answered access_denied' "$D/all.err"
	grep -q 'token endpoint: HTTP 400' "$D/all.err"
	# no secret of the client in the log
	! grep -q "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$D/client.json")" "$D/all.err"
}

@test "wallet-initiated: the issuer-initiated flow still works beside it" {
	op_start
	oidc_serve
	link=$(offer pid --auth-code --no-pre-authorized-code)
	holder "$link" --flow auth-code --no-attestation
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "Erika" ]
	# and the provider was never asked
	! grep -q '"GET /authorize' "$D/op.err"
}

@test "wallet-initiated: a callback with an unknown or no state is refused" {
	op_start
	oidc_serve
	run curl -sS -m 60 -o "$D/cb.json" -w '%{http_code}' "$ISS/oidc/callback?state=nothing&code=x"
	[ "$output" = "400" ]
	grep -q '"invalid_request"' "$D/cb.json"
	run curl -sS -m 60 -o "$D/cb.json" -w '%{http_code}' "$ISS/oidc/callback"
	[ "$output" = "400" ]
	# an error that is no RFC 6749 error code (a line break for the log)
	run curl -sS -m 60 -o "$D/cb.json" -w '%{http_code}' "$ISS/oidc/callback?state=x&error=a%0Ab"
	[ "$output" = "400" ]
	grep -q 'not an error code' "$D/cb.json"
}

@test "wallet-initiated: a replayed provider callback and a state never issued are refused, and the server serves on" {
	op_start
	oidc_serve
	login pid
	cb=$(result 'r["oidc_callback"]')
	[[ "$cb" == "$ISS/oidc/callback?"*"state="*"code="* || "$cb" == "$ISS/oidc/callback?"*"code="*"state="* ]]
	# the same state and code a second time: the login is spent
	run curl -sS -m 60 -o "$D/cb.json" -w '%{http_code}' "$cb"
	[ "$output" = "400" ]
	grep -q '"invalid_request"' "$D/cb.json"
	grep -q 'already used' "$D/cb.json"
	# the provider was not asked to redeem the code again
	[ "$(grep -c '"POST /token' "$D/op.err")" -eq 1 ]
	# a state never issued, with the real code beside it
	code=$("$PY" -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["code"][0])' "$cb")
	state=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
	run curl -sS -m 60 -o "$D/cb.json" -w '%{http_code}' "$ISS/oidc/callback?state=$state&code=$code"
	[ "$output" = "400" ]
	grep -q '"invalid_request"' "$D/cb.json"
	# no Location: nothing is sent to the wallet
	run curl -sS -m 60 -o /dev/null -w '%{redirect_url}' "$ISS/oidc/callback?state=$state&code=$code"
	[ -z "$output" ]
	# the server still serves: another login goes through
	kill -0 "$SPID"
	login pid
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "Erika" ]
	[ "$(result 'r["oidc_callback"]')" != "$cb" ]
}

@test "wallet-initiated under --profile haip: dc+sd-jwt and mso_mdoc through PAR, PKCE, wallet attestation, DPoP with server nonces over TLS" {
	tls_wallet_provider
	if ! oidc_serve --profile haip --trust "$D/wp-ca.crt" 2>"$D/start.err"; then
		grep -qi 'tls' "$D/server.err" && skip "vci-serve without native TLS here"
		cat "$D/start.err" "$D/server.err"
		return 1
	fi
	curl -fsS -m 60 --cacert "$D/ca.crt" "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	"$PY" -c 'import json,sys; a = json.load(open(sys.argv[1])); assert a["require_pushed_authorization_requests"] is True and a["code_challenge_methods_supported"] == ["S256"] and "attest_jwt_client_auth" in a["token_endpoint_auth_methods_supported"] and a.get("dpop_signing_alg_values_supported"), a' "$D/as.json"
	holder "$ISS" --flow wallet-init --config pid --wallet-key "$D/wp.key" \
		--wallet-cert "$D/wp.crt" --tls-ca "$D/ca.crt" --encrypt A128GCM
	[ "$(result 'r["credentials"][0]["format"]')" = "dc+sd-jwt" ]
	[ "$(result 'r["credentials"][0]["claims"]["given_name"]')" = "Erika" ]
	[ "$(result '"authorize: sent to the OpenID Provider" in r["checks"]')" = "true" ]
	grep -q 'credential response decrypted (ECDH-ES, A128GCM)' "$D/out.json"
	grep -q '"error":"use_dpop_nonce"' "$D/server.err"
	# mso_mdoc the same way, its claims by the definition's oidc_claims mapping
	holder "$ISS" --flow wallet-init --config mdl --wallet-key "$D/wp.key" \
		--wallet-cert "$D/wp.crt" --tls-ca "$D/ca.crt" --encrypt A256GCM
	[ "$(result 'r["credentials"][0]["format"]')" = "mso_mdoc" ]
	[ "$(result 'r["credentials"][0]["claims"]["org.iso.18013.5.1"]["document_number"]')" = "123456789" ]
	# the profile's rules hold on this flow too: no wallet attestation, no PAR
	run "$PY" "$HOLDER" "$ISS" --flow wallet-init --config pid --no-attestation \
		--tls-ca "$D/ca.crt" --ca "$D/ca.crt" --timeout 120
	[ "$status" -eq 1 ]
	[[ "$output" == *"401"* ]]
	# without DPoP the token request is refused
	run "$PY" "$HOLDER" "$ISS" --flow wallet-init --config pid --wallet-key "$D/wp.key" \
		--wallet-cert "$D/wp.crt" --dpop no --tls-ca "$D/ca.crt" --ca "$D/ca.crt" --timeout 120
	[ "$status" -eq 1 ]
}

@test "wallet-initiated: refused settings" {
	op_start
	run vci-serve run "${SERVE_ARGS[@]}" --oidc-issuer "$OP_ISS"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--oidc-issuer and --oidc-client go together"* ]]
	chmod 644 "$D/client.json"
	run vci-serve run "${SERVE_ARGS[@]}" --oidc-issuer "$OP_ISS" --oidc-client "$D/client.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"readable by others"* ]]
	chmod 600 "$D/client.json"
	run vci-serve run "${SERVE_ARGS[@]}" --oidc-issuer "$OP_ISS/other" --oidc-client "$D/client.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--oidc-issuer: discovery"* ]]
	run vci-serve run "${SERVE_ARGS[@]}" --oidc-issuer "http://op.example/" --oidc-client "$D/client.json"
	[ "$status" -eq 2 ]
}

@test "without --oidc-issuer a pushed request needs an issuer_state" {
	serve_start
	run holder "$ISS" --flow wallet-init --config pid --no-attestation
	[ "$status" -ne 0 ]
	grep -q 'issuer_state: missing' "$D/holder.err"
}
