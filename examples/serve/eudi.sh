#!/bin/sh
# examples/serve/eudi.sh - the EUDI connector's issuance guide on
# vci-serve: the credential type from its SD-JWT VC Type Metadata
# (eudi/identity-credential.json), the issuance callback subscribed in the
# connector's format, and POST /offers with the guide's body
# (eudi/offer.json) pushed to a wallet's credential_offer_endpoint with the
# transaction code sent on a channel of its own. A small local listener
# (python3) stands for the wallet, the code's channel and the callback
# endpoint. Needs vci-serve, vci-statuslist, openssl, curl and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON3:-/usr/bin/python3}
. "$here/lib.sh"
iss=https://issuer.example.com

# The listener: each request as one line (method, path, query or body).
"$py" -c 'import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log(self, what):
        with open("heard", "a") as f:
            f.write("%s %s\n" % (self.command, what))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        self.log(self.path)
    def do_POST(self):
        self.log(self.path + " " + self.rfile.read(int(self.headers["Content-Length"])).decode())
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()' >listener.port &
example_bg $!
i=0
until [ -s listener.port ]; do
	i=$((i + 1)); [ "$i" -le 300 ] || exit 1; sleep 0.1
done
l=http://127.0.0.1:$(cat listener.port)

example_issuer_key signing-key.pem signing-cert.pem \
	"/CN=My Organization Issuer/O=My Organization/C=DE" 365
vci-statuslist new --method bitstring --uri "$iss/status/w3c" --output w3c.list
key=$(example_apikey connector)
example_serve --issuer "$iss" --defn "$here/../definitions/diploma.json" --key signing-key.pem \
	--cert signing-cert.pem --state state --status-list w3c.list
m=$admin
post() { curl -sS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "$1" "$m$2"; }

# The credential type from its Type Metadata.
echo "type: $(post "@$here/eudi/identity-credential.json" /definitions |
	sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)"
# The issuance callback, in the connector's format.
post "{\"url\":\"$l/callback/issuance\",\"events\":[\"offer.created\",\"credential.issued\",\"credential.error\",\"credential.failure\",\"offer.expired\"],\"secret\":\"whsec-example-0123456789\",\"format\":\"eudi-connector\"}" \
	/webhooks >webhook.out
echo "callback format: $(sed -n 's/.*"format":"\([^"]*\)".*/\1/p' webhook.out)"
# The guide's offer, pushed to the wallet, its code sent apart.
sed "s#^{#{\"send_to\": \"$l/wallet\", \"tx_code_to\": \"$l/sms\", \"tx_code\": {\"length\": 6},#" \
	"$here/eudi/offer.json" >offer.json
post @offer.json /offers >offer.out
echo "offer: $(sed -n 's/.*"delivery":{"status":\([0-9]*\).*/wallet endpoint answered \1/p' offer.out)"
i=0
until [ "$(grep -c . heard 2>/dev/null)" -ge 3 ]; do
	i=$((i + 1)); [ "$i" -le 300 ] || { cat heard; exit 1; }; sleep 0.1
done
sed -e 's/tx_code=[0-9]*/tx_code=NNNNNN/' -e 's/offer_id=[A-Za-z0-9_-]*/offer_id=ID/' \
	-e 's/offers%2F[A-Za-z0-9_-]*/offers%2FID/' -e 's/"eventId":"[^"]*"/"eventId":"..."/' \
	-e 's/"offerId":"[^"]*"/"offerId":"ID"/' heard | sort
