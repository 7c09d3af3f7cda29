/*
 * taglist.c: RFC 6376 3.2 tag=value lists, the syntax of DKIM-Signature
 * fields and key records alike.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR      ; %x21-3A / %x3C-7E
 *
 * The whole list is checked before anyone looks at a tag.  A bare LF may
 * stand for CRLF in FWS (Unix mail); 8-bit bytes are allowed in values
 * (RFC 6532 mail).  Whitespace may follow the final ";".
 */
#include <string.h>

#include "dkim.h"

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

/*
 * Skip FWS at s[*i]: WSP, and line breaks that are followed by WSP.
 * Returns -1 on a line break not followed by WSP (not FWS at all).
 */
static int
skip_fws(const unsigned char *s, size_t n, size_t *i)
{
	while (*i < n) {
		if (is_wsp(s[*i])) {
			(*i)++;
			continue;
		}
		if (s[*i] == '\r' && *i + 1 < n && s[*i + 1] == '\n')
			(*i)++;
		if (s[*i] != '\n')
			break;
		if (*i + 1 >= n || !is_wsp(s[*i + 1]))
			return -1;
		(*i)++;
	}
	return 0;
}

int
dkim_taglist_parse(struct dkim_taglist *tl, const char *str, size_t n,
    size_t *erroff)
{
	const unsigned char *s = (const unsigned char *)str;
	struct dkim_tag *t;
	size_t i = 0, j, last, at;
	int r = DKIM_ERR_SYNTAX;

	tl->base = str;
	tl->n = 0;
	for (;;) {
		if (skip_fws(s, n, &i) != 0)
			goto bad;
		if (i == n) {
			/* only after a ";" (or nothing at all: invalid) */
			if (tl->n == 0)
				goto bad;
			return 0;
		}
		if (!is_alpha(s[i]))
			goto bad;
		if (tl->n == DKIM_MAX_TAGS) {
			r = DKIM_ERR_TOOMANY;
			goto bad;
		}
		t = &tl->tags[tl->n];
		t->name = str + i;
		while (i < n && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9')
		    || s[i] == '_'))
			i++;
		t->namelen = (size_t)(str + i - t->name);
		if (skip_fws(s, n, &i) != 0 || i == n || s[i] != '=')
			goto bad;
		i++;
		if (skip_fws(s, n, &i) != 0)
			goto bad;
		t->val = str + i;
		last = i;	/* end of the last tval */
		while (i < n && s[i] != ';') {
			if (is_valchar(s[i])) {
				last = ++i;
				continue;
			}
			/* not a VALCHAR, so FWS must come, else it is invalid */
			at = i;
			if (skip_fws(s, n, &i) != 0 || i == at)
				goto bad;
		}
		t->vallen = last - (size_t)(t->val - str);
		for (j = 0; j < tl->n; j++) {
			if (tl->tags[j].namelen == t->namelen &&
			    memcmp(tl->tags[j].name, t->name, t->namelen) == 0) {
				i = (size_t)(t->name - str);
				r = DKIM_ERR_DUPTAG;
				goto bad;
			}
		}
		tl->n++;
		if (i == n)
			return 0;
		i++;	/* the ";" */
	}
bad:
	if (erroff != NULL)
		*erroff = i;
	return r;
}

const struct dkim_tag *
dkim_taglist_get(const struct dkim_taglist *tl, const char *name)
{
	size_t i, n = strlen(name);

	/* tag names are case-sensitive (RFC 6376 3.2) */
	for (i = 0; i < tl->n; i++)
		if (tl->tags[i].namelen == n &&
		    memcmp(tl->tags[i].name, name, n) == 0)
			return &tl->tags[i];
	return NULL;
}

int
dkim_tag_is_base64(const struct dkim_tag *t)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < t->vallen; i++) {
		c = (unsigned char)t->val[i];
		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' &&
		    c != '/' && c != '=' && !is_wsp(c) && c != '\r' &&
		    c != '\n')
			return 0;
	}
	return 1;
}
