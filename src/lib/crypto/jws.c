/* jws.c - JWS compact serialization on OpenSSL EVP. Signing goes through
 * a prepared signer (key context, digest context and encoded header made
 * once), so a batch does one digest, one signature and two base64url
 * encodings per record. */
#include "jws.h"
#include "base/b64url.h"
#include "base/time.h"
#include "ecdsa.h"
#include "keys.h"

#include <string.h>
#include <strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <pthread.h>

enum alg_kind { K_EC, K_ED, K_RS, K_PS };

struct alg_info {
	const char *name;
	enum alg_kind kind;
	const char *md;    /* digest name, NULL for EdDSA */
	size_t ec_bytes;   /* ECDSA: bytes of R and of S */
};

static const struct alg_info algs[] = {
	{ "ES256", K_EC, "SHA256", 32 },
	{ "ES384", K_EC, "SHA384", 48 },
	{ "ES512", K_EC, "SHA512", 66 },
	{ "EdDSA", K_ED, NULL, 0 },
	{ "Ed25519", K_ED, NULL, 0 },
	{ "RS256", K_RS, "SHA256", 0 },
	{ "PS256", K_PS, "SHA256", 0 },
};

static const struct alg_info *alg_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof algs / sizeof algs[0]; i++)
		if (!strcmp(name, algs[i].name))
			return &algs[i];
	return NULL;
}

/* ---- signing ---- */

struct vci_jws_signer {
	const struct alg_info *alg;
	vci_sign_ctx_t sc;      /* EC/RSA: digest then sign; EdDSA: DigestSign */
	char *hdr;              /* "<b64 header>." */
	size_t hdr_len;
	uint8_t *sig;           /* scratch for the signature */
	size_t sig_max;         /* what EVP may write */
	size_t sig_b64_max;     /* characters of the encoded signature */
};

void vci_jws_signer_free(vci_jws_signer_t *s)
{
	if (!s)
		return;
	vci_sign_ctx_free(&s->sc);
	free(s->hdr);
	free(s->sig);
	free(s);
}

const char *vci_jws_signer_alg(const vci_jws_signer_t *s)
{
	return s ? s->alg->name : NULL;
}

static char *header_b64(const char *alg, const json_t *extra, vci_err_t *err)
{
	json_auto_t *h = json_object();
	char_auto_t *txt = NULL;
	char *b64;
	const char *k;
	json_t *v;

	if (!h || json_object_set_new(h, "alg", json_string(alg)) < 0)
		goto oom;
	if (extra && !json_is_object(extra)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_header", "JWS header: not a JSON object");
		return NULL;
	}
	json_object_foreach((json_t *)extra, k, v) {
		if (!strcmp(k, "alg"))
			continue;
		if (!strcmp(k, "jwk") && vci_jwk_has_private(v)) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "JWS header: \"jwk\" holds private members");
			return NULL;
		}
		if (json_object_set(h, k, v) < 0)
			goto oom;
	}
	txt = vci_json_dump(h);
	if (!txt || !(b64 = vci_b64url_encode((const uint8_t *)txt, strlen(txt))))
		goto oom;
	return b64;
oom:
	vci_err_oom_at(err, "JWS header");
	return NULL;
}

vci_jws_signer_t *vci_jws_signer_new(EVP_PKEY *key, const char *alg, const json_t *header,
				     vci_err_t *err)
{
	vci_jws_signer_t *s = NULL;
	char *b64 = NULL;
	const struct alg_info *ai;

	if (!key) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWS: no signing key");
		return NULL;
	}
	if (!alg)
		alg = vci_key_default_alg(key);
	if (!alg) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWS: unsupported key (EC P-256/P-384/P-521, Ed25519 or RSA >= 2048)");
		return NULL;
	}
	ai = alg_find(alg);
	if (!ai) {
		vci_err_set(err, VCI_EXIT_USAGE, "unsupported_alg",
			    "JWS: algorithm \"%s\" is not supported", alg);
		return NULL;
	}
	if (!vci_key_alg_ok(key, alg)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWS: algorithm %s does not fit the key", alg);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		goto oom;
	s->alg = ai;
	if (vci_sign_ctx_init(&s->sc, key, ai->kind == K_ED ? NULL : ai->md) < 0)
		goto ssl;
	b64 = header_b64(ai->name, header, err);
	if (!b64)
		goto fail;
	s->hdr_len = strlen(b64) + 1;
	s->hdr = malloc(s->hdr_len + 1);
	if (!s->hdr)
		goto oom;
	memcpy(s->hdr, b64, s->hdr_len - 1);
	s->hdr[s->hdr_len - 1] = '.';
	s->hdr[s->hdr_len] = '\0';
	free(b64);
	b64 = NULL;

	if (ai->kind == K_ED) {
		s->sig_max = 64;
	} else {
		if (ai->kind == K_RS &&
		    EVP_PKEY_CTX_set_rsa_padding(s->sc.pctx, RSA_PKCS1_PADDING) != 1)
			goto ssl;
		if (ai->kind == K_PS &&
		    (EVP_PKEY_CTX_set_rsa_padding(s->sc.pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		     EVP_PKEY_CTX_set_rsa_mgf1_md(s->sc.pctx, s->sc.md) != 1 ||
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(s->sc.pctx, 32) != 1))
			goto ssl;
		if (EVP_PKEY_get_size(key) <= 0)
			goto ssl;
		s->sig_max = (size_t)EVP_PKEY_get_size(key);
	}
	s->sig = malloc(s->sig_max);
	if (!s->sig)
		goto oom;
	s->sig_b64_max = vci_b64url_len(ai->kind == K_EC ? 2 * ai->ec_bytes : s->sig_max);
	return s;
ssl:
	vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWS: cannot set up %s signing", ai->name);
	goto fail;
oom:
	vci_err_oom_at(err, "JWS");
fail:
	free(b64);
	vci_jws_signer_free(s);
	return NULL;
}

char *vci_jws_signer_sign(vci_jws_signer_t *s, const uint8_t *payload, size_t len,
			  size_t *out_len, vci_err_t *err)
{
	return vci_jws_signer_sign_room(s, payload, len, 0, out_len, err);
}

char *vci_jws_signer_sign_room(vci_jws_signer_t *s, const uint8_t *payload, size_t len,
			       size_t room, size_t *out_len, vci_err_t *err)
{
	uint8_t dgst[EVP_MAX_MD_SIZE], raw[2 * 66];
	unsigned int dlen = 0;
	size_t siglen, input_len, pos, plen;
	const uint8_t *sigp;
	char *out;

	if (!s || (!payload && len)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "JWS: nothing to sign");
		return NULL;
	}
	plen = vci_b64url_len(len);
	if (plen < len || plen > SIZE_MAX - s->hdr_len - s->sig_b64_max - 2 ||
	    room > SIZE_MAX - s->hdr_len - s->sig_b64_max - 2 - plen) {
		vci_err_set(err, VCI_EXIT_INPUT, "input_too_large", "JWS: payload too large");
		return NULL;
	}
	out = malloc(s->hdr_len + plen + 1 + s->sig_b64_max + 1 + room);
	if (!out) {
		vci_err_oom_at(err, "JWS");
		return NULL;
	}
	memcpy(out, s->hdr, s->hdr_len);
	input_len = s->hdr_len + vci_b64url_encode_to(out + s->hdr_len, payload, len);

	siglen = s->sig_max;
	if (s->alg->kind == K_ED) {
		if (EVP_DigestSignInit_ex(s->sc.mdctx, NULL, NULL, NULL, NULL, s->sc.key, NULL) != 1 ||
		    EVP_DigestSign(s->sc.mdctx, s->sig, &siglen, (const uint8_t *)out,
				   input_len) != 1)
			goto ssl;
	} else {
		if (EVP_DigestInit_ex2(s->sc.mdctx, s->sc.md, NULL) != 1 ||
		    EVP_DigestUpdate(s->sc.mdctx, out, input_len) != 1 ||
		    EVP_DigestFinal_ex(s->sc.mdctx, dgst, &dlen) != 1 ||
		    EVP_PKEY_sign(s->sc.pctx, s->sig, &siglen, dgst, dlen) != 1)
			goto ssl;
	}
	sigp = s->sig;
	if (s->alg->kind == K_EC) {
		if (vci_ecdsa_own_der_to_raw(s->sig, siglen, s->alg->ec_bytes, raw) < 0) {
			vci_err_set(err, VCI_EXIT_KEY, "signing_failed",
				    "JWS: unexpected ECDSA signature from OpenSSL");
			free(out);
			return NULL;
		}
		sigp = raw;
		siglen = 2 * s->alg->ec_bytes;
	}
	pos = input_len;
	out[pos++] = '.';
	pos += vci_b64url_encode_to(out + pos, sigp, siglen);
	out[pos] = '\0';
	if (out_len)
		*out_len = pos;
	return out;
ssl:
	vci_err_ssl(err, VCI_EXIT_KEY, "signing_failed", "JWS: %s signing failed", s->alg->name);
	free(out);
	return NULL;
}

char *vci_jws_sign(EVP_PKEY *key, const char *alg, const json_t *header,
		   const uint8_t *payload, size_t len, vci_err_t *err)
{
	vci_jws_signer_t *s = vci_jws_signer_new(key, alg, header, err);
	char *out;

	if (!s)
		return NULL;
	out = vci_jws_signer_sign(s, payload, len, NULL, err);
	vci_jws_signer_free(s);
	return out;
}

char *vci_jws_sign_json(EVP_PKEY *key, const char *alg, const json_t *header,
			const json_t *payload, vci_err_t *err)
{
	char_auto_t *txt = payload ? vci_json_dump(payload) : NULL;

	if (!txt) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "JWS: payload is not JSON");
		return NULL;
	}
	return vci_jws_sign(key, alg, header, (const uint8_t *)txt, strlen(txt), err);
}

/* ---- parsing ---- */

void vci_jws_free(vci_jws_t *jws)
{
	if (!jws)
		return;
	if (jws->header)
		json_decref(jws->header);
	if (jws->payload)
		json_decref(jws->payload);
	free(jws->payload_raw);
	free(jws->sig);
	free(jws->signing_input);
	memset(jws, 0, sizeof *jws);
}

#define parse_fail(jws, err, ...) \
	(vci_jws_free(jws), vci_err_set(err, VCI_EXIT_INPUT, "invalid_jws", __VA_ARGS__))

int vci_jws_parse(const char *compact, size_t len, vci_jws_t *jws, vci_err_t *err)
{
	const char *d1, *d2;
	const json_t *crit;

	if (!jws)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_jws", "JWS: nothing to parse into");
	memset(jws, 0, sizeof *jws);
	if (!compact)
		return parse_fail(jws, err, "JWS: %s", "empty");
	d1 = memchr(compact, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - compact)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - compact)))
		return parse_fail(jws, err, "JWS: %s", "expected three dot-separated parts");
	if (d1 == compact)
		return parse_fail(jws, err, "JWS: %s", "empty header");

	jws->header = vci_b64url_decode_json(compact, (size_t)(d1 - compact), "JWS header", err);
	if (!jws->header) {
		vci_jws_free(jws);
		if (err) {
			err->status = VCI_EXIT_INPUT;
			snprintf(err->code, sizeof err->code, "invalid_jws");
		}
		return -1;
	}
	if (!json_is_object(jws->header))
		return parse_fail(jws, err, "JWS header: %s", "not a JSON object");
	jws->alg = json_string_value(json_object_get(jws->header, "alg"));
	if (!jws->alg)
		return parse_fail(jws, err, "JWS header: %s", "\"alg\" missing or not a string");
	crit = json_object_get(jws->header, "crit");
	if (crit) {
		const json_t *c0 = json_array_get(crit, 0);

		if (!json_is_array(crit) || !json_is_string(c0))
			return parse_fail(jws, err, "JWS header: %s",
					  "\"crit\" must be a non-empty array of names");
		/* no extension is understood: any listed one is refused */
		return parse_fail(jws, err, "JWS header: unsupported critical extension \"%s\"",
				  json_string_value(c0));
	}

	if (vci_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &jws->payload_raw,
			      &jws->payload_len, err) < 0) {
		vci_jws_free(jws);
		return vci_err_prefix(err, "JWS payload");
	}
	if (jws->payload_len && jws->payload_raw[0] == '{') {
		json_t *p = json_loadb((const char *)jws->payload_raw, jws->payload_len,
				       JSON_REJECT_DUPLICATES, NULL);

		if (json_is_object(p))
			jws->payload = p;
		else if (p)
			json_decref(p);
	}
	if (vci_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - compact), &jws->sig,
			      &jws->sig_len, err) < 0) {
		vci_jws_free(jws);
		return vci_err_prefix(err, "JWS signature");
	}
	jws->signing_input_len = (size_t)(d2 - compact);
	jws->signing_input = malloc(jws->signing_input_len + 1);
	if (!jws->signing_input)
		return vci_jws_free(jws), vci_err_oom_at(err, "JWS");
	memcpy(jws->signing_input, compact, jws->signing_input_len);
	jws->signing_input[jws->signing_input_len] = '\0';
	return 0;
}

/* ---- verification ---- */

/* Digests for verification, fetched once per process: fetching by name
 * for every signature costs a method-store lookup each time. EVP_MD
 * objects are immutable and safe to share between threads. */
static const char *const verify_md_names[] = { "SHA256", "SHA384", "SHA512" };
static EVP_MD *verify_mds[3];
static pthread_once_t verify_mds_once = PTHREAD_ONCE_INIT;

static void verify_mds_init(void)
{
	for (int i = 0; i < 3; i++)
		verify_mds[i] = EVP_MD_fetch(NULL, verify_md_names[i], NULL);
	ERR_clear_error();
}

static const EVP_MD *verify_md(const char *name)
{
	if (pthread_once(&verify_mds_once, verify_mds_init) != 0)
		return NULL;
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, verify_md_names[i]))
			return verify_mds[i];
	return NULL;
}

#define bad_sig(err, ...) \
	(ERR_clear_error(), vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature", __VA_ARGS__))

/* Verification state kept between signatures (see jws.h). A key context
 * is kept for each of the last few keys, with a reference to its key: a
 * key found here is the very same object, still alive, so its context
 * fits it. The context is initialised for verifying once per key and
 * alg, not for every signature: its signature operation holds the key's
 * own EC_KEY, which vci_keyslots_jwk changes in place when it sets a new
 * point (EVP_PKEY_set1_encoded_public_key), so the next verification
 * uses the new point (test-proof checks a proof signed by the previous
 * proof's key under a new header key is refused). What
 * vci_key_alg_ok said for the key and each alg is kept too: a key's type
 * and curve never change. */
#define VKEYS 4

struct vkey {
	EVP_PKEY *key;
	EVP_PKEY_CTX *ctx;
	const struct alg_info *ready; /* ctx initialised for verifying with this alg */
	unsigned known, ok; /* bit i: alg algs[i] checked, fits */
};

struct vci_jws_verifier {
	EVP_MD_CTX *md;
	struct vkey k[VKEYS];
	unsigned next;      /* entry to replace next */
};

vci_jws_verifier_t *vci_jws_verifier_new(void)
{
	vci_jws_verifier_t *v = calloc(1, sizeof *v);

	if (v && !(v->md = EVP_MD_CTX_new())) {
		free(v);
		v = NULL;
	}
	return v;
}

static void vkey_clear(struct vkey *e)
{
	EVP_PKEY_CTX_free(e->ctx);
	EVP_PKEY_free(e->key);
	memset(e, 0, sizeof *e);
}

void vci_jws_verifier_free(vci_jws_verifier_t *v)
{
	if (!v)
		return;
	for (int i = 0; i < VKEYS; i++)
		vkey_clear(&v->k[i]);
	EVP_MD_CTX_free(v->md);
	free(v);
}

/* The entry of `key`, made if needed; NULL if out of memory. */
static struct vkey *vkey_get(vci_jws_verifier_t *v, EVP_PKEY *key)
{
	struct vkey *e;

	for (int i = 0; i < VKEYS; i++)
		if (v->k[i].key == key)
			return &v->k[i];
	e = &v->k[v->next];
	v->next = (v->next + 1) % VKEYS;
	vkey_clear(e);
	e->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!e->ctx || EVP_PKEY_up_ref(key) != 1) {
		vkey_clear(e);
		return NULL;
	}
	e->key = key;
	return e;
}

static int key_alg_ok(struct vkey *e, EVP_PKEY *key, const struct alg_info *ai)
{
	unsigned bit = 1u << (ai - algs);

	if (!e)
		return vci_key_alg_ok(key, ai->name);
	if (!(e->known & bit)) {
		e->known |= bit;
		if (vci_key_alg_ok(key, ai->name))
			e->ok |= bit;
	}
	return (e->ok & bit) != 0;
}

/* EdDSA: one-shot DigestVerify over the signing input. */
static int verify_eddsa(const vci_jws_t *jws, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key, NULL) == 1 &&
		 EVP_DigestVerify(ctx, jws->sig, jws->sig_len,
				  (const uint8_t *)jws->signing_input,
				  jws->signing_input_len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ECDSA and RSA: hash the signing input as sent (no re-encoding) with
 * the prefetched digest, then verify the digest with a key context
 * initialised for EVP_PKEY_verify, as the signer does. This skips the
 * digest fetch and context setup of EVP_DigestVerifyInit; with a
 * verifier the digest and key contexts are reused as well. */
static int verify_digest(const vci_jws_t *jws, const struct alg_info *ai, EVP_PKEY *key,
			 const uint8_t *sig, size_t sig_len, vci_jws_verifier_t *v,
			 struct vkey *e)
{
	const EVP_MD *md = verify_md(ai->md);
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_PKEY_CTX *pctx;
	int ok = 0;

	if (!md)
		return 0;
	if (v ? EVP_DigestInit_ex2(v->md, md, NULL) != 1 ||
		EVP_DigestUpdate(v->md, jws->signing_input, jws->signing_input_len) != 1 ||
		EVP_DigestFinal_ex(v->md, dgst, &dlen) != 1
	      : EVP_Digest(jws->signing_input, jws->signing_input_len, dgst, &dlen, md,
			   NULL) != 1)
		return 0;
	pctx = e ? e->ctx : EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!pctx)
		goto out;
	if (e && e->ready == ai)
		goto verify;
	if (e)
		e->ready = NULL;
	if (EVP_PKEY_verify_init(pctx) != 1)
		goto out;
	/* RSA encodes the digest algorithm in the signature; ECDSA signs the
	 * digest bytes alone, whose length is checked against the curve */
	if (ai->kind != K_EC && EVP_PKEY_CTX_set_signature_md(pctx, md) != 1)
		goto out;
	if (ai->kind == K_RS && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (ai->kind == K_PS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1))
		goto out;
	if (e)
		e->ready = ai;
verify:
	ok = EVP_PKEY_verify(pctx, sig, sig_len, dgst, dlen) == 1;
out:
	if (!e)
		EVP_PKEY_CTX_free(pctx);
	return ok;
}

int vci_jws_verify_with(vci_jws_verifier_t *v, const vci_jws_t *jws, EVP_PKEY *key,
			const char *const *allowed, vci_err_t *err)
{
	const struct alg_info *ai;
	uint8_t der[VCI_ECDSA_DER_MAX];
	struct vkey *e = NULL;
	const uint8_t *sig;
	size_t sig_len;
	int ok = 0;

	if (!jws || !jws->alg || !jws->signing_input || !key)
		return bad_sig(err, "JWS: %s", "nothing to verify");
	if (!strcmp(jws->alg, "none") || !strncmp(jws->alg, "HS", 2))
		return bad_sig(err, "JWS: algorithm \"%s\" is never accepted", jws->alg);
	ai = alg_find(jws->alg);
	if (!ai)
		return bad_sig(err, "JWS: algorithm \"%s\" is not supported", jws->alg);
	if (allowed) {
		size_t i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], jws->alg))
				break;
		if (!allowed[i])
			return bad_sig(err, "JWS: algorithm \"%s\" is not allowed here", jws->alg);
	}
	if (v && ai->kind != K_ED)
		e = vkey_get(v, key); /* NULL (out of memory): no reuse */
	if (!key_alg_ok(e, key, ai))
		return bad_sig(err, "JWS: algorithm \"%s\" does not fit the key", jws->alg);

	sig = jws->sig;
	sig_len = jws->sig_len;
	switch (ai->kind) {
	case K_EC:
		if (sig_len != 2 * ai->ec_bytes)
			return bad_sig(err, "JWS: %s signature must be raw R||S of the curve size",
				       ai->name);
		sig_len = vci_ecdsa_raw_to_der_to(sig, sig_len, der);
		if (!sig_len)
			return bad_sig(err, "JWS: %s", "bad ECDSA signature");
		sig = der;
		break;
	case K_ED:
		if (sig_len != 64)
			return bad_sig(err, "JWS: %s", "EdDSA signature must be 64 bytes");
		break;
	default:
		if (sig_len != (size_t)EVP_PKEY_get_size(key))
			return bad_sig(err, "JWS: %s", "RSA signature length differs from the modulus");
		break;
	}
	ok = ai->kind == K_ED ? verify_eddsa(jws, key)
			      : verify_digest(jws, ai, key, sig, sig_len, e ? v : NULL, e);
	if (!ok)
		return bad_sig(err, "JWS: %s", "signature verification failed");
	ERR_clear_error();
	return 0;
}

int vci_jws_verify(const vci_jws_t *jws, EVP_PKEY *key, const char *const *allowed,
		   vci_err_t *err)
{
	return vci_jws_verify_with(NULL, jws, key, allowed, err);
}

int vci_jws_parse_verify(const char *compact, size_t len, EVP_PKEY *key,
			 const char *const *allowed, vci_jws_t *jws, vci_err_t *err)
{
	if (vci_jws_parse(compact, len, jws, err) < 0)
		return -1;
	if (vci_jws_verify(jws, key, allowed, err) < 0) {
		vci_jws_free(jws);
		return -1;
	}
	return 0;
}

/* ---- typ ---- */

static const char *strip_app(const char *t)
{
	return strncasecmp(t, "application/", 12) ? t : t + 12;
}

int vci_jws_typ_is(const char *typ, const char *expected)
{
	if (!typ || !expected)
		return 0;
	return strcasecmp(strip_app(typ), strip_app(expected)) == 0;
}

/* ---- JWT checks ---- */

const char *const vci_jwt_default_algs[] = {
	"ES256", "ES384", "ES512", "EdDSA", "PS256", "RS256", NULL,
};

const char *const vci_jwt_known_algs[] = {
	"ES256", "ES384", "ES512", "EdDSA", "Ed25519", "PS256", "RS256", NULL,
};

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

int vci_jwt_check_alg(const char *alg, const char *const *allowed, const char *what,
			const char *code, vci_err_t *err)
{
	if (!allowed)
		allowed = vci_jwt_default_algs;
	if (!alg)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"alg\" missing", what);
	if (!strcmp(alg, "none"))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: alg \"none\" is refused: the proof must be signed", what);
	if (!strncmp(alg, "HS", 2))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: alg \"%s\" is a MAC, refused: the proof must use an "
				   "asymmetric signature", what, alg);
	if (!in_list(alg, vci_jwt_known_algs))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: unknown alg \"%s\"", what, alg);
	if (!in_list(alg, allowed))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: alg \"%s\" is not allowed here",
				   what, alg);
	return 0;
}

int vci_jwt_check_iat(const json_t *claims, int64_t now, long max_age, long skew,
			const char *what, const char *code, vci_err_t *err)
{
	const json_t *iat = json_object_get(claims, "iat");
	json_int_t t;

	if (!max_age)
		max_age = VCI_JWT_DEFAULT_MAX_AGE;
	if (!skew)
		skew = VCI_JWT_DEFAULT_SKEW;
	if (!now)
		now = vci_time_now();
	if (!iat)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "%s: \"iat\" missing", what);
	if (!json_is_integer(iat))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: \"iat\" must be an integer number of seconds", what);
	t = json_integer_value(iat);
	if (t > (json_int_t)now + skew)
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: \"iat\" is %lld seconds in the future (skew allowed: %ld)",
				   what, (long long)(t - (json_int_t)now), skew);
	if (t < (json_int_t)now - max_age)
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "%s: \"iat\" is %lld seconds old, more than the %ld allowed",
				   what, (long long)((json_int_t)now - t), max_age);
	return 0;
}
