#!/usr/bin/env bats
# The documentation of every tool agrees with the tool: each long option
# its --help prints is described in its man page and known to its bash,
# zsh and fish completions, each option the man page describes exists, and
# the completion files parse. The per-tool suites check their own commands;
# this file makes sure no tool, vci-serve included, is left out.

setup() {
  SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
}

TOOLS="vci-defn vci-offer vci-verify-proof vci-statuslist vci-sign-sdjwt vci-sign-mdoc vci-serve"

# man_page TOOL: the tool's man page (vci-serve is in section 8)
man_page() {
  for m in "$SRC/man/$1.1" "$SRC/man/$1.8"; do
    [ -f "$m" ] && { echo "$m"; return 0; }
  done
  echo "no man page for $1" >&2
  return 1
}

# help_opts TOOL: the long options its --help prints
help_opts() {
  "$1" --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

@test "every tool's --help options are in its man page and its completions" {
  for t in $TOOLS; do
    m=$(man_page "$t")
    opts=$(help_opts "$t")
    [ -n "$opts" ] || { echo "$t --help lists no options"; return 1; }
    for o in $opts; do
      case $o in --help | --version) ;; # common options: vci(7)
      *) grep -q -- "Fl -${o#--}\\b" "$m" || grep -q -- "Fl ${o#--}\\b" "$m" ||
        { echo "$m: $o"; return 1; } ;;
      esac
      grep -q -- "$o\\b" "$SRC/completions/bash/$t" || { echo "bash $t: $o"; return 1; }
      grep -q -- "$o\\b" "$SRC/completions/zsh/_$t" || { echo "zsh $t: $o"; return 1; }
      grep -q -- "-l ${o#--}\\b" "$SRC/completions/fish/$t.fish" || { echo "fish $t: $o"; return 1; }
    done
  done
}

@test "every option vci-serve(8) describes is one vci-serve --help prints" {
  opts=$(help_opts vci-serve)
  for o in $(grep -o '^\.It Fl -[a-z][a-z0-9-]*' "$SRC/man/vci-serve.8" | sed 's/^\.It Fl -/--/' | sort -u); do
    printf '%s\n' "$opts" | grep -qx -- "$o" || { echo "not in --help: $o"; return 1; }
  done
}

@test "vci-serve's commands are in its man page and completions" {
  run vci-serve --help
  [ "$status" -eq 0 ]
  for c in run import apikey; do
    [[ $output == *"$c"* ]] || { echo "--help: $c"; return 1; }
  done
  for f in "$SRC/man/vci-serve.8" "$SRC/completions/bash/vci-serve" \
    "$SRC/completions/zsh/_vci-serve" "$SRC/completions/fish/vci-serve.fish"; do
    for c in run import apikey add list revoke; do
      grep -qw -- "$c" "$f" || { echo "$f: $c"; return 1; }
    done
  done
}

@test "the completion files parse" {
  for t in $TOOLS; do
    bash -n "$SRC/completions/bash/$t"
    if command -v zsh >/dev/null 2>&1; then zsh -n "$SRC/completions/zsh/_$t"; fi
    if command -v fish >/dev/null 2>&1; then fish -n "$SRC/completions/fish/$t.fish"; fi
  done
}

@test "the man pages format without warnings (line breaks aside)" {
  command -v groff >/dev/null 2>&1 || skip "groff is not installed"
  for m in "$SRC"/man/*.[178]; do
    out=$(groff -mandoc -Tutf8 -ww -Wbreak -z "$m" 2>&1)
    [ -z "$out" ] || { echo "$m: $out"; return 1; }
  done
}
