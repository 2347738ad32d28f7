#!/usr/bin/env bats
# One way to set "now": --now TIME (RFC 3339 or seconds since the epoch)
# on every verify command and VCI_NOW for every tool; the former --at,
# --iat and VCI_TEST_NOW still read for one release, not listed by --help.

bats_require_minimum_version 1.5.0

setup() {
	for t in vci-verify-proof vci-sign-sdjwt vci-sign-mdoc vci-statuslist vci-offer; do
		command -v $t >/dev/null || skip "$t not on PATH"
	done
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	D=$BATS_TEST_TMPDIR
	cd "$D"
	unset VCI_NOW VCI_TEST_NOW
	openssl rand -out nonce.key 32
}

iat_of() { cut -d. -f2 "$1" | tr '_-' '/+' | base64 -d 2>/dev/null | sed 's/.*"iat":\([0-9]*\).*/\1/'; }

@test "--now takes RFC 3339 and epoch seconds, the same instant either way" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.pem 2>/dev/null
	vci-statuslist new --bits 1 --size 16 --uri https://i.example/s/1 --output l
	vci-statuslist sign --list l --key s.pem --kid k --now 2030-01-02T03:04:05Z --output a.jwt
	vci-statuslist sign --list l --key s.pem --kid k --now 1893553445 --output b.jwt
	vci-statuslist sign --list l --key s.pem --kid k --now 2030-01-02T04:04:05+01:00 --output c.jwt
	[ "$(iat_of a.jwt)" = 1893553445 ]
	[ "$(iat_of b.jwt)" = 1893553445 ]
	[ "$(iat_of c.jwt)" = 1893553445 ]
	for t in vci-verify-proof "vci-sign-mdoc verify" "vci-sign-sdjwt verify"; do
		run $t --now yesterday --cert x
		[ "$status" -eq 2 ]
		[[ $output == *"--now: 'yesterday': expected an RFC 3339 date-time"* ]]
	done
}

@test "VCI_NOW sets the time of every tool; --now wins; a bad VCI_NOW is a usage error" {
	VCI_NOW=2030-01-02T03:04:05Z run vci-offer --issuer https://i.example --config pid <<<'{"claims":{}}'
	[ "$status" -eq 0 ]
	[[ $output == *'"expires_at":18935'* ]]
	VCI_NOW=1893553445 run vci-offer --issuer https://i.example --config pid <<<'{"claims":{}}'
	[[ $output == *'"expires_at":18935'* ]]
	VCI_NOW=soon run vci-offer --issuer https://i.example --config pid <<<'{"claims":{}}'
	[ "$status" -eq 2 ]
	[[ $output == *"VCI_NOW: 'soon': expected an RFC 3339 date-time or seconds since the epoch"* ]]
	# --now wins over VCI_NOW
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.pem 2>/dev/null
	vci-statuslist new --bits 1 --size 16 --uri https://i.example/s/1 --output l
	VCI_NOW=1700000000 vci-statuslist sign --list l --key s.pem --kid k --now 1893553445 --output w.jwt
	[ "$(iat_of w.jwt)" = 1893553445 ]
	VCI_NOW=1700000000 vci-statuslist sign --list l --key s.pem --kid k --output e.jwt
	[ "$(iat_of e.jwt)" = 1700000000 ]
	# the former name is still read
	VCI_TEST_NOW=1893553445 run vci-offer --issuer https://i.example --config pid <<<'{"claims":{}}'
	[[ $output == *'"expires_at":18935'* ]]
}

@test "vci-sign-mdoc verify --now; --at is a hidden alias; sign refuses --now" {
	V=$SRC/tests/vectors
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 2021-01-01T00:00:00Z "$V/iso18013-5-annexD-issuersigned.b64u"
	echo "$output"
	[ "$status" -eq 0 ]
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --at 2021-01-01T00:00:00Z "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 0 ]
	VCI_NOW=2021-01-01T00:00:00Z run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -eq 0 ]
	# long after the vector's validity: refused
	run vci-sign-mdoc verify --cert "$V/iso18013-5-annexD-ds.pem" --now 2040-01-01T00:00:00Z "$V/iso18013-5-annexD-issuersigned.b64u"
	[ "$status" -ne 0 ]
	run vci-sign-mdoc --help
	[[ $output == *'--now TIME'* && $output != *'--at'* ]]
	run vci-sign-mdoc --defn x --key y --cert z --now 5
	[ "$status" -eq 2 ]
}

@test "vci-sign-sdjwt verify --now judges exp; sign refuses --now" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
	openssl req -x509 -new -key k.pem -subj /CN=i -days 30 -out k.crt 2>/dev/null
	printf '{"claims":{"given_name":"A","family_name":"B","employee_id":"1"},"exp":%s}\n' \
		$(( $(date +%s) + 3600 )) >r.json
	jq 'del(.status) | del(.key_binding)' "$SRC/examples/serve/badge.json" >badge.json
	vci-sign-sdjwt --defn badge.json --key k.pem --cert k.crt --issuer https://i.example \
		--raw r.json >c.txt
	run vci-sign-sdjwt verify --cert k.crt c.txt
	[ "$status" -eq 0 ]
	run vci-sign-sdjwt verify --cert k.crt --now $(( $(date +%s) + 7200 )) c.txt
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'exp'* ]]
	run vci-sign-sdjwt --defn badge.json --key k.pem --cert k.crt --issuer https://i.example \
		--now 5 r.json
	[ "$status" -eq 2 ]
	[[ $output == *'--now does nothing for sign: it is for verify'* ]]
}

@test "vci-statuslist: --now is sign's iat and check's time; --iat a hidden alias" {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.pem 2>/dev/null
	openssl req -x509 -new -key s.pem -subj /CN=s -days 3650 -out s.crt 2>/dev/null
	vci-statuslist new --bits 1 --size 16 --uri https://i.example/s/1 --output l
	vci-statuslist sign --list l --key s.pem --cert s.crt --now 2030-01-02T03:04:05Z \
		--exp 3600 --output t.jwt
	cut -d. -f2 t.jwt | tr '_-' '/+' | base64 -d 2>/dev/null | grep -q '"iat":1893553445'
	run vci-statuslist check --idx 0 --cert s.crt --now 2030-01-02T03:30:00Z t.jwt
	echo "$output"
	[ "$status" -eq 0 ]
	run vci-statuslist check --idx 0 --cert s.crt --now 2030-01-03T03:30:00Z t.jwt
	[ "$status" -ne 0 ]
	vci-statuslist sign --list l --key s.pem --cert s.crt --iat 1893553445 --output t2.jwt
	cut -d. -f2 t2.jwt | tr '_-' '/+' | base64 -d 2>/dev/null | grep -q '"iat":1893553445'
	run vci-statuslist --help
	[[ $output != *'--iat'* ]]
}
