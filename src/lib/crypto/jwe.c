/* jwe.c - JWE compact, ECDH-ES direct key agreement, A128GCM/A256GCM
 * (RFC 7516, RFC 7518 sections 4.6 and 5.3) on OpenSSL EVP. */
#include "crypto/jwe.h"
#include "crypto/keys.h"
#include "base/b64url.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <string.h>

#define CODE "invalid_encryption_parameters"
#define IV_LEN 12
#define TAG_LEN 16
#define KEY_MAX 32

const char *const vci_jwe_algs[] = { "ECDH-ES", NULL };
const char *const vci_jwe_encs[] = { "A128GCM", "A256GCM", NULL };

static const EVP_CIPHER *enc_cipher(const char *enc, size_t *keylen)
{
	if (enc && !strcmp(enc, "A128GCM")) {
		*keylen = 16;
		return EVP_aes_128_gcm();
	}
	if (enc && !strcmp(enc, "A256GCM")) {
		*keylen = 32;
		return EVP_aes_256_gcm();
	}
	return NULL;
}

int vci_jwe_enc_supported(const char *enc)
{
	size_t k;

	return enc_cipher(enc, &k) != NULL;
}

/* Append a 32-bit big-endian length then the bytes (RFC 7518 4.6.2). */
static uint8_t *put_field(uint8_t *p, const uint8_t *b, size_t n)
{
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	if (n)
		memcpy(p + 4, b, n);
	return p + 4 + n;
}

/* Concat KDF over Z: SSKDF with SHA-256, FixedInfo = AlgorithmID ||
 * PartyUInfo || PartyVInfo || SuppPubInfo (keydatalen in bits). */
static int concat_kdf(const uint8_t *z, size_t zlen, const char *alg_id, const uint8_t *apu,
		      size_t apu_len, const uint8_t *apv, size_t apv_len, uint8_t *key,
		      size_t keylen, vci_err_t *err)
{
	size_t alen = strlen(alg_id);
	size_t ilen = 4 + alen + 4 + apu_len + 4 + apv_len + 4;
	uint8_auto_t *info = malloc(ilen);
	uint8_t *p;
	uint32_t bits = (uint32_t)(keylen * 8);
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[4];
	int ok;

	if (!info)
		return vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory");
	p = put_field(info, (const uint8_t *)alg_id, alen);
	p = put_field(p, apu, apu_len);
	p = put_field(p, apv, apv_len);
	p[0] = (uint8_t)(bits >> 24);
	p[1] = (uint8_t)(bits >> 16);
	p[2] = (uint8_t)(bits >> 8);
	p[3] = (uint8_t)bits;
	kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, ilen);
	params[3] = OSSL_PARAM_construct_end();
	ok = kctx && EVP_KDF_derive(kctx, key, keylen, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : vci_err_ssl(err, VCI_EXIT_IO, "server_error", "JWE: Concat KDF");
}

int vci_jwe_ecdh_es_kdf(EVP_PKEY *priv, EVP_PKEY *peer, const char *alg_id,
			const uint8_t *apu, size_t apu_len, const uint8_t *apv, size_t apv_len,
			uint8_t *key, size_t keylen, vci_err_t *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	uint8_t z[132];
	size_t zlen = sizeof z;
	int rc;

	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zlen) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return vci_err_ssl(err, VCI_EXIT_FAIL, CODE,
				   "JWE: ECDH with the recipient key failed");
	}
	EVP_PKEY_CTX_free(ctx);
	rc = concat_kdf(z, zlen, alg_id, apu, apu_len, apv, apv_len, key, keylen, err);
	OPENSSL_cleanse(z, sizeof z);
	return rc;
}

/* A fresh key on the curve of `peer`. */
static EVP_PKEY *ephemeral_key(EVP_PKEY *peer, vci_err_t *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	EVP_PKEY *k = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1)
		vci_err_ssl(err, VCI_EXIT_IO, "server_error", "JWE: ephemeral key");
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* AES-GCM over pt with aad; out gets ciphertext (len bytes) and tag. */
static int gcm_seal(const EVP_CIPHER *c, const uint8_t *key, const uint8_t iv[IV_LEN],
		    const char *aad, const uint8_t *pt, size_t len, uint8_t *ct,
		    uint8_t tag[TAG_LEN], vci_err_t *err)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = x && len <= INT32_MAX && EVP_EncryptInit_ex2(x, c, key, iv, NULL) == 1 &&
	     EVP_EncryptUpdate(x, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
	     EVP_EncryptUpdate(x, ct, &n, pt, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(x, ct + n, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : vci_err_ssl(err, VCI_EXIT_IO, "server_error", "JWE: AES-GCM");
}

static int gcm_open(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv,
		    const char *aad, size_t aad_len, const uint8_t *ct, size_t len,
		    uint8_t *tag, uint8_t *pt)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = x && len <= INT32_MAX && aad_len <= INT32_MAX &&
	     EVP_DecryptInit_ex2(x, c, key, iv, NULL) == 1 &&
	     EVP_DecryptUpdate(x, NULL, &n, (const uint8_t *)aad, (int)aad_len) == 1 &&
	     EVP_DecryptUpdate(x, pt, &n, ct, (int)len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
	     EVP_DecryptFinal_ex(x, pt + n, &n) == 1;
	EVP_CIPHER_CTX_free(x);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* The protected header of an encryption: alg, enc, epk, kid, extras. */
static json_t *enc_header(const json_t *recipient, const char *enc, EVP_PKEY *eph,
			  const json_t *extra, vci_err_t *err)
{
	json_auto_t *h = json_pack("{s:s, s:s}", "alg", "ECDH-ES", "enc", enc);
	json_t *epk = vci_jwk_from_pkey(eph, err);
	const json_t *kid = json_object_get(recipient, "kid");
	const char *k;
	json_t *v;

	if (!h || !epk || json_object_set_new(h, "epk", epk) < 0) {
		if (!err->msg[0])
			vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory");
		return NULL;
	}
	if (json_is_string(kid))
		json_object_set(h, "kid", (json_t *)kid);
	json_object_foreach((json_t *)extra, k, v) {
		if (!strcmp(k, "alg") || !strcmp(k, "enc") || !strcmp(k, "epk") ||
		    !strcmp(k, "zip")) {
			vci_err_set(err, VCI_EXIT_FAIL, CODE, "JWE: header member \"%s\" is set "
				    "by the encryption", k);
			return NULL;
		}
		json_object_set(h, k, v);
	}
	return json_incref(h);
}

/* The recipient's parameters checked and its key imported. */
static EVP_PKEY *recipient_key(const json_t *recipient, const char *enc, const char *zip,
			       vci_err_t *err)
{
	const json_t *alg = json_object_get(recipient, "alg");
	const char *kty = json_string_value(json_object_get(recipient, "kty"));
	json_auto_t *bare = NULL;
	const char *use;
	EVP_PKEY *pk;

	if (!json_is_object(recipient))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "jwk: not a JWK object"), NULL;
	if (alg && (!json_is_string(alg) || strcmp(json_string_value(alg), "ECDH-ES")))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "jwk: \"alg\" %s is not supported "
				   "(ECDH-ES)", json_is_string(alg) ? json_string_value(alg) :
				   "(not a string)"), NULL;
	if (!vci_jwe_enc_supported(enc))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "enc: \"%s\" is not supported "
				   "(A128GCM, A256GCM)", enc ? enc : ""), NULL;
	if (zip)
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "zip: \"%s\" is not supported (no "
				   "compression)", zip), NULL;
	if (!kty || strcmp(kty, "EC"))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "jwk: key type \"%s\" cannot do "
				   "ECDH-ES here (EC P-256, P-384, P-521)", kty ? kty : ""), NULL;
	if (vci_jwk_has_private(recipient))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "jwk: holds a private key"), NULL;
	use = json_string_value(json_object_get(recipient, "use"));
	if (use && strcmp(use, "enc"))
		return vci_err_set(err, VCI_EXIT_FAIL, CODE, "jwk: \"use\" is \"%s\", not enc",
				   use), NULL;
	/* its "alg", "use" and "key_ops" name key agreement, which the
	 * signature key import would refuse */
	bare = json_deep_copy(recipient);
	if (!bare)
		return vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory"), NULL;
	json_object_del(bare, "alg");
	json_object_del(bare, "use");
	json_object_del(bare, "key_ops");
	pk = vci_jwk_to_pkey(bare, 0, err);
	if (!pk) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "%s", CODE);
	}
	return pk;
}

int vci_jwe_recipient_check(const json_t *recipient, const char *enc, const char *zip,
			    vci_err_t *err)
{
	EVP_PKEY *pk = recipient_key(recipient, enc, zip, err);

	EVP_PKEY_free(pk);
	return pk ? 0 : -1;
}

/* Join the five parts: header..iv.ct.tag. */
static char *compact(const char *h64, const uint8_t *iv, const uint8_t *ct, size_t len,
		     const uint8_t *tag)
{
	size_t hl = strlen(h64);
	size_t total = hl + 2 + vci_b64url_len(IV_LEN) + 1 + vci_b64url_len(len) + 1 +
		       vci_b64url_len(TAG_LEN) + 1;
	char *out = malloc(total), *p;

	if (!out)
		return NULL;
	memcpy(out, h64, hl);
	p = out + hl;
	*p++ = '.';
	*p++ = '.';
	p += vci_b64url_encode_to(p, iv, IV_LEN);
	*p++ = '.';
	p += vci_b64url_encode_to(p, ct, len);
	*p++ = '.';
	p += vci_b64url_encode_to(p, tag, TAG_LEN);
	*p = '\0';
	return out;
}

char *vci_jwe_encrypt(const json_t *recipient, const char *enc, const char *zip,
		      const json_t *extra, const uint8_t *pt, size_t len, vci_err_t *err)
{
	EVP_PKEY_auto_t *peer = recipient_key(recipient, enc, zip, err);
	EVP_PKEY_auto_t *eph = NULL;
	json_auto_t *h = NULL;
	char_auto_t *hjson = NULL;
	char_auto_t *h64 = NULL;
	uint8_auto_t *ct = NULL;
	uint8_t cek[KEY_MAX], iv[IV_LEN], tag[TAG_LEN];
	size_t keylen = 0;
	const EVP_CIPHER *c = enc_cipher(enc, &keylen);
	char *out = NULL;

	if (!peer || !(eph = ephemeral_key(peer, err)))
		return NULL;
	if (!(h = enc_header(recipient, enc, eph, extra, err)))
		return NULL;
	hjson = vci_json_dumps(h, JSON_COMPACT);
	h64 = hjson ? vci_b64url_encode((const uint8_t *)hjson, strlen(hjson)) : NULL;
	ct = malloc(len ? len : 1);
	if (!h64 || !ct) {
		vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory");
		return NULL;
	}
	if (vci_jwe_ecdh_es_kdf(eph, peer, enc, NULL, 0, NULL, 0, cek, keylen, err) < 0)
		return NULL;
	if (RAND_bytes(iv, IV_LEN) != 1)
		vci_err_ssl(err, VCI_EXIT_IO, "server_error", "JWE: random IV");
	else if (gcm_seal(c, cek, iv, h64, pt, len, ct, tag, err) == 0 &&
		 !(out = compact(h64, iv, ct, len, tag)))
		vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory");
	OPENSSL_cleanse(cek, sizeof cek);
	return out;
}

/* ---- decryption ---- */

static int bad_jwe(vci_err_t *err, const char *why)
{
	return vci_err_set(err, VCI_EXIT_INPUT, CODE, "JWE: %s", why);
}

/* The protected header's algorithms: ECDH-ES, a supported enc, no zip,
 * no crit; the ephemeral public key imported. */
static EVP_PKEY *dec_header(const json_t *h, const char **enc, vci_err_t *err)
{
	const json_t *epk = json_object_get(h, "epk");
	const char *alg = json_string_value(json_object_get(h, "alg"));
	EVP_PKEY *pk;

	*enc = json_string_value(json_object_get(h, "enc"));
	if (!alg || strcmp(alg, "ECDH-ES"))
		return bad_jwe(err, "\"alg\" must be ECDH-ES"), NULL;
	if (!vci_jwe_enc_supported(*enc))
		return bad_jwe(err, "\"enc\" must be A128GCM or A256GCM"), NULL;
	if (json_object_get(h, "zip") || json_object_get(h, "crit"))
		return bad_jwe(err, "\"zip\" and \"crit\" are not supported"), NULL;
	if (!json_is_object(epk) || vci_jwk_has_private(epk) ||
	    !json_is_string(json_object_get(epk, "kty")) ||
	    strcmp(json_string_value(json_object_get(epk, "kty")), "EC"))
		return bad_jwe(err, "\"epk\" must be a public EC JWK"), NULL;
	pk = vci_jwk_to_pkey(epk, 0, err);
	if (!pk)
		bad_jwe(err, "\"epk\" is not a usable EC public key");
	return pk;
}

/* The five parts of a compact JWE: offsets and lengths. */
static int split5(const char *s, size_t len, const char *part[5], size_t plen[5])
{
	size_t i = 0, start = 0;

	for (size_t k = 0; k <= len; k++) {
		if (k < len && s[k] != '.')
			continue;
		if (i == 5)
			return -1;
		part[i] = s + start;
		plen[i++] = k - start;
		start = k + 1;
	}
	return i == 5 ? 0 : -1;
}

int vci_jwe_decrypt(const char *s, size_t len, EVP_PKEY *key, uint8_t **pt, size_t *pt_len,
		    json_t **header, vci_err_t *err)
{
	const char *part[5];
	size_t plen[5], keylen = 0, ivlen, ctlen, taglen;
	json_auto_t *h = NULL;
	EVP_PKEY_auto_t *epk = NULL;
	uint8_auto_t *iv = NULL;
	uint8_auto_t *ct = NULL;
	uint8_auto_t *tag = NULL;
	uint8_t cek[KEY_MAX];
	const EVP_CIPHER *c;
	const char *enc;
	uint8_t *out;
	int rc;

	*pt = NULL;
	*pt_len = 0;
	if (header)
		*header = NULL;
	if (!s || len > VCI_JWE_MAX || split5(s, len, part, plen) < 0)
		return bad_jwe(err, "not a compact JWE (five parts)");
	if (plen[1] != 0)
		return bad_jwe(err, "an encrypted key is not expected with ECDH-ES");
	if (!(h = vci_b64url_decode_json(part[0], plen[0], "JWE header", err)) ||
	    !json_is_object(h))
		return bad_jwe(err, "the protected header is not a JSON object");
	if (!(epk = dec_header(h, &enc, err)))
		return -1;
	if (vci_b64url_decode(part[2], plen[2], &iv, &ivlen, err) < 0 || ivlen != IV_LEN ||
	    vci_b64url_decode(part[3], plen[3], &ct, &ctlen, err) < 0 ||
	    vci_b64url_decode(part[4], plen[4], &tag, &taglen, err) < 0 || taglen != TAG_LEN)
		return bad_jwe(err, "bad IV, ciphertext or tag");
	out = malloc(ctlen + 1);
	if (!out)
		return vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "JWE: out of memory");
	c = enc_cipher(enc, &keylen);
	rc = vci_jwe_ecdh_es_kdf(key, epk, enc, NULL, 0, NULL, 0, cek, keylen, err);
	if (rc == 0 && gcm_open(c, cek, iv, part[0], plen[0], ct, ctlen, tag, out) < 0)
		rc = -1;
	OPENSSL_cleanse(cek, sizeof cek);
	if (rc < 0) {
		OPENSSL_clear_free(out, ctlen + 1);
		return bad_jwe(err, "decryption failed");
	}
	out[ctlen] = '\0';
	*pt = out;
	*pt_len = ctlen;
	if (header)
		*header = json_incref(h);
	return 0;
}
