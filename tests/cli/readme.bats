#!/usr/bin/env bats
# The README's shell examples run as printed, as jq runs its manual. Every
# fenced shell block (```sh, or bash, shell, console, or no language) is
# preceded by one of
#   <!-- test -->                 run with bash -e -o pipefail, must exit 0
#   <!-- test: exit N -->         the same, must exit N
#   <!-- not run: REASON -->      not run here; REASON names the test that
#                                 covers it (phone, remote host, HSM, ...)
# and a block with neither fails this test, so no README example goes
# untested unnoticed. The marked blocks run in README order in one
# directory holding the files they name (fixtures: issuer and document
# signer PKI, definitions, CSV files, wallets' requests with proofs, key
# and wallet attestations made with python3-jwcrypto as a wallet makes
# them, an SD-JWT+KB presentation). The one change made to a block before
# it runs: the vci-serve examples' ports 8080 and 8081 on 127.0.0.1 become
# free random ports. Each block runs under timeout in a process group of
# its own; what it left running in the background (vci-serve) is stopped
# with SIGTERM when it ends.

bats_require_minimum_version 1.5.0

load ../serve/lib

setup() {
	for t in vci-defn vci-offer vci-statuslist vci-sign-sdjwt vci-sign-mdoc vci-verify-proof vci-serve; do
		command -v $t >/dev/null || skip "$t not on PATH"
	done
	for t in curl jq openssl timeout; do
		command -v $t >/dev/null || skip "$t not installed"
	done
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
	D=$BATS_TEST_TMPDIR
	cd "$D"
}

ISS=https://issuer.example.com

# The files the README's examples name.
fixtures() {
	ln -s "$SRC/examples" examples
	mkdir -p tests && ln -s "$SRC/tests/vectors" tests/vectors
	cp "$SRC"/examples/definitions/*.json .
	cp "$SRC/examples/import/system-a-pid.json" system-a-definition.json
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
	openssl req -x509 -new -key issuer.key -subj /CN=issuer -days 30 -out issuer.crt 2>/dev/null
	cp issuer.crt issuer.pem
	# the mdoc document signer under its IACA root
	mkdir pki && make_pki pki 30
	cp pki/ca.crt iaca.crt && cp pki/issuer.key ds.key && cp pki/issuer.crt ds.crt
	# the attester of wallets and of their keys
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout wp.key \
		-out wallet-providers.pem -subj /CN=wallet-provider -days 2 2>/dev/null
	readme_block 'members.csv' csv >members.csv
	printf '%s\n' 'given_name,family_name,birthdate,nationalities,issuing_country,issuing_authority,record.id' \
		'Erika,Mustermann,1964-08-12,"[""DE""]",DE,DE,p-1' \
		'Max,Mustermann,1990-12-31,"[""DE""]",DE,DE,p-2' >people.csv
	printf '%s\n' 'record.id,given_name,family_name,employee_id,department' \
		's-1,Jane,Doe,E-1001,Engineering' 's-2,John,Roe,E-1002,' >staff.csv
	printf '{"id":"h-1","name":"Erika Mustermann","phone":"+4915112345678","claims":%s}\n' \
		"$(pid_claims Erika)" >holder.json
	openssl rand -out nonce.key 32
	wallet_requests
	# what the statuslist and signing examples start from: the requests,
	# checked against their definitions' policies
	vci-verify-proof --aud "$ISS" --nonce-key nonce.key --defn pid.json \
		--trust wallet-providers.pem <requests.ndjson >records.ndjson
	vci-statuslist new --bits 2 --uri "$ISS/status/mdl" --output mdl.list
	vci-verify-proof --aud "$ISS" --nonce-key nonce.key --defn mdl.json <mdl-requests.ndjson |
		vci-statuslist alloc --list mdl.list >bound.ndjson
	presentation
	dpop_proof
}

# dpop.jwt: a wallet's DPoP proof for POST https://issuer.example.com/token
dpop_proof() {
	"$PY" - "$ISS/token" <<'PYEOF' >dpop.jwt
import sys, json, time, uuid
from jwcrypto import jwk, jws
k = jwk.JWK.generate(kty='EC', crv='P-256')
t = jws.JWS(json.dumps({"htm": "POST", "htu": sys.argv[1], "iat": int(time.time()),
                        "jti": str(uuid.uuid4())}).encode())
t.add_signature(k, alg='ES256', protected=json.dumps(
    {"typ": "dpop+jwt", "alg": "ES256", "jwk": k.export_public(as_dict=True)}))
print(t.serialize(compact=True))
PYEOF
}

pid_claims() { # pid_claims GIVEN
	printf '{"given_name":"%s","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}' "$1"
}

# requests.ndjson: two PID credential requests as a wallet sends them (an
# ES256 proof with a key attestation, a wallet attestation and its PoP,
# the c_nonce of nonce.key); mdl-requests.ndjson: two mDL requests
wallet_requests() {
	local nonce
	nonce=$(vci-verify-proof nonce --nonce-key nonce.key | jq -r .c_nonce)
	"$PY" - "$ISS" "$nonce" "$(pid_claims Erika)" "$(pid_claims Max)" "$(claims mdl)" <<'PYEOF'
import sys, json, base64, subprocess, time
from jwcrypto import jwk, jws
iss, nonce = sys.argv[1], sys.argv[2]
pids, mdl = [json.loads(a) for a in sys.argv[3:5]], json.loads(sys.argv[5])
now = int(time.time())
wp = jwk.JWK.from_pem(open('wp.key', 'rb').read())
der = subprocess.run(['openssl', 'x509', '-in', 'wallet-providers.pem', '-outform', 'DER'],
                     capture_output=True, check=True).stdout
x5c = [base64.b64encode(der).decode()]
def sign(key, hdr, claims):
    t = jws.JWS(json.dumps(claims).encode())
    t.add_signature(key, alg='ES256', protected=json.dumps(hdr))
    return t.serialize(compact=True)
def proof(h, extra):
    hdr = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": h.export_public(as_dict=True)}
    hdr.update(extra)
    return sign(h, hdr, {"aud": iss, "iat": now, "nonce": nonce})
with open('requests.ndjson', 'w') as f:
    for i, c in enumerate(pids):
        h, inst = jwk.JWK.generate(kty='EC', crv='P-256'), jwk.JWK.generate(kty='EC', crv='P-256')
        ka = sign(wp, {"typ": "key-attestation+jwt", "alg": "ES256", "x5c": x5c},
                  {"iat": now, "exp": now + 3600, "attested_keys": [h.export_public(as_dict=True)],
                   "key_storage": ["iso_18045_high"], "user_authentication": ["iso_18045_high"],
                   "nonce": nonce})
        wa = sign(wp, {"typ": "oauth-client-attestation+jwt", "alg": "ES256", "x5c": x5c},
                  {"sub": "wallet-1", "iat": now, "exp": now + 3600,
                   "cnf": {"jwk": inst.export_public(as_dict=True)}})
        pop = sign(inst, {"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"},
                   {"aud": iss, "jti": "pop-%d" % i, "iat": now})
        f.write(json.dumps({"id": "p-%d" % (i + 1), "credential_configuration_id": "pid",
                            "claims": c, "proofs": {"jwt": [proof(h, {"key_attestation": ka})]},
                            "client_attestation": wa, "client_attestation_pop": pop}) + "\n")
with open('mdl-requests.ndjson', 'w') as f:
    for i in range(2):
        h = jwk.JWK.generate(kty='EC', crv='P-256')
        f.write(json.dumps({"id": "m-%d" % (i + 1), "credential_configuration_id": "mdl",
                            "claims": mdl, "proofs": {"jwt": [proof(h, {})]}}) + "\n")
PYEOF
}

# issuer.jwk, and presentation.txt: a PID signed with issuer.key for a
# holder key, presented with every disclosure and a KB-JWT for
# https://verifier.example.org and the nonce 1234567890
presentation() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out holder.pem 2>/dev/null
	"$PY" - <<'PYEOF' >issuer.jwk
import sys
from jwcrypto import jwk
print(jwk.JWK.from_pem(open('issuer.key', 'rb').read()).export_public())
PYEOF
	printf '{"id":"kb-1","credential_configuration_id":"pid","claims":%s,"holder_jwk":%s}\n' \
		"$(pid_claims Erika)" "$("$PY" -c 'from jwcrypto import jwk; print(jwk.JWK.from_pem(open("holder.pem","rb").read()).export_public())')" |
		vci-statuslist alloc --list mdl.list |
		vci-sign-sdjwt --defn pid.json --key issuer.key --cert issuer.crt --issuer "$ISS" \
			--unchecked-proofs --raw 2>/dev/null >kb.sdjwt
	"$PY" - <<'PYEOF' >presentation.txt
import base64, hashlib, json, time
from jwcrypto import jwk, jws
sd = open('kb.sdjwt').read().strip()
if not sd.endswith('~'):
    sd += '~'
h = jwk.JWK.from_pem(open('holder.pem', 'rb').read())
dig = base64.urlsafe_b64encode(hashlib.sha256(sd.encode()).digest()).rstrip(b'=').decode()
t = jws.JWS(json.dumps({"iat": int(time.time()), "aud": "https://verifier.example.org",
                        "nonce": "1234567890", "sd_hash": dig}).encode())
t.add_signature(h, alg='ES256', protected=json.dumps({"typ": "kb+jwt", "alg": "ES256"}))
print(sd + t.serialize(compact=True))
PYEOF
}

# The fenced block (```LANG) after the first line that contains WANT.
readme_block() {
	awk -v want="$1" -v lang="$2" '
		index($0, want) { found = 1; next }
		found && !on && $0 == "```" lang { on = 1; next }
		on && /^```/ { exit }
		on { print }' "$SRC/README.md"
}

# Every shell block: "LINE KIND STATUS" (KIND test, skip or none), and the
# text of each test block in block-LINE.sh. A marker counts only on the
# line right before the fence.
shell_blocks() {
	awk '
		!on && /^<!-- test(: exit [0-9]+)? -->$/ { mark = "test"; st = 0
			if (match($0, /exit [0-9]+/)) st = substr($0, RSTART + 5, RLENGTH - 5); next }
		!on && /^<!-- not run: [^ ].* -->$/ { mark = "skip"; st = 0; next }
		!on && /^```/ { on = 1; lang = substr($0, 4)
			if (lang ~ /^(sh|bash|shell|console|zsh)?$/) {
				print NR, (mark == "" ? "none" : mark), st
				if (mark == "test") { f = "block-" NR ".sh"; out = 1 }
			}
			mark = ""; next }
		on && /^```$/ { on = 0; if (out) close(f); out = 0; next }
		on && out { print > f; next }
		{ mark = "" }' "$SRC/README.md"
}

# stop_group PGID: SIGTERM to what is left of a block's process group, a
# bounded wait, then SIGKILL
stop_group() {
	local i
	kill -TERM -- "-$1" 2>/dev/null || return 0
	for i in $(seq 1 120); do
		kill -0 -- "-$1" 2>/dev/null || return 0
		sleep 0.25
	done
	echo "process group $1 ignored SIGTERM for 30 s; killed" >&2
	kill -KILL -- "-$1" 2>/dev/null || true
}

# run_block LINE: block-LINE.sh with the ports replaced, under timeout (a
# process group of its own), output in block-LINE.out; sets status
run_block() {
	local pid
	sed -i -e "s/127\.0\.0\.1:8080/127.0.0.1:$PORT/g" -e "s/127\.0\.0\.1:8081/127.0.0.1:$APORT/g" \
		"block-$1.sh"
	timeout -k 10 600 bash -e -o pipefail "block-$1.sh" >"block-$1.out" 2>&1 </dev/null &
	pid=$!
	status=0
	wait "$pid" || status=$?
	stop_group "$pid"
}

@test "README: every shell block is marked, and every marked test block runs as printed" {
	local line kind st n=0 failed=0 unmarked=0
	fixtures
	PORT=$(free_port)
	APORT=$(free_port)
	while [ "$APORT" = "$PORT" ]; do APORT=$(free_port); done
	while read -r line kind st; do
		case $kind in
		none)
			echo "README.md line $line: a shell block with neither <!-- test --> nor <!-- not run: REASON --> before it"
			unmarked=$((unmarked + 1)) ;;
		test)
			n=$((n + 1))
			run_block "$line"
			if [ "$status" -ne "$st" ]; then
				echo "README.md line $line: exit $status, expected $st"
				cat "block-$line.sh"
				tail -n 20 "block-$line.out"
				failed=$((failed + 1))
			fi ;;
		esac
	done < <(shell_blocks)
	echo "$n blocks run"
	[ "$unmarked" -eq 0 ]
	[ "$n" -ge 10 ]
	[ "$failed" -eq 0 ]
}

@test "README: a shell block without a marker is found" {
	SRC=$D/src
	mkdir -p "$SRC"
	printf '%s\n' '# x' '<!-- test -->' '```sh' 'true' '```' '```csv' 'a' '```' \
		'<!-- not run: needs a phone; tests/cli/x.bats -->' '```sh' 'false' '```' \
		'<!-- test -->' '' '```sh' 'false' '```' '```' 'x' '```' >"$SRC/README.md"
	run shell_blocks
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "3 test 0" ]
	[ "${lines[1]}" = "10 skip 0" ]
	[ "${lines[2]}" = "15 none 0" ]
	[ "${lines[3]}" = "18 none 0" ]
	[ "${#lines[@]}" -eq 4 ]
	[ "$(cat block-3.sh)" = true ]
}
