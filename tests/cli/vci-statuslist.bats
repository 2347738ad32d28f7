#!/usr/bin/env bats
# vci-statuslist: each subcommand, its errors and exit statuses, the
# draft's example tokens, independent decoders (python zlib, cbor2,
# cryptography, jwcrypto) reading what we sign, and allocation under
# concurrency and kill -9.

setup() {
	SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
	PY=${PYTHON3:-/usr/bin/python3}
	D=$BATS_TEST_TMPDIR
	V=$SRC/tests/vectors
	URI=https://example.com/statuslists/1
	# Token Status List example key (status-list.md section V)
	printf '%s' '{"kty":"EC","crv":"P-256","x":"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo","y":"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M"}' >"$D/tsl.jwk"
}

newkey() { # newkey NAME: NAME.pem key and NAME.crt self-signed certificate
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/$1.pem" 2>/dev/null
	openssl req -x509 -new -key "$D/$1.pem" -subj "/CN=$1" -days 30 -out "$D/$1.crt" 2>/dev/null
}

idx_of() { # idx_of FILE LINE
	sed -n "${2}p" "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"]["status_list"]["idx"])'
}

@test "new writes a list file with the documented header" {
	run vci-statuslist new --bits 2 --size 1000 --uri "$URI" --output "$D/l"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(head -n 1 "$D/l")" = "vci-statuslist 1" ]
	[ "$(sed -n 2p "$D/l")" = '{"method":"tsl","bits":2,"size":1000,"allocated":0,"uri":"https://example.com/statuslists/1"}' ]
	# header + 250 status bytes + 125 allocation bytes + 4 CRC bytes
	hl=$(head -n 2 "$D/l" | wc -c)
	[ "$(wc -c <"$D/l")" -eq $((hl + 250 + 125 + 4)) ]
}

@test "new refuses to overwrite a list unless --force, and checks its options" {
	vci-statuslist new --uri "$URI" --output "$D/l"
	run vci-statuslist new --uri "$URI" --output "$D/l"
	[ "$status" -eq 5 ]
	[[ "$output" == *"already exists"* ]]
	run vci-statuslist new --force --bits 4 --uri "$URI" --output "$D/l"
	[ "$status" -eq 0 ]
	[[ "$(sed -n 2p "$D/l")" == *'"bits":4'* ]]
	run vci-statuslist new --bits 3 --uri "$URI" --output "$D/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bits must be 1, 2, 4 or 8"* ]]
	run vci-statuslist new --output "$D/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--uri URL is required"* ]]
	run vci-statuslist new --uri "$URI"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--output LIST is required"* ]]
	[ ! -e "$D/x" ]
}

@test "the default list holds 16 KiB of statuses" {
	vci-statuslist new --bits 2 --uri "$URI" --output "$D/l"
	[[ "$(sed -n 2p "$D/l")" == *'"size":65536,'* ]]
}

@test "usage errors: no command, unknown command, unknown option" {
	run vci-statuslist
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing COMMAND"* ]]
	run vci-statuslist frob
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frob'"* ]]
	run vci-statuslist get --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unrecognized option '--bogus'"* ]]
	run vci-statuslist get 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--list LIST is required"* ]]
}

@test "--help lists the commands; --help and the man page have the same options" {
	run vci-statuslist --help
	[ "$status" -eq 0 ]
	for c in new alloc set get sign check; do
		[[ "$output" == *"  $c "* ]]
	done
	# the tool's own options: between "Options:" and "Common options:"
	own=$(echo "$output" | sed -n '/^Options:/,/^Common options:/p' | grep -o -- '--[a-z-]*' | sort -u)
	[ -n "$own" ]
	man=$(grep '^\.It .*Fl -' "$SRC/man/vci-statuslist.1" | grep -o 'Fl -[a-z-]*' | sed 's/Fl /-/' | sort -u)
	[ "$own" = "$man" ] || { diff <(echo "$own") <(echo "$man"); false; }
}

@test "alloc adds status.status_list and leaves other fields alone" {
	vci-statuslist new --size 1000 --uri "$URI" --output "$D/l"
	printf '{"id":1,"claims":{"a":"b"}}\n{"id":2}\n{"id":3,"z":[1,2]}\n' >"$D/in"
	run vci-statuslist alloc --list "$D/l" "$D/in"
	[ "$status" -eq 0 ]
	echo "$output" | grep -v '^vci-statuslist:' >"$D/out"
	"$PY" - "$D/out" "$URI" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["id"] for r in recs] == [1, 2, 3]
assert recs[0]["claims"] == {"a": "b"} and recs[2]["z"] == [1, 2]
assert list(recs[0].keys()) == ["id", "claims", "status"]
idx = [r["status"]["status_list"]["idx"] for r in recs]
assert all(r["status"]["status_list"]["uri"] == sys.argv[2] for r in recs)
assert all(0 <= i < 1000 for i in idx) and len(set(idx)) == 3
EOF
	[[ "$(sed -n 2p "$D/l")" == *'"allocated":3,'* ]]
}

@test "alloc: an exhausted list is an error, never a wrap-around" {
	vci-statuslist new --size 4 --uri "$URI" --output "$D/l"
	for i in 1 2 3 4 5 6; do echo "{\"n\":$i}"; done >"$D/in"
	run vci-statuslist alloc --list "$D/l" --jobs 1 "$D/in"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | grep -c '"status_list"')" -eq 4 ]
	[ "$(echo "$output" | grep -c '"code":"list_exhausted"')" -eq 2 ]
	[[ "$output" == *"6 records, 4 ok, 2 failed"* ]]
	run vci-statuslist alloc --list "$D/l" <<<'{"n":7}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"list exhausted: 0 of 4 indices free"* ]]
}

@test "alloc refuses a record that already has a status" {
	vci-statuslist new --size 100 --uri "$URI" --output "$D/l"
	run vci-statuslist alloc --list "$D/l" <<<'{"status":{"status_list":{"idx":1,"uri":"x"}}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *'"code":"invalid_record"'* ]]
	[[ "$(sed -n 2p "$D/l")" == *'"allocated":0,'* ]]
}

@test "alloc: a missing or corrupt list file is bad input (3)" {
	run vci-statuslist alloc --list "$D/none" <<<'{}'
	[ "$status" -eq 3 ]
	[[ "$output" == *"$D/none: No such file or directory"* ]]
	vci-statuslist new --size 1000 --uri "$URI" --output "$D/l"
	printf 'x' | dd of="$D/l" bs=1 seek=200 conv=notrunc 2>/dev/null
	run vci-statuslist alloc --list "$D/l" <<<'{}'
	[ "$status" -eq 3 ]
	[[ "$output" == *"checksum mismatch"* ]]
	printf 'hello\n' >"$D/t"
	run vci-statuslist get --list "$D/t" 0
	[ "$status" -eq 3 ]
	[[ "$output" == *"not a vci-statuslist file"* ]]
}

@test "100,000 allocations on a 2^17 list from two processes: no duplicate, not monotonic" {
	vci-statuslist new --size 131072 --uri "$URI" --output "$D/l"
	seq 50000 | sed 's/.*/{"n":&}/' >"$D/in"
	vci-statuslist alloc --list "$D/l" "$D/in" >"$D/o1" 2>/dev/null &
	vci-statuslist alloc --list "$D/l" "$D/in" >"$D/o2" 2>/dev/null
	wait $!
	"$PY" - "$D/o1" "$D/o2" <<'EOF'
import json, sys
a = [json.loads(l)["status"]["status_list"]["idx"] for l in open(sys.argv[1])]
b = [json.loads(l)["status"]["status_list"]["idx"] for l in open(sys.argv[2])]
assert len(a) == 50000 and len(b) == 50000, (len(a), len(b))
assert len(set(a + b)) == 100000, "duplicate index"
assert all(0 <= i < 131072 for i in a + b)
assert a != sorted(a) and b != sorted(b), "monotonic"
EOF
	[[ "$(sed -n 2p "$D/l")" == *'"allocated":100000,'* ]]
}

@test "kill -9 during allocation never yields a duplicate or a corrupt file" {
	# The kill may land anywhere, or (under load) only after a round has
	# finished. A killed round loses what it reserved but did not hand
	# out; reservations double and a new one is made only when the last
	# is used up, so a round of 20000 records takes at most 40001
	# indices and ten rounds at most 400010: the list must not run out
	# (and the last alloc below fail) however late the kills come.
	vci-statuslist new --size 524288 --uri "$URI" --output "$D/l"
	seq 20000 | sed 's/.*/{"n":&}/' >"$D/in"
	: >"$D/all"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		# emptied here, not only by the redirection in the child, so
		# that the wait below never sees the last round's output
		: >"$D/o"
		vci-statuslist alloc --list "$D/l" --jobs 2 "$D/in" >"$D/o" 2>/dev/null &
		pid=$!
		# kill once output has started (under ASan and load, start-up
		# alone can take longer than any fixed delay)
		n=0
		while [ ! -s "$D/o" ] && [ $n -lt 1200 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.05
			n=$((n + 1))
		done
		sleep "0.0$i"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# complete lines only: the last one may be cut
		"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    try:
        print(json.loads(l)["status"]["status_list"]["idx"])
    except Exception:
        pass' "$D/o" >>"$D/all"
		run vci-statuslist get --list "$D/l" 0
		[ "$status" -eq 0 ]
	done
	[ -s "$D/all" ]
	[ "$(sort "$D/all" | uniq -d | wc -l)" -eq 0 ]
	allocated=$(sed -n 2p "$D/l" | sed 's/.*"allocated":\([0-9]*\).*/\1/')
	[ "$allocated" -ge "$(wc -l <"$D/all")" ]
	# a writer killed mid-save may leave its temporary file; the next
	# writer removes it
	echo '{"n":0}' | vci-statuslist alloc --list "$D/l" >/dev/null 2>&1
	[ -z "$(ls "$D" | grep '\.tmp\.')" ]
}

@test "set and get, single and batch; invalid is final unless --force" {
	vci-statuslist new --bits 2 --size 100 --uri "$URI" --output "$D/l"
	# indices never allocated: --force (see the test of allocation below)
	vci-statuslist set --force --list "$D/l" 7 invalid
	vci-statuslist set --force --list "$D/l" 8 suspended
	vci-statuslist set --force --list "$D/l" 9 0x03
	run vci-statuslist get --list "$D/l" 7 8 9 10
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'invalid\nsuspended\n0x03\nvalid')" ]
	run vci-statuslist set --list "$D/l" 7 valid
	[ "$status" -eq 1 ]
	[[ "$output" == *"index 7 was never allocated"* ]]
	# an allocated index, revoked: final unless --force
	vci-statuslist alloc --list "$D/l" <<<'{}' >"$D/a"
	i=$(idx_of "$D/a" 1)
	vci-statuslist set --list "$D/l" "$i" invalid
	run vci-statuslist set --list "$D/l" "$i" valid
	[ "$status" -eq 1 ]
	[[ "$output" == *"index $i is revoked (invalid), which is final"* ]]
	vci-statuslist set --force --list "$D/l" "$i" valid
	[ "$(vci-statuslist get --list "$D/l" "$i")" = valid ]
	vci-statuslist set --force --list "$D/l" 7 valid
	[ "$(vci-statuslist get --list "$D/l" 7)" = valid ]
	run vci-statuslist set --list "$D/l" 100 invalid
	[ "$status" -eq 3 ]
	[[ "$output" == *"index 100 is out of range"* ]]
	run vci-statuslist set --list "$D/l" 1 0x04
	[ "$status" -eq 3 ]
	run vci-statuslist set --list "$D/l" 1 gone
	[ "$status" -eq 3 ]
	[[ "$output" == *"unknown status 'gone'"* ]]
	printf '{"idx":1,"status":"revoked"}\n{"idx":2,"status":2}\n{"idx":3,"status":"bogus"}\n{"idx":4}\n' >"$D/b"
	run vci-statuslist set --force --list "$D/l" "$D/b"
	[ "$status" -eq 1 ]
	[[ "$output" == *'{"idx":1,"status":"revoked"}'* ]]
	[[ "$output" == *'"code":"invalid_status"'* ]]
	[[ "$output" == *'"code":"invalid_record"'* ]]
	[ "$(vci-statuslist get --list "$D/l" 1 2 3 4 | tr '\n' ' ')" = "invalid suspended valid valid " ]
}

@test "suspended needs 2 bits" {
	vci-statuslist new --size 100 --uri "$URI" --output "$D/l"
	run vci-statuslist set --list "$D/l" 1 suspended
	[ "$status" -eq 3 ]
	[[ "$output" == *"needs more than the list's 1 bit"* ]]
}

@test "check: the draft's JWT example (section 5.1) with its key" {
	run vci-statuslist check --idx 0 --jwk "$D/tsl.jwk" "$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 1 ]
	[ "$output" = invalid ]
	run vci-statuslist check --idx 1 --jwk "$D/tsl.jwk" --uri "$URI" <"$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 0 ]
	[ "$output" = valid ]
	run vci-statuslist check --idx 16 --jwk "$D/tsl.jwk" <"$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"beyond the list (16 entries): no statement"* ]]
	run vci-statuslist check --idx 1 --jwk "$D/tsl.jwk" --uri https://example.com/statuslists/2 <"$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is for \"$URI\""* ]]
}

@test "check: the draft's CWT example (section 5.2), binary and hex" {
	xxd -r -p "$V/tsl-5.2-status-list-token-cwt.hex" >"$D/t.cwt"
	run vci-statuslist check --idx 3 --jwk "$D/tsl.jwk" <"$D/t.cwt"
	[ "$status" -eq 1 ]
	[ "$output" = invalid ]
	run vci-statuslist check --idx 2 --jwk "$D/tsl.jwk" <"$V/tsl-5.2-status-list-token-cwt.hex"
	[ "$status" -eq 0 ]
	[ "$output" = valid ]
	newkey other
	run vci-statuslist check --idx 2 --cert "$D/other.crt" <"$D/t.cwt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not verify"* ]]
}

@test "check: errors" {
	run vci-statuslist check --jwk "$D/tsl.jwk" <"$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--idx N is required"* ]]
	run vci-statuslist check --idx 0 <"$V/tsl-5.1-status-list-token.jwt"
	[ "$status" -eq 2 ]
	run vci-statuslist check --idx 0 --jwk "$D/tsl.jwk" <<<'not a token'
	[ "$status" -eq 3 ]
	# a proof JWT is not a status list token (explicit typing)
	run vci-statuslist check --idx 0 --jwk "$D/tsl.jwk" <"$V/oid4vci-1.0-I.2-wallet-attestation.jwt"
	[ "$status" -eq 3 ]
	[[ "$output" == *"typ must be statuslist+jwt"* ]]
}

@test "sign a JWT: python zlib and jwcrypto read what we sign" {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
	newkey s
	vci-statuslist new --bits 2 --size 5000 --uri "$URI" --output "$D/l"
	vci-statuslist set --force --list "$D/l" 1 invalid
	vci-statuslist set --force --list "$D/l" 4999 suspended
	vci-statuslist set --force --list "$D/l" 1234 0x03
	now=$(date +%s)
	vci-statuslist sign --list "$D/l" --key "$D/s.pem" --cert "$D/s.crt" --iat "$now" --ttl 600 --exp 7200 --output "$D/t.jwt"
	"$PY" - "$D/s.pem" "$D/t.jwt" "$URI" "$now" <<'EOF'
import base64, json, sys, zlib
from jwcrypto import jwk, jws
key = jwk.JWK.from_pem(open(sys.argv[1], 'rb').read())
tok = open(sys.argv[2]).read().strip()
t = jws.JWS()
t.deserialize(tok)
t.verify(key.public(), alg="ES256")
hdr = json.loads(base64.urlsafe_b64decode(tok.split('.')[0] + '=='))
assert hdr["typ"] == "statuslist+jwt" and len(hdr["x5c"]) == 1, hdr
c = json.loads(t.payload)
now = int(sys.argv[4])
assert c["sub"] == sys.argv[3] and c["iat"] == now and c["exp"] == now + 7200 and c["ttl"] == 600, c
sl = c["status_list"]
assert sl["bits"] == 2 and "=" not in sl["lst"]
raw = zlib.decompress(base64.urlsafe_b64decode(sl["lst"] + '=' * (-len(sl["lst"]) % 4)))
assert len(raw) == 1250
val = lambda i: (raw[i * 2 // 8] >> ((i * 2) % 8)) & 3
assert val(1) == 1 and val(4999) == 2 and val(1234) == 3 and val(0) == 0
assert sum(1 for i in range(5000) if val(i)) == 3
EOF
	run vci-statuslist check --idx 4999 --ca "$D/s.crt" --uri "$URI" <"$D/t.jwt"
	[ "$output" = suspended ]
}

@test "sign --cwt: cbor2 and cryptography verify the COSE_Sign1" {
	"$PY" -c 'import cbor2, cryptography' 2>/dev/null || skip "python3-cbor2 not available"
	newkey s
	vci-statuslist new --size 1000 --uri "$URI" --output "$D/l"
	vci-statuslist set --force --list "$D/l" 999 invalid
	now=$(date +%s)
	vci-statuslist sign --cwt --list "$D/l" --key "$D/s.pem" --kid k1 --iat "$now" --output "$D/t.cwt"
	"$PY" - "$D/s.pem" "$D/t.cwt" "$URI" "$now" <<'EOF'
import sys, zlib, cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None).public_key()
msg = cbor2.loads(open(sys.argv[2], 'rb').read())
assert isinstance(msg, cbor2.CBORTag) and msg.tag == 18
prot, unprot, payload, sig = msg.value
assert cbor2.loads(prot) == {1: -7, 16: "application/statuslist+cwt"}
assert unprot == {4: b"k1"}
tbs = cbor2.dumps(["Signature1", prot, b"", payload])
key.verify(encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big')),
           tbs, ec.ECDSA(hashes.SHA256()))
c = cbor2.loads(payload)
now = int(sys.argv[4])
assert c[2] == sys.argv[3] and c[6] == now and c[4] == now + 86400 and c[65534] == 3600, c
raw = zlib.decompress(c[65533]["lst"])
assert c[65533]["bits"] == 1 and len(raw) == 125 and raw[124] == 0x80 and sum(raw) == 0x80
EOF
	run vci-statuslist check --idx 999 --cert "$D/s.crt" <"$D/t.cwt"
	[ "$status" -eq 1 ]
	[ "$output" = invalid ]
	# a token whose exp has passed says nothing
	vci-statuslist sign --cwt --list "$D/l" --key "$D/s.pem" --kid k1 --iat 1700000000 --exp 60 --output "$D/old.cwt"
	run vci-statuslist check --idx 1 --cert "$D/s.crt" <"$D/old.cwt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"expired at 1700000060"* ]]
}

@test "sign: errors" {
	newkey s
	newkey other
	vci-statuslist new --size 100 --uri "$URI" --output "$D/l"
	run vci-statuslist sign --list "$D/l" --kid k
	[ "$status" -eq 2 ]
	[[ "$output" == *"--key KEY is required"* ]]
	run vci-statuslist sign --list "$D/l" --key "$D/s.pem"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cert CHAIN or --kid KID is required"* ]]
	run vci-statuslist sign --list "$D/l" --key "$D/s.pem" --cert "$D/other.crt"
	[ "$status" -eq 4 ]
	[[ "$output" == *"not for the key"* ]]
	run vci-statuslist sign --list "$D/l" --key "$D/none.pem" --kid k
	[ "$status" -eq 4 ]
}

@test "bitstring: new, alloc adds credentialStatus, sign a BitstringStatusListCredential, check" {
	newkey s
	run vci-statuslist new --method bitstring --size 1000 --uri "$URI" --output "$D/w"
	[ "$status" -eq 2 ]
	[[ "$output" == *"at least 131072 entries"* ]]
	vci-statuslist new --method bitstring --uri "$URI" --output "$D/w"
	[[ "$(sed -n 2p "$D/w")" == *'"size":131072,'*'"purpose":"revocation"'* ]]
	vci-statuslist alloc --list "$D/w" <<<'{"id":1}' >"$D/o"
	"$PY" - "$D/o" "$URI" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cs = r["credentialStatus"]
assert cs["type"] == "BitstringStatusListEntry" and cs["statusPurpose"] == "revocation"
assert cs["statusListCredential"] == sys.argv[2] and cs["id"] == sys.argv[2] + "#" + cs["statusListIndex"]
assert isinstance(cs["statusListIndex"], str) and 0 <= int(cs["statusListIndex"]) < 131072
EOF
	i=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["credentialStatus"]["statusListIndex"])' "$D/o")
	vci-statuslist set --list "$D/w" "$i" revoked
	run vci-statuslist sign --list "$D/w" --key "$D/s.pem" --kid k1
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs --iss"* ]]
	vci-statuslist sign --list "$D/w" --key "$D/s.pem" --kid k1 --iss did:example:12345 --iat 1999999999 --output "$D/w.jwt"
	"$PY" - "$D/w.jwt" "$i" "$URI" <<'EOF'
import base64, gzip, json, sys
tok = open(sys.argv[1]).read().strip()
b = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
hdr, vc = json.loads(b(tok.split('.')[0])), json.loads(b(tok.split('.')[1]))
assert hdr["typ"] == "vc+jwt"
assert vc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"] and vc["id"] == sys.argv[3]
assert vc["validFrom"] == "2033-05-18T03:33:19Z" and vc["issuer"] == "did:example:12345"
cs = vc["credentialSubject"]
assert cs["type"] == "BitstringStatusList" and cs["statusPurpose"] == "revocation"
assert cs["encodedList"].startswith("uH4sI")
raw = gzip.decompress(b(cs["encodedList"][1:]))
i = int(sys.argv[2])
assert len(raw) == 16384 and (raw[i // 8] >> (7 - i % 8)) & 1 == 1 and sum(raw) == 1 << (7 - i % 8)
EOF
	run vci-statuslist check --idx "$i" --cert "$D/s.crt" <"$D/w.jwt"
	[ "$status" -eq 1 ]
	[ "$output" = invalid ]
	run vci-statuslist sign --cwt --list "$D/w" --key "$D/s.pem" --kid k1 --iss x
	[ "$status" -eq 2 ]
}

@test "examples/statuslist.sh: three credentials, one revoked, one suspended" {
	run sh "$SRC/examples/statuslist.sh"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '"status":{"status_list":{"idx":')" -eq 3 ]
	[[ "$output" == *"ada (index "*"): valid"* ]]
	[[ "$output" == *"grace (index "*"): invalid"* ]]
	[[ "$output" == *"edsger (index "*"): suspended"* ]]
}

@test "completions name every command and option" {
	opts=$(vci-statuslist --help | grep -o -- '--[a-z-]*' | sort -u)
	bash -n "$SRC/completions/bash/vci-statuslist"
	for f in "$SRC/completions/bash/vci-statuslist" "$SRC/completions/zsh/_vci-statuslist" \
		"$SRC/completions/fish/vci-statuslist.fish"; do
		for c in new alloc set get sign check; do
			grep -q "$c" "$f"
		done
		for o in $opts; do
			case $f in
			*.fish) grep -q -- "-l ${o#--} " "$f" || { echo "$f: $o"; false; } ;;
			*) grep -q -- "$o" "$f" || { echo "$f: $o"; false; } ;;
			esac
		done
	done
}

@test "set refuses an index never allocated unless --force; alloc never hands out an index already set" {
	vci-statuslist new --bits 2 --size 16 --uri "$URI" --output "$D/l"
	run vci-statuslist set --list "$D/l" 5 revoked
	[ "$status" -eq 1 ]
	[[ "$output" == *"index 5 was never allocated"*"--force"* ]]
	[ "$(vci-statuslist get --list "$D/l" 5)" = valid ]
	# an allocated one is set
	printf '{"id":1}\n' | vci-statuslist alloc --list "$D/l" >"$D/a"
	i=$(idx_of "$D/a" 1)
	vci-statuslist set --list "$D/l" "$i" suspended
	[ "$(vci-statuslist get --list "$D/l" "$i")" = suspended ]
	# --force sets any index; alloc then never hands out one that is not valid
	for k in $(seq 0 15); do
		[ "$k" = "$i" ] || vci-statuslist set --force --list "$D/l" "$k" revoked
	done
	j=$(( (i + 1) % 16 ))
	vci-statuslist set --force --list "$D/l" "$j" valid
	run vci-statuslist alloc --list "$D/l" <<<'{"id":2}'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"idx\":$j,"* ]]
	run vci-statuslist alloc --list "$D/l" <<<'{"id":3}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"list exhausted"* ]]
}

@test "set takes issued records: the index from status.status_list, the status from --to" {
	vci-statuslist new --bits 2 --size 64 --uri "$URI" --output "$D/l"
	printf '{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n' | vci-statuslist alloc --list "$D/l" >"$D/issued"
	a=$(idx_of "$D/issued" 1) b=$(idx_of "$D/issued" 2) c=$(idx_of "$D/issued" 3)
	head -n 2 "$D/issued" >"$D/revoke"
	printf '{"id":"x","status":{"status_list":{"idx":1,"uri":"https://other.example/1"}}}\n' >>"$D/revoke"
	run vci-statuslist set --list "$D/l" --to revoked "$D/revoke"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"id":"x"'*'"error":{"code":"invalid_record","message":"status.status_list.uri: '* ]]
	[ "$(vci-statuslist get --list "$D/l" "$a" "$b" "$c" | tr '\n' ' ')" = "invalid invalid valid " ]
	# without --to, an issued record says nothing about the status to set
	run vci-statuslist set --list "$D/l" <"$D/issued"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--to"* ]]
	# --to on a command line with an index is a usage error
	run vci-statuslist set --list "$D/l" --to revoked "$c" valid
	[ "$status" -eq 2 ]
}

# ---- lists in the store (--db) ------------------------------------------

@test "--db: new, alloc, set (single, batch, issued records with --to), get, lists" {
	run vci-statuslist new --db "$D/st" --list pid --bits 2 --size 1000 --uri "$URI" --ttl 60
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(stat -c %a "$D/st")" = 700 ]
	printf '{"n":1}\n{"n":2}\n{"n":3}\n' >"$D/in"
	vci-statuslist alloc --db "$D/st" --list pid "$D/in" >"$D/issued" 2>/dev/null
	[ "$(wc -l <"$D/issued")" -eq 3 ]
	grep -q "\"uri\":\"$URI\"" "$D/issued"
	a=$(idx_of "$D/issued" 1) b=$(idx_of "$D/issued" 2) c=$(idx_of "$D/issued" 3)
	[ "$a" != "$b" ] && [ "$b" != "$c" ] && [ "$a" != "$c" ]
	vci-statuslist set --db "$D/st" --list pid "$a" suspended
	sed -n 2p "$D/issued" | vci-statuslist set --db "$D/st" --list pid --to revoked
	printf '{"idx":%s,"status":"invalid"}\n' "$c" | vci-statuslist set --db "$D/st" --list pid
	run vci-statuslist get --db "$D/st" --list pid "$a" "$b" "$c"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'suspended\ninvalid\ninvalid')" ]
	run vci-statuslist lists --db "$D/st"
	[ "$status" -eq 0 ]
	[[ $output == '{"name":"pid","method":"tsl","bits":2,"size":1000,"uri":"'"$URI"'","ttl":60,"allocated":3}' ]]
	# sqlite:PATH names the same kind of store
	vci-statuslist new --db "sqlite:$D/f.db" --list w --method bitstring --uri "$URI/w"
	vci-statuslist lists --db "sqlite:$D/f.db" | grep -q '"method":"w3c".*"purpose":"revocation"'
}

@test "--db: set refuses an index never allocated and leaving revoked unless --force; alloc never hands out an index set" {
	vci-statuslist new --db "$D/st" --list s --size 8 --uri "$URI"
	run vci-statuslist set --db "$D/st" --list s 3 invalid
	[ "$status" -eq 1 ]
	[[ $output == *"index 3: never allocated"* ]]
	vci-statuslist set --db "$D/st" --list s --force 3 invalid
	run vci-statuslist set --db "$D/st" --list s --force 3 valid
	[ "$status" -eq 0 ]
	vci-statuslist set --db "$D/st" --list s --force 3 invalid
	run vci-statuslist set --db "$D/st" --list s 3 valid
	[ "$status" -eq 1 ]
	[[ $output == *"revoked (invalid), which is final"* ]]
	run vci-statuslist set --db "$D/st" --list s 8 invalid
	[ "$status" -eq 3 ]
	[[ $output == *"out of range"* ]]
	run vci-statuslist set --db "$D/st" --list s --force 2 suspended
	[ "$status" -eq 3 ]
	seq 7 | sed 's/.*/{"n":&}/' | vci-statuslist alloc --db "$D/st" --list s >"$D/o" 2>/dev/null
	"$PY" - "$D/o" <<'PYEOF'
import json, sys
a = [json.loads(l)["status"]["status_list"]["idx"] for l in open(sys.argv[1])]
assert sorted(a) == [0, 1, 2, 4, 5, 6, 7], a
PYEOF
	run vci-statuslist alloc --db "$D/st" --list s <<<'{"n":8}'
	[ "$status" -ne 0 ]
	[[ $output == *"no free index left"* ]]
}

@test "--db: two processes allocating from one store at once: no duplicate, not monotonic" {
	vci-statuslist new --db "$D/st" --list cc --size 131072 --uri "$URI"
	seq 2000 | sed 's/.*/{"n":&}/' >"$D/in"
	vci-statuslist alloc --db "$D/st" --list cc --jobs 2 "$D/in" >"$D/o1" 2>/dev/null &
	vci-statuslist alloc --db "$D/st" --list cc --jobs 2 "$D/in" >"$D/o2" 2>/dev/null
	wait $!
	"$PY" - "$D/o1" "$D/o2" <<'PYEOF'
import json, sys
a = [json.loads(l)["status"]["status_list"]["idx"] for l in open(sys.argv[1])]
b = [json.loads(l)["status"]["status_list"]["idx"] for l in open(sys.argv[2])]
assert len(a) == 2000 and len(b) == 2000, (len(a), len(b))
assert len(set(a + b)) == 4000, "duplicate index"
assert a != sorted(a) and b != sorted(b), "monotonic"
PYEOF
	vci-statuslist lists --db "$D/st" | grep -q '"allocated":4000'
}

@test "--db: sign uses the list's ttl (--ttl overrides); export writes a list file that reads the same" {
	"$PY" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not available"
	newkey s
	vci-statuslist new --db "$D/st" --list t --bits 2 --size 5000 --uri "$URI" --ttl 90
	vci-statuslist set --db "$D/st" --list t --force 4999 suspended
	vci-statuslist set --db "$D/st" --list t --force 1 invalid
	vci-statuslist sign --db "$D/st" --list t --key "$D/s.pem" --cert "$D/s.crt" --output "$D/t.jwt"
	"$PY" - "$D/s.pem" "$D/t.jwt" <<'PYEOF'
import base64, json, sys, zlib
from jwcrypto import jwk, jws
t = jws.JWS()
t.deserialize(open(sys.argv[2]).read().strip())
t.verify(jwk.JWK.from_pem(open(sys.argv[1], 'rb').read()).public(), alg="ES256")
c = json.loads(t.payload)
assert c["ttl"] == 90, c
sl = c["status_list"]
raw = zlib.decompress(base64.urlsafe_b64decode(sl["lst"] + '=' * (-len(sl["lst"]) % 4)))
val = lambda i: (raw[i * 2 // 8] >> ((i * 2) % 8)) & 3
assert val(1) == 1 and val(4999) == 2 and sum(1 for i in range(5000) if val(i)) == 2
PYEOF
	vci-statuslist sign --db "$D/st" --list t --key "$D/s.pem" --kid k --ttl 30 --output "$D/t2.jwt"
	run vci-statuslist check --idx 4999 --jwk "$D/s.pem" <"$D/t2.jwt"
	[ "$output" = suspended ]
	vci-statuslist export --db "$D/st" --list t --output "$D/l"
	[ "$(head -n 1 "$D/l")" = "vci-statuslist 1" ]
	[ "$(vci-statuslist get --list "$D/l" 1 4999 0)" = "$(printf 'invalid\nsuspended\nvalid')" ]
	# the export keeps what was handed out: a file alloc never repeats it
	[[ "$(sed -n 2p "$D/l")" == *'"allocated":2,'* ]]
	run vci-statuslist export --db "$D/st" --list t --output "$D/l"
	[ "$status" -eq 5 ]
	[[ $output == *"already exists"* ]]
	vci-statuslist export --db "$D/st" --list t --output "$D/l" --force
}

@test "--db: errors" {
	run vci-statuslist new --db "$D/st" --uri "$URI"
	[ "$status" -eq 2 ]
	[[ $output == *"--list NAME is required"* ]]
	run vci-statuslist new --db "$D/st" --list x --uri "$URI" --output "$D/l"
	[ "$status" -eq 2 ]
	[[ $output == *"--output is for a list file, not --db"* ]]
	run vci-statuslist new --db "$D/st" --list x --bits 3 --uri "$URI"
	[ "$status" -eq 2 ]
	vci-statuslist new --db "$D/st" --list x --uri "$URI"
	run vci-statuslist new --db "$D/st" --list x --uri "$URI"
	[ "$status" -eq 5 ]
	[[ $output == *"list x: already in"* ]]
	vci-statuslist set --db "$D/st" --list x --force 5 invalid
	# --force replaces it: a fresh list
	vci-statuslist new --db "$D/st" --list x --uri "$URI" --force
	[ "$(vci-statuslist get --db "$D/st" --list x 5)" = valid ]
	for cmd in "alloc" "get 1" "set 1 invalid" "sign --key $D/k --kid k" "export --output $D/e"; do
		run vci-statuslist $cmd --db "$D/st" --list nope </dev/null
		[ "$status" -eq 3 ] || { echo "$cmd: $status $output"; false; }
		[[ $output == *"list nope: not in $D/st"* ]]
	done
	run vci-statuslist export --list x --output "$D/e"
	[ "$status" -eq 2 ]
	[[ $output == *"export: --db WHERE is required"* ]]
	run vci-statuslist export --db "$D/st" --list x
	[ "$status" -eq 2 ]
	[[ $output == *"--output LIST is required"* ]]
	run vci-statuslist lists
	[ "$status" -eq 2 ]
	[[ $output == *"lists: --db WHERE is required"* ]]
	run vci-statuslist lists --db "$D/st" extra
	[ "$status" -eq 2 ]
	: >"$D/afile"
	run vci-statuslist lists --db "$D/afile"
	[ "$status" -eq 5 ]
	[[ $output == *"state: $D/afile/vci.db: Not a directory"* ]]
}

@test "new --force waits for the lock of the list it replaces" {
	command -v flock >/dev/null || skip "flock(1) not available"
	vci-statuslist new --size 16 --uri "$URI" --output "$D/l"
	vci-statuslist set --force --list "$D/l" 3 invalid
	exec 9<"$D/l"
	flock -x 9
	( vci-statuslist new --force --size 16 --uri "$URI" --output "$D/l"; echo $? >"$D/done" ) &
	sleep 1
	# the new list is not written while another holds the lock
	[ ! -e "$D/done" ]
	grep -q '^' "$D/l"
	flock -u 9
	exec 9<&-
	wait $!
	[ "$(cat "$D/done")" = 0 ]
	[ "$(vci-statuslist get --list "$D/l" 3)" = valid ]
}
