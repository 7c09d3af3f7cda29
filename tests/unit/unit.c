/*
 * unit.c: drives library functions the command-line tools cannot reach
 * directly, for tests/shell/t-canon.sh.
 *
 *   unit chunks simple|relaxed FILE [LIMIT]
 *	canonicalize FILE as a body whole, one byte at a time and in
 *	pseudo-random chunks; exit 0 when all three agree, 1 otherwise
 *   unit taglist STRING
 *	print "name=value" per tag, or "ERROR"
 *   unit ctag STRING
 *	print "header/body" for a c= value, or "ERROR"
 *   unit keyrec STRING
 *	parse a key record: "k=TYPE bits=N flags" or "ERROR reason"
 *   unit key FILE
 *	load a key file: "TYPE BITS P-VALUE"
 */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		else
			k = 1 + (size_t)random() % 7;
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
	for (seed = 1; seed < 20; seed++) {
		other.len = 0;
		canon(c, p, (size_t)st.st_size, limit, seed, &other);
		if (other.len != whole.len ||
		    memcmp(other.p, whole.p, whole.len) != 0) {
			printf("chunking %u differs\n", seed);
			return 1;
		}
	}
	fwrite(whole.p, 1, whole.len, stdout);
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
	errx(2, "usage: unit chunks|taglist|ctag|keyrec|key ...");
}
