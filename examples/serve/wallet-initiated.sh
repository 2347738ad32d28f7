#!/bin/sh
# examples/serve/wallet-initiated.sh - the wallet-initiated authorization
# code flow on this machine only (the tools must be on PATH): no offer; the
# wallet asks the issuer for a credential, the user signs in at an OpenID
# Provider, and the credential carries the claims of the provider's ID
# token.
#   1. a throwaway issuer key and certificate, a status list and a state
#      directory in a temporary directory;
#   2. the OpenID Provider: the test suite's stand-in (tests/serve/op.py,
#      http on 127.0.0.1, ES256 ID tokens, the user signed in at once),
#      with this issuer registered as its client (the client file, mode
#      0600, is what vci-serve --oidc-client reads);
#   3. the badge definition with an oidc_claims mapping from ID token
#      claims to credential claims;
#   4. vci-serve on 127.0.0.1 with --oidc-issuer and --oidc-client;
#   5. the holder simulator (tests/serve/holder.py --flow wallet-init)
#      pushes its authorization request without issuer_state, follows the
#      redirects as a browser (to the provider and back through
#      /oidc/callback), redeems the code with PKCE and DPoP and gets the
#      credential;
#   6. the credential verified with vci-sign-sdjwt, its claims shown;
#   7. both servers stopped.
# Nothing is left behind: the temporary directory is removed and both
# servers stopped whatever happens.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
holder=${VCI_HOLDER:-$here/../../tests/serve/holder.py}
op=${VCI_OP:-$here/../../tests/serve/op.py}
py=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
pid=
oppid=
cleanup() {
	for p in "$pid" "$oppid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"

step() { printf '\n== %s\n' "$*"; }
free_port() {
	"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

step "1. issuer key and certificate, state directory"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 2 \
	-out issuer.crt 2>/dev/null
openssl x509 -in issuer.crt -noout -subject

step "2. the OpenID Provider, with this issuer as its client"
port=$(free_port)
issuer=http://127.0.0.1:$port
umask 077
printf '{"client_id":"vci-issuer","client_secret":"%s","scope":"openid profile","redirect_uri":"%s"}\n' \
	"$(openssl rand -hex 16)" "$issuer/oidc/callback" >client.json
umask 022
echo '{"sub":"emp-1024","given_name":"Erika","family_name":"Mustermann","preferred_username":"E-1024","department":"Research"}' >user.json
"$py" "$op" --port-file op.port --client client.json --claims user.json 2>op.err &
oppid=$!
i=0
while [ ! -s op.port ] && [ $i -lt 600 ]; do
	kill -0 "$oppid" 2>/dev/null || { cat op.err >&2; exit 1; }
	sleep 0.1
	i=$((i + 1))
done
[ -s op.port ] || { echo "wallet-initiated.sh: the provider did not start" >&2; exit 1; }
provider=http://127.0.0.1:$(cat op.port)
echo "OpenID Provider: $provider"
curl -fsS --max-time 30 "$provider/.well-known/openid-configuration" |
	"$py" -c 'import json, sys; d = json.load(sys.stdin); print("its token endpoint:", d["token_endpoint"])'

step "3. the badge definition, its claims from the ID token"
"$py" - "$here/badge.json" badge.json <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["oidc_claims"] = {"given_name": "given_name", "family_name": "family_name",
                    "employee_id": "preferred_username", "department": "department"}
json.dump(d, open(sys.argv[2], "w"), indent=1)
print("oidc_claims:", json.dumps(d["oidc_claims"]))
PYEOF
vci-statuslist new --bits 2 --uri "$issuer/status/badge" --output badge.list

step "4. vci-serve with the provider"
vci-serve --issuer "$issuer" --defn badge.json --key issuer.key --cert issuer.crt \
	--state state --status-list badge=badge.list --listen "127.0.0.1:$port" \
	--oidc-issuer "$provider" --oidc-client client.json --log access.log 2>server.err &
pid=$!
i=0
while [ $i -lt 600 ]; do
	kill -0 "$pid" 2>/dev/null || { cat server.err >&2; exit 1; }
	curl -fsS --max-time 5 "$issuer/health" >/dev/null 2>&1 && break
	sleep 0.1
	i=$((i + 1))
done
echo "issuer: $issuer, vci-serve process $pid"

step "5. the wallet asks for a badge; the user signs in at the provider"
"$py" "$holder" "$issuer" --flow wallet-init --config badge --no-attestation \
	--ca issuer.crt --save wallet >holder.json
"$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["checks"]:
    if c.startswith(("authorize", "PAR", "token")):
        print("  ", c)
' holder.json
grep -E '"path":"/(par|authorize|oidc/callback|token|credential)"' access.log |
	"$py" -c 'import json, sys
for l in sys.stdin:
    j = json.loads(l)
    print("   %s %s -> %d" % (j["method"], j["path"], j["status"]))'

step "6. the credential, verified"
vci-sign-sdjwt verify --ca issuer.crt wallet/0.sdjwt >verified.json
"$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))
c = r["credentials"][0]["claims"]
print("claims from the ID token:", json.dumps({k: c[k] for k in ("given_name", "family_name", "employee_id", "department")}))
' holder.json

step "7. stop the servers"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
kill -TERM "$oppid"
wait "$oppid" 2>/dev/null || true
oppid=
echo "vci-serve exited with status $rc"
[ "$rc" -eq 0 ]
