/*
 * unit.c: drives library functions the command-line tools cannot reach
 * directly, for tests/shell/t-canon.sh and others.
 *
 *   unit chunks simple|relaxed FILE [LIMIT]
 *	canonicalize FILE as a body whole, one byte at a time and in
 *	pseudo-random chunks, then whole again with the SSE2 code instead
 *	of AVX2; print the output and exit 0 when all agree, 1 otherwise
 *   unit taglist STRING
 *	print "name=value" per tag, or "ERROR"
 *   unit ctag STRING
 *	print "header/body" for a c= value, or "ERROR"
 *   unit keyrec STRING
 *	parse a key record: "k=TYPE bits=N flags" or "ERROR reason"
 *   unit key FILE
 *	load a key file: "TYPE BITS P-VALUE"
 *   unit shrink FILE
 *	read FILE (1 MiB or more) with dkim_in, whole and as a range, and
 *	cut it to 4 KiB after the first chunk: print how much the first
 *	chunk held and what the next dkim_in_chunk() says, a line for each;
 *	exit 0 when both say the file shrank
 *   unit grow FILE
 *	read FILE with dkim_in and add 4 KiB to it after the first chunk:
 *	print how many bytes were read in all; exit 0 when that is its
 *	size before
 *   unit replay FILE
 *	read FILE with dkim_in to its end, then make it 4 KiB longer, or
 *	cut it to 4 KiB, and copy it again with dkim_in_copy() (sendfile(2)
 *	to a file, and by hand to an O_APPEND one): print what was copied
 *	and what dkim_in_copy() said, a line each; exit 0 when the longer
 *	file gave what it had the first time and the shorter one the error
 *   unit keysrc
 *	the key cache's per-thread recent entries: names match whole and
 *	in any case, and a source freed is never answered for by the next;
 *	one line per check, exit 0 when all hold
 *   unit digest
 *	digests used again (more at once than are kept, SHA-1 and SHA-256
 *	mixed) give the known hashes; exit 0 when all do
 *   unit legacy KEYTABLE FILE [EPOCH]
 *	verify FILE as RFC 6376 did before RFC 8301 (rsa-sha1 and short
 *	RSA keys allowed), one "result (reason)" line per signature; for
 *	showing that old vectors fail only because of RFC 8301
 */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkim.h"

static void
collect(void *arg, const unsigned char *p, size_t n)
{
	if (dkim_buf_append(arg, p, n) != 0)
		errx(1, "out of memory");
}

static void
canon(enum dkim_canon c, const unsigned char *p, size_t n, uint64_t limit,
    unsigned seed, struct dkim_buf *out)
{
	struct dkim_body *b;
	size_t off = 0, k;

	if ((b = malloc(sizeof(*b))) == NULL)
		err(1, NULL);
	dkim_body_init(b, c, limit, collect, out);
	srandom(seed);
	while (off < n) {
		if (seed == 0)
			k = n - off;
		else if (seed == 1)
			k = 1;
		else if (seed < 10)
			k = 1 + (size_t)random() % 7;
		else	/* big enough for the multi-line fast path */
			k = 1 + (size_t)random() % 700;
		if (k > n - off)
			k = n - off;
		dkim_body_update(b, p + off, k);
		off += k;
	}
	dkim_body_final(b);
	free(b);
}

static int
chunks(int argc, char **argv)
{
	struct dkim_buf whole = { 0 }, other = { 0 };
	struct stat st;
	enum dkim_canon c;
	unsigned char *p;
	uint64_t limit = UINT64_MAX;
	unsigned seed;
	int fd;

	if (argc < 2)
		errx(2, "usage: unit chunks simple|relaxed FILE [LIMIT]");
	c = strcmp(argv[0], "relaxed") == 0 ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE;
	if (argc > 2)
		limit = strtoull(argv[2], NULL, 10);
	if ((fd = open(argv[1], O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(2, "%s", argv[1]);
	if ((p = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, p, (size_t)st.st_size) != st.st_size)
		err(2, "%s", argv[1]);
	canon(c, p, (size_t)st.st_size, limit, 0, &whole);
	for (seed = 1; seed <= 20; seed++) {
		other.len = 0;
		if (seed == 20)		/* last: whole again, SSE2 only */
			dkim_body_sse2_only();
		canon(c, p, (size_t)st.st_size, limit, seed % 20, &other);
		if (other.len != whole.len || (whole.len > 0 &&
		    memcmp(other.p, whole.p, whole.len) != 0)) {
			printf("chunking %u differs\n", seed);
			return 1;
		}
	}
	if (whole.len > 0)
		fwrite(whole.p, 1, whole.len, stdout);
	dkim_buf_free(&whole);
	dkim_buf_free(&other);
	free(p);
	close(fd);
	return 0;
}

static int
taglist(const char *s)
{
	struct dkim_taglist tl;
	size_t i;

	if (dkim_taglist_parse(&tl, s, strlen(s), NULL) != 0) {
		printf("ERROR\n");
		return 0;
	}
	for (i = 0; i < tl.n; i++)
		printf("%.*s=%.*s\n", (int)tl.tags[i].namelen, tl.tags[i].name,
		    (int)tl.tags[i].vallen, tl.tags[i].val);
	return 0;
}

static int
ctag(const char *s)
{
	enum dkim_canon h, b;

	if (dkim_canon_parse(s, strlen(s), &h, &b) != 0)
		printf("ERROR\n");
	else
		printf("%s/%s\n", dkim_canon_name(h), dkim_canon_name(b));
	return 0;
}

static int
keyrec(const char *s)
{
	struct dkim_keyrec kr;
	const char *reason;

	if (dkim_keyrec_parse(&kr, s, strlen(s), &reason) != 0) {
		printf("ERROR %s\n", reason);
		return 0;
	}
	printf("k=%s bits=%d%s%s%s%s h=%s%s\n", dkim_keytype_name(kr.k),
	    kr.bits, kr.revoked ? " revoked" : "", kr.testing ? " testing" : "",
	    kr.strict ? " strict" : "", kr.email ? "" : " not-email",
	    kr.hashes & (1u << DKIM_HASH_SHA256) ? "sha256," : "",
	    kr.hashes & (1u << DKIM_HASH_SHA1) ? "sha1" : "");
	dkim_keyrec_clear(&kr);
	return 0;
}

static int
key(const char *path)
{
	struct evp_pkey_st *k;
	enum dkim_keytype t;
	char *p;
	int loose, r;

	if ((r = dkim_key_file(path, 0, &k, &loose)) != 0) {
		printf("ERROR %s\n", dkim_strerror(r));
		return 1;
	}
	if (dkim_key_type(k, &t) != 0 || dkim_key_p(k, &p) != 0) {
		printf("ERROR unusable\n");
		return 1;
	}
	printf("%s %d %s\n", dkim_keytype_name(t), dkim_key_bits(k), p);
	free(p);
	dkim_key_free(k);
	return 0;
}

static int
legacy(int argc, char **argv)
{
	struct dkim_keytable *kt;
	struct dkim_keysrc *ks;
	struct dkim_verify *vf;
	struct dkim_vopts o = { 0, DKIM_DEFAULT_SKEW, DKIM_DEFAULT_MAXSIGS, 1 };
	struct dkim_msg *m;
	struct dkim_in *in;
	const struct dkim_vresult *v;
	const unsigned char *p;
	size_t n, line, i;
	int fd;

	if (argc < 2)
		errx(2, "usage: unit legacy KEYTABLE FILE [EPOCH]");
	o.now = argc > 2 ? strtoull(argv[2], NULL, 10) : (uint64_t)time(NULL);
	if (dkim_keytable_load(&kt, argv[0], &line) != 0)
		errx(2, "%s:%zu: bad key table", argv[0], line);
	if ((fd = open(argv[1], O_RDONLY)) == -1)
		err(2, "%s", argv[1]);
	ks = dkim_keysrc_new(NULL, kt);
	in = dkim_in_new(fd, argv[1]);
	m = dkim_msg_new();
	if (ks == NULL || in == NULL || m == NULL ||
	    dkim_msg_read_header(m, in) != 0 ||
	    dkim_verify_new(&vf, m, ks, &o) != 0)
		errx(2, "%s: cannot verify", argv[1]);
	do {
		if (dkim_in_chunk(in, &p, &n) != 0)
			err(2, "%s", argv[1]);
		dkim_verify_body(vf, p, n);
	} while (n > 0);
	dkim_verify_final(vf);
	for (i = 0; i < dkim_verify_count(vf); i++) {
		v = dkim_verify_result(vf, i);
		printf("%s (%s)\n", dkim_result_name(v->res),
		    v->reason ? v->reason : "ok");
	}
	if (dkim_verify_count(vf) == 0)
		printf("none\n");
	dkim_verify_free(vf);
	dkim_msg_free(m);
	dkim_in_free(in);
	dkim_keysrc_free(ks);
	dkim_keytable_free(kt);
	return 0;
}

static int failed;

static void
check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		failed = 1;
}

static const char *
rec_of(struct dkim_keysrc *ks, const char *name)
{
	const struct dkim_txt *t;

	if (dkim_keysrc_get(ks, name, &t) != 0 || t == NULL || t->n != 1)
		return "(none)";
	return t->rec[0];
}

static struct dkim_keysrc *
src_with(const char *name, const char *rec)
{
	struct dkim_keysrc *ks;

	if ((ks = dkim_keysrc_new(NULL, NULL)) == NULL ||
	    dkim_keysrc_add(ks, name, rec, strlen(rec)) != 0)
		errx(2, "keysrc");
	return ks;
}

static int
keysrc(void)
{
	static const char name[] = "sel._domainkey.example.com";
	struct dkim_keysrc *ks, *other;
	const struct dkim_txt *a, *b;
	int i;

	ks = src_with(name, "v=DKIM1; p=FIRST");
	check(strcmp(rec_of(ks, name), "v=DKIM1; p=FIRST") == 0,
	    "a name added is found");
	(void)dkim_keysrc_get(ks, name, &a);
	(void)dkim_keysrc_get(ks, "SEL._domainKEY.Example.COM", &b);
	check(a == b, "again, in another case: the same entry");
	check(dkim_keysrc_get(ks, "sel._domainkey.example.co", &b) != 0,
	    "a prefix of a recent name is another name");
	check(dkim_keysrc_get(ks, "sel._domainkey.example.com.", &b) != 0,
	    "a recent name with more is another name");
	dkim_keysrc_free(ks);
	/* malloc gives the freed place to the next of the same size */
	for (i = 0; i < 3; i++) {
		ks = src_with(name, i % 2 ? "v=DKIM1; p=ODD" :
		    "v=DKIM1; p=EVEN");
		check(strcmp(rec_of(ks, name), i % 2 ? "v=DKIM1; p=ODD" :
		    "v=DKIM1; p=EVEN") == 0,
		    "a new source answers with its own record");
		dkim_keysrc_free(ks);
	}
	ks = src_with(name, "v=DKIM1; p=ONE");
	other = src_with(name, "v=DKIM1; p=TWO");
	check(strcmp(rec_of(ks, name), "v=DKIM1; p=ONE") == 0 &&
	    strcmp(rec_of(other, name), "v=DKIM1; p=TWO") == 0 &&
	    strcmp(rec_of(ks, name), "v=DKIM1; p=ONE") == 0,
	    "two sources side by side keep their own records");
	dkim_keysrc_free(ks);
	dkim_keysrc_free(other);
	return failed;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int
digest(void)
{
	static const char abc256[] = "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad";
	static const char abc1[] = "a9993e364706816aba3e25717850c26c9cd0d89d";
	static const char empty256[] = "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855";
	struct dkim_digest *d[6];
	unsigned char md[DKIM_HASH_MAX];
	char h[2 * DKIM_HASH_MAX + 1];
	size_t n, i;
	int round, ok;

	for (round = 0; round < 3; round++) {
		/* six at once: more than a thread keeps for the next */
		for (i = 0; i < 6; i++) {
			if ((d[i] = dkim_digest_new(i % 2 ? DKIM_HASH_SHA1 :
			    DKIM_HASH_SHA256)) == NULL)
				errx(2, "digest");
			/* the first two hash nothing: old state would show */
			if (i >= 2)
				dkim_digest_update(d[i],
				    (const unsigned char *)"abc", 3);
		}
		ok = 1;
		for (i = 0; i < 6; i++) {
			if (dkim_digest_final(d[i], md, &n) != 0)
				errx(2, "final");
			hex(md, n, h);
			if (i < 2)
				ok &= strcmp(h, i ? "da39a3ee5e6b4b0d3255bfef"
				    "95601890afd80709" : empty256) == 0;
			else
				ok &= strcmp(h, i % 2 ? abc1 : abc256) == 0;
			dkim_digest_free(d[i]);
		}
		check(ok, "six digests at once, used again, mixed hashes");
		if (dkim_digest_once(DKIM_HASH_SHA256, "abc", 3, md, &n) != 0)
			errx(2, "once");
		hex(md, n, h);
		check(strcmp(h, abc256) == 0, "a digest in one call");
	}
	dkim_digest_thread_done();
	return failed;
}

static struct dkim_in *
open_in(const char *file, int ranged, off_t *size, int *fdp)
{
	struct dkim_in *in;
	struct stat st;
	int fd;

	if ((*fdp = fd = open(file, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(2, "%s", file);
	*size = st.st_size;
	in = ranged ? dkim_in_new_range(fd, 0, st.st_size, file) :
	    dkim_in_new(fd, file);
	if (in == NULL)
		errx(2, "out of memory");
	return in;
}

static void
resize(const char *file, off_t len)
{
	int fd;

	if ((fd = open(file, O_WRONLY)) == -1 || ftruncate(fd, len) == -1)
		err(2, "%s", file);
	close(fd);
}

/* Read in to its end: 0, or the error; the bytes read are added to *total. */
static int
drain(struct dkim_in *in, size_t *total)
{
	const unsigned char *p;
	size_t n;
	int r;

	while ((r = dkim_in_chunk(in, &p, &n)) == 0 && n > 0)
		*total += n;
	return r;
}

/* Cut FILE to 4 KiB after the first chunk: the reader must notice. */
static int
shrink(const char *file)
{
	struct dkim_in *in;
	const unsigned char *p;
	size_t n, first;
	off_t size;
	int fd, r, ranged, bad = 0;

	for (ranged = 0; ranged < 2; ranged++) {
		in = open_in(file, ranged, &size, &fd);
		if (dkim_in_chunk(in, &p, &n) != 0 || n < 4096 ||
		    (off_t)n >= size)
			errx(2, "%s: want 1 MiB at least", file);
		first = n;
		resize(file, 4096);
		r = drain(in, &n);
		printf("%s: first %zu; then: %s\n", ranged ? "range" :
		    "whole", first, r ? dkim_strerror(r) : "the end");
		bad |= r != DKIM_ERR_CHANGED;
		close(fd);
		dkim_in_free(in);
		resize(file, size);
	}
	return bad;
}

/* Add to FILE after the first chunk: what it held when reading began. */
static int
grow(const char *file)
{
	struct dkim_in *in;
	const unsigned char *p;
	size_t n, total = 0;
	off_t size;
	int fd, r;

	in = open_in(file, 0, &size, &fd);
	if ((r = dkim_in_chunk(in, &p, &n)) == 0) {
		total = n;
		resize(file, size + 4096);
		r = drain(in, &total);
	}
	printf("read %zu of %lld; %s\n", total, (long long)size,
	    r ? dkim_strerror(r) : "the end");
	close(fd);
	dkim_in_free(in);
	return r != 0 || (off_t)total != size;
}

/* Copy FILE again after changing it by delta (-1: cut to 4 KiB). */
static int
replay_one(const char *file, off_t delta, int append)
{
	struct dkim_in *in;
	struct dkim_out *out;
	struct stat st;
	size_t n = 0;
	off_t size;
	int fd, ofd, r;

	in = open_in(file, 0, &size, &fd);
	if (dkim_in_mark(in) != 0)
		errx(2, "mark");
	if ((r = drain(in, &n)) != 0)
		errx(2, "%s: %s", file, dkim_strerror(r));
	resize(file, delta < 0 ? 4096 : size + delta);
	if ((ofd = open("/tmp", O_TMPFILE | O_RDWR | (append ? O_APPEND :
	    0), 0600)) == -1 || (out = dkim_out_new(ofd)) == NULL)
		err(2, "output");
	if ((r = dkim_in_rewind(in)) == 0)
		r = dkim_in_copy(in, out);
	if (dkim_out_flush(out) != 0 || fstat(ofd, &st) == -1)
		err(2, "output");
	printf("%s, %s: copied %lld of %lld; %s\n", delta < 0 ? "cut" :
	    "longer", append ? "by hand" : "sendfile", (long long)st.st_size,
	    (long long)size, r ? dkim_strerror(r) : "done");
	(void)dkim_out_close(out);
	close(fd);
	dkim_in_free(in);
	resize(file, size);
	return delta < 0 ? r != DKIM_ERR_CHANGED : r != 0 ||
	    st.st_size != size;
}

static int
replay(const char *file)
{
	int bad = 0, append;

	for (append = 0; append < 2; append++) {
		bad |= replay_one(file, 4096, append);
		bad |= replay_one(file, -1, append);
	}
	return bad;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "chunks") == 0)
		return chunks(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "taglist") == 0)
		return taglist(argv[2]);
	if (argc == 3 && strcmp(argv[1], "ctag") == 0)
		return ctag(argv[2]);
	if (argc == 3 && strcmp(argv[1], "keyrec") == 0)
		return keyrec(argv[2]);
	if (argc == 3 && strcmp(argv[1], "key") == 0)
		return key(argv[2]);
	if (argc == 2 && strcmp(argv[1], "keysrc") == 0)
		return keysrc();
	if (argc == 2 && strcmp(argv[1], "digest") == 0)
		return digest();
	if (argc >= 4 && strcmp(argv[1], "legacy") == 0)
		return legacy(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "shrink") == 0)
		return shrink(argv[2]);
	if (argc == 3 && strcmp(argv[1], "grow") == 0)
		return grow(argv[2]);
	if (argc == 3 && strcmp(argv[1], "replay") == 0)
		return replay(argv[2]);
	errx(2, "usage: unit chunks|taglist|ctag|keyrec|key|keysrc|digest|"
	    "legacy|shrink|grow|replay ...");
}
