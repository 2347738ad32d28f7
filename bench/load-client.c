/* load-client - complete OID4VCI pre-authorized code flows against a
 * credential issuer on the loopback interface, for bench/serve.sh.
 *
 * Usage: load-client --issuer URL [--server URL] --offers FILE [--flows N]
 *                    [--concurrency C] [--rate R] [--skip K] [--nonce-only]
 *
 * Each flow redeems one offer of FILE (NDJSON as vci-offer writes it:
 * "pre_authorized_code", "tx_code" when the offer has one, and
 * "credential_configuration_id") in three requests:
 *   POST P/token       pre-authorized code, with a DPoP proof (htu, htm)
 *   POST P/nonce       a c_nonce
 *   POST P/credential  the token (DPoP with "ath", or Bearer if the server
 *                      bound none) and one "jwt" proof of a holder key
 *                      over the c_nonce; the credential_identifier of the
 *                      token response when it names one
 * Every flow has its own holder key and DPoP key (P-256, ES256), made with
 * their prepared signers before the timed part: key generation is the
 * wallet's work, not the server's. Signing the DPoP proofs and the proof
 * JWT is done during the run, as a wallet would (their iat and the
 * c_nonce, the access token they hash, are known only then).
 *
 * At most C flows are in flight (default 8), over libcurl's multi
 * interface: HTTP/1.1, keep-alive connections, at most C of them. With
 * --rate R a new flow is due every 1/R seconds and its latency counts
 * from then, so a flow that waits for a free slot has the wait in its
 * latency; without it, C flows are always in flight (saturation). --skip K
 * leaves out the first K offers (one file serves several runs).
 *
 * --nonce-only makes each flow three POST P/nonce requests instead: the
 * requests of a flow answered without the store or a signature (a sealed
 * c_nonce is one HMAC), the HTTP floor a flow costs the server. The
 * offers file is still read (and counts the flows) but no code is spent.
 *
 * Prints flows/s, p50/p99 latency per flow and per request, the client's
 * CPU time, and a last line "RESULT key=value ..." for scripts. Any
 * response that is not 2xx, or a 2xx without what the flow needs, counts
 * as an error (the first few are printed on stderr) and the exit status
 * is 1.
 *
 * --issuer is the credential issuer identifier: the proofs' "aud" and,
 * with /token and /credential, their "htu". Requests go to --server
 * (default: the issuer) with the issuer's path, as a reverse proxy that
 * terminates TLS for https://issuer.example passes them to the server
 * behind it. Only http://127.0.0.1 and http://localhost are accepted as
 * the server. */
#include "base/b64url.h"
#include "base/common.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/dpop.h"

#include <curl/curl.h>
#include <openssl/rand.h>

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define RESP_MAX (1u << 20)
#define ERRORS_SHOWN 5

enum step { STEP_TOKEN, STEP_NONCE, STEP_CREDENTIAL, NSTEPS };
static const char *const step_name[NSTEPS] = { "token", "nonce", "credential" };

struct flow {
	char *code, *tx_code, *config_id;   /* from the offer record */
	vci_jws_signer_t *dpop, *proof;     /* prepared before the run */
	char *token, *cred_id, *c_nonce;    /* learnt during the flow */
	int dpop_bound;
	double t_start;
};

struct slot {
	CURL *easy;
	struct flow *f;
	enum step step;
	double t_req;
	struct curl_slist *hdrs;
	char *body;
	char *resp;
	size_t resp_len;
	int truncated;
	int reps;                           /* --nonce-only: requests sent */
};

struct bench {
	const char *issuer, *server, *offers;
	char *url[NSTEPS], *htu[NSTEPS];
	long flows, conc, skip;
	int nonce_only;
	double rate;
	struct flow *fl;
	struct slot *slots;
	CURLM *multi;
	long started, finished, errors;
	double *lat[NSTEPS], *lat_flow;
	long nlat[NSTEPS], nlat_flow;
	double t0, behind;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *fmt, ...) VCI_PRINTF(1, 2);
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "load-client: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("%s", "out of memory");
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("%s", "out of memory");
	return p;
}

/* A signer for one new P-256 key whose public JWK is in its header. */
static vci_jws_signer_t *new_signer(const char *typ)
{
	EVP_PKEY_auto_t *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	json_auto_t *hdr = NULL;
	vci_err_t err = { 0 };
	vci_jws_signer_t *s;
	json_t *jwk;

	if (!pk || !(jwk = vci_jwk_from_pkey(pk, &err)))
		die("%s", "cannot make a P-256 key");
	hdr = json_pack("{s:s,s:o}", "typ", typ, "jwk", jwk);
	if (!hdr || !(s = vci_jws_signer_new(pk, "ES256", hdr, &err)))
		die("%s", err.msg[0] ? err.msg : "cannot prepare a signer");
	return s;
}

static char *sign_payload(vci_jws_signer_t *s, const char *payload)
{
	vci_err_t err = { 0 };
	char *jws = vci_jws_signer_sign(s, (const uint8_t *)payload, strlen(payload), NULL, &err);

	if (!jws)
		die("%s", err.msg);
	return jws;
}

/* A DPoP proof (RFC 9449 section 4.2) for POST to url; with ath when a
 * token is given. */
static char *dpop_proof(vci_jws_signer_t *s, const char *url, const char *token)
{
	uint8_t rnd[16];
	char jti[32], ath[44], payload[1024];

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		die("%s", "RAND_bytes failed");
	vci_b64url_encode_to(jti, rnd, sizeof rnd);
	if (token && vci_dpop_ath(token, ath) < 0)
		die("%s", "cannot hash the access token");
	snprintf(payload, sizeof payload,
		 "{\"jti\":\"%s\",\"htm\":\"POST\",\"htu\":\"%s\",\"iat\":%lld%s%s%s}", jti, url,
		 (long long)time(NULL), token ? ",\"ath\":\"" : "", token ? ath : "",
		 token ? "\"" : "");
	return sign_payload(s, payload);
}

/* A "jwt" proof of possession (OID4VCI 1.0 Appendix F.1) over c_nonce. */
static char *key_proof(vci_jws_signer_t *s, const char *aud, const char *c_nonce)
{
	json_auto_t *p = json_pack("{s:s,s:I,s:s}", "aud", aud, "iat", (json_int_t)time(NULL),
				   "nonce", c_nonce);
	char_auto_t *txt = p ? json_dumps(p, JSON_COMPACT) : NULL;

	if (!txt)
		die("%s", "out of memory");
	return sign_payload(s, txt);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct slot *sl = ctx;
	size_t len = size * n;
	char *p;

	if (sl->resp_len + len > RESP_MAX) {
		sl->truncated = 1;
		return len;
	}
	if (!(p = realloc(sl->resp, sl->resp_len + len + 1)))
		return 0;
	memcpy(p + sl->resp_len, data, len);
	sl->resp = p;
	sl->resp_len += len;
	p[sl->resp_len] = '\0';
	return len;
}

static void slot_reset(struct slot *sl)
{
	curl_slist_free_all(sl->hdrs);
	sl->hdrs = NULL;
	free(sl->body);
	sl->body = NULL;
	free(sl->resp);
	sl->resp = NULL;
	sl->resp_len = 0;
	sl->truncated = 0;
}

static void add_header(struct slot *sl, const char *name, const char *value)
{
	char_auto_t *h = NULL;
	struct curl_slist *l;

	if (asprintf(&h, "%s: %s", name, value) < 0 || !(l = curl_slist_append(sl->hdrs, h)))
		die("%s", "out of memory");
	sl->hdrs = l;
}

/* The body and headers of the slot's next request. */
static void build_request(struct bench *b, struct slot *sl)
{
	struct flow *f = sl->f;
	char_auto_t *dpop = NULL;
	char_auto_t *proof = NULL;

	add_header(sl, "Expect", "");
	switch (sl->step) {
	case STEP_TOKEN: {
		char *code = curl_easy_escape(sl->easy, f->code, 0);
		char *tx = f->tx_code ? curl_easy_escape(sl->easy, f->tx_code, 0) : NULL;

		if (!code || (f->tx_code && !tx) ||
		    asprintf(&sl->body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
			     "%%3Apre-authorized_code&pre-authorized_code=%s%s%s", code,
			     tx ? "&tx_code=" : "", tx ? tx : "") < 0)
			die("%s", "out of memory");
		curl_free(code);
		curl_free(tx);
		add_header(sl, "Content-Type", "application/x-www-form-urlencoded");
		dpop = dpop_proof(f->dpop, b->htu[STEP_TOKEN], NULL);
		add_header(sl, "DPoP", dpop);
		break;
	}
	case STEP_NONCE:
		sl->body = xstrdup("");
		break;
	case STEP_CREDENTIAL: {
		json_auto_t *req = NULL;
		char_auto_t *auth = NULL;

		proof = key_proof(f->proof, b->issuer, f->c_nonce);
		req = json_pack("{s:s,s:{s:[s]}}", f->cred_id ? "credential_identifier" :
				"credential_configuration_id", f->cred_id ? f->cred_id : f->config_id,
				"proofs", "jwt", proof);
		if (!req || !(sl->body = json_dumps(req, JSON_COMPACT)) ||
		    asprintf(&auth, "%s %s", f->dpop_bound ? "DPoP" : "Bearer", f->token) < 0)
			die("%s", "out of memory");
		add_header(sl, "Content-Type", "application/json");
		add_header(sl, "Authorization", auth);
		if (f->dpop_bound) {
			dpop = dpop_proof(f->dpop, b->htu[STEP_CREDENTIAL], f->token);
			add_header(sl, "DPoP", dpop);
		}
		break;
	}
	default:
		break;
	}
}

static void send_request(struct bench *b, struct slot *sl)
{
	CURL *e = sl->easy;

	slot_reset(sl);
	build_request(b, sl);
	curl_easy_setopt(e, CURLOPT_URL, b->url[sl->step]);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, sl->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(sl->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl->hdrs);
	sl->t_req = now();
	if (curl_multi_add_handle(b->multi, e) != CURLM_OK)
		die("%s", "curl_multi_add_handle failed");
}

static void flow_error(struct bench *b, struct slot *sl, const char *what, long status)
{
	if (b->errors++ < ERRORS_SHOWN)
		fprintf(stderr, "load-client: flow %ld, %s: %s (HTTP %ld)%s%.300s\n",
			(long)(sl->f - b->fl) + b->skip, step_name[sl->step], what, status,
			sl->resp_len ? ": " : "", sl->resp_len ? sl->resp : "");
}

static const char *json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Take what the next step needs from a 2xx response; 0, or -1 when it is
 * missing. */
static int take_response(struct slot *sl, const json_t *r)
{
	struct flow *f = sl->f;
	const char *s, *type;
	const json_t *ids;

	switch (sl->step) {
	case STEP_TOKEN:
		if (!(s = json_str(r, "access_token")) || !(type = json_str(r, "token_type")))
			return -1;
		f->token = xstrdup(s);
		f->dpop_bound = !strcasecmp(type, "DPoP");
		ids = json_object_get(json_array_get(json_object_get(r, "authorization_details"), 0),
				      "credential_identifiers");
		if ((s = json_string_value(json_array_get(ids, 0))))
			f->cred_id = xstrdup(s);
		return 0;
	case STEP_NONCE:
		if (!(s = json_str(r, "c_nonce")))
			return -1;
		f->c_nonce = xstrdup(s);
		return 0;
	case STEP_CREDENTIAL:
		s = json_str(json_array_get(json_object_get(r, "credentials"), 0), "credential");
		return s && *s ? 0 : -1;
	default:
		return -1;
	}
}

static void flow_clear(struct flow *f)
{
	vci_str_wipe(f->token);
	f->token = NULL;
	free(f->cred_id);
	f->cred_id = NULL;
	free(f->c_nonce);
	f->c_nonce = NULL;
	vci_jws_signer_free(f->dpop);
	vci_jws_signer_free(f->proof);
	f->dpop = f->proof = NULL;
}

/* One request finished: record it, then send the flow's next request or
 * end the flow (the slot is free again). */
static void on_done(struct bench *b, struct slot *sl, CURLcode rc)
{
	double t = now();
	long status = 0;
	json_auto_t *r = NULL;

	curl_multi_remove_handle(b->multi, sl->easy);
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		flow_error(b, sl, curl_easy_strerror(rc), status);
	} else if (status < 200 || status > 299) {
		flow_error(b, sl, "not 2xx", status);
	} else if (sl->truncated || !(r = json_loadb(sl->resp ? sl->resp : "", sl->resp_len, 0, NULL)) ||
		   take_response(sl, r) < 0) {
		flow_error(b, sl, "the response lacks what the flow needs", status);
	} else {
		b->lat[sl->step][b->nlat[sl->step]++] = t - sl->t_req;
		if (b->nonce_only && ++sl->reps < NSTEPS) {
			send_request(b, sl);
			return;
		}
		if (!b->nonce_only && sl->step + 1 < NSTEPS) {
			sl->step++;
			send_request(b, sl);
			return;
		}
		b->lat_flow[b->nlat_flow++] = t - sl->f->t_start;
	}
	flow_clear(sl->f);
	sl->f = NULL;
	b->finished++;
}

/* Start flows in free slots, as many as the schedule allows. Returns the
 * seconds until the next one is due (-1: none pending). */
static double start_flows(struct bench *b)
{
	for (long i = 0; i < b->conc && b->started < b->flows; i++) {
		struct slot *sl = &b->slots[i];
		double t = now(), due;

		if (sl->f)
			continue;
		due = b->rate > 0 ? b->t0 + (double)b->started / b->rate : t;
		if (due > t)
			return due - t;
		if (t - due > b->behind)
			b->behind = t - due;
		sl->f = &b->fl[b->started++];
		sl->f->t_start = due;
		sl->step = b->nonce_only ? STEP_NONCE : STEP_TOKEN;
		sl->reps = 0;
		send_request(b, sl);
	}
	return -1;
}

static void run(struct bench *b)
{
	for (;;) {
		double wait = start_flows(b);
		int running, timeout_ms = 100, left;
		CURLMsg *m;

		if (curl_multi_perform(b->multi, &running) != CURLM_OK)
			die("%s", "curl_multi_perform failed");
		while ((m = curl_multi_info_read(b->multi, &left))) {
			struct slot *sl = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			on_done(b, sl, m->data.result);
		}
		if (b->finished >= b->flows)
			break;
		if (wait >= 0 && wait < 0.1)
			timeout_ms = (int)(wait * 1000) + 1;
		if (curl_multi_poll(b->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
			die("%s", "curl_multi_poll failed");
	}
}

/* Read the offers: flows records after the first skip. */
static void read_offers(struct bench *b)
{
	FILE_auto_t *f = fopen(b->offers, "r");
	char_auto_t *line = NULL;
	size_t cap = 0;
	long n = 0, i = 0;

	if (!f)
		die("%s: cannot read it", b->offers);
	while (n < b->flows && getline(&line, &cap, f) > 0) {
		json_auto_t *rec = NULL;
		struct flow *fl;
		const char *code, *cfg;

		if (i++ < b->skip)
			continue;
		rec = json_loads(line, 0, NULL);
		code = json_str(rec, "pre_authorized_code");
		cfg = json_str(rec, "credential_configuration_id");
		if (!code || !cfg)
			die("%s: a record without pre_authorized_code or credential_configuration_id",
			    b->offers);
		fl = &b->fl[n++];
		fl->code = xstrdup(code);
		fl->config_id = xstrdup(cfg);
		if (json_str(rec, "tx_code"))
			fl->tx_code = xstrdup(json_str(rec, "tx_code"));
	}
	if (n < b->flows)
		die("%s: fewer offers than flows after --skip", b->offers);
}

static void prepare(struct bench *b)
{
	const char *p = b->server ? b->server : b->issuer, *sep = strstr(b->issuer, "://");
	const char *path = sep ? strchr(sep + 3, '/') : NULL;

	if ((strncmp(p, "http://127.0.0.1", 16) && strncmp(p, "http://localhost", 16)) ||
	    (p[16] && p[16] != ':' && p[16] != '/'))
		die("--server %s: only http://127.0.0.1 or http://localhost", p);
	if (!sep)
		die("--issuer %s: not a URL", b->issuer);
	for (int s = 0; s < NSTEPS; s++) {
		if (asprintf(&b->url[s], "%.*s%s/%s", (int)(strcspn(p + 7, "/") + 7), p,
			     path ? path : "", step_name[s]) < 0 ||
		    asprintf(&b->htu[s], "%s/%s", b->issuer, step_name[s]) < 0)
			die("%s", "out of memory");
		b->lat[s] = xcalloc((size_t)b->flows * NSTEPS, sizeof(double));
	}
	b->lat_flow = xcalloc((size_t)b->flows, sizeof(double));
	b->fl = xcalloc((size_t)b->flows, sizeof *b->fl);
	read_offers(b);
	for (long i = 0; i < b->flows; i++) {
		b->fl[i].dpop = new_signer("dpop+jwt");
		b->fl[i].proof = new_signer("openid4vci-proof+jwt");
	}
	if (!(b->multi = curl_multi_init()))
		die("%s", "curl_multi_init failed");
	curl_multi_setopt(b->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, b->conc);
	curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS, b->conc);
	curl_multi_setopt(b->multi, CURLMOPT_MAXCONNECTS, b->conc);
	b->slots = xcalloc((size_t)b->conc, sizeof *b->slots);
	for (long i = 0; i < b->conc; i++) {
		struct slot *sl = &b->slots[i];
		CURL *e = sl->easy = curl_easy_init();

		if (!e)
			die("%s", "curl_easy_init failed");
		curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile (pct in percent), in milliseconds. */
static double pct_ms(double *v, long n, long pct)
{
	long k = (pct * n + 99) / 100 - 1;

	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[k < 0 ? 0 : k] * 1e3;
}

static void report(struct bench *b, double wall, double cpu)
{
	long ok = b->nlat_flow;
	double p50 = pct_ms(b->lat_flow, ok, 50), p99 = pct_ms(b->lat_flow, ok, 99);

	printf("flows:        %ld (%ld completed, %ld errors), concurrency %ld, %s\n", b->flows, ok,
	       b->errors, b->conc, b->rate > 0 ? "rate-limited" : "saturated");
	printf("flows/s:      %.1f  (%.2f s)\n", (double)ok / wall, wall);
	if (b->rate > 0)
		printf("schedule:     %.1f flows/s asked, at most %.1f ms late\n", b->rate,
		       b->behind * 1e3);
	printf("flow:         p50 %7.2f ms  p99 %7.2f ms\n", p50, p99);
	for (int s = 0; s < NSTEPS; s++)
		printf("%-13s p50 %7.2f ms  p99 %7.2f ms\n", step_name[s],
		       pct_ms(b->lat[s], b->nlat[s], 50), pct_ms(b->lat[s], b->nlat[s], 99));
	printf("client CPU:   %.2f s (%.3f ms per flow)\n", cpu, ok ? cpu / (double)ok * 1e3 : 0);
	printf("RESULT flows=%ld errors=%ld wall=%.4f rate=%.2f p50_ms=%.3f p99_ms=%.3f "
	       "client_cpu=%.4f\n", ok, b->errors, wall, (double)ok / wall, p50, p99, cpu);
}

static long num(const char *opt, const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		die("--%s: a number in range, not '%s'", opt, arg);
	return v;
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "server", required_argument, NULL, 'S' },
		{ "offers", required_argument, NULL, 'o' },
		{ "flows", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "skip", required_argument, NULL, 's' },
		{ "nonce-only", no_argument, NULL, 'N' },
		{ 0 },
	};
	int c;

	b->flows = 2000;
	b->conc = 8;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': b->issuer = optarg; break;
		case 'S': b->server = optarg; break;
		case 'o': b->offers = optarg; break;
		case 'n': b->flows = num("flows", optarg, 1, 10000000); break;
		case 'c': b->conc = num("concurrency", optarg, 1, 1024); break;
		case 'r': b->rate = (double)num("rate", optarg, 1, 1000000); break;
		case 's': b->skip = num("skip", optarg, 0, 100000000); break;
		case 'N': b->nonce_only = 1; break;
		default: exit(2);
		}
	}
	if (!b->issuer || !b->offers || optind != argc) {
		fprintf(stderr, "usage: load-client --issuer URL [--server URL] --offers FILE [--flows N] "
			"[--concurrency C] [--rate R] [--skip K] [--nonce-only]\n");
		exit(2);
	}
}

static void teardown(struct bench *b)
{
	for (long i = 0; i < b->conc; i++) {
		slot_reset(&b->slots[i]);
		curl_easy_cleanup(b->slots[i].easy);
	}
	curl_multi_cleanup(b->multi);
	for (long i = 0; i < b->flows; i++) {
		flow_clear(&b->fl[i]);
		vci_str_wipe(b->fl[i].code);
		vci_str_wipe(b->fl[i].tx_code);
		free(b->fl[i].config_id);
	}
	for (int s = 0; s < NSTEPS; s++) {
		free(b->url[s]);
		free(b->htu[s]);
		free(b->lat[s]);
	}
	free(b->lat_flow);
	free(b->fl);
	free(b->slots);
	curl_global_cleanup();
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	double c0, t1;

	parse_args(&b, argc, argv);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("%s", "curl_global_init failed");
	prepare(&b);
	c0 = cpu_seconds();
	b.t0 = now();
	run(&b);
	t1 = now();
	report(&b, t1 - b.t0, cpu_seconds() - c0);
	teardown(&b);
	return b.errors ? 1 : 0;
}
