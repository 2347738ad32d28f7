#!/usr/bin/env bats
# The README's shell examples run as printed, as jq runs its manual: every
# fenced block after a line "<!-- test -->" (or "<!-- test: exit N -->")
# is extracted and run with bash -e -o pipefail in a directory holding
# the files the examples name (issuer key and certificate, definitions,
# the README's own members.csv, records). A block left unmarked needs
# what this test does not give it (a running server, remote hosts, a
# wallet's proofs); mark a block once its files are in fixtures().

bats_require_minimum_version 1.5.0

setup() {
	for t in vci-defn vci-offer vci-statuslist vci-sign-sdjwt vci-verify-proof; do
		command -v $t >/dev/null || skip "$t not on PATH"
	done
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	D=$BATS_TEST_TMPDIR
	cd "$D"
	fixtures
}

# The files the README's examples name.
fixtures() {
	ln -s "$SRC/examples" examples
	mkdir -p tests && ln -s "$SRC/tests/vectors" tests/vectors
	cp "$SRC"/examples/definitions/*.json .
	cp "$SRC/examples/import/system-a-pid.json" system-a-definition.json
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
	openssl req -x509 -new -key issuer.key -subj /CN=issuer -days 30 -out issuer.crt 2>/dev/null
	cp issuer.crt issuer.pem
	readme_block 'members.csv' csv >members.csv
	printf '%s\n' 'given_name,family_name,birthdate,nationalities,issuing_country,issuing_authority,record.id' \
		'Erika,Mustermann,1964-08-12,"[""DE""]",DE,DE,p-1' \
		'Max,Mustermann,1990-12-31,"[""DE""]",DE,DE,p-2' >people.csv
	for i in 1 2 3; do
		printf '{"id":"r%s","claims":{"given_name":"G%s"}}\n' $i $i
	done >records.ndjson
}

# The fenced block (```LANG) after the first line that contains WANT.
readme_block() {
	awk -v want="$1" -v lang="$2" '
		index($0, want) { found = 1; next }
		found && !on && $0 == "```" lang { on = 1; next }
		on && /^```/ { exit }
		on { print }' "$SRC/README.md"
}

# Every marked block: "LINE STATUS" per block, then its text in block-LINE.sh.
marked_blocks() {
	awk '
		/^<!-- test(: exit [0-9]+)? -->$/ { want = 1; st = 0
			if (match($0, /exit [0-9]+/)) st = substr($0, RSTART + 5, RLENGTH - 5); next }
		want && /^```sh$/ { on = 1; want = 0; n = NR; print n, st; f = "block-" n ".sh"; next }
		on && /^```/ { on = 0; close(f); next }
		on { print > f }' "$SRC/README.md"
}

@test "README: every marked shell example runs as printed" {
	local line st n=0 failed=0
	while read -r line st; do
		n=$((n + 1))
		run bash -e -o pipefail "block-$line.sh"
		if [ "$status" -ne "$st" ]; then
			echo "README.md line $line: exit $status, expected $st"
			cat "block-$line.sh"
			echo "$output" | tail -n 20
			failed=$((failed + 1))
		fi
	done < <(marked_blocks)
	echo "$n blocks"
	[ "$n" -ge 3 ]
	[ "$failed" -eq 0 ]
}
