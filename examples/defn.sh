#!/bin/sh
# Credential definitions to what an issuer publishes: lint the example
# definitions, print the Credential Issuer Metadata for all of them and the
# SD-JWT VC Type Metadata of the PID, then check two records' claims.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
defs=$here/definitions

vci-defn lint "$defs/pid.json" "$defs/mdl.json" "$defs/diploma.json"

vci-defn metadata --issuer https://issuer.example.com \
	--nonce-endpoint https://issuer.example.com/nonce \
	--batch-size 10 \
	"$defs/pid.json" "$defs/mdl.json" "$defs/diploma.json"

vci-defn type-metadata "$defs/pid.json"

# One good record and one with a malformed date: the second becomes an
# error record and the exit status is 1.
printf '%s\n' \
	'{"id":"r1","claims":{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}' \
	'{"id":"r2","claims":{"given_name":"Max","family_name":"Mustermann","birthdate":"31/12/1990","nationalities":["DE"],"issuing_country":"DE","issuing_authority":"DE"}}' |
	vci-defn check-claims --jobs 1 "$defs/pid.json" || test $? -eq 1
