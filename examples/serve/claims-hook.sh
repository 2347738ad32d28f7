#!/bin/sh
# examples/serve/claims-hook.sh - a claims hook for vci-serve: the claims of
# each offer from a directory of JSON files named after the offer id, as a
# back office's export job might leave them.
#
#   vci-serve ... --claims-hook "/usr/local/lib/vci/claims-hook.sh /srv/claims"
#
# vci-serve runs it without a shell, the exchange as one line of JSON on
# standard input; it prints the claims object. While the file is not there
# it exits 75: a deferred credential request stays pending (the wallet
# polls again), an immediate one fails with server_error. The offer id is
# base64url, so it is safe as a file name.
set -eu
dir=${1:?usage: claims-hook.sh DIR}
offer=$(sed -n 's/.*"offer_id":"\([A-Za-z0-9_-]*\)".*/\1/p' | head -n 1)
[ -n "$offer" ] || { echo "claims-hook: no offer_id in the input" >&2; exit 1; }
[ -f "$dir/$offer.json" ] || exit 75
exec cat "$dir/$offer.json"
