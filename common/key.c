/*
 * key.c: loading keys, the p= form of a public key, and the two DKIM
 * signature operations, all through OpenSSL EVP.  Secret bytes we hold
 * ourselves (the file, decoded base64) are wiped before they are freed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim.h"

#define ED25519_LEN	32

/* Never ask for a passphrase: a filter has no terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
is_pem(const char *s, size_t n)
{
	return memmem(s, n, "-----BEGIN ", 11) != NULL;
}

/*
 * The private keys nearly everyone has are read without libcrypto's
 * decoders, which cost 0.4-0.5 ms of a 2-3 ms one-message signing: an
 * unencrypted PEM "PRIVATE KEY" (PKCS#8, RFC 5208) holding an Ed25519
 * seed or a two-prime RSA key, or "RSA PRIVATE KEY" (PKCS#1).  Anything
 * else, or anything odd about these, is left to PEM_read_bio_PrivateKey.
 * The DER and the numbers copied out of it are wiped.
 */

/* PKCS#8 Ed25519 as dkim-keygen and openssl genpkey write it (RFC 8410) */
static const unsigned char ed25519_p8[] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
};

/* RSAPrivateKey (RFC 8017 A.1.2); CBIGNUM: cleared when freed */
typedef struct {
	int32_t	 version;
	BIGNUM	*n, *e, *d, *p, *q, *dp, *dq, *qinv;
} DKIM_RSAPRIV;

ASN1_SEQUENCE(DKIM_RSAPRIV) = {
	ASN1_EMBED(DKIM_RSAPRIV, version, INT32),
	ASN1_SIMPLE(DKIM_RSAPRIV, n, BIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, e, BIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, d, CBIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, p, CBIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, q, CBIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, dp, CBIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, dq, CBIGNUM),
	ASN1_SIMPLE(DKIM_RSAPRIV, qinv, CBIGNUM),
} static_ASN1_SEQUENCE_END(DKIM_RSAPRIV)

#define RSA_PARTS	8

/* The numbers as OSSL_PARAMs over one buffer of ours, to wipe after. */
static EVP_PKEY *
rsa_fromdata(const DKIM_RSAPRIV *r)
{
	static const char *const name[RSA_PARTS] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1
	};
	const BIGNUM *bn[RSA_PARTS] = {
		r->n, r->e, r->d, r->p, r->q, r->dp, r->dq, r->qinv
	};
	OSSL_PARAM par[RSA_PARTS + 1];
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *buf;
	size_t sz[RSA_PARTS], total = 0, off = 0, i;

	for (i = 0; i < RSA_PARTS; i++) {
		if (BN_is_zero(bn[i]) || BN_is_negative(bn[i]))
			return NULL;
		sz[i] = (size_t)BN_num_bytes(bn[i]);
		total += sz[i];
	}
	if ((buf = malloc(total)) == NULL)
		return NULL;
	for (i = 0; i < RSA_PARTS; i++) {
		if (BN_bn2nativepad(bn[i], buf + off, (int)sz[i]) < 0)
			goto out;
		par[i] = OSSL_PARAM_construct_BN(name[i], buf + off, sz[i]);
		off += sz[i];
	}
	par[RSA_PARTS] = OSSL_PARAM_construct_end();
	if ((c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, par) != 1)
		k = NULL;
out:
	EVP_PKEY_CTX_free(c);
	freezero(buf, total);
	return k;
}

/* A two-prime RSAPrivateKey that is all of der..der+len. */
static EVP_PKEY *
rsa_private(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	DKIM_RSAPRIV *r;
	EVP_PKEY *k = NULL;

	r = (DKIM_RSAPRIV *)(void *)ASN1_item_d2i(NULL, &p, len,
	    ASN1_ITEM_rptr(DKIM_RSAPRIV));
	if (r == NULL)
		return NULL;
	if (p == der + len && r->version == 0)
		k = rsa_fromdata(r);
	ASN1_item_free((ASN1_VALUE *)(void *)r, ASN1_ITEM_rptr(DKIM_RSAPRIV));
	return k;
}

/* PKCS#8 version 0, rsaEncryption with NULL or no parameters. */
static EVP_PKEY *
p8_rsa(const unsigned char *der, long len)
{
	const unsigned char *p = der, *pk;
	const ASN1_OBJECT *oid;
	const X509_ALGOR *alg;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *k = NULL;
	long clen;
	int pklen, ptype, tag, cls;

	/* version 0: the SEQUENCE's content starts INTEGER 0 */
	if ((ASN1_get_object(&p, &clen, &tag, &cls, len) & 0x80) != 0 ||
	    clen < 3 || memcmp(p, "\x02\x01\x00", 3) != 0)
		return NULL;
	p = der;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len)) == NULL)
		return NULL;
	if (p == der + len && PKCS8_pkey_get0(&oid, &pk, &pklen, &alg, p8) &&
	    OBJ_obj2nid(oid) == NID_rsaEncryption) {
		X509_ALGOR_get0(NULL, &ptype, NULL, alg);
		if (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)
			k = rsa_private(pk, pklen);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);	/* clears the key octets */
	return k;
}

static EVP_PKEY *
pem_fast(const char *s, size_t n)
{
	BIO *bio;
	char *name = NULL, *hdr = NULL;
	unsigned char *der = NULL;
	long len = 0;
	EVP_PKEY *k = NULL;

	if ((bio = BIO_new_mem_buf(s, (int)n)) == NULL)
		return NULL;
	/* PEM headers (Proc-Type, DEK-Info) mean an encrypted key */
	if (PEM_read_bio(bio, &name, &hdr, &der, &len) == 1 && hdr[0] == '\0') {
		if (strcmp(name, "PRIVATE KEY") == 0 &&
		    len == (long)sizeof(ed25519_p8) + ED25519_LEN &&
		    memcmp(der, ed25519_p8, sizeof(ed25519_p8)) == 0)
			k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
			    NULL, der + sizeof(ed25519_p8), ED25519_LEN);
		else if (strcmp(name, "PRIVATE KEY") == 0)
			k = p8_rsa(der, len);
		else if (strcmp(name, "RSA PRIVATE KEY") == 0)
			k = rsa_private(der, len);
	}
	OPENSSL_clear_free(der, len > 0 ? (size_t)len : 0);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	BIO_free(bio);
	ERR_clear_error();
	return k;
}

static int
pem_private(const char *s, size_t n, EVP_PKEY **out)
{
	BIO *bio;

	if (n > INT32_MAX)
		return DKIM_ERR_ALLOC;
	if ((*out = pem_fast(s, n)) != NULL)
		return 0;
	if ((bio = BIO_new_mem_buf(s, (int)n)) == NULL)
		return DKIM_ERR_ALLOC;
	*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	return *out ? 0 : DKIM_ERR_KEY;
}

static int
pem_public(const char *s, size_t n, EVP_PKEY **out)
{
	OSSL_DECODER_CTX *dctx;
	const unsigned char *p = (const unsigned char *)s;

	/* "PUBLIC KEY" (SPKI) or "RSA PUBLIC KEY" (PKCS#1) */
	dctx = OSSL_DECODER_CTX_new_for_pkey(out, "PEM", NULL, NULL,
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx == NULL)
		return DKIM_ERR_ALLOC;
	if (OSSL_DECODER_from_data(dctx, &p, &n) != 1)
		*out = NULL;
	OSSL_DECODER_CTX_free(dctx);
	return *out ? 0 : DKIM_ERR_KEY;
}

/* Armourless: base64 of a raw Ed25519 seed, or of DER. */
static int
der_private(const char *s, size_t n, EVP_PKEY **out)
{
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	int r;

	if ((der = malloc(n)) == NULL)
		return DKIM_ERR_ALLOC;
	if ((r = dkim_b64_decode(s, n, der, n, &len)) != 0) {
		r = DKIM_ERR_KEY;
		goto out;
	}
	if (len == ED25519_LEN) {
		*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, der,
		    len);
	} else {
		p = der;
		*out = d2i_AutoPrivateKey(NULL, &p, (long)len);
		if (*out != NULL && p != der + len) {
			EVP_PKEY_free(*out);
			*out = NULL;
		}
	}
	r = *out ? 0 : DKIM_ERR_KEY;
out:
	freezero(der, n);
	return r;
}

int
dkim_key_private(const char *s, size_t n, EVP_PKEY **out)
{
	*out = NULL;
	if (n == 0)
		return DKIM_ERR_NOKEY;
	if (is_pem(s, n))
		return pem_private(s, n, out);
	return der_private(s, n, out);
}

int
dkim_key_any(const char *s, size_t n, EVP_PKEY **out)
{
	*out = NULL;
	if (n == 0)
		return DKIM_ERR_NOKEY;
	if (!is_pem(s, n))
		return der_private(s, n, out);
	if (memmem(s, n, "PRIVATE KEY-----", 16) != NULL)
		return pem_private(s, n, out);
	return pem_public(s, n, out);
}

int
dkim_key_file(const char *path, int private, EVP_PKEY **out, int *loose)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, e, ret;

	*out = NULL;
	*loose = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return DKIM_ERR_IO;
	if (fstat(fd, &st) == -1) {
		ret = DKIM_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		ret = DKIM_ERR_IO;
		goto out;
	}
	if (st.st_size > DKIM_MAX_KEYFILE) {
		ret = DKIM_ERR_TOOLONG;
		goto out;
	}
	*loose = (st.st_mode & 077) != 0;
	if ((buf = malloc(DKIM_MAX_KEYFILE + 1)) == NULL) {
		ret = DKIM_ERR_ALLOC;
		goto out;
	}
	while (len <= DKIM_MAX_KEYFILE) {
		r = read(fd, buf + len, DKIM_MAX_KEYFILE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ret = DKIM_ERR_IO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > DKIM_MAX_KEYFILE) {
		ret = DKIM_ERR_TOOLONG;
		goto out;
	}
	ret = private ? dkim_key_private(buf, len, out) :
	    dkim_key_any(buf, len, out);
out:
	e = errno;
	if (buf != NULL)
		freezero(buf, DKIM_MAX_KEYFILE + 1);
	close(fd);
	errno = e;
	return ret;
}

void
dkim_key_free(EVP_PKEY *k)
{
	EVP_PKEY_free(k);
}

void
dkim_key_prepare(EVP_PKEY *k)
{
	EVP_PKEY_CTX *c;

	/* a legacy key is exported to its provider on first use, once */
	if ((c = EVP_PKEY_CTX_new(k, NULL)) != NULL) {
		(void)EVP_PKEY_verify_init(c);
		EVP_PKEY_CTX_free(c);
	}
}

/*
 * Fetch what verification uses, so that libcrypto's set-up on first use
 * (its name map and method stores: about 1 ms) is done by a thread that
 * would otherwise wait while a batch is being listed.  What is fetched
 * stays in libcrypto's cache; failures are left for real use to report.
 */
static void
warm(void)
{
	static const char *const alg[] = { "RSA", "ED25519" };
	size_t i;

	EVP_MD_free(EVP_MD_fetch(NULL, "SHA256", NULL));
	for (i = 0; i < sizeof(alg) / sizeof(alg[0]); i++) {
		EVP_KEYMGMT_free(EVP_KEYMGMT_fetch(NULL, alg[i], NULL));
		EVP_SIGNATURE_free(EVP_SIGNATURE_fetch(NULL, alg[i], NULL));
	}
	ERR_clear_error();
}

/*
 * Once: threads that come together wait for the first.  Two threads
 * setting libcrypto up side by side took three times as long as one,
 * passing its locks back and forth.
 */
void
dkim_key_warm(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, warm);
}

int
dkim_key_type(const EVP_PKEY *k, enum dkim_keytype *t)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		*t = DKIM_KEY_RSA;
		return 0;
	case EVP_PKEY_ED25519:
		*t = DKIM_KEY_ED25519;
		return 0;
	default:
		return DKIM_ERR_KEY;
	}
}

int
dkim_key_bits(const EVP_PKEY *k)
{
	return EVP_PKEY_get_bits(k);
}

const char *
dkim_keytype_name(enum dkim_keytype t)
{
	return t == DKIM_KEY_ED25519 ? "ed25519" : "rsa";
}

int
dkim_key_equal(const EVP_PKEY *a, const EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

int
dkim_key_p(const EVP_PKEY *k, char **out)
{
	unsigned char raw[ED25519_LEN], *der = NULL;
	size_t len = sizeof(raw);
	enum dkim_keytype t;
	int n;

	*out = NULL;
	if (dkim_key_type(k, &t) != 0)
		return DKIM_ERR_KEY;
	if (t == DKIM_KEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1)
			return DKIM_ERR_CRYPTO;
		if ((*out = malloc(dkim_b64_len(len) + 1)) == NULL)
			return DKIM_ERR_ALLOC;
		dkim_b64_encode(raw, len, *out);
		return 0;
	}
	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return DKIM_ERR_CRYPTO;
	if ((*out = malloc(dkim_b64_len((size_t)n) + 1)) == NULL) {
		OPENSSL_free(der);
		return DKIM_ERR_ALLOC;
	}
	dkim_b64_encode(der, (size_t)n, *out);
	OPENSSL_free(der);
	return 0;
}

/*
 * A SubjectPublicKeyInfo (RFC 5280 4.1.2.7) split by OpenSSL's DER
 * templates, the key left undecoded: d2i_PUBKEY sets up libcrypto's
 * decoder machinery, 0.6 ms the first time and 0.25 ms every time after,
 * where the RSAPublicKey inside decodes in microseconds.
 */
typedef struct {
	X509_ALGOR	*alg;
	ASN1_BIT_STRING	*key;
} DKIM_SPKI;

ASN1_SEQUENCE(DKIM_SPKI) = {
	ASN1_SIMPLE(DKIM_SPKI, alg, X509_ALGOR),
	ASN1_SIMPLE(DKIM_SPKI, key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(DKIM_SPKI)

/*
 * An RSA key from SPKI, as lenient as d2i_PUBKEY was here (parameters,
 * unused bits and bytes after the key in the BIT STRING are not looked
 * at), but rsaEncryption only, and all of p= used.
 */
static EVP_PKEY *
rsa_spki(const unsigned char *p, size_t n)
{
	const unsigned char *q = p, *k;
	const ASN1_OBJECT *oid;
	EVP_PKEY *out = NULL;
	DKIM_SPKI *s;

	s = (DKIM_SPKI *)(void *)ASN1_item_d2i(NULL, &q, (long)n,
	    ASN1_ITEM_rptr(DKIM_SPKI));
	if (s == NULL)
		return NULL;
	X509_ALGOR_get0(&oid, NULL, NULL, s->alg);
	if (q == p + n && OBJ_obj2nid(oid) == NID_rsaEncryption) {
		k = s->key->data;
		out = d2i_PublicKey(EVP_PKEY_RSA, NULL, &k, s->key->length);
	}
	ASN1_item_free((ASN1_VALUE *)(void *)s, ASN1_ITEM_rptr(DKIM_SPKI));
	return out;
}

int
dkim_key_from_p(enum dkim_keytype t, const unsigned char *p, size_t n,
    EVP_PKEY **out)
{
	const unsigned char *q = p;

	*out = NULL;
	if (t == DKIM_KEY_ED25519) {
		if (n != ED25519_LEN)
			return DKIM_ERR_KEY;
		/* any 32 bytes load: a failure is libcrypto's, not p='s */
		*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p, n);
		return *out ? 0 : DKIM_ERR_CRYPTO;
	}
	if (n > INT32_MAX)
		return DKIM_ERR_KEY;
	if ((*out = rsa_spki(p, n)) != NULL)
		return 0;
	*out = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
	/* a bare RSAPublicKey: all of p, or nothing */
	if (*out != NULL && q != p + n) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return *out ? 0 : DKIM_ERR_KEY;
}

/* What EVP_DigestSign/Verify is given: the data, or its SHA-256. */
static int
prepare(enum dkim_alg alg, const unsigned char **data, size_t *len,
    unsigned char *md, const EVP_MD **type)
{
	size_t mdlen;

	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		*type = dkim_hash_md(DKIM_HASH_SHA256);
		return 0;
	case DKIM_ALG_RSA_SHA1:
		*type = dkim_hash_md(DKIM_HASH_SHA1);
		return 0;
	case DKIM_ALG_ED25519_SHA256:
		*type = NULL;
		if (dkim_digest_once(DKIM_HASH_SHA256, *data, *len, md,
		    &mdlen) != 0)
			return DKIM_ERR_CRYPTO;
		*data = md;
		*len = mdlen;
		return 0;
	default:
		return DKIM_ERR_KEY;
	}
}

int
dkim_key_sign(EVP_PKEY *k, enum dkim_alg alg, const unsigned char *data,
    size_t len, unsigned char *sig, size_t *siglen)
{
	unsigned char md[DKIM_HASH_MAX];
	const EVP_MD *type;
	EVP_MD_CTX *ctx;
	size_t need;
	int r;

	if ((r = prepare(alg, &data, &len, md, &type)) != 0)
		return r;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return DKIM_ERR_ALLOC;
	r = DKIM_ERR_CRYPTO;
	if (EVP_DigestSignInit(ctx, NULL, type, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, NULL, &need, data, len) != 1)
		goto out;
	if (need > DKIM_MAX_SIG_BYTES) {
		r = DKIM_ERR_KEY;
		goto out;
	}
	*siglen = need;
	if (EVP_DigestSign(ctx, sig, siglen, data, len) == 1)
		r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/*
 * Contexts set up once per key and thread and used again: setting one up
 * costs a quarter of an RSA verification, and a batch verifies against
 * few keys many times (openssl speed does the same).
 *
 * RSA: hash, then check the PKCS#1 v1.5 signature of the digest with the
 * kept EVP_PKEY_CTX.  Ed25519 can only be verified one-shot through an
 * EVP_MD_CTX, which newer libcrypto will not use twice; so the kept
 * context is a template, never used itself, and each verification works
 * on a copy of it (2-3 % of an Ed25519 verification saved).
 */
#define VCACHE	4

struct vctx {
	EVP_PKEY	*k;	/* the ctx holds a reference: never reused */
	enum dkim_hash	 h;
	EVP_PKEY_CTX	*c;	/* RSA */
	EVP_MD_CTX	*t;	/* Ed25519: the template */
};

static _Thread_local struct vctx vcache[VCACHE];
static _Thread_local unsigned vnext;
static _Thread_local EVP_MD_CTX *vcopy;	/* Ed25519: the working copy */

static void
vctx_clear(struct vctx *v)
{
	EVP_PKEY_CTX_free(v->c);
	EVP_MD_CTX_free(v->t);
	memset(v, 0, sizeof(*v));
}

void
dkim_key_thread_done(void)
{
	size_t i;

	for (i = 0; i < VCACHE; i++)
		vctx_clear(&vcache[i]);
	EVP_MD_CTX_free(vcopy);
	vcopy = NULL;
}

/* The entry for k and h (*found), or a cleared one to set up. */
static struct vctx *
vctx_find(EVP_PKEY *k, enum dkim_hash h, int *found)
{
	struct vctx *v;
	size_t i;

	for (i = 0; i < VCACHE; i++)
		if ((vcache[i].c != NULL || vcache[i].t != NULL) &&
		    vcache[i].k == k && vcache[i].h == h) {
			*found = 1;
			return &vcache[i];
		}
	*found = 0;
	v = &vcache[vnext++ % VCACHE];
	vctx_clear(v);
	return v;
}

static EVP_PKEY_CTX *
rsa_ctx(EVP_PKEY *k, enum dkim_hash h)
{
	struct vctx *v;
	int found;

	v = vctx_find(k, h, &found);
	if (found)
		return v->c;
	if ((v->c = EVP_PKEY_CTX_new(k, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(v->c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(v->c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(v->c, dkim_hash_md(h)) != 1) {
		vctx_clear(v);
		return NULL;
	}
	v->k = k;
	v->h = h;
	return v->c;
}

static int
rsa_verify(EVP_PKEY *k, enum dkim_hash h, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char md[DKIM_HASH_MAX];
	size_t mdlen;
	EVP_PKEY_CTX *c;

	if (dkim_digest_once(h, data, len, md, &mdlen) != 0)
		return DKIM_ERR_CRYPTO;
	if ((c = rsa_ctx(k, h)) == NULL)
		return DKIM_ERR_CRYPTO;
	return EVP_PKEY_verify(c, sig, siglen, md, mdlen) == 1;
}

/* A fresh copy of k's template, ready for one EVP_DigestVerify. */
static EVP_MD_CTX *
ed_ctx(EVP_PKEY *k)
{
	struct vctx *v;
	int found;

	v = vctx_find(k, DKIM_HASH_SHA256, &found);
	if (!found) {
		if ((v->t = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(v->t, NULL, NULL, NULL, k) != 1) {
			vctx_clear(v);
			return NULL;
		}
		v->k = k;
		v->h = DKIM_HASH_SHA256;
	}
	if (vcopy == NULL && (vcopy = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_MD_CTX_copy_ex(vcopy, v->t) != 1)
		return NULL;
	return vcopy;
}

int
dkim_key_verify(EVP_PKEY *k, enum dkim_alg alg, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char md[DKIM_HASH_MAX];
	const EVP_MD *type;
	EVP_MD_CTX *ctx;
	int r;

	if (alg == DKIM_ALG_RSA_SHA256 || alg == DKIM_ALG_RSA_SHA1)
		return rsa_verify(k, dkim_alg_hash(alg), data, len, sig,
		    siglen);
	if ((r = prepare(alg, &data, &len, md, &type)) != 0)
		return r;
	if (type != NULL || (ctx = ed_ctx(k)) == NULL)
		return DKIM_ERR_CRYPTO;
	return EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
}
