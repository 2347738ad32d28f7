/* mdoc-verify.c - verification of an ISO/IEC 18013-5 IssuerSigned, a
 * Document or a DeviceResponse (mdoc.h): the IssuerAuth COSE_Sign1 and
 * its x5chain, every item's digest, the MSO's fields and validity.
 * Decoding goes through the bounded vci_cbor_load only; digests and
 * signatures are over the bytes received. */
#include "mdoc.h"
#include "mdoc-int.h"
#include "base/b64url.h"
#include "crypto/keys.h"

#include <string.h>
#include <openssl/x509v3.h>

/* ---- verifying ---- */

/* Set err, formatting first into a buffer of its own: the arguments may
 * be err->msg itself (a message prefixed to the one a callee left). */
static int mdoc_err(vci_err_t *err, int status, const char *code, const char *fmt, ...)
	VCI_PRINTF(4, 5);
static int mdoc_err(vci_err_t *err, int status, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(err, status, code, "%s", msg);
}

/* A malformed mdoc (exit 3), and one that is well formed but fails a check */
#define bad(err, ...) mdoc_err((err), VCI_EXIT_INPUT, "invalid_mdoc", __VA_ARGS__)
#define fails(err, ...) mdoc_err((err), VCI_EXIT_FAIL, "invalid_credential", __VA_ARGS__)

/* A definite text string as a NUL-terminated copy (no NUL inside). */
static char *tstr_dup(const cbor_item_t *i)
{
	size_t n;
	char *s;

	if (!i || !cbor_isa_string(i) || !cbor_string_is_definite(i))
		return NULL;
	n = cbor_string_length(i);
	if (n && memchr(cbor_string_handle(i), 0, n))
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, cbor_string_handle(i), n);
	s[n] = '\0';
	return s;
}

static int tstr_is(const cbor_item_t *i, const char *want)
{
	size_t n = strlen(want);

	return i && cbor_isa_string(i) && cbor_string_is_definite(i) && cbor_string_length(i) == n &&
	       (!n || !memcmp(cbor_string_handle(i), want, n));
}

/* An element value as JSON: dates (tags 1004 and 0) as their strings,
 * byte strings as base64url, other tags as {"tag": N, "value": V}. */
static json_t *to_json(const cbor_item_t *i, vci_err_t *err)
{
	switch (cbor_typeof(i)) {
	case CBOR_TYPE_UINT:
	case CBOR_TYPE_NEGINT: {
		int64_t v;

		if (vci_cbor_get_int(i, &v) < 0) {
			bad(err, "integer out of range");
			return NULL;
		}
		return json_integer(v);
	}
	case CBOR_TYPE_BYTESTRING: {
		const uint8_t *p;
		size_t n;
		char *s;
		json_t *j;

		if (vci_mdoc_bstr_of(i, &p, &n) < 0) {
			bad(err, "indefinite-length byte string");
			return NULL;
		}
		s = vci_b64url_encode(p, n);
		j = s ? json_string(s) : NULL;
		free(s);
		return j;
	}
	case CBOR_TYPE_STRING: {
		json_t *j;

		if (!cbor_string_is_definite(i)) {
			bad(err, "indefinite-length text string");
			return NULL;
		}
		j = json_stringn((const char *)(cbor_string_handle(i) ? cbor_string_handle(i)
							      : (const uint8_t *)""),
				 cbor_string_length(i));
		if (!j)
			bad(err, "text string is not UTF-8");
		return j;
	}
	case CBOR_TYPE_ARRAY: {
		json_t *a = json_array();

		for (size_t k = 0; a && k < cbor_array_size(i); k++) {
			json_t *e = to_json(cbor_array_handle(i)[k], err);

			if (!e || json_array_append_new(a, e) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case CBOR_TYPE_MAP: {
		json_t *o = json_object();
		struct cbor_pair *pr = cbor_map_handle(i);

		for (size_t k = 0; o && k < cbor_map_size(i); k++) {
			char kb[24], *key = NULL;
			const char *ks = NULL;
			int64_t iv;
			json_t *e;

			if (vci_cbor_get_int(pr[k].key, &iv) == 0) {
				snprintf(kb, sizeof kb, "%lld", (long long)iv);
				ks = kb;
			} else if ((key = tstr_dup(pr[k].key))) {
				ks = key;
			}
			if (!ks || json_object_get(o, ks)) {
				free(key);
				json_decref(o);
				bad(err, "map key is not a text string or an integer, or given twice");
				return NULL;
			}
			e = to_json(pr[k].value, err);
			if (!e || json_object_set_new(o, ks, e) < 0) {
				free(key);
				json_decref(o);
				return NULL;
			}
			free(key);
		}
		return o;
	}
	case CBOR_TYPE_TAG: {
		cbor_item_t *in = cbor_tag_item(i);
		uint64_t tag = cbor_tag_value(i);
		json_t *v = to_json(in, err);

		if (v && (tag == TAG_FULL_DATE || tag == TAG_TDATE) && !json_is_string(v)) {
			json_decref(v);
			v = NULL;
			bad(err, "tag %llu must hold a text string", (unsigned long long)tag);
		} else if (v && tag == TAG_FULL_DATE && !vci_defn_is_full_date(json_string_value(v))) {
			json_decref(v);
			v = NULL;
			bad(err, "tag 1004 must hold a full-date");
		} else if (v && tag != TAG_FULL_DATE && tag != TAG_TDATE) {
			v = json_pack("{s:I,s:o}", "tag", (json_int_t)(tag > INT64_MAX ? -1 : (int64_t)tag), "value", v);
		}
		cbor_decref(&in);
		return v;
	}
	case CBOR_TYPE_FLOAT_CTRL:
		if (cbor_float_ctrl_is_ctrl(i)) {
			if (cbor_is_bool(i))
				return json_boolean(cbor_get_bool(i));
			if (cbor_is_null(i) || cbor_is_undef(i))
				return json_null();
			bad(err, "simple value %u", cbor_ctrl_value(i));
			return NULL;
		}
		return json_real(cbor_float_get_float(i));
	}
	bad(err, "unsupported CBOR item");
	return NULL;
}

/* The decoded contents of a tag-24 item: #6.24(bstr .cbor X). */
static cbor_item_t *embedded(const cbor_item_t *i, const char *what, vci_err_t *err)
{
	cbor_item_t *in, *res;
	const uint8_t *p;
	size_t n;

	if (!i || !cbor_isa_tag(i) || cbor_tag_value(i) != TAG_ENCODED_CBOR) {
		bad(err, "%s: expected tag 24 (encoded CBOR)", what);
		return NULL;
	}
	in = cbor_tag_item(i);
	if (vci_mdoc_bstr_of(in, &p, &n) < 0) {
		cbor_decref(&in);
		bad(err, "%s: tag 24 must hold a byte string", what);
		return NULL;
	}
	res = vci_cbor_load(p, n, VCI_CBOR_MAX_DEPTH, err);
	cbor_decref(&in);
	if (!res)
		vci_err_prefix(err, "%s", what);
	return res;
}

static int tdate_of(const cbor_item_t *m, const char *key, int required, int64_t *t,
		    json_t *vi, vci_err_t *err)
{
	const cbor_item_t *i = vci_cbor_map_get_str(m, key);
	cbor_item_t *in;
	char *s;
	json_t *j;
	int rc;

	if (!i) {
		*t = 0;
		return required ? bad(err, "MSO: validityInfo.%s missing", key) : 0;
	}
	if (!cbor_isa_tag(i) || cbor_tag_value(i) != TAG_TDATE)
		return bad(err, "MSO: validityInfo.%s must be a tdate (tag 0)", key);
	in = cbor_tag_item(i);
	s = tstr_dup(in);
	cbor_decref(&in);
	if (!s || !vci_defn_is_datetime(s)) {
		free(s);
		return bad(err, "MSO: validityInfo.%s is not an RFC 3339 date-time", key);
	}
	j = json_string(s);
	rc = j ? vci_time_from_json(j, t) : -1;
	if (rc == 0)
		json_object_set_new(vi, key, json_string(s));
	json_decref(j);
	free(s);
	return rc < 0 ? bad(err, "MSO: validityInfo.%s is out of range", key) : 0;
}

static STACK_OF(X509) *x5chain_parse(const cbor_item_t *h, json_t *x5c, vci_err_t *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	size_t n = h && cbor_isa_array(h) ? cbor_array_size(h) : 1;

	if (!chain)
		return NULL;
	if (!h || (cbor_isa_array(h) && n == 0)) {
		sk_X509_free(chain);
		bad(err, "IssuerAuth: x5chain (33) missing in the unprotected header");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		const cbor_item_t *c = cbor_isa_array(h) ? cbor_array_handle(h)[k] : h;
		const uint8_t *p, *q;
		size_t len;
		X509 *x;
		char *b64;

		if (vci_mdoc_bstr_of(c, &p, &len) < 0 || len > LONG_MAX) {
			sk_X509_pop_free(chain, X509_free);
			bad(err, "IssuerAuth: x5chain must be a byte string or an array of them");
			return NULL;
		}
		q = p;
		x = d2i_X509(NULL, &q, (long)len);
		if (!x || q != p + len || !sk_X509_push(chain, x)) {
			X509_free(x);
			sk_X509_pop_free(chain, X509_free);
			bad(err, "IssuerAuth: x5chain certificate %zu is not DER X.509", k + 1);
			return NULL;
		}
		b64 = vci_b64_encode(p, len);
		json_array_append_new(x5c, json_string(b64 ? b64 : ""));
		free(b64);
	}
	return chain;
}

static const char *const mdoc_algs[] = { "ES256", "ES384", "ES512", "EdDSA", NULL };

/* What verifying one IssuerSigned gathers on its way; freed by vs_free. */
typedef struct vstate {
	vci_cose_sign1_t cose;
	STACK_OF(X509) *chain;
	cbor_item_t *mso;
	uint8_t *abytes;         /* issuerAuth re-serialized for the COSE parser */
	size_t alen;
	json_t *x5c, *vij, *names, *dk;
	const EVP_MD *md;
	char *doctype, *dname;
	const cbor_item_t *vd;   /* valueDigests (in mso) */
	const cbor_item_t *st;   /* status (in mso), or NULL */
	int64_t at;
	int trusted;
} vstate_t;

static void vs_free(vstate_t *v)
{
	vci_cose_sign1_free(&v->cose);
	if (v->chain)
		sk_X509_pop_free(v->chain, X509_free);
	if (v->mso)
		cbor_decref(&v->mso);
	free(v->abytes);
	free(v->doctype);
	free(v->dname);
	json_decref(v->x5c);
	json_decref(v->vij);
	json_decref(v->names);
	json_decref(v->dk);
}

/* ISO 18013-5 Annex B: a document signer's extended key usage, when it
 * has one, includes mdlDS. */
static int ds_eku_check(X509 *ds, vci_err_t *err)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(ds, NID_ext_key_usage, NULL, NULL);
	int found = 0;

	for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku); k++) {
		char oid[64];

		if (OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, k), 1) > 0 &&
		    !strcmp(oid, "1.0.18013.5.1.2"))
			found = 1;
	}
	if (eku && !found) {
		EXTENDED_KEY_USAGE_free(eku);
		return fails(err, "x5chain: the document signer certificate's extended key usage "
			     "does not include mdlDS (1.0.18013.5.1.2)");
	}
	EXTENDED_KEY_USAGE_free(eku);
	return 0;
}

/* The IssuerAuth: a COSE_Sign1 with an x5chain whose leaf signed it, and
 * with trust anchors, a chain up to one of them. */
static int vs_auth(vstate_t *v, const cbor_item_t *auth, const vci_mdoc_verify_opts_t *o,
		   vci_err_t *err)
{
	/* the COSE_Sign1 as bytes, parsed by the COSE module */
	if (vci_cbor_serialize(auth, &v->abytes, &v->alen, err) < 0)
		return -1;
	if (vci_cose_sign1_parse(v->abytes, v->alen, &v->cose, err) < 0)
		return vci_err_prefix(err, "IssuerAuth");
	if (cbor_isa_tag(auth))
		return bad(err, "IssuerAuth: must be an untagged COSE_Sign1");
	v->chain = x5chain_parse(vci_cose_header(&v->cose, VCI_COSE_X5CHAIN), v->x5c, err);
	if (!v->chain)
		return -1;
	if (!v->cose.payload)
		return bad(err, "IssuerAuth: detached payload (the MSO must be attached)");
	if (vci_cose_sign1_verify(&v->cose, X509_get0_pubkey(sk_X509_value(v->chain, 0)), mdoc_algs,
				  NULL, 0, NULL, 0, err) < 0)
		return fails(err, "IssuerAuth: %s", err->msg);
	if (o && o->ca_file) {
		if (vci_x509_verify(v->chain, o->ca_file, (time_t)v->at, err) < 0) {
			char m[sizeof err->msg];

			snprintf(m, sizeof m, "%s", err->msg);
			return fails(err, "x5chain: %s", m);
		}
		if (ds_eku_check(sk_X509_value(v->chain, 0), err) < 0)
			return -1;
		v->trusted = 1;
	}
	return 0;
}

/* The MSO's version, digest algorithm and docType. */
static int vs_mso_fields(vstate_t *v, const vci_mdoc_verify_opts_t *o, vci_err_t *err)
{
	if (!tstr_is(vci_cbor_map_get_str(v->mso, "version"), "1.0"))
		return bad(err, "MSO: version must be \"1.0\"");
	v->dname = tstr_dup(vci_cbor_map_get_str(v->mso, "digestAlgorithm"));
	if (!v->dname || !(v->md = vci_mdoc_digest_md(v->dname)))
		return bad(err, "MSO: digestAlgorithm must be SHA-256, SHA-384 or SHA-512");
	v->doctype = tstr_dup(vci_cbor_map_get_str(v->mso, "docType"));
	if (!v->doctype || !*v->doctype)
		return bad(err, "MSO: docType missing or not a text string");
	if (o && o->doctype && strcmp(o->doctype, v->doctype))
		return fails(err, "MSO: docType is %s, not %s", v->doctype, o->doctype);
	return 0;
}

/* The MSO (the signed payload): its fields, validity at v->at and the
 * device key. */
static int vs_mso(vstate_t *v, const vci_mdoc_verify_opts_t *o, vci_err_t *err)
{
	cbor_item_t *tagged = vci_cbor_load(v->cose.payload, v->cose.payload_len,
					    VCI_CBOR_MAX_DEPTH, err);
	const cbor_item_t *vi, *dki;
	int64_t signed_at, from, until, upd;

	if (!tagged)
		return vci_err_prefix(err, "IssuerAuth payload");
	v->mso = embedded(tagged, "MobileSecurityObjectBytes", err);
	cbor_decref(&tagged);
	if (!v->mso)
		return -1;
	if (!cbor_isa_map(v->mso))
		return bad(err, "MSO: expected a map");
	v->vd = vci_cbor_map_get_str(v->mso, "valueDigests");
	dki = vci_cbor_map_get_str(v->mso, "deviceKeyInfo");
	vi = vci_cbor_map_get_str(v->mso, "validityInfo");
	v->st = vci_cbor_map_get_str(v->mso, "status");
	if (vs_mso_fields(v, o, err) < 0)
		return -1;
	if (!v->vd || !cbor_isa_map(v->vd) || !vi || !cbor_isa_map(vi) || !dki ||
	    !cbor_isa_map(dki))
		return bad(err, "MSO: valueDigests, validityInfo and deviceKeyInfo must be maps");
	if (tdate_of(vi, "signed", 1, &signed_at, v->vij, err) < 0 ||
	    tdate_of(vi, "validFrom", 1, &from, v->vij, err) < 0 ||
	    tdate_of(vi, "validUntil", 1, &until, v->vij, err) < 0 ||
	    tdate_of(vi, "expectedUpdate", 0, &upd, v->vij, err) < 0)
		return -1;
	if (until <= from || signed_at > until)
		return fails(err, "MSO: validityInfo: validUntil must be after validFrom and signed");
	if (v->at < from)
		return fails(err, "MSO: not valid before %s",
			     json_string_value(json_object_get(v->vij, "validFrom")));
	if (v->at >= until)
		return fails(err, "MSO: expired at %s",
			     json_string_value(json_object_get(v->vij, "validUntil")));
	v->dk = vci_mdoc_cose_key_to_jwk(vci_cbor_map_get_str(dki, "deviceKey"), NULL, err);
	if (!v->dk)
		return vci_err_prefix(err, "MSO: deviceKeyInfo");
	return 0;
}

/* The digest of an item's tag-24 bytes as received (heads in their
 * shortest form) into dig. */
static int item_digest(const EVP_MD *md, const uint8_t *p, size_t n, uint8_t *dig,
		       unsigned int *dl)
{
	uint8_t head[18];
	vci_buf_t h = VCI_BUF_FIXED(head);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int ok;

	vci_cbuf_head(&h, 6, TAG_ENCODED_CBOR);
	vci_cbuf_head(&h, 2, n);
	ok = mc && EVP_DigestInit_ex2(mc, md, NULL) == 1 && EVP_DigestUpdate(mc, head, h.len) == 1 &&
	     EVP_DigestUpdate(mc, p, n) == 1 && EVP_DigestFinal_ex(mc, dig, dl) == 1;
	EVP_MD_CTX_free(mc);
	return ok ? 0 : -1;
}

/* A decoded IssuerSignedItem against valueDigests: its digestID unused
 * so far (seen[0..e-1]) and with the digest dig in the MSO; its value
 * into els. */
static int item_check(const char *ns, size_t e, const cbor_item_t *item,
		      const cbor_item_t *digs, const uint8_t *dig, unsigned int dl, json_t *els,
		      uint64_t *seen, vci_err_t *err)
{
	const cbor_item_t *rnd = vci_cbor_map_get_str(item, "random");
	const cbor_item_t *did = vci_cbor_map_get_str(item, "digestID");
	char_auto_t *el = tstr_dup(vci_cbor_map_get_str(item, "elementIdentifier"));
	const cbor_item_t *d;
	const uint8_t *want, *dp;
	size_t wl, dn, s;
	int64_t id;
	json_t *val;

	if (!cbor_isa_map(item) || cbor_map_size(item) != 4 || !did || !cbor_isa_uint(did) ||
	    vci_cbor_get_int(did, &id) < 0 || vci_mdoc_bstr_of(rnd, &want, &wl) < 0 || !el ||
	    !vci_cbor_map_get_str(item, "elementValue"))
		return bad(err, "nameSpaces.%s[%zu]: an IssuerSignedItem is {digestID: uint, random: "
			   "bstr, elementIdentifier: tstr, elementValue: any}", ns, e);
	if (wl < 16)
		return bad(err, "nameSpaces.%s.%s: random is %zu bytes, fewer than 16", ns, el, wl);
	if (json_object_get(els, el))
		return bad(err, "nameSpaces.%s.%s: element given twice", ns, el);
	d = vci_cbor_map_get_int(digs, id);
	for (s = 0; s < e && seen[s] != (uint64_t)id; s++)
		;
	if (s < e)
		return bad(err, "nameSpaces.%s.%s: digestID %lld used twice", ns, el, (long long)id);
	if (!d || vci_mdoc_bstr_of(d, &dp, &dn) < 0)
		return fails(err, "nameSpaces.%s.%s: digestID %lld has no digest in the MSO", ns, el,
			     (long long)id);
	if (!vci_ct_equal(dp, dn, dig, dl))
		return fails(err, "nameSpaces.%s.%s: digest does not match the MSO (digestID %lld)",
			     ns, el, (long long)id);
	val = to_json(vci_cbor_map_get_str(item, "elementValue"), err);
	if (!val)
		return vci_err_prefix(err, "nameSpaces.%s.%s", ns, el);
	seen[e] = (uint64_t)id;
	json_object_set_new(els, el, val);
	return 0;
}

/* Element e of namespace ns: tag 24 over a byte string whose digest is
 * in digs. */
static int vs_item(const vstate_t *v, const char *ns, size_t e, const cbor_item_t *it,
		   const cbor_item_t *digs, json_t *els, uint64_t *seen, vci_err_t *err)
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	const uint8_t *p;
	size_t n;
	cbor_item_t *in, *item;
	int ok;

	if (!cbor_isa_tag(it) || cbor_tag_value(it) != TAG_ENCODED_CBOR)
		return bad(err, "nameSpaces.%s[%zu]: expected tag 24", ns, e);
	in = cbor_tag_item(it);
	ok = vci_mdoc_bstr_of(in, &p, &n) == 0;
	cbor_decref(&in);
	if (!ok)
		return bad(err, "nameSpaces.%s[%zu]: tag 24 must hold a byte string", ns, e);
	if (item_digest(v->md, p, n, dig, &dl) < 0)
		return bad(err, "digest failed");
	item = vci_cbor_load(p, n, VCI_CBOR_MAX_DEPTH, err);
	if (!item)
		return vci_err_prefix(err, "nameSpaces.%s[%zu]", ns, e);
	ok = item_check(ns, e, item, digs, dig, dl, els, seen, err);
	cbor_decref(&item);
	return ok;
}

/* One namespace of nameSpaces: every disclosed item's digest over its
 * tag-24 bytes, as in valueDigests; the values into v->names. */
static int vs_namespace(vstate_t *v, struct cbor_pair pr, vci_err_t *err)
{
	char_auto_t *ns = tstr_dup(pr.key);
	const cbor_item_t *digs = ns ? vci_cbor_map_get_str(v->vd, ns) : NULL;
	json_t *els = json_object();
	uint64_t *seen;
	size_t nitems;

	if (!ns || !els || json_object_get(v->names, ns) || !cbor_isa_array(pr.value) ||
	    !cbor_array_size(pr.value)) {
		json_decref(els);
		return bad(err, "nameSpaces: keys must be distinct text strings, values non-empty arrays");
	}
	json_object_set_new(v->names, ns, els);
	if (!digs || !cbor_isa_map(digs))
		return fails(err, "nameSpaces.%s: no valueDigests for this namespace", ns);
	nitems = cbor_array_size(pr.value);
	seen = calloc(nitems, sizeof *seen);
	if (!seen)
		return vci_err_oom(err);
	for (size_t e = 0; e < nitems; e++)
		if (vs_item(v, ns, e, cbor_array_handle(pr.value)[e], digs, els, seen, err) < 0) {
			free(seen);
			return -1;
		}
	free(seen);
	return 0;
}

/* The result object of a verified IssuerSigned (mdoc.h). */
static json_t *vs_result(const vstate_t *v, vci_err_t *err)
{
	json_t *res = json_object();

	if (!res) {
		vci_err_oom(err);
		return NULL;
	}
	json_object_set_new(res, "docType", json_string(v->doctype));
	json_object_set_new(res, "digestAlgorithm", json_string(v->dname));
	json_object_set_new(res, "validityInfo", json_incref(v->vij));
	json_object_set_new(res, "deviceKey", json_incref(v->dk));
	if (v->st) {
		json_t *sj = to_json(v->st, err);

		if (!sj) {
			json_decref(res);
			vci_err_prefix(err, "MSO: status");
			return NULL;
		}
		json_object_set_new(res, "status", sj);
	}
	json_object_set_new(res, "x5chain", json_incref(v->x5c));
	json_object_set_new(res, "trusted", json_boolean(v->trusted));
	json_object_set_new(res, "nameSpaces", json_incref(v->names));
	return res;
}

int vci_mdoc_verify_item(const cbor_item_t *is, const vci_mdoc_verify_opts_t *o, json_t **out,
			 vci_err_t *err)
{
	const cbor_item_t *auth = vci_cbor_map_get_str(is, "issuerAuth");
	const cbor_item_t *nss = vci_cbor_map_get_str(is, "nameSpaces");
	vstate_t v = { .x5c = json_array(), .vij = json_object(), .names = json_object(),
		       .at = o && o->at ? o->at : vci_time_now() };
	int rc = -1;

	*out = NULL;
	if (!v.x5c || !v.vij || !v.names)
		vci_err_oom(err);
	else if (!is || !cbor_isa_map(is))
		bad(err, "IssuerSigned: expected a map");
	else if (!auth)
		bad(err, "IssuerSigned: issuerAuth missing");
	else if (vs_auth(&v, auth, o, err) == 0 && vs_mso(&v, o, err) == 0) {
		if (nss && !cbor_isa_map(nss)) {
			bad(err, "IssuerSigned: nameSpaces must be a map");
			goto out;
		}
		for (size_t k = 0; nss && k < cbor_map_size(nss); k++)
			if (vs_namespace(&v, cbor_map_handle(nss)[k], err) < 0)
				goto out;
		*out = vs_result(&v, err);
		rc = *out ? 0 : -1;
	}
out:
	vs_free(&v);
	return rc;
}

int vci_mdoc_verify_issuer_signed(const uint8_t *buf, size_t len,
				  const vci_mdoc_verify_opts_t *o, json_t **out, vci_err_t *err)
{
	cbor_item_t *root;
	int rc;

	*out = NULL;
	if (len > VCI_MDOC_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
				   "IssuerSigned: %zu bytes, at most %u", len, VCI_MDOC_MAX);
	root = vci_cbor_load(buf, len, VCI_CBOR_MAX_DEPTH, err);
	if (!root)
		return vci_err_prefix(err, "IssuerSigned");
	rc = vci_mdoc_verify_item(root, o, out, err);
	cbor_decref(&root);
	return rc;
}

int vci_mdoc_verify(const uint8_t *buf, size_t len, const vci_mdoc_verify_opts_t *o,
		    json_t **out, vci_err_t *err)
{
	cbor_item_t *root;
	const cbor_item_t *docs;
	json_t *arr = json_array();
	int rc = -1;

	*out = NULL;
	if (!arr)
		return vci_err_oom(err);
	if (len > VCI_MDOC_MAX) {
		json_decref(arr);
		return vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
				   "mdoc: %zu bytes, at most %u", len, VCI_MDOC_MAX);
	}
	root = vci_cbor_load(buf, len, VCI_CBOR_MAX_DEPTH, err);
	if (!root) {
		json_decref(arr);
		return vci_err_prefix(err, "mdoc");
	}
	docs = vci_cbor_map_get_str(root, "documents");
	if (!docs && vci_cbor_map_get_str(root, "issuerSigned") && !vci_cbor_map_get_str(root, "issuerAuth")) {
		/* a single Document {docType, issuerSigned[, deviceSigned]} */
		char *dt = tstr_dup(vci_cbor_map_get_str(root, "docType"));
		vci_mdoc_verify_opts_t o2 = { 0 };
		json_t *r = NULL;

		if (o)
			o2 = *o;
		if (!dt) {
			bad(err, "Document: docType missing or not a text string");
		} else if (o && o->doctype && strcmp(o->doctype, dt)) {
			fails(err, "Document: docType is %s, not %s", dt, o->doctype);
		} else {
			o2.doctype = dt;
			rc = vci_mdoc_verify_item(vci_cbor_map_get_str(root, "issuerSigned"), &o2, &r, err);
			if (rc < 0)
				vci_err_prefix(err, "Document");
			else
				json_array_append_new(arr, r);
		}
		free(dt);
	} else if (!docs) {
		json_t *r = NULL;

		rc = vci_mdoc_verify_item(root, o, &r, err);
		if (rc == 0)
			json_array_append_new(arr, r);
	} else if (!cbor_isa_array(docs) || !cbor_array_size(docs)) {
		bad(err, "DeviceResponse: documents must be a non-empty array");
	} else {
		rc = 0;
		for (size_t k = 0; k < cbor_array_size(docs) && rc == 0; k++) {
			const cbor_item_t *d = cbor_array_handle(docs)[k];
			char *dt = tstr_dup(vci_cbor_map_get_str(d, "docType"));
			vci_mdoc_verify_opts_t o2 = { 0 };
			json_t *r = NULL;

			if (o)
				o2 = *o;
			if (!dt || !vci_cbor_map_get_str(d, "issuerSigned")) {
				rc = bad(err, "DeviceResponse: documents[%zu] needs docType and issuerSigned", k);
			} else if (o && o->doctype && strcmp(o->doctype, dt)) {
				rc = fails(err, "documents[%zu]: docType is %s, not %s", k, dt, o->doctype);
			} else {
				o2.doctype = dt;
				rc = vci_mdoc_verify_item(vci_cbor_map_get_str(d, "issuerSigned"), &o2, &r, err);
				if (rc < 0)
					vci_err_prefix(err, "documents[%zu]", k);
				else
					json_array_append_new(arr, r);
			}
			free(dt);
		}
	}
	cbor_decref(&root);
	if (rc < 0) {
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
}
