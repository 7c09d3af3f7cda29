/*
 * opendkim-peer -- sign or verify a message with libopendkim, for tests.
 *
 *	opendkim-peer verify [-v] [-T seconds] [--dns addr:port | --zone file]
 *	opendkim-peer sign -d domain -s selector -k keyfile [-a alg] [-c canon]
 *	    [-h h1:h2:...] [-i identity] [-l] [-m margin] [-x seconds]
 *
 * The message comes on stdin.  A leading mbox "From " line is dropped and
 * every bare LF becomes CRLF before libopendkim sees it.
 *
 * verify prints one RFC 8601 word per DKIM-Signature field, top first
 * (libopendkim keeps header order in dkim_getsiglist()), or "none".  It
 * sets DKIM_LIBFLAGS_BADSIGHANDLES so that unparseable signatures are
 * listed too.  Mapping, per DKIM_SIGINFO:
 *	DKIM_SIGFLAG_PASSED and body hash DKIM_SIGBH_MATCH	pass
 *	DKIM_SIGERROR_BADSIG, or body hash DKIM_SIGBH_MISMATCH	fail
 *	DKIM_SIGERROR_KEYFAIL (the DNS query failed, timed out)	temperror
 *	DKIM_SIGFLAG_IGNORE					neutral
 *	any other DKIM_SIGERROR_* (syntax, expired, NOKEY,
 *	revoked, KEYTOOSMALL < 1024 bits, MULTIREPLY, ...)	permerror
 * -v writes dkim_sig_geterrorstr() for each to stderr.
 *
 * Key lookups go through our own query callbacks
 * (dkim_dns_set_query_start/_waitreply/_cancel):
 *   --dns addr:port  res_nmkquery + res_nsend on a res_state whose only
 *	nameserver is addr:port, like libopendkim's stock resolver; glibc
 *	gives -1 for SERVFAIL (ETIMEDOUT), a closed port (ECONNREFUSED) and
 *	timeouts, which we report as DKIM_DNS_ERROR/EXPIRED, and libopendkim
 *	turns into DKIM_SIGERROR_KEYFAIL.
 *   --zone file  a testdata/vectors dns.txt table; we build the DNS reply
 *	(NXDOMAIN for absent names); TIMEOUT entries give DKIM_DNS_EXPIRED,
 *	SERVFAIL entries DKIM_DNS_ERROR.
 *   neither      the system resolver (/etc/resolv.conf).
 *
 * sign writes the message as handed to libopendkim, preceded by the new
 * DKIM-Signature field (folded by libopendkim at 75 columns, then made
 * CRLF), to stdout.  keyfile is PEM (RSA PKCS#1/PKCS#8, Ed25519 PKCS#8)
 * or a bare base64 Ed25519 seed; -a defaults to rsa-sha256 or
 * ed25519-sha256 after the key type.  -c defaults to relaxed/relaxed.
 * -h lists header field names to sign (libopendkim signs every present
 * instance of each, once; the default is every field in the message).
 * -l adds l=, -x adds x= (t= is always there).  -m sets the folding
 * margin (dkim_set_margin; libopendkim's default is 75, 0 = no folding).
 *
 * libopendkim 2.11.0~beta2 bug: with Ed25519 and c=simple/..., the
 * signature is computed over the field folded one way ("...; b=" on the
 * h= line) and emitted folded another (b= moved to a new line), so the
 * signature fails everywhere, libopendkim included.  -m 0 avoids it.
 *
 * Exit: 0 ok; 1 libopendkim refused (sign); 2 usage, key or I/O error.
 *
 * Build: make -C tests/peers (cc ... -lopendkim -lcrypto -lresolv).
 */

#include <sys/types.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <opendkim/dkim.h>

#define MSG_MAX		(64UL << 20)	/* biggest message we read */
#define KEY_MAX		(64UL << 10)	/* biggest key file we read */
#define DNS_ANSWER_MAX	8192		/* libopendkim's MAXPACKET */

static const char *progname = "opendkim-peer";

/* ---- small helpers ---------------------------------------------------- */

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: %s verify [-v] [-T seconds] [--dns addr:port | --zone file]"
	    " < message\n"
	    "       %s sign -d domain -s selector -k keyfile [-a alg]"
	    " [-c canon]\n"
	    "           [-h headers] [-i identity] [-l] [-m margin] [-x seconds]"
	    " < message\n", progname, progname);
	exit(2);
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		die(2, "out of memory");
	return p;
}

static long
number(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		die(2, "bad %s: %s", what, s);
	return v;
}

/* Read all of fp (at most max bytes); *lenp gets the length. */
static unsigned char *
slurp(FILE *fp, size_t max, size_t *lenp, const char *what)
{
	unsigned char *buf = NULL;
	size_t len = 0, size = 0, n;

	for (;;) {
		if (len == size) {
			size = size ? size * 2 : 65536;
			if ((buf = realloc(buf, size + 1)) == NULL)
				die(2, "out of memory");
		}
		n = fread(buf + len, 1, size - len, fp);
		len += n;
		if (len > max)
			die(2, "%s too large", what);
		if (n == 0)
			break;
	}
	if (ferror(fp))
		die(2, "cannot read %s", what);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* stdin without a leading mbox "From " line, with every bare LF as CRLF */
static unsigned char *
read_message(size_t *lenp)
{
	unsigned char *in, *out, *p, *end;
	size_t len, n = 0;

	in = slurp(stdin, MSG_MAX, &len, "message");
	p = in;
	end = in + len;
	if (len >= 5 && memcmp(in, "From ", 5) == 0) {
		while (p < end && *p != '\n')
			p++;
		if (p < end)
			p++;
	}
	out = xmalloc(2 * (size_t)(end - p) + 1);
	for (; p < end; p++) {
		if (*p == '\n' && (n == 0 || out[n - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = *p;
	}
	out[n] = '\0';
	free(in);
	*lenp = n;
	return out;
}

/* ---- DNS: a vectors table or one server ------------------------------- */

enum { DNS_SYSTEM, DNS_SERVER, DNS_TABLE };
enum { ENT_TXT, ENT_NXDOMAIN, ENT_TIMEOUT, ENT_SERVFAIL };

struct entry {
	char	*name;		/* lower case, no final dot */
	int	 kind;		/* ENT_* */
	char	*value;		/* ENT_TXT: the joined value */
	size_t	 vlen;
};

struct dns {
	int			 mode;
	struct __res_state	 res;
	struct entry		*ents;
	size_t			 nents;
};

struct query {
	int	status;		/* DKIM_DNS_* */
	size_t	len;		/* reply bytes in the caller's buffer */
};

static void
name_key(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
table_load(struct dns *d, const char *path)
{
	FILE *fp;
	char *line = NULL, *p, *name, *kind, *q1, *q2;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	struct entry *e;

	if ((fp = fopen(path, "r")) == NULL)
		die(2, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			continue;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		name = strtok(p, " \t");
		kind = strtok(NULL, " \t");
		if (name == NULL || kind == NULL)
			die(2, "%s:%zu: bad line", path, lineno);
		d->ents = realloc(d->ents, (d->nents + 1) * sizeof *d->ents);
		if (d->ents == NULL)
			die(2, "out of memory");
		e = &d->ents[d->nents++];
		e->name = strdup(name);
		if (e->name == NULL)
			die(2, "out of memory");
		name_key(e->name);
		e->value = NULL;
		e->vlen = 0;
		if (strcasecmp(kind, "TXT") == 0) {
			/* strtok wrote a NUL after kind; the value follows */
			q1 = strchr(kind + strlen(kind) + 1, '"');
			q2 = strrchr(kind + strlen(kind) + 1, '"');
			if (q1 == NULL || q2 == q1 || q2[1] != '\0')
				die(2, "%s:%zu: bad TXT value", path, lineno);
			e->kind = ENT_TXT;
			e->vlen = (size_t)(q2 - q1 - 1);
			e->value = xmalloc(e->vlen + 1);
			memcpy(e->value, q1 + 1, e->vlen);
			e->value[e->vlen] = '\0';
		} else if (strcasecmp(kind, "NXDOMAIN") == 0)
			e->kind = ENT_NXDOMAIN;
		else if (strcasecmp(kind, "TIMEOUT") == 0)
			e->kind = ENT_TIMEOUT;
		else if (strcasecmp(kind, "SERVFAIL") == 0)
			e->kind = ENT_SERVFAIL;
		else
			die(2, "%s:%zu: unknown type %s", path, lineno, kind);
	}
	free(line);
	fclose(fp);
}

/*
 * Build in buf the reply a server would give for a TXT query of qname:
 * NXDOMAIN, or one TXT record holding value in 255-byte strings.
 */
static int
table_reply(struct dns *d, const char *qname, const struct entry *e,
    unsigned char *buf, size_t buflen, size_t *lenp)
{
	HEADER *h;
	unsigned char *p, *rdlen;
	size_t off, chunk, rd;
	int n;

	n = res_nmkquery(&d->res, QUERY, qname, C_IN, T_TXT, NULL, 0, NULL,
	    buf, (int)buflen);
	if (n < 0)
		return DKIM_DNS_ERROR;
	h = (HEADER *)buf;
	h->qr = 1;
	h->aa = 1;
	h->ra = 1;
	if (e == NULL || e->kind != ENT_TXT) {
		h->rcode = NXDOMAIN;
		*lenp = (size_t)n;
		return DKIM_DNS_SUCCESS;
	}
	/* name pointer to the question, TYPE, CLASS, TTL, RDLENGTH, RDATA */
	if ((size_t)n + 12 + e->vlen + e->vlen / 255 + 1 > buflen)
		return DKIM_DNS_ERROR;
	p = buf + n;
	*p++ = 0xc0;
	*p++ = HFIXEDSZ;
	*p++ = 0; *p++ = T_TXT;
	*p++ = 0; *p++ = C_IN;
	*p++ = 0; *p++ = 0; *p++ = 1; *p++ = 44;	/* TTL 300 */
	rdlen = p;
	p += 2;
	off = 0;
	do {
		chunk = e->vlen - off > 255 ? 255 : e->vlen - off;
		*p++ = (unsigned char)chunk;
		memcpy(p, e->value + off, chunk);
		p += chunk;
		off += chunk;
	} while (off < e->vlen);
	rd = (size_t)(p - rdlen - 2);
	if (rd > 65535)
		return DKIM_DNS_ERROR;
	rdlen[0] = (unsigned char)(rd >> 8);
	rdlen[1] = (unsigned char)rd;
	h->ancount = htons(1);
	*lenp = (size_t)(p - buf);
	return DKIM_DNS_SUCCESS;
}

static int
table_query(struct dns *d, const char *qname, unsigned char *buf,
    size_t buflen, size_t *lenp)
{
	char key[NS_MAXDNAME + 1];
	size_t i;

	if (strlen(qname) >= sizeof key)
		return DKIM_DNS_ERROR;
	strcpy(key, qname);
	name_key(key);
	for (i = 0; i < d->nents; i++) {
		if (strcmp(d->ents[i].name, key) != 0)
			continue;
		if (d->ents[i].kind == ENT_TIMEOUT)
			return DKIM_DNS_EXPIRED;
		if (d->ents[i].kind == ENT_SERVFAIL)
			return DKIM_DNS_ERROR;
		return table_reply(d, qname, &d->ents[i], buf, buflen, lenp);
	}
	return table_reply(d, qname, NULL, buf, buflen, lenp);
}

static int
server_query(struct dns *d, int type, const char *qname, unsigned char *buf,
    size_t buflen, size_t *lenp)
{
	unsigned char q[NS_PACKETSZ];
	int n;

	n = res_nmkquery(&d->res, QUERY, qname, C_IN, type, NULL, 0, NULL,
	    q, sizeof q);
	if (n < 0)
		return DKIM_DNS_ERROR;
	errno = 0;
	n = res_nsend(&d->res, q, n, buf, (int)buflen);
	if (n < 0)
		return errno == ETIMEDOUT ? DKIM_DNS_EXPIRED : DKIM_DNS_ERROR;
	*lenp = (size_t)n;
	return DKIM_DNS_SUCCESS;
}

/* libopendkim query-start callback: we answer at once */
static int
dns_start(void *srv, int type, unsigned char *qname, unsigned char *buf,
    size_t buflen, void **qhp)
{
	struct dns *d = srv;
	struct query *q;

	q = xmalloc(sizeof *q);
	q->len = 0;
	if (d->mode == DNS_TABLE && type == T_TXT)
		q->status = table_query(d, (char *)qname, buf, buflen, &q->len);
	else
		q->status = server_query(d, type, (char *)qname, buf, buflen,
		    &q->len);
	*qhp = q;
	return 0;
}

static int
dns_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes,
    int *error, int *dnssec)
{
	struct query *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static int
dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

/* libopendkim's dkim_close() calls this with our service handle */
static void
dns_close(void *srv)
{
	struct dns *d = srv;
	size_t i;

	res_nclose(&d->res);
	for (i = 0; i < d->nents; i++) {
		free(d->ents[i].name);
		free(d->ents[i].value);
	}
	free(d->ents);
	d->ents = NULL;
	d->nents = 0;
}

static void
dns_setup(DKIM_LIB *lib, struct dns *d, const char *server,
    const char *zone, int timeout)
{
	char host[64];
	const char *colon;
	struct sockaddr_in *sin;

	memset(d, 0, sizeof *d);
	if (res_ninit(&d->res) != 0)
		die(2, "res_ninit failed");
	d->res.retrans = timeout;
	d->res.retry = 1;
	d->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	d->mode = DNS_SYSTEM;
	if (server != NULL) {
		colon = strrchr(server, ':');
		if (colon == NULL || (size_t)(colon - server) >= sizeof host)
			die(2, "bad --dns address: %s", server);
		memcpy(host, server, (size_t)(colon - server));
		host[colon - server] = '\0';
		sin = &d->res.nsaddr_list[0];
		memset(sin, 0, sizeof *sin);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)number(colon + 1, 1, 65535,
		    "port"));
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			die(2, "bad --dns address: %s", server);
		d->res.nscount = 1;
		d->mode = DNS_SERVER;
	} else if (zone != NULL) {
		table_load(d, zone);
		d->mode = DNS_TABLE;
	}
	(void)dkim_dns_set_query_service(lib, d);
	dkim_dns_set_query_start(lib, dns_start);
	dkim_dns_set_query_waitreply(lib, dns_waitreply);
	dkim_dns_set_query_cancel(lib, dns_cancel);
	dkim_dns_set_close(lib, dns_close);
}

/* ---- verify ------------------------------------------------------------ */

static const char *
sig_word(DKIM_SIGINFO *sig)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);
	int bh = dkim_sig_getbh(sig);

	if (flags & DKIM_SIGFLAG_IGNORE)
		return "neutral";
	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
		return "pass";
	if (err == DKIM_SIGERROR_BADSIG || bh == DKIM_SIGBH_MISMATCH)
		return "fail";
	if (err == DKIM_SIGERROR_KEYFAIL)
		return "temperror";
	if (err == DKIM_SIGERROR_OK && (flags & DKIM_SIGFLAG_PROCESSED))
		return "fail";
	return "permerror";
}

static const char *
errstr(int err)
{
	const char *s = dkim_sig_geterrorstr(err);

	return s != NULL ? s : "?";
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dns",	required_argument,	NULL,	'D' },
		{ "zone",	required_argument,	NULL,	'Z' },
		{ NULL,		0,			NULL,	0 }
	};
	const char *server = NULL, *zone = NULL;
	bool verbose = false;
	int timeout = 2, ch, nsigs = 0, i;
	unsigned int flags, utimeout;
	unsigned char *msg;
	size_t len;
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT st;
	DKIM_SIGINFO **sigs = NULL;
	struct dns d;

	while ((ch = getopt_long(argc, argv, "T:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D': server = optarg; break;
		case 'Z': zone = optarg; break;
		case 'T': timeout = (int)number(optarg, 1, 3600, "timeout");
			break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || (server != NULL && zone != NULL))
		usage();

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		die(2, "dkim_init failed");
	flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	utimeout = (unsigned int)timeout;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof flags) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &utimeout,
	    sizeof utimeout) != DKIM_STAT_OK)
		die(2, "dkim_options failed");
	dns_setup(lib, &d, server, zone, timeout);

	msg = read_message(&len);
	if ((dkim = dkim_verify(lib, (const unsigned char *)"peer", NULL,
	    &st)) == NULL)
		die(2, "dkim_verify: %s", dkim_getresultstr(st));
	st = dkim_chunk(dkim, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, NULL);
	if (verbose)
		fprintf(stderr, "%s: dkim_eom: %s\n", progname,
		    dkim_getresultstr(st));
	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	if (nsigs == 0)
		puts("none");
	for (i = 0; i < nsigs; i++) {
		const char *w = sig_word(sigs[i]);

		puts(w);
		if (verbose)
			fprintf(stderr, "%s: %d: %s (error %d %s, flags 0x%x, "
			    "bh %d)\n", progname, i + 1, w,
			    dkim_sig_geterror(sigs[i]),
			    errstr(dkim_sig_geterror(sigs[i])),
			    dkim_sig_getflags(sigs[i]),
			    dkim_sig_getbh(sigs[i]));
	}
	dkim_free(dkim);
	dkim_close(lib);
	free(msg);
	if (fflush(stdout) != 0)
		die(2, "cannot write output");
	return 0;
}

/* ---- sign -------------------------------------------------------------- */

/*
 * Load keyfile as a NUL-terminated PEM string libopendkim accepts
 * (PEM_read_bio_PrivateKey); a bare base64 Ed25519 seed becomes PKCS#8 PEM.
 * *ed25519 tells the key type.
 */
static char *
load_key(const char *path, bool *ed25519)
{
	FILE *fp;
	unsigned char *data, seed[64];
	char *pem;
	size_t len;
	int n;
	BIO *bio;
	EVP_PKEY *pk;
	BUF_MEM *mem;

	if ((fp = fopen(path, "rb")) == NULL)
		die(2, "%s: %s", path, strerror(errno));
	data = slurp(fp, KEY_MAX, &len, path);
	fclose(fp);

	if (strstr((char *)data, "-----BEGIN") != NULL) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			die(2, "out of memory");
		pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (pk == NULL)
			die(2, "%s: not a PEM private key", path);
		*ed25519 = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519;
		if (!*ed25519 && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
			die(2, "%s: neither RSA nor Ed25519", path);
		EVP_PKEY_free(pk);
		return (char *)data;
	}

	/* base64 seed: decode (whitespace stripped) and wrap it */
	n = 0;
	for (size_t i = 0; i < len; i++)
		if (!isspace(data[i]))
			data[n++] = data[i];
	if (n != 44 || data[43] != '=' || data[42] == '=' ||
	    EVP_DecodeBlock(seed, data, n) != 33)
		die(2, "%s: not PEM and not a base64 32-byte seed", path);
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	OPENSSL_cleanse(seed, sizeof seed);
	if (pk == NULL)
		die(2, "%s: bad Ed25519 seed", path);
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL))
		die(2, "cannot make PEM for %s", path);
	EVP_PKEY_free(pk);
	BIO_get_mem_ptr(bio, &mem);
	pem = xmalloc(mem->length + 1);
	memcpy(pem, mem->data, mem->length);
	pem[mem->length] = '\0';
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	*ed25519 = true;
	return pem;
}

static dkim_canon_t
canon_of(const char *s, size_t n)
{
	if (n == 6 && strncmp(s, "simple", 6) == 0)
		return DKIM_CANON_SIMPLE;
	if (n == 7 && strncmp(s, "relaxed", 7) == 0)
		return DKIM_CANON_RELAXED;
	usage();
}

static int
cmd_sign(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *keyfile = NULL;
	const char *alg = NULL, *canon = "relaxed/relaxed", *identity = NULL;
	char *headers = NULL, *key, *tok;
	const char **hlist = NULL;
	bool ed25519, length = false;
	long ttl = -1, margin = -1;
	int ch, nh = 0;
	unsigned int flags = DKIM_LIBFLAGS_NONE;
	uint64_t ttl64;
	dkim_canon_t hc, bc;
	dkim_alg_t signalg;
	unsigned char *msg, *hdr = NULL;
	size_t len, hlen, i;
	const char *slash;
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT st;

	while ((ch = getopt(argc, argv, "a:c:d:h:i:k:lm:s:x:")) != -1) {
		switch (ch) {
		case 'a': alg = optarg; break;
		case 'c': canon = optarg; break;
		case 'd': domain = optarg; break;
		case 'h': headers = optarg; break;
		case 'i': identity = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'l': length = true; break;
		case 'm': margin = number(optarg, 0, 100000, "-m margin");
			break;
		case 's': selector = optarg; break;
		case 'x': ttl = number(optarg, 1, LONG_MAX, "-x seconds");
			break;
		default: usage();
		}
	}
	if (optind != argc || domain == NULL || selector == NULL ||
	    keyfile == NULL)
		usage();

	if ((slash = strchr(canon, '/')) != NULL) {
		hc = canon_of(canon, (size_t)(slash - canon));
		bc = canon_of(slash + 1, strlen(slash + 1));
	} else {
		hc = canon_of(canon, strlen(canon));
		bc = DKIM_CANON_SIMPLE;
	}

	key = load_key(keyfile, &ed25519);
	if (alg == NULL)
		alg = ed25519 ? "ed25519-sha256" : "rsa-sha256";
	if (strcmp(alg, "rsa-sha256") == 0 && !ed25519)
		signalg = DKIM_SIGN_RSASHA256;
	else if (strcmp(alg, "rsa-sha1") == 0 && !ed25519)
		signalg = DKIM_SIGN_RSASHA1;
	else if (strcmp(alg, "ed25519-sha256") == 0 && ed25519)
		signalg = DKIM_SIGN_ED25519SHA256;
	else
		die(2, "%s: cannot make %s with this key", keyfile, alg);

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		die(2, "dkim_init failed");
	if (length)
		flags |= DKIM_LIBFLAGS_SIGNLEN;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof flags) != DKIM_STAT_OK)
		die(2, "dkim_options failed");
	if (ttl > 0) {
		ttl64 = (uint64_t)ttl;
		if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL,
		    &ttl64, sizeof ttl64) != DKIM_STAT_OK)
			die(2, "dkim_options failed");
	}

	msg = read_message(&len);
	dkim = dkim_sign(lib, (const unsigned char *)"peer", NULL,
	    (dkim_sigkey_t)key, (const unsigned char *)selector,
	    (const unsigned char *)domain, hc, bc, signalg, -1, &st);
	if (dkim == NULL)
		die(1, "dkim_sign: %s", dkim_getresultstr(st));
	if (identity != NULL && dkim_set_signer(dkim,
	    (const unsigned char *)identity) != DKIM_STAT_OK)
		die(1, "dkim_set_signer failed");
	if (margin >= 0 && dkim_set_margin(dkim, (int)margin) != DKIM_STAT_OK)
		die(1, "dkim_set_margin failed");
	if (headers != NULL) {
		hlist = xmalloc((strlen(headers) / 2 + 2) * sizeof *hlist);
		for (tok = strtok(headers, ":"); tok != NULL;
		    tok = strtok(NULL, ":"))
			hlist[nh++] = tok;
		hlist[nh] = NULL;
		if (dkim_signhdrs(dkim, hlist) != DKIM_STAT_OK)
			die(1, "dkim_signhdrs failed");
	}
	st = dkim_chunk(dkim, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(dkim, strlen(DKIM_SIGNHEADER) + 2,
		    &hdr, &hlen);
	if (st != DKIM_STAT_OK) {
		const char *e = dkim_geterror(dkim);

		die(1, "%s%s%s", dkim_getresultstr(st), e ? ": " : "",
		    e ? e : "");
	}

	fputs(DKIM_SIGNHEADER ": ", stdout);
	for (i = 0; i < hlen; i++) {
		if (hdr[i] == '\n' && (i == 0 || hdr[i - 1] != '\r'))
			putchar('\r');
		putchar(hdr[i]);
	}
	fputs("\r\n", stdout);
	fwrite(msg, 1, len, stdout);
	if (fflush(stdout) != 0 || ferror(stdout))
		die(2, "cannot write output");

	dkim_free(dkim);
	dkim_close(lib);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(hlist);
	free(msg);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	usage();
}
