#!/bin/sh
# examples/offer-batch.sh - a CSV batch of holders, one credential offer
# and one PNG QR code per row (named after the offer id), offers hosted by
# reference in a directory a web server can serve. zbarimg, when it is
# installed, reads every PNG back.
# Needs vci-offer on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
issuer=https://issuer.example.com
mkdir offers qr

cat >people.csv <<'CSV'
given_name,family_name,birthdate
Erika,Mustermann,1964-08-12
Max,Mustermann,1990-12-31
Ada,Lovelace,1815-12-10
CSV

vci-offer --issuer "$issuer" --config pid --by-reference "$issuer/offers" \
	--offer-dir offers --qr-png 'qr/{offer_id}.png' --csv people.csv >offers.ndjson
sed 's/"pre_authorized_code":"[^"]*"/"pre_authorized_code":"..."/' offers.ndjson
echo "$(ls qr | wc -l | tr -d ' ') PNG files, $(ls offers | wc -l | tr -d ' ') hosted offers"
if command -v zbarimg >/dev/null 2>&1; then
	for f in qr/*.png; do
		echo "$f: $(zbarimg -q --raw "$f")"
	done
fi
