/* proof.c - wallet proofs of possession, key attestations and wallet
 * attestations (see proof.h). */
#include "proof.h"
#include "base/arena.h"
#include "crypto/did.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <pthread.h>
#include <string.h>
#include <openssl/err.h>

#define DEFAULT_SKEW VCI_JWT_DEFAULT_SKEW

static void jws_free_p(vci_jws_t *j) { vci_jws_free(j); }
#define jws_auto_t vci_jws_t __attribute__((cleanup(jws_free_p)))
static void chain_free_p(STACK_OF(X509) **c) { sk_X509_pop_free(*c, X509_free); }
#define chain_auto_t STACK_OF(X509) __attribute__((cleanup(chain_free_p)))

/* Re-class an error from another module as a refusal: keep its message,
 * put "what: " in front. */
static int refuse(vci_err_t *err, const char *code, const char *what)
{
	if (err) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "%s", code);
		vci_err_prefix(err, "%s", what);
	}
	return -1;
}

void vci_proof_key_free(vci_proof_key_t *k)
{
	if (!k)
		return;
	json_decref(k->jwk);
	json_decref(k->attestation);
	free(k->did);
	memset(k, 0, sizeof *k);
}

static int64_t policy_now(int64_t now)
{
	return now ? now : vci_time_now();
}

/* Parse a JWT with a size limit and require a JSON object payload. */
static int parse_jwt(const char *jwt, size_t len, vci_jws_t *jws, const char *what,
		     const char *code, vci_err_t *err)
{
	memset(jws, 0, sizeof *jws);
	if (!jwt || !len)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: empty", what);
	if (len > VCI_PROOF_MAX)
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: %zu bytes, more than the %u allowed", what, len,
				   VCI_PROOF_MAX);
	if (vci_jws_parse(jwt, len, jws, err) < 0)
		return refuse(err, code, what);
	if (!jws->payload) {
		vci_jws_free(jws);
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: payload is not a JSON object",
				   what);
	}
	return 0;
}

static int check_typ(const vci_jws_t *jws, const char *want, const char *what,
		     const char *code, vci_err_t *err)
{
	const json_t *typ = json_object_get(jws->header, "typ");

	if (!typ)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"typ\" missing, expected \"%s\"",
				   what, want);
	if (!json_is_string(typ) || !vci_jws_typ_is(json_string_value(typ), want))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"typ\" is %s%s%s, expected \"%s\"",
				   what, json_is_string(typ) ? "\"" : "",
				   json_is_string(typ) ? json_string_value(typ) : "not a string",
				   json_is_string(typ) ? "\"" : "", want);
	return 0;
}

/* State reused from one proof to the next: header keys are imported on
 * the key objects of a vci_keyslots_t and verified with the contexts of
 * a vci_jws_verifier_t, so that a batch builds no EC group and sets up no
 * key context per proof. A proof takes one from a pool shared by the
 * threads and puts it back when done; there are as many as proofs were
 * verified at once, and they last as long as the process. */
typedef struct scratch {
	vci_keyslots_t *ks;
	vci_jws_verifier_t *v;
	struct scratch *next;
} scratch_t;

static scratch_t *scratch_pool;
static pthread_mutex_t scratch_mu = PTHREAD_MUTEX_INITIALIZER;

/* NULL if out of memory: the proof is then verified without. */
static scratch_t *scratch_get(void)
{
	scratch_t *s;
	int arena;

	pthread_mutex_lock(&scratch_mu);
	s = scratch_pool;
	if (s)
		scratch_pool = s->next;
	pthread_mutex_unlock(&scratch_mu);
	if (s)
		return s;
	arena = vci_arena_pause(); /* kept for later records: made on the heap */
	s = calloc(1, sizeof *s);
	if (s && (!(s->ks = vci_keyslots_new()) || !(s->v = vci_jws_verifier_new()))) {
		vci_keyslots_free(s->ks);
		vci_jws_verifier_free(s->v);
		free(s);
		s = NULL;
	}
	vci_arena_resume(arena);
	return s;
}

static void scratch_put(scratch_t **sp)
{
	scratch_t *s = *sp;

	if (!s)
		return;
	pthread_mutex_lock(&scratch_mu);
	s->next = scratch_pool;
	scratch_pool = s;
	pthread_mutex_unlock(&scratch_mu);
}
#define scratch_auto_t scratch_t __attribute__((cleanup(scratch_put)))

static int verify_sig_with(vci_jws_verifier_t *v, const vci_jws_t *jws, EVP_PKEY *pk,
			   const char *what, const char *code, vci_err_t *err)
{
	if (vci_jws_verify_with(v, jws, pk, vci_jwt_known_algs, err) < 0)
		return refuse(err, code, what);
	return 0;
}

static int verify_sig(const vci_jws_t *jws, EVP_PKEY *pk, const char *what, const char *code,
		      vci_err_t *err)
{
	return verify_sig_with(NULL, jws, pk, what, code, err);
}

/* The public JWK of an EC or OKP header key, members in the order
 * vci_jwk_from_pkey writes them; NULL for other key types. A header key
 * that is already just that (as wallets send it) is taken as it is. */
static json_t *public_members(json_t *jwk)
{
	static const char *const ec[] = { "kty", "crv", "x", "y", NULL };
	static const char *const okp[] = { "kty", "crv", "x", NULL };
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *const *names = kty && !strcmp(kty, "EC") ? ec :
				   kty && !strcmp(kty, "OKP") ? okp : NULL;
	json_t *out;

	if (!names)
		return NULL;
#if JANSSON_VERSION_HEX >= 0x020d00
	/* objects iterate in insertion order, the order they are written in */
	{
		void *it = json_object_iter(jwk);
		size_t i;

		for (i = 0; names[i] && it && !strcmp(json_object_iter_key(it), names[i]) &&
			    json_is_string(json_object_iter_value(it)); i++)
			it = json_object_iter_next(jwk, it);
		if (!names[i] && !it)
			return json_incref(jwk);
	}
#endif
	if (!(out = json_object()))
		return NULL;
	for (; *names; names++) {
		json_t *v = json_object_get(jwk, *names);

		if (!json_is_string(v) || json_object_set(out, *names, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A public key from a header "jwk": private members refused. With `ks`,
 * an EC key is one of its reused keys (see vci_keyslots_jwk). */
static EVP_PKEY *key_from_jwk(const json_t *jwk, vci_keyslots_t *ks, const char *what,
			      const char *code, vci_err_t *err)
{
	EVP_PKEY *pk;

	if (!json_is_object(jwk)) {
		vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"jwk\" is not a JSON object", what);
		return NULL;
	}
	if (vci_jwk_has_private(jwk)) {
		vci_err_set(err, VCI_EXIT_FAIL, code,
			    "%s: \"jwk\" holds a private key: only the public key may be sent", what);
		return NULL;
	}
	pk = ks ? vci_keyslots_jwk(ks, jwk, err) : vci_jwk_to_pkey(jwk, 0, err);
	if (!pk)
		refuse(err, code, what);
	return pk;
}

/* A key from an x5c chain validated against anchors at time now. */
static EVP_PKEY *key_from_x5c(const json_t *x5c, const char *anchors, const char *opt,
			      int64_t now, const char *what, const char *code, vci_err_t *err)
{
	chain_auto_t *chain = NULL;
	EVP_PKEY *pk;

	if (!anchors) {
		vci_err_set(err, VCI_EXIT_FAIL, code,
			    "%s: \"x5c\" given but no trust anchors (%s) to validate it", what, opt);
		return NULL;
	}
	chain = vci_x5c_parse(x5c, err);
	if (!chain || vci_x509_verify(chain, anchors, now, err) < 0) {
		refuse(err, code, what);
		return NULL;
	}
	pk = X509_get_pubkey(sk_X509_value(chain, 0));
	if (!pk)
		vci_err_set(err, VCI_EXIT_FAIL, code, "%s: x5c[0] has no usable public key", what);
	return pk;
}

/* The signer of a key or wallet attestation: "x5c" validated against
 * the anchors in trust_file, or "kid" looked up in trust_jwks (see
 * proof.h). */
static EVP_PKEY *attester_key(const vci_jws_t *jws, const char *trust_file,
			      const json_t *trust_jwks, int64_t now, const char *what,
			      const char *code, vci_err_t *err)
{
	const json_t *x5c = json_object_get(jws->header, "x5c");
	const json_t *kid = json_object_get(jws->header, "kid");
	EVP_PKEY *pk;

	if (x5c)
		return key_from_x5c(x5c, trust_file, "`trust`", now, what, code, err);
	if (json_object_get(jws->header, "trust_chain")) {
		vci_err_set(err, VCI_EXIT_FAIL, code,
			    "%s: \"trust_chain\" (OpenID Federation) is not supported: the "
			    "attester must be named by \"x5c\" or by a \"kid\" of `trust_jwks`", what);
		return NULL;
	}
	if (!kid) {
		vci_err_set(err, VCI_EXIT_FAIL, code,
			    "%s: no \"x5c\" or \"kid\": the attester's key is not named", what);
		return NULL;
	}
	if (!json_is_string(kid)) {
		vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"kid\" is not a string", what);
		return NULL;
	}
	if (!trust_jwks) {
		vci_err_set(err, VCI_EXIT_FAIL, code,
			    "%s: signed by \"kid\" \"%.64s\" but no attester keys (`trust_jwks`) "
			    "to look it up in", what, json_string_value(kid));
		return NULL;
	}
	pk = vci_jwks_key(trust_jwks, json_string_value(kid), jws->alg, err);
	if (!pk)
		refuse(err, code, what);
	return pk;
}

static int check_nonce(const json_t *claims, const vci_proof_policy_t *p, const char *what,
		       vci_err_t *err)
{
	const json_t *n = json_object_get(claims, "nonce");
	const char *s;

	if (!p->nonce && !p->nonce_key)
		return 0;
	if (!n)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: \"nonce\" missing: the proof must carry the c_nonce", what);
	if (!json_is_string(n))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: \"nonce\" is not a string", what);
	s = json_string_value(n);
	if (p->nonce) {
		if (!vci_ct_equal(s, json_string_length(n), p->nonce, strlen(p->nonce)))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_nonce",
					   "%s: \"nonce\" is not the c_nonce", what);
		return 0;
	}
	if (vci_nonce_check(p->nonce_key, s, json_string_length(n), policy_now(p->now), NULL,
			    err) < 0)
		return vci_err_prefix(err, "%s", what);
	return 0;
}

static int check_aud(const json_t *claims, const char *aud, const char *what, const char *code,
		     vci_err_t *err)
{
	const json_t *a = json_object_get(claims, "aud");
	size_t i;
	const json_t *v;

	if (!aud)
		return vci_err_set(err, VCI_EXIT_USAGE, code, "%s: no audience to check against",
				   what);
	if (!a)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"aud\" missing", what);
	if (json_is_string(a)) {
		if (strcmp(json_string_value(a), aud))
			return vci_err_set(err, VCI_EXIT_FAIL, code,
					   "%s: \"aud\" is \"%s\", expected \"%s\"", what,
					   json_string_value(a), aud);
		return 0;
	}
	if (!json_is_array(a))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: \"aud\" must be a string", what);
	json_array_foreach(a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), aud))
			return 0;
	return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"aud\" array does not contain \"%s\"",
			   what, aud);
}

/* Facts a key attestation states about its keys. */
static json_t *attestation_info(const json_t *claims)
{
	static const char *const names[] = { "key_storage", "user_authentication",
					     "certification", "status" };
	json_t *info = json_object();

	for (size_t i = 0; info && i < sizeof names / sizeof names[0]; i++) {
		json_t *v = json_object_get(claims, names[i]);

		if (v)
			json_object_set(info, names[i], v);
	}
	return info;
}

/* Whether the JSON array a holds the string v. */
static int strings_have(const json_t *a, const char *v)
{
	const json_t *e;
	size_t i;

	json_array_foreach(a, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), v))
			return 1;
	return 0;
}

/* The levels a key attestation states against those the configuration
 * accepts (Appendix D.2): for each of key_storage and user_authentication
 * the policy lists, one of the attestation's values must be among them. */
static int check_levels(const json_t *claims, const json_t *required, const char *what,
			vci_err_t *err)
{
	static const char *const names[] = { "key_storage", "user_authentication" };

	for (size_t i = 0; required && i < 2; i++) {
		const json_t *want = json_object_get(required, names[i]);
		const json_t *have = json_object_get(claims, names[i]);
		const json_t *v;
		size_t j;

		if (!json_is_array(want) || !json_array_size(want))
			continue;
		json_array_foreach(have, j, v)
			if (json_is_string(v) && strings_have(want, json_string_value(v)))
				break;
		if (!json_is_array(have) || j == json_array_size(have))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"%s\" states none of the levels this credential "
					   "requires", what, names[i]);
	}
	return 0;
}

/* Verify a key attestation JWT. need_exp: exp required (inside a jwt
 * proof). Returns its claims (new reference). */
static json_t *key_attestation_verify(const char *jwt, size_t len, const vci_proof_policy_t *p,
				      int need_exp, const char *what, vci_err_t *err)
{
	jws_auto_t jws = { 0 };
	EVP_PKEY_auto_t *pk = NULL;
	const json_t *keys, *exp, *k;
	int64_t now = policy_now(p->now);
	size_t i;

	if (parse_jwt(jwt, len, &jws, what, "invalid_proof", err) < 0)
		return NULL;
	if (check_typ(&jws, "key-attestation+jwt", what, "invalid_proof", err) < 0 ||
	    vci_jwt_check_alg(jws.alg, p->algs, what, "invalid_proof", err) < 0)
		return NULL;
	pk = attester_key(&jws, p->trust_file, p->trust_jwks, now, what, "invalid_proof", err);
	if (!pk || verify_sig(&jws, pk, what, "invalid_proof", err) < 0)
		return NULL;
	if (!json_is_integer(json_object_get(jws.payload, "iat"))) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: \"iat\" missing", what);
		return NULL;
	}
	if (json_integer_value(json_object_get(jws.payload, "iat")) >
	    (json_int_t)now + (p->skew ? p->skew : DEFAULT_SKEW)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: \"iat\" is in the future", what);
		return NULL;
	}
	exp = json_object_get(jws.payload, "exp");
	if (exp && !json_is_integer(exp)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: \"exp\" is not an integer", what);
		return NULL;
	}
	if (!exp && need_exp) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: \"exp\" missing", what);
		return NULL;
	}
	if (exp && json_integer_value(exp) <= (json_int_t)now) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: expired", what);
		return NULL;
	}
	keys = json_object_get(jws.payload, "attested_keys");
	if (!json_is_array(keys) || !json_array_size(keys)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
			    "%s: \"attested_keys\" must be a non-empty array of JWKs", what);
		return NULL;
	}
	json_array_foreach(keys, i, k) {
		EVP_PKEY_auto_t *kp = NULL;

		if (vci_jwk_has_private(k)) {
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				    "%s: attested_keys[%zu] holds a private key", what, i);
			return NULL;
		}
		kp = vci_jwk_to_pkey(k, 0, err);
		if (!kp) {
			refuse(err, "invalid_proof", what);
			return NULL;
		}
	}
	if (check_levels(jws.payload, p->key_attestation_levels, what, err) < 0)
		return NULL;
	return json_incref(jws.payload);
}

/* Whether a thumbprint is among the attested keys. */
static int attested(const json_t *claims, const char *jkt)
{
	const json_t *k;
	size_t i;

	json_array_foreach(json_object_get(claims, "attested_keys"), i, k) {
		char t[44];

		if (vci_jwk_thumbprint(k, t, NULL) == 0 && !strcmp(t, jkt))
			return 1;
	}
	return 0;
}

int vci_proof_verify_jwt(const char *jwt, size_t len, const vci_proof_policy_t *p,
			 vci_proof_key_t *out, vci_err_t *err)
{
	const char *what = "proof";
	scratch_auto_t *sc = scratch_get(); /* released last: pk may be one of its keys */
	jws_auto_t jws = { 0 };
	EVP_PKEY_auto_t *pk = NULL;
	json_auto_t *jwk = NULL;
	json_auto_t *katt = NULL;
	json_t *h_jwk;
	const json_t *h_kid, *h_x5c, *h_ka, *iss;
	char_auto_t *did = NULL;
	int64_t now = policy_now(p->now);
	int n;

	memset(out, 0, sizeof *out);
	if (parse_jwt(jwt, len, &jws, what, "invalid_proof", err) < 0)
		return -1;
	if (check_typ(&jws, "openid4vci-proof+jwt", what, "invalid_proof", err) < 0 ||
	    vci_jwt_check_alg(jws.alg, p->algs, what, "invalid_proof", err) < 0)
		return -1;
	if (json_object_get(jws.header, "trust_chain"))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: \"trust_chain\" is not supported", what);
	h_jwk = json_object_get(jws.header, "jwk");
	h_kid = json_object_get(jws.header, "kid");
	h_x5c = json_object_get(jws.header, "x5c");
	n = !!h_jwk + !!h_kid + !!h_x5c;
	if (n == 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: no key: the header needs one of \"jwk\", \"kid\" or \"x5c\"",
				   what);
	if (n > 1)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: the header must name its key once: \"jwk\", \"kid\" and "
				   "\"x5c\" are mutually exclusive", what);
	if (h_jwk) {
		pk = key_from_jwk(h_jwk, sc ? sc->ks : NULL, "proof: jwk", "invalid_proof", err);
	} else if (h_kid) {
		const char *kid = json_string_value(h_kid);

		if (!kid)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"kid\" is not a string", what);
		if (strncmp(kid, "did:", 4))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"kid\" must be a DID URL (did:key or did:jwk)",
					   what);
		if (strncmp(kid, "did:key:", 8) && strncmp(kid, "did:jwk:", 8)) {
			const char *end = strchr(kid + 4, ':');
			int mlen = end ? (int)(end - kid - 4) : (int)strlen(kid + 4);

			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: kid: DID method \"%.*s\" is not supported "
					   "(did:key and did:jwk are resolved here)",
					   what, mlen > 32 ? 32 : mlen, kid + 4);
		}
		pk = vci_did_resolve(kid, NULL, err);
		if (!pk)
			return refuse(err, "invalid_proof", "proof: kid");
		did = strdup(kid);
		if (!did)
			return vci_err_oom(err);
		{
			char *hash = strchr(did, '#');

			if (hash)
				*hash = '\0';
		}
	} else {
		pk = key_from_x5c(h_x5c, p->ca_file, "`ca`", now, "proof: x5c", "invalid_proof",
				  err);
	}
	if (!pk)
		return -1;
	if (verify_sig_with(sc ? sc->v : NULL, &jws, pk, what, "invalid_proof", err) < 0)
		return -1;
	if (check_aud(jws.payload, p->aud, what, "invalid_proof", err) < 0 ||
	    vci_jwt_check_iat(jws.payload, now, p->max_age, p->skew, what, "invalid_proof",
				err) < 0)
		return -1;
	iss = json_object_get(jws.payload, "iss");
	if (p->client_id) {
		if (!iss)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"iss\" missing, expected the client_id \"%s\"", what,
					   p->client_id);
		if (!json_is_string(iss) || strcmp(json_string_value(iss), p->client_id))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"iss\" is not the client_id \"%s\"", what,
					   p->client_id);
	} else if (iss && !json_is_string(iss)) {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: \"iss\" is not a string", what);
	}
	if (check_nonce(jws.payload, p, what, err) < 0)
		return -1;

	/* An EC or OKP header key was imported from exactly these members,
	 * each checked for its exact length: copy them rather than export
	 * the key again. Other keys (RSA, DIDs, x5c) are exported. */
	jwk = h_jwk ? public_members(h_jwk) : NULL;
	if (!jwk)
		jwk = vci_jwk_from_pkey(pk, err);
	if (!jwk || vci_jwk_thumbprint(jwk, out->jkt, err) < 0)
		return refuse(err, "invalid_proof", what);

	h_ka = json_object_get(jws.header, "key_attestation");
	if (h_ka) {
		if (!json_is_string(h_ka))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: \"key_attestation\" is not a string", what);
		katt = key_attestation_verify(json_string_value(h_ka), json_string_length(h_ka), p,
					      1, "proof: key_attestation", err);
		if (!katt)
			return -1;
		if (!attested(katt, out->jkt))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: the proof key is not among the key attestation's "
					   "attested_keys", what);
		/* its nonce is optional (D.1); one it carries must be ours too */
		if (json_object_get(katt, "nonce") &&
		    check_nonce(katt, p, "proof: key_attestation", err) < 0)
			return -1;
		out->attestation = attestation_info(katt);
	} else if (p->require_key_attestation) {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: no \"key_attestation\" but one is required", what);
	}
	out->jwk = json_incref(jwk);
	out->did = did;
	did = NULL;
	return 0;
}

int vci_proof_verify_attestation(const char *jwt, size_t len, const vci_proof_policy_t *p,
				 json_t **keys, json_t **info, vci_err_t *err)
{
	const char *what = "attestation";
	json_auto_t *claims = NULL;
	json_auto_t *out = json_array();
	const json_t *k;
	size_t i;

	*keys = *info = NULL;
	claims = key_attestation_verify(jwt, len, p, 0, what, err);
	if (!claims || check_nonce(claims, p, what, err) < 0)
		return -1;
	json_array_foreach(json_object_get(claims, "attested_keys"), i, k) {
		EVP_PKEY_auto_t *pk = vci_jwk_to_pkey(k, 0, NULL);
		json_t *pub = pk ? vci_jwk_from_pkey(pk, NULL) : NULL;

		if (!pub || json_array_append_new(out, pub) < 0)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: attested_keys[%zu]: unusable key", what, i);
	}
	*keys = json_incref(out);
	*info = attestation_info(claims);
	return 0;
}

/* ---- records ---- */

/* where = pre + type, cut to wsize - 1 characters as snprintf would
 * (which costs more than the rest of finding the proofs). */
static void set_where(char *where, size_t wsize, const char *pre, const char *type)
{
	size_t a = strlen(pre), b = strlen(type);

	if (a + b >= wsize)
		b = wsize - 1 - a;
	memcpy(where, pre, a);
	memcpy(where + a, type, b);
	where[a + b] = '\0';
}

/* Find the proofs of a request: returns the proof type and the array of
 * values (borrowed), or -1. d13 "proof" is wrapped into a fresh array in
 * *owned. */
static int find_proofs(const json_t *rec, const char **type, const json_t **list,
		       json_t **owned, char *where, size_t wsize, vci_err_t *err)
{
	const json_t *req = rec, *proofs, *proof;

	*owned = NULL;
	if (!json_object_get(rec, "proofs") && !json_object_get(rec, "proof") &&
	    json_is_object(json_object_get(rec, "credential_request")))
		req = json_object_get(rec, "credential_request");
	proofs = json_object_get(req, "proofs");
	proof = json_object_get(req, "proof");
	if (proofs && proof)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "both \"proofs\" and \"proof\" given");
	if (proofs) {
		const char *key;
		json_t *v;

		if (!json_is_object(proofs) || json_object_size(proofs) != 1)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "\"proofs\" must be an object with exactly one proof type");
		json_object_foreach((json_t *)proofs, key, v) {
			*type = key;
			*list = v;
		}
		if (!json_is_array(*list) || !json_array_size(*list))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "proofs.%s must be a non-empty array", *type);
		set_where(where, wsize, "proofs.", *type);
		return 0;
	}
	if (proof) {
		const json_t *pt = json_object_get(proof, "proof_type");

		if (!json_is_object(proof) || !json_is_string(pt))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "\"proof\" must be an object with a \"proof_type\"");
		*type = json_string_value(pt);
		if (!json_object_get(proof, *type))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "proof: no \"%s\" member for proof_type \"%s\"", *type,
					   *type);
		*owned = json_pack("[O]", json_object_get(proof, *type));
		*list = *owned;
		set_where(where, wsize, "proof.", *type);
		return *owned ? 0 : vci_err_oom(err);
	}
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
			   "no proof: the request has neither \"proofs\" nor \"proof\"");
}

int vci_proof_verify_record(json_t *rec, const vci_proof_policy_t *p, vci_err_t *err)
{
	const char *type = NULL;
	const json_t *list = NULL, *v;
	json_auto_t *owned = NULL;
	json_auto_t *jwks = json_array();
	json_auto_t *jkts = json_array();
	json_auto_t *katt = NULL;
	char_auto_t *did = NULL;
	char where[64];
	size_t i, n;

	if (!json_is_object(rec))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "record is not an object");
	if (!jwks || !jkts)
		return vci_err_oom(err);
	if (find_proofs(rec, &type, &list, &owned, where, sizeof where, err) < 0)
		return -1;
	if (!strcmp(type, "jwt")) {
		json_array_foreach(list, i, v) {
			vci_proof_key_t k;

			if (!json_is_string(v))
				return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
						   "%s[%zu]: not a string", where, i);
			if (vci_proof_verify_jwt(json_string_value(v), json_string_length(v), p, &k,
						 err) < 0)
				return vci_err_prefix(err, "%s[%zu]", where, i);
			for (size_t j = 0; j < json_array_size(jkts); j++)
				if (!strcmp(json_string_value(json_array_get(jkts, j)), k.jkt)) {
					vci_proof_key_free(&k);
					return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
							   "%s[%zu]: same key as %s[%zu]: each proof "
							   "must use a distinct key", where, i, where, j);
				}
			json_array_append(jwks, k.jwk);
			json_array_append_new(jkts, json_string(k.jkt));
			if (i == 0) {
				did = k.did;
				k.did = NULL;
			}
			if (k.attestation) {
				if (!katt)
					katt = json_incref(k.attestation);
			}
			vci_proof_key_free(&k);
		}
	} else if (!strcmp(type, "attestation")) {
		json_t *keys = NULL;

		if (json_array_size(list) != 1)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: must hold exactly one key attestation", where);
		v = json_array_get(list, 0);
		if (!json_is_string(v))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s[0]: not a string", where);
		if (vci_proof_verify_attestation(json_string_value(v), json_string_length(v), p,
						 &keys, &katt, err) < 0)
			return vci_err_prefix(err, "%s[0]", where);
		json_decref(jwks);
		jwks = keys;
		json_array_foreach(jwks, i, v) {
			char t[44];

			if (vci_jwk_thumbprint(v, t, err) < 0)
				return refuse(err, "invalid_proof", where);
			for (size_t j = 0; j < json_array_size(jkts); j++)
				if (!strcmp(json_string_value(json_array_get(jkts, j)), t))
					return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
							   "%s[0]: attested_keys[%zu] repeats "
							   "attested_keys[%zu]", where, i, j);
			json_array_append_new(jkts, json_string(t));
		}
	} else {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "%s: proof type \"%s\" is not supported (jwt, attestation)",
				   where, type);
	}

	n = json_array_size(jwks);
	if (n == 1) {
		json_object_set(rec, "holder_jwk", json_array_get(jwks, 0));
		json_object_set(rec, "holder_jkt", json_array_get(jkts, 0));
		if (did)
			json_object_set_new(rec, "holder_did", json_string(did));
	} else {
		json_object_set(rec, "holder_jwks", jwks);
		json_object_set(rec, "holder_jkts", jkts);
	}
	if (katt)
		json_object_set(rec, "key_attestation", katt);
	return 0;
}

/* ---- wallet attestation ---- */

int vci_proof_verify_wallet_attestation(const char *att, size_t att_len, const char *pop,
					size_t pop_len, const vci_wallet_policy_t *p,
					json_t **result, vci_err_t *err)
{
	static const char code[] = "invalid_client_attestation";
	jws_auto_t a = { 0 };
	jws_auto_t q = { 0 };
	EVP_PKEY_auto_t *apk = NULL;
	EVP_PKEY_auto_t *cpk = NULL;
	json_auto_t *pub = NULL;
	const json_t *sub, *exp, *nbf, *cnf, *jti, *iss, *ch, *name;
	int64_t now = policy_now(p->now);
	char jkt[44];

	*result = NULL;
	if (parse_jwt(att, att_len, &a, "wallet attestation", code, err) < 0)
		return -1;
	if (parse_jwt(pop, pop_len, &q, "wallet attestation PoP", code, err) < 0)
		return -1;
	if (check_typ(&a, "oauth-client-attestation+jwt", "wallet attestation", code, err) < 0 ||
	    vci_jwt_check_alg(a.alg, p->algs, "wallet attestation", code, err) < 0)
		return -1;
	apk = attester_key(&a, p->trust_file, p->trust_jwks, now, "wallet attestation", code, err);
	if (!apk || verify_sig(&a, apk, "wallet attestation", code, err) < 0)
		return -1;
	sub = json_object_get(a.payload, "sub");
	if (!json_is_string(sub) || !json_string_length(sub))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "wallet attestation: \"sub\" missing");
	if (p->client_id && strcmp(json_string_value(sub), p->client_id))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "wallet attestation: \"sub\" is \"%s\", not the client_id \"%s\"",
				   json_string_value(sub), p->client_id);
	exp = json_object_get(a.payload, "exp");
	if (!json_is_integer(exp))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "wallet attestation: \"exp\" missing");
	if (json_integer_value(exp) <= (json_int_t)now)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "wallet attestation: expired");
	nbf = json_object_get(a.payload, "nbf");
	if (nbf && (!json_is_integer(nbf) ||
		    json_integer_value(nbf) > (json_int_t)now + (p->skew ? p->skew : DEFAULT_SKEW)))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "wallet attestation: not yet valid");
	cnf = json_object_get(json_object_get(a.payload, "cnf"), "jwk");
	if (!cnf)
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "wallet attestation: \"cnf.jwk\" missing");
	cpk = key_from_jwk(cnf, NULL, "wallet attestation: cnf", code, err);
	if (!cpk)
		return -1;

	if (check_typ(&q, "oauth-client-attestation-pop+jwt", "wallet attestation PoP", code,
		      err) < 0 ||
	    vci_jwt_check_alg(q.alg, p->algs, "wallet attestation PoP", code, err) < 0 ||
	    verify_sig(&q, cpk, "wallet attestation PoP: not signed by the cnf key", code,
		       err) < 0 ||
	    check_aud(q.payload, p->aud, "wallet attestation PoP", code, err) < 0 ||
	    vci_jwt_check_iat(q.payload, now, p->max_age, p->skew, "wallet attestation PoP",
				code, err) < 0)
		return -1;
	jti = json_object_get(q.payload, "jti");
	if (!json_is_string(jti) || !json_string_length(jti))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "wallet attestation PoP: \"jti\" missing");
	iss = json_object_get(q.payload, "iss");
	if (iss && (!json_is_string(iss) || strcmp(json_string_value(iss), json_string_value(sub))))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "wallet attestation PoP: \"iss\" differs from the attestation "
				   "\"sub\"");
	ch = json_object_get(q.payload, "challenge");
	if (p->challenge &&
	    (!json_is_string(ch) || !vci_ct_equal(json_string_value(ch), json_string_length(ch),
						  p->challenge, strlen(p->challenge))))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "wallet attestation PoP: \"challenge\" %s",
				   ch ? "is not the challenge issued" : "missing");
	pub = vci_jwk_from_pkey(cpk, err);
	if (!pub || vci_jwk_thumbprint(pub, jkt, err) < 0)
		return refuse(err, code, "wallet attestation");
	*result = json_pack("{s:O,s:{s:O},s:s,s:O}", "sub", sub, "cnf", "jwk", pub, "jkt", jkt,
			    "jti", jti);
	if (!*result)
		return vci_err_oom(err);
	if (json_is_string(json_object_get(a.payload, "iss")))
		json_object_set_new(*result, "iss", json_incref(json_object_get(a.payload, "iss")));
	name = json_object_get(a.payload, "wallet_name");
	if (name)
		json_object_set_new(*result, "wallet_name", json_incref((json_t *)name));
	return 0;
}
