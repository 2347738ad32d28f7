/* sdjwt.c - SD-JWT (RFC 9901) and SD-JWT VC issuance and verification;
 * W3C VC JWT issuance. Everything reusable is prepared once per issuer:
 * JWS signers (key context, encoded header) kept in a small pool that
 * threads borrow from, and the digest algorithm fetched once. Per
 * credential: one take from the thread's random buffer (crypto/rand.h)
 * for all salts and decoys, one EVP_Digest
 * per disclosure, base64url into buffers sized up front, one signature. */
#include "sdjwt.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/b64url.h"
#include "crypto/did.h"
#include "crypto/keys.h"
#include "crypto/rand.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>

#define MAX_DEPTH 32          /* nesting of claims and of disclosures */
#define DIGEST_B64_MAX 88     /* base64url of a SHA-512 digest + NUL */
#define SALT_BYTES 16
#define POOL_MAX 16

/* ---- digest algorithms ---- */

static const struct sd_alg {
	const char *name;     /* IANA Named Information Hash Algorithm name */
	const char *md;
} sd_algs[] = {
	{ "sha-256", "SHA256" },
	{ "sha-384", "SHA384" },
	{ "sha-512", "SHA512" },
};

static const struct sd_alg *sd_alg_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof sd_algs / sizeof sd_algs[0]; i++)
		if (!strcmp(name, sd_algs[i].name))
			return &sd_algs[i];
	return NULL;
}

/* base64url(H(s)) into out (DIGEST_B64_MAX bytes). */
static int digest_b64(const EVP_MD *md, const char *s, size_t len, char *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(s, len, d, &n, md, NULL) != 1)
		return -1;
	vci_b64url_encode_to(out, d, n);
	return 0;
}

/* ---- signer pool ---- */

typedef struct pool {
	pthread_mutex_t mu;
	vci_jws_signer_t *idle[POOL_MAX];
	size_t n;
	json_t *header;       /* typ, kid, x5c */
} pool_t;

static vci_jws_signer_t *pool_get(vci_sdjwt_issuer_t *is, pool_t *p, vci_err_t *err);
static void pool_put(pool_t *p, vci_jws_signer_t *s)
{
	pthread_mutex_lock(&p->mu);
	if (p->n < POOL_MAX) {
		p->idle[p->n++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	vci_jws_signer_free(s);
}

struct vci_sdjwt_issuer {
	EVP_PKEY *key;
	char *alg;
	char *iss;
	const struct sd_alg *sd_alg;
	EVP_MD *md;
	int legacy_typ;
	int decoys;
	pool_t sd, vc;
	char **salts;         /* test only */
	size_t nsalts, next_salt;
};

static vci_jws_signer_t *pool_get(vci_sdjwt_issuer_t *is, pool_t *p, vci_err_t *err)
{
	vci_jws_signer_t *s = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->n)
		s = p->idle[--p->n];
	pthread_mutex_unlock(&p->mu);
	if (!s) { /* kept for later records: made on the heap */
		int arena = vci_arena_pause();

		s = vci_jws_signer_new(is->key, is->alg, p->header, err);
		vci_arena_resume(arena);
	}
	return s;
}

static void pool_clear(pool_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		vci_jws_signer_free(p->idle[i]);
	p->n = 0;
	if (p->header)
		json_decref(p->header);
	p->header = NULL;
	pthread_mutex_destroy(&p->mu);
}

static json_t *header_of(const vci_sdjwt_issuer_opts_t *o, const char *typ)
{
	json_t *h = json_object();

	if (!h || json_object_set_new(h, "typ", json_string(typ)) < 0 ||
	    (o->kid && json_object_set_new(h, "kid", json_string(o->kid)) < 0) ||
	    (o->x5c && json_object_set(h, "x5c", (json_t *)o->x5c) < 0)) {
		json_decref(h);
		return NULL;
	}
	return h;
}

void vci_sdjwt_issuer_free(vci_sdjwt_issuer_t *is)
{
	if (!is)
		return;
	pool_clear(&is->sd);
	pool_clear(&is->vc);
	EVP_MD_free(is->md);
	EVP_PKEY_free(is->key);
	free(is->alg);
	free(is->iss);
	vci_sdjwt_issuer_fix_salts_for_test(is, NULL, 0);
	free(is);
}

vci_sdjwt_issuer_t *vci_sdjwt_issuer_new(const vci_sdjwt_issuer_opts_t *o, vci_err_t *err)
{
	vci_sdjwt_issuer_t *is;
	vci_jws_signer_t *s;

	if (!o || !o->key) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "no signing key");
		return NULL;
	}
	is = calloc(1, sizeof *is);
	if (!is) {
		vci_err_oom(err);
		return NULL;
	}
	pthread_mutex_init(&is->sd.mu, NULL);
	pthread_mutex_init(&is->vc.mu, NULL);
	is->sd_alg = sd_alg_find(o->sd_alg ? o->sd_alg : "sha-256");
	if (!is->sd_alg) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
			    "sd_alg: '%s': expected sha-256, sha-384 or sha-512", o->sd_alg);
		goto fail;
	}
	is->md = EVP_MD_fetch(NULL, is->sd_alg->md, NULL);
	if (!is->md) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "%s", is->sd_alg->md);
		goto fail;
	}
	if (EVP_PKEY_up_ref(o->key) != 1)
		goto oom;
	is->key = o->key;
	if ((o->alg && !(is->alg = strdup(o->alg))) || (o->iss && !(is->iss = strdup(o->iss))))
		goto oom;
	is->legacy_typ = o->legacy_typ;
	is->decoys = o->decoys;
	is->sd.header = header_of(o, o->legacy_typ ? "vc+sd-jwt" : "dc+sd-jwt");
	is->vc.header = header_of(o, "JWT");
	if (!is->sd.header || !is->vc.header)
		goto oom;
	/* one signer now, so that a key that cannot sign fails here */
	s = vci_jws_signer_new(is->key, is->alg, is->sd.header, err);
	if (!s)
		goto fail;
	pool_put(&is->sd, s);
	return is;
oom:
	vci_err_oom(err);
fail:
	vci_sdjwt_issuer_free(is);
	return NULL;
}

int vci_sdjwt_issuer_fix_salts_for_test(vci_sdjwt_issuer_t *is, const char *const *salts,
					size_t n)
{
	for (size_t i = 0; i < is->nsalts; i++)
		free(is->salts[i]);
	free(is->salts);
	is->salts = NULL;
	is->nsalts = is->next_salt = 0;
	if (!n)
		return 0;
	is->salts = calloc(n, sizeof *is->salts);
	if (!is->salts)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(is->salts[i] = strdup(salts[i])))
			return -1;
	is->nsalts = n;
	return 0;
}

/* ---- JSON text into a growing buffer ----
 * Disclosures and the payload are written straight into buffers instead
 * of building JSON trees to dump: member names and plain strings are
 * copied when nothing in them needs escaping, everything else by
 * vci_buf_json (json_dumpb's text, written in one pass). */

/* vci_buf_addn, for the callers here that check `failed` once at the end. */
static void sb_put(vci_buf_t *b, const char *s, size_t n)
{
	(void)vci_buf_addn(b, s, n);
}

#define sb_lit(b, s) sb_put((b), (s), sizeof(s) - 1)

static void sb_json(vci_buf_t *b, const json_t *v, size_t flags)
{
	(void)vci_buf_json(b, v, flags);
}

/* A JSON string: copied as is between quotes unless a character needs
 * an escape (jansson then writes it). */
static void sb_str(vci_buf_t *b, const char *s, size_t n)
{
	(void)vci_buf_json_str(b, s, n);
}

/* A decimal integer, as "%lld" writes it (snprintf's format parsing
 * costs more than the digits). */
static void sb_int(vci_buf_t *b, int64_t v)
{
	char t[24], *p = t + sizeof t;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sb_put(b, p, (size_t)(t + sizeof t - p));
}

/* ---- building ---- */

typedef struct build {
	vci_sdjwt_issuer_t *is;
	const vci_defn_t *d;
	vci_err_t *err;
	uint8_t rnd[512];     /* random bytes for salts and decoys */
	size_t rpos, rlen, want;
	vci_buf_t disc;       /* "d1~d2~...~" */
	vci_buf_t txt;           /* scratch: one disclosure's JSON text */
	EVP_MD_CTX *mdctx;    /* the thread's, reused for every digest */
	int own_mdctx;        /* mdctx is not the thread's: free it */
} build_t;

/* One digest context per thread, kept across credentials (its algorithm
 * context is reused when the digest is the same), freed at thread exit. */
static pthread_key_t mdctx_key;
static int mdctx_keyed;       /* the key was made */
static pthread_once_t mdctx_once = PTHREAD_ONCE_INIT;

static void mdctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void mdctx_key_make(void)
{
	mdctx_keyed = pthread_key_create(&mdctx_key, mdctx_free) == 0;
}

/* The calling thread's context, or a new one (owned by the caller:
 * *own set) if there is no key. NULL if out of memory. */
static EVP_MD_CTX *mdctx_get(int *own)
{
	EVP_MD_CTX *ctx;

	pthread_once(&mdctx_once, mdctx_key_make);
	*own = !mdctx_keyed;
	ctx = *own ? NULL : pthread_getspecific(mdctx_key);
	if (ctx)
		return ctx;
	ctx = EVP_MD_CTX_new();
	if (ctx && !*own && pthread_setspecific(mdctx_key, ctx) != 0)
		*own = 1;
	return ctx;
}

static int build_digest(build_t *b, const char *s, size_t len, char *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!b->mdctx && !(b->mdctx = mdctx_get(&b->own_mdctx)))
		return -1;
	if (EVP_DigestInit_ex2(b->mdctx, b->is->md, NULL) != 1 ||
	    EVP_DigestUpdate(b->mdctx, s, len) != 1 || EVP_DigestFinal_ex(b->mdctx, d, &n) != 1)
		return -1;
	vci_b64url_encode_to(out, d, n);
	return 0;
}

static int rand_take(build_t *b, size_t n, const uint8_t **out)
{
	if (b->rpos + n > b->rlen) {
		/* first call: as many bytes as the claims will likely take, so
		 * that one RAND_bytes call covers the credential */
		size_t want = b->rlen ? sizeof b->rnd : b->want;

		if (want < n || want > sizeof b->rnd)
			want = sizeof b->rnd;
		if (vci_rand_bytes(b->rnd, want) < 0)
			return vci_err_ssl(b->err, VCI_EXIT_KEY, "signing_failed", "RAND_bytes");
		b->rpos = 0;
		b->rlen = want;
	}
	*out = b->rnd + b->rpos;
	b->rpos += n;
	return 0;
}

/* A fresh salt (22 base64url characters of 16 random bytes). */
static int salt_new(build_t *b, char out[64])
{
	const uint8_t *r;

	if (b->is->salts) {
		if (b->is->next_salt >= b->is->nsalts)
			return vci_err_set(b->err, VCI_EXIT_FAIL, "invalid_request",
					   "fixed salts: all %zu used", b->is->nsalts);
		snprintf(out, 64, "%s", b->is->salts[b->is->next_salt++]);
		return 0;
	}
	if (rand_take(b, SALT_BYTES, &r) < 0)
		return -1;
	vci_b64url_encode_to(out, r, SALT_BYTES);
	return 0;
}

/* Make the disclosure [salt, name, value] (name NULL: [salt, value]),
 * append it to the disclosures and put its digest in `digest`. */
static int disclose(build_t *b, const char *name, json_t *value, char *digest)
{
	char salt[64];
	vci_buf_t *t = &b->txt;
	size_t enc;

	if (salt_new(b, salt) < 0)
		return -1;
	/* [salt, name, value] with the default separators ", " and ": " and
	 * UTF-8 as is, like the RFC's examples */
	t->len = 0;
	sb_lit(t, "[");
	sb_str(t, salt, strlen(salt));
	sb_lit(t, ", ");
	if (name) {
		sb_str(t, name, strlen(name));
		sb_lit(t, ", ");
	}
	if (json_is_string(value))
		sb_str(t, json_string_value(value), json_string_length(value));
	else
		sb_json(t, value, JSON_PRESERVE_ORDER);
	sb_lit(t, "]");
	if (t->failed)
		return vci_err_oom(b->err);
	if (vci_buf_reserve(&b->disc, vci_b64url_len(t->len) + 1) < 0)
		return vci_err_oom(b->err);
	enc = vci_b64url_encode_to(b->disc.p + b->disc.len, (const uint8_t *)t->p, t->len);
	OPENSSL_cleanse(t->p, t->len);
	if (build_digest(b, b->disc.p + b->disc.len, enc, digest) < 0)
		return vci_err_ssl(b->err, VCI_EXIT_KEY, "signing_failed", "digest");
	b->disc.len += enc;
	b->disc.p[b->disc.len++] = '~';
	b->disc.p[b->disc.len] = '\0';
	return 0;
}

static int cmp_digest(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The few digests of a typical object, sorted into `by` by insertion:
 * they all have one length (base64url of one digest size), so memcmp
 * orders them as strcmp does, and qsort's indirect calls cost more than
 * the comparisons at this size. */
#define SORT_SMALL 32

static void sort_small(char (*dg)[DIGEST_B64_MAX], size_t n, const char **by)
{
	size_t len = n ? strlen(dg[0]) : 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		/* random digests mostly differ in their first character */
		while (j && (by[j - 1][0] != dg[i][0]
				     ? (unsigned char)by[j - 1][0] > (unsigned char)dg[i][0]
				     : memcmp(by[j - 1], dg[i], len) > 0)) {
			by[j] = by[j - 1];
			j--;
		}
		by[j] = dg[i];
	}
}

/* Add the decoys to the n digests in dg and sort them all: the i-th in
 * order is then SD_AT(by, dg, n, i), n the new count. */
#define SD_AT(by, dg, n, i) ((n) <= SORT_SMALL ? (by)[i] : (dg)[i])

static int sd_digests(build_t *b, char (*dg)[DIGEST_B64_MAX], size_t *np, const char **by)
{
	size_t decoys = b->is->decoys >= 0 ? (size_t)b->is->decoys : 0, n = *np;

	if (b->is->decoys < 0 && !b->is->salts) {
		const uint8_t *r;

		if (rand_take(b, 1, &r) < 0)
			return -1;
		decoys = 1 + r[0] % VCI_SDJWT_DECOYS_MAX;
	}
	for (size_t i = 0; i < decoys; i++) {
		const uint8_t *r;
		char s[32];

		if (rand_take(b, SALT_BYTES, &r) < 0)
			return -1;
		vci_b64url_encode_to(s, r, SALT_BYTES);
		if (build_digest(b, s, strlen(s), dg[n++]) < 0)
			return vci_err_ssl(b->err, VCI_EXIT_KEY, "signing_failed", "digest");
	}
	if (n <= SORT_SMALL)
		sort_small(dg, n, by);
	else
		qsort(dg, n, sizeof dg[0], cmp_digest);
	*np = n;
	return 0;
}

/* A nested object's "_sd" array of the digests with decoys, sorted. */
static json_t *sd_array(build_t *b, char (*dg)[DIGEST_B64_MAX], size_t n)
{
	const char *by[SORT_SMALL];
	json_t *arr;

	if (sd_digests(b, dg, &n, by) < 0)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_string_nocheck(SD_AT(by, dg, n, i))) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	if (!arr)
		vci_err_oom(b->err);
	return arr;
}

/* The top level's digests with decoys, sorted, written into the payload
 * text as "_sd":[...], (base64url: nothing to escape). */
static int sd_text(build_t *b, char (*dg)[DIGEST_B64_MAX], size_t n, vci_buf_t *out)
{
	const char *by[SORT_SMALL];
	size_t len;

	if (sd_digests(b, dg, &n, by) < 0)
		return -1;
	len = strlen(dg[0]);
	sb_lit(out, "\"_sd\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_lit(out, ",");
		sb_lit(out, "\"");
		sb_put(out, SD_AT(by, dg, n, i), len);
		sb_lit(out, "\"");
	}
	sb_lit(out, "],");
	return 0;
}

static json_t *build_value(build_t *b, json_t *v, const vci_defn_node_t *node, int depth);

static int selective(const vci_defn_claim_t *c, int top)
{
	return c ? c->sd != VCI_SD_NEVER : top;
}

/* Process an object's members: plaintext ones go into `out`, the others
 * become disclosures whose digests are returned in *sd (NULL if none),
 * or, with sd_out, written there as text (see sd_text). */
static int build_members(build_t *b, json_t *obj, const vci_defn_node_t *node, int depth,
			 json_t *out, json_t **sd, vci_buf_t *sd_out)
{
	size_t cap = json_object_size(obj) + (b->is->decoys >= 0 ? (size_t)b->is->decoys
								 : VCI_SDJWT_DECOYS_MAX);
	char (*dg)[DIGEST_B64_MAX] = NULL;
	size_t n = 0;
	const char *k;
	json_t *m;
	int rc = 0;

	*sd = NULL;
	json_object_foreach(obj, k, m) {
		const vci_defn_node_t *child = vci_defn_node_key(node, k);
		json_t *pv;

		if ((k[0] == '_' || k[0] == '.') &&
		    (!strcmp(k, "_sd") || !strcmp(k, "...") || (depth && !strcmp(k, "_sd_alg")))) {
			free(dg);
			return vci_err_set(b->err, VCI_EXIT_FAIL, "invalid_claims",
					   "claims: \"%s\" is reserved for SD-JWT digests", k);
		}
		pv = build_value(b, m, child, depth + 1);
		if (!pv) {
			free(dg);
			return -1;
		}
		if (selective(vci_defn_node_claim(b->d, child), depth == 0)) {
			if (!dg && !(dg = malloc(cap * sizeof *dg))) {
				json_decref(pv);
				return vci_err_oom(b->err);
			}
			if (disclose(b, k, pv, dg[n]) < 0) {
				json_decref(pv);
				free(dg);
				return -1;
			}
			n++;
			json_decref(pv);
		} else if (json_object_set_new(out, k, pv) < 0) {
			free(dg);
			return vci_err_oom(b->err);
		}
	}
	if (n && sd_out)
		rc = sd_text(b, dg, n, sd_out);
	else if (n && !(*sd = sd_array(b, dg, n)))
		rc = -1;
	free(dg);
	return rc;
}

static json_t *build_value(build_t *b, json_t *v, const vci_defn_node_t *node, int depth)
{
	json_t *out, *sd = NULL;

	if (depth > MAX_DEPTH) {
		vci_err_set(b->err, VCI_EXIT_FAIL, "invalid_claims",
			    "claims: nested deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (json_is_object(v)) {
		out = json_object();
		if (!out || build_members(b, v, node, depth, out, &sd, NULL) < 0 ||
		    (sd && json_object_set_new(out, "_sd", sd) < 0)) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; out && i < json_array_size(v); i++) {
			const vci_defn_node_t *child = vci_defn_node_elem(node, i);
			json_t *pv = build_value(b, json_array_get(v, i), child, depth + 1);
			char dg[DIGEST_B64_MAX];

			if (!pv) {
				json_decref(out);
				return NULL;
			}
			if (selective(vci_defn_node_claim(b->d, child), 0)) {
				int rc = disclose(b, NULL, pv, dg);

				json_decref(pv);
				pv = rc < 0 ? NULL : json_pack("{s:s}", "...", dg);
				if (!pv) {
					json_decref(out);
					return NULL;
				}
			}
			if (json_array_append_new(out, pv) < 0) {
				json_decref(out);
				vci_err_oom(b->err);
				return NULL;
			}
		}
		if (!out)
			vci_err_oom(b->err);
		return out;
	}
	return json_incref(v);
}

/* The JWS of txt, with `room` bytes to spare after its NUL (see
 * vci_jws_signer_sign_room). */
static char *sign_bytes(vci_sdjwt_issuer_t *is, pool_t *p, const char *txt, size_t tlen,
			size_t room, size_t *len, vci_err_t *err)
{
	vci_jws_signer_t *s = pool_get(is, p, err);
	char *jwt = s ? vci_jws_signer_sign_room(s, (const uint8_t *)txt, tlen, room, len, err)
		      : NULL;

	if (s)
		pool_put(p, s);
	return jwt;
}

static char *sign_payload(vci_sdjwt_issuer_t *is, pool_t *p, const json_t *payload,
			  size_t *len, vci_err_t *err)
{
	char *txt = vci_json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	char *jwt;

	if (!txt) {
		vci_err_oom(err);
		return NULL;
	}
	jwt = sign_bytes(is, p, txt, strlen(txt), 0, len, err);
	free(txt);
	return jwt;
}

/* "name": (a member name and its separator, compact) */
static void sb_name(vci_buf_t *b, const char *name)
{
	sb_lit(b, ",");
	sb_str(b, name, strlen(name));
	sb_lit(b, ":");
}

#define SET(o, k, v) (json_object_set_new((o), (k), (v)) < 0)

char *vci_sdjwt_issue(vci_sdjwt_issuer_t *is, const vci_defn_t *d, const json_t *claims,
		      const json_t *holder_jwk, const json_t *status,
		      const vci_issue_times_t *t, size_t *len, vci_err_t *err)
{
	build_t b = { .is = is, .d = d, .err = err };
	vci_buf_t pl = { 0 };

	/* salts for every member plus the decoys of the top-level _sd */
	b.want = SALT_BYTES * (json_object_size(claims) + VCI_SDJWT_DECOYS_MAX + 1) + 1;
	json_t *plain = NULL, *sd = NULL, *v;
	char *jwt = NULL, *out = NULL;
	const char *k;
	size_t jlen = 0;

	if (!json_is_object(claims)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims: expected an object");
		return NULL;
	}
	plain = json_object();
	/* room for a typical credential at once, not grown by doubling */
	if (!plain || vci_buf_reserve(&pl, 2048) < 0 || vci_buf_reserve(&b.disc, 2048) < 0)
		goto oom;
	/* the payload, compact: _sd, iss, iat, nbf, exp, vct, the plaintext
	 * claims, status, _sd_alg, cnf; the top level's _sd written as the
	 * claims are processed */
	sb_lit(&pl, "{");
	if (build_members(&b, (json_t *)claims, vci_defn_root(d), 0, plain, &sd, &pl) < 0)
		goto out;
	if (is->iss) {
		sb_lit(&pl, "\"iss\":");
		sb_str(&pl, is->iss, strlen(is->iss));
		sb_lit(&pl, ",");
	}
	sb_lit(&pl, "\"iat\":");
	sb_int(&pl, t->iat);
	if (t->nbf) {
		sb_lit(&pl, ",\"nbf\":");
		sb_int(&pl, t->nbf);
	}
	sb_lit(&pl, ",\"exp\":");
	sb_int(&pl, t->exp);
	if (d && d->vct) {
		sb_name(&pl, "vct");
		sb_str(&pl, d->vct, strlen(d->vct));
	}
	json_object_foreach(plain, k, v) {
		sb_name(&pl, k);
		if (json_is_string(v))
			sb_str(&pl, json_string_value(v), json_string_length(v));
		else
			sb_json(&pl, v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if (status) {
		sb_name(&pl, "status");
		sb_json(&pl, status, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if (b.disc.len) {
		sb_name(&pl, "_sd_alg");
		sb_str(&pl, is->sd_alg->name, strlen(is->sd_alg->name));
	}
	if (holder_jwk) {
		sb_lit(&pl, ",\"cnf\":{\"jwk\":");
		sb_json(&pl, holder_jwk, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sb_lit(&pl, "}");
	}
	sb_lit(&pl, "}");
	if (pl.failed)
		goto oom;
	/* "<jwt>~<disclosures>": the disclosures appended in the JWS's
	 * buffer, not both copied into a new one */
	jwt = sign_bytes(is, &is->sd, pl.p, pl.len, 1 + b.disc.len, &jlen, err);
	if (!jwt)
		goto out;
	jwt[jlen] = '~';
	if (b.disc.len)
		memcpy(jwt + jlen + 1, b.disc.p, b.disc.len);
	jwt[jlen + 1 + b.disc.len] = '\0';
	if (len)
		*len = jlen + 1 + b.disc.len;
	out = jwt;
	jwt = NULL;
	goto out;
oom:
	vci_err_oom(err);
out:
	if (sd)
		json_decref(sd);
	if (plain)
		json_decref(plain);
	free(jwt);
	if (pl.p)
		OPENSSL_cleanse(pl.p, pl.len);
	free(pl.p);
	if (b.txt.p)
		OPENSSL_cleanse(b.txt.p, b.txt.len);
	free(b.txt.p);
	if (b.own_mdctx)
		EVP_MD_CTX_free(b.mdctx);
	if (b.disc.p)
		OPENSSL_cleanse(b.disc.p, b.disc.len);
	vci_buf_free(&b.disc);
	OPENSSL_cleanse(b.rnd, sizeof b.rnd);
	return out;
}

/* did:jwk of a holder JWK (the key parsed, so that only its public
 * members in canonical order go into the DID). */
static char *holder_did(const json_t *jwk, vci_err_t *err)
{
	EVP_PKEY *pk = vci_jwk_to_pkey(jwk, 0, err);
	char *did;

	if (!pk) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_proof");
		vci_err_prefix(err, "holder_jwk");
		return NULL;
	}
	did = vci_did_jwk_from_pkey(pk, err);
	EVP_PKEY_free(pk);
	return did;
}

char *vci_jwtvc_issue(vci_sdjwt_issuer_t *is, const vci_defn_t *d, const json_t *claims,
		      const json_t *holder_jwk, const json_t *credential_status,
		      const vci_issue_times_t *t, size_t *len, vci_err_t *err)
{
	json_t *payload = NULL, *vc = NULL, *subject = NULL, *sv, *vv;
	char *did = NULL, *out = NULL;
	char jti[64];
	uint8_t u[16];

	if (!json_is_object(claims)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims: expected an object");
		return NULL;
	}
	if (holder_jwk && !(did = holder_did(holder_jwk, err)))
		return NULL;
	if (vci_rand_bytes(u, sizeof u) < 0) {
		free(did);
		vci_err_ssl(err, VCI_EXIT_KEY, "signing_failed", "RAND_bytes");
		return NULL;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(jti, sizeof jti,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	subject = json_object();
	vc = json_object();
	payload = json_object();
	if (!subject || !vc || !payload)
		goto oom;
	if ((did && SET(subject, "id", json_string(did))) ||
	    json_object_update(subject, (json_t *)claims) < 0)
		goto oom;
	if (SET(vc, "@context", d && d->context ? json_deep_copy(d->context)
					       : json_pack("[s]", "https://www.w3.org/2018/credentials/v1")) ||
	    SET(vc, "type", d && d->type ? json_deep_copy(d->type)
				       : json_pack("[s]", "VerifiableCredential")))
		goto oom;
	sv = subject;
	subject = NULL;
	if (SET(vc, "credentialSubject", sv))
		goto oom;
	if (credential_status && json_object_set(vc, "credentialStatus",
						  (json_t *)credential_status) < 0)
		goto oom;
	if ((is->iss && SET(payload, "iss", json_string(is->iss))) ||
	    (did && SET(payload, "sub", json_string(did))) ||
	    SET(payload, "nbf", json_integer(t->nbf ? t->nbf : t->iat)) ||
	    SET(payload, "iat", json_integer(t->iat)) ||
	    SET(payload, "exp", json_integer(t->exp)) ||
	    SET(payload, "jti", json_string(jti)))
		goto oom;
	vv = vc;
	vc = NULL;
	if (SET(payload, "vc", vv))
		goto oom;
	out = sign_payload(is, &is->vc, payload, len, err);
	goto out;
oom:
	vci_err_oom(err);
out:
	if (subject)
		json_decref(subject);
	if (vc)
		json_decref(vc);
	if (payload)
		json_decref(payload);
	free(did);
	return out;
}

/* ---- the formats' operations (issue.h) ---- */

/* The record's claims, checked (an object when they pass); signed as
 * they are. */
static json_t *sdjwt_claims(const vci_defn_t *d, json_t *rec, unsigned flags, vci_err_t *err)
{
	json_t *claims = json_object_get(rec, "claims");

	if (vci_defn_check_claims(d, claims, flags & VCI_ISSUE_CSV ? VCI_DEFN_COERCE : 0, err) < 0)
		return NULL;
	return json_incref(claims);
}

/* A W3C VC JWT takes a W3C credentialStatus, not a Token Status List. */
static int jwtvc_status(const vci_defn_t *d, const json_t *rec, const json_t **status,
			vci_err_t *err)
{
	const json_t *cs = json_object_get(rec, "credentialStatus");

	*status = NULL;
	if (json_object_get(rec, "status"))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "status: a jwt_vc_json credential takes a W3C "
				   "credentialStatus (vci-statuslist --method bitstring)");
	if (cs && (!json_is_object(cs) || !json_is_string(json_object_get(cs, "type"))))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "credentialStatus: expected an object with a type");
	if (!cs && d->status != VCI_STATUS_NONE)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "credentialStatus: missing: the definition '%s' has a "
				   "status list (allocate with vci-statuslist alloc)",
				   d->id ? d->id : "");
	*status = cs;
	return 0;
}

static const char *sdjwt_format_id(const void *signer)
{
	return ((const vci_sdjwt_issuer_t *)signer)->legacy_typ ? "vc+sd-jwt" : "dc+sd-jwt";
}

static const char *jwtvc_format_id(const void *signer)
{
	(void)signer;
	return "jwt_vc_json";
}

static char *sdjwt_sign(void *signer, const vci_issue_cred_t *c, size_t *len, vci_err_t *err)
{
	return vci_sdjwt_issue(signer, c->defn, c->claims, c->holder_jwk, c->status, c->times, len,
			       err);
}

static char *jwtvc_sign(void *signer, const vci_issue_cred_t *c, size_t *len, vci_err_t *err)
{
	return vci_jwtvc_issue(signer, c->defn, c->claims, c->holder_jwk, c->status, c->times, len,
			       err);
}

const vci_issue_ops_t vci_sdjwt_ops = {
	.format = VCI_FORMAT_SDJWT,
	.what = "a dc+sd-jwt credential",
	.max_keys = VCI_SDJWT_MAX_KEYS,
	.claims = sdjwt_claims,
	.format_id = sdjwt_format_id,
	.sign = sdjwt_sign,
};

const vci_issue_ops_t vci_jwtvc_ops = {
	.format = VCI_FORMAT_JWTVC,
	.what = "a jwt_vc_json credential",
	.max_keys = VCI_SDJWT_MAX_KEYS,
	.claims = sdjwt_claims,
	.status = jwtvc_status,
	.format_id = jwtvc_format_id,
	.sign = jwtvc_sign,
};

/* ---- parsing ---- */

#define sd_fail(err, ...) vci_err_set(err, VCI_EXIT_FAIL, "invalid_sd_jwt", __VA_ARGS__)

void vci_sdjwt_free(vci_sdjwt_t *sd)
{
	if (!sd)
		return;
	vci_jws_free(&sd->jws);
	free(sd->disc);
	free(sd->disc_len);
	free(sd->buf);
	memset(sd, 0, sizeof *sd);
}

int vci_sdjwt_parse(const char *s, size_t len, vci_sdjwt_t *sd, vci_err_t *err)
{
	const char *typ, *p, *end, *tilde;
	size_t n = 0, cap = 0;

	memset(sd, 0, sizeof *sd);
	if (!s || !len)
		return sd_fail(err, "SD-JWT: empty");
	if (memchr(s, '\0', len))
		return sd_fail(err, "SD-JWT: NUL byte");
	tilde = memchr(s, '~', len);
	if (!tilde)
		return sd_fail(err, "SD-JWT: no '~' (a plain JWT is not an SD-JWT)");
	sd->buf = malloc(len + 1);
	if (!sd->buf)
		return vci_err_oom(err);
	memcpy(sd->buf, s, len);
	sd->buf[len] = '\0';
	if (vci_jws_parse(sd->buf, (size_t)(tilde - s), &sd->jws, err) < 0) {
		vci_sdjwt_free(sd);
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_sd_jwt");
		return vci_err_prefix(err, "SD-JWT issuer JWT");
	}
	typ = json_string_value(json_object_get(sd->jws.header, "typ"));
	if (!typ || strlen(typ) < 7 || strcasecmp(typ + strlen(typ) - 7, "+sd-jwt")) {
		/* the message first: typ points into the header freed below */
		sd_fail(err, "SD-JWT issuer JWT: typ %s%.64s%s is not an SD-JWT type (dc+sd-jwt)",
			typ ? "\"" : "", typ ? typ : "missing", typ ? "\"" : "");
		vci_sdjwt_free(sd);
		return -1;
	}
	if (!sd->jws.payload) {
		vci_sdjwt_free(sd);
		return sd_fail(err, "SD-JWT issuer JWT: the payload is not a JSON object");
	}
	/* disclosures: every component between two '~' */
	p = sd->buf + (tilde - s) + 1;
	end = sd->buf + len;
	for (;;) {
		const char *t = memchr(p, '~', (size_t)(end - p));

		if (!t)
			break;
		if (t == p) {
			vci_sdjwt_free(sd);
			return sd_fail(err, "SD-JWT: empty disclosure %zu", n + 1);
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			const char **d = realloc(sd->disc, nc * sizeof *d);
			size_t *l = d ? realloc(sd->disc_len, nc * sizeof *l) : NULL;

			if (d)
				sd->disc = d;
			if (!d || !l) {
				vci_sdjwt_free(sd);
				return vci_err_oom(err);
			}
			sd->disc_len = l;
			cap = nc;
		}
		sd->disc[n] = p;
		sd->disc_len[n] = (size_t)(t - p);
		n++;
		p = t + 1;
	}
	sd->ndisc = n;
	sd->presented_len = (size_t)(p - sd->buf);
	if (p < end) {
		sd->kb = p;
		sd->kb_len = (size_t)(end - p);
	}
	return 0;
}

/* ---- disclosure processing (RFC 9901 section 7.1, steps 3 to 5) ---- */

typedef struct dctx {
	const vci_sdjwt_t *sd;
	json_t *map;          /* digest -> index of the disclosure */
	json_t **vals;        /* decoded disclosures */
	uint8_t *used;
	json_t *seen;         /* digests met in the payload and disclosures */
	vci_err_t *err;
} dctx_t;

static json_t *proc(dctx_t *x, json_t *v, int depth);

/* A digest met in an _sd array or an array element: the disclosure it
 * references (index), -1 for a decoy, -2 on error. */
static long digest_ref(dctx_t *x, const json_t *dg)
{
	const char *s = json_string_value(dg);
	const json_t *i;

	if (!s) {
		sd_fail(x->err, "SD-JWT: a digest is not a string");
		return -2;
	}
	if (json_object_get(x->seen, s)) {
		sd_fail(x->err, "SD-JWT: digest %s appears more than once", s);
		return -2;
	}
	if (json_object_set_new(x->seen, s, json_true()) < 0) {
		vci_err_oom(x->err);
		return -2;
	}
	i = json_object_get(x->map, s);
	if (!i)
		return -1;
	x->used[json_integer_value(i)] = 1;
	return (long)json_integer_value(i);
}

static json_t *proc_object(dctx_t *x, json_t *v, int depth)
{
	json_t *out = json_object(), *sd = json_object_get(v, "_sd"), *m;
	const char *k;

	if (!out)
		goto oom;
	if (sd && !json_is_array(sd)) {
		sd_fail(x->err, "SD-JWT: \"_sd\" is not an array");
		goto fail;
	}
	json_object_foreach(v, k, m) {
		json_t *pv;

		if (!strcmp(k, "_sd") || (!depth && !strcmp(k, "_sd_alg")))
			continue;
		if (!strcmp(k, "...") || !strcmp(k, "_sd_alg")) {
			sd_fail(x->err, "SD-JWT: \"%s\" where no digest may be", k);
			goto fail;
		}
		pv = proc(x, m, depth + 1);
		if (!pv)
			goto fail;
		if (json_object_set_new_nocheck(out, k, pv) < 0)
			goto oom;
	}
	for (size_t i = 0; i < json_array_size(sd); i++) {
		long r = digest_ref(x, json_array_get(sd, i));
		const json_t *dv;
		const char *name;
		json_t *pv;

		if (r == -2)
			goto fail;
		if (r < 0)
			continue;
		dv = x->vals[r];
		name = json_string_value(json_array_get(dv, 1));
		if (json_array_size(dv) != 3 || !name) {
			sd_fail(x->err, "SD-JWT: disclosure %ld is referenced from \"_sd\" but is not "
				"[salt, name, value]", r + 1);
			goto fail;
		}
		if (!strcmp(name, "_sd") || !strcmp(name, "...")) {
			sd_fail(x->err, "SD-JWT: disclosure %ld: claim name \"%s\" is reserved", r + 1,
				name);
			goto fail;
		}
		if (json_object_get(out, name)) {
			sd_fail(x->err, "SD-JWT: disclosure %ld: claim \"%s\" is already present",
				r + 1, name);
			goto fail;
		}
		pv = proc(x, json_array_get(dv, 2), depth + 1);
		if (!pv)
			goto fail;
		if (json_object_set_new(out, name, pv) < 0)
			goto oom;
	}
	return out;
oom:
	vci_err_oom(x->err);
fail:
	if (out)
		json_decref(out);
	return NULL;
}

static json_t *proc_array(dctx_t *x, json_t *v, int depth)
{
	json_t *out = json_array();

	if (!out)
		goto oom;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i), *dg = json_object_get(e, "...");
		json_t *pv;

		if (dg) {
			long r;

			if (json_object_size(e) != 1) {
				sd_fail(x->err, "SD-JWT: an array element digest {\"...\": ...} has "
					"other members");
				goto fail;
			}
			r = digest_ref(x, dg);
			if (r == -2)
				goto fail;
			if (r == -1)
				continue;
			if (json_array_size(x->vals[r]) != 2) {
				sd_fail(x->err, "SD-JWT: disclosure %ld is referenced from an array but "
					"is not [salt, value]", r + 1);
				goto fail;
			}
			e = json_array_get(x->vals[r], 1);
		}
		pv = proc(x, e, depth + 1);
		if (!pv)
			goto fail;
		if (json_array_append_new(out, pv) < 0)
			goto oom;
	}
	return out;
oom:
	vci_err_oom(x->err);
fail:
	if (out)
		json_decref(out);
	return NULL;
}

static json_t *proc(dctx_t *x, json_t *v, int depth)
{
	if (depth > 2 * MAX_DEPTH) {
		sd_fail(x->err, "SD-JWT: nested deeper than %d levels", 2 * MAX_DEPTH);
		return NULL;
	}
	if (json_is_object(v))
		return proc_object(x, v, depth);
	if (json_is_array(v))
		return proc_array(x, v, depth);
	return json_incref(v);
}

static const struct sd_alg *payload_sd_alg(const json_t *payload, vci_err_t *err)
{
	const json_t *a = json_object_get(payload, "_sd_alg");
	const struct sd_alg *alg = sd_alg_find(a ? json_string_value(a) : "sha-256");

	if (!alg)
		sd_fail(err, "SD-JWT: _sd_alg %s%s%s is not one we accept (sha-256, sha-384, sha-512)",
			json_is_string(a) ? "\"" : "", json_is_string(a) ? json_string_value(a) : "(not a string)",
			json_is_string(a) ? "\"" : "");
	return alg;
}

json_t *vci_sdjwt_disclose(const vci_sdjwt_t *sd, vci_err_t *err)
{
	dctx_t x = { .sd = sd, .err = err };
	const struct sd_alg *alg = payload_sd_alg(sd->jws.payload, err);
	EVP_MD *md = NULL;
	json_t *out = NULL;

	if (!alg)
		return NULL;
	md = EVP_MD_fetch(NULL, alg->md, NULL);
	x.map = json_object();
	x.seen = json_object();
	x.vals = calloc(sd->ndisc + 1, sizeof *x.vals);
	x.used = calloc(sd->ndisc + 1, 1);
	if (!md || !x.map || !x.seen || !x.vals || !x.used) {
		vci_err_oom(err);
		goto out;
	}
	for (size_t i = 0; i < sd->ndisc; i++) {
		char dg[DIGEST_B64_MAX], what[48];
		json_t *v;

		snprintf(what, sizeof what, "SD-JWT: disclosure %zu", i + 1);
		v = vci_b64url_decode_json(sd->disc[i], sd->disc_len[i], what, err);
		if (!v) {
			err->status = VCI_EXIT_FAIL;
			snprintf(err->code, sizeof err->code, "invalid_sd_jwt");
			goto out;
		}
		x.vals[i] = v;
		if (!json_is_array(v) || json_array_size(v) < 2 || json_array_size(v) > 3 ||
		    !json_is_string(json_array_get(v, 0))) {
			sd_fail(err, "%s: expected [salt, name, value] or [salt, value]", what);
			goto out;
		}
		if (digest_b64(md, sd->disc[i], sd->disc_len[i], dg) < 0) {
			vci_err_ssl(err, VCI_EXIT_FAIL, "invalid_sd_jwt", "digest");
			goto out;
		}
		if (json_object_get(x.map, dg)) {
			sd_fail(err, "%s: presented twice", what);
			goto out;
		}
		if (json_object_set_new(x.map, dg, json_integer((json_int_t)i)) < 0) {
			vci_err_oom(err);
			goto out;
		}
	}
	out = proc(&x, sd->jws.payload, 0);
	for (size_t i = 0; out && i < sd->ndisc; i++)
		if (!x.used[i]) {
			sd_fail(err, "SD-JWT: disclosure %zu is not referenced by the payload or "
				"another disclosure", i + 1);
			json_decref(out);
			out = NULL;
		}
out:
	for (size_t i = 0; x.vals && i < sd->ndisc; i++)
		if (x.vals[i])
			json_decref(x.vals[i]);
	free(x.vals);
	free(x.used);
	if (x.map)
		json_decref(x.map);
	if (x.seen)
		json_decref(x.seen);
	EVP_MD_free(md);
	return out;
}

/* ---- verification ---- */

#define kb_fail(err, ...) vci_err_set(err, VCI_EXIT_FAIL, "invalid_kb_jwt", __VA_ARGS__)

static EVP_PKEY *issuer_key(const vci_sdjwt_t *sd, const vci_sdjwt_verify_opts_t *o, int64_t now,
			    vci_err_t *err)
{
	const json_t *x5c = json_object_get(sd->jws.header, "x5c");
	STACK_OF(X509) *chain;
	EVP_PKEY *pk;

	if (o->key) {
		EVP_PKEY_up_ref(o->key);
		return o->key;
	}
	if (!o->ca_file) {
		vci_err_set(err, VCI_EXIT_USAGE, "usage", "no issuer key or trust anchors");
		return NULL;
	}
	if (!x5c) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature",
			    "SD-JWT issuer JWT: no x5c header to validate against the trust anchors");
		return NULL;
	}
	chain = vci_x5c_parse(x5c, err);
	if (!chain) {
		err->status = VCI_EXIT_FAIL;
		vci_err_prefix(err, "SD-JWT issuer JWT: x5c");
		return NULL;
	}
	if (vci_x509_verify(chain, o->ca_file, (time_t)now, err) < 0) {
		sk_X509_pop_free(chain, X509_free);
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_signature");
		vci_err_prefix(err, "SD-JWT issuer JWT: x5c");
		return NULL;
	}
	pk = X509_get_pubkey(sk_X509_value(chain, 0));
	sk_X509_pop_free(chain, X509_free);
	if (!pk)
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature", "SD-JWT issuer JWT: x5c: no key");
	return pk;
}

static int check_times(const json_t *p, int64_t now, long skew, vci_err_t *err)
{
	const json_t *exp = json_object_get(p, "exp"), *nbf = json_object_get(p, "nbf");

	if (exp && (!json_is_integer(exp) || json_integer_value(exp) + skew <= now))
		return sd_fail(err, "SD-JWT: expired (exp %lld, now %lld)",
			       (long long)json_integer_value(exp), (long long)now);
	if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) - skew > now))
		return sd_fail(err, "SD-JWT: not yet valid (nbf %lld, now %lld)",
			       (long long)json_integer_value(nbf), (long long)now);
	return 0;
}

static int verify_kb(const vci_sdjwt_t *sd, const json_t *claims, const vci_sdjwt_verify_opts_t *o,
		     int64_t now, long skew, vci_err_t *err)
{
	const struct sd_alg *alg = payload_sd_alg(sd->jws.payload, err);
	long max_age = o->kb_max_age > 0 ? o->kb_max_age : 300;
	const json_t *jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
	const json_t *iat, *aud, *nonce, *hash;
	EVP_MD *md = NULL;
	EVP_PKEY *pk = NULL;
	vci_jws_t kb;
	char want[DIGEST_B64_MAX];
	int rc = -1;

	if (!alg)
		return -1;
	if (!sd->kb)
		return kb_fail(err, "KB-JWT: missing (the presentation must end in a key binding JWT)");
	if (!json_is_object(jwk))
		return kb_fail(err, "KB-JWT: the SD-JWT has no cnf.jwk to verify it with");
	if (vci_jws_parse(sd->kb, sd->kb_len, &kb, err) < 0) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_kb_jwt");
		return vci_err_prefix(err, "KB-JWT");
	}
	if (!vci_jws_typ_is(json_string_value(json_object_get(kb.header, "typ")), "kb+jwt")) {
		kb_fail(err, "KB-JWT: typ is not kb+jwt");
		goto out;
	}
	pk = vci_jwk_to_pkey(jwk, 0, err);
	if (!pk) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_kb_jwt");
		vci_err_prefix(err, "KB-JWT: cnf.jwk");
		goto out;
	}
	if (vci_jws_verify(&kb, pk, o->algs, err) < 0) {
		snprintf(err->code, sizeof err->code, "invalid_kb_jwt");
		vci_err_prefix(err, "KB-JWT");
		goto out;
	}
	if (!kb.payload) {
		kb_fail(err, "KB-JWT: the payload is not a JSON object");
		goto out;
	}
	iat = json_object_get(kb.payload, "iat");
	aud = json_object_get(kb.payload, "aud");
	nonce = json_object_get(kb.payload, "nonce");
	hash = json_object_get(kb.payload, "sd_hash");
	if (!json_is_integer(iat) || json_integer_value(iat) > now + skew ||
	    json_integer_value(iat) < now - max_age) {
		kb_fail(err, "KB-JWT: iat missing or outside [now - %ld, now + %ld]", max_age, skew);
		goto out;
	}
	if (!json_is_string(aud) || strcmp(json_string_value(aud), o->kb_aud)) {
		kb_fail(err, "KB-JWT: aud is not \"%s\"", o->kb_aud);
		goto out;
	}
	if (!json_is_string(nonce) ||
	    !vci_ct_equal(json_string_value(nonce), json_string_length(nonce), o->kb_nonce,
			  strlen(o->kb_nonce))) {
		kb_fail(err, "KB-JWT: nonce is not the one expected");
		goto out;
	}
	md = EVP_MD_fetch(NULL, alg->md, NULL);
	if (!md || digest_b64(md, sd->buf, sd->presented_len, want) < 0) {
		vci_err_ssl(err, VCI_EXIT_FAIL, "invalid_kb_jwt", "sd_hash");
		goto out;
	}
	if (!json_is_string(hash) ||
	    !vci_ct_equal(json_string_value(hash), json_string_length(hash), want, strlen(want))) {
		kb_fail(err, "KB-JWT: sd_hash does not match the presented SD-JWT");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_free(md);
	EVP_PKEY_free(pk);
	vci_jws_free(&kb);
	return rc;
}

int vci_sdjwt_verify(const char *s, size_t len, const vci_sdjwt_verify_opts_t *o,
		     json_t **claims, vci_err_t *err)
{
	vci_sdjwt_t sd;
	EVP_PKEY *pk;
	json_t *out = NULL;
	int64_t now = o->now ? o->now : vci_time_now();
	long skew = o->skew > 0 ? o->skew : 60;
	int want_kb = o->kb_aud || o->kb_nonce;

	*claims = NULL;
	if (want_kb && !(o->kb_aud && o->kb_nonce))
		return vci_err_set(err, VCI_EXIT_USAGE, "usage",
				   "key binding needs both the audience and the nonce");
	if (vci_sdjwt_parse(s, len, &sd, err) < 0)
		return -1;
	pk = issuer_key(&sd, o, now, err);
	if (!pk)
		goto fail;
	if (vci_jws_verify(&sd.jws, pk, o->algs, err) < 0) {
		EVP_PKEY_free(pk);
		vci_err_prefix(err, "SD-JWT issuer JWT");
		goto fail;
	}
	EVP_PKEY_free(pk);
	out = vci_sdjwt_disclose(&sd, err);
	if (!out || check_times(out, now, skew, err) < 0)
		goto fail;
	if (!want_kb && sd.kb) {
		kb_fail(err, "KB-JWT: present, but no audience and nonce were given to check it "
			"against (`kb_aud`, `kb_nonce`)");
		goto fail;
	}
	if (want_kb && verify_kb(&sd, out, o, now, skew, err) < 0)
		goto fail;
	vci_sdjwt_free(&sd);
	*claims = out;
	return 0;
fail:
	if (out)
		json_decref(out);
	vci_sdjwt_free(&sd);
	return -1;
}
