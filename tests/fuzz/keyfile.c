/*
 * keyfile.c: private key files, as dkim-sign -k and dkim-record -k read
 * them.
 *
 * The first input byte picks the armour: PEM "PRIVATE KEY", PEM "RSA
 * PRIVATE KEY", PEM "PRIVATE KEY" with CRLF lines, or none (the bytes
 * as they are); the rest is the DER, base64-encoded into the armour, so
 * that the fuzzer mutates the DER itself.  Checked: dkim_key_private
 * loads a key exactly when libcrypto's own PEM_read_bio_PrivateKey does
 * (our reading without its decoders may decline, never differ), and then
 * the same key: the same public part and, for RSA, the same d.
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"

static int
no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* base64 of der, 64 columns, between BEGIN and END lines of label */
static void
armour(struct dkim_buf *b, const char *label, const uint8_t *der, size_t n,
    const char *eol)
{
	unsigned char line[128];
	size_t i, k;
	int len;

	put(b, "-----BEGIN ", 11);
	put(b, label, strlen(label));
	put(b, "-----", 5);
	put(b, eol, strlen(eol));
	for (i = 0; i < n; i += 48) {
		k = n - i < 48 ? n - i : 48;
		len = EVP_EncodeBlock(line, der + i, (int)k);
		put(b, line, (size_t)len);
		put(b, eol, strlen(eol));
	}
	put(b, "-----END ", 9);
	put(b, label, strlen(label));
	put(b, "-----", 5);
	put(b, eol, strlen(eol));
}

static EVP_PKEY *
theirs(const struct dkim_buf *b)
{
	BIO *bio;
	EVP_PKEY *k;

	CHECK((bio = BIO_new_mem_buf(b->p, (int)b->len)) != NULL, "BIO");
	k = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return k;
}

static int
same_d(const EVP_PKEY *a, const EVP_PKEY *b)
{
	BIGNUM *da = NULL, *db = NULL;
	int r;

	if (EVP_PKEY_get_base_id(a) != EVP_PKEY_RSA)
		return 1;
	CHECK(EVP_PKEY_get_bn_param(a, OSSL_PKEY_PARAM_RSA_D, &da) == 1 &&
	    EVP_PKEY_get_bn_param(b, OSSL_PKEY_PARAM_RSA_D, &db) == 1,
	    "an RSA key without d");
	r = BN_cmp(da, db) == 0;
	BN_clear_free(da);
	BN_clear_free(db);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const label[] = {
		"PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY"
	};
	struct dkim_buf b = { 0 };
	EVP_PKEY *ours = NULL, *ref;
	int sel, r;

	if (size < 1 || size > 16384)
		return 0;
	sel = data[0] % 4;
	if (sel == 3) {
		/* no armour: whatever dkim_key_private makes of it */
		r = dkim_key_private((const char *)data + 1, size - 1, &ours);
		CHECK((r == 0) == (ours != NULL), "a key exactly on success");
		EVP_PKEY_free(ours);
		ERR_clear_error();
		return 0;
	}
	armour(&b, label[sel], data + 1, size - 1, sel == 2 ? "\r\n" : "\n");
	r = dkim_key_private((const char *)b.p, b.len, &ours);
	CHECK((r == 0) == (ours != NULL), "a key exactly on success");
	ref = theirs(&b);
	CHECK((ours != NULL) == (ref != NULL),
	    "a key where libcrypto finds none, or none where it finds one");
	if (ours != NULL) {
		CHECK(EVP_PKEY_eq(ours, ref) == 1, "a different public key");
		CHECK(same_d(ours, ref), "a different private exponent");
	}
	EVP_PKEY_free(ours);
	EVP_PKEY_free(ref);
	dkim_buf_free(&b);
	ERR_clear_error();
	return 0;
}
