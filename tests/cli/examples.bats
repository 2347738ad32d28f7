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

@test "examples/serve/system-a.sh: system A's definition and issue bodies on vci-serve, the history they answer" {
  command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
  command -v curl >/dev/null || skip "curl not installed"
  run sh "$SRC/examples/serve/system-a.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'definitions: "credentialDefinitionId":"a_pid" "credentialDefinitionId":"a_pid_mdoc"'* ]]
  [[ "$output" == *'issued: status=offer_sent mode=InTime'* ]]
  [[ "$output" == *'offer: openid-credential-offer://?credential_offer_uri='* ]]
  [[ "$output" == *'batch: 2 exchanges'* ]]
  [[ "$output" == *'deferred: credentialStatus=pending link=haip://'* ]]
  [[ "$output" == *'claims before the wallet asked: 409'* ]]
  [[ "$output" == *'history: 4 offers sent'* ]]
}

@test "examples/serve/system-c.sh: system C's records and POST /issue on vci-serve, the draft-13 offer" {
  command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
  command -v curl >/dev/null || skip "curl not installed"
  run sh "$SRC/examples/serve/system-c.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'record generic: IDCard (vc+sd-jwt)'*'record jwt: Email_-_JWT_VC (jwt_vc_json)'*'record sd-jwt: test (vc+sd-jwt)'* ]]
  [[ "$output" == *'offer: credentials="IDCard" user_pin_required=false'* ]]
  [[ "$output" == *'link: openid-credential-offer://?credential_offer='* ]]
  [[ "$output" == *'exchange: created'*'listed in state offer: 1'* ]]
}

@test "examples/serve/eudi.sh: the EUDI connector's guide on vci-serve, the offer pushed, the code apart, the callback" {
  command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
  command -v curl >/dev/null || skip "curl not installed"
  PYTHON3=${PYTHON3:-/usr/bin/python3} run sh "$SRC/examples/serve/eudi.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'type: IdentityCredential'*'callback format: eudi-connector'* ]]
  [[ "$output" == *'offer: wallet endpoint answered 200'* ]]
  [[ "$output" == *'GET /sms?offer_id=ID&tx_code=NNNNNN'* ]]
  [[ "$output" == *'GET /wallet?credential_offer_uri=https%3A%2F%2Fissuer%2Eexample%2Ecom%2Foffers%2FID'* ]]
  [[ "$output" == *'POST /callback/issuance {"eventId":"...","status":"OFFER_CREATED","offerId":"ID"}'* ]]
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

# ---- examples/serve: vci-serve in practice ----

@test "examples/serve/issue.sh: offers imported and from the management listener, issued to the holder simulator, verified; the server stops cleanly" {
  TMPDIR=$BATS_TEST_TMPDIR run sh "$SRC/examples/serve/issue.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'offer link: openid-credential-offer://?credential_offer_uri=https%3A%2F%2F127%2E0%2E0%2E1%3A'* ]]
  [[ "$output" == *'received: dc+sd-jwt bound to the wallet key EC P-256'* ]]
  [[ "$output" =~ status\ list\ entry\ [0-9]+:\ valid ]]
  [[ "$output" == *'"given_name":"Erika"'* ]]
  [[ "$output" == *'"credential_offer_uri":'* ]]
  [[ "$output" == *'"given_name":"Ada"'* ]]
  [[ "$output" =~ status\ list\ entry\ [0-9]+:\ invalid ]]
  [[ "$output" == *'"path":"/credential","status":200'* ]]
  [[ "$output" == *'vci-serve exited with status 0'* ]]
  # no server left running, no temporary directory left behind
  pid=$(printf '%s\n' "$output" | sed -n 's/.*vci-serve process \([0-9]*\)$/\1/p')
  [ -n "$pid" ]
  if kill -0 "$pid" 2>/dev/null; then echo "vci-serve $pid still runs"; return 1; fi
  [ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep '^tmp\.' || true)" ]
}

@test "examples/serve/wallet-initiated.sh: the user signs in at the stand-in OpenID Provider, the badge carries the ID token's claims" {
  command -v vci-serve >/dev/null || skip "vci-serve not on PATH"
  "${PYTHON3:-/usr/bin/python3}" -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto not installed"
  TMPDIR=$BATS_TEST_TMPDIR run sh "$SRC/examples/serve/wallet-initiated.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'authorize: sent to the OpenID Provider'* ]]
  [[ "$output" == *'GET /oidc/callback -> 302'* ]]
  [[ "$output" == *'POST /credential -> 200'* ]]
  [[ "$output" == *'"employee_id": "E-1024"'* ]]
  [[ "$output" == *'vci-serve exited with status 0'* ]]
  pid=$(printf '%s\n' "$output" | sed -n 's/.*vci-serve process \([0-9]*\)$/\1/p')
  [ -n "$pid" ]
  if kill -0 "$pid" 2>/dev/null; then echo "vci-serve $pid still runs"; return 1; fi
  [ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep '^tmp\.' || true)" ]
}

@test "examples/serve/vci-serve.service passes systemd-analyze verify" {
  command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed"
  bin=$(command -v vci-serve)
  sed "s#/usr/local/bin/vci-serve#$bin#" "$SRC/examples/serve/vci-serve.service" \
    >"$BATS_TEST_TMPDIR/vci-serve.service"
  run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/vci-serve.service"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  for o in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
    'CapabilityBoundingSet=$' MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
    RestrictAddressFamilies= StateDirectory=vci-serve; do
    grep -q "^$o" "$SRC/examples/serve/vci-serve.service" || { echo "missing $o"; return 1; }
  done
}

@test "examples/serve/nginx.conf passes nginx -t" {
  command -v nginx >/dev/null 2>&1 || skip "nginx is not installed"
  d=$BATS_TEST_TMPDIR
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/k.pem" \
    -out "$d/c.pem" -subj /CN=issuer.example.com -days 1 2>/dev/null
  sed -e "s#/etc/ssl/issuer.example.com/fullchain.pem#$d/c.pem#" \
    -e "s#/etc/ssl/issuer.example.com/privkey.pem#$d/k.pem#" \
    -e "s#/var/log/nginx/#$d/#" "$SRC/examples/serve/nginx.conf" >"$d/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp { include %s/site.conf; }\n' \
    "$d" "$d" "$d" >"$d/nginx.conf"
  run nginx -t -c "$d/nginx.conf" -p "$d"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q 'proxy_pass http://vci_serve' "$SRC/examples/serve/nginx.conf"
  grep -q 'server 127.0.0.1:8080' "$SRC/examples/serve/nginx.conf"
  grep -q 'client_max_body_size 64k' "$SRC/examples/serve/nginx.conf"
}

@test "examples/serve/multi-host.sh: two hosts on one PostgreSQL database share the flows; a code spent on one is refused by the other; nothing left running" {
  [ -n "${VCI_TEST_PG:-}" ] ||
    skip "PostgreSQL: VCI_TEST_PG is not set (scripts/check starts a throwaway cluster and sets it)"
  if vci-serve apikey list --db "pg:dbname=none" 2>&1 | grep -q "no PostgreSQL driver"; then
    skip "PostgreSQL: this build has no PostgreSQL driver (configure --with-postgresql)"
  fi
  TMPDIR=$BATS_TEST_TMPDIR run sh "$SRC/examples/serve/multi-host.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'database: postgresql:///vci?host=/tmp/vci-pg.'* ]]
  [[ "$output" =~ flow\ 3:\ 1\ credential\(s\),\ status\ list\ entries\ pid#[0-9]+ ]]
  [[ "$output" =~ host\ a\ answered:\ [1-9][0-9]*\ requests ]]
  [[ "$output" =~ host\ b\ answered:\ [1-9][0-9]*\ requests ]]
  [[ "$output" == *'host B refused 3 spent codes and 3 spent c_nonces'* ]]
  [[ "$output" == *'cluster stopped'* ]]
  [ "$(printf '%s\n' "$output" | grep -c 'exited with status 0')" -eq 2 ]
  [ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep '^tmp\.' || true)" ]
}
