/*
 * fuzz.h: helpers shared by the libFuzzer harnesses in tests/fuzz.
 *
 * A harness never trusts the library's own idea of what is right: each
 * CHECK states a property the library promises (common/dkim.h) and aborts
 * with a message when it does not hold, which libFuzzer reports as a
 * crash and saves the input.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(cond, msg) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n",	\
		    __FILE__, __LINE__, (msg), #cond);			\
		abort();						\
	}								\
} while (0)

/*
 * Append to a dkim_buf without going through the library (its own code is
 * under test; this is the harness's bookkeeping).  Allocation failure
 * aborts.  dkim_buf_free() frees the result.
 */
static inline void
put(struct dkim_buf *b, const void *p, size_t n)
{
	size_t cap;
	unsigned char *np;

	if (n == 0)
		return;
	if (n > b->cap - b->len) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		CHECK((np = realloc(b->p, cap)) != NULL, "out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
sink_collect(void *arg, const unsigned char *p, size_t n)
{
	put(arg, p, n);
}

static inline int
same_buf(const struct dkim_buf *a, const struct dkim_buf *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->p, b->p, a->len) == 0);
}

/*
 * A deterministic pseudo-random stream seeded from the input, so that a
 * saved input replays exactly: FNV-1a for the seed, splitmix64 after.
 */
struct rng {
	uint64_t	 s;
};

__attribute__((no_sanitize("integer")))
static inline void
rng_seed(struct rng *r, const uint8_t *p, size_t n, uint64_t salt)
{
	uint64_t h = 14695981039346656037ULL ^ salt;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	r->s = h;
}

__attribute__((no_sanitize("integer")))
static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [lo, hi]. */
static inline size_t
rng_range(struct rng *r, size_t lo, size_t hi)
{
	return lo + (size_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/*
 * Size of the next chunk of a body fed in pieces: mostly small, sometimes
 * large enough for the canonicalizer's multi-line and direct-span paths.
 */
static inline size_t
rng_chunk(struct rng *r, size_t left)
{
	size_t k;

	switch (rng_next(r) % 4) {
	case 0:
		k = rng_range(r, 1, 3);
		break;
	case 1:
		k = rng_range(r, 1, 64);
		break;
	case 2:
		k = rng_range(r, 1, 1024);
		break;
	default:
		k = rng_range(r, 1, 8192);
		break;
	}
	return k < left ? k : left;
}

/* Is p (n bytes) one valid JSON string literal with no raw controls? */
static inline int
json_string_ok(const unsigned char *p, size_t n)
{
	size_t i, k;

	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return 0;
	for (i = 1; i < n - 1; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == '"')
			return 0;
		if (p[i] == '\\') {
			if (i + 1 >= n - 1)
				return 0;
			i++;
			if (strchr("\"\\/bfnrt", p[i]) != NULL && p[i] != '\0')
				continue;
			if (p[i] != 'u' || i + 4 >= n - 1)
				return 0;
			for (k = 1; k <= 4; k++)
				if (strchr("0123456789abcdefABCDEF",
				    p[i + k]) == NULL || p[i + k] == '\0')
					return 0;
			i += 4;
			continue;
		}
		if (p[i] >= 0x80) {
			/* a well-formed UTF-8 sequence */
			unsigned cp;
			size_t len;

			if (p[i] >= 0xc2 && p[i] <= 0xdf)
				len = 2, cp = p[i] & 0x1f;
			else if (p[i] >= 0xe0 && p[i] <= 0xef)
				len = 3, cp = p[i] & 0x0f;
			else if (p[i] >= 0xf0 && p[i] <= 0xf4)
				len = 4, cp = p[i] & 0x07;
			else
				return 0;
			if (i + len > n - 1)
				return 0;
			for (k = 1; k < len; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					return 0;
				cp = cp << 6 | (p[i + k] & 0x3f);
			}
			if ((len == 3 && cp < 0x800) ||
			    (len == 4 && cp < 0x10000) ||
			    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
				return 0;
			i += len - 1;
		}
	}
	return 1;
}

/* dkim_json_str on (s, n), checked to be one valid JSON string. */
static inline void
check_json(const char *s, size_t n)
{
	struct dkim_buf j = { NULL, 0, 0 };

	CHECK(dkim_json_str(&j, s, n) == 0, "dkim_json_str failed");
	CHECK(json_string_ok(j.p, j.len), "dkim_json_str made invalid JSON");
	dkim_buf_free(&j);
}

#endif /* FUZZ_H */
