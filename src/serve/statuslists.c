/* statuslists.c - the status lists of --status-list: status indices for
 * the credential endpoint (vci_serve_status_alloc) and the signed list
 * tokens that handlers/status.c publishes at the lists' URIs.
 *
 * The list files are the ones vci-statuslist manages, shared with it:
 * indices come from vci_statuslist_alloc_file (locked, durable before it
 * returns), a pool of them at a time so one file write serves many
 * credentials; an index of the pool is never handed out twice, even after
 * a crash (the file marked it before it left), and the pool's unused rest
 * is lost at exit, not reused. `vci-statuslist set` from a shell changes
 * the file: the next GET of the token sees a new file (inode, size or
 * mtime) and signs again, so the served token follows at once, well
 * within its ttl.
 *
 * A list named "db:NAME" is the list NAME in the server's store (made by
 * `vci-statuslist new --db`): indices come from vci_store_sl_alloc (one
 * INSERT per index on the entries' primary key, so servers sharing the
 * store never hand one out twice), a pool at a time as for files; the
 * token is signed from the store's list with the list's ttl, and signed
 * again at the next GET after its serial moved (`vci-statuslist set --db`,
 * the management API, another server). */
#include "serve/internal.h"
#include "oid4vci/statuslist.h"

#include <string.h>
#include <sys/stat.h>

#define POOL 64            /* indices taken per file write, at most */
#define TOKEN_TTL 300      /* seconds: the token's ttl and Cache-Control */
#define TOKEN_EXP 86400    /* seconds a signed token is valid */

#define DB_PREFIX "db:"

typedef struct sl_entry {
	char *file;             /* the file, or "db:NAME" */
	const char *db_name;    /* NAME of "db:NAME" (in file), else NULL */
	int64_t ttl;            /* the token's ttl */
	int64_t signed_serial;  /* db: the serial the token was signed at */
	char *config_id;        /* NULL: every definition of the list's method */
	char *uri;
	char *purpose;
	vci_sl_method_t method;
	pthread_mutex_t lock;
	uint64_t pool[POOL];
	size_t npool;
	char *token;            /* the last signed token, or NULL */
	struct stat signed_st;  /* the file it was signed from */
	int64_t signed_at;
} sl_entry_t;

struct vci_serve_status {
	sl_entry_t *e;
	size_t n;
};

static void entry_free(sl_entry_t *e)
{
	free(e->file);
	free(e->config_id);
	free(e->uri);
	free(e->purpose);
	free(e->token);
	pthread_mutex_destroy(&e->lock);
}

void vci_serve_status_close(vci_serve_t *s)
{
	if (!s->status)
		return;
	for (size_t i = 0; i < s->status->n; i++)
		entry_free(&s->status->e[i]);
	free(s->status->e);
	free(s->status);
	s->status = NULL;
}

/* The store's list of a "db:NAME" entry, with its ttl (a ttl of 0 keeps
 * TOKEN_TTL) and serial. NULL with err. */
static vci_statuslist_t *db_load(vci_serve_t *s, sl_entry_t *e, int64_t *serial,
				 vci_err_t *err)
{
	vci_statuslist_t *sl = NULL;
	int64_t ttl = 0;
	int rc = vci_store_sl_load(s->store, e->db_name, &sl, &ttl, serial, err);

	if (rc == VCI_STORE_NOTFOUND)
		vci_err_set(err, VCI_EXIT_USAGE, "no_status_list", "%s: no list of that name in "
			    "the store (vci-statuslist new --db)", e->file);
	if (rc != 0)
		return NULL;
	if (ttl > 0)
		e->ttl = ttl;
	return sl;
}

/* "[CONFIG_ID=]FILE": the file is read to learn its method and uri. */
static int entry_open(vci_serve_t *s, sl_entry_t *e, const char *spec, vci_err_t *err)
{
	const char *eq = strchr(spec, '=');
	vci_statuslist_t *sl;

	pthread_mutex_init(&e->lock, NULL);
	if (eq && !(e->config_id = strndup(spec, (size_t)(eq - spec))))
		return vci_err_oom(err);
	/* the --defn definitions: the lists open before the catalog, which
	 * adds the store's, is loaded */
	if (eq && !vci_defn_find(s->defs, s->ndefs, e->config_id))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--status-list %s: no "
				   "definition has the id \"%s\"", spec, e->config_id);
	e->file = strdup(eq ? eq + 1 : spec);
	if (!e->file)
		return vci_err_oom(err);
	e->ttl = TOKEN_TTL;
	if (!strncmp(e->file, DB_PREFIX, strlen(DB_PREFIX))) {
		e->db_name = e->file + strlen(DB_PREFIX);
		sl = db_load(s, e, NULL, err);
	} else {
		sl = vci_statuslist_load(e->file, err);
	}
	if (!sl)
		return vci_err_prefix(err, "--status-list"), -1;
	e->method = sl->method;
	e->uri = strdup(sl->uri);
	e->purpose = sl->purpose ? strdup(sl->purpose) : NULL;
	vci_statuslist_free(sl);
	if (!e->uri)
		return vci_err_oom(err);
	return 0;
}

static sl_entry_t *entry_for(vci_serve_t *s, const vci_defn_t *d)
{
	vci_sl_method_t m = d->status == VCI_STATUS_BITSTRING ? VCI_SL_BITSTRING : VCI_SL_TSL;

	for (size_t i = 0; s->status && i < s->status->n; i++)
		if (s->status->e[i].config_id && !strcmp(s->status->e[i].config_id, d->id))
			return &s->status->e[i];
	for (size_t i = 0; s->status && i < s->status->n; i++)
		if (!s->status->e[i].config_id && s->status->e[i].method == m)
			return &s->status->e[i];
	return NULL;
}

int vci_serve_status_open(vci_serve_t *s, const char *const *specs, size_t n, vci_err_t *err)
{
	s->status = calloc(1, sizeof *s->status);
	if (!s->status || (n && !(s->status->e = calloc(n, sizeof *s->status->e))))
		return vci_err_oom(err);
	for (; s->status->n < n; s->status->n++)
		if (entry_open(s, &s->status->e[s->status->n], specs[s->status->n], err) < 0) {
			s->status->n++;
			return -1;
		}
	for (size_t i = 0; i < s->ndefs; i++)
		if (s->defs[i]->status != VCI_STATUS_NONE && !entry_for(s, s->defs[i]))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "definition \"%s\" "
					   "has a %s status list: give --status-list [%s=]FILE",
					   s->defs[i]->id, s->defs[i]->status == VCI_STATUS_BITSTRING ?
					   "bitstring" : "token", s->defs[i]->id);
	return 0;
}

/* The status reference of index idx in the shape the signers take. */
static json_t *reference(const sl_entry_t *e, uint64_t idx)
{
	char id[24], *full = NULL;
	json_t *j;

	if (e->method == VCI_SL_TSL)
		return json_pack("{s:{s:I,s:s}}", "status_list", "idx", (json_int_t)idx, "uri",
				 e->uri);
	snprintf(id, sizeof id, "%llu", (unsigned long long)idx);
	if (asprintf(&full, "%s#%s", e->uri, id) < 0)
		return NULL;
	j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", full, "type", "BitstringStatusListEntry",
		      "statusPurpose", e->purpose ? e->purpose : "revocation", "statusListIndex",
		      id, "statusListCredential", e->uri);
	free(full);
	return j;
}

/* Add `want` indices of the store's list to the pool, or only `need`
 * when fewer than `want` are free (under e->lock). */
static int db_alloc(vci_serve_t *s, sl_entry_t *e, size_t want, size_t need, vci_err_t *err)
{
	int rc = vci_store_sl_alloc(s->store, e->db_name, want, e->pool + e->npool, err);

	if (rc < 0 && want > need && !strcmp(err->code, "list_exhausted")) {
		want = need;
		rc = vci_store_sl_alloc(s->store, e->db_name, want, e->pool + e->npool, err);
	}
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "gone from the store");
	if (rc != 0)
		return -1;
	e->npool += want;
	return 0;
}

/* Fill the pool until it holds n indices (under e->lock). */
static int fill_pool(vci_serve_t *s, sl_entry_t *e, size_t n, vci_err_t *err)
{
	while (e->npool < n) {
		size_t got = 0, want = POOL - e->npool;

		if (e->db_name) {
			if (db_alloc(s, e, want, n - e->npool, err) < 0)
				return vci_err_prefix(err, "status list %s", e->file), -1;
			continue;
		}
		if (vci_statuslist_alloc_file(e->file, want, e->pool + e->npool, &got, err) < 0)
			return vci_err_prefix(err, "status list %s", e->file), -1;
		e->npool += got;
	}
	return 0;
}

int vci_serve_status_alloc(vci_serve_t *s, const vci_defn_t *d, size_t n, json_t **status,
			   vci_err_t *err)
{
	sl_entry_t *e;
	json_t *arr;

	*status = NULL;
	if (d->status == VCI_STATUS_NONE || !n)
		return 0;
	if (n > POOL)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "at most %d status "
				   "entries at once", POOL);
	e = entry_for(s, d);
	if (!e)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "definition \"%s\": no status "
				   "list", d->id);
	arr = json_array();
	if (!arr)
		return vci_err_oom(err);
	pthread_mutex_lock(&e->lock);
	if (fill_pool(s, e, n, err) < 0) {
		pthread_mutex_unlock(&e->lock);
		json_decref(arr);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, reference(e, e->pool[e->npool - n + i]));
	e->npool -= n;
	pthread_mutex_unlock(&e->lock);
	if (json_array_size(arr) != n) {
		json_decref(arr);
		return vci_err_oom(err);
	}
	*status = arr;
	return 0;
}

/* ---- the published tokens ---- */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Sign the list as it is in its file (or the store) now (under e->lock). */
static int sign_token(vci_serve_t *s, sl_entry_t *e, const struct stat *st, int64_t now,
		      vci_err_t *err)
{
	vci_sl_sign_opts_t o = { 0 };
	int64_t serial = 0;
	vci_statuslist_t *sl = e->db_name ? db_load(s, e, &serial, err)
					  : vci_statuslist_load(e->file, err);
	char *tok;

	if (!sl)
		return -1;
	o.alg = s->keep->alg;
	o.kid = s->kid;
	o.x5c = s->x5c;
	o.iat = now;
	o.exp = now + TOKEN_EXP;
	o.ttl = e->ttl;
	if (e->method == VCI_SL_BITSTRING) {
		o.iss = s->issuer;
		tok = vci_statuslist_sign_bitstring(sl, s->key, &o, err);
	} else {
		tok = vci_statuslist_sign_jwt(sl, s->key, &o, err);
	}
	vci_statuslist_free(sl);
	if (!tok)
		return -1;
	free(e->token);
	e->token = tok;
	e->signed_st = *st;
	e->signed_at = now;
	e->signed_serial = serial;
	return 0;
}

/* Whether the list changed since its token was signed: its file's stat,
 * or the store's serial (one row read per GET). */
static int file_changed(sl_entry_t *e, struct stat *st, int *changed, vci_err_t *err)
{
	if (stat(e->file, st) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "status list %s: gone", e->file);
	*changed = !same_file(st, &e->signed_st);
	return 0;
}

static int db_changed(vci_serve_t *s, sl_entry_t *e, struct stat *st, int *changed,
		      vci_err_t *err)
{
	int64_t serial = 0;
	int rc = vci_store_sl_serial(s->store, e->db_name, &serial, err);

	memset(st, 0, sizeof(*st));
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "status list %s: gone", e->file);
	if (rc != 0)
		return -1;
	*changed = serial != e->signed_serial;
	return 0;
}

int vci_serve_status_covers(vci_serve_t *s, const vci_defn_t *d)
{
	return entry_for(s, d) != NULL;
}

const char *vci_serve_status_file(vci_serve_t *s, const char *uri)
{
	for (size_t i = 0; uri && s->status && i < s->status->n; i++)
		if (!strcmp(s->status->e[i].uri, uri))
			return s->status->e[i].file;
	return NULL;
}

const void *vci_serve_status_entry(const vci_serve_t *s, size_t i, const char **uri)
{
	if (!s->status || i >= s->status->n)
		return NULL;
	*uri = s->status->e[i].uri;
	return &s->status->e[i];
}

void vci_serve_status_respond(vci_serve_t *s, const void *entry, int64_t now, vci_resp_t *resp)
{
	sl_entry_t *e = (sl_entry_t *)entry;
	vci_err_t err = { 0 };
	struct stat st;
	char cc[32];
	int rc = 0, changed = 0;

	pthread_mutex_lock(&e->lock);
	rc = e->db_name ? db_changed(s, e, &st, &changed, &err) : file_changed(e, &st, &changed,
									    &err);
	if (rc == 0 && (changed || !e->token || now - e->signed_at >= TOKEN_EXP / 2 ||
			now < e->signed_at))
		rc = sign_token(s, e, &st, now, &err);
	if (rc == 0)
		rc = vci_resp_bytes(resp, 200, e->method == VCI_SL_BITSTRING ? "application/vc+jwt"
				    : "application/statuslist+jwt", e->token, strlen(e->token));
	pthread_mutex_unlock(&e->lock);
	if (rc < 0 && !resp->status) {
		vci_resp_err(resp, 503, &err);
		return;
	}
	snprintf(cc, sizeof cc, "max-age=%lld", (long long)e->ttl);
	vci_resp_header(resp, "Cache-Control", cc);
}
