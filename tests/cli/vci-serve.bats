#!/usr/bin/env bats
# vci-serve: options and documented errors, the server on a random free
# loopback port (well-known documents, signed metadata checked with
# python3-jwcrypto, type metadata, offers by reference, status list tokens
# following `vci-statuslist set`, health), import and apikey, POST /offers
# on the management listener with each key form, the access log, signals,
# and hostile HTTP from curl and raw sockets (/usr/bin/python3), after
# each of which the server must keep serving.

bats_require_minimum_version 1.5.0

ISS=https://issuer.example/t
CLAIMS='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}'

setup() {
	command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	DEFS=$SRC/examples/definitions
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	SPID=
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/k.pem" 2>/dev/null
	openssl req -x509 -new -key "$D/k.pem" -subj "/CN=Example Issuer" -days 30 \
		-out "$D/c.crt" 2>/dev/null
	vci-statuslist new --bits 2 --size 1000 --uri https://issuer.example/t/status/1 \
		--output "$D/tsl"
	# pid with its vct under the issuer, so its type metadata is served, and
	# without the wallet attestation no client here makes (the token
	# endpoint refuses such a configuration: vci-serve-e2e.bats)
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["vct"]=sys.argv[2]; d.pop("wallet_attestation_required"); print(json.dumps(d))' \
		"$DEFS/pid.json" "$ISS/vct/pid" >"$D/pid.json"
}

teardown() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || true
	fi
}

need_py() {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
}

# start_server [OPTION]...: vci-serve on 127.0.0.1:0; sets URL, PORT, ADMIN, SPID.
start_server() {
	vci-serve run --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" ${KEYID:---cert $D/c.crt} \
		--state "$D/state" --listen 127.0.0.1:0 --status-list "$D/tsl" "$@" \
		2>"$D/err" 3>&- &
	SPID=$!
	for _ in $(seq 600); do
		grep -q '^vci-serve: listening on' "$D/err" && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	PORT=$(sed -n 's/^vci-serve: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$D/err")
	ADMIN=$(sed -n 's/^vci-serve: management listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$D/err")
	URL=http://127.0.0.1:$PORT
	[ -n "$PORT" ] || { cat "$D/err"; return 1; }
}

stop_server() { # sets STOP_STATUS
	kill -TERM "$SPID"
	STOP_STATUS=0
	wait "$SPID" || STOP_STATUS=$?
	SPID=
}

alive() {
	[ "$(curl -s -m 30 "$URL/health")" = '{"status":"ok"}' ]
}

code() { # code CURL-ARGS...: the HTTP status
	curl -s -m 60 -o "$D/body" -w '%{http_code}' "$@"
}

# raw BYTES-AS-PYTHON-LITERAL: send over a socket, print the status line
raw() {
	"$PY" - "$PORT" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(eval(sys.argv[2]))  # the test's own bytes expression
out = b""
try:
    while b"\r\n" not in out:
        b = s.recv(4096)
        if not b:
            break
        out += b
except socket.timeout:
    pass
print(out.split(b"\r\n")[0].decode() if out else "closed")
EOF
}

# ---- options and errors -------------------------------------------------

@test "--help lists every setting, --version prints the version" {
	run vci-serve --help
	[ "$status" -eq 0 ]
	for o in issuer defn key cert kid pass state listen admin-listen config status-list dpop \
		dpop-nonce token-ttl nonce-ttl tx-attempts batch-size threads log tls-cert tls-key name; do
		[[ "$output" == *"--$o"* ]] || { echo "missing --$o"; false; }
	done
	[[ "$output" == *"apikey add"* ]]
	run vci-serve --version
	[ "$status" -eq 0 ]
	[[ "$output" == "vci-serve (vci-tools) "* ]]
}

@test "usage errors exit 2" {
	base=(--defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" --state "$D/s")
	run vci-serve "${base[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--issuer URL is required"* ]]
	run vci-serve --issuer "$ISS" --key "$D/k.pem" --kid k --state "$D/s"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--defn FILE is required"* ]]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --cert "$D/c.crt" --state "$D/s"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--key KEY is required"* ]]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --state "$D/s"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cert CHAIN"* ]]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --kid k
	[ "$status" -eq 2 ]
	[[ "$output" == *"--state DIR is required"* ]]
	run vci-serve --issuer http://issuer.example "${base[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not an https URL"* ]]
	run vci-serve --issuer "$ISS/" "${base[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"ends in '/'"* ]]
	run vci-serve --issuer "$ISS" "${base[@]}" --dpop sometimes
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dpop: expected optional, required or off"* ]]
	run vci-serve --issuer "$ISS" "${base[@]}" --dpop off --dpop-nonce
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dpop-nonce needs DPoP"* ]]
	run vci-serve --issuer "$ISS" "${base[@]}" --listen 8080
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen: expected ADDR:PORT"* ]]
	run vci-serve --issuer "$ISS" "${base[@]}" --admin-listen 127.0.0.1:99999
	[ "$status" -eq 2 ]
	for o in token-ttl nonce-ttl tx-attempts batch-size threads; do
		run vci-serve --issuer "$ISS" "${base[@]}" --$o 0
		[ "$status" -eq 2 ]
		[[ "$output" == *"--$o: 0 is out of range"* ]]
		run vci-serve --issuer "$ISS" "${base[@]}" --$o x
		[ "$status" -eq 2 ]
	done
	run vci-serve --issuer "$ISS" "${base[@]}" --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unrecognized option '--bogus'"* ]]
	run vci-serve --issuer "$ISS" "${base[@]}" --listen
	[ "$status" -eq 2 ]
	run vci-serve run extra --issuer "$ISS" "${base[@]}"
	[ "$status" -eq 2 ]
	run vci-serve --issuer "$ISS" "${base[@]}" --status-list "nope=$D/tsl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no definition has the id \"nope\""* ]]
	[ ! -e "$D/s" ] || [ -d "$D/s" ]
}

@test "a definition with a status list needs --status-list (exit 2)" {
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/s" --listen 127.0.0.1:0
	[ "$status" -eq 2 ]
	[[ "$output" == *'definition "pid" has a token status list: give --status-list'* ]]
}

@test "bad definitions and lists exit 3, bad keys and certificates 4, unreadable files 5" {
	echo '{"id":"x","format":"nope"}' >"$D/bad.json"
	run vci-serve --issuer "$ISS" --defn "$D/bad.json" --key "$D/k.pem" --cert "$D/c.crt" --state "$D/s"
	[ "$status" -eq 3 ]
	[[ "$output" == "vci-serve: "*"bad.json"* ]]
	echo 'not json' >"$D/bad2.json"
	run vci-serve --issuer "$ISS" --defn "$D/bad2.json" --key "$D/k.pem" --cert "$D/c.crt" --state "$D/s"
	[ "$status" -eq 3 ]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --defn "$D/pid.json" --key "$D/k.pem" \
		--cert "$D/c.crt" --state "$D/s" --status-list "$D/tsl"
	[ "$status" -eq 3 ]
	[[ "$output" == *'two definitions have the id "pid"'* ]]
	echo 'garbage' >"$D/bad.pem"
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/bad.pem" --cert "$D/c.crt" --state "$D/s"
	[ "$status" -eq 4 ]
	[[ "$output" == "vci-serve: --key"* ]]
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/k2.pem" 2>/dev/null
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k2.pem" --cert "$D/c.crt" --state "$D/s"
	[ "$status" -eq 4 ]
	[[ "$output" == *"the first certificate is not for the signing key"* ]]
	run vci-serve --issuer "$ISS" --defn "$DEFS/mdl.json" --key "$D/k.pem" --kid k1 \
		--state "$D/s" --status-list "$D/tsl"
	[ "$status" -eq 4 ]
	[[ "$output" == *"mso_mdoc credentials need --cert"* ]]
	openssl genpkey -algorithm EC -aes-128-cbc -pass pass:secret1 \
		-pkeyopt ec_paramgen_curve:P-256 -out "$D/enc.pem" 2>/dev/null
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/enc.pem" --kid k --state "$D/s" \
		--status-list "$D/tsl" --pass pass:wrong
	[ "$status" -eq 4 ]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --kid k \
		--state "$D/s" --status-list "$D/nolist"
	[ "$status" -eq 3 ]
	[[ "$output" == *"--status-list: $D/nolist"* ]]
	run vci-serve --config "$D/missing.conf"
	[ "$status" -eq 5 ]
}

@test "--pass opens an encrypted key" {
	openssl genpkey -algorithm EC -aes-128-cbc -pass pass:secret1 \
		-pkeyopt ec_paramgen_curve:P-256 -out "$D/enc.pem" 2>/dev/null
	vci-serve run --issuer "$ISS" --defn "$D/pid.json" --key "$D/enc.pem" --kid k1 \
		--pass pass:secret1 --state "$D/state" --listen 127.0.0.1:0 --status-list "$D/tsl" \
		2>"$D/err" 3>&- &
	SPID=$!
	for _ in $(seq 600); do
		grep -q 'listening on' "$D/err" && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'listening on' "$D/err"
	stop_server
	[ "$STOP_STATUS" -eq 0 ]
}

@test "the config file holds the same settings; the command line wins" {
	cat >"$D/serve.conf" <<EOF
# vci-serve settings
issuer = $ISS
defn = $D/pid.json
key = "$D/k.pem"
cert = $D/c.crt
state = $D/state
status-list = $D/tsl
listen = 127.0.0.1:1
batch-size = 3
dpop-nonce = yes
EOF
	vci-serve --config "$D/serve.conf" --listen 127.0.0.1:0 2>"$D/err" 3>&- &
	SPID=$!
	for _ in $(seq 600); do
		grep -q 'listening on' "$D/err" && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	PORT=$(sed -n 's/^vci-serve: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$D/err")
	[ -n "$PORT" ]
	curl -s "http://127.0.0.1:$PORT/.well-known/openid-credential-issuer/t" >"$D/md"
	"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["batch_credential_issuance"]["batch_size"] == 3' "$D/md"
	stop_server
	echo 'this is not a setting' >"$D/bad.conf"
	run vci-serve --config "$D/bad.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.conf:1: expected name = value"* ]]
	echo 'color = blue' >"$D/bad.conf"
	run vci-serve --config "$D/bad.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'color'"* ]]
	echo 'token-ttl = -4' >"$D/bad.conf"
	run vci-serve --config "$D/bad.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--token-ttl"* ]]
}

@test "a port in use exits 5 with the address" {
	start_server
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/state2" --listen "127.0.0.1:$PORT" --status-list "$D/tsl"
	[ "$status" -eq 5 ]
	[[ "$output" == *"127.0.0.1:$PORT"* ]]
	alive
}

@test "native TLS with --tls-cert and --tls-key" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/tls.key" \
		-out "$D/tls.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 2>/dev/null
	start_server --tls-cert "$D/tls.crt" --tls-key "$D/tls.key"
	[ "$(curl -s -m 30 --cacert "$D/tls.crt" "https://127.0.0.1:$PORT/health")" = '{"status":"ok"}' ]
	run curl -s -m 30 "http://127.0.0.1:$PORT/health"
	[ "$status" -ne 0 ] || [ "$output" != '{"status":"ok"}' ]
	stop_server
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/state" --listen 127.0.0.1:0 --status-list "$D/tsl" --tls-cert "$D/tls.crt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tls-cert and --tls-key go together"* ]]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/state" --listen 127.0.0.1:0 --status-list "$D/tsl" --tls-cert "$D/tls.crt" \
		--tls-key "$D/c.crt"
	[ "$status" -eq 4 ]
	run vci-serve --issuer "$ISS" --defn "$D/pid.json" --key "$D/k.pem" --cert "$D/c.crt" \
		--state "$D/state" --listen 127.0.0.1:0 --status-list "$D/tsl" --tls-cert "$D/tls.crt" \
		--tls-key "$D/none.key"
	[ "$status" -eq 4 ]
}

# ---- documents ----------------------------------------------------------

@test "well-known documents: path insertion, draft 13 suffix, AS metadata, JWKS" {
	start_server --kid key-1
	[ "$(code "$URL/.well-known/openid-credential-issuer/t")" = 200 ]
	"$PY" - "$D/body" "$ISS" <<'EOF'
import json, sys
md = json.load(open(sys.argv[1]))
iss = sys.argv[2]
assert md["credential_issuer"] == iss, md
assert md["credential_endpoint"] == iss + "/credential"
assert md["nonce_endpoint"] == iss + "/nonce"
assert md["notification_endpoint"] == iss + "/notification"
assert md["batch_credential_issuance"] == {"batch_size": 10}
assert md["credential_configurations_supported"]["pid"]["format"] == "dc+sd-jwt"
EOF
	[ "$(code "$URL/t/.well-known/openid-credential-issuer")" = 200 ]
	"$PY" - "$D/body" "$ISS" <<'EOF'
import json, sys
md = json.load(open(sys.argv[1]))
assert md["credential_issuer"] == sys.argv[2]
assert md["credential_configurations_supported"]["pid"]["format"] == "vc+sd-jwt", md
assert "signed_metadata" in md
EOF
	[ "$(code "$URL/.well-known/oauth-authorization-server/t")" = 200 ]
	"$PY" - "$D/body" "$ISS" <<'EOF'
import json, sys
md = json.load(open(sys.argv[1]))
iss = sys.argv[2]
assert md["issuer"] == iss and md["token_endpoint"] == iss + "/token"
assert "urn:ietf:params:oauth:grant-type:pre-authorized_code" in md["grant_types_supported"]
assert md["pre-authorized_grant_anonymous_access_supported"] is True
assert "ES256" in md["dpop_signing_alg_values_supported"]
EOF
	[ "$(code "$URL/.well-known/jwt-vc-issuer/t")" = 200 ]
	"$PY" - "$D/body" "$ISS" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["issuer"] == sys.argv[2]
k = j["jwks"]["keys"][0]
assert k["kty"] == "EC" and k["kid"] == "key-1" and "d" not in k and k["x5c"]
EOF
	curl -s -D "$D/h" -o /dev/null "$URL/.well-known/openid-credential-issuer/t"
	grep -qi '^content-type: application/json' "$D/h"
	# without a path, there is no draft 13 suffix apart from the insertion
	[ "$(code "$URL/.well-known/openid-credential-issuer")" = 404 ]
	[ "$(code "$URL/.well-known/oauth-authorization-server")" = 404 ]
}

@test "signed metadata on Accept: application/jwt, verified with jwcrypto" {
	need_py
	start_server
	curl -s -D "$D/h" -H 'Accept: application/jwt' -o "$D/jwt" \
		"$URL/.well-known/openid-credential-issuer/t"
	grep -qi '^content-type: application/jwt' "$D/h"
	"$PY" - "$D/jwt" "$D/c.crt" "$ISS" <<'EOF'
import base64, json, sys
from jwcrypto import jwk, jws
from cryptography import x509
tok = open(sys.argv[1]).read().strip()
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
s = jws.JWS()
s.deserialize(tok)
hdr = s.jose_header
assert hdr["typ"] == "openidvci-issuer-metadata+jwt", hdr
assert base64.b64decode(hdr["x5c"][0]) == cert.public_bytes(__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)
key = jwk.JWK.from_pem(cert.public_key().public_bytes(
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM,
    __import__("cryptography.hazmat.primitives.serialization", fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo))
s.verify(key)
p = json.loads(s.payload)
assert p["sub"] == sys.argv[3] and p["credential_issuer"] == sys.argv[3]
assert isinstance(p["iat"], int)
assert "credential_configurations_supported" in p
EOF
	# JSON stays the default, and wins when listed first
	curl -s -D "$D/h" -o /dev/null -H 'Accept: application/json, application/jwt' \
		"$URL/.well-known/openid-credential-issuer/t"
	grep -qi '^content-type: application/json' "$D/h"
}

@test "without a certificate, Accept: application/jwt still gets JSON" {
	KEYID="--kid k1" start_server
	curl -s -D "$D/h" -o /dev/null -H 'Accept: application/jwt' \
		"$URL/.well-known/openid-credential-issuer/t"
	grep -qi '^content-type: application/json' "$D/h"
}

@test "SD-JWT VC Type Metadata at the vct URL under the issuer" {
	start_server
	[ "$(code "$URL/t/vct/pid")" = 200 ]
	"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["vct"]==sys.argv[2], t; assert t["display"]' \
		"$D/body" "$ISS/vct/pid"
	[ "$(code "$URL/t/vct/other")" = 404 ]
}

@test "health, unknown paths (404 JSON) and wrong methods (405 with Allow)" {
	start_server
	[ "$(code "$URL/health")" = 200 ]
	[ "$(cat "$D/body")" = '{"status":"ok"}' ]
	[ "$(code "$URL/nothing/here")" = 404 ]
	"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"] == "not_found"' "$D/body"
	curl -s -D "$D/h" -o "$D/body" -X DELETE "$URL/health"
	grep -q '^HTTP/1.1 405' "$D/h"
	grep -qi '^allow: GET, HEAD' "$D/h"
	curl -s -D "$D/h" -o "$D/body" "$URL/t/token"
	grep -q '^HTTP/1.1 405' "$D/h"
	grep -qi '^allow: POST' "$D/h"
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))["error"]' "$D/body"
	[ "$(code -I "$URL/health")" = 200 ]
}

@test "the token route is wired: form only (415 otherwise), errors as JSON, no-store" {
	start_server
	[ "$(code -H 'Content-Type: application/json' -d '{}' "$URL/t/token")" = 415 ]
	curl -s -D "$D/h" -o "$D/body" --data-urlencode \
		"grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
		--data-urlencode "pre-authorized_code=nosuchcode" "$URL/t/token"
	grep -q '^HTTP/1.1 400' "$D/h"
	grep -qi '^cache-control: no-store' "$D/h"
	"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"] == "invalid_grant"' "$D/body"
	curl -s -D "$D/h" -o "$D/body" -X POST "$URL/t/nonce"
	grep -qi '^cache-control: no-store' "$D/h"
	alive
}

# ---- offers ------------------------------------------------------------

@test "import: vci-offer records into the store, served by reference" {
	start_server
	printf '{"claims":%s}\n' "$CLAIMS" | vci-offer --issuer "$ISS" --config pid --tx-code 4 \
		--by-reference "$ISS/offers" >"$D/offers.ndjson"
	run vci-serve import --state "$D/state" "$D/offers.ndjson"
	[ "$status" -eq 0 ]
	id=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["offer_id"])' "$D/offers.ndjson")
	[ "$output" = "{\"offer_id\":\"$id\",\"imported\":true}" ]
	curl -s -D "$D/h" -o "$D/body" "$URL/t/offers/$id"
	grep -q '^HTTP/1.1 200' "$D/h"
	grep -qi '^cache-control: no-store' "$D/h"
	"$PY" - "$D/body" "$D/offers.ndjson" <<'EOF'
import json, sys
served = json.load(open(sys.argv[1]))
rec = json.loads(open(sys.argv[2]).readline())
assert served == rec["credential_offer"], (served, rec)
EOF
	[ "$(code "$URL/t/offers/nosuchoffer")" = 404 ]
	[ "$(code "$URL/t/offers/bad!id")" = 404 ]
	# the same record again: refused, exit 1, an error record
	run vci-serve import --state "$D/state" <"$D/offers.ndjson"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"offer_exists"'* ]]
}

token() { # token CODE TX: the token endpoint's status, body in $D/body
	code -D "$D/h" --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
		--data-urlencode "pre-authorized_code=$1" ${2:+--data-urlencode "tx_code=$2"} "$URL/t/token"
}

field() { # field FILE NAME: a top-level string of the first JSON line
	"$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"
}

@test "imported codes are redeemed once; --tx-attempts caps wrong tx_codes" {
	start_server --admin-listen 127.0.0.1:0
	printf '{"claims":%s}\n' "$CLAIMS" | vci-offer --issuer "$ISS" --config pid --tx-code 4 >"$D/a"
	printf '{"claims":%s}\n' "$CLAIMS" | vci-offer --issuer "$ISS" --config pid --tx-code 4 >"$D/b"
	vci-serve import --state "$D/state" "$D/a" >/dev/null
	vci-serve import --state "$D/state" --tx-attempts 1 "$D/b" >/dev/null
	# a: the right tx_code gets a token, once
	[ "$(token "$(field "$D/a" pre_authorized_code)" "$(field "$D/a" tx_code)")" = 200 ]
	grep -qi '^cache-control: no-store' "$D/h"
	"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["access_token"] and t["token_type"] in ("Bearer","DPoP")' "$D/body"
	[ "$(token "$(field "$D/a" pre_authorized_code)" "$(field "$D/a" tx_code)")" = 400 ]
	grep -q invalid_grant "$D/body"
	# b: one wrong tx_code and the code is dead
	[ "$(token "$(field "$D/b" pre_authorized_code)" 0000000)" = 400 ]
	[ "$(token "$(field "$D/b" pre_authorized_code)" "$(field "$D/b" tx_code)")" = 400 ]
	# the server's --tx-attempts (default 5) for offers made by POST /offers
	key=$(vci-serve apikey add --state "$D/state" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	curl -s -o "$D/offer" -H "x-api-key: $key" -H 'Content-Type: application/json' \
		-d "{\"credential_configuration_id\":\"pid\",\"claims\":$CLAIMS,\"tx_code\":{\"length\":4}}" \
		"http://127.0.0.1:$ADMIN/offers"
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["offer_id"])' "$D/offer")
	curl -s -o "$D/co" "$URL/t/offers/$id"
	pac=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"])' "$D/co")
	for _ in 1 2 3 4; do
		[ "$(token "$pac" 00000)" = 400 ]
	done
	[ "$(token "$pac" "$(field "$D/offer" tx_code)")" = 200 ]
}

# ---- access tokens -----------------------------------------------------

# bearer_token: an offer imported and redeemed without DPoP; prints its
# access token (a Bearer token)
bearer_token() {
	printf '{"claims":%s}\n' "$CLAIMS" | vci-offer --issuer "$ISS" --config pid >"$D/tok-offer"
	vci-serve import --state "$D/state" "$D/tok-offer" >/dev/null
	[ "$(token "$(field "$D/tok-offer" pre_authorized_code)")" = 200 ] || { cat "$D/body"; return 1; }
	field "$D/body" access_token
}

# resource TOKEN PATH: POST a JSON body the endpoint refuses for itself
# (no proof, nobody's notification or transaction id) with the token as
# Bearer; prints the status, the body in $D/body, the headers in $D/h
resource() {
	local body
	case $2 in
	credential) body='{"credential_configuration_id":"pid"}' ;;
	notification) body='{"notification_id":"bm9ib2R5","event":"credential_accepted"}' ;;
	deferred_credential) body='{"transaction_id":"bm9ib2R5"}' ;;
	esac
	code -D "$D/h" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "$body" "$URL/t/$2"
}

# token_ok TOKEN: every resource endpoint takes the token (and refuses the
# request for what it is: 400 with the endpoint's own error)
token_ok() {
	[ "$(resource "$1" credential)" = 400 ]
	grep -q '"error":"invalid_proof"' "$D/body"
	[ "$(resource "$1" notification)" = 400 ]
	grep -q '"error":"invalid_notification_id"' "$D/body"
	[ "$(resource "$1" deferred_credential)" = 400 ]
	grep -q '"error":"invalid_transaction_id"' "$D/body"
}

# token_refused TOKEN: 401 invalid_token with its WWW-Authenticate at every
# resource endpoint
token_refused() {
	for p in credential notification deferred_credential; do
		[ "$(resource "$1" $p)" = 401 ] || { echo "$p: $(cat "$D/body")"; return 1; }
		grep -q '"error":"invalid_token"' "$D/body"
		grep -qi '^www-authenticate: Bearer error="invalid_token"' "$D/h"
		grep -qi '^cache-control: no-store' "$D/h"
	done
}

@test "access tokens are sealed: one changed character or another state's key is 401 invalid_token; no tokens table" {
	# a token of another state directory (another access-token.key)
	start_server
	other=$(bearer_token)
	stop_server
	mv "$D/state" "$D/other"
	start_server
	t=$(bearer_token)
	token_ok "$t"
	# one character changed, wherever it is (the last one too: unused
	# bits that are not zero are refused)
	n=${#t}
	for i in 0 $((n / 3)) $((n / 2)) $((n - 2)) $((n - 1)); do
		c=${t:i:1}
		if [ "$c" = A ]; then r=g; else r=A; fi
		token_refused "${t:0:i}$r${t:i+1}"
	done
	token_refused "$other"
	token_refused "${t}AAAA"
	token_refused "${t:0:n-4}"
	alive
	# the key: 32 bytes, mode 0600; the token is stored nowhere
	[ "$(stat -c '%a %s' "$D/state/access-token.key")" = "600 32" ]
	! cmp -s "$D/state/access-token.key" "$D/state/c-nonce.key"
	"$PY" - "$D/state/vci.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
assert "tokens" not in names and "spent_nonces" in names, names
EOF
	! grep -qF -- "$t" "$D/err"
}

@test "an access token outlives a server restart, and dies with its exchange" {
	start_server --admin-listen 127.0.0.1:0
	t=$(bearer_token)
	stop_server
	start_server --admin-listen 127.0.0.1:0
	token_ok "$t"
	key=$(vci-serve apikey add --state "$D/state" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	curl -s -m 60 -o "$D/x" -H "x-api-key: $key" "http://127.0.0.1:$ADMIN/exchanges"
	xid=$("$PY" -c 'import json,sys; x=json.load(open(sys.argv[1]))["exchanges"]; assert len(x) == 1; print(x[0]["id"])' "$D/x")
	[ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X DELETE -H "x-api-key: $key" \
		"http://127.0.0.1:$ADMIN/exchanges/$xid")" = 204 ]
	token_refused "$t"
	alive
}

@test "import: bad records become error records, the good ones are kept" {
	printf '{"claims":%s}\n' "$CLAIMS" | vci-offer --issuer "$ISS" --config pid >"$D/good.ndjson"
	{
		echo '{"offer_id":"abc"}'
		"$PY" -c 'import json,sys; r=json.loads(sys.stdin.readline()); r["offer_id"]="other"; r["pre_authorized_code"]="x"; print(json.dumps(r))' <"$D/good.ndjson"
		"$PY" -c 'import json,sys; r=json.loads(sys.stdin.readline()); r["offer_id"]="old"; r["expires_at"]=1; print(json.dumps(r))' <"$D/good.ndjson"
		cat "$D/good.ndjson"
	} >"$D/mixed.ndjson"
	run --separate-stderr vci-serve import --state "$D/state" "$D/mixed.ndjson"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | wc -l)" -eq 4 ]
	[[ "$(echo "$output" | sed -n 1p)" == *'credential_offer: missing'* ]]
	[[ "$(echo "$output" | sed -n 2p)" == *'pre_authorized_code: missing, or not the offer'* ]]
	[[ "$(echo "$output" | sed -n 3p)" == *'"expired_offer"'* ]]
	[[ "$(echo "$output" | sed -n 4p)" == *'"imported":true'* ]]
	[[ "$stderr" == *"4 records, 1 ok, 3 failed"* ]]
	# a line that is not JSON is one error record, the first line too, as
	# in every tool
	printf 'not json\n' >"$D/nj"
	run --separate-stderr vci-serve import --state "$D/state" "$D/nj"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"code":"invalid_json","message":"'*'nj: line 1: '*'"line":1}' ]]
	run vci-serve import "$D/good.ndjson"
	[ "$status" -eq 2 ]
	[[ "$output" == *"import: --state DIR is required"* ]]
	run vci-serve import --state "$D/state" "$D/missing.ndjson"
	[ "$status" -eq 3 ]   # as vci-offer and the other tools
	[[ "$output" == *"missing.ndjson: No such file"* ]]
}

@test "apikey add prints the key once, list shows ids and names, revoke" {
	run --separate-stderr vci-serve apikey add --state "$D/state" --name backoffice
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"only its hash is stored"* ]]
	key=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$output")
	id=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$output")
	[ "${#key}" -ge 40 ]
	run vci-serve apikey list --state "$D/state"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"id\":\"$id\""* ]]
	[[ "$output" == *'"name":"backoffice"'* ]]
	[[ "$output" != *"$key"* ]]
	! grep -rqa -- "$key" "$D/state"
	run vci-serve apikey revoke --state "$D/state" "$id"
	[ "$status" -eq 0 ]
	run vci-serve apikey list --state "$D/state"
	[[ "$output" == *'"revoked_at"'* ]]
	run vci-serve apikey revoke --state "$D/state" "$id"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no such key, or already revoked"* ]]
	run vci-serve apikey --state "$D/state"
	[ "$status" -eq 2 ]
	run vci-serve apikey rotate --state "$D/state"
	[ "$status" -eq 2 ]
	run vci-serve apikey revoke --state "$D/state"
	[ "$status" -eq 2 ]
	run vci-serve apikey add
	[ "$status" -eq 2 ]
	run vci-serve apikey list --state "$D/state" --name x
	[ "$status" -eq 2 ]
}

@test "POST /offers on the management listener with each key form" {
	start_server --admin-listen 127.0.0.1:0
	[ -n "$ADMIN" ]
	A=http://127.0.0.1:$ADMIN
	key=$(vci-serve apikey add --state "$D/state" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	body="{\"credential_configuration_id\":\"pid\",\"claims\":$CLAIMS}"
	for h in "Authorization: Bearer $key" "Authorization: ApiKey $key" "x-api-key: $key"; do
		[ "$(code -H "$h" -H 'Content-Type: application/json' -d "$body" "$A/offers")" = 201 ]
		"$PY" - "$D/body" "$ISS" >"$D/id" <<'EOF'
import json, sys, urllib.parse
r = json.load(open(sys.argv[1]))
assert set(r) == {"offer_id", "credential_offer_uri"}, r
link = r["credential_offer_uri"]
assert link.startswith("openid-credential-offer://?credential_offer_uri=")
uri = urllib.parse.unquote(link.split("=", 1)[1])
assert uri == sys.argv[2] + "/offers/" + r["offer_id"], uri
print(r["offer_id"])
EOF
		[ "$(code "$URL/t/offers/$(cat "$D/id")")" = 200 ]
		grep -q pre-authorized_code "$D/body"
	done
	# a tx_code object: the server draws the code and answers it once
	[ "$(code -H "x-api-key: $key" -H 'Content-Type: application/json' \
		-d "{\"credential_configuration_id\":\"pid\",\"claims\":$CLAIMS,\"tx_code\":{\"length\":5,\"input_mode\":\"numeric\"}}" "$A/offers")" = 201 ]
	"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["tx_code"]; assert len(t)==5 and t.isdigit(), t' "$D/body"
	# no key, a wrong key, a revoked key
	[ "$(code -H 'Content-Type: application/json' -d "$body" "$A/offers")" = 401 ]
	[ "$(code -H 'x-api-key: wrong' -H 'Content-Type: application/json' -d "$body" "$A/offers")" = 401 ]
	[ "$(code -H 'Authorization: Basic abc' -H 'Content-Type: application/json' -d "$body" "$A/offers")" = 401 ]
	id=$(vci-serve apikey list --state "$D/state" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
	vci-serve apikey revoke --state "$D/state" "$id"
	[ "$(code -H "x-api-key: $key" -H 'Content-Type: application/json' -d "$body" "$A/offers")" = 401 ]
	# the management routes are not on the wallet listener
	[ "$(code -H 'Content-Type: application/json' -d "$body" "$URL/offers")" = 404 ]
}

@test "POST /offers refuses bad bodies with the right status" {
	start_server --admin-listen 127.0.0.1:0
	A=http://127.0.0.1:$ADMIN
	key=$(vci-serve apikey add --state "$D/state" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	H=(-H "x-api-key: $key")
	[ "$(code "${H[@]}" -H 'Content-Type: text/plain' -d '{}' "$A/offers")" = 415 ]
	[ "$(code "${H[@]}" -H 'Content-Type: application/json' -d '{"credential_conf' "$A/offers")" = 400 ]
	[ "$(code "${H[@]}" -H 'Content-Type: application/json' -d '[1]' "$A/offers")" = 400 ]
	[ "$(code "${H[@]}" -H 'Content-Type: application/json' \
		-d "{\"credential_configuration_id\":\"nope\",\"claims\":$CLAIMS}" "$A/offers")" = 400 ]
	grep -q unknown_credential_configuration "$D/body"
	[ "$(code "${H[@]}" -H 'Content-Type: application/json' \
		-d '{"credential_configuration_id":"pid","claims":{"given_name":1}}' "$A/offers")" = 400 ]
	grep -q invalid_claims "$D/body"
	[ "$(code "${H[@]}" -H 'Content-Type: application/json' \
		-d "{\"credential_configuration_id\":\"pid\",\"claims\":$CLAIMS,\"credential_offer\":{}}" "$A/offers")" = 400 ]
	[ "$(code -X GET "${H[@]}" "$A/offers")" = 405 ]
	[ "$(code "${H[@]}" "$A/health")" = 404 ]
	alive
}

# ---- status lists --------------------------------------------------------

# sl_entry IDX: entry IDX of the token in $D/tok, served at
# https://issuer.example/t/status/1, checked by tests/serve/sl-entry.py
# (python3-jwcrypto); its ttl must be 300
sl_entry() {
	local v ttl
	read -r v ttl < <("$PY" "$SRC/tests/serve/sl-entry.py" "$D/tok" "$D/c.crt" "$1" \
		https://issuer.example/t/status/1) || return 1
	[ "$ttl" = 300 ] || { echo "sl_entry: ttl $ttl, expected 300" >&2; return 1; }
	echo "$v"
}

@test "status list token at its URI, verified, and following vci-statuslist set" {
	need_py
	start_server
	curl -s -D "$D/h" -o "$D/tok" "$URL/t/status/1"
	grep -q '^HTTP/1.1 200' "$D/h"
	grep -qi '^content-type: application/statuslist+jwt' "$D/h"
	grep -qi '^cache-control: max-age=300' "$D/h"
	[ "$(sl_entry 17)" = 0 ]
	vci-statuslist set --force --list "$D/tsl" 17 revoked   # no credential has it: --force
	curl -s -o "$D/tok" "$URL/t/status/1"
	[ "$(sl_entry 17)" = 1 ]
	vci-statuslist set --force --list "$D/tsl" 18 suspended
	curl -s -o "$D/tok" "$URL/t/status/1"
	[ "$(sl_entry 18)" = 2 ]
	[ "$(sl_entry 17)" = 1 ]
	# vci-statuslist check, our own reader, agrees
	vci-statuslist check --idx 17 --cert "$D/c.crt" <"$D/tok" | grep -q invalid
}

# ---- log and signals -----------------------------------------------------

@test "the access log: one JSON line per request, no secrets" {
	start_server --log "$D/access.log" --admin-listen 127.0.0.1:0
	A=http://127.0.0.1:$ADMIN
	key=$(vci-serve apikey add --state "$D/state" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	curl -s -o "$D/offer" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		-d "{\"credential_configuration_id\":\"pid\",\"claims\":$CLAIMS,\"tx_code\":{\"length\":6}}" "$A/offers"
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["offer_id"])' "$D/offer")
	tx=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tx_code"])' "$D/offer")
	curl -s -o "$D/co" "$URL/t/offers/$id"
	pac=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"])' "$D/co")
	curl -s -o /dev/null --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code" \
		--data-urlencode "pre-authorized_code=$pac" --data-urlencode "tx_code=00000$tx" "$URL/t/token"
	curl -s -o /dev/null -H "Authorization: Bearer SECRETTOKEN" -H 'Content-Type: application/json' \
		-d '{"proof":{"proof_type":"jwt","jwt":"SECRETPROOF"}}' "$URL/t/credential?access_token=SECRETQUERY"
	curl -s -o /dev/null -X POST "$URL/t/nonce"
	stop_server
	[ "$(wc -l <"$D/access.log")" -eq 5 ]
	"$PY" - "$D/access.log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    for k in ("time", "peer", "method", "path", "status", "bytes", "duration_ms"):
        assert k in j, (k, j)
EOF
	for secret in "$key" "$pac" "$tx" "$id" SECRETTOKEN SECRETPROOF SECRETQUERY; do
		! grep -qF -- "$secret" "$D/access.log" || { echo "found $secret"; false; }
	done
	grep -q '"path":"/t/offers/\*"' "$D/access.log"
	grep -q '"listener":"admin"' "$D/access.log"
}

@test "SIGHUP reopens the log" {
	start_server --log "$D/access.log"
	curl -s -o /dev/null "$URL/health"
	mv "$D/access.log" "$D/access.log.1"
	kill -HUP "$SPID"
	for _ in $(seq 300); do
		curl -s -o /dev/null "$URL/health?n=$_"
		[ -s "$D/access.log" ] && break
		sleep 0.1
	done
	[ -s "$D/access.log" ]
	[ -s "$D/access.log.1" ]
	grep -q '"path":"/health"' "$D/access.log"
	stop_server
	[ "$STOP_STATUS" -eq 0 ]
}

@test "SIGTERM during load: requests in flight finish, exit 0" {
	start_server
	"$PY" - "$PORT" >"$D/load.out" 2>&1 3>&- <<'EOF' &
import http.client, sys, threading
port = int(sys.argv[1])
ok = [0]
def run():
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(50):
                c.request("GET", "/.well-known/openid-credential-issuer/t")
                r = c.getresponse()
                r.read()
                assert r.status == 200
                ok[0] += 1
        except (ConnectionError, OSError, http.client.HTTPException):
            return
ts = [threading.Thread(target=run) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(ok[0])
EOF
	LPID=$!
	for _ in $(seq 300); do
		[ "$(grep -c . "$D/err")" -ge 1 ] && break
		sleep 0.1
	done
	sleep 1
	stop_server
	[ "$STOP_STATUS" -eq 0 ]
	wait "$LPID"
	[ "$(cat "$D/load.out")" -gt 0 ]
}

@test "SIGTERM with a client stuck in its headers and an idle keep-alive one: exit 0" {
	start_server
	cat >"$D/clients.py" <<'EOF'
import http.client, socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("GET", "/health")
c.getresponse().read()
print("connected", flush=True)
time.sleep(120)
EOF
	"$PY" "$D/clients.py" "$PORT" >"$D/clients.out" 3>&- &
	CPID=$!
	for _ in $(seq 300); do
		grep -q connected "$D/clients.out" && break
		sleep 0.1
	done
	stop_server
	kill "$CPID" 2>/dev/null || true
	[ "$STOP_STATUS" -eq 0 ]
}

# ---- hostile HTTP --------------------------------------------------------

@test "a body over 64 KiB gets 413 (Content-Length and chunked), the server keeps serving" {
	start_server
	head -c 70000 /dev/zero | tr '\0' a >"$D/big"
	[ "$(code -H 'Content-Type: application/json' --data-binary @"$D/big" "$URL/t/credential")" = 413 ]
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))["error"]' "$D/body"
	alive
	[ "$(code -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
		--data-binary @"$D/big" "$URL/t/credential")" = 413 ]
	alive
	head -c 65536 /dev/zero | tr '\0' a >"$D/max"
	[ "$(code -H 'Content-Type: application/json' --data-binary @"$D/max" "$URL/t/notification")" != 413 ]
	alive
}

@test "duplicate or conflicting Content-Length, and one beside Transfer-Encoding: 400" {
	start_server
	[ "$(raw 'b"POST /t/nonce HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"')" = "HTTP/1.1 400 Bad Request" ]
	alive
	[ "$(raw 'b"POST /t/nonce HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab"')" = "HTTP/1.1 400 Bad Request" ]
	alive
	[ "$(raw 'b"POST /t/nonce HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 3\r\n\r\nabc"')" = "HTTP/1.1 400 Bad Request" ]
	alive
	[ "$(raw 'b"POST /t/nonce HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"')" = "HTTP/1.1 400 Bad Request" ]
	alive
	[ "$(raw 'b"POST /t/nonce HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"')" = "HTTP/1.1 400 Bad Request" ]
	alive
}

@test "too many or too large headers: 431; a bad request line: 400" {
	start_server
	[ "$(raw 'b"GET /health HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(40)) + b"\r\n"')" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	alive
	[ "$(raw 'b"GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"')" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	alive
	[ "$(raw 'b"GET /health HTTP/1.1\r\nNo colon here\r\n\r\n"')" = "HTTP/1.1 400 Bad Request" ]
	alive
	[ "$(raw 'b"GET /health HTTP/1.1\r\n\r\n"')" = "HTTP/1.1 400 Bad Request" ]
	alive
}

@test "slow headers: the connection is closed, the server keeps serving" {
	start_server
	run "$PY" - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n")
s.settimeout(90)
t0 = time.time()
data = s.recv(4096)
print("closed after %.0f s%s" % (time.time() - t0, " with data" if data else ""))
EOF
	[ "$status" -eq 0 ]
	[[ "$output" == "closed after "* ]]
	alive
}

@test "keep-alive: several requests on one connection" {
	start_server
	run "$PY" - "$PORT" <<'EOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for _ in range(20):
    c.request("GET", "/health")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b'{"status":"ok"}'
    assert r.getheader("Connection") != "close"
c.request("POST", "/t/notification", body=b"{", headers={"Content-Type": "application/json"})
r = c.getresponse()
r.read()
c.request("GET", "/health")
r = c.getresponse()
assert r.status == 200, r.status
print("ok")
EOF
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "malformed JSON and forms, wrong content types and methods: 4xx, still serving" {
	start_server
	[ "$(code -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'grant_type=%zz&&=' "$URL/t/token")" = 400 ]
	alive
	[ "$(code -H 'Content-Type: application/x-www-form-urlencoded' --data-binary $'\xff\xfe' "$URL/t/token")" = 400 ]
	alive
	c=$(code -H 'Authorization: Bearer x' -H 'Content-Type: application/json' --data-binary '{"a":' "$URL/t/notification")
	[ "$c" -ge 400 ] && [ "$c" -lt 500 ]
	alive
	[ "$(code -H 'Content-Type: text/plain' --data-binary '{}' "$URL/t/notification")" = 415 ]
	alive
	[ "$(code -H 'Content-Type: application/json' --data-binary '{"a":1,"a":2}' "$URL/t/credential")" -ge 400 ]
	alive
	for m in PUT DELETE PATCH; do
		[ "$(code -X $m "$URL/t/token")" = 405 ]
		[ "$(code -X $m "$URL/t/credential")" = 405 ]
	done
	[ "$(code -X GET "$URL/t/nonce")" = 405 ]
	[ "$(code -X BREW "$URL/health")" -ge 400 ]
	alive
}

# ---- examples ------------------------------------------------------------

@test "examples/serve/serve.sh: metadata, import, by reference, POST /offers, token once, revocation, stop" {
	cd "$D"
	run sh "$SRC/examples/serve/serve.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"credential_issuer":"https://issuer.example.com"'* ]]
	[[ "$output" == *'"imported":true'* ]]
	[[ "$output" == *'by reference: {"credential_issuer":"https://issuer.example.com"'* ]]
	[[ "$output" == *'management API: {"offer_id":'* ]]
	[[ "$output" == *'token type: Bearer'* ]]
	[[ "$output" == *'the same code again: invalid_grant'* ]]
	[[ "$output" == *'index 7: invalid'* ]]
	[[ "$output" == *'stopped: exit 0'* ]]
}

@test "examples/serve: the config file is one vci-serve reads" {
	sed -e "s|/etc/vci-serve/pid.json|$D/pid.json|; s|/etc/vci-serve/issuer.key|$D/k.pem|" \
	    -e "s|/etc/vci-serve/issuer.crt|$D/c.crt|; s|/var/lib/vci-serve/pid.list|$D/tsl|" \
	    -e "s|/var/lib/vci-serve|$D/state|; s|/var/log/vci-serve/access.log|$D/access.log|" \
	    -e "s|127.0.0.1:808[01]|127.0.0.1:0|" "$SRC/examples/serve/vci-serve.conf" >"$D/serve.conf"
	vci-serve --config "$D/serve.conf" 2>"$D/err" 3>&- &
	SPID=$!
	for _ in $(seq 600); do
		grep -q 'management listening on' "$D/err" && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'management listening on' "$D/err"
	stop_server
	[ "$STOP_STATUS" -eq 0 ]
}
