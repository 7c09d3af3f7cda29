/*
 * canon.c: RFC 6376 3.4 canonicalization.
 *
 * A bare LF counts as CRLF (Unix mail); a bare CR is data.
 *
 * The body canonicalizer is the hot path.  It works a line at a time with
 * memchr() and hands the sink long runs of input bytes untouched ("spans"):
 * bytes that come out as they went in are not copied, only what changes
 * (a CR added to a bare LF, a collapsed run of whitespace, deferred empty
 * lines) goes through the small staging buffer.
 */
#include <string.h>
#include <strings.h>

#include "dkim.h"

/* Spans at least this long go to the sink without being staged. */
#define SPAN_DIRECT	4096

static const unsigned char crlf[2] = { '\r', '\n' };
static const unsigned char sp[1] = { ' ' };

const char *
dkim_canon_name(enum dkim_canon c)
{
	return c == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

static int
canon_word(const char *s, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncmp(s, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (n == 7 && strncmp(s, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return DKIM_ERR_SYNTAX;
	return 0;
}

int
dkim_canon_parse(const char *s, size_t n, enum dkim_canon *hc,
    enum dkim_canon *bc)
{
	const char *slash = memchr(s, '/', n);

	if (slash == NULL) {
		*bc = DKIM_CANON_SIMPLE;
		return canon_word(s, n, hc);
	}
	if (canon_word(s, (size_t)(slash - s), hc) != 0)
		return DKIM_ERR_SYNTAX;
	return canon_word(slash + 1, n - (size_t)(slash - s) - 1, bc);
}

static int
wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
header_simple(const char *f, size_t n, struct dkim_buf *out)
{
	size_t i, start = 0;
	int r;

	/* unchanged, except that bare LFs in folding become CRLF */
	for (i = 0; i < n; i++) {
		if (f[i] != '\n' || (i > 0 && f[i - 1] == '\r'))
			continue;
		if ((r = dkim_buf_append(out, f + start, i - start)) != 0 ||
		    (r = dkim_buf_append(out, crlf, 2)) != 0)
			return r;
		start = i + 1;
	}
	return dkim_buf_append(out, f + start, n - start);
}

static int
header_relaxed(const char *f, size_t n, struct dkim_buf *out)
{
	const char *colon = memchr(f, ':', n);
	size_t i, namelen, v;
	int r, pend = 0, any = 0;

	if (colon == NULL)
		return DKIM_ERR_HDR_COLON;
	namelen = (size_t)(colon - f);
	while (namelen > 0 && wsp(f[namelen - 1]))
		namelen--;
	for (i = 0; i < namelen; i++) {
		char c = f[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((r = dkim_buf_putc(out, c)) != 0)
			return r;
	}
	if ((r = dkim_buf_putc(out, ':')) != 0)
		return r;
	/*
	 * Unfold (drop CR and LF of line breaks), turn WSP runs into one SP,
	 * drop WSP at both ends of the value.  A CR not before an LF is data.
	 */
	for (v = (size_t)(colon - f) + 1; v < n; v++) {
		char c = f[v];

		if (c == '\n' || (c == '\r' && v + 1 < n && f[v + 1] == '\n'))
			continue;
		if (wsp(c)) {
			pend = 1;
			continue;
		}
		if (pend && any && (r = dkim_buf_putc(out, ' ')) != 0)
			return r;
		pend = 0;
		any = 1;
		if ((r = dkim_buf_putc(out, c)) != 0)
			return r;
	}
	return 0;
}

int
dkim_canon_header(enum dkim_canon c, const char *f, size_t n,
    struct dkim_buf *out, int end)
{
	int r;

	if (c == DKIM_CANON_RELAXED)
		r = header_relaxed(f, n, out);
	else
		r = header_simple(f, n, out);
	if (r == 0 && end)
		r = dkim_buf_append(out, crlf, 2);
	return r;
}

/* ---- body ---- */

void
dkim_body_init(struct dkim_body *b, enum dkim_canon c, uint64_t limit,
    dkim_sink_fn *sink, void *arg)
{
	memset(b, 0, offsetof(struct dkim_body, stage));
	b->canon = c;
	b->limit = limit;
	b->sink = sink;
	b->arg = arg;
}

static void
stage_flush(struct dkim_body *b)
{
	if (b->stagelen > 0)
		b->sink(b->arg, b->stage, b->stagelen);
	b->stagelen = 0;
}

static void
span_flush(struct dkim_body *b)
{
	const unsigned char *p = b->span;
	size_t n = b->spanlen, k;

	b->span = NULL;
	b->spanlen = 0;
	if (n >= SPAN_DIRECT) {
		stage_flush(b);
		b->sink(b->arg, p, n);
		return;
	}
	while (n > 0) {
		k = DKIM_STAGE - b->stagelen;
		if (k > n)
			k = n;
		memcpy(b->stage + b->stagelen, p, k);
		b->stagelen += k;
		p += k;
		n -= k;
		if (b->stagelen == DKIM_STAGE)
			stage_flush(b);
	}
}

/* Output n canonical bytes at p, which stays valid until span_flush(). */
static void
emit(struct dkim_body *b, const unsigned char *p, size_t n)
{
	b->total += n;
	if (b->hashed >= b->limit)
		return;
	if (n > b->limit - b->hashed)
		n = (size_t)(b->limit - b->hashed);
	b->hashed += n;
	if (b->span != NULL && p == b->span + b->spanlen) {
		b->spanlen += n;
		return;
	}
	if (b->span != NULL)
		span_flush(b);
	b->span = p;
	b->spanlen = n;
}

/* Start of non-empty line content: the deferred empty lines were not final. */
static void
content_start(struct dkim_body *b)
{
	b->midline = 1;
	for (; b->empties > 0; b->empties--)
		emit(b, crlf, 2);
}

static void
line_end(struct dkim_body *b)
{
	b->wsp = 0;	/* trailing whitespace goes */
	if (b->midline) {
		emit(b, crlf, 2);
		b->midline = 0;
	} else
		b->empties++;
}

/* Line content without its terminator, simple: every byte is content. */
static void
simple_content(struct dkim_body *b, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	if (!b->midline)
		content_start(b);
	emit(b, p, n);
}

/*
 * Relaxed: runs of WSP become one SP, WSP at the end of a line goes.  A
 * run reaching the end of p is left pending, since the line may go on in
 * the next chunk.
 */
static void
relaxed_content(struct dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *q = p, *e = p + n, *r, *w;

	while (q < e) {
		for (r = q; r < e && *r != ' ' && *r != '\t'; r++)
			;
		if (r > q) {
			if (!b->midline)
				content_start(b);
			if (b->wsp) {
				emit(b, sp, 1);
				b->wsp = 0;
			}
			emit(b, q, (size_t)(r - q));
		}
		if (r == e)
			break;
		for (w = r; w < e && (*w == ' ' || *w == '\t'); w++)
			;
		if (w < e && !b->wsp && w - r == 1 && *r == ' ') {
			/* a single SP inside the line stays as it is */
			if (!b->midline)
				content_start(b);
			emit(b, r, 1);
		} else
			b->wsp = 1;
		q = w;
	}
}

static void
content(struct dkim_body *b, const unsigned char *p, size_t n)
{
	if (b->canon == DKIM_CANON_RELAXED)
		relaxed_content(b, p, n);
	else
		simple_content(b, p, n);
}

void
dkim_body_update(struct dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *lf;
	size_t k;

	while (p < end) {
		if (b->cr) {
			b->cr = 0;
			if (*p == '\n') {
				line_end(b);
				p++;
				continue;
			}
			content(b, (const unsigned char *)"\r", 1);
		}
		if ((lf = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			k = (size_t)(end - p);
			if (p[k - 1] == '\r') {
				b->cr = 1;
				k--;
			}
			content(b, p, k);
			break;
		}
		k = (size_t)(lf - p);
		if (k > 0 && p[k - 1] == '\r') {
			/*
			 * A CRLF line with content: content and terminator
			 * in one piece, so input spans run on across lines.
			 */
			if (b->canon == DKIM_CANON_SIMPLE && k > 1) {
				if (!b->midline)
					content_start(b);
				emit(b, p, k + 1);
				b->midline = 0;
				p = lf + 1;
				continue;
			}
			k--;
		}
		content(b, p, k);
		if (b->canon == DKIM_CANON_RELAXED && b->midline && !b->wsp &&
		    k > 0 && p[k] == '\r') {
			emit(b, p + k, 2);
			b->midline = 0;
		} else
			line_end(b);
		p = lf + 1;
	}
	if (b->span != NULL)
		span_flush(b);
}

void
dkim_body_final(struct dkim_body *b)
{
	if (b->cr) {
		b->cr = 0;
		content(b, (const unsigned char *)"\r", 1);
	}
	b->wsp = 0;
	if (b->midline) {
		/* a last line without its terminator gets one */
		emit(b, crlf, 2);
		b->midline = 0;
	}
	if (b->canon == DKIM_CANON_SIMPLE && b->total == 0)
		emit(b, crlf, 2);
	b->empties = 0;
	if (b->span != NULL)
		span_flush(b);
	stage_flush(b);
}
