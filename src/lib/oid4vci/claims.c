/* claims.c - a record's claims checked against a prepared definition:
 * types, coercion of CSV cells, unknown claims, mdoc namespaces. */
#include "defn-int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Claims validation. */

typedef struct cname {
	char buf[512];
	size_t len;
} cname_t;

static int is_ident(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '$' || *s == '@'))
			return 0;
	return 1;
}

/* Append bytes, cut at the buffer's end as snprintf would. */
static void name_put(cname_t *n, const char *s, size_t len)
{
	size_t room = sizeof n->buf - 1 - n->len;

	if (len > room)
		len = room;
	memcpy(n->buf + n->len, s, len);
	n->len += len;
	n->buf[n->len] = '\0';
}

/* Every claim checked extends the name, so no printf here. */
static size_t name_key(cname_t *n, const char *key)
{
	size_t old = n->len;

	if (old >= sizeof n->buf - 1)
		return old;
	if (is_ident(key)) {
		name_put(n, ".", 1);
		name_put(n, key, strlen(key));
	} else {
		name_put(n, "[\"", 2);
		name_put(n, key, strlen(key));
		name_put(n, "\"]", 2);
	}
	return old;
}

static size_t name_index(cname_t *n, size_t i, int all)
{
	size_t old = n->len;
	int w;

	if (old >= sizeof n->buf - 1)
		return old;
	w = all ? snprintf(n->buf + old, sizeof n->buf - old, "[*]")
		: snprintf(n->buf + old, sizeof n->buf - old, "[%zu]", i);
	n->len = w < 0 ? old : (old + (size_t)w >= sizeof n->buf ? sizeof n->buf - 1 : old + (size_t)w);
	return old;
}

static void name_cut(cname_t *n, size_t len)
{
	n->len = len;
	n->buf[len] = '\0';
}

static void name_rest(cname_t *n, const vci_defn_claim_t *c, size_t from)
{
	for (size_t i = from; i < c->nelems; i++) {
		if (c->elems[i].kind == VCI_PATH_KEY)
			name_key(n, c->elems[i].key);
		else
			name_index(n, c->elems[i].index, c->elems[i].kind == VCI_PATH_ALL);
	}
}

/* A value as shown in messages: JSON, cut short. */
static void show(const json_t *v, char *out, size_t sz)
{
	char *s;

	if (json_is_object(v)) {
		snprintf(out, sz, "an object");
		return;
	}
	if (json_is_array(v)) {
		snprintf(out, sz, "an array");
		return;
	}
	s = vci_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		snprintf(out, sz, "a value");
		return;
	}
	if (strlen(s) > 64)
		snprintf(out, sz, "%.60s...", s);
	else
		snprintf(out, sz, "%s", s);
	free(s);
}

typedef struct cctx {
	const vci_defn_t *d;
	unsigned flags;
	vci_err_t *err;
	cname_t name;
} cctx_t;

static int bad(cctx_t *x, const char *fmt, ...) VCI_PRINTF(2, 3);
static int bad(cctx_t *x, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(x->err, VCI_EXIT_FAIL, "invalid_claims", "%s: %s", x->name.buf, msg);
}

static int expected(cctx_t *x, vci_vtype_t t, const json_t *v)
{
	char got[96];

	show(v, got, sizeof got);
	return bad(x, "expected %s, got %s", vci_defn_vtype_expect(t), got);
}

/* Convert a CSV cell to the claim's type; NULL if it does not convert. */
static json_t *coerce(const char *s, vci_vtype_t t)
{
	char *end;

	switch (t) {
	case VCI_VTYPE_INTEGER: {
		long long v;

		if (!*s || isspace((unsigned char)*s) || *s == '+')
			return NULL;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end)
			return NULL;
		return json_integer((json_int_t)v);
	}
	case VCI_VTYPE_NUMBER: {
		double v;

		if (!*s || isspace((unsigned char)*s) || *s == '+')
			return NULL;
		if (!strpbrk(s, ".eE"))
			return coerce(s, VCI_VTYPE_INTEGER);
		errno = 0;
		v = strtod(s, &end);
		if (errno || *end || !isfinite(v) || strpbrk(s, "xXnN"))
			return NULL;
		return json_real(v);
	}
	case VCI_VTYPE_BOOLEAN:
		if (!strcasecmp(s, "true"))
			return json_true();
		if (!strcasecmp(s, "false"))
			return json_false();
		return NULL;
	case VCI_VTYPE_OBJECT:
	case VCI_VTYPE_ARRAY: {
		json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);

		if (j && ((t == VCI_VTYPE_OBJECT) != !!json_is_object(j) ||
			  (t == VCI_VTYPE_ARRAY) != !!json_is_array(j))) {
			json_decref(j);
			j = NULL;
		}
		return j;
	}
	default:
		return NULL;
	}
}

static int type_ok(const json_t *v, vci_vtype_t t)
{
	const char *s = json_string_value(v);

	switch (t) {
	case VCI_VTYPE_ANY: return 1;
	case VCI_VTYPE_STRING: return s != NULL;
	case VCI_VTYPE_INTEGER: return json_is_integer(v);
	case VCI_VTYPE_NUMBER: return json_is_number(v);
	case VCI_VTYPE_BOOLEAN: return json_is_boolean(v);
	case VCI_VTYPE_DATE: return vci_defn_is_full_date(s);
	case VCI_VTYPE_DATETIME: return vci_defn_is_datetime(s);
	case VCI_VTYPE_OBJECT: return json_is_object(v);
	case VCI_VTYPE_ARRAY: return json_is_array(v);
	case VCI_VTYPE_IMAGE: return s && (vci_defn_is_data_uri(s, "image/") ||
					  (strncasecmp(s, "data:", 5) && vci_defn_is_base64(s)));
	case VCI_VTYPE_BYTES: return s && (vci_defn_is_data_uri(s, NULL) || vci_defn_is_base64(s));
	}
	return 0;
}

static int check_value(cctx_t *x, json_t *container, const char *key, size_t idx, json_t *v,
		       const vci_defn_claim_t *c)
{
	json_t *nv;

	if (type_ok(v, c->type))
		return 0;
	if (!(x->flags & VCI_DEFN_COERCE) || !json_is_string(v) ||
	    !(nv = coerce(json_string_value(v), c->type)))
		return expected(x, c->type, v);
	if (key)
		json_object_set_new(container, key, nv);
	else
		json_array_set_new(container, idx, nv);
	return 0;
}

static int resolve(cctx_t *x, json_t *cur, const vci_defn_claim_t *c, size_t i);

/* One step of claim c's path, step i, reached v (NULL: absent) in cur
 * under the name now in x: absent is an error for a mandatory claim, a
 * value is checked (last step) or followed further. The name is cut
 * back to `mark` after. */
static int step(cctx_t *x, json_t *cur, const char *key, size_t idx, json_t *v,
		const vci_defn_claim_t *c, size_t i, size_t mark)
{
	int rc = 0;

	if (!v) {
		if (c->mandatory) {
			name_rest(&x->name, c, i + 1);
			return bad(x, "missing mandatory claim");
		}
	} else {
		rc = i + 1 == c->nelems ? check_value(x, cur, key, idx, v, c) : resolve(x, v, c, i + 1);
	}
	name_cut(&x->name, mark);
	return rc;
}

static int resolve(cctx_t *x, json_t *cur, const vci_defn_claim_t *c, size_t i)
{
	const vci_path_elem_t *e = &c->elems[i];
	size_t mark = x->name.len;
	char got[96];
	json_t *v;
	int rc = 0;

	if (e->kind == VCI_PATH_KEY) {
		if (!json_is_object(cur)) {
			show(cur, got, sizeof got);
			return bad(x, "expected an object, got %s", got);
		}
		v = json_object_get(cur, e->key);
		if (v && i + 1 == c->nelems && type_ok(v, c->type))
			return 0; /* a value that fits: nothing to name */
		name_key(&x->name, e->key);
		return step(x, cur, e->key, 0, v, c, i, mark);
	}
	if (!json_is_array(cur)) {
		show(cur, got, sizeof got);
		return bad(x, "expected an array, got %s", got);
	}
	if (e->kind == VCI_PATH_INDEX) {
		name_index(&x->name, e->index, 0);
		return step(x, cur, NULL, e->index, json_array_get(cur, e->index), c, i, mark);
	}
	for (size_t j = 0; rc == 0 && j < json_array_size(cur); j++) {
		name_index(&x->name, j, 0);
		rc = step(x, cur, NULL, j, json_array_get(cur, j), c, i, mark);
	}
	return rc;
}

static const vci_defn_node_t *kid_key(const vci_defn_node_t *n, const char *key)
{
	/* the first byte first: most names differ there, and the call to
	 * strcmp costs more than the comparison */
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VCI_PATH_KEY && n->kids[i]->key[0] == key[0] &&
		    !strcmp(n->kids[i]->key, key))
			return n->kids[i];
	return NULL;
}

static const vci_defn_node_t *kid_elem(const vci_defn_node_t *n, size_t idx)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VCI_PATH_ALL ||
		    (n->kids[i]->kind == VCI_PATH_INDEX && n->kids[i]->index == idx))
			return n->kids[i];
	return NULL;
}

/* Every member must be described (a described claim covers its subtree). */
static int unknown(cctx_t *x, const json_t *v, const vci_defn_node_t *n)
{
	size_t mark = x->name.len;
	int rc = 0;

	if (n->claim >= 0)
		return 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach((json_t *)v, k, m) {
			const vci_defn_node_t *c = kid_key(n, k);

			if (c && c->claim >= 0)
				continue; /* described: no name to build */
			name_key(&x->name, k);
			rc = c ? unknown(x, m, c) : bad(x, "not in the definition of %s", x->d->id);
			name_cut(&x->name, mark);
			if (rc)
				return rc;
		}
	} else if (json_is_array(v)) {
		for (size_t j = 0; j < json_array_size(v); j++) {
			const vci_defn_node_t *c = kid_elem(n, j);

			name_index(&x->name, j, 0);
			rc = c ? unknown(x, json_array_get(v, j), c)
			       : bad(x, "not in the definition of %s", x->d->id);
			name_cut(&x->name, mark);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* CSV column names split mdoc namespaces at their dots
 * ("org.iso.18013.5.1.family_name" became org -> iso -> ... ): put the
 * data elements back under the namespace. */
static void fold_namespace(json_t *claims, const char *ns)
{
	char buf[256], *parts[32], *save = NULL, *p;
	json_t *objs[32];
	size_t n = 0;

	if (!strchr(ns, '.') || strlen(ns) >= sizeof buf)
		return;
	snprintf(buf, sizeof buf, "%s", ns);
	for (p = strtok_r(buf, ".", &save); p && n < 32; p = strtok_r(NULL, ".", &save))
		parts[n++] = p;
	if (n < 2 || p)
		return;
	objs[0] = claims;
	for (size_t i = 0; i < n; i++) {
		json_t *next = json_object_get(objs[i], parts[i]);

		if (!json_is_object(next))
			return;
		if (i + 1 < n)
			objs[i + 1] = next;
		else {
			json_t *dst = json_object_get(claims, ns);

			json_incref(next);
			json_object_del(objs[i], parts[i]);
			if (json_is_object(dst))
				json_object_update_missing(dst, next);
			else
				json_object_set(claims, ns, next);
			json_decref(next);
		}
	}
	/* prune the now empty intermediate objects, deepest first */
	for (size_t i = n - 1; i > 0; i--) {
		json_t *o = json_object_get(objs[i - 1], parts[i - 1]);

		if (json_is_object(o) && json_object_size(o) == 0)
			json_object_del(objs[i - 1], parts[i - 1]);
	}
}

static void fold_mdoc(const vci_defn_t *d, json_t *claims)
{
	const vci_defn_node_t *root = d->tree;
	const char *k;
	json_t *v, *tmp;

	/* longest first: "org.iso.18013.5.1.aamva" before "org.iso.18013.5.1" */
	int done[64] = { 0 };

	for (size_t round = 0; round < root->nkids && round < 64; round++) {
		size_t best = root->nkids, blen = 0;

		for (size_t i = 0; i < root->nkids && i < 64; i++) {
			size_t len = root->kids[i]->kind == VCI_PATH_KEY ? strlen(root->kids[i]->key) : 0;

			if (!done[i] && len > blen) {
				best = i;
				blen = len;
			}
		}
		if (best == root->nkids)
			break;
		done[best] = 1;
		if (!json_object_get(claims, root->kids[best]->key))
			fold_namespace(claims, root->kids[best]->key);
	}
	/* data elements given without their namespace */
	json_object_foreach_safe(claims, tmp, k, v) {
		const vci_defn_node_t *ns = NULL;
		int matches = 0;

		if (kid_key(root, k))
			continue;
		for (size_t i = 0; i < root->nkids; i++)
			if (root->kids[i]->kind == VCI_PATH_KEY && kid_key(root->kids[i], k)) {
				ns = root->kids[i];
				matches++;
			}
		if (matches == 1) {
			json_t *dst = json_object_get(claims, ns->key);

			if (!dst) {
				dst = json_object();
				json_object_set_new(claims, ns->key, dst);
			}
			if (json_is_object(dst) && !json_object_get(dst, k)) {
				json_object_set(dst, k, v);
				json_object_del(claims, k);
			}
		}
	}
}

int vci_defn_check_claims(const vci_defn_t *d, json_t *claims, unsigned flags, vci_err_t *err)
{
	cctx_t x = { .d = d, .flags = flags, .err = err };

	snprintf(x.name.buf, sizeof x.name.buf, "claims");
	x.name.len = 6;
	if (!json_is_object(claims)) {
		char got[96];

		if (!claims)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims: missing");
		show(claims, got, sizeof got);
		return bad(&x, "expected an object, got %s", got);
	}
	if (d->format == VCI_FORMAT_MDOC && (flags & (VCI_DEFN_COERCE | VCI_DEFN_FOLD)))
		fold_mdoc(d, claims);
	for (size_t i = 0; i < d->nclaims; i++)
		if (resolve(&x, claims, &d->claims[i], 0) < 0)
			return -1;
	if (d->format == VCI_FORMAT_SDJWT) {
		const char *k;
		json_t *v;

		json_object_foreach(claims, k, v) {
			if (vci_defn_in_list(k, vci_defn_sdjwt_reserved)) {
				name_key(&x.name, k);
				return bad(&x, "set by the issuer, not a claim");
			}
		}
	}
	if (!d->allow_unknown_claims && unknown(&x, claims, d->tree) < 0)
		return -1;
	return 0;
}

const vci_defn_claim_t *vci_defn_claim_find(const vci_defn_t *d, const char *const *path)
{
	const vci_defn_node_t *n = d->tree;

	for (size_t i = 0; n && path[i]; i++) {
		const vci_defn_node_t *c = kid_key(n, path[i]);

		if (!c && *path[i] && strspn(path[i], "0123456789") == strlen(path[i]))
			c = kid_elem(n, (size_t)strtoull(path[i], NULL, 10));
		n = c;
	}
	return n && n->claim >= 0 ? &d->claims[n->claim] : NULL;
}

const vci_defn_node_t *vci_defn_root(const vci_defn_t *d)
{
	return d ? d->tree : NULL;
}

const vci_defn_node_t *vci_defn_node_key(const vci_defn_node_t *n, const char *key)
{
	return n && key ? kid_key(n, key) : NULL;
}

const vci_defn_node_t *vci_defn_node_elem(const vci_defn_node_t *n, size_t idx)
{
	return n ? kid_elem(n, idx) : NULL;
}

const vci_defn_claim_t *vci_defn_node_claim(const vci_defn_t *d, const vci_defn_node_t *n)
{
	return d && n && n->claim >= 0 ? &d->claims[n->claim] : NULL;
}

