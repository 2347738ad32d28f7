#!/bin/sh
# examples/statuslist.sh - revocation and suspension with a Token Status
# List: give three issued credentials their status entries, revoke one,
# suspend another, sign the list and read each status back with `check`,
# as a relying party would. Needs vci-statuslist and openssl on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A status list signing key and its certificate (x5c in the token).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signer.pem 2>/dev/null
openssl req -x509 -new -key signer.pem -subj "/CN=Example Status Issuer" -days 30 \
	-out signer.crt 2>/dev/null

# A 2-bit list (valid, invalid, suspended, one application value).
vci-statuslist new --bits 2 --uri https://issuer.example/statuslists/1 --output sl.list

# Three issuance records get their status entries.
printf '%s\n' '{"claims":{"given_name":"Ada"}}' '{"claims":{"given_name":"Grace"}}' \
	'{"claims":{"given_name":"Edsger"}}' |
	vci-statuslist alloc --list sl.list >issued.ndjson 2>/dev/null
cat issued.ndjson

idx() { sed -n "${1}p" issued.ndjson | sed 's/.*"idx":\([0-9]*\).*/\1/'; }
ada=$(idx 1) grace=$(idx 2) edsger=$(idx 3)

vci-statuslist set --list sl.list "$grace" revoked
vci-statuslist set --list sl.list "$edsger" suspended

vci-statuslist sign --list sl.list --key signer.pem --cert signer.crt --ttl 600 --output sl.jwt

for who in ada grace edsger; do
	eval i=\$$who
	# check exits 1 for anything but valid: report it, do not stop
	status=$(vci-statuslist check --idx "$i" --ca signer.crt \
		--uri https://issuer.example/statuslists/1 <sl.jwt) || true
	echo "$who (index $i): $status"
done
