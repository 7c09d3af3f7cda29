/*
 * sig.c: tag-lists and DKIM-Signature fields.
 *
 * The input is the value of a DKIM-Signature field.  Checked:
 *  - dkim_taglist_parse(): tags lie inside the input, names follow the
 *    grammar, values are trimmed, no name twice, dkim_taglist_get() finds
 *    each tag;
 *  - dkim_sig_parse() on "DKIM-Signature:" + input, alone and inside a
 *    fixed message: slices inside the field, d= and s= valid, the b=
 *    span deletable (what is left is a tag-list with an empty b=);
 *    dkim_sig_check() gives a reason exactly when it fails;
 *  - dkim_sig_header_input() is the h= fields picked bottom-up and the
 *    field without b=, canonicalized;
 *  - dkim_ar_resinfo() and dkim_json_str() on what was parsed never let
 *    a control byte through; dkim_qp_decode(), dkim_canon_parse() and
 *    dkim_ar_claims() on the raw input.
 */
#include <strings.h>

#include "fuzz.h"

#define NAME	"DKIM-Signature:"

static const char head[] =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";
static const char tail[] =
    "\r\n"
    "Received: from client1.football.example.com  [192.0.2.1]\r\n"
    "\tby submitserver.example.com with SUBMISSION;\r\n"
    "FROM :  second@example.com \r\n"
    "subject:  Folded\r\n\t subject  line \r\n"
    "X-Empty:\r\n"
    "\r\n"
    "Hi.\r\n";

static const char *const reasons[] = {
	NULL, "signature mismatch", "no key for signature", "bh= too long",
};

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
check_taglist(const char *s, size_t n)
{
	struct dkim_taglist tl;
	const struct dkim_tag *t;
	size_t i, j, erroff = (size_t)-1;
	char name[64];
	int r;

	r = dkim_taglist_parse(&tl, s, n, &erroff);
	if (r != 0) {
		CHECK(r == DKIM_ERR_SYNTAX || r == DKIM_ERR_DUPTAG ||
		    r == DKIM_ERR_TOOMANY, "taglist: unexpected error");
		CHECK(erroff <= n, "taglist: error offset past the end");
		return;
	}
	CHECK(tl.n >= 1 && tl.n <= DKIM_MAX_TAGS, "taglist: tag count");
	for (i = 0; i < tl.n; i++) {
		t = &tl.tags[i];
		CHECK(t->name >= s && t->namelen >= 1 &&
		    t->namelen <= (size_t)(s + n - t->name),
		    "taglist: name outside the input");
		CHECK(t->val >= t->name + t->namelen &&
		    t->vallen <= (size_t)(s + n - t->val),
		    "taglist: value outside the input");
		CHECK((t->name[0] >= 'a' && t->name[0] <= 'z') ||
		    (t->name[0] >= 'A' && t->name[0] <= 'Z'),
		    "taglist: name does not start with ALPHA");
		for (j = 0; j < t->namelen; j++)
			CHECK(strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
			    t->name[j]) != NULL && t->name[j] != '\0',
			    "taglist: name character");
		if (t->vallen > 0)
			CHECK(!is_fws((unsigned char)t->val[0]) &&
			    !is_fws((unsigned char)t->val[t->vallen - 1]),
			    "taglist: value not trimmed");
		CHECK(memchr(t->val, ';', t->vallen) == NULL,
		    "taglist: ';' inside a value");
		CHECK(memchr(t->val, '\0', t->vallen) == NULL,
		    "taglist: NUL inside a value");
		for (j = 0; j < i; j++)
			CHECK(tl.tags[j].namelen != t->namelen ||
			    memcmp(tl.tags[j].name, t->name, t->namelen) != 0,
			    "taglist: duplicate tag accepted");
		if (t->namelen < sizeof(name)) {
			memcpy(name, t->name, t->namelen);
			name[t->namelen] = '\0';
			CHECK(dkim_taglist_get(&tl, name) == t,
			    "taglist: get does not find the tag");
		}
		(void)dkim_tag_is_base64(t);
	}
}

static void
check_sig_fields(const struct dkim_sig *sig)
{
	const char *f = sig->field, *e = sig->field + sig->fieldlen;
	struct dkim_taglist tl;
	struct dkim_buf nob = { NULL, 0, 0 };
	const struct dkim_tag *b;
	const char *colon;
	size_t i, dl, sl;

	dl = strnlen(sig->d, sizeof(sig->d));
	sl = strnlen(sig->s, sizeof(sig->s));
	CHECK(dl < sizeof(sig->d) && sl < sizeof(sig->s) &&
	    strnlen(sig->i, sizeof(sig->i)) < sizeof(sig->i),
	    "sig: d=, s= or i= not terminated");
	CHECK(dl == 0 || dkim_domain_ok(sig->d, dl), "sig: bad d= kept");
	CHECK(sl == 0 || dkim_selector_ok(sig->s, sl), "sig: bad s= kept");
	CHECK(sig->bsize <= sizeof(sig->b) && sig->bhsize <= sizeof(sig->bh),
	    "sig: decoded sizes");
	CHECK(sig->nh <= DKIM_MAX_SIGNED, "sig: h= count");
	for (i = 0; i < sig->nh; i++) {
		CHECK(sig->h[i] >= f && sig->hlen[i] >= 1 &&
		    sig->hlen[i] <= (size_t)(e - sig->h[i]),
		    "sig: h= name outside the field");
		CHECK(memchr(sig->h[i], ':', sig->hlen[i]) == NULL,
		    "sig: ':' in an h= name");
	}
	CHECK(sig->a == NULL || (sig->a >= f && sig->alen <= (size_t)(e -
	    sig->a)), "sig: a= outside the field");
	CHECK(sig->z == NULL || (sig->z >= f && sig->zlen <= (size_t)(e -
	    sig->z)), "sig: z= outside the field");
	if (sig->b64 == NULL)
		return;
	CHECK(sig->b64 >= f && sig->b64len <= (size_t)(e - sig->b64),
	    "sig: b= outside the field");
	CHECK(sig->boff <= sig->fieldlen &&
	    sig->blen <= sig->fieldlen - sig->boff, "sig: b= span");
	CHECK(f + sig->boff <= sig->b64 &&
	    sig->b64 + sig->b64len <= f + sig->boff + sig->blen,
	    "sig: b= span does not cover the value");
	/* what is hashed: the same tag-list, with b= empty */
	put(&nob, f, sig->boff);
	put(&nob, f + sig->boff + sig->blen, sig->fieldlen - sig->boff -
	    sig->blen);
	CHECK((colon = memchr(nob.p, ':', nob.len)) != NULL,
	    "sig: the colon went with b=");
	CHECK(dkim_taglist_parse(&tl, colon + 1, nob.len - (size_t)(colon +
	    1 - (const char *)nob.p), NULL) == 0,
	    "sig: without b= it is no tag-list");
	CHECK((b = dkim_taglist_get(&tl, "b")) != NULL && b->vallen == 0,
	    "sig: b= not emptied");
	dkim_buf_free(&nob);
}

/* Parse and check one field; 1 when it parsed. */
static int
parse_field(struct dkim_sig *sig, const char *f, size_t n)
{
	const char *reason = "unset";
	int r;

	/* a struct that held something else: parsing must not rely on 0s */
	memset(sig, 0xa5, sizeof(*sig));
	r = dkim_sig_parse(sig, f, n, &reason);
	if (r != 0) {
		CHECK(reason != NULL, "sig: failed without a reason");
		/* a verifier reports it all the same (dkim_ar_resinfo) */
		CHECK(memchr(sig->d, '\0', sizeof(sig->d)) != NULL &&
		    memchr(sig->s, '\0', sizeof(sig->s)) != NULL &&
		    memchr(sig->i, '\0', sizeof(sig->i)) != NULL,
		    "sig: a failed parse leaves d=, s= or i= unterminated");
		return 0;
	}
	CHECK(reason == NULL, "sig: reason on success");
	check_sig_fields(sig);
	reason = "unset";
	r = dkim_sig_check(sig, &reason);
	CHECK((r == 0) == (reason == NULL), "sig_check: reason mismatch");
	if (r == 0) {
		CHECK(sig->version == 1 && sig->alg != DKIM_ALG_UNKNOWN &&
		    sig->d[0] != '\0' && sig->s[0] != '\0' && sig->nh > 0 &&
		    sig->bsize > 0 && sig->bhsize ==
		    dkim_hash_len(dkim_alg_hash(sig->alg)),
		    "sig_check passed an incomplete signature");
	}
	return 1;
}

/* An independent assembly of the header hash input, to compare. */
static void
check_header_input(const struct dkim_msg *m, const struct dkim_sig *sig,
    long self)
{
	struct dkim_buf got = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct dkim_buf nob = { NULL, 0, 0 };
	const struct dkim_hdr *h;
	size_t k, j, before;
	long i;
	int r;

	r = dkim_sig_header_input(m, sig, self, &got);
	CHECK(r == 0, "sig_header_input failed");
	for (k = 0; k < sig->nh; k++) {
		for (before = 0, j = 0; j < k; j++)
			if (sig->hlen[j] == sig->hlen[k] && strncasecmp(
			    sig->h[j], sig->h[k], sig->hlen[k]) == 0)
				before++;
		for (i = (long)m->nhdrs - 1; i >= 0; i--) {
			h = &m->hdrs[i];
			if (i == self || h->namelen != sig->hlen[k] ||
			    strncasecmp(dkim_hdr_ptr(m, h), sig->h[k],
			    sig->hlen[k]) != 0)
				continue;
			if (before-- > 0)
				continue;
			CHECK(dkim_canon_header(sig->hc, dkim_hdr_ptr(m, h),
			    h->len, &want, 1) == 0, "canon_header failed");
			break;
		}
	}
	put(&nob, sig->field, sig->boff);
	put(&nob, sig->field + sig->boff + sig->blen,
	    sig->fieldlen - sig->boff - sig->blen);
	CHECK(dkim_canon_header(sig->hc, (const char *)nob.p, nob.len, &want,
	    0) == 0, "canon_header failed");
	CHECK(same_buf(&got, &want), "sig_header_input differs");
	dkim_buf_free(&got);
	dkim_buf_free(&want);
	dkim_buf_free(&nob);
}

static void
check_resinfo(const struct dkim_sig *sig, struct rng *rg)
{
	static struct dkim_vresult v;
	struct dkim_buf b = { NULL, 0, 0 };
	size_t i;

	memset(&v, 0, sizeof(v));
	v.sig = *sig;
	v.parsed = 1;
	v.res = (enum dkim_result)(rng_next(rg) % 7);
	v.reason = reasons[rng_next(rg) % 4];
	v.testing = (int)(rng_next(rg) % 2);
	CHECK(dkim_ar_resinfo(&v, &b) == 0, "resinfo failed");
	CHECK(b.len > 5 && memcmp(b.p, "dkim=", 5) == 0, "resinfo prefix");
	for (i = 0; i < b.len; i++)
		CHECK(b.p[i] >= 0x20 && b.p[i] != 0x7f,
		    "resinfo has a control byte");
	check_json((const char *)b.p, b.len);
	check_json(sig->i, strlen(sig->i));
	if (sig->z != NULL)
		check_json(sig->z, sig->zlen);
	if (sig->a != NULL)
		check_json(sig->a, sig->alen);
	dkim_buf_free(&b);
}

static void
check_raw(const char *s, size_t n, struct rng *rg)
{
	enum dkim_canon hc, bc;
	size_t cap = rng_range(rg, 0, DKIM_MAX_AUID + 1), olen = (size_t)-1;
	char *out;
	int r;

	/* exactly cap bytes, so that ASan sees any write past them */
	CHECK((out = malloc(cap)) != NULL || cap == 0, "out of memory");
	if (out != NULL && cap > 0)
		memset(out, 'x', cap);
	r = dkim_qp_decode(s, n, out, cap, &olen);
	if (r == 0)
		CHECK(olen < cap && out[olen] == '\0' &&
		    strlen(out) == olen, "qp_decode: length");
	else
		CHECK(cap == 0 || memchr(out, '\0', cap) != NULL,
		    "qp_decode: output left unterminated on failure");
	free(out);
	if (dkim_canon_parse(s, n, &hc, &bc) == 0)
		CHECK((hc == DKIM_CANON_SIMPLE || hc == DKIM_CANON_RELAXED) &&
		    (bc == DKIM_CANON_SIMPLE || bc == DKIM_CANON_RELAXED),
		    "canon_parse: value");
	(void)dkim_alg_parse(s, n);
	(void)dkim_domain_ok(s, n);
	(void)dkim_selector_ok(s, n);
	(void)dkim_ar_claims(s, n, "mx.example.org");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_sig sig;	/* 4 KB: not on the stack */
	struct dkim_buf f = { NULL, 0, 0 }, mb = { NULL, 0, 0 };
	struct dkim_msg *m;
	struct rng rg;
	size_t i;

	rng_seed(&rg, data, size, 0);
	check_taglist((const char *)data, size);
	check_raw((const char *)data, size, &rg);

	put(&f, NAME, sizeof(NAME) - 1);
	put(&f, data, size);
	if (parse_field(&sig, (const char *)f.p, f.len))
		check_resinfo(&sig, &rg);

	/* the same inside a message, as a verifier meets it */
	put(&mb, head, sizeof(head) - 1);
	put(&mb, f.p, f.len);
	put(&mb, tail, sizeof(tail) - 1);
	CHECK((m = dkim_msg_new()) != NULL, "out of memory");
	if (dkim_msg_parse(m, mb.p, mb.len) == 0) {
		for (i = 0; i < m->nhdrs; i++)
			if (dkim_hdr_is(m, &m->hdrs[i], "DKIM-Signature", 14))
				break;
		if (i < m->nhdrs && parse_field(&sig, dkim_hdr_ptr(m,
		    &m->hdrs[i]), m->hdrs[i].len))
			check_header_input(m, &sig, (long)i);
	}
	dkim_msg_free(m);
	dkim_buf_free(&f);
	dkim_buf_free(&mb);
	return 0;
}
