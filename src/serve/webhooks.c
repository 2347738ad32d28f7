/* webhooks.c - delivering the event outbox (store.h) to the subscribed
 * webhooks: one worker thread, each webhook's events in order, sent by
 * libvci's HTTP client (base/http.h, over libcurl).
 *
 * A delivery is POST URL with the event as JSON and three headers a
 * receiver verifies:
 *   webhook-id: EVENT_ID
 *   webhook-timestamp: TS        (seconds since the epoch, of this attempt)
 *   webhook-signature: t=TS,v1=HEX
 * HEX is the lower-case hex HMAC-SHA256, keyed with the subscription's
 * secret, of TS "." BODY (the exact bytes sent). A 2xx answer delivers
 * it; anything else (or no answer within 10 s) is retried after 1, 2, 4
 * ... seconds (at most VCI_WEBHOOK_BACKOFF_MAX), VCI_WEBHOOK_RETRIES
 * attempts in all, while the webhook's later events wait (order is kept).
 * The outbox is in the store, so a restart loses nothing: the worker
 * resumes with what is undelivered.
 *
 * Targets are https URLs (TLS verified) or http to a loopback address,
 * as vci-offer --send's; redirects are not followed. */
#include "serve.h"
#include "base/http.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>

#include <string.h>
#include <time.h>

#define WEBHOOK_TIMEOUT_MS 10000
#define WEBHOOK_POLL_MS 500
#define WEBHOOK_BATCH 16

struct vci_serve_webhooks {
	vci_serve_t *s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kicked;
};

/* The event types, with the EUDI connector's name for each it has. */
static const struct {
	const char *type, *eudi;
} event_types[] = {
	{ "offer.created", "OFFER_CREATED" },
	{ "offer.redeemed", NULL },
	{ "offer.expired", "EXPIRED" },
	{ "credential.issued", "ISSUED" },
	{ "credential.accepted", NULL },
	{ "credential.failure", "FAILED" },
	{ "credential.error", "FAILED" },
	{ "credential.deleted", NULL },
	{ "deferred.pending", NULL },
	{ "deferred.ready", NULL },
	{ "deferred.denied", "FAILED" },
};

static const char *eudi_name(const char *type)
{
	for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
		if (!strcmp(event_types[i].type, type))
			return event_types[i].eudi;
	return NULL;
}

static int type_known(const char *type)
{
	for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
		if (!strcmp(event_types[i].type, type))
			return 1;
	return 0;
}

int vci_serve_webhook_check(const char *url, const json_t *events, const char *format,
			    vci_err_t *err)
{
	size_t i;
	json_t *e;

	if (!url || !vci_url_is_target(url, 1))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", "url: an https URL (http "
				   "only to 127.0.0.1, ::1 or localhost)");
	if (format && strcmp(format, "native") && strcmp(format, "eudi-connector"))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", "format: native or "
				   "eudi-connector");
	if (json_is_string(events) && !strcmp(json_string_value(events), "*"))
		return 0;
	if (!json_is_array(events) || !json_array_size(events))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", "events: \"*\" or an "
				   "array of event types");
	json_array_foreach(events, i, e)
		if (!json_is_string(e) || !type_known(json_string_value(e)))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", "events: "
					   "unknown event type at index %zu", i);
	return 0;
}

/* The EUDI connector's callback body (seed 004): eventId, status,
 * offerId, errorDetails for FAILED. NULL when it has no name for it. */
static json_t *eudi_body(const vci_store_delivery_t *d, const json_t *data)
{
	const char *status = eudi_name(d->type);
	const char *why = json_string_value(json_object_get(data, "description"));
	json_t *b;

	if (!status)
		return NULL;
	if (!why)
		why = json_string_value(json_object_get(data, "reason"));
	b = json_pack("{s:s, s:s, s:s}", "eventId", d->event_id, "status", status, "offerId",
		      d->offer_id);
	if (b && !strcmp(status, "FAILED"))
		json_object_set_new(b, "errorDetails",
				    json_string(why ? why : !strcmp(d->type, "deferred.denied") ?
						"issuance denied" : "credential_failure"));
	return b;
}

/* HMAC-SHA256 keyed with secret over head (n bytes) then body. */
static int hmac_sha256(const char *secret, const char *head, size_t n, const char *body,
		       unsigned char mac[EVP_MAX_MD_SIZE], unsigned int *maclen)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[] = { OSSL_PARAM_utf8_string("digest", "SHA256", 0), OSSL_PARAM_END };
	size_t outl = 0;
	int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), p) &&
		 EVP_MAC_update(ctx, (const unsigned char *)head, n) &&
		 EVP_MAC_update(ctx, (const unsigned char *)body, strlen(body)) &&
		 EVP_MAC_final(ctx, mac, &outl, EVP_MAX_MD_SIZE);

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	*maclen = (unsigned int)outl;
	return ok ? 0 : -1;
}

int vci_serve_webhook_render(const vci_store_delivery_t *d, int64_t ts, char **body,
			     char sig[128], vci_err_t *err)
{
	json_auto_t *data = json_loads(d->data ? d->data : "{}", 0, NULL);
	json_auto_t *b = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char head[32];
	size_t n;

	*body = NULL;
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	if (!strcmp(d->format, "eudi-connector")) {
		b = eudi_body(d, data);
		if (!b)
			return 0;
	} else {
		b = json_pack("{s:s, s:s, s:I, s:s?, s:s?, s:O}", "id", d->event_id, "type", d->type,
			      "created_at", (json_int_t)d->created_at, "exchange_id",
			      d->exchange_id[0] ? d->exchange_id : NULL, "offer_id",
			      d->offer_id[0] ? d->offer_id : NULL, "data", data);
	}
	*body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	if (!*body)
		return vci_err_oom(err);
	n = (size_t)snprintf(head, sizeof head, "%lld.", (long long)ts);
	if (hmac_sha256(d->secret, head, n, *body, mac, &maclen) < 0) {
		free(*body);
		*body = NULL;
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "webhook: HMAC");
	}
	n = (size_t)snprintf(sig, 128, "t=%lld,v1=", (long long)ts);
	for (unsigned int i = 0; i < maclen && n + 2 < 128; i++)
		n += (size_t)snprintf(sig + n, 128 - n, "%02x", mac[i]);
	OPENSSL_cleanse(mac, sizeof mac);
	return 0;
}

/* The HTTP client's cancel: cut the attempt short on stop. */
static int stopping(void *arg)
{
	struct vci_serve_webhooks *w = arg;
	int stop;

	pthread_mutex_lock(&w->mu);
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

/* POST one event: one attempt (the outbox retries), WEBHOOK_TIMEOUT_MS
 * in all, redirects not followed, only to a network target (https with
 * TLS verified, or http to loopback). Returns 1 delivered (2xx), 0
 * failed (why in `why`). */
static int post(struct vci_serve_webhooks *w, const vci_store_delivery_t *d, const char *body,
		const char *sig, int64_t ts, char *why, size_t whylen)
{
	char id[192], stamp[64], signature[192];
	const char *headers[] = { "Content-Type: application/json", id, stamp, signature, NULL };
	vci_http_opts_t o = { .timeout_ms = WEBHOOK_TIMEOUT_MS, .headers = headers,
			      .user_agent = "vci-serve", .cancel = stopping, .cancel_arg = w };
	vci_http_result_t r;
	vci_err_t err = { 0 };

	snprintf(id, sizeof id, "webhook-id: %s", d->event_id);
	snprintf(stamp, sizeof stamp, "webhook-timestamp: %lld", (long long)ts);
	snprintf(signature, sizeof signature, "webhook-signature: %s", sig);
	if (vci_http_post(d->url, body, &o, &r, &err) == 0)
		return 1;
	snprintf(why, whylen, "%s", err.msg);
	return 0;
}

/* One attempt at one event, and its outcome recorded. */
static void deliver(struct vci_serve_webhooks *w, const vci_store_delivery_t *d)
{
	vci_serve_t *s = w->s;
	int64_t now = vci_time_now(), next;
	char sig[128], why[160] = "";
	char *body = NULL;
	vci_err_t err = { 0 };
	int ok;

	if (vci_serve_webhook_render(d, now, &body, sig, &err) < 0) {
		snprintf(why, sizeof why, "%s", err.msg);
		ok = 0;
	} else if (!body) {
		ok = 1;    /* no name for it in the webhook's format: nothing to send */
	} else {
		ok = post(w, d, body, sig, now, why, sizeof why);
	}
	free(body);
	next = d->attempts + 1 >= VCI_WEBHOOK_RETRIES ? 0 :
	       now + (d->attempts < 9 ? (1 << d->attempts) : VCI_WEBHOOK_BACKOFF_MAX);
	if (next > now + VCI_WEBHOOK_BACKOFF_MAX)
		next = now + VCI_WEBHOOK_BACKOFF_MAX;
	if (!ok)
		fprintf(stderr, "vci-serve: webhook %s: event %s: %s (attempt %u%s)\n", d->webhook_id,
			d->event_id, why, d->attempts + 1, next ? "" : ", given up");
	if (vci_store_outbox_done(s->store, d->seq, ok, next, ok ? NULL : why, now, &err) < 0)
		fprintf(stderr, "vci-serve: webhook: %s\n", err.msg);
}

static void *worker(void *arg)
{
	struct vci_serve_webhooks *w = arg;

	for (;;) {
		vci_store_delivery_t *d = NULL;
		vci_err_t err = { 0 };
		struct timespec ts;
		size_t n = 0;

		pthread_mutex_lock(&w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->kicked = 0;
		pthread_mutex_unlock(&w->mu);
		if (vci_store_outbox_due(w->s->store, vci_time_now(), WEBHOOK_BATCH, &d, &n, &err) < 0)
			fprintf(stderr, "vci-serve: webhook: %s\n", err.msg);
		for (size_t i = 0; i < n; i++)
			deliver(w, &d[i]);
		vci_store_deliveries_free(d, n);
		if (n)
			continue;
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WEBHOOK_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!w->stop && !w->kicked)
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
				break;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

int vci_serve_webhooks_start(vci_serve_t *s, vci_err_t *err)
{
	struct vci_serve_webhooks *w = calloc(1, sizeof *w);

	if (!w)
		return vci_err_oom(err);
	if (vci_http_init(err) < 0) {
		free(w);
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "webhooks: libcurl: cannot "
				   "start");
	}
	w->s = s;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, worker, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "webhooks: cannot start the "
				   "worker");
	}
	s->webhooks = w;
	return 0;
}

void vci_serve_webhooks_stop(vci_serve_t *s)
{
	struct vci_serve_webhooks *w = s->webhooks;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	s->webhooks = NULL;
}

void vci_serve_webhooks_kick(vci_serve_t *s)
{
	struct vci_serve_webhooks *w = s->webhooks;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->kicked = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* "cli-" and 16 hex digits of the URL's SHA-256. */
static void cli_id(const char *url, char id[VCI_STORE_ID])
{
	uint8_t h[VCI_STORE_HASH];

	vci_store_hash(url, strlen(url), h);
	memcpy(id, "cli-", 4);
	for (int i = 0; i < 8; i++)
		snprintf(id + 4 + 2 * i, 3, "%02x", h[i]);
}

/* Remove the "cli-" webhooks of an earlier start that are not given now. */
static int drop_stale(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err)
{
	json_auto_t *list = NULL;
	size_t i;
	json_t *w;

	if (vci_store_webhook_list(s->store, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, w) {
		const char *id = json_string_value(json_object_get(w, "id"));
		int keep = 0;

		if (!id || strncmp(id, "cli-", 4))
			continue;
		for (size_t k = 0; k < c->nwebhook; k++) {
			char want[VCI_STORE_ID];

			cli_id(c->webhook[k], want);
			keep |= !strcmp(want, id);
		}
		if (!keep && vci_store_webhook_delete(s->store, id, err) < 0)
			return -1;
	}
	return 0;
}

int vci_serve_webhooks_sync(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err)
{
	wipe_auto_t *secret = NULL;
	size_t len = 0;

	if (drop_stale(s, c, err) < 0)
		return -1;
	if (!c->nwebhook)
		return 0;
	secret = vci_read_file(c->webhook_secret_file, 4096, &len, err);
	if (!secret)
		return vci_err_prefix(err, "--webhook-secret-file"), err->status = VCI_EXIT_IO, -1;
	while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
		secret[--len] = 0;
	if (!len || strlen(secret) != len)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--webhook-secret-file: "
				   "empty, or a NUL byte");
	for (size_t i = 0; i < c->nwebhook; i++) {
		vci_store_webhook_t w = { 0 };
		char id[VCI_STORE_ID];

		if (!vci_url_is_target(c->webhook[i], 1))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--webhook: %s: "
					   "not an https URL (http only to 127.0.0.1, ::1 or "
					   "localhost)", c->webhook[i]);
		cli_id(c->webhook[i], id);
		w.id = id;
		w.url = c->webhook[i];
		w.events = "*";
		w.secret = secret;
		if (vci_store_webhook_put(s->store, &w, vci_time_now(), id, err) < 0)
			return -1;
	}
	return 0;
}

void vci_serve_issue_failed(vci_serve_t *s, const char *exchange_id, const vci_err_t *why,
			    int64_t now)
{
	char desc[300];
	json_auto_t *data = NULL;
	char_auto_t *text = NULL;
	vci_err_t err = { 0 };

	snprintf(desc, sizeof desc, "issuer service error: %s", why->msg[0] ? why->msg :
		 why->code);
	data = json_pack("{s:s}", "description", desc);
	text = data ? vci_json_dump(data) : NULL;
	if (!text || vci_store_exchange_event(s->store, exchange_id, "credential.error", text,
					      now, &err) < 0) {
		fprintf(stderr, "vci-serve: credential.error event: %s\n",
			text ? err.msg : "out of memory");
		return;
	}
	vci_serve_webhooks_kick(s);
}
