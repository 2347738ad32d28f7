#!/usr/bin/env bats
# Every example script under examples/ runs and succeeds, and the demo
# story prints what it promises.

setup() {
  SRC=${VCI_SRCDIR:-$BATS_TEST_DIRNAME/../..}
  cd "$BATS_TEST_TMPDIR"
}

@test "examples/demo.sh: metadata, type metadata, bound holder keys, statuses, PID credentials" {
  run sh "$SRC/examples/demo.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"credential_issuer":"https://issuer.example.com"'* ]]
  [[ "$output" == *'"credential_configurations_supported"'* ]]
  [[ "$output" == *'"vct":"urn:eudi:pid:1"'* ]]
  [[ "$output" == *'"holder_jwk":{"kty":"OKP","crv":"Ed25519"'* ]]
  [[ "$output" == *'"status":{"status_list":{"idx":'* ]]
  [[ "$output" =~ index\ [0-9]+:\ valid ]]
  [[ "$output" =~ index\ [0-9]+:\ invalid ]]
  [[ "$output" == *'"docType":"org.iso.18013.5.1.mDL"'*'"deviceKey":{"kty":"OKP","crv":"Ed25519"'*'"status":{"status_list":{"idx":'*'"trusted":true'* ]]
  [[ "$output" == *'offer link: openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foffers%2F'* ]]
  [[ "$output" == *'"format":"dc+sd-jwt","credential":"ey'* ]]
  [[ "$output" == *'"vct":"urn:eudi:pid:1"'*'"cnf":{"jwk":{"kty":"OKP","crv":"Ed25519"'* ]]
  [[ "$output" == *'"given_name":"Erika"'* ]]
}

@test "examples/sign-sdjwt.sh: 100 people, 99 credentials verified, one error record" {
  run sh "$SRC/examples/sign-sdjwt.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *"records: 100, credentials: 99, error records: 1"* ]]
  [[ "$output" == *'emp-042: claims.birthdate: expected full-date'* ]]
  [[ "$output" == *"verified: 99"* ]]
}

@test "examples/serve/manage.sh: definitions, metadata following, bulk offers, exchanges" {
  command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
  run sh "$SRC/examples/serve/manage.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'created: "id":"eu.europa.ec.eudi.pid_vc_sd_jwt"'* ]]
  [[ "$output" == *'served: eu.europa.ec.eudi.pid_mso_mdoc eu.europa.ec.eudi.pid_vc_sd_jwt pid pid_jwt_vc pid_plain'* ]]
  [[ "$output" == *'bulk: 3 offers, 1 error record'* ]]
  [[ "$output" == *'"error":{"code":"unknown_credential_configuration"'*'"line":3'* ]]
  [[ "$output" == *'exchanges redeemed: 1, next page: 0'* ]]
  [[ "$output" == *'deleted: 204'*'again: 404'* ]]
}

@test "every examples/*.sh script exits 0" {
  for s in "$SRC"/examples/*.sh; do
    run sh "$s"
    if [ "$status" -ne 0 ]; then
      echo "$s failed: $output"
      return 1
    fi
  done
}
