#!/usr/bin/env bats
# The conventions every tool shares (cli module), seen through vci-defn,
# and the project scripts.

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
