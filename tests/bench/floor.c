/*
 * floor -- the least a process must do to make or check one DKIM
 * signature: start, let libcrypto initialise itself (as any EVP user
 * does: no explicit init, default configuration), load the key from a
 * file, read the message, hash it with SHA-256 and sign or verify.
 * The per-process time of dkim-sign and dkim-verify on a small message
 * is compared with this.
 *
 *	floor sign privkey.pem message > sig
 *	floor verify pubkey sig message
 *
 * The private key is PEM (PEM_read_PrivateKey), as given to dkim-sign.
 * The public key is what a key record's p= holds, base64-decoded, as a
 * verifier gets it: DER SubjectPublicKeyInfo (d2i_PUBKEY) for RSA, the
 * raw 32 bytes (EVP_PKEY_new_raw_public_key) for Ed25519 (RFC 8463).
 *
 * RSA: RSASSA-PKCS1-v1_5 with SHA-256 over the message, as rsa-sha256.
 * Ed25519: pure Ed25519 over SHA-256(message), as ed25519-sha256
 * (RFC 8463).  Exit 0: signed, or the signature verified; 1: it did
 * not; 2: usage or any other error.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define MAXFILE	(1L << 20)

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *p;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	if ((p = malloc(MAXFILE)) == NULL)
		err(2, "malloc");
	*len = fread(p, 1, MAXFILE, fp);
	if (ferror(fp) || *len == MAXFILE)
		errx(2, "%s: cannot read, or too big", path);
	fclose(fp);
	return p;
}

int
main(int argc, char **argv)
{
	unsigned char *msg, *sig, *key, h[32], out[1024];
	const unsigned char *tbs, *p;
	size_t mlen, slen, klen, tlen, olen = sizeof(out);
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	EVP_PKEY *pk;
	FILE *fp;
	int sign, ok;

	if (argc < 2 || (strcmp(argv[1], "sign") == 0 ? argc != 4 :
	    strcmp(argv[1], "verify") != 0 || argc != 5)) {
		fprintf(stderr, "usage: floor sign key.pem message\n"
		    "       floor verify pubkey sig message\n");
		return 2;
	}
	sign = strcmp(argv[1], "sign") == 0;
	if (sign) {
		if ((fp = fopen(argv[2], "r")) == NULL)
			err(2, "%s", argv[2]);
		pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
	} else {
		key = slurp(argv[2], &klen);
		p = key;
		pk = klen == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		    NULL, key, klen) : d2i_PUBKEY(NULL, &p, (long)klen);
		free(key);
	}
	if (pk == NULL)
		errx(2, "%s: not a key", argv[2]);
	msg = slurp(argv[sign ? 3 : 4], &mlen);
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		if (EVP_Digest(msg, mlen, h, NULL, EVP_sha256(), NULL) != 1)
			errx(2, "sha256");
		tbs = h;
		tlen = sizeof(h);
		md = NULL;
	} else {
		tbs = msg;
		tlen = mlen;
		md = EVP_sha256();
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		errx(2, "EVP_MD_CTX_new");
	if (sign) {
		if (EVP_DigestSignInit(ctx, NULL, md, NULL, pk) != 1 ||
		    EVP_DigestSign(ctx, out, &olen, tbs, tlen) != 1)
			errx(2, "cannot sign");
		if (fwrite(out, 1, olen, stdout) != olen || fflush(stdout))
			err(2, "stdout");
		ok = 1;
	} else {
		sig = slurp(argv[3], &slen);
		ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
		    EVP_DigestVerify(ctx, sig, slen, tbs, tlen) == 1;
		free(sig);
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	free(msg);
	return ok ? 0 : 1;
}
