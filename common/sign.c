/*
 * sign.c: making DKIM-Signature fields (RFC 6376 3.5, 5), folded at 78
 * columns so that every MTA and verifier takes them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

#define FOLD_AT	78

const char *const dkim_sign_default_headers[] = {
	/* RFC 6376 5.4.1 */
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date",
	"Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive",
	/* and what identifies the message and how its body reads */
	"Message-ID", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding",
	NULL
};

static size_t
count(const struct dkim_msg *m, const char *name)
{
	size_t i, n = 0, len = strlen(name);

	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], name, len))
			n++;
	return n;
}

static int
listed(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

int
dkim_sign_hlist(const struct dkim_msg *m, const char *const *names, size_t n,
    const char *const *over, size_t nover, const char ***out,
    size_t **outlen, size_t *nout)
{
	const char **h = NULL;
	size_t *hl = NULL, cap = 0, k = 0, i, j, c;
	const char *name;

	*out = NULL;
	*outlen = NULL;
	*nout = 0;
	for (i = 0; i < n + nover; i++) {
		name = i < n ? names[i] : over[i - n];
		/* each name once, in order of first mention */
		if (i < n ? listed(names, i, name) :
		    listed(names, n, name) || listed(over, i - n, name))
			continue;
		c = count(m, name) + (listed(over, nover, name) ? 1 : 0);
		if (c > DKIM_MAX_SIGNED - k) {
			free(h);
			free(hl);
			return DKIM_ERR_TOOMANY;
		}
		if (k + c > cap) {
			cap = k + c + 16;
			if ((h = reallocarray(h, cap, sizeof(*h))) == NULL ||
			    (hl = reallocarray(hl, cap, sizeof(*hl))) == NULL) {
				free(h);
				free(hl);
				return DKIM_ERR_ALLOC;
			}
		}
		for (j = 0; j < c; j++) {
			h[k] = name;
			hl[k++] = strlen(name);
		}
	}
	*out = h;
	*outlen = hl;
	*nout = k;
	return 0;
}

/* A folding writer: tags separated by "; ", lines kept within FOLD_AT. */
struct fold {
	struct dkim_buf	*b;
	size_t		 col;
	const char	*eol;
	int		 r;
};

static void
put(struct fold *f, const char *s, size_t n)
{
	if (f->r == 0)
		f->r = dkim_buf_append(f->b, s, n);
	f->col += n;
}

static void
newline(struct fold *f)
{
	put(f, f->eol, strlen(f->eol));
	put(f, "\t", 1);
	f->col = 8;
}

/* Start a tag: after a space, or on a new line if n more would not fit. */
static void
tag_start(struct fold *f, size_t n, int first)
{
	if (first)
		put(f, " ", 1);
	else if (f->col + 1 + n > FOLD_AT)
		newline(f);
	else
		put(f, " ", 1);
}

static void
tag(struct fold *f, const char *text, int first)
{
	size_t n = strlen(text);

	tag_start(f, n, first);
	put(f, text, n);
}

/* h=a:b:c, folding after a colon when the next name would not fit. */
static void
tag_h(struct fold *f, const struct dkim_signopts *o)
{
	size_t i;

	tag_start(f, 2 + (o->nh ? o->hlen[0] : 0) + 1, 0);
	put(f, "h=", 2);
	for (i = 0; i < o->nh; i++) {
		if (i > 0) {
			put(f, ":", 1);
			if (f->col + o->hlen[i] + 1 > FOLD_AT)
				newline(f);
		}
		put(f, o->h[i], o->hlen[i]);
	}
	put(f, ";", 1);
}

/*
 * A long value (b=, z=) broken with FWS wherever a line fills up, never
 * inside a "=XX" escape.
 */
static void
put_long(struct fold *f, const char *v, size_t n)
{
	size_t k;

	while (n > 0) {
		if (f->col >= FOLD_AT - 1)
			newline(f);
		k = FOLD_AT - 1 - f->col;
		if (k >= n)
			k = n;
		else
			while (k > 0 && (v[k - 1] == '=' ||
			    (k > 1 && v[k - 2] == '=')))
				k--;
		if (k == 0) {
			newline(f);
			continue;
		}
		put(f, v, k);
		v += k;
		n -= k;
	}
}

/* dkim-quoted-printable (RFC 6376 2.11), with "|" encoded for z=. */
static int
qp(struct dkim_buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned char c;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			continue;	/* unfold */
		if (c > 0x20 && c < 0x7f && c != ';' && c != '=' && c != '|')
			r = dkim_buf_putc(b, c);
		else
			r = dkim_buf_printf(b, "=%02X", c);
	}
	return r;
}

/*
 * z=: the signed fields as they are now, "|"-separated, each value
 * qp-encoded.  FWS may go after a "|" or inside a value (RFC 6376 3.5),
 * never inside a field name.
 */
static int
ztag(const struct dkim_msg *m, const struct dkim_signopts *o,
    struct fold *f)
{
	long idx[DKIM_MAX_SIGNED];
	struct dkim_buf t = { NULL, 0, 0 };
	const struct dkim_hdr *h;
	const char *v;
	size_t k, vl;
	int r = 0, any = 0;

	tag_start(f, 2 + 8, 0);
	put(f, "z=", 2);
	dkim_msg_select(m, o->h, o->hlen, o->nh, -1, idx);
	for (k = 0; k < o->nh && r == 0; k++) {
		if (idx[k] < 0)
			continue;
		h = &m->hdrs[idx[k]];
		if (any)
			put(f, "|", 1);
		if (f->col + h->namelen + 1 > FOLD_AT - 1)
			newline(f);
		put(f, dkim_hdr_ptr(m, h), h->namelen);
		put(f, ":", 1);
		dkim_hdr_value(m, h, &v, &vl);
		t.len = 0;
		if ((r = qp(&t, v, vl)) == 0)
			put_long(f, (const char *)t.p, t.len);
		any = 1;
	}
	put(f, ";", 1);
	dkim_buf_free(&t);
	return r ? r : f->r;
}

/* Everything but the b= value. */
static int
unsigned_field(const struct dkim_msg *m, const struct dkim_signopts *o,
    const unsigned char *bh, size_t bhlen, enum dkim_alg alg,
    struct fold *f)
{
	struct dkim_buf t = { NULL, 0, 0 };
	char b64[DKIM_HASH_MAX * 2];
	int r;

	put(f, "DKIM-Signature:", 15);
	tag(f, "v=1;", 1);
#define TAG(...) do {							\
	t.len = 0;							\
	if ((r = dkim_buf_printf(&t, __VA_ARGS__)) != 0 ||		\
	    (r = dkim_buf_putc(&t, 0)) != 0)				\
		goto out;						\
	tag(f, (const char *)t.p, 0);					\
} while (0)
	TAG("a=%s;", dkim_alg_name(alg));
	TAG("c=%s/%s;", dkim_canon_name(o->hc), dkim_canon_name(o->bc));
	TAG("d=%s;", o->d);
	if (o->i != NULL) {
		t.len = 0;
		if ((r = dkim_buf_append(&t, "i=", 2)) != 0 ||
		    (r = qp(&t, o->i, strlen(o->i))) != 0 ||
		    (r = dkim_buf_append(&t, ";", 2)) != 0)
			goto out;
		tag(f, (const char *)t.p, 0);
	}
	TAG("s=%s;", o->s);
	if (o->use_t)
		TAG("t=%llu;", (unsigned long long)o->t);
	if (o->use_x)
		TAG("x=%llu;", (unsigned long long)o->x);
	if (o->use_l)
		TAG("l=%llu;", (unsigned long long)o->l);
#undef TAG
	tag_h(f, o);
	if (o->use_z && (r = ztag(m, o, f)) != 0)
		goto out;
	dkim_b64_encode(bh, bhlen, b64);
	t.len = 0;
	if ((r = dkim_buf_printf(&t, "bh=%s;", b64)) != 0 ||
	    (r = dkim_buf_putc(&t, 0)) != 0)
		goto out;
	tag(f, (const char *)t.p, 0);
	tag_start(f, 2 + 8, 0);
	put(f, "b=", 2);
	r = f->r;
out:
	dkim_buf_free(&t);
	return r;
}

int
dkim_sign(const struct dkim_msg *m, const struct dkim_signopts *o,
    const unsigned char *bh, size_t bhlen, struct evp_pkey_st *k,
    struct dkim_buf *out)
{
	struct dkim_buf field = { NULL, 0, 0 }, input = { NULL, 0, 0 };
	struct dkim_sig *sig = NULL;
	struct fold f = { &field, 0, o->crlf ? "\r\n" : "\n", 0 };
	enum dkim_keytype kt;
	enum dkim_alg alg;
	unsigned char raw[DKIM_MAX_SIG_BYTES];
	char *b64 = NULL;
	const char *reason;
	size_t rawlen;
	int r;

	if ((r = dkim_key_type(k, &kt)) != 0)
		return r;
	alg = kt == DKIM_KEY_ED25519 ? DKIM_ALG_ED25519_SHA256 :
	    DKIM_ALG_RSA_SHA256;
	if ((r = unsigned_field(m, o, bh, bhlen, alg, &f)) != 0)
		goto out;
	/*
	 * Parse what was built, as a verifier will, and hash exactly that:
	 * the signer and the verifier share one definition of the input.
	 */
	if ((sig = malloc(sizeof(*sig))) == NULL) {
		r = DKIM_ERR_ALLOC;
		goto out;
	}
	if ((r = dkim_sig_parse(sig, (const char *)field.p, field.len,
	    &reason)) != 0 ||
	    (r = dkim_sig_header_input(m, sig, -1, &input)) != 0 ||
	    (r = dkim_key_sign(k, alg, input.p, input.len, raw, &rawlen)) != 0)
		goto out;
	if ((b64 = malloc(dkim_b64_len(rawlen) + 1)) == NULL) {
		r = DKIM_ERR_ALLOC;
		goto out;
	}
	dkim_b64_encode(raw, rawlen, b64);
	put_long(&f, b64, strlen(b64));
	put(&f, f.eol, strlen(f.eol));
	if ((r = f.r) == 0)
		r = dkim_buf_append(out, field.p, field.len);
out:
	free(b64);
	free(sig);
	dkim_buf_free(&field);
	dkim_buf_free(&input);
	return r;
}
