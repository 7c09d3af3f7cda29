/*
 * dns.c: raw DNS answers, as res_nquery() would return them.
 *
 * The input is a DNS message.  Checked: dkim_dns_parse() either fails
 * with one of its documented errors and keeps nothing, or keeps 1 to
 * DKIM_MAX_TXTRECS records, each NUL-terminated at its length with no
 * NUL inside and at most DKIM_MAX_TXT bytes.  (The records are not parsed
 * as key records here: OpenSSL's key decoding would take most of the
 * time, and the keyrec harness does that.)
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_txt txt;
	size_t i;
	int r;

	memset(&txt, 0xa5, sizeof(txt));	/* must be fully reset */
	r = dkim_dns_parse(data, size, &txt);
	if (r != 0) {
		CHECK(r == DKIM_ERR_DNS_TEMP || r == DKIM_ERR_DNS_PERM ||
		    r == DKIM_ERR_ALLOC, "dns_parse: undocumented error");
		CHECK(txt.n == 0 && txt.extra == 0 && txt.secure == 0,
		    "dns_parse: records kept on failure");
		for (i = 0; i < DKIM_MAX_TXTRECS; i++)
			CHECK(txt.rec[i] == NULL, "dns_parse: stale pointer");
		CHECK(r == DKIM_ERR_DNS_PERM || txt.nulrecs == 0,
		    "dns_parse: NUL records counted on a temporary error");
		return 0;
	}
	CHECK(txt.n >= 1 && txt.n <= DKIM_MAX_TXTRECS, "dns_parse: count");
	CHECK(txt.secure == 0 || txt.secure == 1, "dns_parse: secure flag");
	for (i = 0; i < DKIM_MAX_TXTRECS; i++) {
		if (i >= txt.n) {
			CHECK(txt.rec[i] == NULL, "dns_parse: stale pointer");
			continue;
		}
		CHECK(txt.rec[i] != NULL && txt.len[i] <= DKIM_MAX_TXT &&
		    txt.len[i] < size, "dns_parse: record length");
		CHECK(txt.rec[i][txt.len[i]] == '\0' &&
		    strlen(txt.rec[i]) == txt.len[i],
		    "dns_parse: NUL inside a record, or not terminated");
	}
	dkim_txt_clear(&txt);
	CHECK(txt.n == 0 && txt.rec[0] == NULL, "txt_clear");
	return 0;
}
