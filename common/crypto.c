/*
 * crypto.c: algorithm names, digests, base64 and constant-time comparison,
 * all through OpenSSL's EVP layer.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dkim.h"

struct dkim_digest {
	EVP_MD_CTX	*ctx;
	enum dkim_hash	 hash;
};

static const struct {
	const char	*name;
	enum dkim_alg	 alg;
} algs[] = {
	{ "rsa-sha256", DKIM_ALG_RSA_SHA256 },
	{ "ed25519-sha256", DKIM_ALG_ED25519_SHA256 },
	{ "rsa-sha1", DKIM_ALG_RSA_SHA1 },
};

const char *
dkim_alg_name(enum dkim_alg a)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == a)
			return algs[i].name;
	return "unknown";
}

enum dkim_alg
dkim_alg_parse(const char *s, size_t n)
{
	size_t i;

	/* a= values are case-sensitive, like all DKIM tag values */
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == n &&
		    memcmp(algs[i].name, s, n) == 0)
			return algs[i].alg;
	return DKIM_ALG_UNKNOWN;
}

enum dkim_hash
dkim_alg_hash(enum dkim_alg a)
{
	return a == DKIM_ALG_RSA_SHA1 ? DKIM_HASH_SHA1 : DKIM_HASH_SHA256;
}

enum dkim_keytype
dkim_alg_keytype(enum dkim_alg a)
{
	return a == DKIM_ALG_ED25519_SHA256 ? DKIM_KEY_ED25519 : DKIM_KEY_RSA;
}

const char *
dkim_hash_name(enum dkim_hash h)
{
	return h == DKIM_HASH_SHA1 ? "sha1" : "sha256";
}

size_t
dkim_hash_len(enum dkim_hash h)
{
	return h == DKIM_HASH_SHA1 ? 20 : 32;
}

static EVP_MD *mds[2];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void
fetch_mds(void)
{
	/* an explicit fetch, once: EVP_sha256() looks it up at every use */
	mds[DKIM_HASH_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	mds[DKIM_HASH_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
dkim_hash_md(enum dkim_hash h)
{
	pthread_once(&mds_once, fetch_mds);
	if (mds[h] != NULL)
		return mds[h];
	return h == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256();
}

/*
 * Digests done with go back to a few per thread and are used again.  A
 * new EVP_MD_CTX takes a reference on the shared EVP_MD and freeing it
 * drops it: with threads, that counter's cache line went back and forth
 * between the CPUs three times a message.  A context initialised again
 * for the digest it had keeps its reference and its provider state.
 */
#define SPARES	4

static _Thread_local struct dkim_digest *spare[SPARES];
static _Thread_local size_t nspare;

static void
destroy(struct dkim_digest *d)
{
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

struct dkim_digest *
dkim_digest_new(enum dkim_hash h)
{
	struct dkim_digest *d = NULL;
	size_t i;

	for (i = nspare; i > 0; i--)
		if (spare[i - 1]->hash == h) {
			d = spare[i - 1];
			spare[i - 1] = spare[--nspare];
			break;
		}
	if (d == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return NULL;
		d->hash = h;
		d->ctx = EVP_MD_CTX_new();
	}
	if (d->ctx == NULL ||
	    EVP_DigestInit_ex(d->ctx, dkim_hash_md(h), NULL) != 1) {
		destroy(d);
		return NULL;
	}
	return d;
}

void
dkim_digest_free(struct dkim_digest *d)
{
	if (d == NULL)
		return;
	if (nspare < SPARES)
		spare[nspare++] = d;
	else
		destroy(d);
}

int
dkim_digest_once(enum dkim_hash h, const void *p, size_t n,
    unsigned char *out, size_t *len)
{
	struct dkim_digest *d;
	int r;

	if ((d = dkim_digest_new(h)) == NULL)
		return DKIM_ERR_CRYPTO;
	dkim_digest_update(d, p, n);
	r = dkim_digest_final(d, out, len);
	dkim_digest_free(d);
	return r;
}

void
dkim_digest_thread_done(void)
{
	while (nspare > 0)
		destroy(spare[--nspare]);
}

void
dkim_digest_update(void *arg, const unsigned char *p, size_t n)
{
	struct dkim_digest *d = arg;

	/* cannot fail for a software digest once initialised */
	(void)EVP_DigestUpdate(d->ctx, p, n);
}

int
dkim_digest_final(struct dkim_digest *d, unsigned char *out, size_t *len)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(d->ctx, out, &n) != 1)
		return DKIM_ERR_CRYPTO;
	*len = n;
	return 0;
}

size_t
dkim_b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
dkim_b64_encode(const unsigned char *p, size_t n, char *out)
{
	/* EVP_EncodeBlock takes an int; our inputs are keys and hashes */
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* Base64 characters, "=", FWS, and the rest, for one lookup a byte. */
enum { B_BAD = 0, B_CHAR, B_PAD, B_FWS };

static const unsigned char b64class[256] = {
	['\t'] = B_FWS, ['\n'] = B_FWS, ['\r'] = B_FWS, [' '] = B_FWS,
	['+'] = B_CHAR, ['/'] = B_CHAR, ['='] = B_PAD,
	['0'] = B_CHAR, ['1'] = B_CHAR, ['2'] = B_CHAR, ['3'] = B_CHAR,
	['4'] = B_CHAR, ['5'] = B_CHAR, ['6'] = B_CHAR, ['7'] = B_CHAR,
	['8'] = B_CHAR, ['9'] = B_CHAR,
#define L(c) [c] = B_CHAR, [c + 32] = B_CHAR
	L('A'), L('B'), L('C'), L('D'), L('E'), L('F'), L('G'), L('H'),
	L('I'), L('J'), L('K'), L('L'), L('M'), L('N'), L('O'), L('P'),
	L('Q'), L('R'), L('S'), L('T'), L('U'), L('V'), L('W'), L('X'),
	L('Y'), L('Z'),
#undef L
};

int
dkim_b64_decode(const char *s, size_t n, unsigned char *out, size_t cap,
    size_t *outlen)
{
	/* signatures and hashes fit on the stack; key records may not */
	unsigned char stmp[2048], sdec[1536];
	unsigned char *tmp = stmp, *dec = sdec;
	size_t i, m = 0, pad = 0, dlen = 0;
	int r = DKIM_ERR_BASE64, k;

	*outlen = 0;
	if (n > 4 * (size_t)DKIM_MAX_TXT)
		return DKIM_ERR_TOOLONG;
	if (n > sizeof(stmp) && (tmp = malloc(n)) == NULL)
		return DKIM_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i], cl = b64class[c];

		/* the common case first, in as few steps as it takes */
		tmp[m] = c;
		if (cl == B_CHAR && pad == 0)
			m++;
		else if (cl == B_PAD) {
			pad++;
			m++;
		} else if (cl != B_FWS)
			goto out;	/* not base64, or a character after "=" */
	}
	if (m % 4 != 0 || pad > 2)
		goto out;
	dlen = m / 4 * 3;
	if (dlen - pad > cap) {
		r = DKIM_ERR_TOOLONG;
		goto out;
	}
	if (m > 0) {
		if (dlen > sizeof(sdec)) {
			unsigned char *big;

			if ((big = malloc(dlen)) == NULL) {
				r = DKIM_ERR_ALLOC;
				goto out;
			}
			dec = big;
		}
		k = EVP_DecodeBlock(dec, tmp, (int)m);
		if (k < 0 || (size_t)k != dlen)
			goto out;
		memcpy(out, dec, dlen - pad);
	}
	*outlen = dlen - pad;
	r = 0;
out:
	if (tmp != stmp)
		free(tmp);
	/* what was decoded may be a key: wipe it (dlen fits dec) */
	if (dec != sdec)
		freezero(dec, dlen);
	else
		explicit_bzero(sdec, dlen < sizeof(sdec) ? dlen : sizeof(sdec));
	return r;
}

int
dkim_ct_cmp(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n);
}
