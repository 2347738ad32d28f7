/* test-dpop.c - DPoP proofs: the RFC 9449 examples (jose.md V-4), their
 * negative variants, htu comparison and the jti replay cache. */
#include "base/common.h"
#include "oid4vci/dpop.h"
#include "oid4vci/request.h"
#include "tap.h"

#include <string.h>
#include <unistd.h>

#define TOKEN_PROOF "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
#define REFRESH_PROOF "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjY1Mjk2fQ.pAqut2IRDm_De6PR93SYmGBPXpwrAk90e8cP2hjiaG5QsGSuKDYW7_X620BxqhvYC8ynrrvZLTk41mSRroapUA"
#define RESOURCE_PROOF "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define TOKEN "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
#define ATH "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"

static int check(const char *jwt, const vci_dpop_policy_t *p, vci_err_t *err, char *jkt)
{
	vci_dpop_result_t r;
	int rc;

	vci_err_clear(err);
	rc = vci_dpop_verify(jwt, strlen(jwt), p, &r, err);
	if (rc == 0 && jkt)
		memcpy(jkt, r.jkt, 44);
	vci_dpop_result_free(&r);
	return rc;
}

/* RFC 9449 section 4.3 step 9 with RFC 3986 section 6.2.2 and 6.2.3: each
 * rule, as a URI and its normalised form. */
static const struct { const char *rule, *in, *want; } htu_cases[] = {
	{ "query and fragment dropped", "https://a.example/t?x=1#f", "https://a.example/t" },
	{ "fragment without query dropped", "https://a.example/t#f?x", "https://a.example/t" },
	{ "scheme case", "HTTPS://a.example/t", "https://a.example/t" },
	{ "host case", "https://A.Example.COM/t", "https://a.example.com/t" },
	{ "path case kept", "https://a.example/Token", "https://a.example/Token" },
	{ "https default port removed", "https://a.example:443/t", "https://a.example/t" },
	{ "http default port removed", "http://a.example:80/t", "http://a.example/t" },
	{ "other port kept", "https://a.example:8443/t", "https://a.example:8443/t" },
	{ "port of the other scheme kept", "https://a.example:80/t", "https://a.example:80/t" },
	{ "empty port removed", "https://a.example:/t", "https://a.example/t" },
	{ "unreserved escapes decoded", "https://a.example/%7Euser/%41%2d%2E%5f",
	  "https://a.example/~user/A-._" },
	{ "escape hex in upper case", "https://a.example/a%2fb%3a", "https://a.example/a%2Fb%3A" },
	{ "escaped host decoded", "https://%61.example/t", "https://a.example/t" },
	{ "dot segments removed", "https://a.example/a/./b/../c", "https://a.example/a/c" },
	{ "escaped dot segments removed", "https://a.example/a/%2E%2e/c", "https://a.example/c" },
	{ "trailing dot-dot", "https://a.example/a/b/..", "https://a.example/a/" },
	{ "empty path is /", "https://a.example", "https://a.example/" },
	{ "empty path with query is /", "https://a.example?x", "https://a.example/" },
	{ "IPv6 literal, default port", "https://[::1]:443/t", "https://[::1]/t" },
};

static void test_htu(void)
{
	vci_err_t err = { 0 };

	for (size_t i = 0; i < sizeof htu_cases / sizeof htu_cases[0]; i++) {
		char *n = vci_dpop_htu_normalize(htu_cases[i].in, &err);

		tap_is_str(n ? n : "(null)", htu_cases[i].want, "htu: %s: %s", htu_cases[i].rule,
			   n ? "" : err.msg);
		free(n);
	}
	tap_ok(vci_dpop_htu_equal("HTTPS://A.example:443/%7e/x/../t?q#f", "https://a.example/~/t"),
	       "htu: all rules at once compare equal");
	tap_ok(!vci_dpop_htu_equal("https://a.example/t", "https://a.example/T"),
	       "htu: paths differing in case differ");
	tap_ok(!vci_dpop_htu_equal("https://a.example/a%2Fb", "https://a.example/a/b"),
	       "htu: an escaped reserved character is not the character");
	tap_ok(!vci_dpop_htu_equal("https://a.example/t", "http://a.example/t"),
	       "htu: schemes differ");
	tap_ok(!vci_dpop_htu_equal("https://a.example:8443/t", "https://a.example/t"),
	       "htu: ports differ");
	vci_err_clear(&err);
	tap_ok(vci_dpop_htu_normalize("/token", &err) == NULL && strstr(err.msg, "absolute URL"),
	       "htu: a relative reference is not a URL: %s", err.msg);
	tap_ok(vci_dpop_htu_normalize("https://a.example:99999/", &err) == NULL,
	       "htu: a port out of range is refused: %s", err.msg);
	tap_ok(vci_dpop_htu_normalize("https://a.example/a b", &err) == NULL,
	       "htu: a space in the path is refused: %s", err.msg);
	tap_ok(!vci_dpop_htu_equal("/t", "/t"), "htu: relative references never match");
	tap_ok(vci_dpop_htu_normalize("https://a.example/%%341", &err) == NULL &&
	       strstr(err.msg, "two hex digits"), "htu: a bare %% is refused: %s", err.msg);
	tap_ok(vci_dpop_htu_normalize("https://a.example/%4", &err) == NULL,
	       "htu: a truncated escape is refused");
	tap_ok(vci_dpop_htu_normalize("HTTPS://Serve%7FsZyIencodb-keya/%2eIkVDIiwiYoke", &err) == NULL &&
	       strstr(err.msg, "the host holds an escape"),
	       "htu: an escaped DEL in the host is refused (it would not parse again): %s", err.msg);
	tap_ok(vci_dpop_htu_normalize("https://a%2Fb.example/t", &err) == NULL,
	       "htu: an escaped reserved character in the host is refused");
	{	/* normalising twice changes nothing */
		char *a = vci_dpop_htu_normalize("HTTPS://%41.Example:443/a/%2e%2E/%7e%2f?q", &err);
		char *b = a ? vci_dpop_htu_normalize(a, &err) : NULL;

		tap_ok(a && b && !strcmp(a, b) && !strcmp(a, "https://a.example/~%2F"),
		       "htu: normalisation is idempotent: %s", b ? b : err.msg);
		free(a);
		free(b);
	}
}

/* vci_request_dpop_jti_hash: the same jti under the same URI written
 * differently gives one hash, whether its normal form was computed or
 * remembered (more URIs than the thread remembers, each twice). */
static void test_jti_hash(void)
{
	static const char *const uris[] = {
		"https://server.example.com/token", "HTTPS://Server.example.com:443/token",
		"https://server.example.com/a/../%74oken?x=1", "https://server.example.com/credential",
		"https://server.example.com/nonce", "https://server.example.com/deferred",
	};
	uint8_t h[2][6][32];
	vci_err_t err = { 0 };
	int ok = 1;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 6; i++)
			ok &= vci_request_dpop_jti_hash(uris[i], "jti-1", h[round][i], &err) == 0;
	tap_ok(ok, "jti hash: computed for every URI: %s", err.msg);
	tap_ok(!memcmp(h[0][0], h[0][1], 32) && !memcmp(h[0][0], h[0][2], 32) &&
	       !memcmp(h[1][0], h[1][2], 32), "jti hash: one hash for one URI written three ways");
	tap_ok(!memcmp(h[0], h[1], sizeof h[0]), "jti hash: the same hashes the second time");
	tap_ok(memcmp(h[0][0], h[0][3], 32) && memcmp(h[0][3], h[0][4], 32),
	       "jti hash: other URIs, other hashes");
	tap_ok(vci_request_dpop_jti_hash("server.example.com/token", "jti-1", h[0][0], &err) < 0,
	       "jti hash: a URI that is not a URL refused: %s", err.msg);
	tap_ok(vci_request_dpop_jti_hash(NULL, "jti-1", h[0][0], &err) < 0,
	       "jti hash: no URI refused: %s", err.msg);
}

int main(void)
{
	vci_dpop_policy_t p = { 0 };
	vci_err_t err = { 0 };
	char jkt[44] = "", ath[44];
	char path[] = "/tmp/test-dpop-XXXXXX";
	int fd;

	test_htu();
	test_jti_hash();
	tap_ok(vci_dpop_ath(TOKEN, ath) == 0, "ath computed");
	tap_is_str(ath, ATH, "ath of the RFC 9449 access token");

	p.htm = "POST";
	p.htu = "https://server.example.com/token";
	p.now = 1562262616;
	tap_ok(check(TOKEN_PROOF, &p, &err, jkt) == 0, "token request proof: %s", err.msg);
	tap_is_str(jkt, JKT, "jkt of the RFC 9449 key");
	p.htu = "https://SERVER.example.com/token?x=1#f";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == 0, "htu ignores query, fragment, host case");
	p.htu = "https://server.example.com/tokens";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "\"htu\""),
	       "other htu refused: %s", err.msg);
	p.htu = "HTTPS://server.example.com:443/a/../%74oken";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == 0,
	       "htu compared normalised (port, dot segments, escapes): %s", err.msg);
	p.htu = "server.example.com/token";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && err.status == VCI_EXIT_USAGE &&
	       strstr(err.msg, "the request"), "request URI not a URL is a usage error: %s",
	       err.msg);
	p.htu = "https://server.example.com/token";
	p.htm = "GET";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "\"htm\"") &&
	       !strcmp(err.code, "invalid_dpop_proof"), "other htm refused: %s", err.msg);
	p.htm = "POST";
	p.now = 1562262616 + 3600;
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "seconds old"),
	       "clock far from iat refused: %s", err.msg);
	p.now = 1562262616;
	p.nonce = "n-1";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && !strcmp(err.code, "use_dpop_nonce"),
	       "nonce required: %s", err.msg);
	p.nonce = NULL;
	p.jkt = "AAAAOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "bound"),
	       "token bound to another jkt: %s", err.msg);
	p.jkt = JKT;
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == 0, "token bound to this jkt");
	p.jkt = NULL;
	p.now = 1562265296;
	tap_ok(check(REFRESH_PROOF, &p, &err, NULL) == 0, "refresh proof: %s", err.msg);

	p.htm = "GET";
	p.htu = "https://resource.example.org/protectedresource";
	p.now = 1562262618;
	p.access_token = TOKEN;
	tap_ok(check(RESOURCE_PROOF, &p, &err, NULL) == 0, "resource proof with ath: %s", err.msg);
	p.access_token = "another-token";
	tap_ok(check(RESOURCE_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "ath"),
	       "wrong ath refused: %s", err.msg);
	p.access_token = TOKEN;
	p.htm = "POST";
	p.htu = "https://server.example.com/token";
	tap_ok(check(TOKEN_PROOF, &p, &err, NULL) == -1 && strstr(err.msg, "\"ath\" missing"),
	       "ath missing refused: %s", err.msg);

	/* replay cache: same jti within the window refused, after it accepted */
	fd = mkstemp(path);
	close(fd);
	tap_ok(vci_jti_cache_add(path, "https://server.example.com/token", "-BwC3ESc6acc2lTc",
				 1562262616, 1562262616 + 360, &err) == 0, "first use recorded: %s",
	       err.msg);
	tap_ok(vci_jti_cache_add(path, "https://server.example.com/token?q", "-BwC3ESc6acc2lTc",
				 1562262620, 1562262620 + 360, &err) == -1 &&
	       strstr(err.msg, "replay"), "replay within the window refused: %s", err.msg);
	tap_ok(vci_jti_cache_add(path, "https://other.example.com/token", "-BwC3ESc6acc2lTc",
				 1562262620, 1562262620 + 360, &err) == 0,
	       "same jti for another URI accepted");
	tap_ok(vci_jti_cache_add(path, "https://server.example.com/token", "-BwC3ESc6acc2lTc",
				 1562265296, 1562265296 + 360, &err) == 0,
	       "same jti 2680 s later accepted (entry expired): %s", err.msg);
	for (int i = 0; i < 100; i++) {
		char jti[16];

		snprintf(jti, sizeof jti, "j%d", i);
		if (vci_jti_cache_add(path, "https://a.example/", jti, 1562270000 + i * 1000,
				      1562270000 + i * 1000 + 10, &err) < 0)
			break;
	}
	{
		size_t len = 0;
		char *c = tap_slurp(path, &len);
		size_t lines = 0;

		for (size_t i = 0; c && i < len; i++)
			lines += c[i] == '\n';
		tap_ok(c && lines < 70, "expired entries are compacted away (%zu lines)", lines);
		free(c);
	}
	{	/* a torn last line (crash mid-append) is tolerated */
		FILE *f = fopen(path, "a");

		fputs("99999999999 half", f);
		fclose(f);
		tap_ok(vci_jti_cache_add(path, "https://b.example/", "x", 1562270000, 1562270100,
					 &err) == 0 &&
		       vci_jti_cache_add(path, "https://b.example/", "x", 1562270001, 1562270100,
					 &err) == -1, "torn line tolerated, next entry kept");
	}
	tap_ok(vci_jti_cache_add(path, "https://C.example:443/t", "y", 1562270000, 1562270100,
				 &err) == 0 &&
	       vci_jti_cache_add(path, "https://c.example/t?q", "y", 1562270001, 1562270100,
				 &err) == -1, "jti cache keys on the normalised URI");
	unlink(path);
	return tap_done();
}
