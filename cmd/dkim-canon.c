/*
 * dkim-canon: show exactly what a DKIM signature covers, the canonicalized
 * header fields and body, or the body hash.
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dkim.h"

#define USAGE \
	"dkim-canon [-c header/body] [-h name:name:...] [-l length] [-H | -B]\n" \
	"                  [-b sha256|sha1] [-S n] [file]\n" \
	"       dkim-canon -V | --help"

struct opts {
	enum dkim_canon	 hc, bc;
	int		 setcanon;
	char		*hlist;
	uint64_t	 limit;
	int		 setlimit;
	int		 headers_only, body_only;
	int		 hash;		/* -1: print the body itself */
	long		 signum;	/* -S: 1-based, 0 none */
};

static void
usage(void)
{
	cmd_usage(USAGE);
}

static void
help(void)
{
	printf("usage: %s\n"
	    "  -c header/body  canonicalization: simple or relaxed, as in c=\n"
	    "                  (default simple/simple; one word sets the header\n"
	    "                  part and leaves the body simple)\n"
	    "  -h names        colon-separated header fields to select, bottom-up\n"
	    "                  (default: every field, in order)\n"
	    "  -l length       canonicalize at most length body bytes (l= tag)\n"
	    "  -H              print the header part only\n"
	    "  -B              print the body part only\n"
	    "  -b sha256|sha1  print the base64 body hash instead of the body\n"
	    "  -S n            take c=, h=, l= and a= from the n-th DKIM-Signature\n"
	    "                  and print the bytes hashed for it; with -b, print the\n"
	    "                  computed and the claimed body hash (exit 1 if they\n"
	    "                  differ)\n"
	    "  -V, --version   print the version\n"
	    "  --help          print this help\n", USAGE);
	cmd_help_exit();
}

static void
sink_out(void *arg, const unsigned char *p, size_t n)
{
	/* errors are sticky in the writer and reported at close */
	(void)dkim_out_write(arg, p, n);
}

/* Split "a:b:c" in place; names point into s. */
static size_t
split_names(char *s, const char **names, size_t *lens, size_t max)
{
	size_t n = 0;
	char *tok;

	while ((tok = strsep(&s, ":")) != NULL) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (n == max)
			errx(EX_USAGE, "-h: more than %zu names", max);
		lens[n] = strlen(tok);
		while (lens[n] > 0 && (tok[lens[n] - 1] == ' ' ||
		    tok[lens[n] - 1] == '\t'))
			lens[n]--;
		if (lens[n] == 0)
			errx(EX_USAGE, "-h: empty header field name");
		names[n++] = tok;
	}
	return n;
}

static long
find_sig(const struct dkim_msg *m, long n)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], "DKIM-Signature", 14) &&
		    --n == 0)
			return (long)i;
	return -1;
}

static void
print_headers(const struct dkim_msg *m, const struct opts *o,
    struct dkim_buf *hb)
{
	const char *names[DKIM_MAX_SIGNED];
	size_t lens[DKIM_MAX_SIGNED], n, i;
	long idx[DKIM_MAX_SIGNED];
	const struct dkim_hdr *h;
	int r;

	if (o->hlist == NULL) {
		for (i = 0; i < m->nhdrs; i++) {
			h = &m->hdrs[i];
			if ((r = dkim_canon_header(o->hc, dkim_hdr_ptr(m, h),
			    h->len, hb, 1)) != 0)
				errx(cmd_exit_code(r), "%s", dkim_strerror(r));
		}
		return;
	}
	n = split_names(o->hlist, names, lens, DKIM_MAX_SIGNED);
	dkim_msg_select(m, names, lens, n, -1, idx);
	for (i = 0; i < n; i++) {
		if (idx[i] < 0)
			continue;
		h = &m->hdrs[idx[i]];
		if ((r = dkim_canon_header(o->hc, dkim_hdr_ptr(m, h), h->len,
		    hb, 1)) != 0)
			errx(cmd_exit_code(r), "%s", dkim_strerror(r));
	}
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' + 256 },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;
	memset(o, 0, sizeof(*o));
	o->hash = -1;
	o->limit = UINT64_MAX;
	while ((ch = getopt_long(argc, argv, ":b:Bc:h:Hl:S:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "sha256") == 0)
				o->hash = DKIM_HASH_SHA256;
			else if (strcmp(optarg, "sha1") == 0)
				o->hash = DKIM_HASH_SHA1;
			else
				errx(EX_USAGE, "-b %s: not sha256 or sha1",
				    optarg);
			break;
		case 'B':
			o->body_only = 1;
			break;
		case 'c':
			if (dkim_canon_parse(optarg, strlen(optarg), &o->hc,
			    &o->bc) != 0)
				errx(EX_USAGE, "-c %s: not a canonicalization",
				    optarg);
			o->setcanon = 1;
			break;
		case 'h':
			o->hlist = optarg;
			break;
		case 'H':
			o->headers_only = 1;
			break;
		case 'l':
			o->limit = (uint64_t)cmd_number(optarg, 0, LLONG_MAX,
			    "-l");
			o->setlimit = 1;
			break;
		case 'S':
			o->signum = (long)cmd_number(optarg, 1, DKIM_MAX_HDRS,
			    "-S");
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
		usage();
	if (o->headers_only && (o->body_only || o->hash != -1))
		errx(EX_USAGE, "-H cannot be used with -B or -b");
	if (o->signum && (o->setcanon || o->hlist || o->setlimit))
		errx(EX_USAGE, "-S takes c=, h= and l= from the signature; "
		    "-c, -h and -l cannot be used with it");
}

static long
take_sig(struct dkim_msg *m, struct opts *o, struct dkim_sig *sig)
{
	const struct dkim_hdr *h;
	const char *reason;
	long idx;

	if ((idx = find_sig(m, o->signum)) < 0)
		errx(EX_DATAERR, "no DKIM-Signature number %ld in the message",
		    o->signum);
	h = &m->hdrs[idx];
	if (dkim_sig_parse(sig, dkim_hdr_ptr(m, h), h->len, &reason) != 0)
		errx(EX_DATAERR, "DKIM-Signature %ld: %s", o->signum, reason);
	o->hc = sig->hc;
	o->bc = sig->bc;
	if (sig->has_l)
		o->limit = sig->l;
	/* a= decides the hash; -b must name the same one */
	if (o->hash >= 0 && sig->alg != DKIM_ALG_UNKNOWN &&
	    (enum dkim_hash)o->hash != dkim_alg_hash(sig->alg))
		errx(EX_USAGE, "-b %s, but DKIM-Signature %ld has a=%s",
		    dkim_hash_name(o->hash), o->signum,
		    dkim_alg_name(sig->alg));
	return idx;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct dkim_sig *sig = NULL;
	struct dkim_msg *m;
	struct dkim_in *in;
	struct dkim_out *out;
	struct dkim_buf hb = { NULL, 0, 0 };
	struct dkim_body *body;
	struct dkim_digest *dg = NULL;
	const unsigned char *p;
	const char *name;
	unsigned char md[DKIM_HASH_MAX];
	char b64[DKIM_HASH_MAX * 2], claimed[DKIM_HASH_MAX * 2];
	size_t n, mdlen;
	int fd, r, mismatch = 0;
	long self = -1;

	cmd_init();
	cmd_no_crypto_strings();
	parse_opts(argc, argv, &o);
	cmd_need_stdout();
	fd = cmd_open_input(argv[optind], &name);
	if ((in = dkim_in_new(fd, name)) == NULL || (m = dkim_msg_new()) ==
	    NULL || (out = dkim_out_new(STDOUT_FILENO)) == NULL)
		errx(EX_OSERR, "out of memory");
	if ((r = dkim_msg_read_header(m, in)) != 0) {
		if (m->errline)
			errx(cmd_exit_code(r), "%s: line %zu: %s", name,
			    m->errline, dkim_strerror(r));
		errx(cmd_exit_code(r), "%s: %s", name, dkim_strerror(r));
	}
	if (o.signum) {
		sig = xmalloc(sizeof(*sig));
		self = take_sig(m, &o, sig);
	}

	if (!o.body_only && o.hash == -1) {
		if (sig != NULL)
			r = dkim_sig_header_input(m, sig, self, &hb);
		else {
			print_headers(m, &o, &hb);
			r = 0;
		}
		if (r != 0)
			errx(cmd_exit_code(r), "%s", dkim_strerror(r));
		if (!o.headers_only)
			r = dkim_buf_append(&hb, sig ? "\r\n\r\n" : "\r\n",
			    sig ? 4 : 2);
		if (r != 0 || dkim_out_write(out, hb.p, hb.len) != 0)
			goto ioerr;
	}
	if (!o.headers_only) {
		body = xmalloc(sizeof(*body));
		if (o.hash >= 0) {
			if ((dg = dkim_digest_new(o.hash)) == NULL)
				errx(EX_SOFTWARE, "cannot set up %s",
				    dkim_hash_name(o.hash));
			dkim_body_init(body, o.bc, o.limit, dkim_digest_update,
			    dg);
		} else
			dkim_body_init(body, o.bc, o.limit, sink_out, out);
		for (;;) {
			if ((r = dkim_in_chunk(in, &p, &n)) != 0)
				errx(EX_IOERR, "%s: %s", name,
				    dkim_strerror(r));
			if (n == 0)
				break;
			dkim_body_update(body, p, n);
		}
		dkim_body_final(body);
		if (sig != NULL && sig->has_l && body->total < sig->l)
			warnx("l=%llu is longer than the %llu-byte body",
			    (unsigned long long)sig->l,
			    (unsigned long long)body->total);
		free(body);
	}
	if (dg != NULL) {
		if (dkim_digest_final(dg, md, &mdlen) != 0)
			errx(EX_SOFTWARE, "digest failed");
		dkim_b64_encode(md, mdlen, b64);
		if (sig != NULL) {
			dkim_b64_encode(sig->bh, sig->bhsize, claimed);
			mismatch = sig->bhsize != mdlen ||
			    dkim_ct_cmp(sig->bh, md, mdlen) != 0;
			if (dkim_out_write(out, "computed bh=", 12) != 0 ||
			    dkim_out_write(out, b64, strlen(b64)) != 0 ||
			    dkim_out_write(out, "\nclaimed  bh=", 13) != 0 ||
			    dkim_out_write(out, claimed, strlen(claimed)) != 0)
				goto ioerr;
		} else if (dkim_out_write(out, b64, strlen(b64)) != 0)
			goto ioerr;
		if (dkim_out_write(out, "\n", 1) != 0)
			goto ioerr;
		dkim_digest_free(dg);
	}
	if (dkim_out_close(out) != 0)
		err(EX_IOERR, "stdout");
	dkim_buf_free(&hb);
	dkim_msg_free(m);
	dkim_in_free(in);
	free(sig);
	return mismatch ? 1 : 0;
ioerr:
	err(EX_IOERR, "stdout");
}
