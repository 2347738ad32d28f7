#!/bin/sh
# examples/serve/issue.sh - a credential issued by vci-serve to a wallet,
# on this machine only (the tools must be on PATH):
#   1. a throwaway issuer key and certificate, a TLS certificate for
#      127.0.0.1, a status list and a state directory in a temporary
#      directory;
#   2. vci-serve on 127.0.0.1, on a free port, serving https itself
#      (--tls-cert, --tls-key; in production a reverse proxy can do it),
#      until the script ends;
#   3. an offer made by a pipeline (vci-offer | vci-serve import), shown
#      as a QR code in the terminal;
#   4. the holder simulator of the test suite (tests/serve/holder.py, a
#      wallet written apart from vci-tools) opens the offer, gets a token
#      with DPoP, a c_nonce, and a credential for a key it proves;
#   5. the credential is verified with vci-sign-sdjwt and its status read
#      from the status list the server publishes;
#   6. a second offer through the management listener with an API key,
#      issued to the wallet as well;
#   7. that credential revoked with vci-statuslist while the server runs,
#      and the status list the server serves read again;
#   8. the server is stopped with SIGTERM and exits cleanly.
# Nothing is left behind: the temporary directory is removed and the
# server stopped whatever happens.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
holder=${VCI_HOLDER:-$here/../../tests/serve/holder.py}
py=${PYTHON3:-/usr/bin/python3}
. "$here/lib.sh"

step() { printf '\n== %s\n' "$*"; }
# jget FILE EXPR: a value from the JSON in FILE (j), with Python
jget() {
	"$py" -c 'import json, sys; j = json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$1" "$2"
}
# get URL: a GET over TLS to the server, trusting its throwaway certificate
get() {
	curl -fsS --max-time 30 --cacert tls.crt "$1"
}
free_port() {
	"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

step "1. issuer key and certificate, status list, state directory"
example_issuer_key issuer.key issuer.crt "/CN=Example Issuer" 2
openssl x509 -in issuer.crt -noout -subject
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 -out tls.crt 2>/dev/null
openssl x509 -in tls.crt -noout -ext subjectAltName | tail -n 1 | sed 's/^ */TLS certificate for /'

# A port that was free a moment ago may be taken by the time the server
# binds it: try a few.
step "2. vci-serve on 127.0.0.1, https"
for try in 1 2 3 4 5; do
	port=$(free_port)
	admin=$(free_port)
	[ "$port" != "$admin" ] || continue
	issuer=https://127.0.0.1:$port
	rm -rf state badge.list
	vci-statuslist new --bits 2 --uri "$issuer/status/badge" --output badge.list
	vci-serve --issuer "$issuer" --defn "$here/badge.json" \
		--key issuer.key --cert issuer.crt --state state \
		--status-list badge=badge.list --listen "127.0.0.1:$port" \
		--admin-listen "127.0.0.1:$admin" --tls-cert tls.crt --tls-key tls.key \
		--log access.log 2>server.err &
	pid=$!
	# ready when /health answers; generous, for a loaded machine
	i=0
	while [ $i -lt 600 ]; do
		kill -0 "$pid" 2>/dev/null || break
		curl -fsS --max-time 5 --cacert tls.crt "$issuer/health" >/dev/null 2>&1 && break
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && break
	wait "$pid" 2>/dev/null || true
	pid=
	if ! grep -q -i 'address already in use\|bind' server.err; then
		cat server.err >&2
		exit 1
	fi
done
[ -n "$pid" ] || { echo "issue.sh: vci-serve did not start" >&2; exit 1; }
get "$issuer/health"
echo
echo "issuer: $issuer (management listener on 127.0.0.1:$admin), vci-serve process $pid"
get "$issuer/.well-known/openid-credential-issuer" |
	"$py" -c 'import json, sys; m = json.load(sys.stdin); print("metadata: credential_issuer", m["credential_issuer"], "configurations", sorted(m["credential_configurations_supported"]))'

step "3. an offer from a pipeline, imported into the server"
echo '{"claims":{"given_name":"Erika","family_name":"Mustermann","employee_id":"E-1024","department":"Research"}}' |
	vci-offer --issuer "$issuer" --defn "$here/badge.json" --config badge \
		--tx-code 6 --by-reference "$issuer/offers" --qr --output offer.ndjson
vci-serve import --state state offer.ndjson
link=$(jget offer.ndjson 'j["offer_link"]')
tx=$(jget offer.ndjson 'j["tx_code"]')
echo "offer link: $link"
echo "transaction code (sent to the holder out of band): $tx"

step "4. the wallet completes the issuance"
"$py" "$holder" "$link" --tx-code "$tx" --ca issuer.crt --tls-ca tls.crt --expect-status \
	--save wallet >holder.json
"$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["credentials"]:
    print("received:", c["format"], "bound to the wallet key", c["holder_jwk"]["kty"], c["holder_jwk"].get("crv", ""),
          "status", json.dumps(c.get("status"), separators=(",", ":")))
print("checks passed:", len(r["checks"]))
' holder.json

step "5. the credential verified, its status read from the server"
vci-sign-sdjwt verify --ca issuer.crt wallet/0.sdjwt
idx=$(jget holder.json 'j["credentials"][0]["status"]["idx"]')
get "$issuer/status/badge" >status.jwt
printf 'status list entry %s: ' "$idx"
vci-statuslist check --idx "$idx" --ca issuer.crt --uri "$issuer/status/badge" <status.jwt

step "6. a second offer, over the management listener"
vci-serve apikey add --state state --name example >apikey.json
key=$(jget apikey.json 'j["key"]')
vci-serve apikey list --state state
curl -fsS --max-time 30 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d '{"credential_configuration_id":"badge","claims":{"given_name":"Ada","family_name":"Lovelace","employee_id":"E-1815"},"tx_code":"493536"}' \
	"http://127.0.0.1:$admin/offers" >offer2.json
cat offer2.json
echo
"$py" "$holder" "$(jget offer2.json 'j["credential_offer_uri"]')" --tx-code 493536 \
	--ca issuer.crt --tls-ca tls.crt --expect-status --save wallet >holder2.json
vci-sign-sdjwt verify --ca issuer.crt wallet/1.sdjwt

step "7. revoke that credential from the shell while the server runs"
idx2=$(jget holder2.json 'j["credentials"][0]["status"]["idx"]')
vci-statuslist set --list badge.list "$idx2" revoked
get "$issuer/status/badge" >status.jwt
for i in "$idx" "$idx2"; do
	s=$(vci-statuslist check --idx "$i" --ca issuer.crt --uri "$issuer/status/badge" <status.jwt) || true
	echo "status list entry $i: $s"
done

step "8. stop the server (SIGTERM: requests in progress finish first)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
echo "vci-serve exited with status $rc"
echo "access log: $(wc -l <access.log) requests (no code, token, nonce or proof in it), for example:"
grep -E '"path":"/(token|nonce|credential|notification)"' access.log | head -n 4
[ "$rc" -eq 0 ]
