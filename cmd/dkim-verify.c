/*
 * dkim-verify: verify every DKIM signature of a message (RFC 6376, RFC
 * 8301, RFC 8463); print the results, or with -A pass the message on
 * with an Authentication-Results field (RFC 8601) for procmail and
 * maildrop.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dkim.h"

#define USAGE \
	"dkim-verify [-0jv] [-A authserv-id] [-K keytable] [-m n] [-P jobs]\n" \
	"                   [-r address[:port]] [--aligned] [--require domain]\n" \
	"                   [--skew seconds] [--time epoch] [--timeout seconds]\n" \
	"                   [--tries n] [file | mbox | maildir ...]\n" \
	"       dkim-verify -V | --help"

/* exit status (also in the man page) */
#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_NONE	2

enum { O_HELP = 256, O_REQUIRE, O_ALIGNED, O_TIME, O_SKEW, O_TIMEOUT,
    O_RETRIES };

struct opts {
	const char	*authserv;	/* -A: filter mode */
	const char	*keytable;
	const char	*server;
	const char	*require;
	int		 aligned;
	int		 json, verbose, list;
	int		 timeout, tries, jobs;
	struct dkim_vopts vo;
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -0               read NUL-separated paths from stdin (find -print0)\n"
	    "  -A authserv-id   filter mode: write the message with an\n"
	    "                   Authentication-Results field added at the top\n"
	    "                   (existing ones claiming this id are removed)\n"
	    "  -j               JSON output, one object per message\n"
	    "  -K keytable      take keys from this zone file, not from DNS\n"
	    "  -m n             verify at most n signatures (default %d); the\n"
	    "                   rest get \"policy\"\n"
	    "  -P jobs          verify with this many threads (0: one per CPU;\n"
	    "                   default 1); results stay in input order;\n"
	    "                   --jobs is the same option\n"
	    "  -r address[:port]\n"
	    "                   ask this DNS server, not /etc/resolv.conf's\n"
	    "  -v               explain each failure on stderr\n"
	    "  --aligned        pass only if a signature aligned with the From\n"
	    "                   domain passes\n"
	    "  --require domain pass only if a signature from domain passes\n"
	    "                   (for both, a key in test mode, t=y, does not\n"
	    "                   count)\n"
	    "  --skew seconds   clock-skew allowance for t= and x= (default %d)\n"
	    "  --time epoch     verify as if now were epoch\n"
	    "  --timeout seconds\n"
	    "                   DNS timeout per try, 1 to 30 (default 5)\n"
	    "  --tries n        DNS tries, 1 to 5 (default 2; --retries is the\n"
	    "                   same option)\n"
	    "  -V, --version    print the version\n"
	    "  --help           print this help\n"
	    "Operands: message files; a file starting with an mbox \"From \" line\n"
	    "is an mbox, each message verified; a directory is a Maildir (new/\n"
	    "and cur/) or a folder of message files.  No operand: stdin.\n",
	    USAGE, DKIM_DEFAULT_MAXSIGS, DKIM_DEFAULT_SKEW);
	cmd_help_exit();
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, 'V' },
		{ "require", required_argument, NULL, O_REQUIRE },
		{ "aligned", no_argument, NULL, O_ALIGNED },
		{ "time", required_argument, NULL, O_TIME },
		{ "skew", required_argument, NULL, O_SKEW },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "tries", required_argument, NULL, O_RETRIES },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "jobs", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, settime = 0;

	opterr = 0;
	memset(o, 0, sizeof(*o));
	o->vo.skew = DKIM_DEFAULT_SKEW;
	o->vo.max_sigs = DKIM_DEFAULT_MAXSIGS;
	o->timeout = 5;
	o->tries = 2;
	o->jobs = 1;
	while ((ch = getopt_long(argc, argv, ":0A:jK:m:P:r:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '0':
			o->list = 1;
			break;
		case 'P':
			o->jobs = (int)cmd_number(optarg, 0, 256, "-P");
			if (o->jobs == 0)
				o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
			break;
		case 'A':
			if (!dkim_ar_authserv_ok(optarg))
				errx(EX_USAGE, "-A %s: not a host name", optarg);
			o->authserv = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'K':
			o->keytable = optarg;
			break;
		case 'm':
			o->vo.max_sigs = (size_t)cmd_number(optarg, 1,
			    DKIM_MAX_HDRS, "-m");
			break;
		case 'r':
			o->server = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case O_REQUIRE:
			if (!dkim_domain_ok(optarg, strlen(optarg)))
				errx(EX_USAGE, "--require %s: not a domain",
				    optarg);
			o->require = optarg;
			break;
		case O_ALIGNED:
			o->aligned = 1;
			break;
		case O_TIME:
			o->vo.now = (uint64_t)cmd_number(optarg, 0,
			    LLONG_MAX / 4, "--time");
			settime = 1;
			break;
		case O_SKEW:
			o->vo.skew = (uint64_t)cmd_number(optarg, 0,
			    LLONG_MAX / 4, "--skew");
			break;
		case O_TIMEOUT:
			o->timeout = (int)cmd_number(optarg, 1, 30, "--timeout");
			break;
		case O_RETRIES:
			o->tries = (int)cmd_number(optarg, 1, 5, "--tries");
			break;
		case O_HELP:
			help();
			break;
		case 'V':
			cmd_version();
			break;
		default:
			cmd_badopt(USAGE, ch, argv);
		}
	}
	if (o->authserv != NULL && (argc - optind > 1 || o->list))
		errx(EX_USAGE, "-A filters one message: no -0, one file at most");
	if (o->list && argc - optind > 0)
		errx(EX_USAGE, "-0 reads the paths from stdin: no operands");
	if (o->authserv != NULL && o->json)
		errx(EX_USAGE, "-A and -j cannot be used together");
	if (o->keytable != NULL && o->server != NULL)
		errx(EX_USAGE, "-K and -r cannot be used together");
	if (!settime)
		o->vo.now = (uint64_t)time(NULL);
}

/* Relaxed alignment without a public suffix list: one domain is the
 * other or a parent of it, and d= is not a bare top-level name. */
static int
aligned(const char *d, const char *from)
{
	size_t dl = strlen(d), fl = strlen(from);

	if (strchr(d, '.') == NULL)
		return 0;
	if (dl == fl)
		return strcasecmp(d, from) == 0;
	if (dl < fl)
		return from[fl - dl - 1] == '.' &&
		    strcasecmp(from + fl - dl, d) == 0;
	return d[dl - fl - 1] == '.' && strcasecmp(d + dl - fl, from) == 0 &&
	    strchr(from, '.') != NULL;
}

/*
 * Does this passing signature meet --require and --aligned?  A key in
 * test mode meets neither: RFC 6376 3.6.1 has verifiers treat such mail
 * like unsigned mail, which is what a policy is asked to tell apart.
 */
static int
counts(const struct opts *o, const struct dkim_vresult *v, const char *fromd)
{
	if (v->res != DKIM_RES_PASS)
		return 0;
	if ((o->require != NULL || o->aligned) && v->testing)
		return 0;
	if (o->require != NULL && strcasecmp(v->sig.d, o->require) != 0)
		return 0;
	if (o->aligned && (fromd == NULL || !aligned(v->sig.d, fromd)))
		return 0;
	return 1;
}

static int
status(const struct opts *o, const struct dkim_verify *vf,
    const struct dkim_msg *m)
{
	const struct dkim_vresult *v;
	char fromd[DKIM_MAX_DOMAIN + 1];
	const char *fd = NULL;
	size_t i, n = dkim_verify_count(vf);
	int temp = 0;

	if (o->aligned && dkim_from_domain(m, fromd, sizeof(fromd)) == 0)
		fd = fromd;
	if (n == 0)
		return EXIT_NONE;
	for (i = 0; i < n; i++) {
		v = dkim_verify_result(vf, i);
		if (counts(o, v, fd))
			return EXIT_PASS;
		if (v->res == DKIM_RES_TEMPERROR)
			temp = 1;
	}
	return temp ? EX_TEMPFAIL : EXIT_FAIL;
}

static void
text_results(const struct dkim_verify *vf, const char *label,
    struct dkim_buf *b)
{
	size_t i, n = dkim_verify_count(vf);
	int r = 0;

	if (n == 0)
		r = dkim_buf_printf(b, "%s%sdkim=none\n", label ? label : "",
		    label ? ": " : "");
	for (i = 0; i < n && r == 0; i++) {
		if (label != NULL && (r = dkim_buf_append(b, label,
		    strlen(label))) == 0)
			r = dkim_buf_append(b, ": ", 2);
		if (r == 0)
			r = dkim_ar_resinfo(dkim_verify_result(vf, i), b);
		if (r == 0)
			r = dkim_buf_putc(b, '\n');
	}
	if (r != 0)
		errx(EX_OSERR, "out of memory");
}

/* ---- JSON ---- */

static void
json_kv(struct dkim_buf *b, const char *k, const char *v, size_t n, int comma)
{
	if (comma)
		dkim_buf_putc(b, ',');
	dkim_json_str(b, k, strlen(k));
	dkim_buf_putc(b, ':');
	if (v == NULL)
		dkim_buf_printf(b, "null");
	else
		dkim_json_str(b, v, n);
}

static void
json_b64(struct dkim_buf *b, const char *k, const unsigned char *p, size_t n)
{
	char s[DKIM_HASH_MAX * 2];

	dkim_b64_encode(p, n, s);
	json_kv(b, k, s, strlen(s), 1);
}

static void
json_sig(struct dkim_buf *b, const struct dkim_vresult *v)
{
	const struct dkim_sig *s = &v->sig;
	struct dkim_taglist tl;
	const char *val;
	size_t i, vl;
	char c[32];

	dkim_buf_putc(b, '{');
	json_kv(b, "result", dkim_result_name(v->res),
	    strlen(dkim_result_name(v->res)), 0);
	json_kv(b, "reason", v->reason, v->reason ? strlen(v->reason) : 0, 1);
	json_kv(b, "d", s->d[0] ? s->d : NULL, strlen(s->d), 1);
	json_kv(b, "s", s->s[0] ? s->s : NULL, strlen(s->s), 1);
	json_kv(b, "i", s->i[0] ? s->i : NULL, strlen(s->i), 1);
	json_kv(b, "a", s->a, s->alen, 1);
	if (v->parsed) {
		snprintf(c, sizeof(c), "%s/%s", dkim_canon_name(s->hc),
		    dkim_canon_name(s->bc));
		json_kv(b, "c", c, strlen(c), 1);
		dkim_buf_printf(b, ",\"h\":[");
		for (i = 0; i < s->nh; i++) {
			if (i > 0)
				dkim_buf_putc(b, ',');
			dkim_json_str(b, s->h[i], s->hlen[i]);
		}
		dkim_buf_putc(b, ']');
		if (s->has_t)
			dkim_buf_printf(b, ",\"t\":%llu",
			    (unsigned long long)s->t);
		if (s->has_x)
			dkim_buf_printf(b, ",\"x\":%llu",
			    (unsigned long long)s->x);
		if (s->has_l)
			dkim_buf_printf(b, ",\"l\":%llu",
			    (unsigned long long)s->l);
		if (s->bhsize > 0)
			json_b64(b, "bh", s->bh, s->bhsize);
	}
	if (v->body_done) {
		json_b64(b, "bh_computed", v->bh, v->bhlen);
		dkim_buf_printf(b, ",\"body_length\":%llu",
		    (unsigned long long)v->bodylen);
	}
	dkim_buf_printf(b, ",\"testing\":%s", v->testing ? "true" : "false");
	if (v->have_key) {
		dkim_buf_printf(b, ",\"key\":{\"type\":\"%s\",\"bits\":%d,"
		    "\"dnssec\":%s}", dkim_keytype_name(v->ktype), v->kbits,
		    v->secure ? "true" : "false");
	}
	dkim_buf_printf(b, ",\"keys_tried\":[");
	for (i = 0; i < v->ntries; i++) {
		if (i > 0)
			dkim_buf_putc(b, ',');
		dkim_buf_putc(b, '{');
		json_kv(b, "result", dkim_result_name(v->tries[i].res),
		    strlen(dkim_result_name(v->tries[i].res)), 0);
		json_kv(b, "reason", v->tries[i].reason, v->tries[i].reason ?
		    strlen(v->tries[i].reason) : 0, 1);
		dkim_buf_putc(b, '}');
	}
	dkim_buf_printf(b, "],\"keys_skipped\":%zu,\"tags\":{", v->skipped);
	/* every tag as it was written, when the tag-list parses */
	val = memchr(s->field, ':', s->fieldlen);
	if (s->field != NULL && val != NULL) {
		vl = s->fieldlen - (size_t)(val + 1 - s->field);
		if (dkim_taglist_parse(&tl, val + 1, vl, NULL) == 0) {
			for (i = 0; i < tl.n; i++) {
				if (i > 0)
					dkim_buf_putc(b, ',');
				dkim_json_str(b, tl.tags[i].name,
				    tl.tags[i].namelen);
				dkim_buf_putc(b, ':');
				dkim_json_str(b, tl.tags[i].val,
				    tl.tags[i].vallen);
			}
		}
	}
	dkim_buf_printf(b, "}}");
}

static const char *
overall(const struct dkim_verify *vf, int st)
{
	size_t i, n = dkim_verify_count(vf);
	int seen[DKIM_RES_PERMERROR + 1] = { 0 };

	if (st == EXIT_PASS)
		return "pass";
	if (n == 0)
		return "none";
	for (i = 0; i < n; i++)
		seen[dkim_verify_result(vf, i)->res] = 1;
	if (st == EX_TEMPFAIL)
		return "temperror";
	if (seen[DKIM_RES_FAIL] || seen[DKIM_RES_PASS])
		return "fail";
	if (seen[DKIM_RES_PERMERROR])
		return "permerror";
	return "policy";
}

static void
json_results(const struct dkim_verify *vf, const char *name, int msgno,
    int st, struct dkim_buf *b)
{
	size_t i, n = dkim_verify_count(vf);

	dkim_buf_putc(b, '{');
	json_kv(b, "file", name, strlen(name), 0);
	if (msgno > 0)
		dkim_buf_printf(b, ",\"message\":%d", msgno);
	json_kv(b, "result", overall(vf, st), strlen(overall(vf, st)), 1);
	dkim_buf_printf(b, ",\"signatures\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			dkim_buf_putc(b, ',');
		json_sig(b, dkim_verify_result(vf, i));
	}
	if (dkim_buf_printf(b, "]}\n") != 0)
		errx(EX_OSERR, "out of memory");
}

/* ---- -v ---- */

/* -v lines are collected per message, printed in order in a batch. */
static _Thread_local struct dkim_buf *notes;

static void __attribute__((__format__(__printf__, 3, 4)))
note(const char *name, size_t k, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (dkim_buf_printf(notes, "%s: %s: signature %zu: %s\n",
	    getprogname(), name, k, line) != 0)
		errx(EX_OSERR, "out of memory");
}

/* Printable copy of untrusted bytes, for the terminal. */
static const char *
esc(const char *s, size_t n, char *buf, size_t cap)
{
	cmd_escape(s, n, buf, cap);
	return buf;
}

/*
 * z= holds the signed fields as the signer saw them; name those that
 * differ now, which is what broke a header signature.
 */
static void
explain_z(const struct dkim_msg *m, const struct dkim_vresult *v,
    const char *name, size_t k)
{
	const struct dkim_sig *s = &v->sig;
	const char *p = s->z, *end = s->z + s->zlen, *bar, *colon, *cur;
	char *was, *now, e1[256], e2[512], e3[512];
	size_t wl, cl, nl, i;
	long idx;

	was = xmalloc(s->zlen + 1);
	now = xmalloc(DKIM_MAX_HDR_BYTES + 1);
	for (; p < end; p = bar + 1) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
			bar = end;
		while (p < bar && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if ((colon = memchr(p, ':', (size_t)(bar - p))) == NULL ||
		    dkim_qp_decode(colon + 1, (size_t)(bar - colon - 1), was,
		    s->zlen + 1, &wl) != 0)
			continue;
		/* a signer may have copied the folding (=0D=0A): unfold */
		for (i = nl = 0; i < wl; i++)
			if (was[i] != '\r' && was[i] != '\n')
				was[nl++] = was[i];
		was[wl = nl] = '\0';
		for (nl = (size_t)(colon - p); nl > 0 && (p[nl - 1] == ' ' ||
		    p[nl - 1] == '\t'); nl--)
			;
		dkim_msg_select(m, &p, &nl, 1, v->index, &idx);
		esc(p, nl, e1, sizeof(e1));
		if (idx < 0) {
			note(name, k, "%s: removed since signing", e1);
			continue;
		}
		dkim_hdr_value(m, &m->hdrs[idx], &cur, &cl);
		for (i = nl = 0; i < cl; i++)
			if (cur[i] != '\r' && cur[i] != '\n')
				now[nl++] = cur[i];
		now[nl] = '\0';
		if (strcmp(was, now) != 0)
			note(name, k, "%s changed since signing: signed \"%s\", "
			    "now \"%s\"", e1, esc(was, wl, e2, sizeof(e2)),
			    esc(now, nl, e3, sizeof(e3)));
	}
	free(was);
	free(now);
}

static void
explain(const struct dkim_msg *m, const struct dkim_verify *vf,
    const char *name, struct dkim_buf *err)
{
	const struct dkim_vresult *v;
	char b64a[DKIM_HASH_MAX * 2], b64b[DKIM_HASH_MAX * 2];
	size_t i, k, n = dkim_verify_count(vf);

	notes = err;
	for (i = 0; i < n; i++) {
		v = dkim_verify_result(vf, i);
		note(name, i + 1, "%s (%s) d=%s s=%s",
		    dkim_result_name(v->res), v->reason ? v->reason : "ok",
		    v->sig.d, v->sig.s);
		if (v->have_key)
			note(name, i + 1, "%s key, %d bits%s%s",
			    dkim_keytype_name(v->ktype), v->kbits,
			    v->secure ? ", DNSSEC-secure" : "",
			    v->testing ? ", test mode (t=y)" : "");
		for (k = 0; k < v->ntries && v->ntries > 1; k++)
			note(name, i + 1, "key record %zu: %s", k + 1,
			    v->tries[k].reason ? v->tries[k].reason :
			    "verified");
		if (v->skipped > 0)
			note(name, i + 1, "%zu more TXT records at the name "
			    "not tried (over %d, or with a NUL byte)",
			    v->skipped, DKIM_MAX_TXTRECS);
		if (v->body_done && !v->body_ok) {
			dkim_b64_encode(v->bh, v->bhlen, b64a);
			dkim_b64_encode(v->sig.bh, v->sig.bhsize, b64b);
			note(name, i + 1, "body hash: computed %s, claimed %s",
			    b64a, b64b);
		}
		if (v->body_done && v->body_ok && !v->sig_ok &&
		    v->ntries > 0) {
			note(name, i + 1, "the body hash matches; the header "
			    "hash does not");
			if (v->sig.z != NULL)
				explain_z(m, v, name, i + 1);
		}
	}
}

/* ---- filter mode ---- */

static void
write_filtered(const struct opts *o, const struct dkim_msg *m,
    const struct dkim_verify *vf, struct dkim_in *in)
{
	struct dkim_buf ar = { NULL, 0, 0 };
	struct dkim_out *out;
	const char *eol = m->crlf ? "\r\n" : "\n", *v;
	size_t i, n = dkim_verify_count(vf), vl, off = 0, end;
	int r;

	r = dkim_buf_printf(&ar, "Authentication-Results: %s;", o->authserv);
	if (n == 0 && r == 0)
		r = dkim_buf_printf(&ar, " dkim=none");
	for (i = 0; i < n && r == 0; i++) {
		r = dkim_buf_printf(&ar, "%s%s\t", i > 0 ? ";" : "", eol);
		if (r == 0)
			r = dkim_ar_resinfo(dkim_verify_result(vf, i), &ar);
	}
	if (r == 0)
		r = dkim_buf_printf(&ar, "%s", eol);
	if (r != 0)
		errx(EX_OSERR, "out of memory");
	if ((r = dkim_in_rewind(in)) != 0)
		errx(EX_IOERR, "%s: cannot read the body again: %s",
		    dkim_in_name(in), dkim_strerror(r));
	if ((out = dkim_out_new(STDOUT_FILENO)) == NULL)
		errx(EX_OSERR, "out of memory");
	r = dkim_out_write(out, m->mbox_from.p, m->mbox_from.len);
	if (r == 0)
		r = dkim_out_write(out, ar.p, ar.len);
	/* the header, less any field claiming to be from us (RFC 8601 5) */
	for (i = 0; i < m->nhdrs && r == 0; i++) {
		if (!dkim_hdr_is(m, &m->hdrs[i], "Authentication-Results", 22))
			continue;
		dkim_hdr_value(m, &m->hdrs[i], &v, &vl);
		if (!dkim_ar_claims(v, vl, o->authserv))
			continue;
		end = i + 1 < m->nhdrs ? m->hdrs[i + 1].off : m->hbuf.len;
		r = dkim_out_write(out, m->hbuf.p + off, m->hdrs[i].off - off);
		off = end;
	}
	if (r == 0)
		r = dkim_out_write(out, m->hbuf.p + off, m->hbuf.len - off);
	if (r == 0 && m->has_sep)
		r = dkim_out_write(out, m->sep_crlf ? "\r\n" : "\n",
		    m->sep_crlf ? 2 : 1);
	if (r == 0 && (r = dkim_in_copy(in, out)) != 0 &&
	    !dkim_out_failed(out))
		errx(EX_IOERR, "%s: %s", dkim_in_name(in), dkim_strerror(r));
	if (r != 0 || dkim_out_close(out) != 0)
		err(EX_IOERR, "stdout");
	dkim_buf_free(&ar);
}

static struct dkim_keysrc *
key_source(const struct opts *o, struct dkim_resolver **res,
    struct dkim_keytable **kt)
{
	struct dkim_keysrc *ks;
	size_t line = 0;
	int r;

	*res = NULL;
	*kt = NULL;
	if (o->keytable != NULL) {
		if ((r = dkim_keytable_load(kt, o->keytable, &line)) != 0) {
			if (r == DKIM_ERR_IO)
				cmd_file_err(o->keytable);
			errx(EX_DATAERR, "%s:%zu: %s", o->keytable, line,
			    dkim_strerror(r));
		}
	} else if ((r = dkim_resolver_new(res, o->server, o->timeout,
	    o->tries)) != 0)
		errx(r == DKIM_ERR_SYNTAX ? EX_USAGE : EX_TEMPFAIL,
		    "resolver%s%s: %s", o->server ? " " : "",
		    o->server ? o->server : "", dkim_strerror(r));
	if ((ks = dkim_keysrc_new(*res, *kt)) == NULL)
		errx(EX_OSERR, "out of memory");
	if (*kt == NULL)
		dkim_keysrc_dns(ks, o->server, o->timeout, o->tries);
	return ks;
}

/* ---- one message ---- */

/*
 * A directory whose files are being verified, held open so that each is
 * opened by its name in it (openat): a path is walked once, not once a
 * file.  Closed when the submitter and the last of its files are done.
 */
struct dir {
	DIR		*d;
	int		 fd;	/* dirfd(d) */
	int		 refs;	/* the submitter's, and one a file */
	uint64_t	 id;	/* for the workers' own descriptors */
};

/*
 * A worker opens files through its own descriptor of their directory.
 * Threads share one descriptor table, so Linux takes a reference on the
 * open directory at each openat() through a shared descriptor, and with
 * two workers that counter's cache line went between the CPUs twice a
 * message (-P 2 was 4 % slower for it).  Keyed by the directory's id:
 * a struct dir freed and another allocated at its place is not the same.
 */
static _Thread_local struct {
	uint64_t	 id;
	int		 fd;
	int		 worker;
} own = { 0, -1, 0 };

static int
dir_fd(const struct dir *d)
{
	if (!own.worker)
		return d->fd;
	if (own.id != d->id) {
		if (own.fd != -1)
			close(own.fd);
		own.id = d->id;
		/* on failure (EMFILE, say), the shared one does */
		own.fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	}
	return own.fd != -1 ? own.fd : d->fd;
}

struct item {
	char		*path;	/* NULL: stdin */
	struct dir	*dir;	/* path's directory, open, or NULL */
	size_t		 base;	/* where its name starts in path */
	int		 fd;	/* open already, or -1 */
	off_t		 size;	/* a regular file's, or -1 */
	char		*label;	/* how results are prefixed, or NULL */
	int		 msgno;	/* n-th message of an mbox, 0 if not */
	off_t		 off, len;
	/* the slot's, kept for its next message: see item_reuse() */
	struct dkim_buf	 pbuf, lbuf;	/* path and label */
	struct dkim_buf	 out, err;
	int		 status;
	int		 done;
	int		 held;	/* counted in the batch's fds */
};

static int
item_fail(struct item *it, int code, const char *what, const char *why)
{
	if (dkim_buf_printf(&it->err, "%s: %s%s%s\n", getprogname(), what,
	    why ? ": " : "", why ? why : "") != 0)
		errx(EX_OSERR, "out of memory");
	return it->status = code;
}

/*
 * Verify the message in in and put the results (or, with -A, the whole
 * message) where they go; errors go to it->err.  The exit status for
 * this message is returned.
 */
static int
verify_msg(const struct opts *o, struct dkim_keysrc *ks, struct dkim_in *in,
    const char *name, struct item *it)
{
	struct dkim_verify *vf = NULL;
	struct dkim_msg *m;
	const unsigned char *p;
	char where[64];
	size_t n;
	int r, st;

	if ((m = dkim_msg_new()) == NULL)
		errx(EX_OSERR, "out of memory");
	if ((r = dkim_msg_read_header(m, in)) != 0) {
		snprintf(where, sizeof(where), "line %zu: ", m->errline);
		dkim_buf_printf(&it->err, "%s: %s: %s%s\n", getprogname(),
		    name, m->errline ? where : "", dkim_strerror(r));
		st = it->status = cmd_exit_code(r);
		goto out;
	}
	if (o->authserv != NULL && dkim_in_mark(in) != 0) {
		st = item_fail(it, EX_IOERR, name, "cannot keep the body");
		goto out;
	}
	if ((r = dkim_verify_new(&vf, m, ks, &o->vo)) != 0) {
		st = item_fail(it, cmd_exit_code(r), name, dkim_strerror(r));
		goto out;
	}
	/*
	 * Read the body even when no signature needs it: a filter passes it
	 * on, and a pipe's writer should not die of SIGPIPE.  A file no
	 * signature needs is left alone.
	 */
	while (o->authserv != NULL || it->path == NULL ||
	    dkim_verify_wants_body(vf)) {
		if ((r = dkim_in_chunk(in, &p, &n)) != 0) {
			st = item_fail(it, EX_IOERR, name, dkim_strerror(r));
			goto out;
		}
		if (n == 0)
			break;
		dkim_verify_body(vf, p, n);
	}
	if ((r = dkim_verify_final(vf)) != 0) {
		st = item_fail(it, cmd_exit_code(r), name, dkim_strerror(r));
		goto out;
	}
	st = status(o, vf, m);
	if (o->verbose)
		explain(m, vf, name, &it->err);
	if (o->authserv != NULL) {
		/* the message goes out whole: never drop mail */
		write_filtered(o, m, vf, in);
		st = 0;
	} else if (o->json)
		json_results(vf, it->path ? it->path : name, it->msgno, st,
		    &it->out);
	else
		text_results(vf, it->label, &it->out);
	it->status = st;
out:
	dkim_verify_free(vf);
	dkim_msg_free(m);
	return st;
}

static void
run_item(const struct opts *o, struct dkim_keysrc *ks, struct item *it)
{
	struct stat st;
	struct dkim_in *in;
	const char *name;
	char label[4096];
	int fd;

	if (it->path == NULL) {
		fd = STDIN_FILENO;
		name = "stdin";
	} else if ((fd = it->fd) != -1) {
		it->fd = -1;	/* ours to close now */
		name = it->path;
	} else if ((fd = it->dir != NULL ? openat(dir_fd(it->dir),
	    it->path + it->base, O_RDONLY | O_CLOEXEC | O_NONBLOCK) :
	    open(it->path, O_RDONLY | O_CLOEXEC)) == -1) {
		item_fail(it, EX_NOINPUT, it->path, strerror(errno));
		return;
	} else
		name = it->path;
	if (it->dir != NULL) {
		/* a FIFO, socket or directory there is not a message */
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(fd);
			return;
		}
		it->size = st.st_size;
	}
	if (it->msgno > 0) {
		snprintf(label, sizeof(label), "%s:%d", it->path, it->msgno);
		name = label;
		in = dkim_in_new_range(fd, it->off, it->len, name);
	} else
		in = dkim_in_new(fd, name);
	if (in == NULL)
		errx(EX_OSERR, "out of memory");
	if (it->msgno == 0 && it->size >= 0)
		dkim_in_size(in, it->size);
	verify_msg(o, ks, in, name, it);
	dkim_in_free(in);
	if (fd != STDIN_FILENO)
		close(fd);
}

/* ---- batches: files, mboxes, Maildirs, -0 lists; -P threads ---- */

#define WINDOW	256	/* messages in flight; bounds memory */
#define FDS	32	/* files held open ahead of the workers, at most */

struct batch {
	const struct opts	*o;
	struct dkim_keysrc	*ks;
	int			 prefix;  /* label results with their path */
	int			 status;  /* the highest of all */
	int			 jobs;
	pthread_t		*tid;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;	  /* for idle workers */
	pthread_cond_t		 room;	  /* for the submitter, window full */
	int			 idle;	  /* workers waiting on work */
	int			 full;	  /* the submitter waits on room */
	int			 fds;	  /* open files in flight */
	int			 maxfds;  /* and how many may be */
	struct item		 slot[WINDOW];
	uint64_t		 submitted, started, printed;
	uint64_t		 dirs;	  /* opened so far: their ids */
	int			 closing;
};

/* Locked, or with no threads. */
static void
dir_put(struct batch *b, struct dir *d)
{
	if (--d->refs > 0)
		return;
	closedir(d->d);
	if (b->jobs > 1)
		b->fds--;
	free(d);
}

/*
 * Empty a slot for its next message but keep its buffers: a batch then
 * allocates nothing per message for paths and results, and no worker
 * frees what another allocated, which makes glibc take the other
 * thread's arena lock (perf showed -P 2 waiting there).  A buffer grown
 * unusually big is let go.
 */
static void
item_reuse(struct item *it)
{
	struct dkim_buf keep[4] = { it->pbuf, it->lbuf, it->out, it->err };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (keep[i].cap > 64 * 1024)
			dkim_buf_free(&keep[i]);
		keep[i].len = 0;
	}
	memset(it, 0, sizeof(*it));
	it->pbuf = keep[0];
	it->lbuf = keep[1];
	it->out = keep[2];
	it->err = keep[3];
}

/* Copy s, with its NUL, into a slot's buffer. */
static char *
item_str(struct dkim_buf *b, const char *s)
{
	b->len = 0;
	if (dkim_buf_append(b, s, strlen(s) + 1) != 0)
		errx(EX_OSERR, "out of memory");
	return (char *)b->p;
}

static void
print_item(struct batch *b, struct item *it)
{
	if (it->err.len > 0)
		fwrite(it->err.p, 1, it->err.len, stderr);
	if (it->out.len > 0 && fwrite(it->out.p, 1, it->out.len, stdout) !=
	    it->out.len)
		err(EX_IOERR, "stdout");
	if (it->status > b->status)
		b->status = it->status;
	if (it->fd != -1)
		close(it->fd);
	if (it->dir != NULL)
		dir_put(b, it->dir);
	item_reuse(it);
}

/* Print finished messages in input order.  Locked. */
static void
drain(struct batch *b)
{
	struct item *it;

	while (b->printed < b->submitted &&
	    (it = &b->slot[b->printed % WINDOW])->done) {
		print_item(b, it);
		b->printed++;
	}
	/* the submitter goes on when half the room is free, not at each */
	if (b->full && b->submitted - b->printed <= WINDOW / 2 &&
	    b->fds <= b->maxfds / 2)
		pthread_cond_signal(&b->room);
}

/*
 * Locked: verify the next message no one has started, letting the lock
 * go meanwhile.  0 when there is none.
 */
static int
work_one(struct batch *b)
{
	struct item *it;

	if (b->started == b->submitted)
		return 0;
	it = &b->slot[b->started++ % WINDOW];
	pthread_mutex_unlock(&b->mu);
	/* a thread that comes while another sets libcrypto up waits */
	dkim_key_warm();
	run_item(b->o, b->ks, it);
	pthread_mutex_lock(&b->mu);
	it->done = 1;
	if (it->held)
		b->fds--;
	drain(b);
	return 1;
}

static void *
worker(void *arg)
{
	struct batch *b = arg;

	own.worker = 1;
	/* libcrypto's first use, while the submitter lists the batch */
	dkim_key_warm();
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->started == b->submitted && !b->closing) {
			b->idle++;
			pthread_cond_wait(&b->work, &b->mu);
			b->idle--;
		}
		if (!work_one(b))
			break;
	}
	pthread_mutex_unlock(&b->mu);
	if (own.fd != -1)
		close(own.fd);
	dkim_key_thread_done();
	dkim_digest_thread_done();
	return NULL;
}

/*
 * Locked: wait until half the window and half the open files are free.
 * The submitter is one of the -P threads: rather than sleep, it verifies
 * messages itself while there are some no one has started.
 */
static void
wait_room(struct batch *b)
{
	b->full = 1;
	while (b->submitted - b->printed > WINDOW / 2 ||
	    b->fds > b->maxfds / 2)
		if (!work_one(b))
			pthread_cond_wait(&b->room, &b->mu);
	b->full = 0;
}

/* dir: path is a file of that directory, to be opened in it. */
static void
submit_fd(struct batch *b, const char *path, int msgno, off_t off, off_t len,
    int fd, off_t size, struct dir *dir)
{
	struct item *it;
	char label[4096];

	pthread_mutex_lock(&b->mu);
	if (b->submitted - b->printed == WINDOW ||
	    (fd != -1 && b->fds >= b->maxfds))
		wait_room(b);
	it = &b->slot[b->submitted % WINDOW];
	it->path = path ? item_str(&it->pbuf, path) : NULL;
	it->fd = fd;
	it->size = size;
	it->msgno = msgno;
	it->off = off;
	it->len = len;
	if ((it->dir = dir) != NULL) {
		dir->refs++;
		it->base = (size_t)(strrchr(it->path, '/') + 1 - it->path);
	}
	if (fd != -1 && b->jobs > 1) {
		it->held = 1;
		b->fds++;
	}
	if (b->prefix && path == NULL)
		it->label = item_str(&it->lbuf, "-");
	else if (b->prefix && msgno > 0) {
		snprintf(label, sizeof(label), "%s:%d", path, msgno);
		it->label = item_str(&it->lbuf, label);
	} else if (b->prefix)
		it->label = it->path;
	b->submitted++;
	if (b->jobs > 1) {
		if (b->idle > 0)
			pthread_cond_signal(&b->work);
		pthread_mutex_unlock(&b->mu);
		return;
	}
	pthread_mutex_unlock(&b->mu);
	b->started++;
	run_item(b->o, b->ks, it);
	it->done = 1;
	drain(b);
}

static void
submit(struct batch *b, const char *path, int msgno, off_t off, off_t len)
{
	submit_fd(b, path, msgno, off, len, -1, -1, NULL);
}

/*
 * An mbox: a message starts at each line beginning "From ".  Bodies
 * quote such lines (">From "), which are left as they are.
 */
static void
submit_mbox(struct batch *b, const char *path, int fd)
{
	static unsigned char buf[256 * 1024];
	off_t pos = 0, start = 0;
	ssize_t n, i;
	int msgno = 0, bol = 1;
	unsigned char tail[5];
	size_t tl = 0;

	/* "From " may straddle reads: keep the bytes of a line start */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (tl > 0 || bol) {
				tail[tl++] = buf[i];
				if (memcmp(tail, "From ", tl) != 0)
					tl = 0;
				else if (tl == 5) {
					off_t at = pos + i - 4;

					if (at > start || msgno == 0) {
						if (msgno > 0)
							submit(b, path, msgno,
							    start, at - start);
						msgno++;
						start = at;
					}
					tl = 0;
				}
			}
			bol = buf[i] == '\n';
		}
		pos += n;
	}
	if (n == -1) {
		warn("%s", path);
		if (EX_IOERR > b->status)
			b->status = EX_IOERR;
	}
	if (msgno > 0)
		submit(b, path, msgno, start, pos - start);
}

/*
 * A directory held open for its files, counted among the open files; a
 * batch of many small directories waits for room like one of many files.
 */
static struct dir *
dir_open(struct batch *b, const char *path)
{
	struct dir *d = xcalloc(1, sizeof(*d));
	int e;

	pthread_mutex_lock(&b->mu);
	if (b->jobs > 1 && b->fds >= b->maxfds)
		wait_room(b);
	if ((d->d = opendir(path)) != NULL && b->jobs > 1)
		b->fds++;
	d->id = ++b->dirs;
	e = errno;
	pthread_mutex_unlock(&b->mu);
	if (d->d == NULL) {
		free(d);
		errno = e;	/* for the caller's message */
		return NULL;
	}
	d->fd = dirfd(d->d);
	d->refs = 1;
	return d;
}

static int
namecmp(const void *a, const void *b2)
{
	return strcmp(*(char *const *)a, *(char *const *)b2);
}

/* The messages of a directory: a Maildir's new/ and cur/, else its files. */
static void
submit_dir(struct batch *b, const char *path)
{
	static const char *const sub[] = { "new", "cur" };
	struct dirent *de;
	struct stat st;
	char p[4096], **names = NULL;
	size_t n = 0, cap = 0, i, k, len;
	int maildir = 0;
	struct dir *d;

	for (k = 0; k < 2; k++) {
		snprintf(p, sizeof(p), "%s/%s", path, sub[k]);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			maildir = 1;
	}
	for (k = 0; k < (maildir ? 2u : 1u); k++) {
		if (maildir)
			snprintf(p, sizeof(p), "%s/%s", path, sub[k]);
		else
			snprintf(p, sizeof(p), "%s", path);
		if ((d = dir_open(b, p)) == NULL) {
			if (maildir && errno == ENOENT)
				continue;
			warn("%s", p);
			if (EX_NOINPUT > b->status)
				b->status = EX_NOINPUT;
			continue;
		}
		while ((de = readdir(d->d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				names = xreallocarray(names, cap, sizeof(*names));
			}
			len = strlen(p) + strlen(de->d_name) + 2;
			names[n] = xmalloc(len);
			snprintf(names[n++], len, "%s/%s", p, de->d_name);
		}
		/* a stable order: by name within new/, then cur/ */
		if (n > 1)
			qsort(names, n, sizeof(*names), namecmp);
		for (i = 0; i < n; i++) {
			submit_fd(b, names[i], 0, 0, 0, -1, -1, d);
			free(names[i]);
		}
		n = 0;
		pthread_mutex_lock(&b->mu);
		dir_put(b, d);
		pthread_mutex_unlock(&b->mu);
	}
	free(names);
}

static void
submit_path(struct batch *b, const char *path)
{
	struct stat st;
	char head[5];
	int fd;

	if (strcmp(path, "-") == 0) {
		submit(b, NULL, 0, 0, 0);	/* stdin, as everywhere */
		return;
	}

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		warn("%s", path);
		if (EX_NOINPUT > b->status)
			b->status = EX_NOINPUT;
		if (fd != -1)
			close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		submit_dir(b, path);
		return;
	}
	if (S_ISREG(st.st_mode) && pread(fd, head, 5, 0) == 5 &&
	    memcmp(head, "From ", 5) == 0) {
		submit_mbox(b, path, fd);
		close(fd);
	} else	/* the item takes the open file: one open per message */
		submit_fd(b, path, 0, 0, 0, fd, S_ISREG(st.st_mode) ?
		    st.st_size : -1, NULL);
}

/* -0: NUL-separated paths on stdin, as find -print0 writes them. */
static void
submit_list(struct batch *b)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getdelim(&line, &cap, '\0', stdin)) > 0) {
		if (line[n - 1] == '\0')
			n--;
		line[n] = '\0';
		if (n > 0)
			submit_path(b, line);
	}
	if (ferror(stdin))
		err(EX_IOERR, "stdin");
	free(line);
}

/*
 * How many open files may wait for, or be with, the workers.  Not the
 * whole window: 256 descriptors fail with EMFILE under a low "ulimit -n",
 * and growing a threaded process's descriptor table past its first 64
 * makes Linux wait for an RCU grace period, some milliseconds each time,
 * while the workers run dry (-P 2 then ran no faster than -P 1).
 */
static int
max_fds(int jobs)
{
	struct rlimit rl;
	rlim_t n = 2 * (rlim_t)jobs > FDS ? 2 * (rlim_t)jobs : FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && n > rl.rlim_cur / 2)
		n = rl.rlim_cur / 2;
	return n > 0 ? (int)n : 1;
}

/*
 * Start the workers first of all: a new thread takes a while to get a CPU
 * here, and then libcrypto's set-up, and both are on the way to the
 * first result, while reading the key table and listing are not.
 */
static struct batch *
batch_new(const struct opts *o)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	int i;

	b->o = o;
	b->jobs = o->jobs;
	b->maxfds = max_fds(b->jobs);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->room, NULL);
	/* the submitter is the last of them: see wait_room() */
	if (b->jobs > 1) {
		b->tid = xcalloc((size_t)b->jobs - 1, sizeof(*b->tid));
		for (i = 0; i < b->jobs - 1; i++)
			if (pthread_create(&b->tid[i], NULL, worker, b) != 0)
				errx(EX_OSERR, "cannot start a thread");
	}
	return b;
}

/* ks: set before the first message is submitted, the workers' lock after */
static int
run_batch(struct batch *b, struct dkim_keysrc *ks, int argc, char **argv)
{
	const struct opts *o = b->o;
	struct stat st;
	int i, st_;

	b->ks = ks;
	/* labels unless it is one plain message (stdin or a single file) */
	b->prefix = o->list || argc > 1 || (argc == 1 &&
	    stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode));
	if (!b->prefix && argc == 1) {
		char head[5];
		int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

		if (fd != -1 && pread(fd, head, 5, 0) == 5 &&
		    memcmp(head, "From ", 5) == 0 && o->authserv == NULL)
			b->prefix = 1;	/* an mbox */
		if (fd != -1)
			close(fd);
	}
	if (o->list)
		submit_list(b);
	else if (argc == 0 || o->authserv != NULL)
		submit(b, argc && strcmp(argv[0], "-") != 0 ? argv[0] : NULL,
		    0, 0, 0);
	else
		for (i = 0; i < argc; i++)
			submit_path(b, argv[i]);
	pthread_mutex_lock(&b->mu);
	b->closing = 1;
	pthread_cond_broadcast(&b->work);
	/* all submitted: the submitter helps with what is left */
	while (b->jobs > 1 && work_one(b))
		;
	pthread_mutex_unlock(&b->mu);
	for (i = 0; i < b->jobs - 1 && b->tid != NULL; i++)
		pthread_join(b->tid[i], NULL);
	drain(b);
	st_ = b->status;
	if (b->submitted == 0 && st_ == 0) {
		/* an empty Maildir or list: nothing passed, say so */
		warnx("no messages found");
		st_ = EXIT_NONE;
	}
	for (i = 0; i < WINDOW; i++) {
		dkim_buf_free(&b->slot[i].pbuf);
		dkim_buf_free(&b->slot[i].lbuf);
		dkim_buf_free(&b->slot[i].out);
		dkim_buf_free(&b->slot[i].err);
	}
	free(b->tid);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->room);
	pthread_mutex_destroy(&b->mu);
	free(b);
	return st_;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct dkim_resolver *res;
	struct dkim_keytable *kt;
	struct dkim_keysrc *ks;
	struct batch *b;
	int st;

	cmd_init();
	cmd_no_crypto_strings();
	parse_opts(argc, argv, &o);
	cmd_need_stdout();
	argc -= optind;
	argv += optind;
	for (st = 0; st < argc; st++)
		if (strcmp(argv[st], "-") == 0)
			cmd_need_stdin();
	if (argc == 0 || o.list)
		cmd_need_stdin();
	if (argc == 1 && o.authserv != NULL && strcmp(argv[0], "-") != 0) {
		const char *name;

		/* refuse a directory or a missing file before anything else */
		close(cmd_open_input(argv[0], &name));
	}
	b = batch_new(&o);
	ks = key_source(&o, &res, &kt);
	st = run_batch(b, ks, argc, argv);
	/* -A wrote through its own checked writer, which closed stdout */
	if (o.authserv == NULL && fclose(stdout) != 0)
		err(EX_IOERR, "stdout");
	dkim_key_thread_done();
	dkim_digest_thread_done();
	dkim_keysrc_free(ks);
	dkim_keytable_free(kt);
	dkim_resolver_free(res);
	return st;
}
