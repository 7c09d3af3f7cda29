/*
 * dkim-sign: add DKIM-Signature fields to a message (RFC 6376, RFC 8463).
 *
 * The message is read whole before anything is written: a signer that
 * fails writes nothing on stdout, so a mail filter keeps the original.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dkim.h"

#define USAGE \
	"dkim-sign -d domain -s selector -k keyfile [-s selector -k keyfile ...]\n" \
	"                 [-c header/body] [-h name:...] [-O name:...] [-i auid] [-l]\n" \
	"                 [-t epoch | -T] [-x seconds] [-z] [file]\n" \
	"       dkim-sign -V | --help"

#define MAXSIGS		8
#define DEFAULT_OVER	"from:reply-to:subject:to:cc:content-type"
#define MAXTIME		999999999999LL	/* t=, x=: 1*12DIGIT (RFC 6376 3.5) */

struct opts {
	const char	*d;
	const char	*s[MAXSIGS];
	const char	*k[MAXSIGS];
	size_t		 ns, nk;
	enum dkim_canon	 hc, bc;
	char		*h;
	char		*over;
	const char	*i;
	int		 l, notime, z;
	long long	 t, x;	/* -1: not given */
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -d domain       signing domain (d=)\n"
	    "  -s selector     selector (s=); pairs with the -k at the same position\n"
	    "  -k keyfile      private key: PEM (PKCS#8 or PKCS#1), a dknewkey Ed25519\n"
	    "                  seed, or base64 DER; the algorithm follows the key\n"
	    "                  (rsa-sha256 or ed25519-sha256)\n"
	    "  -c header/body  canonicalization (default relaxed/relaxed; one word\n"
	    "                  sets the header part, the body is then simple)\n"
	    "  -h names        colon-separated fields to sign (From is always added;\n"
	    "                  default: those present of RFC 6376 5.4.1's list plus\n"
	    "                  Message-ID, MIME-Version, Content-Type and\n"
	    "                  Content-Transfer-Encoding)\n"
	    "  -O names        over-sign: list each once more than it occurs, so that\n"
	    "                  adding one breaks the signature (default\n"
	    "                  " DEFAULT_OVER "; -O '' for none)\n"
	    "  -i auid         agent or user identifier (i=), in or under the domain\n"
	    "  -l              add l= with the body length\n"
	    "  -t epoch        signing time (t=), default now\n"
	    "  -T              no t= tag\n"
	    "  -x seconds      expire (x=) that many seconds after the signing time\n"
	    "  -z              add z= with copies of the signed header fields\n"
	    "  -V, --version   print the version\n"
	    "  --help          print this help\n", USAGE);
	cmd_help_exit();
}

/*
 * Split "a:b" in place into names, trimming spaces and tabs around each;
 * empty names are skipped.  A name is printable ASCII without ";", which
 * would end the h= tag (RFC 6376 3.2), and never DKIM-Signature.
 */
static size_t
split(char *s, const char **names, size_t max, const char *opt)
{
	size_t n = 0, len;
	char *tok;
	const char *p;

	while (s != NULL && (tok = strsep(&s, ":")) != NULL) {
		tok += strspn(tok, " \t");
		for (len = strlen(tok); len > 0 && (tok[len - 1] == ' ' ||
		    tok[len - 1] == '\t'); len--)
			tok[len - 1] = '\0';
		if (*tok == '\0')
			continue;
		for (p = tok; *p != '\0'; p++)
			if ((unsigned char)*p < 33 || (unsigned char)*p > 126 ||
			    *p == ';')
				errx(EX_USAGE, "%s: invalid field name %s", opt,
				    tok);
		if (strcasecmp(tok, "DKIM-Signature") == 0)
			errx(EX_USAGE, "%s: DKIM-Signature cannot be signed",
			    opt);
		if (n == max)
			errx(EX_USAGE, "%s: too many names", opt);
		names[n++] = tok;
	}
	return n;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' + 256 },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *at;
	int ch;

	opterr = 0;
	memset(o, 0, sizeof(*o));
	o->hc = o->bc = DKIM_CANON_RELAXED;
	o->t = o->x = -1;
	while ((ch = getopt_long(argc, argv, ":c:d:h:i:k:lO:s:t:Tx:zV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (dkim_canon_parse(optarg, strlen(optarg), &o->hc,
			    &o->bc) != 0)
				errx(EX_USAGE, "-c %s: not a canonicalization",
				    optarg);
			break;
		case 'd':
			if (!dkim_domain_ok(optarg, strlen(optarg)))
				errx(EX_USAGE, "-d %s: not a domain name", optarg);
			o->d = optarg;
			break;
		case 'h':
			o->h = optarg;
			break;
		case 'i':
			o->i = optarg;
			break;
		case 'k':
			if (o->nk == MAXSIGS)
				errx(EX_USAGE, "more than %d keys", MAXSIGS);
			o->k[o->nk++] = optarg;
			break;
		case 'l':
			o->l = 1;
			break;
		case 'O':
			free(o->over);
			o->over = xstrdup(optarg);
			break;
		case 's':
			if (!dkim_selector_ok(optarg, strlen(optarg)))
				errx(EX_USAGE, "-s %s: not a selector", optarg);
			if (o->ns == MAXSIGS)
				errx(EX_USAGE, "more than %d selectors", MAXSIGS);
			o->s[o->ns++] = optarg;
			break;
		case 't':
			o->t = cmd_number(optarg, 0, MAXTIME, "-t");
			break;
		case 'T':
			o->notime = 1;
			break;
		case 'x':
			o->x = cmd_number(optarg, 1, MAXTIME, "-x");
			break;
		case 'z':
			o->z = 1;
			break;
		case 'H' + 256:
			help();
			break;
		case 'V':
			cmd_version();
			break;
		default:
			cmd_badopt(USAGE, ch, argv);
		}
	}
	if (argc - optind > 1)
		cmd_usage(USAGE);
	if (o->d == NULL || o->ns == 0 || o->nk == 0)
		errx(EX_USAGE, "-d, -s and -k are required");
	if (o->ns != o->nk)
		errx(EX_USAGE, "%zu selectors (-s) but %zu keys (-k): give them "
		    "in pairs", o->ns, o->nk);
	if (o->notime && o->t != -1)
		errx(EX_USAGE, "-t and -T cannot be used together");
	if (o->i != NULL && (strlen(o->i) > DKIM_MAX_AUID ||
	    (at = strrchr(o->i, '@')) == NULL ||
	    !dkim_domain_ok(at + 1, strlen(at + 1)) || !dkim_auid_in(o->i,
	    o->d)))
		errx(EX_USAGE, "-i %s: not an address in or under %s", o->i,
		    o->d);
}

static struct evp_pkey_st *
load_key(const char *path)
{
	struct evp_pkey_st *k;
	enum dkim_keytype t;
	int loose, r, bits;

	if ((r = dkim_key_file(path, 1, &k, &loose)) != 0) {
		if (r == DKIM_ERR_IO)
			cmd_file_err(path);
		errx(EX_CONFIG, "%s: %s", path, r == DKIM_ERR_TOOLONG ?
		    "too large for a key file" : "not a usable private key");
	}
	if (loose)
		warnx("%s: key file is accessible by group or others", path);
	if (dkim_key_type(k, &t) != 0)
		errx(EX_CONFIG, "%s: not an RSA or Ed25519 key", path);
	if (t == DKIM_KEY_RSA) {
		bits = dkim_key_bits(k);
		if (bits < DKIM_RSA_MIN_BITS)
			errx(EX_CONFIG, "%s: %d-bit RSA key; RFC 8301 requires "
			    "at least %d", path, bits, DKIM_RSA_MIN_BITS);
		if (bits > DKIM_RSA_MAX_BITS)
			errx(EX_CONFIG, "%s: %d-bit RSA key; verifiers accept "
			    "at most %d", path, bits, DKIM_RSA_MAX_BITS);
		if (bits < 2048)
			warnx("%s: %d-bit RSA key; 2048 bits or more are "
			    "recommended (RFC 8301)", path, bits);
	}
	return k;
}

static void
check_from(const struct dkim_msg *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], "From", 4))
			n++;
	if (n == 0)
		errx(EX_DATAERR, "%s: no From field: nothing to sign for",
		    name);
	if (n > 1)
		errx(EX_DATAERR, "%s: %zu From fields (RFC 5322 allows one)",
		    name, n);
}

/* The h= list, From first when -h forgot it. */
static void
header_list(const struct dkim_msg *m, struct opts *o,
    struct dkim_signopts *so, const char ***hp, size_t **hlp)
{
	const char *names[DKIM_MAX_SIGNED + 1], *over[DKIM_MAX_SIGNED];
	const char **h;
	size_t n, nover, *hl, i;
	int r;

	if (o->h != NULL) {
		n = split(o->h, names, DKIM_MAX_SIGNED, "-h");
		for (i = 0; i < n; i++)
			if (strcasecmp(names[i], "From") == 0)
				break;
		if (i == n) {
			memmove(names + 1, names, n * sizeof(names[0]));
			names[0] = "From";
			n++;
		}
	} else {
		for (n = 0; dkim_sign_default_headers[n] != NULL; n++)
			names[n] = dkim_sign_default_headers[n];
	}
	if (o->over == NULL)
		o->over = xstrdup(DEFAULT_OVER);
	nover = split(o->over, over, DKIM_MAX_SIGNED, "-O");
	if ((r = dkim_sign_hlist(m, names, n, over, nover, &h, &hl,
	    &so->nh)) != 0)
		errx(EX_DATAERR, "h=: %s", r == DKIM_ERR_TOOMANY ?
		    "more than 256 fields to sign" : dkim_strerror(r));
	so->h = *hp = h;
	so->hlen = *hlp = hl;
}

static void
hash_body(struct dkim_in *in, enum dkim_canon c, unsigned char *bh,
    size_t *bhlen, uint64_t *len)
{
	struct dkim_digest *dg;
	struct dkim_body *b = xmalloc(sizeof(*b));
	const unsigned char *p;
	size_t n;
	int r;

	if ((dg = dkim_digest_new(DKIM_HASH_SHA256)) == NULL)
		errx(EX_SOFTWARE, "cannot set up sha256");
	dkim_body_init(b, c, UINT64_MAX, dkim_digest_update, dg);
	for (;;) {
		if ((r = dkim_in_chunk(in, &p, &n)) != 0)
			errx(EX_IOERR, "%s: %s", dkim_in_name(in),
			    dkim_strerror(r));
		if (n == 0)
			break;
		dkim_body_update(b, p, n);
	}
	dkim_body_final(b);
	*len = b->total;
	if (dkim_digest_final(dg, bh, bhlen) != 0)
		errx(EX_SOFTWARE, "sha256 failed");
	dkim_digest_free(dg);
	free(b);
}

static void
output(const struct dkim_msg *m, const struct dkim_buf *sigs,
    struct dkim_in *in)
{
	struct dkim_out *out;
	int r;

	if ((r = dkim_in_rewind(in)) != 0)
		errx(EX_IOERR, "%s: cannot read the body again: %s",
		    dkim_in_name(in), dkim_strerror(r));
	if ((out = dkim_out_new(STDOUT_FILENO)) == NULL)
		errx(EX_OSERR, "out of memory");
	r = 0;
	if (m->mbox_from.len > 0)	/* p is NULL when there is none */
		r = dkim_out_write(out, m->mbox_from.p, m->mbox_from.len);
	if (r == 0)
		r = dkim_out_write(out, sigs->p, sigs->len);
	if (r == 0)
		r = dkim_out_write(out, m->hbuf.p, m->hbuf.len);
	if (r == 0 && m->has_sep)
		r = dkim_out_write(out, m->sep_crlf ? "\r\n" : "\n",
		    m->sep_crlf ? 2 : 1);
	if (r == 0 && (r = dkim_in_copy(in, out)) != 0 &&
	    !dkim_out_failed(out))
		errx(EX_IOERR, "%s: %s", dkim_in_name(in), dkim_strerror(r));
	if (r != 0 || dkim_out_close(out) != 0)
		err(EX_IOERR, "stdout");
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct dkim_signopts so;
	struct evp_pkey_st *keys[MAXSIGS];
	struct dkim_buf sigs = { NULL, 0, 0 };
	struct dkim_msg *m;
	struct dkim_in *in;
	unsigned char bh[DKIM_HASH_MAX];
	const char *name, **h;
	size_t bhlen, i, *hl;
	uint64_t blen;
	int fd, r;

	cmd_init();
	cmd_no_crypto_strings();
	cmd_sha256_drbg();
	parse_opts(argc, argv, &o);
	cmd_need_stdout();
	for (i = 0; i < o.nk; i++)
		keys[i] = load_key(o.k[i]);
	fd = cmd_open_input(argv[optind], &name);
	if ((in = dkim_in_new(fd, name)) == NULL || (m = dkim_msg_new()) ==
	    NULL)
		errx(EX_OSERR, "out of memory");
	if ((r = dkim_msg_read_header(m, in)) != 0) {
		if (m->errline)
			errx(cmd_exit_code(r), "%s: line %zu: %s", name,
			    m->errline, dkim_strerror(r));
		errx(cmd_exit_code(r), "%s: %s", name, dkim_strerror(r));
	}
	check_from(m, name);
	if ((r = dkim_in_mark(in)) != 0)
		err(EX_IOERR, "%s: cannot keep the body", name);

	memset(&so, 0, sizeof(so));
	so.hc = o.hc;
	so.bc = o.bc;
	so.d = o.d;
	so.i = o.i;
	so.crlf = m->crlf;
	so.use_z = o.z;
	header_list(m, &o, &so, &h, &hl);
	if (!o.notime) {
		so.use_t = 1;
		so.t = o.t >= 0 ? (uint64_t)o.t : (uint64_t)time(NULL);
	}
	if (o.x > 0) {
		so.use_x = 1;
		so.x = (so.use_t ? so.t : (uint64_t)time(NULL)) +
		    (uint64_t)o.x;
		if (so.x > MAXTIME)
			errx(EX_USAGE, "-x %lld: x= would be past %lld, the "
			    "largest 12-digit time", o.x, MAXTIME);
	}
	hash_body(in, o.bc, bh, &bhlen, &blen);
	if (o.l) {
		so.use_l = 1;
		so.l = blen;
	}
	for (i = 0; i < o.nk; i++) {
		so.s = o.s[i];
		if ((r = dkim_sign(m, &so, bh, bhlen, keys[i], &sigs)) != 0)
			errx(r == DKIM_ERR_CRYPTO ? EX_CONFIG :
			    cmd_exit_code(r), "%s: signing failed: %s", o.k[i],
			    dkim_strerror(r));
		dkim_key_free(keys[i]);
	}
	output(m, &sigs, in);
	free(hl);
	free(h);
	free(o.over);
	dkim_buf_free(&sigs);
	dkim_msg_free(m);
	dkim_in_free(in);
	return 0;
}
