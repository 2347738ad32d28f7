/* catalog.c - the definitions a server serves and the documents made from
 * them, as one immutable snapshot (a catalog) that the management API
 * replaces while requests run.
 *
 * A catalog holds the --defn definitions (borrowed from s->defs, fixed for
 * the server's life) and those kept in the store (its own), the
 * Credential Issuer Metadata in both shapes (signed when there is a
 * chain) and the issuing context over its definitions. It never changes
 * once published. A request takes a reference on the current catalog when
 * dispatch starts (vci_serve_catalog_enter) and keeps it to its end, so a
 * definition replaced or deleted meanwhile stays valid for the requests
 * that saw it; the last reference frees it. The lock around the current
 * pointer is held for a pointer copy and a reference count only; the
 * slow part of a change (reading the store, validating, building,
 * signing) happens before, under a lock of its own that only management
 * calls take. */
#include "internal.h"
#include "oid4vci/metadata.h"

#include <stdatomic.h>
#include <string.h>

struct vci_serve_catalog {
	vci_defn_t **defs;            /* nbase borrowed, then owned */
	size_t ndefs, nbase;
	json_t *metadata, *metadata13;
	char *signed_metadata;
	vci_issue_ctx_t issue;
	uint8_t digest[VCI_STORE_HASH];  /* of the store's definitions listing */
	atomic_uint refs;
};

/* The catalog of the request running on this thread, set by dispatch. */
static _Thread_local struct {
	const vci_serve_t *s;
	vci_serve_catalog_t *c;
} vci_catalog_tls;

static void catalog_free(vci_serve_catalog_t *c)
{
	if (!c)
		return;
	for (size_t i = c->nbase; i < c->ndefs; i++)
		vci_defn_free(c->defs[i]);
	free(c->defs);
	json_decref(c->metadata);
	json_decref(c->metadata13);
	free(c->signed_metadata);
	free(c);
}

void vci_serve_catalog_drop(vci_serve_catalog_t *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		catalog_free(c);
}

vci_serve_catalog_t *vci_serve_catalog_hold(vci_serve_t *s)
{
	struct vci_serve_keep *k = s->keep;
	vci_serve_catalog_t *c;

	pthread_mutex_lock(&k->catalog_lock);
	c = k->catalog;
	if (c)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&k->catalog_lock);
	return c;
}

void vci_serve_catalog_enter(vci_serve_t *s)
{
	vci_catalog_tls.s = s;
	vci_catalog_tls.c = vci_serve_catalog_hold(s);
}

void vci_serve_catalog_leave(vci_serve_t *s)
{
	if (vci_catalog_tls.s != s)
		return;
	vci_serve_catalog_drop(vci_catalog_tls.c);
	vci_catalog_tls.s = NULL;
	vci_catalog_tls.c = NULL;
}

/* The catalog this thread's request holds; outside a request the current
 * one (setup and tests: no change runs then), or NULL before the first. */
const vci_serve_catalog_t *vci_serve_catalog_now(const vci_serve_t *s)
{
	if (vci_catalog_tls.s == s)
		return vci_catalog_tls.c;
	return s->keep ? s->keep->catalog : NULL;
}

vci_defn_t *const *vci_serve_defs(const vci_serve_t *s, size_t *n)
{
	const vci_serve_catalog_t *c = vci_serve_catalog_now(s);

	*n = c ? c->ndefs : s->ndefs;
	return c ? c->defs : s->defs;
}

size_t vci_serve_defs_base(const vci_serve_t *s)
{
	const vci_serve_catalog_t *c = vci_serve_catalog_now(s);

	return c ? c->nbase : s->ndefs;
}

const vci_issue_ctx_t *vci_serve_issue(const vci_serve_t *s)
{
	const vci_serve_catalog_t *c = vci_serve_catalog_now(s);

	return c ? &c->issue : &s->issue;
}

void vci_serve_catalog_docs(const vci_serve_t *s, const json_t **md, const json_t **md13,
			    const char **signed_md)
{
	const vci_serve_catalog_t *c = vci_serve_catalog_now(s);

	*md = c ? c->metadata : s->metadata;
	*md13 = c ? c->metadata13 : s->keep->metadata13;
	*signed_md = c ? c->signed_metadata : s->keep->signed_metadata;
}

int vci_serve_documents(vci_serve_t *s, vci_defn_t *const *defs, size_t n, json_t **md,
			json_t **md13, char **signed_md, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	vci_metadata_opts_t o = { 0 };
	char *signed13;

	*md = *md13 = NULL;
	*signed_md = NULL;
	o.issuer = s->issuer;
	o.credential_endpoint = s->credential_url;
	o.nonce_endpoint = s->nonce_url;
	o.notification_endpoint = s->notification_url;
	o.deferred_endpoint = s->deferred_url;
	o.batch_size = s->batch_size > 1 ? s->batch_size : 0;
	o.signing_alg = k->alg;
	o.response_encryption = s->encryption == VCI_ENCRYPTION_OFF ? 0 :
				s->encryption == VCI_ENCRYPTION_REQUIRED ? 2 : 1;
	o.request_encryption_jwks = s->enc_jwks;
	o.request_encryption_required = s->encryption == VCI_ENCRYPTION_REQUIRED;
	*md = vci_metadata_build(defs, n, &o, err);
	o.draft13 = 1;
	*md13 = *md ? vci_metadata_build(defs, n, &o, err) : NULL;
	if (!*md13)
		goto fail;
	if (!k->chain)
		return 0;
	*signed_md = vci_metadata_sign(*md, s->key, k->alg, k->chain, (time_t)vci_time_now(), 0,
				       err);
	signed13 = *signed_md ? vci_metadata_sign(*md13, s->key, k->alg, k->chain,
						  (time_t)vci_time_now(), 1, err) : NULL;
	if (!signed13)
		goto fail;
	json_object_set_new(*md13, "signed_metadata", json_string(signed13));
	free(signed13);
	return 0;
fail:
	json_decref(*md);
	json_decref(*md13);
	free(*signed_md);
	*md = *md13 = NULL;
	*signed_md = NULL;
	return -1;
}

/* Whether the server can serve d beside the others: its id unused, its
 * format signable, its status list open. */
int vci_serve_defn_fits(vci_serve_t *s, const vci_defn_t *d, vci_defn_t *const *others,
			size_t n, vci_err_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (others[i] != d && !strcmp(others[i]->id, d->id))
			return vci_err_set(err, VCI_EXIT_FAIL, "definition_exists", "id %s: a "
					   "definition has it", d->id);
	if (d->format == VCI_FORMAT_MDOC ? !s->mdoc : !s->sdjwt)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_definition", "format %s: this "
				   "server has no signer for it%s", vci_format_name(d->format),
				   d->format == VCI_FORMAT_MDOC ? " (mso_mdoc needs --cert)" : "");
	if (d->status != VCI_STATUS_NONE && !vci_serve_status_covers(s, d))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_definition", "status: no "
				   "--status-list of the server serves a %s list for \"%s\"",
				   d->status == VCI_STATUS_BITSTRING ? "bitstring" : "token", d->id);
	return vci_serve_profile_defn(s, d, err);
}

/* The store's definitions (list: vci_store_defn_list's), prepared, after
 * the nbase of s->defs. */
static int catalog_defs(vci_serve_t *s, vci_serve_catalog_t *c, const json_t *list,
			vci_err_t *err)
{
	size_t i;
	json_t *row;

	c->nbase = s->ndefs;
	c->defs = calloc(s->ndefs + json_array_size(list) + 1, sizeof *c->defs);
	if (!c->defs)
		return vci_err_oom(err);
	memcpy(c->defs, s->defs, s->ndefs * sizeof *c->defs);
	c->ndefs = s->ndefs;
	json_array_foreach(list, i, row) {
		const char *id = json_string_value(json_object_get(row, "id"));
		vci_defn_t *d = vci_defn_new(json_object_get(row, "definition"), err);

		if (!d)
			return vci_err_prefix(err, "stored definition %s", id), -1;
		c->defs[c->ndefs++] = d;
		if (vci_serve_defn_fits(s, d, c->defs, c->ndefs, err) < 0)
			return vci_err_prefix(err, "stored definition %s", id), -1;
	}
	return 0;
}

static vci_serve_catalog_t *catalog_build(vci_serve_t *s, const json_t *list,
					   const uint8_t digest[VCI_STORE_HASH], vci_err_t *err)
{
	vci_serve_catalog_t *c = calloc(1, sizeof *c);

	if (!c)
		return vci_err_oom(err), NULL;
	atomic_init(&c->refs, 1);
	memcpy(c->digest, digest, VCI_STORE_HASH);
	if (catalog_defs(s, c, list, err) < 0 ||
	    vci_serve_documents(s, c->defs, c->ndefs, &c->metadata, &c->metadata13,
				&c->signed_metadata, err) < 0) {
		catalog_free(c);
		return NULL;
	}
	vci_issue_ctx_init(&c->issue, c->defs, c->ndefs, NULL, VCI_TIME_PRECISION_DEFAULT);
	c->issue.not_after = s->cert_not_after;
	if ((s->sdjwt && (vci_issue_ctx_add(&c->issue, &vci_sdjwt_ops, s->sdjwt) < 0 ||
			  vci_issue_ctx_add(&c->issue, &vci_jwtvc_ops, s->sdjwt) < 0)) ||
	    (s->mdoc && vci_issue_ctx_add(&c->issue, &vci_mdoc_ops, s->mdoc) < 0)) {
		catalog_free(c);
		return vci_err_set(err, VCI_EXIT_KEY, "server_error", "signers: cannot prepare"),
		       NULL;
	}
	return c;
}

/* The store's definitions and the digest of their listing. */
static int catalog_list(vci_serve_t *s, json_t **list, uint8_t digest[VCI_STORE_HASH],
			vci_err_t *err)
{
	char_auto_t *text = NULL;

	*list = NULL;
	if (s->store && vci_store_defn_list(s->store, list, err) < 0)
		return -1;
	if (!*list && !(*list = json_array()))
		return vci_err_oom(err);
	text = json_dumps(*list, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text || vci_store_hash(text, strlen(text), digest) < 0) {
		json_decref(*list);
		*list = NULL;
		return vci_err_oom(err);
	}
	return 0;
}

/* Build from the store and publish; force 0: only when the store's
 * definitions differ from the current catalog's. Under admin_lock. */
static int catalog_publish(vci_serve_t *s, int force, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	vci_serve_catalog_t *c, *old;
	uint8_t digest[VCI_STORE_HASH];
	json_auto_t *list = NULL;

	if (catalog_list(s, &list, digest, err) < 0)
		return -1;
	if (!force && k->catalog && !memcmp(k->catalog->digest, digest, sizeof digest))
		return 0;
	if (!force && !memcmp(k->catalog_refused, digest, sizeof digest))
		return 0;   /* refused already: said once */
	c = catalog_build(s, list, digest, err);
	if (!c) {
		if (!force)
			memcpy(k->catalog_refused, digest, sizeof digest);
		return -1;
	}
	pthread_mutex_lock(&k->catalog_lock);
	old = k->catalog;
	k->catalog = c;
	pthread_mutex_unlock(&k->catalog_lock);
	vci_serve_catalog_drop(old);
	return 1;
}

int vci_serve_catalog_reload(vci_serve_t *s, vci_err_t *err)
{
	int rc;

	pthread_mutex_lock(&s->keep->admin_lock);
	rc = catalog_publish(s, 1, err);
	pthread_mutex_unlock(&s->keep->admin_lock);
	return rc < 0 ? -1 : 0;
}

int vci_serve_catalog_refresh(vci_serve_t *s, vci_err_t *err)
{
	int rc;

	pthread_mutex_lock(&s->keep->admin_lock);
	rc = catalog_publish(s, 0, err);
	pthread_mutex_unlock(&s->keep->admin_lock);
	return rc;
}

void vci_serve_admin_lock(vci_serve_t *s)
{
	pthread_mutex_lock(&s->keep->admin_lock);
}

void vci_serve_admin_unlock(vci_serve_t *s)
{
	pthread_mutex_unlock(&s->keep->admin_lock);
}

int vci_serve_catalog_publish_locked(vci_serve_t *s, vci_err_t *err)
{
	return catalog_publish(s, 1, err) < 0 ? -1 : 0;
}

int vci_serve_catalog_sync_locked(vci_serve_t *s, vci_err_t *err)
{
	if (catalog_publish(s, 0, err) < 0)
		return -1;
	vci_serve_catalog_leave(s);
	vci_serve_catalog_enter(s);
	return 0;
}

void vci_serve_catalog_close(vci_serve_t *s)
{
	vci_serve_catalog_drop(s->keep->catalog);
	s->keep->catalog = NULL;
}

const vci_defn_t *vci_serve_defn(vci_serve_t *s, const char *config_id)
{
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);

	return vci_defn_find(defs, n, config_id);
}
