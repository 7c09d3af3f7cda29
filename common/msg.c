/*
 * msg.c: the message model.  The header section is read into memory
 * byte-exact and split into fields; the body is left in the reader, to be
 * streamed by whoever needs it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

/* Line splitting state, shared by the fd and the memory readers. */
struct hstate {
	size_t	 linestart;	/* offset in hbuf of the current line */
	int	 first;		/* still on the first line */
	int	 done;
};

struct dkim_msg *
dkim_msg_new(void)
{
	return calloc(1, sizeof(struct dkim_msg));
}

void
dkim_msg_free(struct dkim_msg *m)
{
	if (m == NULL)
		return;
	dkim_buf_free(&m->mbox_from);
	dkim_buf_free(&m->hbuf);
	free(m->hdrs);
	free(m);
}

/*
 * An mbox postmark: "From " then something not leading to a colon, which
 * would make it an obsolete-syntax "From :" header field.
 */
static int
is_postmark(const unsigned char *p, size_t n)
{
	size_t i;

	if (n < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	for (i = 5; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	return !(i < n && p[i] == ':');
}

/* The line that just ended at hbuf's end is complete: classify it. */
static int
line_done(struct dkim_msg *m, struct hstate *st)
{
	unsigned char *line = m->hbuf.p + st->linestart;
	size_t n = m->hbuf.len - st->linestart;
	int r;

	if (n == 1 || (n == 2 && line[0] == '\r')) {
		m->has_sep = 1;
		m->sep_crlf = (n == 2);
		m->hbuf.len = st->linestart;
		st->done = 1;
		return 0;
	}
	if (st->first) {
		st->first = 0;
		if (is_postmark(line, n)) {
			if ((r = dkim_buf_append(&m->mbox_from, line, n)) != 0)
				return r;
			m->hbuf.len = 0;
			st->first = 1;	/* the header starts on the next line */
			st->linestart = 0;
			return 0;
		}
	}
	st->linestart = m->hbuf.len;
	return 0;
}

/*
 * Take header bytes from p; *used says how many belong to the header
 * section (with its empty line).
 */
static int
feed(struct dkim_msg *m, struct hstate *st, const unsigned char *p, size_t n,
    size_t *used)
{
	const unsigned char *lf, *s = p, *end = p + n;
	size_t k;
	int r;

	while (s < end && !st->done) {
		lf = memchr(s, '\n', (size_t)(end - s));
		k = lf ? (size_t)(lf - s) + 1 : (size_t)(end - s);
		if (k > DKIM_MAX_HDR_BYTES - m->hbuf.len)
			return DKIM_ERR_HDR_SIZE;
		if ((r = dkim_buf_append(&m->hbuf, s, k)) != 0)
			return r;
		s += k;
		if (lf != NULL && (r = line_done(m, st)) != 0)
			return r;
	}
	*used = (size_t)(s - p);
	return 0;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Split hbuf into fields, checking the little syntax there is. */
static int
split(struct dkim_msg *m)
{
	const unsigned char *h = m->hbuf.p;
	size_t i, j, line = m->mbox_from.len ? 2 : 1, cap = 0, eol;
	struct dkim_hdr *hd, *nh;

	m->errline = 0;
	for (i = 0; i < m->hbuf.len; line++) {
		const unsigned char *lf;
		size_t ll;

		lf = memchr(h + i, '\n', m->hbuf.len - i);
		ll = lf ? (size_t)(lf - (h + i)) + 1 : m->hbuf.len - i;
		if (memchr(h + i, '\0', ll) != NULL) {
			m->errline = line;
			return DKIM_ERR_HDR_NUL;
		}
		if (i == 0)
			m->crlf = ll >= 2 && h[ll - 1] == '\n' &&
			    h[ll - 2] == '\r';
		if (is_wsp(h[i])) {
			if (m->nhdrs == 0) {
				m->errline = line;
				return DKIM_ERR_HDR_CONT;
			}
			hd = &m->hdrs[m->nhdrs - 1];
			hd->len = i + ll - hd->off;
		} else {
			if (m->nhdrs == DKIM_MAX_HDRS) {
				m->errline = line;
				return DKIM_ERR_HDR_COUNT;
			}
			if (m->nhdrs == cap) {
				cap = cap ? cap * 2 : 32;
				if (cap > DKIM_MAX_HDRS)
					cap = DKIM_MAX_HDRS;
				nh = reallocarray(m->hdrs, cap, sizeof(*nh));
				if (nh == NULL)
					return DKIM_ERR_ALLOC;
				m->hdrs = nh;
			}
			hd = &m->hdrs[m->nhdrs++];
			hd->off = i;
			hd->len = ll;
			for (j = i; j < i + ll && h[j] != ':'; j++)
				;
			if (j == i + ll) {
				m->errline = line;
				return DKIM_ERR_HDR_COLON;
			}
			hd->colon = j - i;
			while (j > i && is_wsp(h[j - 1]))
				j--;
			hd->namelen = j - i;
			for (j = i; j < i + hd->namelen; j++)
				if (h[j] < 33 || h[j] > 126)
					break;
			if (hd->namelen == 0 || j < i + hd->namelen) {
				m->errline = line;
				return DKIM_ERR_HDR_NAME;
			}
		}
		i += ll;
	}
	if (m->nhdrs == 0)
		return DKIM_ERR_EMPTY;
	/* a field's length excludes its final line end */
	for (i = 0; i < m->nhdrs; i++) {
		hd = &m->hdrs[i];
		eol = 0;
		if (hd->len > 0 && h[hd->off + hd->len - 1] == '\n') {
			eol = 1;
			if (hd->len > 1 && h[hd->off + hd->len - 2] == '\r')
				eol = 2;
		}
		hd->len -= eol;
	}
	return 0;
}

static void
reset(struct dkim_msg *m)
{
	m->mbox_from.len = 0;
	m->hbuf.len = 0;
	m->nhdrs = 0;
	m->crlf = m->has_sep = m->sep_crlf = 0;
	m->errline = 0;
}

int
dkim_msg_read_header(struct dkim_msg *m, struct dkim_in *in)
{
	struct hstate st = { 0, 1, 0 };
	const unsigned char *p;
	size_t n, used;
	int r;

	reset(m);
	/* most header sections fit: one allocation, no doubling */
	if ((r = dkim_buf_reserve(&m->hbuf, 4096)) != 0)
		return r;
	while (!st.done) {
		if ((r = dkim_in_chunk(in, &p, &n)) != 0)
			return r;
		if (n == 0)
			break;
		if ((r = feed(m, &st, p, n, &used)) != 0) {
			m->errline = 0;
			return r;
		}
		dkim_in_unread(in, n - used);
	}
	return split(m);
}

int
dkim_msg_parse(struct dkim_msg *m, const void *p, size_t n)
{
	struct hstate st = { 0, 1, 0 };
	size_t used;
	int r;

	reset(m);
	if ((r = feed(m, &st, p, n, &used)) != 0)
		return r;
	return split(m);
}

const char *
dkim_hdr_ptr(const struct dkim_msg *m, const struct dkim_hdr *h)
{
	return (const char *)m->hbuf.p + h->off;
}

int
dkim_hdr_is(const struct dkim_msg *m, const struct dkim_hdr *h,
    const char *name, size_t n)
{
	return h->namelen == n &&
	    strncasecmp(dkim_hdr_ptr(m, h), name, n) == 0;
}

void
dkim_hdr_value(const struct dkim_msg *m, const struct dkim_hdr *h,
    const char **v, size_t *vlen)
{
	*v = dkim_hdr_ptr(m, h) + h->colon + 1;
	*vlen = h->len - h->colon - 1;
}

int
dkim_msg_select(const struct dkim_msg *m, const char *const *names,
    const size_t *lens, size_t n, long skip, long *out)
{
	size_t i, j, before;
	long k;

	for (i = 0; i < n; i++) {
		/* earlier mentions of the name used the lower instances */
		before = 0;
		for (j = 0; j < i; j++)
			if (lens[j] == lens[i] &&
			    strncasecmp(names[j], names[i], lens[i]) == 0)
				before++;
		out[i] = -1;
		for (k = (long)m->nhdrs - 1; k >= 0; k--) {
			if (k == skip ||
			    !dkim_hdr_is(m, &m->hdrs[k], names[i], lens[i]))
				continue;
			if (before == 0) {
				out[i] = k;
				break;
			}
			before--;
		}
	}
	return 0;
}
