#!/bin/sh
# examples/offer-qr.sh - one credential offer shown as a QR code in the
# terminal: a pre-authorized code with a six-digit transaction code, the
# offer hosted by reference (the short link makes a small QR code), the
# same code as a PNG, read back with zbarimg when it is installed.
# Needs vci-offer on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
issuer=https://issuer.example.com
mkdir offers

echo '{"claims":{"given_name":"Erika","family_name":"Mustermann"}}' |
	vci-offer --issuer "$issuer" --config pid --tx-code 6 \
		--tx-code-description "We sent the code by SMS" \
		--by-reference "$issuer/offers" --offer-dir offers \
		--qr --qr-png offer.png --output offer.ndjson

get() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/" offer.ndjson; }
echo "link: $(get offer_link)"
echo "hosted at $issuer/offers/$(get offer_id):"
cat offers/*.json
echo "transaction code, for another channel: $(get tx_code)"
if command -v zbarimg >/dev/null 2>&1; then
	echo "decoded: $(zbarimg -q --raw offer.png)"
fi
