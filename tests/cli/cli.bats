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
    # (the bound is long, for ASan under load; a tool that waited for
    # more input would never answer, however long the bound)
    for _ in $(seq 1200); do [ -s "$out" ] && break; sleep 0.05; done
    [ "$(wc -l <"$out")" -eq 1 ]
    echo "${rec/\"id\":1/\"id\":2}" >&8
    for _ in $(seq 1200); do [ "$(wc -l <"$out")" -eq 2 ] && break; sleep 0.05; done
    [ "$(wc -l <"$out")" -eq 2 ]
    exec 8>&-
    wait "$pid"
    [[ "$(sed -n 2p "$out")" == '{"id":2,'* ]]
  done
}

# A record check-claims accepts for pid.json, with an id.
pid_rec() {
  printf '{"id":%d,"claims":{"given_name":"A","family_name":"B","birthdate":"2000-01-01","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}\n' "$1"
}

@test "--jobs 3 over 1000 records: input order, error records in place, summary" {
  in=$BATS_TEST_TMPDIR/in.ndjson
  for i in $(seq 0 999); do
    case $i in
      300) echo '{"id":300,"claims":' ;;           # bad JSON: an error record with its line
      600) echo '{"id":600,"claims":{"given_name":1}}' ;; # fails the check
      *) pid_rec "$i" ;;
    esac
  done >"$in"
  run --separate-stderr vci-defn check-claims --jobs 3 "$DEFS/pid.json" "$in"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1000 ]
  for i in 0 1 299 301 599 601 998 999; do
    [[ "${lines[$i]}" == "{\"id\":$i,"* ]]
  done
  [[ "${lines[300]}" == *'"code":"invalid_json"'*'line 301'*'"line":301}' ]]
  [[ "${lines[600]}" == '{"id":600,'*'"error":'* ]]
  # every line in order, whatever the thread that made it
  ids=$(printf '%s\n' "${lines[@]}" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p' | tr '\n' ' ')
  [ "$ids" = "$(seq 0 999 | grep -vx 300 | tr '\n' ' ')" ]
  [[ "$stderr" == *"vci-defn: 1000 records, 998 ok, 2 failed"* ]]
}

@test "a fatal input error mid-stream: the records before it are written, then exit 3" {
  in=$BATS_TEST_TMPDIR/in.ndjson
  for i in $(seq 1 200); do pid_rec "$i"; done >"$in"
  for j in 1 3; do
    run --separate-stderr vci-defn check-claims --jobs $j "$DEFS/pid.json" "$in" \
      "$BATS_TEST_TMPDIR/missing.ndjson"
    [ "$status" -eq 3 ]
    [ "${#lines[@]}" -eq 200 ]
    [[ "${lines[199]}" == '{"id":200,'* ]]
    [[ "$stderr" == *"missing.ndjson: No such file or directory"* ]]
  done
}

@test "a write error is exit 5 with the reason, whatever --jobs" {
  [ -w /dev/full ] || skip "no /dev/full"
  in=$BATS_TEST_TMPDIR/in.ndjson
  for i in $(seq 1 1000); do pid_rec "$i"; done >"$in"
  for j in 1 3; do
    run --separate-stderr sh -c 'vci-defn check-claims --jobs "$1" "$2" "$3" >/dev/full' sh \
      "$j" "$DEFS/pid.json" "$in"
    [ "$status" -eq 5 ]
    [[ "$stderr" == *"vci-defn: write"*"No space left on device"* ]]
  done
}

@test "a coprocess that writes the next record only after the answer gets every answer, error records too" {
  for j in 1 2; do
    coproc CHECK { exec vci-defn check-claims --jobs "$j" "$DEFS/pid.json" 2>/dev/null; }
    for i in 1 2 3; do
      # the next record is only written once the answer to this one is read
      pid_rec "$i" >&"${CHECK[1]}"
      line=
      read -r -t 60 line <&"${CHECK[0]}" || true
      [[ "$line" == "{\"id\":$i,"* ]]
    done
    echo '{"id":4,' >&"${CHECK[1]}"
    line=
    read -r -t 60 line <&"${CHECK[0]}" || true
    [[ "$line" == *'"code":"invalid_json"'*'"line":4}' ]]
    pid_rec 5 >&"${CHECK[1]}"
    line=
    read -r -t 60 line <&"${CHECK[0]}" || true
    [[ "$line" == '{"id":5,'* ]]
    pid=$CHECK_PID
    eval "exec ${CHECK[1]}>&-"
    s=0
    wait "$pid" || s=$?
    [ "$s" -eq 1 ]
  done
}
