/*
 * msg.c: the message reader and canonicalization.
 *
 * The input is a whole message (an mbox postmark, header, body).  Checked:
 *  - dkim_msg_parse() and dkim_msg_read_header() agree on everything,
 *    the latter reading through a SOCK_SEQPACKET socket written in pieces
 *    derived from the input (each read(2) returns exactly one piece, so
 *    every line split the reader can meet is reachable) and through a
 *    memfd; the fields tile the header section and respect its syntax;
 *  - the reader is left at the first body byte, and dkim_in_mark() and
 *    dkim_in_rewind() replay the body (spooled for the socket, seeking
 *    for the memfd);
 *  - both body canonicalizations, fed whole, a byte at a time and in
 *    random chunks, give exactly what a plain line-by-line reference
 *    gives, and an l= limit gives a prefix of it;
 *  - both header canonicalizations of every field (and of the raw input
 *    taken as one field) give what a reference gives;
 *  - dkim_from_domain() gives a valid lower-case domain or an error.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"

static const unsigned char CRLF[2] = { '\r', '\n' };

static int
wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * RFC 6376 3.4.3 and 3.4.4 the obvious way: cut into lines (CRLF or a
 * bare LF ends one; a bare CR is data; a last line without an end gets
 * one), canonicalize each line, drop the empty lines at the end.
 */
static void
ref_body(enum dkim_canon c, const unsigned char *p, size_t n,
    struct dkim_buf *out)
{
	struct dkim_buf line = { NULL, 0, 0 };
	const unsigned char *lf;
	size_t i = 0, s, e, next, j, empties = 0, start = out->len;
	int pend;

	while (i < n) {
		s = i;
		if ((lf = memchr(p + i, '\n', n - i)) != NULL) {
			e = (size_t)(lf - p);
			next = e + 1;
			if (e > s && p[e - 1] == '\r')
				e--;
		} else
			e = next = n;
		line.len = 0;
		if (c == DKIM_CANON_SIMPLE)
			put(&line, p + s, e - s);
		else {
			for (j = s, pend = 0; j < e; j++) {
				if (wsp(p[j])) {
					pend = 1;
					continue;
				}
				if (pend)
					put(&line, " ", 1);
				pend = 0;
				put(&line, p + j, 1);
			}
		}
		if (line.len == 0)
			empties++;
		else {
			for (; empties > 0; empties--)
				put(out, CRLF, 2);
			put(out, line.p, line.len);
			put(out, CRLF, 2);
		}
		i = next;
	}
	if (c == DKIM_CANON_SIMPLE && out->len == start)
		put(out, CRLF, 2);
	dkim_buf_free(&line);
}

/* RFC 6376 3.4.1 and 3.4.2, bare LF taken as CRLF. */
static int
ref_header(enum dkim_canon c, const unsigned char *f, size_t n,
    struct dkim_buf *out)
{
	const unsigned char *colon;
	size_t i, nl;
	int pend = 0, any = 0;
	unsigned char ch;

	if (c == DKIM_CANON_SIMPLE) {
		for (i = 0; i < n; i++) {
			if (f[i] == '\n' && (i == 0 || f[i - 1] != '\r'))
				put(out, CRLF, 2);
			else
				put(out, f + i, 1);
		}
		return 0;
	}
	if ((colon = memchr(f, ':', n)) == NULL)
		return DKIM_ERR_HDR_COLON;
	for (nl = (size_t)(colon - f); nl > 0 && wsp(f[nl - 1]); nl--)
		;
	for (i = 0; i < nl; i++) {
		ch = f[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		put(out, &ch, 1);
	}
	put(out, ":", 1);
	for (i = (size_t)(colon - f) + 1; i < n; i++) {
		/* unfold: line breaks go, a bare CR stays */
		if (f[i] == '\n' || (f[i] == '\r' && i + 1 < n &&
		    f[i + 1] == '\n'))
			continue;
		if (wsp(f[i])) {
			pend = 1;
			continue;
		}
		if (pend && any)
			put(out, " ", 1);
		pend = 0;
		any = 1;
		put(out, f + i, 1);
	}
	return 0;
}

static void
check_header_canon(const unsigned char *f, size_t n)
{
	struct dkim_buf got = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	enum dkim_canon c;
	int r, rr;

	for (c = DKIM_CANON_SIMPLE; c <= DKIM_CANON_RELAXED; c++) {
		got.len = want.len = 0;
		r = dkim_canon_header(c, (const char *)f, n, &got, 1);
		rr = ref_header(c, f, n, &want);
		CHECK(r == rr, "header canon: unexpected result");
		if (r != 0)
			continue;
		put(&want, CRLF, 2);
		CHECK(same_buf(&got, &want), "header canon differs from "
		    "the reference");
	}
	dkim_buf_free(&got);
	dkim_buf_free(&want);
}

/* One canonicalization of body (n bytes) in pieces chosen by mode. */
static void
canon_body(enum dkim_canon c, const unsigned char *p, size_t n,
    uint64_t limit, int mode, struct rng *rg, struct dkim_buf *out,
    uint64_t *total)
{
	static struct dkim_body b;	/* 16 KB: not on the stack */
	size_t off = 0, k;

	dkim_body_init(&b, c, limit, sink_collect, out);
	while (off < n) {
		k = mode == 0 ? n - off : mode == 1 ? 1 : rng_chunk(rg,
		    n - off);
		dkim_body_update(&b, p + off, k);
		off += k;
	}
	dkim_body_final(&b);
	CHECK(b.hashed == out->len, "body: hashed is not what the sink got");
	*total = b.total;
}

static void
check_body(const unsigned char *p, size_t n, struct rng *rg)
{
	struct dkim_buf want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	enum dkim_canon c;
	uint64_t limit, total;
	size_t keep;
	int mode;

	for (c = DKIM_CANON_SIMPLE; c <= DKIM_CANON_RELAXED; c++) {
		want.len = 0;
		ref_body(c, p, n, &want);
		for (mode = 0; mode < 3; mode++) {
			/* a byte at a time is slow: for shorter bodies only */
			if (mode == 1 && n > 512)
				continue;
			got.len = 0;
			canon_body(c, p, n, UINT64_MAX, mode, rg, &got, &total);
			CHECK(same_buf(&got, &want), mode == 0 ?
			    "body canon (whole) differs from the reference" :
			    mode == 1 ? "body canon (bytewise) differs "
			    "from the reference" : "body canon (chunks) "
			    "differs from the reference");
			CHECK(total == want.len, "body: total is wrong");
		}
		/* l=: a prefix, the total still counted */
		limit = rng_next(rg) % (want.len + 3);
		got.len = 0;
		canon_body(c, p, n, limit, 2, rg, &got, &total);
		keep = limit < want.len ? (size_t)limit : want.len;
		CHECK(got.len == keep && (keep == 0 ||
		    memcmp(got.p, want.p, keep) == 0),
		    "body canon with l= is not a prefix");
		CHECK(total == want.len, "body with l=: total is wrong");
	}
	dkim_buf_free(&want);
	dkim_buf_free(&got);
}

/* The fields tile hbuf and obey the little syntax the reader checks. */
static void
check_fields(const struct dkim_msg *m)
{
	const struct dkim_hdr *h;
	const unsigned char *hb = m->hbuf.p;
	const char *v;
	size_t i, j, vl, end;

	CHECK(m->nhdrs > 0 && m->nhdrs <= DKIM_MAX_HDRS, "field count");
	CHECK(memchr(hb, '\0', m->hbuf.len) == NULL, "NUL in the header");
	for (i = 0; i < m->nhdrs; i++) {
		h = &m->hdrs[i];
		CHECK(h->off <= m->hbuf.len && h->len <= m->hbuf.len - h->off,
		    "field outside hbuf");
		CHECK(i > 0 || h->off == 0, "first field not at 0");
		end = i + 1 < m->nhdrs ? m->hdrs[i + 1].off : m->hbuf.len;
		CHECK(h->off + h->len <= end, "fields overlap");
		/* between fields only the line end */
		CHECK(end - (h->off + h->len) <= 2, "gap between fields");
		for (j = h->off + h->len; j < end; j++)
			CHECK(hb[j] == '\r' || hb[j] == '\n', "gap not EOL");
		CHECK(h->namelen > 0 && h->namelen <= h->colon &&
		    h->colon < h->len, "name/colon offsets");
		CHECK(hb[h->off + h->colon] == ':', "colon offset");
		CHECK(memchr(hb + h->off, ':', h->colon) == NULL,
		    "not the first colon");
		for (j = 0; j < h->namelen; j++)
			CHECK(hb[h->off + j] >= 33 && hb[h->off + j] <= 126,
			    "field name character");
		for (j = h->namelen; j < h->colon; j++)
			CHECK(wsp(hb[h->off + j]), "non-WSP before colon");
		CHECK(!wsp(hb[h->off]), "field starts with WSP");
		dkim_hdr_value(m, h, &v, &vl);
		CHECK(v == dkim_hdr_ptr(m, h) + h->colon + 1 &&
		    vl == h->len - h->colon - 1, "dkim_hdr_value");
		CHECK(dkim_hdr_is(m, h, dkim_hdr_ptr(m, h), h->namelen),
		    "dkim_hdr_is on its own name");
	}
}

static int
domain_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/*
 * dkim_from_domain() gives a valid lower-case domain that stands whole
 * after an "@" of the From field (not a piece of a longer one), or an
 * error; cap (at most DKIM_MAX_DOMAIN + 1) bounds what it may write.
 */
static void
check_from(const struct dkim_msg *m, size_t cap)
{
	char d[DKIM_MAX_DOMAIN + 1];
	const char *v;
	size_t i, n, vl;
	int r, whole = 0;

	r = dkim_from_domain(m, d, cap);
	CHECK(r == 0 || r == DKIM_ERR_SYNTAX || r == DKIM_ERR_TOOLONG,
	    "from_domain: undocumented error");
	if (r != 0)
		return;
	n = strnlen(d, cap);
	CHECK(n < cap && dkim_domain_ok(d, n), "from_domain: bad domain");
	for (i = 0; i < n; i++)
		CHECK(d[i] < 'A' || d[i] > 'Z', "from_domain: upper case");
	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], "From", 4))
			break;
	CHECK(i < m->nhdrs, "from_domain: a domain without a From field");
	dkim_hdr_value(m, &m->hdrs[i], &v, &vl);
	for (i = 0; i + n < vl && !whole; i++)
		whole = v[i] == '@' && strncasecmp(v + i + 1, d, n) == 0 &&
		    (i + 1 + n == vl || !domain_char((unsigned char)v[i + 1 +
		    n]));
	CHECK(whole, "from_domain: not a whole domain of the From field");
}

static void
same_msg(const struct dkim_msg *a, const struct dkim_msg *b)
{
	size_t i;

	CHECK(same_buf(&a->mbox_from, &b->mbox_from), "mbox_from differs");
	CHECK(a->errline == b->errline, "errline differs");
	CHECK(a->nhdrs == b->nhdrs, "field count differs");
	CHECK(same_buf(&a->hbuf, &b->hbuf), "hbuf differs");
	CHECK(a->crlf == b->crlf && a->has_sep == b->has_sep &&
	    a->sep_crlf == b->sep_crlf, "flags differ");
	for (i = 0; i < a->nhdrs; i++)
		CHECK(memcmp(&a->hdrs[i], &b->hdrs[i], sizeof(a->hdrs[i])) == 0,
		    "field offsets differ");
}

/* The rest of the reader's input into out. */
static void
drain(struct dkim_in *in, struct dkim_buf *out)
{
	const unsigned char *p;
	size_t n;

	for (;;) {
		CHECK(dkim_in_chunk(in, &p, &n) == 0, "dkim_in_chunk failed");
		if (n == 0)
			break;
		put(out, p, n);
	}
}

/*
 * Read the message through fd with dkim_msg_read_header(); compare with
 * the in-memory parse; check the body and its replay.
 */
static void
check_reader(int fd, const struct dkim_msg *ref, int rref,
    const unsigned char *body, size_t bodylen, int replay)
{
	struct dkim_buf got = { NULL, 0, 0 };
	struct dkim_msg *m;
	struct dkim_in *in;
	int r;

	CHECK((m = dkim_msg_new()) != NULL, "out of memory");
	CHECK((in = dkim_in_new(fd, "fuzz")) != NULL, "out of memory");
	r = dkim_msg_read_header(m, in);
	CHECK(r == rref, "read_header and parse disagree");
	CHECK(m->errline == ref->errline, "errline differs");
	if (r == 0) {
		same_msg(ref, m);
		if (replay)
			CHECK(dkim_in_mark(in) == 0, "dkim_in_mark failed");
		drain(in, &got);
		CHECK(got.len == bodylen && (bodylen == 0 ||
		    memcmp(got.p, body, bodylen) == 0),
		    "the reader is not left at the body");
		if (!replay)
			goto out;
		CHECK(dkim_in_rewind(in) == 0, "dkim_in_rewind failed");
		got.len = 0;
		drain(in, &got);
		CHECK(got.len == bodylen && (bodylen == 0 ||
		    memcmp(got.p, body, bodylen) == 0),
		    "the body replay differs");
	}
out:
	dkim_in_free(in);
	dkim_msg_free(m);
	dkim_buf_free(&got);
}

/* The input as packets of a SOCK_SEQPACKET socket; -1 if it won't fit. */
static int
packet_fd(const uint8_t *p, size_t n, struct rng *rg)
{
	int sv[2], big = 1 << 22;
	size_t off = 0, k, pieces = rng_range(rg, 1, 32);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	while (off < n) {
		/* never an empty packet: the reader would take it for EOF */
		k = pieces <= 1 ? n - off : rng_range(rg, 1, n - off);
		if (send(sv[1], p + off, k, MSG_DONTWAIT) != (ssize_t)k) {
			close(sv[0]);
			close(sv[1]);
			return -1;
		}
		off += k;
		if (pieces > 1)
			pieces--;
	}
	close(sv[1]);
	return sv[0];
}

static int
mem_fd(const uint8_t *p, size_t n)
{
	int fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		return -1;
	if ((n > 0 && write(fd, p, n) != (ssize_t)n) ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_msg *m;
	struct rng rg;
	size_t i, off, seplen;
	int fd, r;

	rng_seed(&rg, data, size, 0);
	CHECK((m = dkim_msg_new()) != NULL, "out of memory");
	r = dkim_msg_parse(m, data, size);
	if (r == 0) {
		check_fields(m);
		check_from(m, DKIM_MAX_DOMAIN + 1);
		check_from(m, rng_range(&rg, 1, DKIM_MAX_DOMAIN + 1));
		for (i = 0; i < m->nhdrs; i++)
			check_header_canon((const unsigned char *)
			    dkim_hdr_ptr(m, &m->hdrs[i]), m->hdrs[i].len);
	}
	/* where the body starts, from what the parser kept */
	seplen = m->has_sep ? (m->sep_crlf ? 2 : 1) : 0;
	off = m->mbox_from.len + m->hbuf.len + seplen;
	if (r == 0) {
		CHECK(off <= size, "header longer than the input");
		CHECK(m->has_sep || off == size, "no separator, yet a body");
		CHECK((m->mbox_from.len == 0 || memcmp(data, m->mbox_from.p,
		    m->mbox_from.len) == 0) && memcmp(data + m->mbox_from.len,
		    m->hbuf.p, m->hbuf.len) == 0,
		    "header bytes are not the input's");
	} else
		off = size;
	/*
	 * Spooling allocates 4 MB, which under ASan costs more than all the
	 * rest: the socket's replay is checked for one input in eight.
	 */
	if ((fd = packet_fd(data, size, &rg)) != -1) {
		check_reader(fd, m, r, data + off, size - off,
		    rng_next(&rg) % 8 == 0);
		close(fd);
	}
	if ((fd = mem_fd(data, size)) != -1) {
		check_reader(fd, m, r, data + off, size - off, 1);
		close(fd);
	}
	dkim_msg_free(m);

	/* the body, and the raw input as one header field */
	check_body(data + off, size - off, &rg);
	/* bytes the reader refused, as one field (any bytes, no colon...) */
	if (r != 0 && size <= 4096)
		check_header_canon(data, size);
	return 0;
}
