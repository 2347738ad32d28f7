/* cose.c - COSE_Sign1 over libcbor, and bounded CBOR decoding. */
#include "cose.h"
#include "ecdsa.h"
#include "keys.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

/* ---- algorithms ---- */

const char *vci_cose_alg_name(int64_t alg)
{
	switch (alg) {
	case -7:
	case -9:
		return "ES256";
	case -35:
		return "ES384";
	case -36:
		return "ES512";
	case -8:
		return "EdDSA";
	case -37:
		return "PS256";
	default:
		return NULL;
	}
}

static const EVP_MD *alg_md(const char *alg)
{
	if (!strcmp(alg, "ES256") || !strcmp(alg, "PS256"))
		return EVP_sha256();
	if (!strcmp(alg, "ES384"))
		return EVP_sha384();
	if (!strcmp(alg, "ES512"))
		return EVP_sha512();
	return NULL;
}

static size_t ec_half(const char *alg)
{
	if (!strcmp(alg, "ES256"))
		return 32;
	if (!strcmp(alg, "ES384"))
		return 48;
	if (!strcmp(alg, "ES512"))
		return 66;
	return 0;
}

/* Sig_structure = ["Signature1", protected, external_aad, payload]. */
static int sig_structure(const uint8_t *prot, size_t plen, const uint8_t *aad, size_t alen,
			 const uint8_t *payload, size_t len, uint8_t **out, size_t *outlen,
			 vci_err_t *err)
{
	cbor_auto_t *arr = cbor_new_definite_array(4);
	cbor_item_t *items[4];
	int ok = 1;

	if (!arr)
		return vci_err_oom(err);
	items[0] = cbor_build_string("Signature1");
	items[1] = cbor_build_bytestring(prot, plen);
	items[2] = cbor_build_bytestring(aad ? aad : (const uint8_t *)"", alen);
	items[3] = cbor_build_bytestring(payload ? payload : (const uint8_t *)"", len);
	for (int i = 0; i < 4; i++) {
		if (!items[i] || !cbor_array_push(arr, items[i]))
			ok = 0;
		if (items[i])
			cbor_decref(&items[i]);
	}
	if (!ok)
		return vci_err_oom(err);
	return vci_cbor_serialize(arr, out, outlen, err);
}

static int sign_raw(EVP_PKEY *key, const char *alg, const uint8_t *tbs, size_t len,
		    uint8_t **sig, size_t *siglen, vci_err_t *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	size_t dl = 0, half = ec_half(alg);
	int rc = -1;

	if (!ctx)
		return vci_err_oom(err);
	if (EVP_DigestSignInit(ctx, &pctx, alg_md(alg), NULL, key) != 1 ||
	    (!strcmp(alg, "PS256") &&
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1)) ||
	    EVP_DigestSign(ctx, NULL, &dl, tbs, len) != 1 || !(der = malloc(dl)) ||
	    EVP_DigestSign(ctx, der, &dl, tbs, len) != 1) {
		vci_err_ssl(err, VCI_EXIT_KEY, "signing_failed", "COSE: signing with %s failed", alg);
		goto out;
	}
	if (half) {
		uint8_t *raw = malloc(2 * half);

		if (!raw || vci_ecdsa_der_to_raw(der, dl, half, raw) < 0) {
			free(raw);
			vci_err_set(err, VCI_EXIT_KEY, "signing_failed", "COSE: bad ECDSA signature");
			goto out;
		}
		*sig = raw;
		*siglen = 2 * half;
	} else {
		*sig = der;
		*siglen = dl;
		der = NULL;
	}
	rc = 0;
out:
	free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int vci_cose_sign1(EVP_PKEY *key, const char *alg, const cbor_item_t *protected_extra,
		   const cbor_item_t *unprotected, const uint8_t *payload, size_t payload_len,
		   const uint8_t *aad, size_t aad_len, int tagged, uint8_t **out, size_t *outlen,
		   vci_err_t *err)
{
	size_t nextra = protected_extra ? cbor_map_size(protected_extra) : 0;
	cbor_auto_t *prot = cbor_new_definite_map(1 + nextra);
	cbor_auto_t *empty = cbor_new_definite_map(0);
	cbor_auto_t *msg = cbor_new_definite_array(4);
	cbor_auto_t *tag = NULL;
	uint8_auto_t *pbytes = NULL;
	uint8_auto_t *tbs = NULL;
	uint8_auto_t *sig = NULL;
	size_t plen = 0, tlen = 0, slen = 0;
	cbor_item_t *items[4];
	int cose_alg, ok = 1;

	if (!alg)
		alg = vci_key_default_alg(key);
	cose_alg = vci_cose_alg_from_jose(alg);
	if (!alg || !cose_alg || !vci_cose_alg_name(cose_alg) || !vci_key_alg_ok(key, alg))
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "COSE: algorithm %s does not fit the key",
				   alg ? alg : "(none)");
	if (!prot || !empty || !msg)
		return vci_err_oom(err);
	if (vci_cbor_map_add_int(prot, VCI_COSE_ALG, vci_cbor_int(cose_alg)) < 0)
		return vci_err_oom(err);
	for (size_t i = 0; i < nextra; i++) {
		struct cbor_pair pr = cbor_map_handle(protected_extra)[i];

		if (!cbor_map_add(prot, pr))
			return vci_err_oom(err);
	}
	if (vci_cbor_serialize(prot, &pbytes, &plen, err) < 0 ||
	    sig_structure(pbytes, plen, aad, aad_len, payload, payload_len, &tbs, &tlen, err) < 0 ||
	    sign_raw(key, alg, tbs, tlen, &sig, &slen, err) < 0)
		return -1;
	items[0] = cbor_build_bytestring(pbytes, plen);
	items[1] = cbor_incref((cbor_item_t *)(unprotected ? unprotected : empty));
	items[2] = cbor_build_bytestring(payload ? payload : (const uint8_t *)"", payload_len);
	items[3] = cbor_build_bytestring(sig, slen);
	for (int i = 0; i < 4; i++) {
		if (!items[i] || !cbor_array_push(msg, items[i]))
			ok = 0;
		if (items[i])
			cbor_decref(&items[i]);
	}
	if (!ok)
		return vci_err_oom(err);
	if (tagged) {
		tag = cbor_build_tag(VCI_COSE_TAG_SIGN1, msg);
		if (!tag)
			return vci_err_oom(err);
	}
	return vci_cbor_serialize(tagged ? tag : msg, out, outlen, err);
}

/* ---- parsing and verification ---- */

void vci_cose_sign1_free(vci_cose_sign1_t *msg)
{
	if (!msg)
		return;
	if (msg->root)
		cbor_decref(&msg->root);
	if (msg->protected_map)
		cbor_decref(&msg->protected_map);
	memset(msg, 0, sizeof *msg);
}

static int cose_err(vci_err_t *err, const char *why)
{
	return vci_err_set(err, VCI_EXIT_INPUT, "invalid_cose", "COSE_Sign1: %s", why);
}

static int is_bstr(const cbor_item_t *i)
{
	return i && cbor_isa_bytestring(i) && cbor_bytestring_is_definite(i);
}

int vci_cose_sign1_parse(const uint8_t *buf, size_t len, vci_cose_sign1_t *msg, vci_err_t *err)
{
	cbor_item_t *arr;
	const cbor_item_t *prot, *unprot, *payload, *sig;
	int64_t alg;

	memset(msg, 0, sizeof *msg);
	msg->root = vci_cbor_load(buf, len, VCI_CBOR_MAX_DEPTH, err);
	if (!msg->root)
		return vci_err_prefix(err, "COSE_Sign1");
	arr = msg->root;
	if (cbor_isa_tag(arr) && cbor_tag_value(arr) == VCI_CWT_TAG) {
		cbor_item_t *in = cbor_tag_item(arr); /* new reference */

		cbor_decref(&in); /* still owned by the tag */
		arr = in;
		if (!cbor_isa_tag(arr)) {
			vci_cose_sign1_free(msg);
			return cose_err(err, "a CWT tag must wrap a tagged COSE message");
		}
	}
	if (cbor_isa_tag(arr)) {
		cbor_item_t *in;

		if (cbor_tag_value(arr) != VCI_COSE_TAG_SIGN1) {
			vci_cose_sign1_free(msg);
			return cose_err(err, "not tagged as COSE_Sign1 (18)");
		}
		in = cbor_tag_item(arr);
		cbor_decref(&in);
		arr = in;
	}
	if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
		vci_cose_sign1_free(msg);
		return cose_err(err, "not an array of 4");
	}
	prot = cbor_array_handle(arr)[0];
	unprot = cbor_array_handle(arr)[1];
	payload = cbor_array_handle(arr)[2];
	sig = cbor_array_handle(arr)[3];
	if (!is_bstr(prot) || !cbor_isa_map(unprot) || !is_bstr(sig) ||
	    !(is_bstr(payload) || (cbor_isa_float_ctrl(payload) && cbor_is_null(payload)))) {
		vci_cose_sign1_free(msg);
		return cose_err(err, "bad structure (protected bstr, unprotected map, payload, signature bstr)");
	}
	msg->protected_raw = cbor_bytestring_handle(prot);
	msg->protected_len = cbor_bytestring_length(prot);
	msg->unprotected = unprot;
	if (is_bstr(payload)) {
		msg->payload = cbor_bytestring_handle(payload);
		msg->payload_len = cbor_bytestring_length(payload);
		if (!msg->payload)
			msg->payload = (const uint8_t *)"";
	}
	msg->sig = cbor_bytestring_handle(sig);
	msg->sig_len = cbor_bytestring_length(sig);
	if (msg->protected_len == 0) {
		vci_cose_sign1_free(msg);
		return cose_err(err, "empty protected header (alg must be protected)");
	}
	msg->protected_map = vci_cbor_load(msg->protected_raw, msg->protected_len, VCI_CBOR_MAX_DEPTH, err);
	if (!msg->protected_map) {
		vci_cose_sign1_free(msg);
		return vci_err_prefix(err, "COSE_Sign1 protected header");
	}
	if (!cbor_isa_map(msg->protected_map) ||
	    vci_cbor_get_int(vci_cbor_map_get_int(msg->protected_map, VCI_COSE_ALG), &alg) < 0) {
		vci_cose_sign1_free(msg);
		return cose_err(err, "protected header must be a map with an integer alg (1)");
	}
	if (vci_cbor_map_get_int(unprot, VCI_COSE_ALG)) {
		vci_cose_sign1_free(msg);
		return cose_err(err, "alg (1) in the unprotected header");
	}
	msg->alg = alg;
	return 0;
}

const cbor_item_t *vci_cose_header(const vci_cose_sign1_t *msg, int64_t label)
{
	const cbor_item_t *v = vci_cbor_map_get_int(msg->protected_map, label);

	return v ? v : vci_cbor_map_get_int(msg->unprotected, label);
}

int vci_cose_sign1_verify(const vci_cose_sign1_t *msg, EVP_PKEY *key, const char *const *allowed,
			  const uint8_t *aad, size_t aad_len, const uint8_t *payload,
			  size_t payload_len, vci_err_t *err)
{
	const char *alg = vci_cose_alg_name(msg->alg);
	uint8_auto_t *tbs = NULL;
	uint8_t *der = NULL;
	const uint8_t *s = msg->sig;
	size_t tlen, slen = msg->sig_len, half;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!alg)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature",
				   "COSE: unsupported algorithm %lld", (long long)msg->alg);
	if (allowed) {
		int found = 0;

		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], alg))
				found = 1;
		if (!found)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature",
					   "COSE: algorithm %s is not allowed", alg);
	}
	if (!vci_key_alg_ok(key, alg))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature",
				   "COSE: algorithm %s does not fit the key", alg);
	if (!payload) {
		payload = msg->payload;
		payload_len = msg->payload_len;
	}
	if (!payload)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature", "COSE: detached payload not given");
	if (sig_structure(msg->protected_raw, msg->protected_len, aad, aad_len, payload, payload_len,
			  &tbs, &tlen, err) < 0)
		return -1;
	half = ec_half(alg);
	if (half) {
		if (msg->sig_len != 2 * half)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature",
					   "COSE: %s signature must be %zu bytes, not %zu", alg, 2 * half,
					   msg->sig_len);
		der = vci_ecdsa_raw_to_der(msg->sig, msg->sig_len, &slen);
		if (!der)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature", "COSE: bad signature");
		s = der;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestVerifyInit(ctx, &pctx, alg_md(alg), NULL, key) == 1 &&
	    (strcmp(alg, "PS256") ||
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1)) &&
	    EVP_DigestVerify(ctx, s, slen, tbs, tlen) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	free(der);
	ERR_clear_error();
	if (!ok)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_signature", "COSE: signature does not verify");
	return 0;
}

/* ---- prepared signer ---- */

struct vci_cose_signer {
	const char *alg;
	vci_sign_ctx_t sc;      /* ECDSA: digest then sign; EdDSA: DigestSign */
	size_t half;            /* ECDSA: bytes of R and of S */
	vci_buf_t tbs_prefix;  /* 84 6a "Signature1" bstr(protected) 40 */
	vci_buf_t headers;     /* bstr(protected) unprotected-map */
	vci_buf_t scratch;     /* EdDSA: the whole Sig_structure */
};

void vci_cose_signer_free(vci_cose_signer_t *s)
{
	if (!s)
		return;
	vci_sign_ctx_free(&s->sc);
	vci_buf_free(&s->tbs_prefix);
	vci_buf_free(&s->headers);
	vci_buf_free(&s->scratch);
	free(s);
}

const char *vci_cose_signer_alg(const vci_cose_signer_t *s)
{
	return s ? s->alg : NULL;
}

vci_cose_signer_t *vci_cose_signer_new(EVP_PKEY *key, const char *alg,
				       const cbor_item_t *protected_extra,
				       const cbor_item_t *unprotected, vci_err_t *err)
{
	size_t nextra = protected_extra ? cbor_map_size(protected_extra) : 0;
	cbor_auto_t *prot = cbor_new_definite_map(1 + nextra);
	cbor_auto_t *empty = cbor_new_definite_map(0);
	uint8_auto_t *pbytes = NULL;
	uint8_auto_t *ubytes = NULL;
	size_t plen = 0, ulen = 0;
	vci_cose_signer_t *s;
	int cose_alg;

	if (!key || !(alg = alg ? alg : vci_key_default_alg(key)) ||
	    !(cose_alg = vci_cose_alg_from_jose(alg)) || !vci_cose_alg_name(cose_alg) ||
	    !strcmp(alg, "PS256") || !vci_key_alg_ok(key, alg)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "COSE: algorithm %s does not fit the key",
			    alg ? alg : "(none)");
		return NULL;
	}
	if (!prot || !empty || vci_cbor_map_add_int(prot, VCI_COSE_ALG, vci_cbor_int(cose_alg)) < 0)
		goto oom;
	for (size_t i = 0; i < nextra; i++)
		if (!cbor_map_add(prot, cbor_map_handle(protected_extra)[i]))
			goto oom;
	if (vci_cbor_serialize(prot, &pbytes, &plen, err) < 0 ||
	    vci_cbor_serialize(unprotected ? unprotected : empty, &ubytes, &ulen, err) < 0)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		goto oom;
	s->alg = vci_cose_alg_name(cose_alg);
	s->half = ec_half(s->alg);
	vci_cbuf_head(&s->tbs_prefix, 4, 4);
	vci_cbuf_str(&s->tbs_prefix, "Signature1");
	vci_cbuf_bstr(&s->tbs_prefix, pbytes, plen);
	vci_cbuf_bstr(&s->tbs_prefix, NULL, 0);
	vci_cbuf_bstr(&s->headers, pbytes, plen);
	vci_cbuf_raw(&s->headers, ubytes, ulen);
	if (s->tbs_prefix.failed || s->headers.failed) {
		vci_cose_signer_free(s);
		goto oom;
	}
	if (vci_sign_ctx_init(&s->sc, key, s->half ? EVP_MD_get0_name(alg_md(s->alg)) : NULL) < 0) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "COSE: cannot set up %s signing", s->alg);
		vci_cose_signer_free(s);
		return NULL;
	}
	return s;
oom:
	vci_err_oom(err);
	return NULL;
}

int vci_cose_signer_sign(vci_cose_signer_t *s, const uint8_t *payload, size_t len,
			 vci_buf_t *out, vci_err_t *err)
{
	uint8_t head[10], dgst[EVP_MAX_MD_SIZE], der[160], raw[2 * 66];
	vci_buf_t h = VCI_BUF_FIXED(head);
	unsigned int dlen = 0;
	size_t siglen = sizeof der;
	const uint8_t *sig = der;

	vci_cbuf_head(&h, 2, len);
	if (s->half) {
		if (EVP_DigestInit_ex2(s->sc.mdctx, s->sc.md, NULL) != 1 ||
		    EVP_DigestUpdate(s->sc.mdctx, s->tbs_prefix.buf, s->tbs_prefix.len) != 1 ||
		    EVP_DigestUpdate(s->sc.mdctx, head, h.len) != 1 ||
		    EVP_DigestUpdate(s->sc.mdctx, payload, len) != 1 ||
		    EVP_DigestFinal_ex(s->sc.mdctx, dgst, &dlen) != 1 ||
		    EVP_PKEY_sign(s->sc.pctx, der, &siglen, dgst, dlen) != 1)
			goto ssl;
		if (vci_ecdsa_own_der_to_raw(der, siglen, s->half, raw) < 0)
			return vci_err_set(err, VCI_EXIT_KEY, "signing_failed",
					   "COSE: unexpected ECDSA signature from OpenSSL");
		sig = raw;
		siglen = 2 * s->half;
	} else {
		s->scratch.len = 0;
		vci_cbuf_raw(&s->scratch, s->tbs_prefix.buf, s->tbs_prefix.len);
		vci_cbuf_raw(&s->scratch, head, h.len);
		vci_cbuf_raw(&s->scratch, payload, len);
		if (s->scratch.failed)
			return vci_err_oom(err);
		if (EVP_DigestSignInit_ex(s->sc.mdctx, NULL, NULL, NULL, NULL, s->sc.key, NULL) != 1 ||
		    EVP_DigestSign(s->sc.mdctx, der, &siglen, s->scratch.buf, s->scratch.len) != 1)
			goto ssl;
	}
	vci_cbuf_head(out, 4, 4);
	vci_cbuf_raw(out, s->headers.buf, s->headers.len);
	vci_cbuf_bstr(out, payload, len);
	vci_cbuf_bstr(out, sig, siglen);
	if (out->failed)
		return vci_err_oom(err);
	return 0;
ssl:
	return vci_err_ssl(err, VCI_EXIT_KEY, "signing_failed", "COSE: %s signing failed", s->alg);
}
