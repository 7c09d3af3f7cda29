/*
 * dkim-record: the DNS side of a DKIM key.
 *
 *   generate  the TXT record that publishes a key, in one of several
 *             formats (zone file, BIND, tinydns, nsupdate, JSON, bare);
 *   -q        fetch the published record (DNS or a key table), report
 *             on it, and with -k say whether it is the local key;
 *   -l        the same report for a record given on stdin.
 */
#include <sys/param.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dkim.h"

#define USAGE \
	"dkim-record -d domain -s selector [-F format] [--ttl n] [-t y] [-t s]\n" \
	"                   [-h sha256] [-n note] [keyfile | - | --revoke]\n" \
	"       dkim-record -q -d domain -s selector [-k keyfile]\n" \
	"                   [-r address[:port]] [-K keytable]\n" \
	"                   [--timeout seconds] [--tries n]\n" \
	"       dkim-record -l [-k keyfile]\n" \
	"       dkim-record -V | --help"

#define RSA_GOOD_BITS	2048	/* RFC 8301 3.2 */
#define SHOW_P		24	/* p= characters shown on a tag line */
#define SHOW_END	8	/* and from its end */
#define TAGNAME_SHOWN 32	/* longer tag names are cut in the report */

enum mode { GENERATE, QUERY, LINT };

struct opts {
	enum mode	 mode;
	const char	*domain;
	const char	*selector;
	enum dkim_recfmt fmt;
	uint32_t	 ttl;
	unsigned	 flags;		/* DKIM_REC_* */
	const char	*note;
	const char	*keyfile;	/* generate: the key; -q, -l: -k */
	const char	*server;
	const char	*keytable;
	int		 timeout, tries;
	int		 revoke;
	int		 gen_only, query_only;	/* options seen, for checks */
};

/* What the report found, over all records. */
struct verdict {
	int	 unusable;
	int	 mismatch;
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
	    "Generate the TXT record for a key (PEM, private or public, from\n"
	    "keyfile or stdin):\n"
	    "  -d domain           the signing domain (d=)\n"
	    "  -s selector         the selector (s=)\n"
	    "  -F format           zone (default), bind, value, tinydns,\n"
	    "                      nsupdate or json\n"
	    "  --ttl n             the record's TTL in seconds (default 86400)\n"
	    "  -t y                testing mode (t=y)\n"
	    "  -t s                no subdomains in i= (t=s)\n"
	    "  -h sha256           allow sha256 only (h=sha256)\n"
	    "  -n note             a note for people (n=, up to 255 bytes)\n"
	    "  --revoke            the record that revokes the selector's\n"
	    "                      key (empty p=); no key is read\n"
	    "Inspect the published record:\n"
	    "  -q                  fetch it and print a report\n"
	    "  -k keyfile          is it this key? (exit 1 when not)\n"
	    "  -r address[:port]   ask this DNS server, not resolv.conf's\n"
	    "                      (IPv6: [address]:port)\n"
	    "  -K keytable         read records from this file, not DNS\n"
	    "  --timeout seconds   DNS wait per try, 1 to 30 (default: the\n"
	    "                      resolver's, 5)\n"
	    "  --tries n           DNS tries, 1 to 5 (default: the resolver's,\n"
	    "                      2)\n"
	    "  -l                  report on a record read from stdin\n"
	    "  -V, --version       print the version\n"
	    "  --help              print this help\n"
	    "Exit: 0 usable record (and the same key), 1 unusable, no record\n"
	    "or another key, 75 DNS trouble, 64 usage.\n", USAGE);
	cmd_help_exit();
}

static void
set_mode(struct opts *o, enum mode m)
{
	if (o->mode != GENERATE && o->mode != m)
		errx(EX_USAGE, "-q and -l cannot be used together");
	o->mode = m;
}

static void
check_opts(int argc, char **argv, struct opts *o)
{
	int nargs = argc - optind;

	if (o->mode == GENERATE) {
		if (o->query_only)
			errx(EX_USAGE, "-r, -K, --timeout and --tries need -q");
		if (o->keyfile != NULL)
			errx(EX_USAGE, "-k needs -q or -l (the key to publish "
			    "is an argument)");
		if (nargs > 1)
			usage();
		if (o->revoke && nargs > 0)
			errx(EX_USAGE, "--revoke publishes no key; drop the "
			    "key argument");
		o->keyfile = nargs ? argv[optind] : NULL;
	} else if (o->gen_only || nargs > 0)
		errx(EX_USAGE, "-F, --ttl, -t, -h, -n, --revoke and a key "
		    "argument cannot be used with -q or -l");
	if (o->mode == LINT && o->query_only)
		errx(EX_USAGE, "-r, -K, --timeout and --tries need -q");
	if (o->keytable != NULL && (o->server != NULL || o->timeout ||
	    o->tries))
		errx(EX_USAGE, "-K cannot be used with -r, --timeout or "
		    "--tries");
	if (o->mode == LINT) {
		if (o->domain != NULL || o->selector != NULL)
			errx(EX_USAGE, "-l reads the record from stdin; "
			    "-d and -s are not used");
		if (o->keyfile != NULL && strcmp(o->keyfile, "-") == 0)
			errx(EX_USAGE, "-l reads the record from stdin; "
			    "-k needs a file");
	} else if (o->domain == NULL || o->selector == NULL)
		errx(EX_USAGE, "-d and -s are needed");
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' + 256 },
		{ "version", no_argument, NULL, 'V' },
		{ "ttl", required_argument, NULL, 'T' + 256 },
		{ "revoke", no_argument, NULL, 'X' + 256 },
		{ "timeout", required_argument, NULL, 'W' + 256 },
		{ "tries", required_argument, NULL, 'R' + 256 },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;
	memset(o, 0, sizeof(*o));
	o->ttl = DKIM_TTL_DEFAULT;
	while ((ch = getopt_long(argc, argv, ":d:F:h:k:K:ln:qr:s:t:V",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->domain = optarg;
			break;
		case 'F':
			if (dkim_recfmt_parse(optarg, &o->fmt) != 0)
				errx(EX_USAGE, "-F %s: not zone, bind, value, "
				    "tinydns, nsupdate or json", optarg);
			o->gen_only = 1;
			break;
		case 'h':
			if (strcmp(optarg, "sha256") != 0)
				errx(EX_USAGE, "-h %s: only sha256 (RFC 8301 "
				    "forbids sha1)", optarg);
			o->flags |= DKIM_REC_SHA256;
			o->gen_only = 1;
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'K':
			o->keytable = optarg;
			o->query_only = 1;
			break;
		case 'l':
			set_mode(o, LINT);
			break;
		case 'n':
			if (strlen(optarg) > DKIM_MAX_NOTE)
				errx(EX_USAGE, "-n: longer than %d bytes",
				    DKIM_MAX_NOTE);
			o->note = optarg;
			o->gen_only = 1;
			break;
		case 'q':
			set_mode(o, QUERY);
			break;
		case 'r':
			o->server = optarg;
			o->query_only = 1;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 't':
			if (strcmp(optarg, "y") == 0)
				o->flags |= DKIM_REC_TESTING;
			else if (strcmp(optarg, "s") == 0)
				o->flags |= DKIM_REC_STRICT;
			else
				errx(EX_USAGE, "-t %s: not y or s", optarg);
			o->gen_only = 1;
			break;
		case 'X' + 256:
			o->revoke = 1;
			o->gen_only = 1;
			break;
		case 'T' + 256:
			o->ttl = (uint32_t)cmd_number(optarg, 0, DKIM_TTL_MAX,
			    "--ttl");
			o->gen_only = 1;
			break;
		case 'W' + 256:
			o->timeout = (int)cmd_number(optarg, 1, 30,
			    "--timeout");
			o->query_only = 1;
			break;
		case 'R' + 256:
			o->tries = (int)cmd_number(optarg, 1, 5, "--tries");
			o->query_only = 1;
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
	check_opts(argc, argv, o);
}

static void
make_name(const struct opts *o, char *name, size_t cap)
{
	size_t dl = strlen(o->domain);
	int r;

	if (dl > 1 && o->domain[dl - 1] == '.')
		dl--;	/* an absolute name is fine */
	r = dkim_dns_name(o->selector, strlen(o->selector), o->domain, dl,
	    name, cap);
	if (r == DKIM_ERR_TOOLONG)
		errx(EX_USAGE, "%s._domainkey.%s: longer than %d bytes",
		    o->selector, o->domain, DKIM_MAX_NAME);
	if (r != 0 && !dkim_selector_ok(o->selector, strlen(o->selector)))
		errx(EX_USAGE, "-s %s: not a valid selector", o->selector);
	if (r != 0)
		errx(EX_USAGE, "-d %s: not a domain name", o->domain);
}

/* Read fd to its end into buf (cap bytes); *len > cap - 1 means more. */
static int
slurp(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t r;

	*len = 0;
	while (*len < cap) {
		if ((r = read(fd, buf + *len, cap - *len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return 0;
}

/* A key from stdin; the bytes read are wiped. */
static int
key_stdin(struct evp_pkey_st **pk)
{
	char *buf = xmalloc(DKIM_MAX_KEYFILE + 1);
	size_t len;
	int e, r;

	cmd_need_stdin();

	if (slurp(STDIN_FILENO, buf, DKIM_MAX_KEYFILE + 1, &len) == -1)
		r = DKIM_ERR_IO;
	else if (len > DKIM_MAX_KEYFILE)
		r = DKIM_ERR_TOOLONG;
	else
		r = dkim_key_any(buf, len, pk);
	e = errno;
	freezero(buf, DKIM_MAX_KEYFILE + 1);
	errno = e;
	return r;
}

/* A private or public key, from a file or ("-", NULL) stdin. */
static struct evp_pkey_st *
load_key(const char *path)
{
	enum dkim_keytype t;
	struct evp_pkey_st *pk;
	int loose, r;

	if (path == NULL || strcmp(path, "-") == 0) {
		path = "stdin";
		r = key_stdin(&pk);
	} else
		r = dkim_key_file(path, 0, &pk, &loose);
	if (r == DKIM_ERR_IO)
		cmd_file_err(path);
	if (r == DKIM_ERR_KEY || r == DKIM_ERR_NOKEY)
		errx(EX_CONFIG, "%s: no key in it (PEM, or base64 DER)", path);
	if (r == DKIM_ERR_TOOLONG)
		errx(EX_CONFIG, "%s: larger than %d bytes", path,
		    DKIM_MAX_KEYFILE);
	if (r != 0)
		errx(cmd_exit_code(r), "%s: %s", path, dkim_strerror(r));
	if (dkim_key_type(pk, &t) != 0)
		errx(EX_CONFIG, "%s: not an RSA or Ed25519 key", path);
	return pk;
}

static void
finish_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
}

/* ------------------------------------------------------------------ */
/* Generate */

static void
check_rsa(struct evp_pkey_st *pk, const char *path)
{
	enum dkim_keytype t;
	int bits = dkim_key_bits(pk);

	if (dkim_key_type(pk, &t) != 0 || t != DKIM_KEY_RSA)
		return;
	if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_MAX_BITS)
		errx(EX_CONFIG, "%s: %d-bit RSA key; verifiers take %d to %d "
		    "bits (RFC 8301)", path, bits, DKIM_RSA_MIN_BITS,
		    DKIM_RSA_MAX_BITS);
	if (bits < RSA_GOOD_BITS)
		warnx("warning: %d-bit RSA keys are weak; RFC 8301 asks for "
		    "at least %d", bits, RSA_GOOD_BITS);
}

static void
generate(const struct opts *o, const char *name)
{
	struct dkim_buf val = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	struct evp_pkey_st *pk;
	int r;

	if (o->revoke) {
		pk = NULL;
		r = dkim_record_revoked(o->flags, o->note, o->note ?
		    strlen(o->note) : 0, &val);
	} else {
		pk = load_key(o->keyfile);
		check_rsa(pk, o->keyfile ? o->keyfile : "stdin");
		r = dkim_record_value(pk, o->flags, o->note, o->note ?
		    strlen(o->note) : 0, &val);
	}
	if (r != 0 ||
	    (r = dkim_record_format(o->fmt, name, o->ttl, (const char *)val.p,
	    val.len, &out)) != 0)
		errx(cmd_exit_code(r), "cannot make the record: %s",
		    dkim_strerror(r));
	fwrite(out.p, 1, out.len, stdout);
	finish_stdout();
	dkim_buf_free(&val);
	dkim_buf_free(&out);
	dkim_key_free(pk);
}

/* ------------------------------------------------------------------ */
/* The report */

static void
line(const char *label, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-9s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Untrusted bytes, control and 8-bit ones as \ooo. */
static void
show(const char *label, const char *pfx, const char *s, size_t n,
    const char *sfx)
{
	char *e = xreallocarray(NULL, n + 1, 4);

	cmd_escape(s, n, e, 4 * n + 1);
	line(label, "%s%s%s", pfx, e, sfx);
	free(e);
}

static void
show_tags(const struct dkim_taglist *tl)
{
	const struct dkim_tag *t;
	char name[TAGNAME_SHOWN + 2], ends[SHOW_P + 3 + SHOW_END];
	char count[48];
	size_t i;

	for (i = 0; i < tl->n; i++) {
		t = &tl->tags[i];
		snprintf(name, sizeof(name), "%.*s=", (int)MIN(t->namelen,
		    TAGNAME_SHOWN), t->name);
		if (strcmp(name, "p=") != 0 || t->vallen <= 2 * SHOW_P) {
			show("tag", name, t->val, t->vallen, "");
			continue;
		}
		/* a long p=: its ends; the whole is on the record line */
		memcpy(ends, t->val, SHOW_P);
		memcpy(ends + SHOW_P, "...", 3);
		memcpy(ends + SHOW_P + 3, t->val + t->vallen - SHOW_END,
		    SHOW_END);
		snprintf(count, sizeof(count), " (%zu characters)", t->vallen);
		show("tag", name, ends, sizeof(ends), count);
	}
}

static int
tag_is(const struct dkim_tag *t, const char *v)
{
	return t != NULL && t->vallen == strlen(v) &&
	    memcmp(t->val, v, t->vallen) == 0;
}

/* The record failed: is p= a key of the other type? */
static void
hint_type(const struct dkim_taglist *tl)
{
	const struct dkim_tag *p = dkim_taglist_get(tl, "p");
	enum dkim_keytype other = DKIM_KEY_ED25519;
	unsigned char *der;
	struct evp_pkey_st *pk;
	size_t n;

	if (p == NULL || p->vallen == 0)
		return;
	if (tag_is(dkim_taglist_get(tl, "k"), "ed25519"))
		other = DKIM_KEY_RSA;
	der = xmalloc(p->vallen);
	if (dkim_b64_decode(p->val, p->vallen, der, p->vallen, &n) == 0 &&
	    dkim_key_from_p(other, der, n, &pk) == 0) {
		line("hint", "p= holds an %s key: %s",
		    other == DKIM_KEY_RSA ? "RSA" : "Ed25519",
		    other == DKIM_KEY_RSA ? "k=rsa, not k=ed25519" :
		    "k=ed25519 is missing");
		dkim_key_free(pk);
	}
	free(der);
}

static void
describe(const struct dkim_keyrec *kr, const struct dkim_taglist *tl)
{
	const struct dkim_tag *s = dkim_taglist_get(tl, "s");
	char note[DKIM_MAX_TXT + 1];
	size_t nlen;

	if (kr->revoked)
		line("key", "revoked (empty p=)");
	else if (kr->k == DKIM_KEY_RSA)
		line("key", "rsa, %d bits", kr->bits);
	else
		line("key", "ed25519");
	if (!kr->h_given)
		line("hashes", "any (no h=)");
	else
		line("hashes", "%s%s%s",
		    kr->hashes & (1u << DKIM_HASH_SHA1) ? "sha1" : "",
		    kr->hashes == 3u ? ", " : "",
		    kr->hashes & (1u << DKIM_HASH_SHA256) ? "sha256" :
		    kr->hashes ? "" : "none known");
	if (s == NULL)
		line("services", "any (no s=)");
	else
		show("services", "", s->val, s->vallen, "");
	line("flags", "%s%s%s", kr->testing ? "testing (t=y)" : "",
	    kr->testing && kr->strict ? ", " : "",
	    kr->strict ? "strict (t=s)" : kr->testing ? "" : "none");
	if (kr->n == NULL)
		return;
	if (dkim_qp_decode(kr->n, kr->nlen, note, sizeof(note), &nlen) == 0)
		show("notes", "", note, nlen, "");
	else
		show("notes", "", kr->n, kr->nlen, " (not valid quoted-printable)");
}

/* Errors make the record unusable; warnings do not.  1: usable. */
static int
judge(const struct dkim_keyrec *kr)
{
	int ok = 1;

	if (kr->revoked) {
		line("error", "the key is revoked (empty p=)");
		ok = 0;
	} else if (kr->k == DKIM_KEY_RSA && kr->bits < DKIM_RSA_MIN_BITS) {
		line("error", "%d-bit RSA key: RFC 8301 requires at least %d",
		    kr->bits, DKIM_RSA_MIN_BITS);
		ok = 0;
	} else if (kr->k == DKIM_KEY_RSA && kr->bits > DKIM_RSA_MAX_BITS) {
		line("error", "%d-bit RSA key: verifiers refuse more than %d",
		    kr->bits, DKIM_RSA_MAX_BITS);
		ok = 0;
	} else if (kr->k == DKIM_KEY_RSA && kr->bits < RSA_GOOD_BITS)
		line("warning", "%d-bit RSA key: RFC 8301 asks for at least "
		    "%d", kr->bits, RSA_GOOD_BITS);
	if (kr->h_given && !(kr->hashes & (1u << DKIM_HASH_SHA256))) {
		line("error", "h= rules out sha256, and RFC 8301 forbids sha1");
		ok = 0;
	}
	if (!kr->email) {
		line("error", "s= does not allow email");
		ok = 0;
	}
	if (kr->testing)
		line("warning", "testing mode (t=y): verifiers may treat "
		    "failures as unsigned mail");
	return ok;
}

/* One record: what it says, what is wrong, whether it is our key. */
static void
lint(const char *rec, size_t len, struct evp_pkey_st *local, const char *keyname,
    struct verdict *v)
{
	struct dkim_taglist tl;
	struct dkim_keyrec kr;
	const char *reason;
	size_t off;
	int r, ok = 0, same = 0;

	show("record", "", rec, len, "");
	if ((r = dkim_taglist_parse(&tl, rec, len, &off)) != 0) {
		line("error", "%s at byte %zu", r == DKIM_ERR_DUPTAG ?
		    "duplicate tag" : r == DKIM_ERR_TOOMANY ?
		    "more than 64 tags" : "tag-list syntax error", off);
	} else {
		show_tags(&tl);
		if (dkim_keyrec_parse(&kr, rec, len, &reason) != 0) {
			line("error", "%s", reason);
			hint_type(&tl);
		} else {
			describe(&kr, &tl);
			ok = judge(&kr);
			same = local != NULL && !kr.revoked &&
			    dkim_key_equal(kr.pkey, local);
		}
		dkim_keyrec_clear(&kr);
	}
	if (local != NULL)
		line("match", same ? "yes, the key in %s" :
		    "no, not the key in %s", keyname);
	v->unusable |= !ok;
	v->mismatch |= local != NULL && !same;
}

static int
conclude(const struct verdict *v)
{
	line("result", "%s", v->unusable ? "unusable" : v->mismatch ?
	    "another key" : "usable");
	finish_stdout();
	return v->unusable || v->mismatch;
}

/* ------------------------------------------------------------------ */
/* Inspect */

static int
from_keytable(const char *path, const char *name, struct dkim_txt *txt)
{
	struct dkim_keytable *kt;
	size_t errline;
	int r;

	if ((r = dkim_keytable_load(&kt, path, &errline)) == DKIM_ERR_IO)
		cmd_file_err(path);
	if (r != 0 && errline > 0)
		errx(EX_DATAERR, "%s: line %zu: %s", path, errline,
		    dkim_strerror(r));
	if (r != 0)
		errx(cmd_exit_code(r), "%s: %s", path, dkim_strerror(r));
	r = dkim_keytable_txt(kt, name, txt);
	dkim_keytable_free(kt);
	return r;
}

static int
from_dns(const struct opts *o, const char *name, struct dkim_txt *txt)
{
	struct dkim_resolver *rv;
	int r;

	r = dkim_resolver_new(&rv, o->server, o->timeout, o->tries);
	if (r == DKIM_ERR_SYNTAX)
		errx(EX_USAGE, "-r %s: not address, address:port or "
		    "[address]:port", o->server);
	if (r != 0)
		errx(cmd_exit_code(r), "cannot set up the resolver: %s",
		    dkim_strerror(r));
	r = dkim_dns_txt(rv, name, txt);
	dkim_resolver_free(rv);
	return r;
}

static int
query(const struct opts *o, const char *name)
{
	struct verdict v = { 0, 0 };
	struct dkim_txt txt;
	struct evp_pkey_st *local = NULL;
	size_t i;
	int r;

	if (o->keyfile != NULL)
		local = load_key(o->keyfile);
	r = o->keytable ? from_keytable(o->keytable, name, &txt) :
	    from_dns(o, name, &txt);
	if (r == DKIM_ERR_DNS_PERM && txt.nulrecs > 0)
		errx(1, "%s: no key: the TXT record there holds a NUL byte",
		    name);
	if (r == DKIM_ERR_DNS_PERM)
		errx(1, "%s: no key: no TXT record there", name);
	if (r != 0)
		errx(cmd_exit_code(r), "%s: %s%s%s", name, dkim_strerror(r),
		    o->server ? " from " : "", o->server ? o->server : "");
	line("name", "%s", name);
	if (o->keytable != NULL)
		line("source", "key table %s", o->keytable);
	else
		line("source", "DNS (%s), AD bit %s", o->server ? o->server :
		    "resolv.conf", txt.secure ? "set" : "not set");
	if (txt.n > 1)
		line("warning", "%zu TXT records at the name: verifiers may "
		    "use any one", txt.n);
	if (txt.nulrecs > 0 || txt.extra > 0) {
		line("error", "%zu more TXT records not shown: with a NUL "
		    "byte, or over %d", txt.nulrecs + txt.extra,
		    DKIM_MAX_TXTRECS);
		v.unusable = 1;
	}
	for (i = 0; i < txt.n; i++)
		lint(txt.rec[i], txt.len[i], local, o->keyfile != NULL &&
		    strcmp(o->keyfile, "-") == 0 ? "stdin" : o->keyfile, &v);
	dkim_txt_clear(&txt);
	dkim_key_free(local);
	return conclude(&v);
}

/* -l: a record on stdin, its final line end not part of it. */
static int
lint_stdin(const struct opts *o)
{
	struct verdict v = { 0, 0 };
	struct evp_pkey_st *local = NULL;
	size_t cap = DKIM_MAX_TXT + 2, len;
	char *buf;

	cmd_need_stdin();

	if (o->keyfile != NULL)
		local = load_key(o->keyfile);
	buf = xmalloc(cap + 1);
	if (slurp(STDIN_FILENO, buf, cap + 1, &len) == -1)
		err(EX_IOERR, "stdin");
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > DKIM_MAX_TXT)
		errx(1, "stdin: a record is at most %d bytes", DKIM_MAX_TXT);
	line("source", "stdin");
	lint(buf, len, local, o->keyfile, &v);
	free(buf);
	dkim_key_free(local);
	return conclude(&v);
}

int
main(int argc, char **argv)
{
	struct opts o;
	char name[DKIM_MAX_NAME + 1];

	cmd_init();
	parse_opts(argc, argv, &o);
	cmd_need_stdout();
	if (o.mode == LINT)
		return lint_stdin(&o);
	make_name(&o, name, sizeof(name));
	if (o.mode == QUERY)
		return query(&o, name);
	generate(&o, name);
	return 0;
}
