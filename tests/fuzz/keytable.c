/*
 * keytable.c: the offline key table (zone-file TXT lines).
 *
 * The input is a key table.  Checked: dkim_keytable_parse() gives a table
 * or a documented error with a line number inside the input; then the
 * owner names at the start of the first lines are looked up, as they are,
 * in upper case and with a final dot, which must all give the same
 * records, each NUL-terminated at its length with no NUL inside.
 *
 * The input (without NUL bytes) is also taken as a record value: what
 * dkim_record_format() prints of it in the zone and bind formats must
 * read back as exactly that value.
 */
#include "fuzz.h"

#define LOOKUPS	16

static int
same_txt(const struct dkim_txt *a, const struct dkim_txt *b)
{
	size_t i;

	if (a->n != b->n || a->extra != b->extra)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->rec[i], b->rec[i], a->len[i]) != 0)
			return 0;
	return 1;
}

static void
check_txt(const struct dkim_txt *t, int r)
{
	size_t i;

	if (r != 0) {
		CHECK(r == DKIM_ERR_DNS_PERM || r == DKIM_ERR_ALLOC,
		    "keytable_txt: undocumented error");
		CHECK(t->n == 0, "keytable_txt: records on failure");
		return;
	}
	CHECK(t->n >= 1 && t->n <= DKIM_MAX_TXTRECS, "keytable_txt: count");
	for (i = 0; i < t->n; i++)
		CHECK(t->rec[i] != NULL && t->len[i] <= DKIM_MAX_TXT &&
		    t->rec[i][t->len[i]] == '\0' &&
		    strlen(t->rec[i]) == t->len[i],
		    "keytable_txt: record not a C string of its length");
}

static void
lookup(const struct dkim_keytable *kt, const char *w, size_t n)
{
	struct dkim_txt a, b;
	char name[DKIM_MAX_NAME + 2];
	size_t i;
	int ra, rb;

	if (n == 0 || n > DKIM_MAX_NAME || memchr(w, '\0', n) != NULL)
		return;
	memcpy(name, w, n);
	name[n] = '\0';
	ra = dkim_keytable_txt(kt, name, &a);
	check_txt(&a, ra);
	for (i = 0; i < n; i++)
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
	if (name[n - 1] != '.') {
		name[n] = '.';
		name[n + 1] = '\0';
	}
	rb = dkim_keytable_txt(kt, name, &b);
	check_txt(&b, rb);
	CHECK(ra == rb && same_txt(&a, &b),
	    "keytable: case or a final dot changes the answer");
	dkim_txt_clear(&a);
	dkim_txt_clear(&b);
}

static void
check_roundtrip(const char *v, size_t n, struct rng *rg)
{
	static const enum dkim_recfmt fmts[] = { DKIM_FMT_ZONE, DKIM_FMT_BIND };
	static const char name[] = "sel._domainkey.example.com";
	struct dkim_buf out = { NULL, 0, 0 };
	struct dkim_keytable *kt;
	struct dkim_txt txt;
	size_t i, errline;
	uint32_t ttl;

	if (memchr(v, '\0', n) != NULL)
		return;		/* no TXT record for a key holds a NUL */
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		out.len = 0;
		ttl = (uint32_t)(rng_next(rg) % ((uint64_t)DKIM_TTL_MAX + 1));
		CHECK(dkim_record_format(fmts[i], name, ttl, v, n, &out) == 0,
		    "record_format failed");
		CHECK(dkim_keytable_parse(&kt, (const char *)out.p, out.len,
		    &errline) == 0, "keytable: what record_format printed "
		    "does not parse");
		CHECK(dkim_keytable_txt(kt, name, &txt) == 0 && txt.n == 1 &&
		    txt.len[0] == n && memcmp(txt.rec[0], v, n) == 0,
		    "keytable: record_format output reads back differently");
		dkim_txt_clear(&txt);
		dkim_keytable_free(kt);
	}
	dkim_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_keytable *kt = (struct dkim_keytable *)&kt;
	const char *s = (const char *)data, *e = s + size, *w, *nl;
	size_t errline = 12345, lines = 1, k, i;
	struct rng rg;
	int r;

	rng_seed(&rg, data, size, 0);
	check_roundtrip(s, size, &rg);

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	r = dkim_keytable_parse(&kt, s, size, &errline);
	if (r != 0) {
		CHECK(r == DKIM_ERR_SYNTAX || r == DKIM_ERR_TOOLONG ||
		    r == DKIM_ERR_ALLOC, "keytable: undocumented error");
		CHECK(kt == NULL, "keytable: a table on failure");
		CHECK(errline <= lines, "keytable: error line past the end");
		return 0;
	}
	CHECK(kt != NULL && errline == 0, "keytable: success");
	/* the first word of each of the first lines */
	for (w = s, k = 0; w < e && k < LOOKUPS; k++) {
		nl = memchr(w, '\n', (size_t)(e - w));
		for (i = 0; w + i < (nl ? nl : e) && w[i] != ' ' &&
		    w[i] != '\t' && w[i] != '\r'; i++)
			;
		lookup(kt, w, i);
		if (nl == NULL)
			break;
		w = nl + 1;
	}
	lookup(kt, "sel._domainkey.example.com", 26);
	dkim_keytable_free(kt);
	return 0;
}
