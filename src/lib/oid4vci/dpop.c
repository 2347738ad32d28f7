/* dpop.c - DPoP proof verification (RFC 9449 section 4.3) and a jti
 * replay cache. */
#include "dpop.h"
#include "base/b64url.h"
#include "base/file.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

static const char code[] = "invalid_dpop_proof";

void vci_dpop_result_free(vci_dpop_result_t *r)
{
	if (!r)
		return;
	free(r->jti);
	memset(r, 0, sizeof *r);
}

int vci_dpop_ath(const char *token, char out[44])
{
	uint8_t md[32];
	unsigned int n = 0;

	if (!token || EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return -1;
	vci_b64url_encode_to(out, md, 32);
	out[43] = '\0';
	return 0;
}

/* Length of the URI without query and fragment. */
static size_t base_len(const char *u)
{
	return strcspn(u, "?#");
}

static int is_unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 6.2.2.2, which libcurl's URL API leaves alone: a
 * percent-encoded unreserved character is that character, and the hex
 * digits of the other escapes are upper case. A "%" not followed by two
 * hex digits is not a URI (section 2.1): -1. `out` holds len + 1. */
static int pct_normalize(const char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		hi = i + 2 < len ? vci_hexval((unsigned char)in[i + 1]) : -1;
		lo = i + 2 < len ? vci_hexval((unsigned char)in[i + 2]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		if (is_unreserved(hi << 4 | lo)) {
			out[o++] = (char)(hi << 4 | lo);
		} else {
			out[o++] = '%';
			out[o++] = hex[hi];
			out[o++] = hex[lo];
		}
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

char *vci_dpop_htu_normalize(const char *uri, vci_err_t *err)
{
	char_auto_t *pre = NULL;
	char *host = NULL, *url = NULL, *out = NULL;
	size_t len;
	CURLU *h;
	CURLUcode rc;

	if (!uri)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "URI: missing"), NULL;
	len = base_len(uri);
	pre = malloc(len + 1);
	h = curl_url();
	if (!pre || !h) {
		curl_url_cleanup(h);
		return vci_err_oom_at(err, "URI"), NULL;
	}
	if (pct_normalize(uri, len, pre) < 0) {
		curl_url_cleanup(h);
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "URI \"%.*s\": \"%%\" not followed by two hex digits",
				   len > 200 ? 200 : (int)len, uri), NULL;
	}
	/* libcurl lower-cases the scheme, removes dot segments, makes an
	 * empty path "/" and, on output, drops the scheme's default port */
	rc = curl_url_set(h, CURLUPART_URL, pre, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_HOST, &host, 0);
	if (rc == CURLUE_OK) {
		/* a host is a name or an address: an escape left after the
		 * unreserved ones were decoded, a control or non-ASCII byte
		 * is refused (libcurl would decode it into a host that does
		 * not parse again) */
		for (char *c = host; *c; c++) {
			unsigned char u = (unsigned char)*c;

			if (u == '%' || u <= 0x20 || u >= 0x7f) {
				vci_err_set(err, VCI_EXIT_FAIL, code,
					    "URI \"%.*s\": the host holds an escape or a control "
					    "character", len > 200 ? 200 : (int)len, uri);
				curl_free(host);
				curl_url_cleanup(h);
				return NULL;
			}
			if (u >= 'A' && u <= 'Z')
				*c = (char)(u - 'A' + 'a');
		}
		rc = curl_url_set(h, CURLUPART_HOST, host, 0);
	}
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_URL, &url, CURLU_NO_DEFAULT_PORT);
	if (rc == CURLUE_OK && !(out = strdup(url)))
		vci_err_oom_at(err, "URI");
	else if (rc != CURLUE_OK)
		vci_err_set(err, VCI_EXIT_FAIL, code, "URI \"%.*s\": not an absolute URL (%s)",
			    len > 200 ? 200 : (int)len, uri, curl_url_strerror(rc));
	curl_free(host);
	curl_free(url);
	curl_url_cleanup(h);
	return out;
}

int vci_dpop_htu_equal(const char *a, const char *b)
{
	char_auto_t *na = vci_dpop_htu_normalize(a, NULL);
	char_auto_t *nb = na ? vci_dpop_htu_normalize(b, NULL) : NULL;

	return na && nb && !strcmp(na, nb);
}

static void jws_free_p(vci_jws_t *j) { vci_jws_free(j); }

/* State reused from one proof to the next, as proof.c's: the header key
 * imported on the reused key objects of a vci_keyslots_t (no EC group
 * built per proof) and verified with the contexts of a
 * vci_jws_verifier_t. A proof takes one from a pool shared by the
 * threads and puts it back when done; there are as many as proofs were
 * verified at once, and they last as long as the process. */
typedef struct dpop_scratch {
	vci_keyslots_t *ks;
	vci_jws_verifier_t *v;
	struct dpop_scratch *next;
} dpop_scratch_t;

static dpop_scratch_t *scratch_pool;
static pthread_mutex_t scratch_mu = PTHREAD_MUTEX_INITIALIZER;

/* NULL if out of memory: the proof is then verified without. */
static dpop_scratch_t *scratch_get(void)
{
	dpop_scratch_t *s;

	pthread_mutex_lock(&scratch_mu);
	s = scratch_pool;
	if (s)
		scratch_pool = s->next;
	pthread_mutex_unlock(&scratch_mu);
	if (s)
		return s;
	s = calloc(1, sizeof *s);
	if (s && (!(s->ks = vci_keyslots_new()) || !(s->v = vci_jws_verifier_new()))) {
		vci_keyslots_free(s->ks);
		vci_jws_verifier_free(s->v);
		free(s);
		s = NULL;
	}
	return s;
}

static void scratch_put(dpop_scratch_t **sp)
{
	dpop_scratch_t *s = *sp;

	if (!s)
		return;
	pthread_mutex_lock(&scratch_mu);
	s->next = scratch_pool;
	scratch_pool = s;
	pthread_mutex_unlock(&scratch_mu);
}

/* Whether the proof's htu is the request's URI: the same bytes as its
 * part before any query (the usual case: no URL parsed; the caller's URI
 * is taken to be one), else equal once normalised. Returns 1, or -1 with
 * err (a different URI, or one that is not a URL). */
static int htu_matches(const char *got, const char *want, vci_err_t *err)
{
	char_auto_t *want_htu = NULL;
	char_auto_t *got_htu = NULL;
	size_t n = base_len(want);

	if (n && strlen(got) == n && !strncmp(got, want, n))
		return 1;
	want_htu = vci_dpop_htu_normalize(want, err);
	if (!want_htu) {
		err->status = VCI_EXIT_USAGE;
		return vci_err_prefix(err, "DPoP: the request");
	}
	got_htu = vci_dpop_htu_normalize(got, err);
	if (!got_htu)
		return vci_err_prefix(err, "DPoP: \"htu\"");
	if (strcmp(got_htu, want_htu))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"htu\" is \"%s\", expected \"%.*s\"",
				   got, (int)n, want);
	return 1;
}

int vci_dpop_verify(const char *jwt, size_t len, const vci_dpop_policy_t *p,
		    vci_dpop_result_t *out, vci_err_t *err)
{
	vci_jws_t jws __attribute__((cleanup(jws_free_p)));
	dpop_scratch_t *sc __attribute__((cleanup(scratch_put))) = NULL;
	EVP_PKEY_auto_t *pk = NULL;
	const json_t *typ, *jwk, *jti, *htm, *htu, *ath, *nonce;
	char want[44];

	memset(out, 0, sizeof *out);
	memset(&jws, 0, sizeof jws);
	if (!p->htm || !p->htu)
		return vci_err_set(err, VCI_EXIT_USAGE, code, "DPoP: the method and URI are required");
	if (!jwt || !len)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: empty");
	if (len > VCI_JWT_MAX)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: %zu bytes, more than the %u allowed",
				   len, VCI_JWT_MAX);
	if (vci_jws_parse(jwt, len, &jws, err) < 0) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "%s", code);
		return vci_err_prefix(err, "DPoP");
	}
	if (!jws.payload)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: payload is not a JSON object");
	typ = json_object_get(jws.header, "typ");
	if (!json_is_string(typ) || !vci_jws_typ_is(json_string_value(typ), "dpop+jwt"))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"typ\" %s, expected \"dpop+jwt\"",
				   typ ? "is wrong" : "missing");
	if (vci_jwt_check_alg(jws.alg, p->algs, "DPoP", code, err) < 0)
		return -1;
	jwk = json_object_get(jws.header, "jwk");
	if (!json_is_object(jwk))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"jwk\" header missing");
	if (vci_jwk_has_private(jwk))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "DPoP: \"jwk\" holds a private key: only the public key may be sent");
	sc = scratch_get();
	pk = sc ? vci_keyslots_jwk(sc->ks, jwk, err) : vci_jwk_to_pkey(jwk, 0, err);
	if (!pk || vci_jws_verify_with(sc ? sc->v : NULL, &jws, pk, NULL, err) < 0) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "%s", code);
		return vci_err_prefix(err, "DPoP");
	}
	jti = json_object_get(jws.payload, "jti");
	if (!json_is_string(jti) || !json_string_length(jti))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"jti\" missing");
	htm = json_object_get(jws.payload, "htm");
	if (!json_is_string(htm))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"htm\" missing");
	if (strcmp(json_string_value(htm), p->htm))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"htm\" is \"%s\", expected \"%s\"",
				   json_string_value(htm), p->htm);
	htu = json_object_get(jws.payload, "htu");
	if (!json_is_string(htu))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"htu\" missing");
	if (htu_matches(json_string_value(htu), p->htu, err) < 0)
		return -1;
	if (vci_jwt_check_iat(jws.payload, p->now, p->max_age, p->skew, "DPoP", code, err) < 0)
		return -1;
	ath = json_object_get(jws.payload, "ath");
	if (p->access_token) {
		if (vci_dpop_ath(p->access_token, want) < 0)
			return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: cannot hash the access token");
		if (!json_is_string(ath))
			return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"ath\" missing");
		if (!vci_ct_equal(json_string_value(ath), json_string_length(ath), want, 43))
			return vci_err_set(err, VCI_EXIT_FAIL, code,
					   "DPoP: \"ath\" is not the hash of the access token");
	}
	nonce = json_object_get(jws.payload, "nonce");
	if (p->nonce) {
		if (!json_is_string(nonce))
			return vci_err_set(err, VCI_EXIT_FAIL, "use_dpop_nonce", "DPoP: \"nonce\" missing");
		if (!vci_ct_equal(json_string_value(nonce), json_string_length(nonce), p->nonce,
				  strlen(p->nonce)))
			return vci_err_set(err, VCI_EXIT_FAIL, "use_dpop_nonce",
					   "DPoP: \"nonce\" is not the DPoP-Nonce issued");
	}
	/* the header key's own members: the import above refused any that
	 * is not a valid public key in its one encoding */
	if (vci_jwk_thumbprint(jwk, out->jkt, err) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: cannot thumbprint the key");
	if (p->jkt && !vci_ct_equal(out->jkt, strlen(out->jkt), p->jkt, strlen(p->jkt)))
		return vci_err_set(err, VCI_EXIT_FAIL, code,
				   "DPoP: the key is not the one the token is bound to (jkt %s)",
				   out->jkt);
	out->jti = strdup(json_string_value(jti));
	if (!out->jti)
		return vci_err_oom_at(err, "DPoP");
	out->iat = (long long)json_integer_value(json_object_get(jws.payload, "iat"));
	return 0;
}

/* ---- jti cache ---- */

static int io_fail(vci_err_t *err, const char *path, const char *what)
{
	return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s: %s", path, what, strerror(errno));
}

/* Open and lock the cache, retrying if it was replaced while we waited. */
static int lock_open(const char *path, vci_err_t *err)
{
	for (int tries = 0; tries < 100; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd < 0)
			return io_fail(err, path, "open");
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			return io_fail(err, path, "lock");
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd); /* replaced by a compaction: lock the new file */
	}
	return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: cannot lock", path);
}

int vci_jti_cache_add(const char *path, const char *htu, const char *jti, int64_t now,
		      int64_t expires, vci_err_t *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];
	char hash[44], line[80];
	char_auto_t *buf = NULL;
	char_auto_t *live = NULL;
	size_t len = 0, live_len = 0, total = 0, nlive = 0;
	int fd, replay = 0, rc = 0;
	struct stat st;
	/* entries for URIs that differ only as RFC 3986 allows are the same */
	char_auto_t *norm = vci_dpop_htu_normalize(htu, NULL);

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, norm ? norm : htu, norm ? strlen(norm) : base_len(htu)) != 1 || EVP_DigestUpdate(md, "", 1) != 1 ||
	    EVP_DigestUpdate(md, jti, strlen(jti)) != 1 || EVP_DigestFinal_ex(md, h, NULL) != 1) {
		EVP_MD_CTX_free(md);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "jti cache: digest failed");
	}
	EVP_MD_CTX_free(md);
	vci_b64url_encode_to(hash, h, 32);
	hash[43] = '\0';

	fd = lock_open(path, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)VCI_MAX_DOCUMENT) {
		close(fd);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: unreadable or too large", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	live = malloc((size_t)st.st_size + 1);
	if (!buf || !live) {
		close(fd);
		return vci_err_oom_at(err, path);
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + len, (size_t)st.st_size - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	for (char *s = buf, *nl; (nl = memchr(s, '\n', len - (size_t)(s - buf))); s = nl + 1) {
		long long exp;
		char hh[64];

		total++;
		*nl = '\0';
		if (sscanf(s, "%lld %63s", &exp, hh) != 2 || exp <= (long long)now)
			continue;
		nlive++;
		if (!strcmp(hh, hash))
			replay = 1;
		live_len += (size_t)snprintf(live + live_len, (size_t)st.st_size + 1 - live_len,
					     "%s\n", s);
	}
	if (replay) {
		close(fd);
		return vci_err_set(err, VCI_EXIT_FAIL, code, "DPoP: \"jti\" already used (replay)");
	}
	snprintf(line, sizeof line, "%lld %s\n", (long long)expires, hash);
	if (total >= 64 && nlive * 2 < total) {
		char *both = realloc(live, live_len + strlen(line) + 1);

		if (!both) {
			close(fd);
			return vci_err_oom_at(err, path);
		}
		live = both;
		memcpy(live + live_len, line, strlen(line) + 1);
		rc = vci_file_replace(path, live, live_len + strlen(line), 0600, 0, err);
	} else {
		/* a torn line left by a crash (no newline; the parse loop turned
		 * the newlines into NULs) is closed off first */
		if ((len && buf[len - 1] != '\n' && buf[len - 1] != '\0' &&
		     vci_file_write_all(fd, "\n", 1) < 0) ||
		    vci_file_write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0)
			rc = io_fail(err, path, "write");
	}
	close(fd);
	return rc;
}
