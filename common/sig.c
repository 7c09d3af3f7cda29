/*
 * sig.c: DKIM-Signature fields (RFC 6376 3.5): parsing, the checks of
 * 6.1.1, and the header bytes the signature covers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

enum {
	T_V = 1 << 0, T_A = 1 << 1, T_B = 1 << 2, T_BH = 1 << 3,
	T_D = 1 << 4, T_H = 1 << 5, T_S = 1 << 6
};

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_fws(int c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

static int
is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static int
labels_ok(const char *s, size_t n, int underscore)
{
	size_t i, start = 0;

	if (n == 0 || n > DKIM_MAX_DOMAIN)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start || i - start > 63 || s[start] == '-' ||
			    s[i - 1] == '-')
				return 0;
			start = i + 1;
			continue;
		}
		if (!is_ldh((unsigned char)s[i]) &&
		    !(underscore && s[i] == '_'))
			return 0;
	}
	return 1;
}

int
dkim_domain_ok(const char *s, size_t n)
{
	return labels_ok(s, n, 0);
}

int
dkim_selector_ok(const char *s, size_t n)
{
	return labels_ok(s, n, 1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
dkim_qp_decode(const char *s, size_t n, char *out, size_t cap,
    size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo, r = DKIM_ERR_SYNTAX;
	unsigned char c;

	*outlen = 0;
	if (cap == 0)
		return DKIM_ERR_TOOLONG;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (is_fws(c))
			continue;	/* FWS in qp is not data */
		if (c == '=') {
			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			goto bad;
		if (o + 1 >= cap) {
			r = DKIM_ERR_TOOLONG;
			goto bad;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
bad:
	out[0] = '\0';	/* no half-decoded text left behind */
	return r;
}

/* 1*20DIGIT into a uint64_t, refusing overflow. */
static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	size_t i;
	uint64_t x = 0;

	if (n == 0)
		return DKIM_ERR_SYNTAX;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return DKIM_ERR_SYNTAX;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return DKIM_ERR_TOOLONG;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int
copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return DKIM_ERR_TOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* h=: hdr-name *( *FWS ":" *FWS hdr-name ) */
static int
parse_h(struct dkim_sig *sig, const char *v, size_t n)
{
	size_t i = 0, start;

	sig->nh = 0;
	for (;;) {
		while (i < n && is_fws((unsigned char)v[i]))
			i++;
		start = i;
		while (i < n && v[i] != ':' && !is_fws((unsigned char)v[i])) {
			if ((unsigned char)v[i] < 33 || (unsigned char)v[i] > 126)
				return DKIM_ERR_SYNTAX;
			i++;
		}
		if (i == start)
			return DKIM_ERR_SYNTAX;
		if (sig->nh == DKIM_MAX_SIGNED)
			return DKIM_ERR_TOOMANY;
		sig->h[sig->nh] = v + start;
		sig->hlen[sig->nh++] = i - start;
		while (i < n && is_fws((unsigned char)v[i]))
			i++;
		if (i == n)
			return 0;
		if (v[i] != ':')
			return DKIM_ERR_SYNTAX;
		i++;
	}
}

/* q=: a colon-separated list that must offer dns/txt. */
static int
q_has_dns_txt(const char *v, size_t n)
{
	size_t i = 0, start, end;

	while (i <= n) {
		start = i;
		while (i < n && v[i] != ':')
			i++;
		end = i;
		while (start < end && is_fws((unsigned char)v[start]))
			start++;
		while (end > start && is_fws((unsigned char)v[end - 1]))
			end--;
		/* "dns" alone was the pre-RFC spelling; "/txt" is required */
		if (end - start == 7 && strncasecmp(v + start, "dns/txt", 7) == 0)
			return 1;
		i++;
	}
	return 0;
}

#define BAD(msg) do { *reason = (msg); return DKIM_ERR_SYNTAX; } while (0)

static int
parse_tag(struct dkim_sig *sig, const struct dkim_tag *t, const char **reason)
{
	const char *n = t->name, *v = t->val;
	size_t nl = t->namelen, vl = t->vallen, len;
	int r;

#define IS(s) (nl == sizeof(s) - 1 && memcmp(n, s, nl) == 0)
	if (IS("v")) {
		sig->seen |= T_V;
		sig->version = (vl == 1 && v[0] == '1') ? 1 : 0;
	} else if (IS("a")) {
		sig->seen |= T_A;
		sig->a = v;
		sig->alen = vl;
		sig->alg = dkim_alg_parse(v, vl);
	} else if (IS("b")) {
		sig->seen |= T_B;
		sig->b64 = v;
		sig->b64len = vl;
		r = dkim_b64_decode(v, vl, sig->b, sizeof(sig->b), &sig->bsize);
		if (r == DKIM_ERR_TOOLONG)
			BAD("b= too long");
		if (r != 0)
			BAD("b= is not valid base64");
	} else if (IS("bh")) {
		sig->seen |= T_BH;
		r = dkim_b64_decode(v, vl, sig->bh, sizeof(sig->bh),
		    &sig->bhsize);
		if (r != 0)
			BAD("bh= is not a valid hash");
	} else if (IS("c")) {
		if (dkim_canon_parse(v, vl, &sig->hc, &sig->bc) != 0)
			BAD("unknown c= canonicalization");
	} else if (IS("d")) {
		sig->seen |= T_D;
		if (!dkim_domain_ok(v, vl) ||
		    copy_str(sig->d, sizeof(sig->d), v, vl) != 0)
			BAD("d= is not a domain name");
	} else if (IS("s")) {
		sig->seen |= T_S;
		if (!dkim_selector_ok(v, vl) ||
		    copy_str(sig->s, sizeof(sig->s), v, vl) != 0)
			BAD("s= is not a valid selector");
	} else if (IS("h")) {
		sig->seen |= T_H;
		if ((r = parse_h(sig, v, vl)) != 0)
			BAD(r == DKIM_ERR_TOOMANY ? "h= lists too many fields" :
			    "h= is not a list of field names");
	} else if (IS("i")) {
		if (dkim_qp_decode(v, vl, sig->i, sizeof(sig->i), &len) != 0 ||
		    len == 0)
			BAD("i= is not a valid identity");
	} else if (IS("l")) {
		sig->has_l = 1;
		if ((r = parse_u64(v, vl, &sig->l)) != 0)
			BAD(r == DKIM_ERR_TOOLONG ? "l= out of range" :
			    "l= is not a number");
	} else if (IS("t")) {
		sig->has_t = 1;
		if ((r = parse_u64(v, vl, &sig->t)) != 0)
			BAD(r == DKIM_ERR_TOOLONG ? "t= out of range" :
			    "t= is not a number");
	} else if (IS("x")) {
		sig->has_x = 1;
		if ((r = parse_u64(v, vl, &sig->x)) != 0)
			BAD(r == DKIM_ERR_TOOLONG ? "x= out of range" :
			    "x= is not a number");
	} else if (IS("q")) {
		sig->has_q = 1;
		sig->q_ok = q_has_dns_txt(v, vl);
	} else if (IS("z")) {
		sig->z = v;
		sig->zlen = vl;
	}
	/* unknown tags are ignored (RFC 6376 3.2) */
#undef IS
	return 0;
}

/*
 * What is deleted for the header hash: "the value of the b= tag (including
 * all surrounding whitespace)" (RFC 6376 3.7), so the FWS between "=" and
 * the value and between the value and ";" goes with it.
 */
static void
b_span(struct dkim_sig *sig, const struct dkim_tag *t)
{
	const char *s = t->val, *e = t->val + t->vallen;
	const char *end = sig->field + sig->fieldlen;

	while (s > sig->field && is_fws((unsigned char)s[-1]))
		s--;
	while (e < end && is_fws((unsigned char)*e))
		e++;
	sig->boff = (size_t)(s - sig->field);
	sig->blen = (size_t)(e - s);
}

int
dkim_sig_parse(struct dkim_sig *sig, const char *field, size_t len,
    const char **reason)
{
	struct dkim_taglist tl;
	const char *colon, *why;
	size_t i, voff;
	int r, first;

	/* the arrays are valid up to nh and their NULs: no need to clear */
	memset(sig, 0, offsetof(struct dkim_sig, d));
	sig->d[0] = sig->s[0] = sig->i[0] = '\0';
	sig->field = field;
	sig->fieldlen = len;
	sig->hc = sig->bc = DKIM_CANON_SIMPLE;
	*reason = NULL;
	if ((colon = memchr(field, ':', len)) == NULL) {
		*reason = "not a header field";
		return DKIM_ERR_SYNTAX;
	}
	voff = (size_t)(colon - field) + 1;
	if ((r = dkim_taglist_parse(&tl, field + voff, len - voff, NULL)) != 0) {
		*reason = r == DKIM_ERR_DUPTAG ? "duplicate tag" :
		    r == DKIM_ERR_TOOMANY ? "too many tags" :
		    "tag-list syntax error";
		return r;
	}
	/*
	 * Every tag is read even after a bad one: the first error is the
	 * verdict, and d= and s= still name the signature in reports.
	 */
	first = 0;
	for (i = 0; i < tl.n; i++) {
		if ((r = parse_tag(sig, &tl.tags[i], &why)) != 0 &&
		    first == 0) {
			first = r;
			*reason = why;
		}
		if (tl.tags[i].namelen == 1 && tl.tags[i].name[0] == 'b')
			b_span(sig, &tl.tags[i]);
	}
	return first;
}

int
dkim_auid_in(const char *auid, const char *d)
{
	const char *at = strrchr(auid, '@');
	size_t al, dl = strlen(d);

	if (at == NULL)
		return 0;
	at++;
	al = strlen(at);
	if (al == dl)
		return strcasecmp(at, d) == 0;
	return al > dl && at[al - dl - 1] == '.' &&
	    strcasecmp(at + al - dl, d) == 0;
}

int
dkim_sig_check(const struct dkim_sig *sig, const char **reason)
{
	static const struct {
		unsigned	 bit;
		const char	*msg;
	} req[] = {
		{ T_V, "missing v= tag" }, { T_A, "missing a= tag" },
		{ T_B, "missing b= tag" }, { T_BH, "missing bh= tag" },
		{ T_D, "missing d= tag" }, { T_H, "missing h= tag" },
		{ T_S, "missing s= tag" },
	};
	size_t k;
	int from = 0;

	*reason = NULL;
	for (k = 0; k < sizeof(req) / sizeof(req[0]); k++)
		if (!(sig->seen & req[k].bit))
			BAD(req[k].msg);
	if (sig->version != 1)
		BAD("unsupported version (v= is not 1)");
	if (sig->alg == DKIM_ALG_UNKNOWN)
		BAD("unknown a= algorithm");
	if (sig->has_q && !sig->q_ok)
		BAD("q= offers no dns/txt method");
	if (sig->bhsize != dkim_hash_len(dkim_alg_hash(sig->alg)))
		BAD("bh= has the wrong length for a=");
	if (sig->bsize == 0)
		BAD("b= is empty");
	for (k = 0; k < sig->nh; k++)
		if (sig->hlen[k] == 4 && strncasecmp(sig->h[k], "from", 4) == 0)
			from = 1;
	if (!from)
		BAD("h= does not include From");
	if (sig->i[0] != '\0' && !dkim_auid_in(sig->i, sig->d))
		BAD("i= is not in the d= domain");
	if (sig->has_t && sig->has_x && sig->x < sig->t)
		BAD("x= is before t=");
	return 0;
}

int
dkim_sig_header_input(const struct dkim_msg *m, const struct dkim_sig *sig,
    long self, struct dkim_buf *out)
{
	long idx[DKIM_MAX_SIGNED];
	struct dkim_buf tmp = { NULL, 0, 0 };
	const struct dkim_hdr *h;
	size_t k;
	int r;

	dkim_msg_select(m, sig->h, sig->hlen, sig->nh, self, idx);
	for (k = 0; k < sig->nh; k++) {
		if (idx[k] < 0)
			continue;
		h = &m->hdrs[idx[k]];
		if ((r = dkim_canon_header(sig->hc, dkim_hdr_ptr(m, h), h->len,
		    out, 1)) != 0)
			return r;
	}
	/* the signature itself, with only the b= value taken out */
	if ((r = dkim_buf_append(&tmp, sig->field, sig->boff)) != 0 ||
	    (r = dkim_buf_append(&tmp, sig->field + sig->boff + sig->blen,
	    sig->fieldlen - sig->boff - sig->blen)) != 0)
		goto out;
	r = dkim_canon_header(sig->hc, (const char *)tmp.p, tmp.len, out, 0);
out:
	dkim_buf_free(&tmp);
	return r;
}
