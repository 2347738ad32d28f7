#!/usr/bin/env bats
# vci-serve, refresh tokens: a definition with reissuance_days (seed 002's
# supportCredentialReissuance) gets a refresh token with its access token;
# grant_type=refresh_token renews the access (the credentials issued
# again), rotates the token (single use), keeps it bound to the DPoP key
# of the first grant, revokes the chain when a used token comes back, and
# ends reissuance_days after the first grant whatever the rotations.

load "${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}/tests/serve/lib.bash"

setup() {
	serve_skip_unless_ready
	serve_init
}

teardown() {
	serve_stop
}

# reissue CONFIG DAYS: the configuration's definition allows re-issuance
reissue() {
	"$PY" - "$D/$1.json" "$2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["reissuance_days"] = int(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PYEOF
}

# refresh TOKEN: POST grant_type=refresh_token (Bearer); the status is
# printed, the answer is in $D/refresh.json
refresh() {
	curl -sS -m 60 -o "$D/refresh.json" -w '%{http_code}' \
		--data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$1" \
		"$ISS/token"
}

@test "refresh token: DPoP-bound, rotated, credentials issued again, replay revokes the chain" {
	reissue pid 30
	serve_start
	holder "$(offer pid)" --refresh
	[ "$(result 'r["refresh_token_issued"]')" = "true" ]
	[ "$(result 'len(r["credentials"])')" = "2" ]
	[ "$(result '"refresh: a replay revoked the chain" in r["checks"]')" = "true" ]
	# the revoked chain stays refused, to a request without a DPoP proof too
	rt=$(result 'r["refresh_token"]')
	[ "$(refresh "$rt")" = "400" ]
	grep -q '"invalid_grant"' "$D/refresh.json"
}

@test "refresh token: Bearer, through the authorization code flow, for mso_mdoc and jwt_vc_json" {
	reissue mdl 10
	reissue diploma 10
	serve_start
	holder "$(offer mdl)" --dpop no --refresh
	[ "$(result 'r["credentials"][1]["format"]')" = "mso_mdoc" ]
	holder "$(offer diploma --auth-code --no-pre-authorized-code)" --flow auth-code \
		--no-attestation --refresh
	[ "$(result 'r["credentials"][1]["format"]')" = "jwt_vc_json" ]
}

@test "refresh token: none without reissuance_days; unknown tokens refused" {
	serve_start
	holder "$(offer pid)"
	[ "$(result 'r["refresh_token_issued"]')" = "false" ]
	[ "$(refresh nothing)" = "400" ]
	grep -q '"invalid_grant"' "$D/refresh.json"
	run curl -sS -m 60 -d grant_type=refresh_token "$ISS/token"
	[[ "$output" == *'"invalid_request"'* ]]
}

@test "refresh token: the chain ends reissuance_days after the first grant" {
	reissue pid 30
	t=$(date +%s)
	VCI_NOW=$t serve_start
	holder "$(offer pid)" --dpop no
	rt=$(result 'r["refresh_token"]')
	serve_stop
	VCI_NOW=$((t + 29 * 86400)) serve_start
	[ "$(refresh "$rt")" = "200" ]
	rt2=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$D/refresh.json")
	[ "$rt2" != "$rt" ]
	serve_stop
	VCI_NOW=$((t + 30 * 86400 + 1)) serve_start
	[ "$(refresh "$rt2")" = "400" ]
	grep -q 'unknown or expired' "$D/refresh.json"
	# nothing in the access log or the server's messages holds a refresh token
	! grep -q "$rt2" "$D/server.err"
}

@test "AS metadata: scopes_supported from the definitions, refresh_token when one allows re-issuance" {
	serve_start
	curl -fsS -m 60 "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	"$PY" - "$D/as.json" "$D" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))
want = [json.load(open("%s/%s.json" % (sys.argv[2], n))).get("scope") for n in ("pid", "mdl", "diploma")]
want = [w for w in want if w]
assert want and sorted(a["scopes_supported"]) == sorted(set(want)), (a.get("scopes_supported"), want)
assert "refresh_token" not in a["grant_types_supported"], a
PYEOF
	serve_stop
	reissue mdl 10
	serve_start
	curl -fsS -m 60 "$ISS/.well-known/oauth-authorization-server" >"$D/as.json"
	"$PY" -c 'import json,sys; a = json.load(open(sys.argv[1])); assert "refresh_token" in a["grant_types_supported"], a' "$D/as.json"
}
