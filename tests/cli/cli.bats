#!/usr/bin/env bats
# The conventions every tool shares (cli module), seen through vci-defn,
# and the project scripts.

bats_require_minimum_version 1.5.0

setup() {
  SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
  DEFS=$SRC/examples/definitions
}

@test "--version names the tool and the package" {
  run vci-defn --version
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^vci-defn\ \(vci-tools\)\ [0-9]+\.[0-9]+ ]]
}

@test "--help lists the common options and the exit statuses" {
  run vci-defn --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Usage: vci-defn"* ]]
  for o in --output --csv --jobs --progress --no-progress --help --version; do
    [[ "$output" == *"$o"* ]]
  done
  [[ "$output" == *"Exit status"* ]]
}

@test "an unknown option is a usage error (exit 2) with a hint" {
  run vci-defn --bogus
  [ "$status" -eq 2 ]
  [[ "${lines[0]}" == "vci-defn: unrecognized option '--bogus'" ]]
  [[ "$output" == *"Try 'vci-defn --help'"* ]]
}

@test "--jobs takes a number from 1 to 256" {
  run vci-defn --jobs 0 lint "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--jobs: 0 is out of range"* ]]
  run vci-defn --jobs many lint "$DEFS/pid.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--jobs: expected a number, got 'many'"* ]]
}

@test "--output writes the file atomically and leaves nothing on failure" {
  out=$BATS_TEST_TMPDIR/meta.json
  run vci-defn metadata --issuer https://issuer.example.com --output "$out" "$DEFS/pid.json"
  [ "$status" -eq 0 ]
  [ -s "$out" ]
  $PYTHON3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out"
  cp "$out" "$BATS_TEST_TMPDIR/before"
  echo '{"format": "dc+sd-jwt", ' > "$BATS_TEST_TMPDIR/broken.json"
  run vci-defn metadata --issuer https://issuer.example.com --output "$out" "$BATS_TEST_TMPDIR/broken.json"
  [ "$status" -eq 3 ]
  cmp "$out" "$BATS_TEST_TMPDIR/before"
  [ -z "$(ls "$BATS_TEST_TMPDIR" | grep '\.tmp\.')" ]
}

@test "an unreadable input file is exit 3 naming the file" {
  run vci-defn lint /nonexistent/defn.json
  [ "$status" -eq 3 ]
  [[ "$output" == "vci-defn: /nonexistent/defn.json: No such file or directory"* ]]
}

@test "the exit table in vci(7) is the one in --help" {
  for n in 0 1 2 3 4 5; do
    grep -q "^\.It $n\$" "$SRC/man/vci.7"
  done
  run vci-defn --help
  [[ "$output" == *"0 ok, 1 some records failed, 2 usage, 3 bad input"* ]]
  [[ "$output" == *"4 key or certificate, 5 I/O or network"* ]]
}

@test "scripts/bootstrap is silent when everything is installed" {
  run "$SRC/scripts/bootstrap"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "broken CSV quoting: an error record naming the line, the other rows still run" {
  csv=$BATS_TEST_TMPDIR/q.csv
  printf 'given_name,family_name\nAda,"Love"lace\nMax,Mustermann\n' >"$csv"
  run --separate-stderr vci-defn check-claims --jobs 1 --csv "$csv" "$DEFS/pid.json"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == *'"code":"invalid_csv"'* ]]
  [[ "${lines[0]}" == *'line 2'* ]]
  [[ "${lines[0]}" == *'"line":2'* ]]
  [[ "${lines[1]}" == *'"given_name":"Max"'* ]]
}

@test "a 10 MB CSV field is a clear error record, not a crash" {
  csv=$BATS_TEST_TMPDIR/big.csv
  { echo 'given_name,family_name'
    printf 'A,'; head -c 10485760 /dev/zero | tr '\0' x; echo
    echo 'Max,Mustermann'; } >"$csv"
  run --separate-stderr vci-defn check-claims --jobs 1 --csv "$csv" "$DEFS/pid.json"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == *'field 2 longer than 1048576 bytes'* ]]
  [[ "${lines[1]}" == *'"given_name":"Max"'* ]]
  [[ "$stderr" == *"2 records, 0 ok, 2 failed"* ]]
}

@test "malformed NDJSON lines become error records and the batch goes on" {
  run --separate-stderr vci-defn check-claims --jobs 2 "$DEFS/pid.json" <<'EOF2'
{"id":1,"claims":{"given_name":"A","family_name":"B","birthdate":"2000-01-01","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}
{"id":2,"claims":
{"id":3,"id":4}
{"id":5,"claims":{"given_name":"A","family_name":"B","birthdate":"2000-01-01","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}
EOF2
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 4 ]
  [[ "${lines[0]}" == '{"id":1,'* ]]
  [[ "${lines[1]}" == *'"code":"invalid_json"'*'"line":2}' ]]
  [[ "${lines[2]}" == *'duplicate'*'"line":3}' ]]
  [[ "${lines[3]}" == '{"id":5,'* ]]
}

@test "records fed one at a time through a pipe come out one at a time" {
  rec='{"id":1,"claims":{"given_name":"A","family_name":"B","birthdate":"2000-01-01","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}'
  for j in 1 2; do
    fifo=$BATS_TEST_TMPDIR/in$j out=$BATS_TEST_TMPDIR/out$j
    mkfifo "$fifo"
    exec 8<>"$fifo" # fd 3 is bats' own
    vci-defn check-claims --jobs "$j" "$DEFS/pid.json" <"$fifo" >"$out" 2>/dev/null 8>&- &
    pid=$!
    echo "$rec" >&8
    # the input stays open: the first result must not wait for more
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
    [ "$(wc -l <"$out")" -eq 1 ]
    echo "${rec/\"id\":1/\"id\":2}" >&8
    for _ in $(seq 100); do [ "$(wc -l <"$out")" -eq 2 ] && break; sleep 0.05; done
    [ "$(wc -l <"$out")" -eq 2 ]
    exec 8>&-
    wait "$pid"
    [[ "$(sed -n 2p "$out")" == '{"id":2,'* ]]
  done
}
