/*
 * keytable.c: an offline source of key records, read from zone-file text
 * in exactly the forms dkim-record prints (zone and bind):
 *
 *   NAME [TTL] [IN] TXT "string" ...          ; comment
 *   NAME [TTL] [IN] TXT ( "string"
 *           "string" )
 *
 * TTL and class may come in either order.  NAME starts the line and is
 * absolute whether or not it ends in a dot.  Strings are quoted, with \X
 * and \DDD escapes, 255 bytes at most, no NUL.  Anything else ($ORIGIN,
 * a blank owner, other types, unquoted strings) is a syntax error, so a
 * mistake is reported with its line instead of being silently skipped.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dkim.h"

struct kt_rec {
	char	*name;	/* without the final dot */
	char	*val;	/* joined strings, NUL-terminated */
	size_t	 len;
};

struct dkim_keytable {
	struct kt_rec	*recs;
	size_t		 n;
	size_t		 cap;
};

enum tok { T_EOF, T_EOL, T_WORD, T_STRING };

struct lex {
	const char	*s;
	size_t		 n;
	size_t		 i;
	size_t		 line;	/* of the current position */
	size_t		 tokline;
	int		 paren;	/* inside ( ) */
	size_t		 parenline;	/* where it opened */
	const char	*word;	/* T_WORD: slice of s */
	size_t		 wlen;
	unsigned char	 str[DKIM_TXT_STRING];	/* T_STRING, decoded */
	size_t		 slen;
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The body of a quoted string, lx->i just after the opening quote. */
static int
lex_string(struct lex *lx)
{
	unsigned c;
	size_t k;

	lx->slen = 0;
	for (;;) {
		if (lx->i >= lx->n || lx->s[lx->i] == '\n')
			return DKIM_ERR_SYNTAX;	/* unterminated */
		c = (unsigned char)lx->s[lx->i++];
		if (c == '"')
			return T_STRING;
		if (c == '\\') {
			if (lx->i >= lx->n || lx->s[lx->i] == '\n')
				return DKIM_ERR_SYNTAX;
			c = (unsigned char)lx->s[lx->i++];
			if (is_digit((int)c)) {
				/* \DDD: exactly three decimal digits */
				for (k = 0, c -= '0'; k < 2; k++, lx->i++) {
					if (lx->i >= lx->n ||
					    !is_digit(lx->s[lx->i]))
						return DKIM_ERR_SYNTAX;
					c = c * 10 + (unsigned)(lx->s[lx->i] -
					    '0');
				}
				if (c > 255)
					return DKIM_ERR_SYNTAX;
			}
		}
		if (c == '\0')
			return DKIM_ERR_SYNTAX;
		if (lx->slen == sizeof(lx->str))
			return DKIM_ERR_TOOLONG;
		lx->str[lx->slen++] = (unsigned char)c;
	}
}

/*
 * The next token.  Parentheses, and the line ends and comments inside
 * them, are consumed here; the grammar sees one logical line.
 */
static int
lex_next(struct lex *lx)
{
	char c;

	for (;;) {
		while (lx->i < lx->n && is_blank(lx->s[lx->i]))
			lx->i++;
		lx->tokline = lx->line;
		if (lx->i >= lx->n && lx->paren) {
			lx->tokline = lx->parenline;	/* never closed */
			return DKIM_ERR_SYNTAX;
		}
		if (lx->i >= lx->n)
			return T_EOF;
		c = lx->s[lx->i];
		if (c == ';') {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == '\n') {
			lx->i++;
			lx->line++;
			if (!lx->paren)
				return T_EOL;
			continue;
		}
		if (c == '(' || c == ')') {
			if (lx->paren == (c == '('))
				return DKIM_ERR_SYNTAX;	/* nested, unopened */
			lx->paren = c == '(';
			lx->parenline = lx->line;
			lx->i++;
			continue;
		}
		lx->i++;
		if (c == '"')
			return lex_string(lx);
		lx->word = lx->s + lx->i - 1;
		while (lx->i < lx->n && !is_blank(lx->s[lx->i]) &&
		    strchr("\n;()\"", lx->s[lx->i]) == NULL)
			lx->i++;
		lx->wlen = (size_t)(lx->s + lx->i - lx->word);
		return T_WORD;
	}
}

static int
word_is(const struct lex *lx, const char *w)
{
	return lx->wlen == strlen(w) && strncasecmp(lx->word, w, lx->wlen) == 0;
}

static int
word_is_ttl(const struct lex *lx)
{
	char buf[16];
	const char *errstr;
	size_t i;

	if (lx->wlen == 0 || lx->wlen >= sizeof(buf))
		return 0;
	for (i = 0; i < lx->wlen; i++)
		if (!is_digit(lx->word[i]))
			return 0;
	memcpy(buf, lx->word, lx->wlen);
	buf[lx->wlen] = '\0';
	strtonum(buf, 0, DKIM_TTL_MAX, &errstr);
	return errstr == NULL;
}

static int
add_rec(struct dkim_keytable *kt, const char *name, size_t namelen,
    struct dkim_buf *val)
{
	struct kt_rec *r;

	if (kt->n == kt->cap) {
		r = reallocarray(kt->recs, kt->cap ? kt->cap * 2 : 16,
		    sizeof(*r));
		if (r == NULL)
			return DKIM_ERR_ALLOC;
		kt->recs = r;
		kt->cap = kt->cap ? kt->cap * 2 : 16;
	}
	r = &kt->recs[kt->n];
	if ((r->name = strndup(name, namelen)) == NULL)
		return DKIM_ERR_ALLOC;
	if (dkim_buf_putc(val, '\0') != 0) {
		free(r->name);
		return DKIM_ERR_ALLOC;
	}
	r->val = (char *)val->p;
	r->len = val->len - 1;
	val->p = NULL;
	val->len = val->cap = 0;
	kt->n++;
	return 0;
}

/* Owner [TTL] [IN] TXT, in the order zone files allow. */
static int
parse_head(struct lex *lx, const char **name, size_t *namelen)
{
	int tok, ttl = 0, class = 0;

	*name = lx->word;
	*namelen = lx->wlen;
	if (*namelen > 1 && (*name)[*namelen - 1] == '.')
		(*namelen)--;
	if (!dkim_selector_ok(*name, *namelen))
		return DKIM_ERR_SYNTAX;
	for (;;) {
		if ((tok = lex_next(lx)) != T_WORD)
			return tok < 0 ? tok : DKIM_ERR_SYNTAX;
		if (word_is(lx, "TXT"))
			return 0;
		if (!ttl && word_is_ttl(lx))
			ttl = 1;
		else if (!class && word_is(lx, "IN"))
			class = 1;
		else
			return DKIM_ERR_SYNTAX;
	}
}

/* One record or empty line; 1 at the end of the text. */
static int
parse_line(struct lex *lx, struct dkim_keytable *kt)
{
	struct dkim_buf val = { NULL, 0, 0 };
	const char *name;
	size_t namelen, nstr = 0;
	int blank, tok, r;

	blank = lx->i < lx->n && is_blank(lx->s[lx->i]);
	if ((tok = lex_next(lx)) == T_EOF)
		return 1;
	if (tok == T_EOL || tok < 0)
		return tok < 0 ? tok : 0;
	if (blank || tok != T_WORD)	/* no owner: not supported */
		return DKIM_ERR_SYNTAX;
	if ((r = parse_head(lx, &name, &namelen)) != 0)
		return r;
	while ((tok = lex_next(lx)) == T_STRING) {
		nstr++;
		if (val.len + lx->slen > DKIM_MAX_TXT) {
			r = DKIM_ERR_TOOLONG;
			goto out;
		}
		if ((r = dkim_buf_append(&val, lx->str, lx->slen)) != 0)
			goto out;
	}
	/* at least one string, then the end of the line */
	if (tok < 0 || (tok != T_EOL && tok != T_EOF) || nstr == 0) {
		r = tok < 0 ? tok : DKIM_ERR_SYNTAX;
		goto out;
	}
	r = add_rec(kt, name, namelen, &val);
out:
	dkim_buf_free(&val);
	return r;
}

void
dkim_keytable_free(struct dkim_keytable *kt)
{
	size_t i;

	if (kt == NULL)
		return;
	for (i = 0; i < kt->n; i++) {
		free(kt->recs[i].name);
		free(kt->recs[i].val);
	}
	free(kt->recs);
	free(kt);
}

int
dkim_keytable_parse(struct dkim_keytable **out, const char *s, size_t n,
    size_t *errline)
{
	struct dkim_keytable *kt;
	struct lex lx;
	int r;

	*out = NULL;
	*errline = 0;
	if (n > DKIM_MAX_KEYTABLE)
		return DKIM_ERR_TOOLONG;
	if ((kt = calloc(1, sizeof(*kt))) == NULL)
		return DKIM_ERR_ALLOC;
	memset(&lx, 0, sizeof(lx));
	lx.s = s;
	lx.n = n;
	lx.line = 1;
	while ((r = parse_line(&lx, kt)) == 0)
		;
	if (r < 0) {
		*errline = lx.tokline;
		dkim_keytable_free(kt);
		return r;
	}
	*out = kt;
	return 0;
}

int
dkim_keytable_load(struct dkim_keytable **out, const char *path,
    size_t *errline)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t nr;
	int fd, e, r;

	*out = NULL;
	*errline = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return DKIM_ERR_IO;
	if (fstat(fd, &st) == -1) {
		r = DKIM_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		r = DKIM_ERR_IO;
		goto out;
	}
	if (st.st_size > DKIM_MAX_KEYTABLE) {
		r = DKIM_ERR_TOOLONG;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = DKIM_ERR_ALLOC;
		goto out;
	}
	/* one byte more than fstat said: notice a file that grew */
	while (len <= (size_t)st.st_size) {
		nr = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (nr == -1 && errno == EINTR)
			continue;
		if (nr == -1) {
			r = DKIM_ERR_IO;
			goto out;
		}
		if (nr == 0)
			break;
		len += (size_t)nr;
	}
	if (len > (size_t)st.st_size) {
		errno = EAGAIN;	/* changed while read */
		r = DKIM_ERR_IO;
		goto out;
	}
	r = dkim_keytable_parse(out, buf, len, errline);
out:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return r;
}

int
dkim_keytable_txt(const struct dkim_keytable *kt, const char *name,
    struct dkim_txt *txt)
{
	const struct kt_rec *kr;
	size_t i, n = strlen(name);

	memset(txt, 0, sizeof(*txt));
	if (n > 1 && name[n - 1] == '.')
		n--;
	for (i = 0; i < kt->n; i++) {
		kr = &kt->recs[i];
		if (strlen(kr->name) != n || strncasecmp(kr->name, name, n))
			continue;
		if (txt->n == DKIM_MAX_TXTRECS) {
			txt->extra++;
			continue;
		}
		if ((txt->rec[txt->n] = malloc(kr->len + 1)) == NULL) {
			dkim_txt_clear(txt);
			return DKIM_ERR_ALLOC;
		}
		memcpy(txt->rec[txt->n], kr->val, kr->len + 1);
		txt->len[txt->n++] = kr->len;
	}
	return txt->n ? 0 : DKIM_ERR_DNS_PERM;
}
