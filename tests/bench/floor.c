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
 *	floor batch pubkey sig message maildir [threads]
 *	floor hash file
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
 *
 * batch: the least a one-process batch verifier must do per message,
 * for every file in maildir/new: open, fstat, read and close it, hash
 * its bytes with SHA-256, and make one verification.  The key is set
 * up once.  RSA verifies with one EVP_PKEY_CTX made once (the padding
 * and digest set once); Ed25519 needs a fresh one-shot context per
 * message.  What is verified is sig over message, every time: the
 * cost of a verification does not depend on what was signed, and the
 * floor need not parse DKIM to find each file's own signature.  With
 * threads (default 1), that many threads, the first one among them, take
 * the files one at a time, each with its own buffer and RSA context and
 * the key shared, as dkim-verify -P does: what the CPUs give a batch in
 * one process, start-up included.  Exit 0 when every verification
 * succeeded.
 *
 * hash: the least a process must do to hash a big message: read(2) it
 * in blocks of 128 KiB (dkim-verify's buffer size) into one buffer and
 * feed each block to SHA-256, nothing else.  Prints the digest's first
 * byte, so that the work cannot be left out.  For the 10 MB cases.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
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

/* Read one file of dir into buf; return its length. */
static size_t
readone(int dir, const char *name, unsigned char *buf, size_t cap)
{
	struct stat st;
	ssize_t r;
	int fd;

	if ((fd = openat(dir, name, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		err(2, "%s", name);
	if (st.st_size <= 0 || (size_t)st.st_size >= cap)
		errx(2, "%s: empty, or too big", name);
	if ((r = read(fd, buf, (size_t)st.st_size + 1)) != st.st_size)
		errx(2, "%s: short read", name);
	close(fd);
	return (size_t)r;
}

/* What the threads of a batch share; each has its own buffer and context. */
struct job {
	EVP_PKEY	*pk;
	EVP_MD		*sha;
	const unsigned char *sig, *h;
	size_t		 slen;
	int		 dir;
	char		**names;
	size_t		 n;
	size_t		 next;	/* the next name to take, atomically */
	int		 bad;
};

static void *
work(void *arg)
{
	struct job *j = arg;
	unsigned char *buf, fh[32];
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *ctx;
	size_t i, n;
	int rsa, bad = 0;

	rsa = EVP_PKEY_get_base_id(j->pk) == EVP_PKEY_RSA;
	if ((buf = malloc(MAXFILE)) == NULL)
		err(2, "malloc");
	if (rsa && ((pc = EVP_PKEY_CTX_new(j->pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, j->sha) != 1))
		errx(2, "cannot set up the RSA context");
	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) <
	    j->n) {
		n = readone(j->dir, j->names[i], buf, MAXFILE);
		if (EVP_Digest(buf, n, fh, NULL, j->sha, NULL) != 1)
			errx(2, "sha256");
		if (rsa)
			bad |= EVP_PKEY_verify(pc, j->sig, j->slen, j->h,
			    32) != 1;
		else {
			if ((ctx = EVP_MD_CTX_new()) == NULL)
				errx(2, "EVP_MD_CTX_new");
			bad |= EVP_DigestVerifyInit(ctx, NULL, NULL, NULL,
			    j->pk) != 1 || EVP_DigestVerify(ctx, j->sig,
			    j->slen, j->h, 32) != 1;
			EVP_MD_CTX_free(ctx);
		}
	}
	if (bad)
		__atomic_store_n(&j->bad, 1, __ATOMIC_RELAXED);
	EVP_PKEY_CTX_free(pc);
	free(buf);
	return NULL;
}

/*
 * The directory is listed first, then the threads (the calling one among
 * them) take its files one at a time, as dkim-verify -P does.
 */
static int
batch(EVP_PKEY *pk, const unsigned char *sig, size_t slen,
    const unsigned char *msg, size_t mlen, const char *maildir, int nthr)
{
	unsigned char h[32];
	char path[4096];
	pthread_t tid[64];
	struct job j;
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int t;

	memset(&j, 0, sizeof(j));
	j.pk = pk;
	j.sig = sig;
	j.slen = slen;
	j.h = h;
	if ((j.sha = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    EVP_Digest(msg, mlen, h, NULL, j.sha, NULL) != 1)
		errx(2, "sha256");
	snprintf(path, sizeof(path), "%s/new", maildir);
	if ((d = opendir(path)) == NULL)
		err(2, "%s", path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (j.n == cap && (j.names = reallocarray(j.names,
		    cap = cap ? 2 * cap : 1024, sizeof(*j.names))) == NULL)
			err(2, "reallocarray");
		if ((j.names[j.n++] = strdup(e->d_name)) == NULL)
			err(2, "strdup");
	}
	j.dir = dirfd(d);
	for (t = 1; t < nthr; t++)
		if ((errno = pthread_create(&tid[t], NULL, work, &j)) != 0)
			err(2, "pthread_create");
	work(&j);
	for (t = 1; t < nthr; t++)
		pthread_join(tid[t], NULL);
	closedir(d);
	while (j.n > 0)
		free(j.names[--j.n]);
	free(j.names);
	EVP_MD_free(j.sha);
	return j.bad ? 1 : 0;
}

static int
hash_file(const char *path)
{
	enum { BLOCK = 128 * 1024 };
	unsigned char *buf, h[32];
	EVP_MD_CTX *ctx;
	ssize_t k;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(2, "%s", path);
	if ((buf = malloc(BLOCK)) == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		errx(2, "out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		errx(2, "sha256");
	while ((k = read(fd, buf, BLOCK)) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)k) != 1)
			errx(2, "sha256");
	if (k == -1)
		err(2, "%s", path);
	if (EVP_DigestFinal_ex(ctx, h, NULL) != 1)
		errx(2, "sha256");
	printf("%02x\n", h[0]);
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return 0;
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
	int sign, ok, nthr = 1;

	if (argc == 3 && strcmp(argv[1], "hash") == 0)
		return hash_file(argv[2]);
	if (argc < 2 || (strcmp(argv[1], "sign") == 0 ? argc != 4 :
	    strcmp(argv[1], "batch") == 0 ? argc != 6 && argc != 7 :
	    strcmp(argv[1], "verify") != 0 || argc != 5)) {
		fprintf(stderr, "usage: floor sign key.pem message\n"
		    "       floor verify pubkey sig message\n"
		    "       floor batch pubkey sig message maildir [threads]\n"
		    "       floor hash file\n");
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
	if (strcmp(argv[1], "batch") == 0) {
		if (argc == 7 && ((nthr = atoi(argv[6])) < 1 || nthr > 64))
			errx(2, "threads: 1 to 64");
		sig = slurp(argv[3], &slen);
		ok = batch(pk, sig, slen, msg, mlen, argv[5], nthr) == 0;
		free(sig);
		EVP_PKEY_free(pk);
		free(msg);
		return ok ? 0 : 1;
	}
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
