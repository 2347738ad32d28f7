/* did.c - did:key (multibase base58btc, multicodec varint) and did:jwk
 * for P-256 and Ed25519 public keys. */
#include "did.h"
#include "base/b64url.h"
#include "keys.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#define MC_ED25519 0xed
#define MC_X25519 0xec
#define MC_P256 0x1200
#define MC_P384 0x1201
#define MC_SECP256K1 0xe7

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58 (Bitcoin alphabet). Returns chars written (without NUL), or 0 if
 * out is too small. */
static size_t b58_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	size_t zeros = 0, size, i, n;
	uint8_t digits[128] = { 0 };

	while (zeros < len && in[zeros] == 0)
		zeros++;
	size = (len - zeros) * 138 / 100 + 1;
	if (size > sizeof digits)
		return 0;
	for (i = zeros; i < len; i++) {
		unsigned carry = in[i];

		for (size_t j = size; j-- > 0;) {
			carry += 256u * digits[j];
			digits[j] = carry % 58;
			carry /= 58;
		}
	}
	for (i = 0; i < size && digits[i] == 0; i++)
		;
	n = zeros + (size - i);
	if (n + 1 > outsz)
		return 0;
	memset(out, '1', zeros);
	for (size_t k = zeros; i < size; i++, k++)
		out[k] = b58[digits[i]];
	out[n] = '\0';
	return n;
}

/* Base58 decode into out (at most outsz bytes). Returns length or -1. */
static int b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsz)
{
	uint8_t buf[128] = { 0 };
	size_t zeros = 0, size = sizeof buf, i, start;

	if (slen > 170)
		return -1;
	while (zeros < slen && s[zeros] == '1')
		zeros++;
	for (i = zeros; i < slen; i++) {
		const char *p = memchr(b58, s[i], sizeof b58 - 1);
		unsigned carry;

		if (!s[i] || !p)
			return -1;
		carry = (unsigned)(p - b58);
		for (size_t j = size; j-- > 0;) {
			carry += 58u * buf[j];
			buf[j] = carry & 0xff;
			carry >>= 8;
		}
		if (carry)
			return -1;
	}
	for (start = 0; start < size && buf[start] == 0; start++)
		;
	if (zeros + (size - start) > outsz)
		return -1;
	memset(out, 0, zeros);
	memcpy(out + zeros, buf + start, size - start);
	return (int)(zeros + size - start);
}

/* Unsigned LEB128 varint (multiformats). */
static size_t varint_put(uint64_t v, uint8_t *out)
{
	size_t n = 0;

	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		out[n++] = b | (v ? 0x80 : 0);
	} while (v);
	return n;
}

static int varint_get(const uint8_t *in, size_t len, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < len && i < 9; i++) {
		r |= (uint64_t)(in[i] & 0x7f) << (7 * i);
		if (!(in[i] & 0x80)) {
			if (i > 0 && in[i] == 0)
				return -1; /* not minimal */
			*v = r;
			return (int)i + 1;
		}
	}
	return -1;
}

/* The multibase value (z...) for a key. */
static int key_multibase(EVP_PKEY *pk, char *out, size_t outsz, vci_err_t *err)
{
	uint8_t buf[8 + 33];
	size_t n;

	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		size_t len = 32;

		n = varint_put(MC_ED25519, buf);
		if (EVP_PKEY_get_raw_public_key(pk, buf + n, &len) != 1 || len != 32)
			return vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "did:key: bad Ed25519 key");
		n += 32;
	} else if (vci_key_alg_ok(pk, "ES256")) {
		BIGNUM *x = NULL, *y = NULL;
		int ok;

		n = varint_put(MC_P256, buf);
		ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
		     EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
		     BN_bn2binpad(x, buf + n + 1, 32) == 32;
		if (ok)
			buf[n] = BN_is_odd(y) ? 0x03 : 0x02;
		BN_free(x);
		BN_free(y);
		if (!ok)
			return vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "did:key: bad P-256 key");
		n += 33;
	} else {
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				   "did:key: only P-256 and Ed25519 keys are supported");
	}
	if (outsz < 2)
		return -1;
	out[0] = 'z';
	if (!b58_encode(buf, n, out + 1, outsz - 1))
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "did:key: encoding failed");
	return 0;
}

char *vci_did_key_from_pkey(EVP_PKEY *pk, vci_err_t *err)
{
	char mb[128], *out;

	if (key_multibase(pk, mb, sizeof mb, err) < 0)
		return NULL;
	out = malloc(strlen(mb) + 9);
	if (!out) {
		vci_err_oom_at(err, "did:key");
		return NULL;
	}
	strcpy(out, "did:key:");
	strcat(out, mb);
	return out;
}

char *vci_did_jwk_from_pkey(EVP_PKEY *pk, vci_err_t *err)
{
	json_auto_t *jwk = vci_jwk_from_pkey(pk, err);
	char_auto_t *txt = NULL;
	char *b64, *out;

	if (!jwk)
		return NULL;
	txt = vci_json_dump(jwk);
	if (!txt || !(b64 = vci_b64url_encode((const uint8_t *)txt, strlen(txt)))) {
		vci_err_oom_at(err, "did:jwk");
		return NULL;
	}
	out = malloc(strlen(b64) + 9);
	if (out) {
		strcpy(out, "did:jwk:");
		strcat(out, b64);
	} else {
		vci_err_oom_at(err, "did:jwk");
	}
	free(b64);
	return out;
}

static EVP_PKEY *resolve_key(const char *id, size_t idlen, const char *frag, vci_err_t *err)
{
	uint8_t raw[128];
	uint64_t codec;
	int n, h;
	size_t klen;
	EVP_PKEY *pk = NULL;

	if (idlen < 2 || id[0] != 'z')
		goto bad;
	if (frag && (strlen(frag) != idlen || memcmp(frag, id, idlen))) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did",
			    "did:key: fragment does not identify the key");
		return NULL;
	}
	n = b58_decode(id + 1, idlen - 1, raw, sizeof raw);
	if (n < 0)
		goto bad;
	h = varint_get(raw, (size_t)n, &codec);
	if (h < 0)
		goto bad;
	klen = (size_t)n - (size_t)h;
	switch (codec) {
	case MC_ED25519:
		if (klen != 32)
			goto badlen;
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + h, 32);
		break;
	case MC_P256:
	case MC_P384: {
		OSSL_PARAM_BLD *bld;
		OSSL_PARAM *params = NULL;
		EVP_PKEY_CTX *ctx = NULL;
		int p256 = codec == MC_P256;

		if (klen != (p256 ? 33u : 49u) || (raw[h] != 2 && raw[h] != 3))
			goto badlen;
		bld = OSSL_PARAM_BLD_new();
		if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
							   p256 ? "prime256v1" : "secp384r1", 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw + h, klen))
			params = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
		    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
			pk = NULL;
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
		EVP_PKEY_CTX_free(ctx);
		if (pk) {
			ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
			if (!ctx || EVP_PKEY_public_check(ctx) != 1) {
				EVP_PKEY_free(pk);
				pk = NULL;
			}
			EVP_PKEY_CTX_free(ctx);
		}
		break;
	}
	case MC_X25519:
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did",
			    "did:key: X25519 is a key agreement key, not a signing key");
		return NULL;
	default:
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did",
			    "did:key: unsupported multicodec 0x%llx", (unsigned long long)codec);
		return NULL;
	}
	if (!pk)
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_did", "did:key: invalid public key");
	ERR_clear_error();
	return pk;
badlen:
	vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "did:key: wrong key length for its codec");
	return NULL;
bad:
	vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "did:key: malformed multibase value");
	return NULL;
}

static EVP_PKEY *resolve_jwk(const char *id, size_t idlen, const char *frag, json_t **out,
			     vci_err_t *err)
{
	json_auto_t *jwk = NULL;
	EVP_PKEY *pk;

	if (frag && strcmp(frag, "0")) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did",
			    "did:jwk: fragment must be \"#0\"");
		return NULL;
	}
	jwk = vci_b64url_decode_json(id, idlen, "did:jwk", err);
	if (!jwk) {
		if (err)
			err->status = VCI_EXIT_KEY;
		return NULL;
	}
	if (!json_is_object(jwk)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "did:jwk: not a JWK object");
		return NULL;
	}
	if (vci_jwk_has_private(jwk)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "did:jwk: JWK holds private members");
		return NULL;
	}
	pk = vci_jwk_to_pkey(jwk, 0, err);
	if (!pk) {
		vci_err_prefix(err, "did:jwk");
		return NULL;
	}
	if (out)
		*out = json_incref(jwk);
	return pk;
}

EVP_PKEY *vci_did_resolve(const char *did, json_t **jwk, vci_err_t *err)
{
	const char *hash, *id, *frag = NULL;
	size_t idlen;
	EVP_PKEY *pk;
	int is_key;

	if (jwk)
		*jwk = NULL;
	if (!did) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "no DID given");
		return NULL;
	}
	if (!strncmp(did, "did:key:", 8))
		is_key = 1;
	else if (!strncmp(did, "did:jwk:", 8))
		is_key = 0;
	else {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did",
			    "%.40s: unsupported DID method (did:key, did:jwk)", did);
		return NULL;
	}
	id = did + 8;
	hash = strchr(id, '#');
	idlen = hash ? (size_t)(hash - id) : strlen(id);
	if (hash)
		frag = hash + 1;
	if (memchr(id, '?', idlen) || memchr(id, '/', idlen) || memchr(id, ':', idlen)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_did", "DID URL paths and queries are not supported");
		return NULL;
	}
	if (is_key) {
		pk = resolve_key(id, idlen, frag, err);
		if (pk && jwk) {
			*jwk = vci_jwk_from_pkey(pk, err);
			if (!*jwk) {
				EVP_PKEY_free(pk);
				pk = NULL;
			}
		}
		return pk;
	}
	return resolve_jwk(id, idlen, frag, jwk, err);
}
