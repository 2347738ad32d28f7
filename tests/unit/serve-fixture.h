/* serve-fixture.h - a vci-serve set up for the handler tests and fuzz
 * targets: in a new temporary directory, a P-256 signing key and its
 * self-signed certificate, four definitions (pid: dc+sd-jwt with a key
 * and a Token Status List; mdl: mso_mdoc, the same; diploma: jwt_vc_json
 * with a Bitstring Status List; card: dc+sd-jwt without key binding),
 * both status lists, and the server made by vci_serve_new with the issuer
 * SERVE_FIXTURE_ISSUER, batch size 3 and 3 tx_code attempts, its SQLite
 * store in the directory. Test code: failures are printed to stderr. */
#ifndef SERVE_FIXTURE_H
#define SERVE_FIXTURE_H

#include "serve/serve.h"

#define SERVE_FIXTURE_ISSUER "https://issuer.example"

typedef struct serve_fixture {
	char dir[64];
	vci_serve_t *s;
	EVP_PKEY *issuer;       /* the signing key */
	int64_t now;            /* the time requests are made at */
} serve_fixture_t;

/* Returns 1 when the server is up. */
int serve_fixture_up(serve_fixture_t *fx);
/* Free the server and remove the directory. */
void serve_fixture_down(serve_fixture_t *fx);

/* Claims that satisfy the definition `config` (a new object). */
json_t *serve_fixture_claims(const char *config);

/* Put an offer of the configurations `configs` (ids separated by spaces),
 * with the claims of the first and a tx_code (or none), into the store as
 * `vci-serve import` does, for tx_attempts wrong tx_codes. Returns its
 * pre-authorized code (malloc'd), or NULL. */
char *serve_fixture_offer(serve_fixture_t *fx, const char *configs, const char *tx,
			  unsigned tx_attempts);

/* A Bearer access token (malloc'd) for a new offer of `configs`, from the
 * token endpoint's handler, or NULL. */
char *serve_fixture_token(serve_fixture_t *fx, const char *configs);

#endif
