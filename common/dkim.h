/*
 * dkim.h: the one public header of libdkimtools (common/).
 *
 * Rules for everything declared here:
 *  - nothing in common/ exits or prints; functions return 0 or a negative
 *    DKIM_ERR_* code, dkim_strerror() gives its text;
 *  - untrusted bytes are always passed as (pointer, length), never relied
 *    upon to be NUL-terminated;
 *  - every *_free() accepts NULL;
 *  - "slice" pointers point into a buffer owned by someone else (usually the
 *    struct dkim_msg) and are valid as long as that owner is.
 */
#ifndef DKIM_H
#define DKIM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Errors */

enum {
	DKIM_OK = 0,
	DKIM_ERR_ALLOC = -1,	 /* out of memory */
	DKIM_ERR_IO = -2,	 /* read or write failed, errno kept */
	DKIM_ERR_HDR_SIZE = -3,	 /* header section over DKIM_MAX_HDR_BYTES */
	DKIM_ERR_HDR_COUNT = -4, /* more than DKIM_MAX_HDRS fields */
	DKIM_ERR_HDR_COLON = -5, /* header line without a colon */
	DKIM_ERR_HDR_NUL = -6,	 /* NUL byte in the header section */
	DKIM_ERR_HDR_CONT = -7,	 /* continuation line with no field */
	DKIM_ERR_EMPTY = -8,	 /* no header fields at all */
	DKIM_ERR_SYNTAX = -9,	 /* tag-list or value syntax */
	DKIM_ERR_DUPTAG = -10,	 /* tag appears twice */
	DKIM_ERR_TOOMANY = -11,	 /* over a documented count limit */
	DKIM_ERR_BASE64 = -12,	 /* invalid base64 */
	DKIM_ERR_CRYPTO = -13,	 /* OpenSSL failed */
	DKIM_ERR_TOOLONG = -14,	 /* value over its length limit */
	DKIM_ERR_KEY = -15,	 /* unusable key */
	DKIM_ERR_NOKEY = -16,	 /* no key in the input */
	DKIM_ERR_DNS_TEMP = -17, /* transient DNS failure */
	DKIM_ERR_DNS_PERM = -18, /* no record (NXDOMAIN, NODATA) */
	DKIM_ERR_DNS_TIMEOUT = -19,
	DKIM_ERR_HDR_NAME = -20, /* invalid header field name */
	DKIM_ERR_CHANGED = -21,	 /* the input file shrank while read */
	DKIM_ERR_LAST = -22
};

const char *dkim_strerror(int);

/* ------------------------------------------------------------------ */
/* Limits on untrusted input (documented in the man pages) */

#define DKIM_MAX_HDR_BYTES	(1024 * 1024) /* whole header section */
#define DKIM_MAX_HDRS		5000	      /* header fields */
#define DKIM_MAX_TAGS		64	      /* tags in one tag-list */
#define DKIM_MAX_SIGNED		256	      /* names in one h= */
#define DKIM_MAX_DOMAIN		253	      /* d=, a DNS name */
#define DKIM_MAX_SELECTOR	253	      /* s= (may hold dots) */
#define DKIM_MAX_AUID		512	      /* i= after decoding */
#define DKIM_MAX_SIG_BYTES	1024	      /* b=: 8192-bit RSA */
#define DKIM_MAX_TXT		65535	      /* a key record */
#define DKIM_RSA_MIN_BITS	1024	      /* RFC 8301 */
#define DKIM_RSA_MAX_BITS	8192	      /* bound verify CPU */

/* ------------------------------------------------------------------ */
/* Growable byte buffer */

struct dkim_buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

int	 dkim_buf_append(struct dkim_buf *, const void *, size_t);
/* Make room for n more bytes after len. */
int	 dkim_buf_reserve(struct dkim_buf *, size_t);
int	 dkim_buf_putc(struct dkim_buf *, int);
int	 dkim_buf_printf(struct dkim_buf *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 dkim_buf_free(struct dkim_buf *); /* frees p, keeps the struct */
void	 dkim_buf_freezero(struct dkim_buf *); /* same, wiping first */

/* ------------------------------------------------------------------ */
/* Input: a buffered reader over a file descriptor */

struct dkim_in;

/*
 * The reader does not own fd.  name is used in messages only and must
 * outlive the reader.
 */
struct dkim_in	*dkim_in_new(int fd, const char *name);
/*
 * A reader over len bytes of fd from offset off (pread; fd is shared, its
 * offset untouched): one message of an mbox.
 */
struct dkim_in	*dkim_in_new_range(int fd, off_t off, off_t len,
		    const char *name);
void		 dkim_in_free(struct dkim_in *);
/*
 * The input is a regular file of this size: the read that would only
 * return end-of-file is saved (a batch reads many small files).
 */
void		 dkim_in_size(struct dkim_in *, off_t);
const char	*dkim_in_name(const struct dkim_in *);

/*
 * Next chunk of input: *p points into the reader's buffer, valid until the
 * next call.  *n == 0 means end of input.
 */
int	 dkim_in_chunk(struct dkim_in *, const unsigned char **p, size_t *n);

/* Give back the last n bytes of the chunk just returned. */
void	 dkim_in_unread(struct dkim_in *, size_t n);

/*
 * Body replay for filters that write the message after deciding.  Call
 * dkim_in_mark() right after the header section was read: a seekable
 * input remembers its offset, anything else starts spooling what is read
 * from there on (memory first, then an unlinked file in $TMPDIR).
 * dkim_in_rewind() then makes dkim_in_chunk() return the body again.
 */
int	 dkim_in_mark(struct dkim_in *);
int	 dkim_in_rewind(struct dkim_in *);

struct dkim_out;
/*
 * After dkim_in_rewind(): write the rest of the input to out.  What is
 * left in a file (the input, or the spool's file) goes with sendfile(2),
 * so a big body is not copied through our memory a second time.  A
 * regular file gives again what it gave the first time, by count: bytes
 * it gained meanwhile are left out, and DKIM_ERR_CHANGED if it lost some.
 * DKIM_ERR_IO when reading or writing failed; dkim_out_failed() tells
 * which.
 */
int	 dkim_in_copy(struct dkim_in *, struct dkim_out *);

/* ------------------------------------------------------------------ */
/* Output: a checked, buffered writer */

struct dkim_out	*dkim_out_new(int fd);
int	 dkim_out_write(struct dkim_out *, const void *, size_t);
int	 dkim_out_flush(struct dkim_out *);
/*
 * Copy fd from its offset to its end, or *left bytes of it if *left is not
 * negative (*left counts down; more than 0 left at the end means the file
 * ended first): 0 done, DKIM_ERR_IO (sticky), or 1 when sendfile(2) cannot
 * take these two descriptors and nothing was copied (the caller copies by
 * hand).
 */
int	 dkim_out_sendfile(struct dkim_out *, int fd, off_t *left);
/* A write has failed (the error is sticky). */
int	 dkim_out_failed(const struct dkim_out *);
/* Flushes and frees; returns the first error seen since dkim_out_new(). */
int	 dkim_out_close(struct dkim_out *);

/* ------------------------------------------------------------------ */
/* The message: header section in memory, body streamed */

struct dkim_hdr {
	size_t	 off;	  /* offset of the field in msg->hbuf */
	size_t	 len;	  /* bytes, with folding, without final line end */
	size_t	 namelen; /* name length, WSP before the colon excluded */
	size_t	 colon;	  /* offset of the colon within the field */
};

struct dkim_msg {
	struct dkim_buf	 mbox_from; /* leading "From " line, with its EOL */
	struct dkim_buf	 hbuf;	    /* raw header section, byte-exact */
	struct dkim_hdr	*hdrs;
	size_t		 nhdrs;
	int		 crlf;	    /* first line ended in CRLF */
	int		 has_sep;   /* an empty line ended the header */
	int		 sep_crlf;  /* that empty line was CRLF */
	size_t		 errline;   /* line of the last parse error */
};

struct dkim_msg	*dkim_msg_new(void);
void		 dkim_msg_free(struct dkim_msg *);

/*
 * Read the header section (and a leading mbox line) from in.  On return
 * the reader is positioned at the first byte of the body.
 */
int	 dkim_msg_read_header(struct dkim_msg *, struct dkim_in *);

/* Parse a header section held in memory (tests, fuzzing). */
int	 dkim_msg_parse(struct dkim_msg *, const void *, size_t);

const char	*dkim_hdr_ptr(const struct dkim_msg *, const struct dkim_hdr *);
/* Case-insensitive name comparison, n bytes of name. */
int	 dkim_hdr_is(const struct dkim_msg *, const struct dkim_hdr *,
	    const char *name, size_t n);
/* The value: bytes after the colon up to the end of the field. */
void	 dkim_hdr_value(const struct dkim_msg *, const struct dkim_hdr *,
	    const char **v, size_t *vlen);

/*
 * Header selection (RFC 6376 5.4.2): for each of n names, in order, pick
 * the bottom-most instance not picked yet.  out[i] is the index of the
 * field in msg->hdrs, or -1 where no instance is left.
 * skip, when not -1, is a field index never picked (the signature itself).
 */
int	 dkim_msg_select(const struct dkim_msg *, const char *const *names,
	    const size_t *lens, size_t n, long skip, long *out);

/* ------------------------------------------------------------------ */
/* Canonicalization (RFC 6376 3.4) */

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED = 1
};

const char *dkim_canon_name(enum dkim_canon);
/* "relaxed", "simple/relaxed", ... (the c= grammar); 0 or DKIM_ERR_SYNTAX */
int	 dkim_canon_parse(const char *, size_t, enum dkim_canon *hc,
	    enum dkim_canon *bc);

/*
 * Append the canonical form of one raw header field (name, colon, value,
 * folding) to out, ending it with CRLF when crlf is set.
 */
int	 dkim_canon_header(enum dkim_canon, const char *, size_t,
	    struct dkim_buf *out, int crlf);

typedef void dkim_sink_fn(void *, const unsigned char *, size_t);

#define DKIM_STAGE	16384

/*
 * Streaming body canonicalizer.  Any chunking of the input gives the same
 * output bytes, passed to sink in order.  limit bounds what reaches the
 * sink (the l= tag); UINT64_MAX for none.
 */
struct dkim_body {
	enum dkim_canon		 canon;
	dkim_sink_fn		*sink;
	void			*arg;
	uint64_t		 limit;
	uint64_t		 hashed; /* bytes given to the sink */
	uint64_t		 total;	 /* canonical length, unlimited */
	uint64_t		 empties;/* empty lines not yet emitted */
	int			 cr;	 /* CR at the end of the last chunk */
	int			 wsp;	 /* relaxed: WSP not yet emitted */
	int			 midline;/* current line has content */
	const unsigned char	*span;	 /* input bytes not yet staged */
	size_t			 spanlen;
	size_t			 stagelen;
	unsigned char		 stage[DKIM_STAGE];
};

void	 dkim_body_init(struct dkim_body *, enum dkim_canon, uint64_t limit,
	    dkim_sink_fn *, void *);
void	 dkim_body_update(struct dkim_body *, const unsigned char *, size_t);
void	 dkim_body_final(struct dkim_body *);
/* Tests: use the SSE2 code even where AVX2 is there. */
void	 dkim_body_sse2_only(void);

/* ------------------------------------------------------------------ */
/* Tag-lists (RFC 6376 3.2) */

struct dkim_tag {
	const char	*name;
	size_t		 namelen;
	const char	*val;	/* trimmed of surrounding FWS */
	size_t		 vallen;
};

struct dkim_taglist {
	const char	*base;
	size_t		 n;
	struct dkim_tag	 tags[DKIM_MAX_TAGS];
};

/* *erroff, when not NULL, receives the offset of a syntax error. */
int	 dkim_taglist_parse(struct dkim_taglist *, const char *, size_t,
	    size_t *erroff);
const struct dkim_tag *dkim_taglist_get(const struct dkim_taglist *,
	    const char *name);
/* Does the value consist of base64 characters and FWS only? */
int	 dkim_tag_is_base64(const struct dkim_tag *);

/* ------------------------------------------------------------------ */
/* Digests and base64 */

enum dkim_hash {
	DKIM_HASH_SHA1 = 0,
	DKIM_HASH_SHA256 = 1
};

enum dkim_keytype {
	DKIM_KEY_RSA = 0,
	DKIM_KEY_ED25519 = 1
};

enum dkim_alg {
	DKIM_ALG_UNKNOWN = 0,
	DKIM_ALG_RSA_SHA1,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256
};

const char	*dkim_alg_name(enum dkim_alg);
enum dkim_alg	 dkim_alg_parse(const char *, size_t);
enum dkim_hash	 dkim_alg_hash(enum dkim_alg);
enum dkim_keytype dkim_alg_keytype(enum dkim_alg);
const char	*dkim_hash_name(enum dkim_hash);
/* The OpenSSL digest for a hash, fetched once per process. */
const struct evp_md_st *dkim_hash_md(enum dkim_hash);
size_t		 dkim_hash_len(enum dkim_hash);

#define DKIM_HASH_MAX	32

struct dkim_digest;

struct dkim_digest *dkim_digest_new(enum dkim_hash);
void	 dkim_digest_free(struct dkim_digest *);
/* Usable directly as a dkim_sink_fn. */
void	 dkim_digest_update(void *, const unsigned char *, size_t);
/* out must hold DKIM_HASH_MAX bytes; 0 or DKIM_ERR_CRYPTO */
int	 dkim_digest_final(struct dkim_digest *, unsigned char *out,
	    size_t *len);
/* new, update, final and free in one */
int	 dkim_digest_once(enum dkim_hash, const void *, size_t,
	    unsigned char *out, size_t *len);
/*
 * Freed digests are kept per thread for the next; a thread that ends
 * frees its own with this.
 */
void	 dkim_digest_thread_done(void);

/* Encoded length of n bytes, without the NUL. */
size_t	 dkim_b64_len(size_t n);
/* Writes dkim_b64_len(n) characters and a NUL to out. */
void	 dkim_b64_encode(const unsigned char *, size_t, char *out);
/*
 * Decode base64, ignoring FWS (SP, TAB, CR, LF) anywhere.  Padding must be
 * right.  0, DKIM_ERR_BASE64 or DKIM_ERR_TOOLONG (more than cap bytes).
 */
int	 dkim_b64_decode(const char *, size_t, unsigned char *out, size_t cap,
	    size_t *outlen);

/* Constant-time comparison of equal-length buffers; 0 when equal. */
int	 dkim_ct_cmp(const void *, const void *, size_t);

/* ------------------------------------------------------------------ */
/* DKIM-Signature fields (RFC 6376 3.5) */

struct dkim_sig {
	/* scalars first: dkim_sig_parse() clears only these */
	const char	*field;	   /* whole raw field, name included */
	size_t		 fieldlen;
	size_t		 boff;	   /* b= value and the FWS around it, */
	size_t		 blen;	   /* within the field (RFC 6376 3.7) */
	int		 version;  /* 0: v= absent or not 1 */
	enum dkim_alg	 alg;
	const char	*a;	   /* raw a= value, for reports */
	size_t		 alen;
	enum dkim_canon	 hc, bc;
	size_t		 nh;
	const char	*b64;	   /* raw b= value (with any FWS) */
	size_t		 b64len;
	size_t		 bsize;
	size_t		 bhsize;
	int		 has_l, has_t, has_x, has_q, q_ok;
	uint64_t	 l, t, x;
	const char	*z;	   /* raw z= value */
	size_t		 zlen;
	/* which tags were present, for the required-tag check */
	unsigned	 seen;
	/* then the arrays, valid up to their sizes and NULs */
	char		 d[DKIM_MAX_DOMAIN + 1];
	char		 s[DKIM_MAX_SELECTOR + 1];
	char		 i[DKIM_MAX_AUID + 1];	/* decoded; "" when absent */
	unsigned char	 bh[DKIM_HASH_MAX];
	unsigned char	 b[DKIM_MAX_SIG_BYTES];
	const char	*h[DKIM_MAX_SIGNED];	/* h= names, slices */
	size_t		 hlen[DKIM_MAX_SIGNED];
};

/*
 * Parse a raw DKIM-Signature field.  Syntax errors and values that cannot
 * be decoded fail, with *reason set to a short static text (RFC 8601
 * permerror reasons).  Semantic checks are left to dkim_sig_check().
 */
int	 dkim_sig_parse(struct dkim_sig *, const char *field, size_t len,
	    const char **reason);
/* Required tags, v=1, known a= and q=, h= has From, i= under d=, x>=t. */
int	 dkim_sig_check(const struct dkim_sig *, const char **reason);

/*
 * The exact bytes hashed for the header part: the fields named in h=,
 * selected bottom-up and canonicalized, then the signature field itself
 * with the b= value (and the whitespace around it) deleted and no final
 * CRLF.  self is the signature's
 * index in msg->hdrs (-1 when it is not in the message yet).
 */
int	 dkim_sig_header_input(const struct dkim_msg *, const struct dkim_sig *,
	    long self, struct dkim_buf *out);

/* Decode dkim-quoted-printable (i=, z=) into out (NUL-terminated). */
int	 dkim_qp_decode(const char *, size_t, char *out, size_t cap,
	    size_t *outlen);

/* Is the domain of auid (after its last "@") d or a subdomain of d? */
int	 dkim_auid_in(const char *auid, const char *d);
/* Is it a syntactically valid domain name (LDH labels)? */
int	 dkim_domain_ok(const char *, size_t);
/* Is it a valid selector (dot-separated labels of LDH and '_')? */
int	 dkim_selector_ok(const char *, size_t);

/* ------------------------------------------------------------------ */
/* Keys (OpenSSL EVP_PKEY; struct evp_pkey_st is its tag) */

struct evp_pkey_st;

#define DKIM_MAX_KEYFILE	65536

/*
 * A signing key from bytes: PEM (PKCS#8, PKCS#1 RSA; never prompts for a
 * passphrase), base64 of a 32-byte Ed25519 seed (dkimpy's dknewkey), or
 * base64 DER without PEM armour (PKCS#8 or PKCS#1).
 */
int	 dkim_key_private(const char *, size_t, struct evp_pkey_st **);
/* A private key as above, or a public key in PEM (SPKI or PKCS#1). */
int	 dkim_key_any(const char *, size_t, struct evp_pkey_st **);

/*
 * Read a key file (at most DKIM_MAX_KEYFILE bytes; never blocks on a FIFO;
 * refuses anything but a regular file).  *loose is set when group or
 * others may read it.  The file's bytes are wiped after parsing.
 */
int	 dkim_key_file(const char *path, int private, struct evp_pkey_st **,
	    int *loose);
void	 dkim_key_free(struct evp_pkey_st *);
/*
 * Verification keeps a few OpenSSL contexts per thread; a thread that
 * ends (and main, before exit) frees them with this.
 */
void	 dkim_key_thread_done(void);
/* Have libcrypto set up what verifying needs (a thread's idle time). */
void	 dkim_key_warm(void);
/* Do once what OpenSSL would do lazily at first use (for sharing). */
void	 dkim_key_prepare(struct evp_pkey_st *);

/* 0 and the type, or DKIM_ERR_KEY for a type DKIM cannot use. */
int	 dkim_key_type(const struct evp_pkey_st *, enum dkim_keytype *);
int	 dkim_key_bits(const struct evp_pkey_st *);
const char *dkim_keytype_name(enum dkim_keytype);
/* Same public key? */
int	 dkim_key_equal(const struct evp_pkey_st *, const struct evp_pkey_st *);

/*
 * The p= value for a key (RFC 6376 3.6.1, RFC 8463 4): base64 of the
 * SubjectPublicKeyInfo DER for RSA, of the raw 32 bytes for Ed25519.
 * *out is allocated, caller frees.
 */
int	 dkim_key_p(const struct evp_pkey_st *, char **out);
/* A public key from decoded p= bytes: RSA SPKI or bare RSAPublicKey (RFC
 * 6376 erratum 3017); Ed25519 only as the raw 32 bytes.  DKIM_ERR_KEY: p=
 * is not such a key; DKIM_ERR_CRYPTO: libcrypto could not load it here. */
int	 dkim_key_from_p(enum dkim_keytype, const unsigned char *, size_t,
	    struct evp_pkey_st **);

/*
 * Sign or verify the header hash input (RFC 6376 3.7): rsa-sha256 signs
 * the data with PKCS#1 v1.5, ed25519-sha256 signs its SHA-256 (RFC 8463).
 * dkim_key_sign: sig holds DKIM_MAX_SIG_BYTES.  dkim_key_verify returns 1
 * valid, 0 invalid, <0 an error.
 */
int	 dkim_key_sign(struct evp_pkey_st *, enum dkim_alg,
	    const unsigned char *, size_t, unsigned char *sig, size_t *siglen);
int	 dkim_key_verify(struct evp_pkey_st *, enum dkim_alg,
	    const unsigned char *, size_t, const unsigned char *sig,
	    size_t siglen);

/* ------------------------------------------------------------------ */
/* Key records (RFC 6376 3.6.1) */

struct dkim_keyrec {
	int		 v_present;
	enum dkim_keytype k;
	int		 k_given;
	unsigned	 hashes;    /* 1 << enum dkim_hash allowed by h= */
	int		 h_given;
	int		 email;	    /* s= allows email */
	int		 testing;   /* t=y */
	int		 strict;    /* t=s */
	const char	*n;	    /* raw n= (notes), slice */
	size_t		 nlen;
	int		 revoked;   /* p= empty */
	struct evp_pkey_st *pkey;   /* NULL when revoked */
	int		 bits;
};

/*
 * Parse a key record.  Anything that makes it unusable fails with a short
 * static *reason; a revoked key (empty p=) parses, with revoked set.
 * DKIM_ERR_ALLOC and DKIM_ERR_CRYPTO are failures here, not the record's.
 * dkim_keyrec_clear() frees what parsing allocated.
 */
int	 dkim_keyrec_parse(struct dkim_keyrec *, const char *, size_t,
	    const char **reason);
void	 dkim_keyrec_clear(struct dkim_keyrec *);

/* ------------------------------------------------------------------ */
/* DNS (dns.c) and the offline key table (keytable.c) */

#define DKIM_MAX_TXTRECS	8	/* TXT records kept for one name */
#define DKIM_MAX_NAME		253	/* selector._domainkey.domain */
#define DKIM_MAX_KEYTABLE	(16 * 1024 * 1024) /* key table file */

/*
 * The TXT records at a name, each with its character-strings joined.
 * A record with a NUL byte in it is left out and only counted in nulrecs
 * (it would be cut short as a C string, and no key record holds a NUL);
 * so are records after the first DKIM_MAX_TXTRECS, in extra.
 */
struct dkim_txt {
	size_t		 n;
	char		*rec[DKIM_MAX_TXTRECS];	/* NUL-terminated, allocated */
	size_t		 len[DKIM_MAX_TXTRECS];
	int		 secure;	/* the answer had the AD bit */
	size_t		 nulrecs;	/* records left out: NUL byte inside */
	size_t		 extra;		/* records left out: over the limit */
};

/* Frees the records and zeroes the struct. */
void	 dkim_txt_clear(struct dkim_txt *);

/*
 * The key record's name, "selector._domainkey.domain", into out (cap
 * bytes, DKIM_MAX_NAME + 1 always enough).  DKIM_ERR_SYNTAX when the
 * selector or the domain is not valid (dkim_selector_ok, dkim_domain_ok),
 * DKIM_ERR_TOOLONG over DKIM_MAX_NAME.
 */
int	 dkim_dns_name(const char *sel, size_t sellen, const char *dom,
	    size_t domlen, char *out, size_t cap);

struct dkim_resolver;

/*
 * server: NULL for /etc/resolv.conf, else a numeric address: "addr",
 * "addr:port", "v6addr" or "[v6addr]:port" (DKIM_ERR_SYNTAX otherwise).
 * timeout is seconds per try (1 to 30), tries the attempts (1 to 5); 0
 * keeps what resolv.conf or RES_OPTIONS say (glibc: 5 s, 2 tries).  The
 * rest of resolv.conf (options trust-ad, edns0, use-vc) applies either way.
 */
int	 dkim_resolver_new(struct dkim_resolver **, const char *server,
	    int timeout, int tries);
void	 dkim_resolver_free(struct dkim_resolver *);

/*
 * TXT records at name (every TXT record of the answer section, so the
 * end of a CNAME chain too).  0 with txt->n >= 1, or an error and the
 * records freed:
 *   DKIM_ERR_DNS_PERM     NXDOMAIN, no TXT there, only TXT records with
 *                         a NUL byte (txt->nulrecs says how many), or a
 *                         name that cannot exist (empty, over
 *                         DKIM_MAX_NAME): "no key";
 *   DKIM_ERR_DNS_TIMEOUT  no answer in time;
 *   DKIM_ERR_DNS_TEMP     SERVFAIL, REFUSED, connection refused, a
 *                         truncated or malformed answer;
 *   DKIM_ERR_ALLOC.
 * secure is set only when libresolv keeps the AD bit (RES_TRUSTAD).
 */
int	 dkim_dns_txt(struct dkim_resolver *, const char *name,
	    struct dkim_txt *);
/* The parsing half of dkim_dns_txt, on a raw DNS message (fuzzing). */
int	 dkim_dns_parse(const unsigned char *, size_t, struct dkim_txt *);

struct dkim_keytable;

/*
 * A key table is zone-file text as dkim-record prints it:
 *   NAME [TTL] [IN] TXT "..." "..."   with ; comments and ( ) grouping.
 * NAME is absolute with or without its final dot; strings are quoted,
 * with \X and \DDD escapes, at most 255 bytes each; no $ directives.
 * Several lines for one name are several TXT records.  On an error
 * *errline is the line (0 for errors not tied to one): DKIM_ERR_SYNTAX,
 * DKIM_ERR_TOOLONG (a string, a record, the file over
 * DKIM_MAX_KEYTABLE), DKIM_ERR_IO (errno kept), DKIM_ERR_ALLOC.
 */
int	 dkim_keytable_load(struct dkim_keytable **, const char *path,
	    size_t *errline);
int	 dkim_keytable_parse(struct dkim_keytable **, const char *, size_t,
	    size_t *errline);
void	 dkim_keytable_free(struct dkim_keytable *);
/*
 * Like dkim_dns_txt: DKIM_ERR_DNS_PERM when the name has no TXT, records
 * over DKIM_MAX_TXTRECS counted in extra.  Names compare without regard
 * to case or a final dot.
 */
int	 dkim_keytable_txt(const struct dkim_keytable *, const char *name,
	    struct dkim_txt *);

/* ------------------------------------------------------------------ */
/* Key record text and the zone-file forms it is published in (record.c) */

#define DKIM_TXT_STRING		255	/* bytes in one character-string */
#define DKIM_MAX_NOTE		255	/* n= text before encoding */
#define DKIM_TTL_DEFAULT	86400
#define DKIM_TTL_MAX		2147483647 /* RFC 2181 8 */

enum dkim_recfmt {
	DKIM_FMT_ZONE = 0,	/* NAME TTL IN TXT "..." "..." on one line */
	DKIM_FMT_BIND,		/* the same, strings on lines in ( ) */
	DKIM_FMT_VALUE,		/* the record text alone */
	DKIM_FMT_TINYDNS,	/* 'NAME:TEXT:TTL, octal escapes */
	DKIM_FMT_NSUPDATE,	/* update add ...; send */
	DKIM_FMT_JSON		/* {"name", "type", "ttl", "value", "strings"} */
};

/* "zone", "bind", ... to the enum; 0 or DKIM_ERR_SYNTAX. */
int	 dkim_recfmt_parse(const char *, enum dkim_recfmt *);

#define DKIM_REC_TESTING	0x01	/* t=y */
#define DKIM_REC_STRICT		0x02	/* t=s */
#define DKIM_REC_SHA256		0x04	/* h=sha256 */

/*
 * Append the key record for the public half of key to out, as
 *   v=DKIM1; k=rsa|ed25519; [h=sha256; ][t=y:s; ][n=NOTE; ]p=...
 * flags are DKIM_REC_*; note (notelen bytes, at most DKIM_MAX_NOTE, any
 * bytes) is written in dkim-quoted-printable.  out is not NUL-terminated.
 * DKIM_ERR_KEY for a key DKIM cannot use, DKIM_ERR_TOOLONG, _ALLOC.
 */
int	 dkim_record_value(const struct evp_pkey_st *key, unsigned flags,
	    const char *note, size_t notelen, struct dkim_buf *out);
/*
 * The record that revokes a selector's key (RFC 6376 3.6.1, empty p=):
 *   v=DKIM1; [h=sha256; ][t=y:s; ][n=NOTE; ]p=
 */
int	 dkim_record_revoked(unsigned flags, const char *note, size_t notelen,
	    struct dkim_buf *out);

/*
 * Append one record in format fmt to out, ending in a newline.  name is
 * the owner without the final dot, value the record text (len bytes).
 * The value is cut into character-strings of at most DKIM_TXT_STRING
 * bytes, the first ending where p= starts.  ttl is unused for VALUE.
 */
int	 dkim_record_format(enum dkim_recfmt, const char *name, uint32_t ttl,
	    const char *value, size_t len, struct dkim_buf *out);

/* ------------------------------------------------------------------ */
/* Signing (sign.c) */

struct dkim_signopts {
	enum dkim_canon	 hc, bc;
	const char	*d;	/* domain */
	const char	*s;	/* selector */
	const char	*i;	/* AUID, or NULL */
	const char *const *h;	/* h= names, in order, as listed */
	const size_t	*hlen;
	size_t		 nh;
	int		 use_l, use_t, use_x, use_z;
	uint64_t	 l, t, x;
	int		 crlf;	/* line ends of the new field */
};

/*
 * The RFC 6376 5.4.1 list (plus Message-ID and MIME fields) of fields worth
 * signing; a NULL-terminated table.
 */
extern const char *const dkim_sign_default_headers[];

/*
 * Build h=: names[] (n of them) each listed as often as the message has
 * the field; each name in over[] once more than that.  Names in over[]
 * that are not in names[] are added.  *out is allocated (caller frees the
 * array; the strings point into names/over).
 */
int	 dkim_sign_hlist(const struct dkim_msg *, const char *const *names,
	    size_t n, const char *const *over, size_t nover,
	    const char ***out, size_t **outlen, size_t *nout);

/*
 * Make one DKIM-Signature field (name, folded value, final line end) for
 * msg, whose body hash is bh, with key k, appended to out.
 */
int	 dkim_sign(const struct dkim_msg *, const struct dkim_signopts *,
	    const unsigned char *bh, size_t bhlen, struct evp_pkey_st *k,
	    struct dkim_buf *out);

/* ------------------------------------------------------------------ */
/* Key sources with a per-process cache (keysrc.c) */

struct dkim_keysrc;

/*
 * Keys come from the key table when one is given, else from DNS.  Both
 * are borrowed and must outlive the source.  Every name is looked up
 * once; later lookups get the cached answer, errors included.  A source
 * may be shared by threads: a name being looked up by one thread is
 * waited for by the others, never asked twice.
 */
struct dkim_keysrc *dkim_keysrc_new(struct dkim_resolver *,
	    const struct dkim_keytable *);
/*
 * For threads: when the given resolver is busy, make more like it (same
 * server, timeout and tries; server NULL for /etc/resolv.conf).
 */
int	 dkim_keysrc_dns(struct dkim_keysrc *, const char *server, int timeout,
	    int tries);
void	 dkim_keysrc_free(struct dkim_keysrc *);
/* *out stays valid as long as the source. */
int	 dkim_keysrc_get(struct dkim_keysrc *, const char *name,
	    const struct dkim_txt **out);
/*
 * Record i of txt (from dkim_keysrc_get), parsed once and kept for the
 * life of the source: a batch verifies against a key without decoding it
 * again.  0 and *kr, or nonzero and *reason (as dkim_keyrec_parse); a
 * local failure (DKIM_ERR_ALLOC, DKIM_ERR_CRYPTO) is not kept.
 */
int	 dkim_keysrc_keyrec(struct dkim_keysrc *, const struct dkim_txt *,
	    size_t i, const struct dkim_keyrec **kr, const char **reason);
/* Serve a fixed record for name (tests, fuzzing), before it is looked up. */
int	 dkim_keysrc_add(struct dkim_keysrc *, const char *name,
	    const char *rec, size_t len);
/* How many lookups reached DNS or the table (the cache's misses). */
size_t	 dkim_keysrc_misses(const struct dkim_keysrc *);

/* ------------------------------------------------------------------ */
/* Verifying (verify.c) */

/* RFC 8601 result words */
enum dkim_result {
	DKIM_RES_NONE = 0,
	DKIM_RES_PASS,
	DKIM_RES_FAIL,
	DKIM_RES_POLICY,
	DKIM_RES_NEUTRAL,
	DKIM_RES_TEMPERROR,
	DKIM_RES_PERMERROR
};

const char *dkim_result_name(enum dkim_result);

struct dkim_vopts {
	uint64_t	 now;	    /* verification time */
	uint64_t	 skew;	    /* clock-skew allowance, seconds */
	size_t		 max_sigs;  /* signatures verified; the rest: policy */
	/*
	 * Accept rsa-sha1 and RSA keys under 1024 bits, as RFC 6376 did
	 * before RFC 8301.  Never set by the programs: the tests use it to
	 * show that old vectors fail only because of RFC 8301.
	 */
	int		 legacy;
};

#define DKIM_DEFAULT_SKEW	300
#define DKIM_DEFAULT_MAXSIGS	8

/* What happened to one key record of a signature's selector. */
struct dkim_keytry {
	enum dkim_result res;
	const char	*reason;   /* NULL when it verified */
};

struct dkim_vresult {
	long		 index;	   /* the field in msg->hdrs */
	int		 parsed;   /* sig holds a parsed signature */
	enum dkim_result res;
	const char	*reason;   /* static text, NULL on pass */
	int		 testing;  /* key record has t=y */
	int		 secure;   /* key came with the DNS AD bit */
	int		 have_key; /* ktype/kbits describe the key used */
	enum dkim_keytype ktype;
	int		 kbits;
	int		 sig_ok;   /* header signature verified */
	int		 body_done;/* bh computed (below) */
	int		 body_ok;
	unsigned char	 bh[DKIM_HASH_MAX];
	size_t		 bhlen;
	uint64_t	 bodylen;  /* canonical body length */
	size_t		 ntries;
	struct dkim_keytry tries[DKIM_MAX_TXTRECS];
	size_t		 skipped;  /* TXT records not tried (over the
				      limit, or with a NUL byte) */
	int		 hasher;   /* body hasher index, -1 for none */
	struct dkim_sig	 sig;	   /* last: it is big, and set by parsing */
};

struct dkim_verify;

/*
 * Check every DKIM-Signature of msg up to the body: parse, check, fetch
 * keys, verify the header signatures.  Then feed the body with
 * dkim_verify_body() and call dkim_verify_final().  msg and ks are
 * borrowed for the session's life.
 */
int	 dkim_verify_new(struct dkim_verify **, const struct dkim_msg *,
	    struct dkim_keysrc *, const struct dkim_vopts *);
void	 dkim_verify_body(struct dkim_verify *, const unsigned char *, size_t);
int	 dkim_verify_final(struct dkim_verify *);
void	 dkim_verify_free(struct dkim_verify *);
/* Does any signature still need the body? */
int	 dkim_verify_wants_body(const struct dkim_verify *);
size_t	 dkim_verify_count(const struct dkim_verify *);
const struct dkim_vresult *dkim_verify_result(const struct dkim_verify *,
	    size_t);

/* ------------------------------------------------------------------ */
/* Reporting results (ar.c) */

/*
 * One RFC 8601 resinfo for a signature: "dkim=fail (reason) header.d=...
 * header.s=... header.a=... header.b=12345678".  Values copied from the
 * message are validated or quoted so they cannot break the header syntax.
 */
int	 dkim_ar_resinfo(const struct dkim_vresult *, struct dkim_buf *);
/* Is s usable as an authserv-id (a host name or similar token)? */
int	 dkim_ar_authserv_ok(const char *);
/* Does an Authentication-Results value claim this authserv-id? */
int	 dkim_ar_claims(const char *value, size_t len, const char *authserv);
/* Append s as a JSON string (quoted, escaped; bytes >= 0x80 as \u00XX
 * unless they form valid UTF-8). */
int	 dkim_json_str(struct dkim_buf *, const char *s, size_t n);
/*
 * The domain of the From field's address, lowercased, into out; 0, or
 * DKIM_ERR_SYNTAX when there is none or several different ones.
 */
int	 dkim_from_domain(const struct dkim_msg *, char *out, size_t cap);

#endif /* DKIM_H */
