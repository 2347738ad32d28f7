#!/usr/bin/env bats
# vci-offer: offers, links decoded with Python's urllib.parse (not our
# parser), QR codes decoded with zbarimg (PNG, the terminal half blocks
# and the SVG turned back into images), delivery to a small HTTP listener
# on 127.0.0.1, seed request shapes, every documented refusal.

ISS=https://issuer.example.com

setup() {
	command -v vci-offer >/dev/null || skip "vci-offer not on PATH"
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	export VCI_NOW=1800000000
}

teardown() {
	if [ -n "${LPID:-}" ]; then
		kill "$LPID" 2>/dev/null || true
		wait "$LPID" 2>/dev/null || true
	fi
}

need_zbar() {
	command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) not installed"
}

# field NAME < record: the value of a top-level field, as JSON text
field() {
	"$PY" -c 'import sys, json
for l in sys.stdin:
    r = json.loads(l)
    v = r.get(sys.argv[1])
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1"
}

# decode LINK: the link's query decoded by urllib.parse, checked against
# the record's credential_offer; prints "prefix|param|value"
decode() {
	"$PY" -c 'import sys, json, urllib.parse
link = sys.argv[1]
u = urllib.parse.urlsplit(link)
q = urllib.parse.parse_qs(u.query, strict_parsing=True)
assert len(q) == 1, q
(k, v), = q.items()
assert len(v) == 1
print(link.split("?")[0] + "|" + k + "|" + v[0])' "$1"
}

# listener STATUSES: an HTTP server on 127.0.0.1 answering GETs with the
# comma-separated statuses in turn (the last one repeats), logging each
# request's path and query to $D/requests; sets PORT and LPID. Deliveries
# to it use --timeout 60: under load an answer can take longer than the
# default 10 s, and a timed-out attempt would change the attempts counted.
listener() {
	rm -f "$D/port" "$D/requests"
	"$PY" - "$1" "$D" <<'PYEOF' &
import sys, http.server
statuses = [int(s) for s in sys.argv[1].split(",")]
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    n = 0
    def do_GET(self):
        with open(d + "/requests", "a") as f:
            f.write(self.path + "\n")
        s = statuses[min(H.n, len(statuses) - 1)]
        H.n += 1
        self.send_response(s)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(d + "/port.tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(d + "/port.tmp", d + "/port")
srv.serve_forever()
PYEOF
	LPID=$!
	# Python's start-up alone can take seconds under load
	for _ in $(seq 1200); do
		[ -f "$D/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$D/port")
}

# request_param N NAME: parameter NAME of the Nth request, decoded by urllib
request_param() {
	"$PY" -c 'import sys, urllib.parse
line = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1]
print(urllib.parse.parse_qs(urllib.parse.urlsplit(line).query)[sys.argv[3]][0])' "$D/requests" "$1" "$2"
}

# term2pgm TEXT PGM: the terminal rendering back to an image
term2pgm() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys, re
t = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], encoding="utf-8").read())
lines = [l for l in t.split("\n") if l]
w = max(len(l) for l in lines)
rows = []
for l in lines:
    l = l.ljust(w)
    rows.append([c in "\u2588\u2580" for c in l])
    rows.append([c in "\u2588\u2584" for c in l])
s = 4
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (w * s, len(rows) * s))
    for r in rows:
        line = bytes(0 if v else 255 for v in r for _ in range(s))
        f.write(line * s)
PYEOF
}

# svg2pgm SVG PGM: rasterise our SVG (a path of "Mx yhNv1h-Nz" runs)
svg2pgm() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys, re
svg = open(sys.argv[1]).read()
size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
dark = set()
for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", re.search(r' d="([^"]*)"', svg).group(1)):
    for i in range(int(n)):
        dark.add((int(x) + i, int(y)))
s = 4
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (size * s, size * s))
    for y in range(size):
        line = bytes(0 if (x, y) in dark else 255 for x in range(size) for _ in range(s))
        f.write(line * s)
PYEOF
}

@test "default: a pre-authorized offer by value; the link decodes (urllib) to the record's offer" {
	run sh -c "echo '{\"id\":\"h-1\",\"claims\":{\"given_name\":\"Erika\"}}' | vci-offer --issuer $ISS --config pid"
	[ "$status" -eq 0 ]
	echo "$output" >"$D/r"
	[[ $output == '{"id":"h-1","claims":{"given_name":"Erika"},"offer_id":"'* ]]
	[ "$(field credential_configuration_id <"$D/r")" = pid ]
	[ "$(field expires_at <"$D/r")" = 1800000600 ]
	code=$(field pre_authorized_code <"$D/r")
	[[ $code =~ ^[A-Za-z0-9_-]{43}$ ]]
	[ "$(field tx_code <"$D/r")" = null ] || [ "$(field tx_code <"$D/r")" = null ]
	link=$(field offer_link <"$D/r")
	run decode "$link"
	[ "$status" -eq 0 ]
	[[ $output == 'openid-credential-offer://|credential_offer|'* ]]
	[ "$("$PY" -c 'import sys, json; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "${output#*|credential_offer|}")" = \
	  "$(field credential_offer <"$D/r" | "$PY" -c 'import sys, json; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" ]
	[[ $output == *"\"pre-authorized_code\":\"$code\""* ]]
	[[ $link == *'%7B%22credential_issuer%22:%22https://issuer.example.com%22,%22credential_configuration_ids%22:%5B%22pid%22%5D'* ]]
}

@test "two offers never share a code or an id; several --config ids set no credential_configuration_id" {
	printf '{}\n{}\n' | vci-offer --issuer "$ISS" --config pid,mdl --ttl 60 >"$D/r"
	[ "$(field pre_authorized_code <"$D/r" | sort -u | wc -l)" -eq 2 ]
	[ "$(field offer_id <"$D/r" | sort -u | wc -l)" -eq 2 ]
	[ "$(field credential_configuration_id <"$D/r" | sort -u)" = null ]
	[ "$(field expires_at <"$D/r" | sort -u)" = 1800000060 ]
	[[ $(cat "$D/r") == *'"credential_configuration_ids":["pid","mdl"]'* ]]
}

@test "--tx-code: numeric and text codes, description, given value; only the record holds the code" {
	echo '{}' | vci-offer --issuer "$ISS" --config pid --tx-code 6 \
		--tx-code-description 'Sent by SMS' >"$D/r"
	tx=$(field tx_code <"$D/r")
	[[ $tx =~ ^[0-9]{6}$ ]]
	[[ $(field credential_offer <"$D/r") == *'"tx_code":{"input_mode":"numeric","length":6,"description":"Sent by SMS"}'* ]]
	[[ $(field credential_offer <"$D/r") != *"$tx"* ]]
	echo '{}' | vci-offer --issuer "$ISS" --config pid --tx-code 8 --tx-code-mode text >"$D/r"
	[[ $(field tx_code <"$D/r") =~ ^[A-HJ-NP-Z2-9]{8}$ ]]
	echo '{}' | vci-offer --issuer "$ISS" --config pid --tx-code-value 4711 >"$D/r"
	[ "$(field tx_code <"$D/r")" = 4711 ]
}

@test "refusals: tx_code length out of range, value not numeric, options without a code (exit 2)" {
	for n in 3 33 x; do
		run vci-offer --issuer "$ISS" --config pid --tx-code "$n"
		[ "$status" -eq 2 ]
		[[ $output == *'vci-offer: --tx-code'* ]]
	done
	run vci-offer --issuer "$ISS" --config pid --tx-code-value 12a4
	[ "$status" -eq 2 ]
	[[ $output == *'input_mode numeric allows digits only'* ]]
	run vci-offer --issuer "$ISS" --config pid --tx-code-value 123
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --tx-code-mode text
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --tx-code-mode emoji --tx-code 4
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --tx-code 4 --tx-code-value 1234
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --tx-code 4 --tx-code-description "$(printf '%301s' x)"
	[ "$status" -eq 2 ]
	[[ $output == *'more than 300 characters'* ]]
	run vci-offer --issuer "$ISS" --config pid --tx-code 4 --no-pre-authorized-code --auth-code
	[ "$status" -eq 2 ]
}

@test "refusals: issuer URL with query or fragment, http, missing; exit 2, one line" {
	for u in "$ISS?x=1" "$ISS#f" http://issuer.example.com ftp://x issuer.example.com; do
		run vci-offer --issuer "$u" --config pid </dev/null
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == "vci-offer: --issuer: $u is not an https URL without query or fragment" ]]
	done
	run vci-offer --config pid </dev/null
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'vci-offer: --issuer URL (the credential issuer identifier) is required' ]]
}

@test "schemes: haip-vci, haip, custom, https universal link; illegal characters refused (exit 2)" {
	for s in haip-vci haip 'haip://' eudi-openid4ci; do
		echo '{}' | vci-offer --issuer "$ISS" --config pid --scheme "$s" >"$D/r"
		link=$(field offer_link <"$D/r")
		run decode "$link"
		[ "$status" -eq 0 ]
		[[ $output == "${s%://}://|credential_offer|{"* ]]
	done
	echo '{}' | vci-offer --issuer "$ISS" --config pid --scheme 'https://wallet.example.com/offer?lang=de' >"$D/r"
	link=$(field offer_link <"$D/r")
	[[ $link == 'https://wallet.example.com/offer?lang=de&credential_offer=%7B'* ]]
	for s in 'bad scheme' 'a_b' '9x' 'openid%2Doffer' 'x:y' '' http https 'https://w.example/#f'; do
		run vci-offer --issuer "$ISS" --config pid --scheme "$s" </dev/null
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == 'vci-offer: --scheme: '* ]]
	done
}

@test "--by-reference and --offer-dir: the hosted offer equals the record's, the URI decodes" {
	mkdir "$D/offers"
	echo '{}' | vci-offer --issuer "$ISS" --config pid --scheme haip-vci \
		--by-reference "$ISS/offers/" --offer-dir "$D/offers" >"$D/r"
	id=$(field offer_id <"$D/r")
	link=$(field offer_link <"$D/r")
	[[ $link == "haip-vci://?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foffers%2F$id" ]]
	run decode "$link"
	[ "$output" = "haip-vci://|credential_offer_uri|$ISS/offers/$id" ]
	[ "$(cat "$D/offers/$id.json")" = "$(field credential_offer <"$D/r")" ]
	[ "$(stat -c %a "$D/offers/$id.json")" = 600 ] # it holds the pre-authorized code
	run vci-offer --issuer "$ISS" --config pid --offer-dir "$D/offers"
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o?x=1"
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" --offer-dir "$D/none" </dev/null
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == "vci-offer: --offer-dir: $D/none: not a directory" ]]
}

@test "grants: --auth-code with --issuer-state, --no-pre-authorized-code, --authorization-server, --draft13" {
	echo '{}' | vci-offer --issuer "$ISS" --config pid --auth-code --issuer-state st-1 \
		--authorization-server https://as.example.com --draft13 --tx-code 4 >"$D/r"
	o=$(field credential_offer <"$D/r")
	[[ $o == *'"credentials":["pid"]'* ]]
	[[ $o == *'"authorization_code":{"issuer_state":"st-1","authorization_server":"https://as.example.com"}'* ]]
	[[ $o == *'"user_pin_required":true,"authorization_server":"https://as.example.com"'* ]]
	[ "$(field issuer_state <"$D/r")" = st-1 ]
	echo '{}' | vci-offer --issuer "$ISS" --config pid --auth-code --no-pre-authorized-code >"$D/r"
	[[ $(field credential_offer <"$D/r") == *'"grants":{"authorization_code":{"issuer_state":"'*'"}}}' ]]
	[ "$(field pre_authorized_code <"$D/r")" = null ]
	run vci-offer --issuer "$ISS" --config pid --no-pre-authorized-code
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --issuer-state s
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --authorization-server http://as.example.com
	[ "$status" -eq 2 ]
}

@test "known ids: --defn and --metadata; unknown config id refused (usage or error record)" {
	defs="$SRC/examples/definitions"
	run vci-offer --issuer "$ISS" --defn "$defs/pid.json" --config nope </dev/null
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "vci-offer: --config: credential configuration \"nope\": not in $defs/pid.json" ]]
	id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$defs/pid.json")
	printf '{"credential_configuration_id":"%s"}\n{"credential_configuration_id":"other"}\n' "$id" |
		vci-offer --issuer "$ISS" --defn "$defs/pid.json" >"$D/r" 2>"$D/e" || s=$?
	[ "${s:-0}" -eq 1 ]
	[ "$(sed -n 1p "$D/r" | field credential_configuration_id)" = "$id" ]
	[[ $(sed -n 2p "$D/r") == *'"error":{"code":"unknown_credential_configuration","message":"credential configuration \"other\": not in '* ]]
	grep -q 'vci-offer: 2 records, 1 ok, 1 failed' "$D/e"
	vci-defn metadata --issuer "$ISS" "$defs/pid.json" >"$D/md.json"
	echo '{}' | vci-offer --issuer "$ISS" --metadata "$D/md.json" --config "$id" >"$D/r"
	run vci-offer --issuer https://other.example.com --metadata "$D/md.json" --config "$id" </dev/null
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == *'credential_issuer is not --issuer https://other.example.com' ]]
	run vci-offer --issuer "$ISS" --metadata "$D/md.json" --config "$id" --authorization-server https://as.example.com </dev/null
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --defn "$D/missing.json" --config x </dev/null
	[ "$status" -eq 3 ]
	run vci-offer --issuer "$ISS" --config 'has space'
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = 'vci-offer: --config: "has space" is not a credential configuration id' ]
	run vci-offer --issuer "$ISS" --config ,
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = 'vci-offer: --config: empty list' ]
}

@test "seed shapes: system A issue-credential body and system D POST /offers body" {
	echo '{"issuanceMode":"InTime","urlScheme":"haip://","credentialDefinitionId":"pid-a","userPin":"8642","credentialOfferEndpoint":"https://wallet.example/offer","credentials":[{"credentialConfigurationId":"pid-a","claims":{"given_name":"Erika"}}]}' |
		vci-offer --issuer "$ISS" >"$D/r"
	[ "$(field credential_configuration_id <"$D/r")" = pid-a ]
	[ "$(field tx_code <"$D/r")" = 8642 ]
	[ "$(field userPin <"$D/r")" = null ]
	[ "$(field claims <"$D/r")" = '{"given_name":"Erika"}' ]
	[ "$(field issuanceMode <"$D/r")" = InTime ]
	[[ $(field offer_link <"$D/r") == 'haip://?credential_offer='* ]]
	[[ $(field credential_offer <"$D/r") == *'"tx_code":{"input_mode":"numeric","length":4}'* ]]
	echo '{"issuanceMode":"Deferred","credentialDefinitionId":"vc","userPin":"","credentials":[{"type":["VerifiableCredential"],"credentialSubject":{"name":"Ada"}}]}' |
		vci-offer --issuer "$ISS" >"$D/r"
	[ "$(field claims <"$D/r")" = '{"name":"Ada"}' ]
	[ "$(field tx_code <"$D/r")" = null ]
	echo '{"credential_configuration_id":"IdentityCredential","claims":{"given_name":"Erika","family_name":"Mustermann"},"tx_code":{"length":5,"input_mode":"numeric","description":"by mail"}}' |
		vci-offer --issuer "$ISS" --by-reference "$ISS/oidc4vci/offers" >"$D/r"
	[[ $(field tx_code <"$D/r") =~ ^[0-9]{5}$ ]]
	[[ $(field credential_offer <"$D/r") == *'"tx_code":{"input_mode":"numeric","length":5,"description":"by mail"}'* ]]
	[[ $(field offer_link <"$D/r") == "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foidc4vci%2Foffers%2F$(field offer_id <"$D/r")" ]]
	echo '{"credential_configuration_id":"x","tx_code":{"value":"AB12","input_mode":"text"}}' |
		vci-offer --issuer "$ISS" >"$D/r"
	[ "$(field tx_code <"$D/r")" = AB12 ]
	run sh -c "echo '{\"issuanceMode\":\"Later\",\"credentialDefinitionId\":\"x\"}' | vci-offer --issuer $ISS"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_request","message":"issuanceMode: expected InTime or Deferred"'* ]]
	run sh -c "echo '{\"urlScheme\":\"ftp://\",\"credentialDefinitionId\":\"x\"}' | vci-offer --issuer $ISS"
	[ "$status" -eq 1 ]
	run sh -c "echo '{\"credential_configuration_id\":\"x\",\"tx_code\":{\"length\":40}}' | vci-offer --issuer $ISS"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_tx_code"'* ]]
}

@test "records: no id anywhere, an existing offer, offer_id kept or refused" {
	run sh -c "echo '{}' | vci-offer --issuer $ISS"
	[ "$status" -eq 1 ]
	[[ $output == *'no credential configuration id: give --config or a record field credential_configuration_id'* ]]
	run sh -c "echo '{\"credential_offer\":{}}' | vci-offer --issuer $ISS --config pid"
	[ "$status" -eq 1 ]
	[[ $output == *'record already has an offer'* ]]
	echo '{"offer_id":"abc123def456"}' | vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/offers" >"$D/r"
	[[ $(field offer_link <"$D/r") == *'%2Foffers%2Fabc123def456' ]]
	run sh -c "echo '{\"offer_id\":\"../x\"}' | vci-offer --issuer $ISS --config pid"
	[ "$status" -eq 1 ]
	[[ $output == *'offer_id: expected 1 to 128 characters'* ]]
}

@test "QR PNG and SVG decode (zbarimg) to exactly the record's link; --qr-ecc, --qr-scale" {
	need_zbar
	cd "$D"
	echo '{}' | vci-offer --issuer "$ISS" --config pid --tx-code 6 --qr-png 'qr-{offer_id}.png' \
		--qr-svg 'qr-{offer_id}.svg' --qr-ecc H --qr-scale 4 >"$D/r"
	id=$(field offer_id <"$D/r")
	[ "$(field qr_png <"$D/r")" = "qr-$id.png" ]
	[ "$(zbarimg -q --raw "qr-$id.png")" = "$(field offer_link <"$D/r")" ]
	svg2pgm "qr-$id.svg" svg.pgm
	[ "$(zbarimg -q --raw svg.pgm)" = "$(field offer_link <"$D/r")" ]
	run vci-offer --issuer "$ISS" --config pid --qr-ecc X
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --qr-scale 0
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --qr-png 'a-{id}.png'
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'vci-offer: --qr-png: a-{id}.png: only {offer_id} may be in braces' ]]
}

@test "--qr: terminal half blocks decode to the link; records go to --output; width warning" {
	need_zbar
	cd "$D"
	echo '{}' | COLUMNS=200 vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/o" \
		--qr --output r.ndjson >term.txt 2>err.txt
	[ ! -s err.txt ]
	grep -q $'\033\\[30;107m' term.txt
	term2pgm term.txt term.pgm
	[ "$(zbarimg -q --raw term.pgm)" = "$(field offer_link <r.ndjson)" ]
	echo '{}' | COLUMNS=20 vci-offer --issuer "$ISS" --config pid --qr --output r.ndjson >term.txt 2>err.txt
	grep -q '^vci-offer: warning: the QR code is [0-9]* columns wide, the terminal 20: --by-reference makes it smaller$' err.txt
	! grep -q "$(field pre_authorized_code <r.ndjson)" err.txt
	term2pgm term.txt term.pgm
	[ "$(zbarimg -q --raw term.pgm)" = "$(field offer_link <r.ndjson)" ]
	run vci-offer --issuer "$ISS" --config pid --qr
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'vci-offer: --qr prints QR codes on standard output: give --output FILE for the records' ]]
}

@test "a link too long for a QR code is an error record suggesting --by-reference" {
	ids=$(for i in $(seq 20); do printf 'c%03d%s,' "$i" "$(printf '%0200d' 0 | tr 0 x)"; done)
	run sh -c "echo '{}' | vci-offer --issuer $ISS --config '${ids%,}' --qr-png '$D/x.png'"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"qr_too_large","message":"use --by-reference for a shorter link: QR code: '* ]]
	[ ! -e "$D/x.png" ]
}

@test "a PNG path without {offer_id} names one file: the second record fails" {
	cd "$D"
	run sh -c "printf '{}\n{}\n' | vci-offer --issuer $ISS --config pid --jobs 1 --qr-png one.png"
	[ "$status" -eq 1 ]
	[[ ${lines[1]} == *'put {offer_id} in the name'* ]]
	[ -s one.png ]
}

@test "CSV batch of 1,000 rows with a bad row: one PNG per good row, error record, order kept" {
	need_zbar
	cd "$D"
	{
		echo 'given_name,family_name,record.offer_id'
		for i in $(seq 1000); do
			if [ "$i" -eq 500 ]; then
				echo 'Bad,"row'
				echo 'x",extra,field'
			else
				echo "Name$i,Family$i,row$i"
			fi
		done
	} >people.csv
	mkdir qr
	run vci-offer --issuer "$ISS" --config pid --by-reference "$ISS/offers" --jobs 2 \
		--qr-png 'qr/{offer_id}.png' --qr-scale 2 --csv people.csv --output out.ndjson
	[ "$status" -eq 1 ]
	[[ $output == *'vci-offer: 1000 records, 999 ok, 1 failed'* ]]
	[ "$(wc -l <out.ndjson)" -eq 1000 ]
	[ "$(ls qr | wc -l)" -eq 999 ]
	[ "$(grep -c '"error"' out.ndjson)" -eq 1 ]
	[ "$(sed -n 1000p out.ndjson | field offer_id)" = row1000 ]
	[ "$(sed -n 499p out.ndjson | field offer_id)" = row499 ]
	[ "$(sed -n 501p out.ndjson | field offer_id)" = row501 ]
	for i in 1 777 1000; do
		[ "$(zbarimg -q --raw "qr/row$i.png")" = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foffers%2Frow$i" ]
	done
}

@test "--output is atomic: a fatal input error leaves no file" {
	cd "$D"
	printf 'a,a\n1,2\n' >dup.csv
	run vci-offer --issuer "$ISS" --config pid --csv dup.csv --output out.ndjson
	[ "$status" -eq 3 ]
	[ ! -e out.ndjson ]
	[ -z "$(ls -A "$D" | grep -v dup.csv)" ]
}

@test "--send: GET to the wallet endpoint with credential_offer; status recorded" {
	listener 200
	echo '{}' | vci-offer --issuer "$ISS" --config pid --timeout 60 --send "http://127.0.0.1:$PORT/cb" >"$D/r"
	[ "$(field delivery <"$D/r")" = '{"status":200,"attempts":1}' ]
	[[ $(sed -n 1p "$D/requests") == '/cb?credential_offer=%7B%22credential_issuer%22:%22https://issuer.example.com%22,'* ]]
	[ "$(request_param 1 credential_offer)" = "$(field credential_offer <"$D/r")" ]
}

@test "--send retries a 500 and records the attempts; --send-field; by reference" {
	listener 500,200
	echo "{\"wallet\":\"http://127.0.0.1:$PORT/offer?x=1\"}" |
		vci-offer --issuer "$ISS" --config pid --timeout 60 --by-reference "$ISS/o" --send-field wallet >"$D/r"
	[ "$(field delivery <"$D/r")" = '{"status":200,"attempts":2}' ]
	[ "$(wc -l <"$D/requests")" -eq 2 ]
	[ "$(request_param 2 credential_offer_uri)" = "$ISS/o/$(field offer_id <"$D/r")" ]
	[ "$(request_param 2 x)" = 1 ]
	run sh -c "echo '{}' | vci-offer --issuer $ISS --config pid --send-field wallet"
	[ "$status" -eq 1 ]
	[[ $output == *'"message":"wallet: missing or not a string (--send-field)"'* ]]
	run sh -c "echo '{\"wallet\":\"http://10.1.2.3/x\"}' | vci-offer --issuer $ISS --config pid --send-field wallet"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"invalid_url"'* ]]
}

@test "--send failing after the retries: error record delivery_failed, hosted offer removed, no secret on stderr" {
	listener 503
	mkdir "$D/offers"
	run sh -c "echo '{}' | vci-offer --issuer $ISS --config pid --by-reference $ISS/o --offer-dir $D/offers --retries 1 --timeout 60 --send http://127.0.0.1:$PORT/cb 2>$D/err"
	[ "$status" -eq 1 ]
	[[ $output == *'"error":{"code":"delivery_failed","message":"offer delivery: 127.0.0.1:'"$PORT"': HTTP 503 after 2 attempts"}'* ]]
	[[ $output != *pre_authorized_code* ]]
	[ "$(wc -l <"$D/requests")" -eq 2 ]
	[ -z "$(ls -A "$D/offers")" ]
	! grep -q credential_offer "$D/err"
}

@test "--send: a 404 is not retried; a closed port is a connection error; --timeout and --retries checked" {
	listener 404
	run sh -c "echo '{}' | vci-offer --issuer $ISS --config pid --retries 3 --timeout 60 --send http://127.0.0.1:$PORT/cb"
	[ "$status" -eq 1 ]
	[[ $output == *'HTTP 404 after 1 attempt"'* ]]
	kill "$LPID"
	wait "$LPID" 2>/dev/null || true
	LPID=
	run sh -c "echo '{}' | vci-offer --issuer $ISS --config pid --retries 0 --timeout 2 --send http://127.0.0.1:$PORT/cb"
	[ "$status" -eq 1 ]
	[[ $output == *'"code":"delivery_failed"'*'after 1 attempt"'* ]]
	run vci-offer --issuer "$ISS" --config pid --send https://user:secret@wallet.example.com/cb
	[ "$status" -eq 2 ]
	[[ $output != *secret* ]]
	run vci-offer --issuer "$ISS" --config pid --send http://wallet.example.com/cb
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --send https://w.example/cb --send-field x
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --retries 11
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --timeout 0
	[ "$status" -eq 2 ]
	run vci-offer --issuer "$ISS" --config pid --ttl 0
	[ "$status" -eq 2 ]
}

@test "--tx-code-to delivers offer_id and tx_code out of band before the offer" {
	listener 200
	echo '{}' | vci-offer --issuer "$ISS" --config pid --tx-code 6 --timeout 60 \
		--tx-code-to "http://127.0.0.1:$PORT/sms" --send "http://127.0.0.1:$PORT/wallet" >"$D/r"
	[[ $(sed -n 1p "$D/requests") == /sms?* ]]
	[[ $(sed -n 2p "$D/requests") == /wallet?* ]]
	[ "$(request_param 1 tx_code)" = "$(field tx_code <"$D/r")" ]
	[ "$(request_param 1 offer_id)" = "$(field offer_id <"$D/r")" ]
	[ "$(field tx_code_delivery <"$D/r")" = '{"status":200,"attempts":1}' ]
	run vci-offer --issuer "$ISS" --config pid --tx-code-to ftp://x
	[ "$status" -eq 2 ]
}

@test "--jobs 2 keeps input order; error records from bad NDJSON pass through" {
	{
		for i in $(seq 50); do printf '{"n":%d}\n' "$i"; done
		echo '{bad'
	} | vci-offer --issuer "$ISS" --config pid --jobs 2 >"$D/r" 2>/dev/null || s=$?
	[ "${s:-0}" -eq 1 ]
	[ "$(field n <"$D/r" | head -50 | tr '\n' ' ')" = "$(seq 50 | tr '\n' ' ')" ]
	[[ $(tail -n 1 "$D/r") == *'"code":"invalid_json"'* ]]
}

@test "the man page documents every option --help lists; completions know them too" {
	for o in $(vci-offer --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -q -- "Fl -${o#--}" "$SRC/man/vci-offer.1" || { echo "man: missing $o"; return 1; }
		grep -q -- "$o" "$SRC/completions/bash/vci-offer" || { echo "bash: missing $o"; return 1; }
		grep -q -- "$o" "$SRC/completions/zsh/_vci-offer" || { echo "zsh: missing $o"; return 1; }
		grep -q -- "-l ${o#--}" "$SRC/completions/fish/vci-offer.fish" || { echo "fish: missing $o"; return 1; }
	done
}

@test "examples: a terminal QR offer and a CSV batch writing one PNG per row" {
	need_zbar
	cd "$D"
	run sh "$SRC/examples/offer-qr.sh"
	[ "$status" -eq 0 ]
	[[ $output == *'decoded: openid-credential-offer://?credential_offer_uri='* ]]
	run sh "$SRC/examples/offer-batch.sh"
	[ "$status" -eq 0 ]
	[[ $output == *'3 PNG files'* ]]
}

@test "--tx-code-to takes the record's fields: {phone} in the URL, or the whole URL from a field" {
	listener 200
	printf '%s\n' '{"id":"r1","claims":{"phone":"+49 170 123"}}' '{"id":"r2","claims":{}}' |
		vci-offer --issuer "$ISS" --config pid --tx-code 6 --timeout 60 \
			--tx-code-to "http://127.0.0.1:$PORT/sms?to={phone}" >"$D/r" || true
	[ "$(request_param 1 to)" = "+49 170 123" ]
	[ "$(request_param 1 tx_code)" = "$(sed -n 1p "$D/r" | field tx_code)" ]
	# a record without the field: an error record, no offer
	[[ $(sed -n 2p "$D/r") == *'"error":{"code":"invalid_request","message":"--tx-code-to: the record has no phone to deliver the transaction code to"}'* ]]
	[[ $(sed -n 2p "$D/r") != *pre_authorized_code* ]]
	# the whole URL from a field (claims.sms_url, a dotted path)
	echo "{\"claims\":{\"sms_url\":\"http://127.0.0.1:$PORT/x\"}}" |
		vci-offer --issuer "$ISS" --config pid --tx-code 6 --timeout 60 \
			--tx-code-to '{claims.sms_url}' >"$D/r2"
	[[ $(sed -n 2p "$D/requests") == /x?offer_id=* ]]
	run sh -c "echo '{\"claims\":{\"sms_url\":\"http://10.0.0.1/x\"}}' | vci-offer --issuer $ISS --config pid --tx-code 6 --tx-code-to '{sms_url}'"
	[ "$status" -eq 1 ]
	[[ $output == *'--tx-code-to: not an https URL for this record'* ]]
	run vci-offer --issuer "$ISS" --config pid --tx-code-to 'ftp://{host}/x'
	[ "$status" -eq 2 ]
}

@test "--qr: each terminal QR code is labelled with the record and the code to type" {
	printf '%s\n' '{"id":"h-1","claims":{"given_name":"Ada","family_name":"L"}}' '{"claims":{"name":"Bo"}}' |
		vci-offer --issuer "$ISS" --config pid --tx-code 6 --by-reference "$ISS/o" --qr \
			--output "$D/r.ndjson" >"$D/term"
	grep -q "^h-1 Ada L, offer $(sed -n 1p "$D/r.ndjson" | field offer_id)\$" "$D/term"
	grep -q "^Bo, offer $(sed -n 2p "$D/r.ndjson" | field offer_id)\$" "$D/term"
	grep -q "^transaction code to type: $(sed -n 1p "$D/r.ndjson" | field tx_code)\$" "$D/term"
	grep -q "^transaction code to type: $(sed -n 2p "$D/r.ndjson" | field tx_code)\$" "$D/term"
}
