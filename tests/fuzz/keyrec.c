/*
 * keyrec.c: key records, p= keys and base64.
 *
 * The input is the text of a key record.  Checked:
 *  - dkim_keyrec_parse(): a reason exactly on failure; a key exactly when
 *    not revoked, of the type k= says; the key's p= (dkim_key_p) makes a
 *    record that parses back to the same key;
 *  - dkim_key_from_p() on the raw input as DER (RSA) or raw bytes
 *    (Ed25519): an RSA or Ed25519 key or nothing; dkim_key_any() and
 *    dkim_key_private() (key files: PEM, base64 DER, an Ed25519 seed):
 *    a key exactly on success;
 *  - dkim_b64_decode() agrees with a plain RFC 4648 decoder (FWS ignored,
 *    padding exact) on result, length and bytes, for a random cap, and
 *    dkim_b64_encode() of the result decodes back to it.
 */
#include "fuzz.h"

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The reference: 0, DKIM_ERR_BASE64 or DKIM_ERR_TOOLONG. */
static int
ref_b64(const unsigned char *s, size_t n, unsigned char *out, size_t cap,
    size_t *outlen)
{
	unsigned char q[4];
	size_t i, k = 0, o = 0, pad = 0, chars = 0, need;
	unsigned v;

	*outlen = 0;
	if (n > 4 * (size_t)DKIM_MAX_TXT)
		return DKIM_ERR_TOOLONG;
	/* syntax first: base64 characters, then at most two '=' */
	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n')
			continue;
		if (s[i] == '=')
			pad++;
		else if (b64_val(s[i]) < 0 || pad > 0)
			return DKIM_ERR_BASE64;
		chars++;
	}
	if (chars % 4 != 0 || pad > 2)
		return DKIM_ERR_BASE64;
	need = chars / 4 * 3 - pad;
	if (need > cap)
		return DKIM_ERR_TOOLONG;
	for (i = 0; i < n; i++) {
		if (b64_val(s[i]) < 0 && s[i] != '=')
			continue;
		q[k++] = s[i];
		if (k < 4)
			continue;
		k = 0;
		v = (unsigned)b64_val(q[0]) << 18 |
		    (unsigned)b64_val(q[1]) << 12 |
		    (q[2] == '=' ? 0u : (unsigned)b64_val(q[2]) << 6) |
		    (q[3] == '=' ? 0u : (unsigned)b64_val(q[3]));
		out[o++] = (unsigned char)(v >> 16);
		if (q[2] != '=')
			out[o++] = (unsigned char)(v >> 8);
		if (q[3] != '=')
			out[o++] = (unsigned char)v;
	}
	*outlen = o;
	return 0;
}

static void
check_b64(const uint8_t *data, size_t size, struct rng *rg)
{
	unsigned char *got, *want;
	char *enc;
	size_t cap, glen = 7, wlen = 7, rlen;
	int r, rr;

	cap = rng_next(rg) % 2 ? size : rng_range(rg, 0, size / 4 * 3 + 1);
	CHECK((got = malloc(cap + 1)) != NULL &&
	    (want = malloc(cap + 1)) != NULL, "out of memory");
	r = dkim_b64_decode((const char *)data, size, got, cap, &glen);
	rr = ref_b64(data, size, want, cap, &wlen);
	CHECK(r == rr, "b64_decode: result differs from the reference");
	if (r == 0) {
		CHECK(glen == wlen && (glen == 0 ||
		    memcmp(got, want, glen) == 0),
		    "b64_decode: bytes differ from the reference");
		CHECK((enc = malloc(dkim_b64_len(glen) + 1)) != NULL,
		    "out of memory");
		dkim_b64_encode(got, glen, enc);
		CHECK(strlen(enc) == dkim_b64_len(glen), "b64_encode: length");
		CHECK(dkim_b64_decode(enc, strlen(enc), want, cap, &rlen) ==
		    0 && rlen == glen && (glen == 0 ||
		    memcmp(want, got, glen) == 0), "b64 round trip");
		free(enc);
	} else
		CHECK(glen == 0, "b64_decode: length set on failure");
	free(got);
	free(want);
}

static void
check_key(const struct dkim_keyrec *kr)
{
	struct dkim_keyrec again;
	struct dkim_buf rec = { NULL, 0, 0 };
	enum dkim_keytype t;
	const char *reason;
	char *p;

	CHECK(dkim_key_type(kr->pkey, &t) == 0 && t == kr->k,
	    "keyrec: key of the wrong type");
	CHECK(kr->bits == dkim_key_bits(kr->pkey) && kr->bits > 0,
	    "keyrec: bits");
	CHECK(dkim_key_p(kr->pkey, &p) == 0, "key_p failed");
	CHECK(dkim_buf_printf(&rec, "v=DKIM1; k=%s; p=%s",
	    dkim_keytype_name(t), p) == 0, "out of memory");
	CHECK(dkim_keyrec_parse(&again, (const char *)rec.p, rec.len,
	    &reason) == 0 && again.pkey != NULL,
	    "keyrec: p= of a key does not parse back");
	CHECK(dkim_key_equal(kr->pkey, again.pkey),
	    "keyrec: p= round trip gives another key");
	dkim_keyrec_clear(&again);
	dkim_buf_free(&rec);
	free(p);
}

static void
check_from_p(enum dkim_keytype want, const uint8_t *data, size_t size)
{
	struct evp_pkey_st *k = NULL;
	enum dkim_keytype t;
	int r;

	r = dkim_key_from_p(want, data, size, &k);
	CHECK((r == 0) == (k != NULL), "key_from_p: result and key");
	if (k == NULL)
		return;
	CHECK(dkim_key_type(k, &t) == 0 && t == want,
	    "key_from_p: key of another type");
	if (want == DKIM_KEY_ED25519)
		CHECK(size == 32, "key_from_p: Ed25519 key not 32 bytes");
	dkim_key_free(k);
}

static void
check_any(const uint8_t *data, size_t size)
{
	struct evp_pkey_st *k = (struct evp_pkey_st *)&k;
	int r;

	r = dkim_key_any((const char *)data, size, &k);
	CHECK((r == 0) == (k != NULL), "key_any: result and key");
	dkim_key_free(k);
	k = (struct evp_pkey_st *)&k;
	r = dkim_key_private((const char *)data, size, &k);
	CHECK((r == 0) == (k != NULL), "key_private: result and key");
	dkim_key_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_keyrec kr;
	const char *s = (const char *)data, *reason = "unset";
	struct rng rg;
	int r;

	rng_seed(&rg, data, size, 0);
	r = dkim_keyrec_parse(&kr, s, size, &reason);
	CHECK((r == 0) == (reason == NULL), "keyrec: reason mismatch");
	if (r == 0) {
		CHECK(kr.revoked == (kr.pkey == NULL),
		    "keyrec: revoked and key disagree");
		CHECK(kr.n == NULL || (kr.n >= s && kr.nlen <=
		    (size_t)(s + size - kr.n)), "keyrec: n= outside the input");
		if (kr.pkey != NULL)
			check_key(&kr);
	} else
		CHECK(kr.pkey == NULL, "keyrec: a key kept on failure");
	dkim_keyrec_clear(&kr);

	check_any(data, size);
	check_from_p(DKIM_KEY_RSA, data, size);
	check_from_p(DKIM_KEY_ED25519, data, size);
	check_b64(data, size, &rg);
	return 0;
}
