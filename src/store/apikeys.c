/* apikeys.c - the management API's keys: stored as their SHA-256 only,
 * listed without it, revoked, and checked by hash. */
#include "store/internal.h"

#include <string.h>

#include <openssl/rand.h>

/* API keys ---------------------------------------------------------------*/

struct vci_store_apikey {
	const char *id, *name;
	const uint8_t *hash;
	int64_t now;
};

static const char vci_sql_apikey_add[] =
	"INSERT INTO apikeys (id, name, hash, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char vci_sql_apikey_list[] =
	"SELECT id, name, created_at, revoked_at FROM apikeys ORDER BY seq";
static const char vci_sql_apikey_revoke[] =
	"UPDATE apikeys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL RETURNING id";
static const char vci_sql_apikey_check[] =
	"SELECT id FROM apikeys WHERE hash = ?1 AND revoked_at IS NULL";

static int vci_store_apikey_add_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_apikey *a = arg;

	return vci_store_changed(vci_store_do(c, err, vci_sql_apikey_add, "tthi", a->id, a->name,
					      a->hash, a->now));
}

int vci_store_apikey_add(vci_store_t *st, const char *name, const uint8_t hash[VCI_STORE_HASH],
			 int64_t now, char id[VCI_STORE_ID], vci_err_t *err)
{
	char newid[VCI_STORE_ID];
	struct vci_store_apikey a = { newid, name ? name : "", hash, now };
	uint8_t r[8];
	int rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "store: apikey_add: random id");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(newid + 2 * i, 3, "%02x", r[i]);
	rc = vci_store_write(st, "apikey_add", vci_store_apikey_add_run, &a, err);
	if (rc == 0)
		vci_store_copy(id, VCI_STORE_ID, newid);
	return rc;
}

static json_t *vci_store_apikey_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	json_t *k = json_pack("{s:s, s:s, s:I}", "id", drv->column_text(s, 0), "name",
			      drv->column_text(s, 1), "created_at", (json_int_t)drv->column_int(s, 2));

	if (k && !drv->column_null(s, 3) &&
	    json_object_set_new(k, "revoked_at", json_integer(drv->column_int(s, 3))) < 0) {
		json_decref(k);
		return NULL;
	}
	return k;
}

int vci_store_apikey_list(vci_store_t *st, json_t **out, vci_err_t *err)
{
	return vci_store_list(st, "apikey_list", vci_sql_apikey_list, vci_store_apikey_json, out,
			      err);
}

static int vci_store_apikey_revoke_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_apikey *a = arg;

	return vci_store_one_row(c, err, VCI_STORE_NOTFOUND, vci_sql_apikey_revoke, "ti", a->id,
				 a->now);
}

int vci_store_apikey_revoke(vci_store_t *st, const char *id, int64_t now, vci_err_t *err)
{
	struct vci_store_apikey a = { id, NULL, NULL, now };

	if (!id)
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "apikey_revoke", vci_store_apikey_revoke_run, &a, err);
}

int vci_store_apikey_check(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH], vci_err_t *err)
{
	return vci_store_get(st, "apikey_check", vci_sql_apikey_check, "h", hash, NULL, NULL,
			     err);
}
