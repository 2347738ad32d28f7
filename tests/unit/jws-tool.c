/* jws-tool - test helper over libvci's keys, JWK, DID and JWS code, so
 * that tests can check our output with independent implementations.
 * Not installed.
 *
 *   jws-tool sign KEY ALG [--pass SPEC] [--header JSON] < payload
 *   jws-tool verify PUBKEY ALG[,ALG...] < jws      (prints the payload)
 *   jws-tool verify-x5c ALG[,ALG...] < jws         (key from x5c[0])
 *   jws-tool load KEY [--pass SPEC]                (prints the default alg)
 *   jws-tool jwk KEYFILE                           (public JWK)
 *   jws-tool thumbprint < jwk
 *   jws-tool did-key KEYFILE | did-jwk KEYFILE
 *   jws-tool did-resolve DID                       (prints the JWK)
 */
#include "base/common.h"
#include "crypto/did.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <string.h>

static const char *prog = "jws-tool";

static int die(const vci_err_t *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg);
	return err->status ? err->status : 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: %s sign KEY ALG [--pass SPEC] [--header JSON] < payload\n"
		"       %s verify PUBKEY ALG[,ALG...] < jws\n"
		"       %s verify-x5c ALG[,ALG...] < jws\n"
		"       %s load KEY [--pass SPEC]\n"
		"       %s jwk KEYFILE | thumbprint < jwk\n"
		"       %s did-key KEYFILE | did-jwk KEYFILE | did-resolve DID\n",
		prog, prog, prog, prog, prog, prog);
	return VCI_EXIT_USAGE;
}

/* Options after the positional arguments. */
static int opts(int argc, char **argv, int first, const char **pass, const char **header)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--pass") && i + 1 < argc && pass)
			*pass = argv[++i];
		else if (!strcmp(argv[i], "--header") && i + 1 < argc && header)
			*header = argv[++i];
		else
			return -1;
	}
	return 0;
}

static char *read_stdin(size_t *len, vci_err_t *err)
{
	char *buf = vci_read_file(NULL, VCI_MAX_DOCUMENT, len, err);

	/* tolerate one trailing newline on tokens */
	while (buf && *len && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		buf[--*len] = '\0';
	return buf;
}

static const char **alg_list(char *spec)
{
	static const char *list[16];
	size_t n = 0;

	for (char *t = strtok(spec, ","); t && n < 15; t = strtok(NULL, ","))
		list[n++] = t;
	list[n] = NULL;
	return list;
}

static int do_verify(EVP_PKEY *pk, const char *const *allowed, const char *buf, size_t len,
		     vci_jws_t *jws, vci_err_t *err)
{
	if (vci_jws_verify(jws, pk, allowed, err) < 0)
		return die(err);
	(void)buf;
	(void)len;
	fwrite(jws->payload_raw, 1, jws->payload_len, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	vci_err_t err = { 0 };
	const char *cmd;

	if (argc < 2)
		return usage();
	cmd = argv[1];

	if (!strcmp(cmd, "sign") && argc >= 4) {
		const char *pass = NULL, *hdr = NULL;
		EVP_PKEY_auto_t *pk = NULL;
		json_auto_t *header = NULL;
		char_auto_t *payload = NULL, *jws = NULL;
		size_t len;

		if (opts(argc, argv, 4, &pass, &hdr) < 0)
			return usage();
		if (!(pk = vci_key_load_private(argv[2], pass, &err)))
			return die(&err);
		if (hdr && !(header = vci_json_parse(hdr, strlen(hdr), "--header", &err)))
			return die(&err);
		if (!(payload = vci_read_file(NULL, VCI_MAX_DOCUMENT, &len, &err)))
			return die(&err);
		jws = vci_jws_sign(pk, strcmp(argv[3], "-") ? argv[3] : NULL, header,
				   (const uint8_t *)payload, len, &err);
		if (!jws)
			return die(&err);
		puts(jws);
		return 0;
	}
	if (!strcmp(cmd, "verify") && argc == 4) {
		EVP_PKEY_auto_t *pk = NULL;
		char_auto_t *buf = NULL;
		vci_jws_t jws;
		size_t len;
		int rc;

		if (!(pk = vci_key_load_public(argv[2], &err)))
			return die(&err);
		if (!(buf = read_stdin(&len, &err)))
			return die(&err);
		if (vci_jws_parse(buf, len, &jws, &err) < 0)
			return die(&err);
		rc = do_verify(pk, alg_list(argv[3]), buf, len, &jws, &err);
		vci_jws_free(&jws);
		return rc;
	}
	if (!strcmp(cmd, "verify-x5c") && argc == 3) {
		EVP_PKEY_auto_t *pk = NULL;
		char_auto_t *buf = NULL;
		STACK_OF(X509) *chain;
		vci_jws_t jws;
		size_t len;
		int rc;

		if (!(buf = read_stdin(&len, &err)))
			return die(&err);
		if (vci_jws_parse(buf, len, &jws, &err) < 0)
			return die(&err);
		chain = vci_x5c_parse(json_object_get(jws.header, "x5c"), &err);
		if (!chain) {
			vci_jws_free(&jws);
			return die(&err);
		}
		pk = X509_get_pubkey(sk_X509_value(chain, 0));
		sk_X509_pop_free(chain, X509_free);
		if (!pk) {
			vci_jws_free(&jws);
			fprintf(stderr, "%s: x5c[0]: unsupported key\n", prog);
			return VCI_EXIT_KEY;
		}
		rc = do_verify(pk, alg_list(argv[2]), buf, len, &jws, &err);
		vci_jws_free(&jws);
		return rc;
	}
	if (!strcmp(cmd, "load") && argc >= 3) {
		const char *pass = NULL;
		EVP_PKEY_auto_t *pk = NULL;

		if (opts(argc, argv, 3, &pass, NULL) < 0)
			return usage();
		if (!(pk = vci_key_load_private(argv[2], pass, &err)))
			return die(&err);
		puts(vci_key_default_alg(pk));
		return 0;
	}
	if ((!strcmp(cmd, "jwk") || !strcmp(cmd, "did-key") || !strcmp(cmd, "did-jwk")) &&
	    argc == 3) {
		EVP_PKEY_auto_t *pk = vci_key_load_public(argv[2], &err);
		char_auto_t *out = NULL;

		if (!pk)
			return die(&err);
		if (!strcmp(cmd, "jwk")) {
			json_auto_t *jwk = vci_jwk_from_pkey(pk, &err);

			if (!jwk)
				return die(&err);
			out = vci_json_dump(jwk);
		} else if (!strcmp(cmd, "did-key")) {
			out = vci_did_key_from_pkey(pk, &err);
		} else {
			out = vci_did_jwk_from_pkey(pk, &err);
		}
		if (!out)
			return die(&err);
		puts(out);
		return 0;
	}
	if (!strcmp(cmd, "thumbprint") && argc == 2) {
		json_auto_t *jwk = vci_json_load_file(NULL, &err);
		char tp[44];

		if (!jwk || vci_jwk_thumbprint(jwk, tp, &err) < 0)
			return die(&err);
		puts(tp);
		return 0;
	}
	if (!strcmp(cmd, "did-resolve") && argc == 3) {
		json_auto_t *jwk = NULL;
		EVP_PKEY_auto_t *pk = vci_did_resolve(argv[2], &jwk, &err);
		char_auto_t *out = NULL;

		if (!pk)
			return die(&err);
		out = vci_json_dump(jwk);
		puts(out);
		return 0;
	}
	return usage();
}
