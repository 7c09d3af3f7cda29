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

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __x86_64__
#include <immintrin.h>
#endif

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
	unsigned char *o;
	int r, pend = 0, any = 0;

	if (colon == NULL)
		return DKIM_ERR_HDR_COLON;
	/* never longer than the input plus the CRLF: grow once */
	if ((r = dkim_buf_reserve(out, n + 3)) != 0)
		return r;
	o = out->p + out->len;
	namelen = (size_t)(colon - f);
	while (namelen > 0 && wsp(f[namelen - 1]))
		namelen--;
	for (i = 0; i < namelen; i++) {
		char c = f[i];

		*o++ = (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	*o++ = ':';
	/*
	 * Unfold (drop CR and LF of line breaks), turn WSP runs into one SP,
	 * drop WSP at both ends of the value.  A CR not before an LF is data.
	 */
	for (v = (size_t)(colon - f) + 1; v < n; v++) {
		char c = f[v];
		size_t s;

		if ((unsigned char)c > ' ') {
			/* a run relaxed keeps as it is, single SPs inside too */
			if (pend && any)
				*o++ = ' ';
			pend = 0;
			any = 1;
			for (s = v; v + 1 < n && ((unsigned char)f[v + 1] > ' ' ||
			    (f[v + 1] == ' ' && v + 2 < n &&
			    (unsigned char)f[v + 2] > ' ')); v++)
				;
			memcpy(o, f + s, v + 1 - s);
			o += v + 1 - s;
			continue;
		}
		if (c == '\n' || (c == '\r' && v + 1 < n && f[v + 1] == '\n'))
			continue;
		if (wsp(c)) {
			pend = 1;
			continue;
		}
		if (pend && any)
			*o++ = ' ';
		pend = 0;
		any = 1;
		*o++ = (unsigned char)c;
	}
	out->len = (size_t)(o - out->p);
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

/* Set by dkim_body_sse2_only(), so tests reach the SSE2 code too. */
static int sse2_only;

void
dkim_body_sse2_only(void)
{
	sse2_only = 1;
}

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
 * The first byte of p..e where relaxed canonicalization changes something:
 * a TAB, or an SP followed by WSP or ending the piece (it may be trailing
 * whitespace).  Everything before it goes out as it came in.  Sixteen bytes
 * at a time where SSE2 is there (every x86-64): this scan is the cost of
 * relaxed over simple.
 */
static const unsigned char *
clean_prefix(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
	const __m128i vsp = _mm_set1_epi8(' '), vtab = _mm_set1_epi8('\t');
	__m128i a, nx, bad;
	int m;

	/* p[16] is read too: the byte after each SP decides */
	while (e - p > 16) {
		a = _mm_loadu_si128((const __m128i *)(const void *)p);
		nx = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
		bad = _mm_or_si128(_mm_cmpeq_epi8(a, vtab),
		    _mm_and_si128(_mm_cmpeq_epi8(a, vsp),
		    _mm_or_si128(_mm_cmpeq_epi8(nx, vsp),
		    _mm_cmpeq_epi8(nx, vtab))));
		if ((m = _mm_movemask_epi8(bad)) != 0)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	for (; p < e; p++) {
		if (*p > ' ')
			continue;
		if (*p == '\t' || (*p == ' ' && (p + 1 == e || p[1] == ' ' ||
		    p[1] == '\t')))
			return p;
	}
	return e;
}

/*
 * Relaxed: runs of WSP become one SP, WSP at the end of a line goes.  A
 * run reaching the end of p is left pending, since the line may go on in
 * the next chunk.
 */
static void
relaxed_content(struct dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *q, *e = p + n;

	while (p < e) {
		if (b->wsp) {
			/* a run begun earlier goes on */
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p == e)
				break;
		}
		q = clean_prefix(p, e);
		if (q > p) {
			if (!b->midline)
				content_start(b);
			if (b->wsp) {
				emit(b, sp, 1);
				b->wsp = 0;
			}
			emit(b, p, (size_t)(q - p));
		}
		if (q == e)
			break;
		/* a run that changes: one SP, unless the line ends first */
		b->wsp = 1;
		for (p = q; p < e && (*p == ' ' || *p == '\t'); p++)
			;
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

#ifdef __SSE2__
/*
 * Simple: how many bytes at p, at the start of a line, are whole lines
 * that come out exactly as they went in, each ending in CRLF.  Empty lines
 * inside the run are kept as they are; the run ends after its last
 * non-empty line, since empty lines at the end of the body go.  Those
 * bytes go to the sink as one span, so the common case is one SIMD pass
 * over the input and no copy.  Conservative: anything doubtful ends the
 * run, and the line-by-line path takes over.  Written once as a macro over
 * the vector width (SSE2 on every x86-64, AVX2 chosen at run time).
 *
 * The loop reads the two bytes before each block: the caller makes sure
 * they are there, and that the one before p is the LF ending a line.
 */
#define CLEAN_LINES(NAME, ATTR, V, W, LOADU, SET1, CMPEQ, AND, ANDNOT,	\
    MOVEMASK)								\
static ATTR size_t							\
NAME(const unsigned char *p, const unsigned char *e)			\
{									\
	const V vlf = SET1('\n'), vcr = SET1('\r');			\
	const unsigned char *q = p, *lb = p;				\
	V a, pv, pp, lf, bad, full;					\
	unsigned m, fm, lm = 0;						\
									\
	while (e - q > W) {						\
		a = LOADU((const V *)(const void *)q);			\
		pv = LOADU((const V *)(const void *)(q - 1));		\
		pp = LOADU((const V *)(const void *)(q - 2));		\
		lf = CMPEQ(a, vlf);					\
		/* an LF not after a CR: a bare line end */		\
		bad = ANDNOT(CMPEQ(pv, vcr), lf);			\
		/* LFs ending lines with content: CR LF not after LF */	\
		full = ANDNOT(CMPEQ(pp, vlf), AND(lf, CMPEQ(pv, vcr)));	\
		m = (unsigned)MOVEMASK(bad);				\
		fm = (unsigned)MOVEMASK(full);				\
		if (m != 0) {						\
			fm &= (1u << __builtin_ctz(m)) - 1;		\
			lb = fm ? q : lb;				\
			lm = fm ? fm : lm;				\
			break;						\
		}							\
		/* branch-free: an LF in half the blocks is no pattern */ \
		lb = fm ? q : lb;					\
		lm = fm ? fm : lm;					\
		q += W;							\
	}								\
	return lm ? (size_t)(lb - p) + (31 - __builtin_clz(lm)) + 1 : 0; \
}

/*
 * Relaxed, a run of WSP at x that changes, met while lines go out as spans
 * from *seg on.  The common kinds are done here: a run with more of its
 * line after it becomes one SP (the run's own first SP where it starts
 * with one, so the span goes on), and a run ending a line with something
 * before it goes.  Returns where to go on scanning, or NULL for anything
 * else (a line of nothing but WSP, which may be an empty line at the end
 * of the body; a bare CR or LF after the run; the end of the chunk): the
 * line-by-line code takes that.
 */
static const unsigned char *
wsp_run(struct dkim_body *b, const unsigned char **seg,
    const unsigned char *x, const unsigned char *e)
{
	const unsigned char *r = x;

	while (r < e && (*r == ' ' || *r == '\t'))
		r++;
	if (e - r < 2)
		return NULL;
	if (*r == '\r' || *r == '\n') {
		if (*r != '\r' || r[1] != '\n' || x[-1] == '\n')
			return NULL;
		if (x > *seg)
			emit(b, *seg, (size_t)(x - *seg));
	} else if (*x == ' ')
		emit(b, *seg, (size_t)(x + 1 - *seg));
	else {
		if (x > *seg)
			emit(b, *seg, (size_t)(x - *seg));
		emit(b, sp, 1);
	}
	*seg = r;
	return r;
}

/*
 * Relaxed: like the simple scan above, but the common runs of WSP are
 * fixed in passing (wsp_run()) instead of ending the run of lines, so a
 * body with some double spaces or trailing blanks stays on the fast path.
 * Emits what it passes and returns how far it got: to the end of the last
 * line with content before what it could not do, or into a line after a
 * fixed run, which the line-by-line code then finishes (b->midline set).
 */
#define RELAXED_LINES(NAME, ATTR, V, W, LOADU, SET1, CMPEQ, AND, ANDNOT,	\
    OR, MOVEMASK)							\
static ATTR size_t							\
NAME(struct dkim_body *b, const unsigned char *p, const unsigned char *e)	\
{									\
	const V vlf = SET1('\n'), vcr = SET1('\r');			\
	const V vsp = SET1(' '), vtab = SET1('\t');			\
	const unsigned char *q = p, *lb = p, *seg = p, *end;		\
	V a, nx, pv, pp, lf, bad, nwsp, full;				\
	unsigned m, fm, lm = 0;						\
									\
	while (e - q > W) {						\
		a = LOADU((const V *)(const void *)q);			\
		nx = LOADU((const V *)(const void *)(q + 1));		\
		pv = LOADU((const V *)(const void *)(q - 1));		\
		pp = LOADU((const V *)(const void *)(q - 2));		\
		lf = CMPEQ(a, vlf);					\
		nwsp = OR(OR(CMPEQ(nx, vsp), CMPEQ(nx, vtab)),		\
		    OR(CMPEQ(nx, vcr), CMPEQ(nx, vlf)));		\
		bad = OR(ANDNOT(CMPEQ(pv, vcr), lf), OR(CMPEQ(a, vtab),	\
		    AND(CMPEQ(a, vsp), nwsp)));				\
		full = ANDNOT(CMPEQ(pp, vlf), AND(lf, CMPEQ(pv, vcr)));	\
		m = (unsigned)MOVEMASK(bad);				\
		fm = (unsigned)MOVEMASK(full);				\
		if (m != 0)						\
			fm &= (1u << __builtin_ctz(m)) - 1;		\
		lb = fm ? q : lb;					\
		lm = fm ? fm : lm;					\
		if (m == 0) {						\
			q += W;						\
			continue;					\
		}							\
		q += __builtin_ctz(m);					\
		if (*q == '\n' || (q = wsp_run(b, &seg, q, e)) == NULL)	\
			break;						\
	}								\
	/* what ends a line with content goes; a fixed line is begun */	\
	end = lm ? lb + (31 - __builtin_clz(lm)) + 1 : p;		\
	if (end > seg) {						\
		emit(b, seg, (size_t)(end - seg));			\
		return (size_t)(end - p);				\
	}								\
	if (seg > p)							\
		b->midline = 1;						\
	return (size_t)(seg - p);					\
}

CLEAN_LINES(clean_sse2, , __m128i, 16, _mm_loadu_si128, _mm_set1_epi8,
    _mm_cmpeq_epi8, _mm_and_si128, _mm_andnot_si128, _mm_movemask_epi8)
#ifdef __x86_64__
#define AVX2 __attribute__((__target__("avx2")))
CLEAN_LINES(clean_avx2, AVX2, __m256i, 32, _mm256_loadu_si256,
    _mm256_set1_epi8, _mm256_cmpeq_epi8, _mm256_and_si256,
    _mm256_andnot_si256, _mm256_movemask_epi8)
#endif
RELAXED_LINES(relaxed_sse2, , __m128i, 16, _mm_loadu_si128, _mm_set1_epi8,
    _mm_cmpeq_epi8, _mm_and_si128, _mm_andnot_si128, _mm_or_si128,
    _mm_movemask_epi8)
#ifdef __x86_64__
RELAXED_LINES(relaxed_avx2, AVX2, __m256i, 32, _mm256_loadu_si256,
    _mm256_set1_epi8, _mm256_cmpeq_epi8, _mm256_and_si256,
    _mm256_andnot_si256, _mm256_or_si256, _mm256_movemask_epi8)
#endif


static int
use_avx2(void)
{
#ifdef __x86_64__
	return !sse2_only && __builtin_cpu_supports("avx2");
#else
	return 0;
#endif
}

/*
 * Lines at p that can go out fast; emitted, and their length returned.
 * The vector loops need the two bytes before p in memory.  Inside the
 * chunk (start..e) they are; at its very start the first line is checked
 * here by hand (simple), or left to the line-by-line code (relaxed).
 */
static size_t
fast_lines(struct dkim_body *b, const unsigned char *start,
    const unsigned char *p, const unsigned char *e)
{
	const unsigned char *lf, *p0 = p;
	size_t k = 0;

	if (b->canon == DKIM_CANON_RELAXED) {
		if (p - start < 2)
			return 0;
		return use_avx2() ? relaxed_avx2(b, p, e) :
		    relaxed_sse2(b, p, e);
	}
	if (p - start < 2) {
		if ((lf = memchr(p, '\n', (size_t)(e - p))) == NULL ||
		    lf - p < 2 || lf[-1] != '\r')
			return 0;
		k = (size_t)(lf + 1 - p);
		p = lf + 1;
	}
	k += use_avx2() ? clean_avx2(p, e) : clean_sse2(p, e);
	if (k > 0)
		emit(b, p0, k);
	return k;
}
#endif

void
dkim_body_update(struct dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *start = p, *lf;
	size_t k;

	while (p < end) {
#ifdef __SSE2__
		if (!b->midline && !b->cr && !b->wsp && b->empties == 0 &&
		    end - p > 64 && (k = fast_lines(b, start, p, end)) > 0) {
			p += k;
			continue;
		}
#endif
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
