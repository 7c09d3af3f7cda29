/*
 * ar.c: reporting verification results as RFC 8601 method results and
 * JSON, without letting anything taken from a message or from DNS inject
 * header syntax or terminal control bytes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

/*
 * The longest header.i value written.  A resinfo is one line of an
 * Authentication-Results field; with d= and s= at their longest and the
 * longest reason, this keeps it under RFC 5322's 998 characters.  A longer
 * i= is left out, never shortened: that would name another identity.
 */
#define AR_MAX_AUID	320

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/*
 * i=, made harmless for whoever reads the field with a pattern: anything
 * but atext and '@' becomes '?' (no space, ';', '"' or control byte that
 * could fake a second result), and so does the '=' of "=?", which
 * maildrop and others decode as an RFC 2047 word even in an address.
 * Bare when it is local-part@domain, else a quoted-string (RFC 8601).
 * The exact value stays available in dkim-verify -j.
 */
static int
put_auid(struct dkim_buf *b, const char *s)
{
	size_t i, n = strlen(s), at = 0;
	int quote, r = 0;

	for (i = 0; i < n; i++)
		at += s[i] == '@';
	quote = n == 0 || at != 1;	/* "a@b@c" is no RFC 8601 pvalue */
	if (quote && (r = dkim_buf_putc(b, '"')) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c != '@' && !is_atext(c)) || (c == '=' && s[i + 1] == '?'))
			c = '?';
		r = dkim_buf_putc(b, (char)c);
	}
	if (r == 0 && quote)
		r = dkim_buf_putc(b, '"');
	return r;
}

/* " name=value", or what is before value and value: no format to parse */
static int
put2(struct dkim_buf *b, const char *a, const char *s)
{
	int r;

	if ((r = dkim_buf_append(b, a, strlen(a))) != 0)
		return r;
	return dkim_buf_append(b, s, strlen(s));
}

int
dkim_ar_resinfo(const struct dkim_vresult *v, struct dkim_buf *b)
{
	const struct dkim_sig *s = &v->sig;
	char pfx[9];
	size_t i, k;
	int r;

	if ((r = put2(b, "dkim=", dkim_result_name(v->res))) != 0)
		return r;
	if (v->reason != NULL && ((r = put2(b, " (", v->reason)) != 0 ||
	    (r = dkim_buf_putc(b, ')')) != 0))
		return r;
	if (v->testing && (r = put2(b, " (key in test mode)", "")) != 0)
		return r;
	/* d= and s= were validated as DNS names before being kept */
	if (s->d[0] != '\0' && (r = put2(b, " header.d=", s->d)) != 0)
		return r;
	if (s->i[0] != '\0') {
		struct dkim_buf auid = { NULL, 0, 0 };

		if ((r = put_auid(&auid, s->i)) == 0 &&
		    auid.len <= AR_MAX_AUID &&
		    (r = put2(b, " header.i=", "")) == 0)
			r = dkim_buf_append(b, auid.p, auid.len);
		dkim_buf_free(&auid);
		if (r != 0)
			return r;
	}
	if (s->s[0] != '\0' && (r = put2(b, " header.s=", s->s)) != 0)
		return r;
	if (s->alg != DKIM_ALG_UNKNOWN &&
	    (r = put2(b, " header.a=", dkim_alg_name(s->alg))) != 0)
		return r;
	/* RFC 6008: the first 8 characters of b=, enough to tell apart */
	for (i = k = 0; s->b64 != NULL && i < s->b64len && k < 8; i++) {
		unsigned char c = (unsigned char)s->b64[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/')
			pfx[k++] = (char)c;
	}
	pfx[k] = '\0';
	if (k > 0 && (r = put2(b, " header.b=", pfx)) != 0)
		return r;
	return 0;
}

int
dkim_ar_authserv_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Skip CFWS: whitespace, line breaks and (nested) comments. */
static size_t
skip_cfws(const char *v, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (depth > 0 && v[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && v[i] != ' ' && v[i] != '\t' &&
		    v[i] != '\r' && v[i] != '\n')
			break;
	}
	return i;
}

int
dkim_ar_claims(const char *v, size_t n, const char *authserv)
{
	size_t i = skip_cfws(v, n, 0), start, len = strlen(authserv);

	if (i < n && v[i] == '"') {
		/* a quoted-string authserv-id */
		start = ++i;
		while (i < n && v[i] != '"')
			i++;
		return i - start == len &&
		    strncasecmp(v + start, authserv, len) == 0;
	}
	start = i;
	while (i < n && v[i] != ';' && v[i] != '(' && v[i] != ' ' &&
	    v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
		i++;
	return i - start == len && strncasecmp(v + start, authserv, len) == 0;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 if not valid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, surrogates or values past U+10FFFF */
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return k;
}

int
dkim_json_str(struct dkim_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, k;
	int r = dkim_buf_putc(b, '"');

	for (i = 0; i < n && r == 0; i += k) {
		k = 1;
		if (s[i] == '"' || s[i] == '\\')
			r = dkim_buf_printf(b, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			r = dkim_buf_printf(b, "\\u%04x", s[i]);
		else if (s[i] < 0x80)
			r = dkim_buf_putc(b, s[i]);
		else if ((k = utf8_len(s + i, n - i)) > 0)
			r = dkim_buf_append(b, s + i, k);
		else {
			k = 1;	/* not UTF-8: keep the byte's value */
			r = dkim_buf_printf(b, "\\u%04x", s[i]);
		}
	}
	return r ? r : dkim_buf_putc(b, '"');
}

static int
is_dchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Domains of every addr-spec in a From value, comments and quotes aside. */
int
dkim_from_domain(const struct dkim_msg *m, char *out, size_t cap)
{
	const char *v;
	size_t i, j, n, k, vl;
	int found = 0, depth = 0, quote = 0;
	char d[DKIM_MAX_DOMAIN + 1];

	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], "From", 4))
			break;
	if (i == m->nhdrs)
		return DKIM_ERR_SYNTAX;
	dkim_hdr_value(m, &m->hdrs[i], &v, &vl);
	for (j = 0; j < vl; j++) {
		if (v[j] == '\\' && (quote || depth)) {
			j++;
			continue;
		}
		if (quote) {
			quote = v[j] != '"';
			continue;
		}
		if (v[j] == '"' && depth == 0)
			quote = 1;
		else if (v[j] == '(')
			depth++;
		else if (v[j] == ')' && depth > 0)
			depth--;
		if (depth > 0 || v[j] != '@')
			continue;
		for (k = 0, n = j + 1; n < vl && is_dchar(v[n]); n++) {
			if (k == sizeof(d) - 1)
				return DKIM_ERR_SYNTAX;	/* no domain is so long */
			d[k++] = (char)(v[n] >= 'A' && v[n] <= 'Z' ?
			    v[n] - 'A' + 'a' : v[n]);
		}
		d[k] = '\0';
		if (k == 0 || !dkim_domain_ok(d, k))
			return DKIM_ERR_SYNTAX;
		if (found && strcmp(out, d) != 0)
			return DKIM_ERR_SYNTAX;	/* two different domains */
		if (k >= cap)
			return DKIM_ERR_TOOLONG;
		memcpy(out, d, k + 1);
		found = 1;
	}
	return found ? 0 : DKIM_ERR_SYNTAX;
}
