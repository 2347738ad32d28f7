/* test-handlers.c - the protocol endpoints of vci-serve (POST /token,
 * /nonce, /credential, /notification) driven through their handler
 * functions, without a socket, over a real server setup (vci_serve_new:
 * definitions of the three formats, a signing key and certificate, status
 * lists, a SQLite store in a temporary directory). Holder proofs and DPoP
 * proofs are signed here with OpenSSL keys through libvci's JWS functions;
 * every credential received is verified and checked to be bound to the
 * key that proved possession, with its own status index.
 *
 * The cases are a table: an offer (configurations, tx_code), the server's
 * DPoP settings, then steps, each a request variant and the status and
 * error it must get. A flow carries what a wallet keeps from one step to
 * the next (code, token, c_nonce, DPoP-Nonce, notification id). */
#include "base/common.h"
#include "base/b64url.h"
#include "base/http.h"
#include "crypto/atoken.h"
#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/mdoc.h"
#include "oid4vci/request.h"
#include "oid4vci/sdjwt.h"
#include "serve/serve.h"
#include "store/store.h"
#include "serve-fixture.h"
#include "tap.h"

#include <string.h>
#include <strings.h>

#define ISSUER SERVE_FIXTURE_ISSUER
#define NHOLDERS 5
#define BATCH 3
#define TX_ATTEMPTS 3
#define TX_CODE "493536"

/* ---- the fixture ---- */

static struct {
	serve_fixture_t fx;
	vci_serve_t *s;
	EVP_PKEY *issuer;
	EVP_PKEY *holder[NHOLDERS];
	char holder_jkt[NHOLDERS][44];
	EVP_PKEY *dpop, *dpop2;
	EVP_PKEY *enc;          /* the wallet's response encryption key */
	int64_t now;
} F;

static int fixture_up(void)
{
	if (!serve_fixture_up(&F.fx))
		return 0;
	F.s = F.fx.s;
	F.issuer = F.fx.issuer;
	F.now = F.fx.now;
	F.dpop = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.dpop2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.enc = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	for (int i = 0; i < NHOLDERS; i++) {
		json_auto_t *jwk = NULL;

		F.holder[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		jwk = vci_jwk_from_pkey(F.holder[i], NULL);
		vci_jwk_thumbprint(jwk, F.holder_jkt[i], NULL);
	}
	return 1;
}

static void fixture_down(void)
{
	serve_fixture_down(&F.fx);
	EVP_PKEY_free(F.dpop);
	EVP_PKEY_free(F.dpop2);
	EVP_PKEY_free(F.enc);
	for (int i = 0; i < NHOLDERS; i++)
		EVP_PKEY_free(F.holder[i]);
}

/* ---- what a wallet sends ---- */

static char *sign(EVP_PKEY *key, const char *typ, json_t *payload)
{
	json_auto_t *jwk = vci_jwk_from_pkey(key, NULL);
	json_auto_t *hdr = json_pack("{s:s, s:O}", "typ", typ, "jwk", jwk);
	char *jwt = vci_jws_sign_json(key, "ES256", hdr, payload, NULL);

	json_decref(payload);
	return jwt;
}

/* A key proof (OID4VCI 1.0 Appendix F.1) for c_nonce (NULL: none). */
static char *key_proof(EVP_PKEY *key, const char *aud, const char *nonce)
{
	json_t *p = json_pack("{s:s, s:I}", "aud", aud, "iat", (json_int_t)F.now);

	if (nonce)
		json_object_set_new(p, "nonce", json_string(nonce));
	return sign(key, "openid4vci-proof+jwt", p);
}

/* A DPoP proof (RFC 9449 section 4.2). */
static char *dpop_proof(EVP_PKEY *key, const char *htu, const char *token, const char *nonce)
{
	static unsigned jti;
	char j[32], ath[44];
	json_t *p;

	snprintf(j, sizeof j, "jti-%u-%lld", ++jti, (long long)F.now);
	p = json_pack("{s:s, s:s, s:s, s:I}", "jti", j, "htm", "POST", "htu", htu, "iat",
		      (json_int_t)F.now);
	if (token && vci_dpop_ath(token, ath) == 0)
		json_object_set_new(p, "ath", json_string(ath));
	if (nonce)
		json_object_set_new(p, "nonce", json_string(nonce));
	return sign(key, "dpop+jwt", p);
}

/* A signature with one byte changed. */
static void spoil(char *jwt)
{
	char *sig = strrchr(jwt, '.') + 5;

	*sig = *sig == 'A' ? 'B' : 'A';
}

/* ---- the table ---- */

enum { EP_TOKEN, EP_NONCE, EP_CRED, EP_NOTIF };

enum {
	/* token */
	T_DPOP = 1u << 0,       /* a DPoP proof of the flow's key */
	T_TX_WRONG = 1u << 1,   /* a wrong tx_code */
	T_TX_NONE = 1u << 2,    /* no tx_code */
	T_SAME_JTI = 1u << 3,   /* the last DPoP proof again */
	T_GRANT = 1u << 4,      /* grant_type authorization_code */
	T_EXTRA = 1u << 5,      /* unknown and empty form parameters, client_id */
	T_CTYPE = 1u << 6,      /* Content-Type application/json */
	X_NO_NONCE = 1u << 7,   /* DPoP proof without the server's DPoP-Nonce */
	/* credential */
	C_BEARER = 1u << 8,     /* a DPoP-bound token sent as Bearer */
	C_QUERY = 1u << 9,      /* the token in the query string as well */
	C_NO_AUTH = 1u << 10,   /* no Authorization */
	C_NO_DPOP = 1u << 11,   /* a DPoP-bound token without a DPoP proof */
	C_BAD_ATH = 1u << 12,   /* DPoP proof with the ath of another token */
	C_DPOP_KEY2 = 1u << 13, /* DPoP proof by another key */
	C_NO_PROOF = 1u << 14,
	C_BAD_SIG = 1u << 15,   /* the proof's signature spoilt */
	C_AUD = 1u << 16,       /* the proof's aud another issuer */
	C_NONCE_RAND = 1u << 17,/* a c_nonce the server never gave */
	C_NONCE_NONE = 1u << 18,/* a proof without nonce */
	C_DUP_KEYS = 1u << 19,  /* every proof by the same key */
	C_D13 = 1u << 20,       /* draft 13: format + type, singular proof */
	C_D15 = 1u << 21,       /* configuration id + singular proof (seed 001) */
	C_IDENT = 1u << 22,     /* credential_identifier */
	C_UNKNOWN = 1u << 23,   /* unknown members */
	C_BOTH_IDS = 1u << 24,  /* credential_identifier and credential_configuration_id */
	C_BAD_TOKEN = 1u << 25, /* a token the server never gave */
	C_ENCRYPT = 1u << 26,   /* credential_response_encryption */
	/* notification */
	N_BAD_ID = 1u << 27,    /* a notification_id of nobody */
	N_DESC = 1u << 28,      /* with an event_description */
	/* credential: encryption (section 10) */
	C_ENC_REQ = 1u << 29,   /* the request encrypted to the issuer's key */
	C_ENC_OK = 1u << 30,    /* credential_response_encryption to F.enc, A256GCM */
	C_ENC_CBC = 1u << 31,   /* the same with enc A128CBC-HS256 */
};

typedef struct step {
	int ep;
	unsigned v;
	int nproofs;        /* credential: proofs sent (0: 1) */
	const char *arg;    /* credential: the id sent (NULL: the offered one);
			       notification: the event */
	int status;
	const char *error;  /* expected "error", NULL for success */
} step_t;

typedef struct hcase {
	const char *name;
	const char *configs;        /* offered configuration ids, space-separated */
	const char *tx;             /* the offer's tx_code, or NULL */
	vci_dpop_mode_t dpop;
	int dpop_nonce;
	step_t steps[8];
} hcase_t;

#define TOK(v, st, e) { EP_TOKEN, v, 0, NULL, st, e }
#define NONCE { EP_NONCE, 0, 0, NULL, 200, NULL }
#define CRED(v, n, id, st, e) { EP_CRED, v, n, id, st, e }
#define NOTIF(v, ev, st, e) { EP_NOTIF, v, 0, ev, st, e }
#define OPT VCI_DPOP_OPTIONAL
#define REQ VCI_DPOP_REQUIRED
#define ACCEPTED "credential_accepted"

static const hcase_t cases[] = {
	{ "dc+sd-jwt, Bearer", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL), NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "mso_mdoc, DPoP", "mdl", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL),
	    NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "jwt_vc_json, DPoP", "diploma", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL),
	    NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "no key binding: no proof needed", "card", NULL, OPT, 0,
	  { TOK(0, 200, NULL), CRED(C_NO_PROOF, 1, NULL, 200, NULL) } },
	{ "two configurations, one notification id", "pid card", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 1, "pid", 200, NULL),
	    CRED(C_NO_PROOF, 1, "card", 200, NULL), NOTIF(0, ACCEPTED, 204, NULL) } },
	/* tx_code */
	{ "tx_code right", "pid", TX_CODE, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL) } },
	{ "tx_code wrong, then right: the code is not spent", "pid", TX_CODE, OPT, 0,
	  { TOK(T_TX_WRONG, 400, "invalid_grant"), TOK(0, 200, NULL) } },
	{ "tx_code missing", "pid", TX_CODE, OPT, 0,
	  { TOK(T_TX_NONE, 400, "invalid_request"), TOK(0, 200, NULL) } },
	{ "tx_code sent for an offer without one: refused, the code kept", "pid", NULL, OPT, 0,
	  { TOK(T_TX_WRONG, 400, "invalid_request"), TOK(0, 200, NULL) } },
	{ "tx_code wrong up to the cap: the code is dead", "pid", TX_CODE, OPT, 0,
	  { TOK(T_TX_WRONG, 400, "invalid_grant"), TOK(T_TX_WRONG, 400, "invalid_grant"),
	    TOK(T_TX_WRONG, 400, "invalid_grant"), TOK(0, 400, "invalid_grant") } },
	/* the token request */
	{ "pre-authorized code replayed", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), TOK(0, 400, "invalid_grant") } },
	{ "another grant type", "pid", NULL, OPT, 0,
	  { TOK(T_GRANT, 400, "invalid_request"), TOK(0, 200, NULL) } },
	{ "unknown form parameters ignored", "pid", NULL, OPT, 0,
	  { TOK(T_EXTRA, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL) } },
	{ "token request not a form", "pid", NULL, OPT, 0,
	  { TOK(T_CTYPE, 400, "invalid_request"), TOK(0, 200, NULL) } },
	{ "draft 13 c_nonce of the token response", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), CRED(0, 1, NULL, 200, NULL) } },
	/* DPoP */
	{ "DPoP required: no proof refused", "pid", NULL, REQ, 0,
	  { TOK(0, 400, "invalid_dpop_proof"), TOK(T_DPOP, 200, NULL), NONCE,
	    CRED(0, 1, NULL, 200, NULL), NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "DPoP off: a proof is ignored, Bearer", "pid", NULL, VCI_DPOP_OFF, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL) } },
	{ "DPoP server nonces", "pid", NULL, OPT, 1,
	  { TOK(T_DPOP | X_NO_NONCE, 400, "use_dpop_nonce"), TOK(T_DPOP, 200, NULL), NONCE,
	    CRED(X_NO_NONCE, 1, NULL, 401, "use_dpop_nonce"), CRED(0, 1, NULL, 200, NULL),
	    NOTIF(X_NO_NONCE, ACCEPTED, 401, "use_dpop_nonce"), NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "DPoP jti replayed at the token endpoint", "pid", TX_CODE, OPT, 0,
	  { TOK(T_DPOP | T_TX_WRONG, 400, "invalid_grant"),
	    TOK(T_DPOP | T_SAME_JTI, 400, "invalid_dpop_proof"), TOK(T_DPOP, 200, NULL) } },
	{ "DPoP jti replayed at the credential endpoint", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL), NONCE,
	    CRED(T_SAME_JTI, 1, NULL, 401, "invalid_dpop_proof") } },
	{ "DPoP-bound token as Bearer", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(C_BEARER, 1, NULL, 401, "invalid_token"),
	    CRED(0, 1, NULL, 200, NULL) } },
	{ "DPoP-bound token without a proof", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(C_NO_DPOP, 1, NULL, 401, "invalid_dpop_proof") } },
	{ "DPoP proof with a wrong ath", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(C_BAD_ATH, 1, NULL, 401, "invalid_dpop_proof") } },
	{ "DPoP proof by another key", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE,
	    CRED(C_DPOP_KEY2, 1, NULL, 401, "invalid_dpop_proof") } },
	/* the access token */
	{ "token in the query string", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_QUERY, 1, NULL, 400, "invalid_request") } },
	{ "no access token", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_NO_AUTH, 1, NULL, 401, "invalid_token"),
	    NOTIF(C_NO_AUTH, ACCEPTED, 401, "invalid_token") } },
	{ "unknown access token", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_BAD_TOKEN, 1, NULL, 401, "invalid_token") } },
	/* proofs */
	{ "batch of distinct keys", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(0, 3, NULL, 200, NULL),
	    NOTIF(N_DESC, "credential_failure", 204, NULL) } },
	{ "batch of mdocs", "mdl", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 2, NULL, 200, NULL) } },
	{ "batch with a key twice", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_DUP_KEYS, 2, NULL, 400, "invalid_proof") } },
	{ "batch over the batch size", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 4, NULL, 400, "invalid_credential_request") } },
	{ "c_nonce never given", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_NONCE_RAND, 1, NULL, 400, "invalid_nonce") } },
	{ "c_nonce replayed", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL),
	    CRED(0, 1, NULL, 400, "invalid_nonce") } },
	{ "proof without nonce", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_NONCE_NONE, 1, NULL, 400, "invalid_proof") } },
	{ "proof signature invalid: the c_nonce stays live", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_BAD_SIG, 1, NULL, 400, "invalid_proof"),
	    CRED(0, 1, NULL, 200, NULL) } },
	{ "proof missing", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_NO_PROOF, 1, NULL, 400, "invalid_proof") } },
	{ "proof for another issuer (aud)", "mdl", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_AUD, 1, NULL, 400, "invalid_proof") } },
	/* the credential request */
	{ "unknown configuration", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(0, 1, "nope", 400, "unknown_credential_configuration") } },
	{ "configuration not offered", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(0, 1, "mdl", 400, "unknown_credential_configuration") } },
	{ "credential_identifier", "diploma", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(C_IDENT, 1, NULL, 200, NULL) } },
	{ "unknown credential_identifier", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(C_IDENT, 1, "nope", 400, "unknown_credential_identifier") } },
	{ "both identifiers", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(C_BOTH_IDS, 1, NULL, 400, "invalid_credential_request") } },
	{ "response encryption asked for", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(C_ENCRYPT, 1, NULL, 400, "invalid_encryption_parameters") } },
	{ "encrypted request, encrypted response (A256GCM)", "pid", NULL, OPT, 0,
	  { TOK(T_DPOP, 200, NULL), NONCE, CRED(C_ENC_REQ | C_ENC_OK, 2, NULL, 200, NULL),
	    NOTIF(0, ACCEPTED, 204, NULL) } },
	{ "encrypted request, plain response", "mdl", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_ENC_REQ, 1, NULL, 200, NULL) } },
	{ "encrypted response asked for in a plain request: the c_nonce stays live", "pid",
	  NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(C_ENC_OK, 1, NULL, 400, "invalid_encryption_parameters"),
	    CRED(C_ENC_REQ | C_ENC_OK, 1, NULL, 200, NULL) } },
	{ "response encryption with enc A128CBC-HS256", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE,
	    CRED(C_ENC_REQ | C_ENC_CBC, 1, NULL, 400, "invalid_encryption_parameters") } },
	{ "unknown members ignored", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_UNKNOWN, 1, NULL, 200, NULL) } },
	{ "draft 13 request, dc+sd-jwt (vc+sd-jwt + vct)", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_D13, 1, NULL, 200, NULL),
	    NOTIF(0, "credential_deleted", 204, NULL) } },
	{ "draft 13 request, mso_mdoc (doctype)", "mdl", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_D13, 1, NULL, 200, NULL) } },
	{ "draft 13 request, jwt_vc_json (credential_definition)", "diploma", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_D13, 1, NULL, 200, NULL) } },
	{ "draft 13 request without nonce: a fresh c_nonce with the error", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), CRED(C_D13 | C_NONCE_NONE, 1, NULL, 400, "invalid_proof"),
	    CRED(C_D13, 1, NULL, 200, NULL) } },
	{ "seed 001 shape: configuration id and singular proof", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(C_D15, 1, NULL, 200, NULL) } },
	/* notification */
	{ "notification: unknown id, bad event, repeat", "pid", NULL, OPT, 0,
	  { TOK(0, 200, NULL), NONCE, CRED(0, 1, NULL, 200, NULL),
	    NOTIF(N_BAD_ID, ACCEPTED, 400, "invalid_notification_id"),
	    NOTIF(0, "Credential_Accepted", 400, "invalid_notification_request"),
	    NOTIF(0, ACCEPTED, 204, NULL), NOTIF(0, ACCEPTED, 204, NULL) } },
};

/* ---- a flow: what the wallet keeps ---- */

typedef struct flow {
	const hcase_t *c;
	char *code;
	char *token;
	int dpop_bound;
	char *c_nonce;
	char *dpop_nonce;
	char *last_dpop;
	char *nid;
	char *x_id;              /* the exchange, from the store */
	int issued;              /* credentials received */
} flow_t;

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v ? strdup(v) : NULL;
}

static void flow_clear(flow_t *f)
{
	free(f->code);
	free(f->token);
	free(f->c_nonce);
	free(f->dpop_nonce);
	free(f->last_dpop);
	free(f->nid);
	free(f->x_id);
	memset(f, 0, sizeof *f);
}

/* Put the case's offer into the store as `vci-serve import` would. */
static int offer_make(flow_t *f)
{
	f->code = serve_fixture_offer(&F.fx, f->c->configs, f->c->tx, TX_ATTEMPTS);
	return f->code ? 1 : tap_ok(0, "%s: offer", f->c->name);
}

/* A request as http.c would hand it over. */
typedef struct hreq {
	vci_req_t r;
	char *body;
	char auth[512];
	char path[64];
} hreq_t;

static void req_init(hreq_t *h, const char *path, const char *ctype)
{
	memset(h, 0, sizeof *h);
	h->r.method = "POST";
	snprintf(h->path, sizeof h->path, "%s", path);
	h->r.path = h->path;
	h->r.peer = "127.0.0.1";
	h->r.now = F.now;
	if (ctype) {
		h->r.headers[0].name = "Content-Type";
		h->r.headers[0].value = ctype;
		h->r.nheaders = 1;
	}
}

static void req_header(hreq_t *h, const char *name, const char *value)
{
	h->r.headers[h->r.nheaders].name = name;
	h->r.headers[h->r.nheaders++].value = value;
}

static void req_body(hreq_t *h, char *body)
{
	h->body = body;
	h->r.body = body;
	h->r.body_len = body ? strlen(body) : 0;
}

static const char *resp_header(const vci_resp_t *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

static const char *hdr_or(const vci_resp_t *r, const char *name)
{
	const char *v = resp_header(r, name);

	return v ? v : "";
}

static const char *str_or(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Members of a response object outside `allowed` (space-separated). */
static const char *stray_member(const json_t *o, const char *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		char pat[80];

		snprintf(pat, sizeof pat, " %s ", k);
		if (!strstr(allowed, pat))
			return k;
	}
	return NULL;
}

/* The DPoP header of a request, by the step's variant. */
static void with_dpop(flow_t *f, hreq_t *h, unsigned v, const char *htu, const char *token)
{
	char *p;

	if ((v & T_SAME_JTI) && f->last_dpop) {
		req_header(h, "DPoP", f->last_dpop);
		return;
	}
	p = dpop_proof(v & C_DPOP_KEY2 ? F.dpop2 : F.dpop, htu, token,
		       v & X_NO_NONCE ? NULL : f->dpop_nonce);
	free(f->last_dpop);
	f->last_dpop = p;
	req_header(h, "DPoP", p);
}

/* ---- the steps ---- */

static char *token_body(flow_t *f, unsigned v)
{
	char *b = NULL;
	const char *tx = v & T_TX_WRONG ? "000000" : f->c->tx;
	char *code = vci_url_encode(f->code, strlen(f->code), NULL, NULL);
	int n;

	n = asprintf(&b, "%sgrant_type=%s&pre-authorized_code=%s%s%s%s",
		     v & T_EXTRA ? "client_id=wallet&foo=bar&authorization_details=&" : "",
		     v & T_GRANT ? "authorization_code"
				 : "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code",
		     code, tx && !(v & T_TX_NONE) ? "&tx_code=" : "",
		     tx && !(v & T_TX_NONE) ? tx : "", v & T_EXTRA ? "&x=1&&scope" : "");
	free(code);
	return n < 0 ? NULL : b;
}

static void check_token_ok(flow_t *f, const step_t *st, const vci_resp_t *resp, json_t *j)
{
	const char *tt = json_string_value(json_object_get(j, "token_type"));
	const json_t *ad = json_object_get(j, "authorization_details");
	int want_dpop = (st->v & T_DPOP) && F.s->dpop != VCI_DPOP_OFF;
	const char *stray = stray_member(j, " access_token token_type expires_in "
					 "authorization_details c_nonce c_nonce_expires_in ");
	const json_t *e0 = json_array_get(ad, 0);

	tap_is_str(tt ? tt : "", want_dpop ? "DPoP" : "Bearer", "%s: token_type", f->c->name);
	tap_ok(!stray, "%s: no unknown member in the token response (%s)", f->c->name,
	       stray ? stray : "none");
	tap_ok(json_array_size(ad) >= 1 &&
	       !strcmp(str_or(json_object_get(e0, "type")), "openid_credential") &&
	       json_array_size(json_object_get(e0, "credential_identifiers")) == 1,
	       "%s: authorization_details with credential_identifiers", f->c->name);
	tap_is_str(hdr_or(resp, "Cache-Control"), "no-store", "%s: token no-store",
		   f->c->name);
	set_str(&f->token, json_string_value(json_object_get(j, "access_token")));
	set_str(&f->c_nonce, json_string_value(json_object_get(j, "c_nonce")));
	f->dpop_bound = want_dpop;
}

static void step_token(flow_t *f, const step_t *st, vci_resp_t *resp)
{
	hreq_t h;

	req_init(&h, "/token", st->v & T_CTYPE ? "application/json"
					       : "application/x-www-form-urlencoded");
	req_body(&h, token_body(f, st->v));
	if (st->v & T_DPOP)
		with_dpop(f, &h, st->v, ISSUER "/token", NULL);
	vci_h_token(F.s, &h.r, resp);
	free(h.body);
}

static void step_nonce(flow_t *f, vci_resp_t *resp)
{
	hreq_t h;
	json_auto_t *j = NULL;

	req_init(&h, "/nonce", NULL);
	vci_h_nonce(F.s, &h.r, resp);
	j = json_loadb(resp->body, resp->len, 0, NULL);
	set_str(&f->c_nonce, json_string_value(json_object_get(j, "c_nonce")));
	tap_ok(f->c_nonce && json_object_size(j) == 1 &&
	       !strcmp(hdr_or(resp, "Cache-Control"), "no-store"),
	       "%s: nonce endpoint: {c_nonce}, no-store", f->c->name);
}

/* The first configuration the case offers, or the step's. */
static const char *step_config(const flow_t *f, const step_t *st, char *buf, size_t size)
{
	if (st->arg)
		return st->arg;
	snprintf(buf, size, "%s", f->c->configs);
	buf[strcspn(buf, " ")] = '\0';
	return buf;
}

/* The proofs member(s) of a credential request. */
static void cred_proofs(flow_t *f, const step_t *st, json_t *body)
{
	int n = st->nproofs ? st->nproofs : 1;
	const char *nonce = st->v & C_NONCE_NONE ? NULL
			    : st->v & C_NONCE_RAND ? "bm90LWEtbm9uY2Utb2YtdGhpcy1zZXJ2ZXI"
			    : f->c_nonce;
	json_t *list = json_array();

	for (int i = 0; i < n; i++) {
		EVP_PKEY *k = F.holder[st->v & C_DUP_KEYS ? 0 : i];
		char *jwt = key_proof(k, st->v & C_AUD ? "https://other.example" : ISSUER, nonce);

		if (st->v & C_BAD_SIG)
			spoil(jwt);
		json_array_append_new(list, json_string(jwt));
		free(jwt);
	}
	if (st->v & (C_D13 | C_D15)) {
		json_object_set_new(body, "proof", json_pack("{s:s, s:O}", "proof_type", "jwt", "jwt",
							     json_array_get(list, 0)));
		json_decref(list);
	} else {
		json_object_set_new(body, "proofs", json_pack("{s:o}", "jwt", list));
	}
}

/* Draft 13's format and type parameters of a configuration. */
static void cred_d13(json_t *body, const char *config)
{
	if (!strcmp(config, "mdl")) {
		json_object_set_new(body, "format", json_string("mso_mdoc"));
		json_object_set_new(body, "doctype", json_string("org.iso.18013.5.1.mDL"));
	} else if (!strcmp(config, "diploma")) {
		json_object_set_new(body, "format", json_string("jwt_vc_json"));
		json_object_set_new(body, "credential_definition",
				    json_pack("{s:[s,s]}", "type", "VerifiableCredential",
					      "UniversityDegreeCredential"));
	} else {
		json_object_set_new(body, "format", json_string("vc+sd-jwt"));
		json_object_set_new(body, "vct", json_string("urn:test:pid"));
	}
}

static char *cred_body(flow_t *f, const step_t *st)
{
	char cfg[32];
	const char *config = step_config(f, st, cfg, sizeof cfg);
	json_auto_t *b = json_object();

	if (st->v & C_D13)
		cred_d13(b, config);
	else if (st->v & (C_IDENT | C_BOTH_IDS))
		json_object_set_new(b, "credential_identifier", json_string(config));
	if (!(st->v & (C_D13 | C_IDENT)))
		json_object_set_new(b, "credential_configuration_id", json_string(config));
	if (st->v & C_D15) {
		json_object_set_new(b, "format", json_string("dc+sd-jwt"));
		json_object_set_new(b, "vct", json_string("urn:test:pid"));
	}
	if (st->v & C_UNKNOWN) {
		json_object_set_new(b, "client_id", json_string("wallet"));
		json_object_set_new(b, "x-vendor", json_pack("{s:[i]}", "a", 1));
	}
	if (st->v & C_ENCRYPT)
		json_object_set_new(b, "credential_response_encryption",
				    json_pack("{s:{s:s}, s:s}", "jwk", "kty", "EC", "enc",
					      "A128GCM"));
	if (st->v & (C_ENC_OK | C_ENC_CBC)) {
		json_t *jwk = vci_jwk_from_pkey(F.enc, NULL);

		json_object_set_new(jwk, "alg", json_string("ECDH-ES"));
		json_object_set_new(jwk, "kid", json_string("wallet-enc-1"));
		json_object_set_new(b, "credential_response_encryption",
				    json_pack("{s:o, s:s}", "jwk", jwk, "enc",
					      st->v & C_ENC_CBC ? "A128CBC-HS256" : "A256GCM"));
	}
	if (!(st->v & C_NO_PROOF))
		cred_proofs(f, st, b);
	return json_dumps(b, JSON_COMPACT);
}

/* A request body encrypted to the issuer's credential_request_encryption
 * key, as a wallet reads it from the metadata (frees plain). */
static char *encrypt_request(char *plain)
{
	const json_t *jwks = json_object_get(F.s->metadata, "credential_request_encryption");
	const json_t *k = json_array_get(json_object_get(json_object_get(jwks, "jwks"), "keys"), 0);
	vci_err_t err = { 0 };
	char *jwe = vci_jwe_encrypt(k, "A128GCM", NULL, NULL, (const uint8_t *)plain,
				    strlen(plain), &err);

	if (!jwe)
		tap_diag("encrypting the request: %s", err.msg);
	free(plain);
	return jwe;
}

/* A 200 answer that must be a JWE to F.enc: its JSON (new), or NULL. */
static json_t *decrypt_response(const flow_t *f, const vci_resp_t *resp)
{
	char *text = strndup(resp->body, resp->len);
	uint8_auto_t *pt = NULL;
	json_auto_t *h = NULL;
	vci_err_t err = { 0 };
	size_t n = 0;
	int rc = vci_jwe_decrypt(text, resp->len, F.enc, &pt, &n, &h, &err);

	free(text);
	tap_is_str(resp->content_type, "application/jwt", "%s: encrypted response type",
		   f->c->name);
	tap_ok(rc == 0 && !strcmp(str_or(json_object_get(h, "enc")), "A256GCM") &&
	       !strcmp(str_or(json_object_get(h, "kid")), "wallet-enc-1"),
	       "%s: the response decrypts with the wallet's key (enc, kid) %s", f->c->name,
	       err.msg);
	return rc == 0 ? json_loadb((const char *)pt, n, 0, NULL) : NULL;
}

/* Authorization (and DPoP) of a resource request. */
static void with_token(flow_t *f, const step_t *st, hreq_t *h, const char *htu)
{
	const char *token = st->v & C_BAD_TOKEN ? "bm90LWEtdG9rZW4tb2YtdGhpcy1zZXJ2ZXI" : f->token;
	int dpop = f->dpop_bound && !(st->v & C_BEARER);

	if (st->v & C_NO_AUTH)
		return;
	snprintf(h->auth, sizeof h->auth, "%s %s", dpop ? "DPoP" : "Bearer", token);
	req_header(h, "Authorization", h->auth);
	if (st->v & C_QUERY)
		h->r.query = "x=1&access_token=abc";
	if (dpop && !(st->v & C_NO_DPOP))
		with_dpop(f, h, st->v, htu, st->v & C_BAD_ATH ? "another-token" : token);
}

/* A credential as the wallet checks it: its signature, its holder key
 * (one of the proven ones, each once) and its status reference. */
static void check_credential(flow_t *f, const char *config, const json_t *cred, int i,
			     int *seen, json_t *idxs)
{
	vci_err_t err = { 0 };
	json_auto_t *out = NULL;
	const json_t *jwk = NULL, *status = NULL;
	char jkt[44] = "";
	const char *s = json_string_value(cred);

	if (!strcmp(config, "mdl")) {
		uint8_auto_t *buf = NULL;
		size_t len = 0;
		vci_mdoc_verify_opts_t o = { .at = F.now, .doctype = "org.iso.18013.5.1.mDL" };

		if (s && vci_b64url_decode(s, strlen(s), &buf, &len, &err) == 0)
			vci_mdoc_verify_issuer_signed(buf, len, &o, &out, &err);
		jwk = json_object_get(out, "deviceKey");
		status = json_object_get(json_object_get(out, "status"), "status_list");
	} else if (!strcmp(config, "diploma")) {
		vci_jws_t jws;
		const char *sub;

		if (s && vci_jws_parse_verify(s, strlen(s), F.issuer, NULL, &jws, &err) == 0) {
			out = json_incref(jws.payload);
			vci_jws_free(&jws);
		}
		sub = json_string_value(json_object_get(out, "sub"));
		if (sub && !strncmp(sub, "did:jwk:", 8)) {
			json_t *k = vci_b64url_decode_json(sub + 8, strlen(sub + 8), "did", &err);

			json_object_set_new(out, "test_jwk", k);
			jwk = k;
		}
		status = json_object_get(json_object_get(json_object_get(out, "vc"),
							 "credentialStatus"), "statusListIndex");
	} else {
		vci_sdjwt_verify_opts_t o = { .key = F.issuer, .now = F.now };

		if (s)
			vci_sdjwt_verify(s, strlen(s), &o, &out, &err);
		jwk = json_object_get(json_object_get(out, "cnf"), "jwk");
		status = json_object_get(json_object_get(out, "status"), "status_list");
	}
	tap_ok(out != NULL, "%s: %s credential %d verifies: %s", f->c->name, config, i, err.msg);
	if (jwk)
		vci_jwk_thumbprint(jwk, jkt, NULL);
	for (int k = 0; k < NHOLDERS; k++)
		if (jwk && !strcmp(jkt, F.holder_jkt[k]) && !seen[k]++)
			jwk = NULL;
	if (strcmp(config, "card"))
		tap_ok(jkt[0] && !jwk, "%s: credential %d bound to a proven key, once", f->c->name,
		       i);
	if (status)
		json_array_append_new(idxs, json_is_object(status)
					    ? json_incref(json_object_get(status, "idx"))
					    : json_incref((json_t *)status));
	else if (strcmp(config, "card"))
		tap_ok(0, "%s: credential %d has no status reference", f->c->name, i);
}

static void check_cred_ok(flow_t *f, const step_t *st, const vci_resp_t *resp, json_t *j)
{
	char cfg[32];
	const char *config = step_config(f, st, cfg, sizeof cfg);
	const json_t *creds = json_object_get(j, "credentials"), *c;
	json_auto_t *idxs = json_array();
	int seen[NHOLDERS] = { 0 };
	int legacy = (st->v & (C_D13 | C_D15)) != 0;
	const char *stray = stray_member(j, legacy ? " credentials notification_id credential "
						     "c_nonce c_nonce_expires_in "
						   : " credentials notification_id ");
	size_t i;

	tap_is_int((long long)json_array_size(creds), st->nproofs ? st->nproofs : 1,
		   "%s: one credential per proof", f->c->name);
	tap_ok(!stray, "%s: no unknown member in the credential response (%s)", f->c->name,
	       stray ? stray : "none");
	if (legacy)
		tap_ok(json_is_string(json_object_get(j, "credential")) &&
		       json_is_string(json_object_get(j, "c_nonce")),
		       "%s: a legacy request also gets credential and c_nonce", f->c->name);
	json_array_foreach(creds, i, c)
		check_credential(f, config, json_object_get(c, "credential"), (int)i, seen, idxs);
	for (i = 1; i < json_array_size(idxs); i++)
		tap_ok(!json_equal(json_array_get(idxs, i), json_array_get(idxs, i - 1)),
		       "%s: credential %zu has its own status index", f->c->name, i);
	if (f->nid)
		tap_is_str(str_or(json_object_get(j, "notification_id")), f->nid,
			   "%s: the exchange keeps its notification id", f->c->name);
	set_str(&f->nid, json_string_value(json_object_get(j, "notification_id")));
	if (legacy)
		set_str(&f->c_nonce, json_string_value(json_object_get(j, "c_nonce")));
	tap_is_str(hdr_or(resp, "Cache-Control"), "no-store", "%s: credential no-store",
		   f->c->name);
	f->issued += (int)json_array_size(creds);
}

static void step_cred(flow_t *f, const step_t *st, vci_resp_t *resp)
{
	hreq_t h;

	req_init(&h, "/credential", st->v & C_ENC_REQ ? "application/jwt" : "application/json");
	req_body(&h, st->v & C_ENC_REQ ? encrypt_request(cred_body(f, st)) : cred_body(f, st));
	with_token(f, st, &h, ISSUER "/credential");
	vci_h_credential(F.s, &h.r, resp);
	free(h.body);
}

static void step_notif(flow_t *f, const step_t *st, vci_resp_t *resp)
{
	hreq_t h;
	json_auto_t *b = json_pack("{s:s, s:s}", "notification_id",
				   st->v & N_BAD_ID || !f->nid ? "bm9ib2R5" : f->nid, "event",
				   st->arg);

	if (st->v & N_DESC)
		json_object_set_new(b, "event_description", json_string("could not store it"));
	req_init(&h, "/notification", "application/json");
	req_body(&h, json_dumps(b, JSON_COMPACT));
	with_token(f, st, &h, ISSUER "/notification");
	vci_h_notification(F.s, &h.r, resp);
	free(h.body);
}

/* The exchange the flow's token belongs to, as the store has it. */
static void check_exchange(flow_t *f, const char *state, int credentials)
{
	vci_atoken_t t;
	vci_store_exchange_t x = { 0 };
	json_auto_t *issued = NULL;

	if (vci_atoken_open(F.s->token_key, f->token, strlen(f->token), F.now, &t, NULL) != 0 ||
	    vci_store_exchange_get(F.s->store, t.exchange_id, &x, NULL) != 0) {
		tap_ok(0, "%s: the token's exchange is in the store", f->c->name);
		return;
	}
	issued = x.issued ? json_loads(x.issued, 0, NULL) : NULL;
	tap_is_str(x.state, state, "%s: exchange state", f->c->name);
	if (credentials)
		tap_is_int(json_integer_value(json_object_get(issued, "credentials")), credentials,
			   "%s: the store recorded what was issued", f->c->name);
	vci_store_exchange_clear(&x);
}

static void run_step(flow_t *f, const step_t *st, int n)
{
	static const char *const eps[] = { "token", "nonce", "credential", "notification" };
	vci_resp_t resp = { 0 };
	json_auto_t *j = NULL;
	const char *e, *dn;

	switch (st->ep) {
	case EP_TOKEN: step_token(f, st, &resp); break;
	case EP_NONCE: step_nonce(f, &resp); break;
	case EP_CRED: step_cred(f, st, &resp); break;
	default: step_notif(f, st, &resp); break;
	}
	if (st->ep == EP_CRED && resp.status == 200 && st->v & C_ENC_OK)
		j = decrypt_response(f, &resp);
	else
		j = resp.len ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
	e = json_string_value(json_object_get(j, "error"));
	tap_ok(resp.status == st->status && (st->error ? e && !strcmp(e, st->error) : !e),
	       "%s: step %d (%s): %d %s", f->c->name, n, eps[st->ep], resp.status,
	       resp.len < 300 && resp.body ? resp.body : "");
	if ((dn = resp_header(&resp, "DPoP-Nonce")))
		set_str(&f->dpop_nonce, dn);
	if (resp.status == 401)
		tap_ok(resp_header(&resp, "WWW-Authenticate") != NULL,
		       "%s: step %d: 401 with WWW-Authenticate", f->c->name, n);
	if (st->error && !strcmp(st->error, "use_dpop_nonce"))
		tap_ok(dn != NULL, "%s: step %d: use_dpop_nonce comes with a DPoP-Nonce",
		       f->c->name, n);
	if (e && json_is_string(json_object_get(j, "c_nonce")))
		set_str(&f->c_nonce, json_string_value(json_object_get(j, "c_nonce")));
	if (resp.status == 200 && st->ep == EP_TOKEN)
		check_token_ok(f, st, &resp, j);
	if (resp.status == 200 && st->ep == EP_CRED) {
		check_cred_ok(f, st, &resp, j);
		check_exchange(f, "credential_issued", f->issued);
	}
	if (resp.status == 204)
		check_exchange(f, st->arg, 0);
	vci_resp_clear(&resp);
}

static void run_case(const hcase_t *c)
{
	flow_t f = { 0 };

	f.c = c;
	F.s->dpop = c->dpop;
	F.s->dpop_nonce = c->dpop_nonce;
	if (!offer_make(&f)) {
		flow_clear(&f);
		return;
	}
	for (int i = 0; i < 8 && c->steps[i].status; i++)
		run_step(&f, &c->steps[i], i + 1);
	flow_clear(&f);
}

/* ---- the parsers alone ---- */

static const struct {
	const char *body;
	const char *error;  /* NULL: accepted */
} forms[] = {
	{ "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
	  "&pre-authorized_code=abc", NULL },
	{ "pre-authorized_code=abc&grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code"
	  "&tx_code=", NULL },
	{ "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code", "invalid_request" },
	{ "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=",
	  "invalid_request" },
	{ "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=a"
	  "&pre-authorized_code=b", "invalid_request" },
	{ "grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=%zz",
	  "invalid_request" },
	{ "grant_type=client_credentials&pre-authorized_code=a", "unsupported_grant_type" },
	{ "grant_type=refresh_token", "invalid_request" },
	{ "pre-authorized_code=a", "invalid_request" },
	{ "", "invalid_request" },
};

static void test_token_form(void)
{
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		vci_token_request_t r;
		vci_err_t err = { 0 };
		int rc = vci_token_request_parse(forms[i].body, strlen(forms[i].body), &r, &err);

		if (forms[i].error)
			tap_ok(rc < 0 && !strcmp(err.code, forms[i].error) && !strstr(err.msg, "abc"),
			       "form %zu refused: %s: %s", i, err.code, err.msg);
		else
			tap_ok(rc == 0 && !strcmp(r.code, "abc") && !r.tx_code, "form %zu accepted",
			       i);
		if (rc == 0)
			vci_token_request_clear(&r);
	}
	{
		static const char rt[] = "grant_type=refresh_token&refresh_token=abc&scope=x";
		vci_token_request_t r;
		vci_err_t err = { 0 };
		int rc = vci_token_request_parse(rt, strlen(rt), &r, &err);

		tap_ok(rc == 0 && r.refresh && !r.auth_code && !strcmp(r.refresh_token, "abc") &&
		       !r.code, "refresh_token grant accepted (scope ignored)");
		if (rc == 0)
			vci_token_request_clear(&r);
	}
	tap_ok(vci_request_query_has("a=1&access%5Ftoken=x", "access_token"),
	       "query: an escaped access_token is found");
	tap_ok(!vci_request_query_has("xaccess_token=1", "access_token") &&
	       !vci_request_query_has(NULL, "access_token"), "query: other names are not");
}

int main(void)
{
	if (!fixture_up()) {
		tap_ok(0, "fixture");
		fixture_down();
		return tap_done();
	}
	test_token_form();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	fixture_down();
	return tap_done();
}
