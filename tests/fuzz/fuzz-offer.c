/* fuzz-offer.c - libFuzzer target over Credential Offer link parsing: the
 * input is parsed as a link; an accepted offer by value must survive a
 * round trip through vci_offer_link unchanged, and an accepted URI must
 * too. The input is also tried as an offer object (vci_offer_check) and as
 * percent-encoded text. */
#include "base/common.h"
#include "base/url.h"
#include "oid4vci/offer.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vci_offer_parsed_t p, back;
	vci_err_t err = { 0 };
	char *out = NULL;
	size_t olen = 0;
	json_t *j;

	if (vci_offer_parse_link((const char *)data, size, &p, &err) == 0) {
		char *link = vci_offer_link("openid-credential-offer", p.offer, p.offer_uri, &err);

		if (!link)
			__builtin_trap();
		if (vci_offer_parse_link(link, strlen(link), &back, &err) != 0)
			__builtin_trap();
		if (p.offer && !json_equal(p.offer, back.offer))
			__builtin_trap();
		if (p.offer_uri && (!back.offer_uri || strcmp(p.offer_uri, back.offer_uri)))
			__builtin_trap();
		vci_offer_parsed_clear(&back);
		free(link);
		vci_offer_parsed_clear(&p);
	}
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j) {
		vci_offer_check(j, &err);
		json_decref(j);
	}
	if (vci_url_decode((const char *)data, size, 1, &out, &olen, &err) == 0) {
		char *enc = vci_url_encode(out, olen, ":/,", NULL), *again = NULL;
		size_t alen = 0;

		if (!enc || vci_url_decode(enc, strlen(enc), 0, &again, &alen, &err) != 0 ||
		    alen != olen || memcmp(again, out, olen))
			__builtin_trap();
		free(enc);
		free(again);
		free(out);
	}
	return 0;
}
