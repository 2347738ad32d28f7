/* admin_bulk.c - POST /offers/bulk on the management listener: NDJSON
 * records straight from a pipeline (Content-Type application/x-ndjson),
 * one POST /offers body per line, answered with one NDJSON line per
 * record in order: the POST /offers answer {offer_id,
 * credential_offer_uri, tx_code?}, or for a bad record the record itself
 * with "error": {code, message} and "line": N, the error records of the
 * toolkit's pipelines (as `vci-serve import` writes them). A bad record
 * does not stop the others; the status is 200 when the body was read. */
#include "serve/serve.h"

#include <string.h>

/* The error record of line `line`: the record's fields (when it is an
 * object), error and line. */
static json_t *error_record(const json_t *rec, const vci_err_t *err, size_t line)
{
	json_t *out = json_is_object(rec) ? json_deep_copy(rec) : json_object();

	if (!out)
		return NULL;
	json_object_del(out, "error");
	json_object_set_new(out, "error", json_pack("{s:s, s:s}", "code",
						    err->code[0] ? err->code : "error", "message",
						    err->msg));
	json_object_set_new(out, "line", json_integer((json_int_t)line));
	return out;
}

static json_t *one_record(vci_serve_t *s, const char *text, size_t len, size_t line,
			  int64_t now)
{
	vci_err_t err = { 0 };
	json_auto_t *rec = vci_json_parse(text, len, "record", &err);
	json_auto_t *orig = NULL;
	json_t *out;

	if (rec && !json_is_object(rec))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request", "expected a JSON object");
	else if (rec && (json_object_get(rec, "credential_offer") ||
			 json_object_get(rec, "pre_authorized_code")))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request", "the server makes the offer "
			    "and its code");
	else if (rec && json_object_get(rec, "error"))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request", "an error record");
	if (!rec || err.msg[0])
		return error_record(rec, &err, line);
	orig = json_deep_copy(rec);   /* making the offer adds its code to rec */
	out = json_object();
	if (orig && out && vci_admin_offer_make(s, rec, now, out, &err) == 0)
		return out;
	json_decref(out);
	if (!orig)
		return NULL;
	return error_record(orig, &err, line);
}

/* Append one JSON line to buf. */
static int append_line(char **buf, size_t *len, json_t *j)
{
	char_auto_t *text = j ? vci_json_dump(j) : NULL;
	size_t n = text ? strlen(text) : 0;
	char *nb;

	json_decref(j);
	if (!text || !(nb = realloc(*buf, *len + n + 2)))
		return -1;
	memcpy(nb + *len, text, n);
	nb[*len + n] = '\n';
	*len += n + 1;
	nb[*len] = 0;
	*buf = nb;
	return 0;
}

static void post_bulk(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *p = req->body ? req->body : "", *end = p + req->body_len, *line;
	const char *counted = p;
	size_t len, n = 0, lineno = 1, records = 0;
	char *buf = NULL;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	while ((line = vci_manage_ndjson_next(&p, end, &len))) {
		for (; counted < line; counted++)   /* the line number of this record */
			lineno += *counted == '\n';
		records++;
		if (append_line(&buf, &n, one_record(s, line, len, lineno, req->now)) < 0) {
			free(buf);
			vci_resp_error(resp, 500, "server_error", "out of memory");
			return;
		}
	}
	if (!records) {
		vci_resp_error(resp, 400, "invalid_request", "no record in the body");
		return;
	}
	vci_resp_bytes(resp, 200, "application/x-ndjson", buf, n);
	vci_resp_header(resp, "Cache-Control", "no-store");
	free(buf);
}

int vci_admin_bulk_register(vci_serve_t *s, vci_err_t *err)
{
	return vci_serve_route_add(s, 1, "POST", "/offers/bulk", VCI_ROUTE_EXACT,
				   "application/x-ndjson", post_bulk, NULL, err);
}
