/*
 * verify.c: RFC 6376 section 6 verification of every DKIM-Signature of a
 * message, with RFC 8301 (no rsa-sha1, no RSA under 1024 bits) and RFC
 * 8463 (ed25519-sha256).
 *
 * Everything that needs only the header section is done first (parsing,
 * checks, key lookup, the signature over the header hash), so the body
 * is streamed once through one canonicalizer per distinct (c=, hash, l=)
 * and only for signatures that can still pass.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

struct hasher {
	enum dkim_canon		 canon;
	enum dkim_hash		 hash;
	uint64_t		 limit;
	struct dkim_digest	*dg;
	struct dkim_body	*body;
	unsigned char		 md[DKIM_HASH_MAX];
	size_t			 mdlen;
};

struct dkim_verify {
	const struct dkim_msg	*msg;
	struct dkim_keysrc	*ks;
	struct dkim_vopts	 o;
	struct dkim_vresult	*r;
	size_t			 n;
	struct hasher		*h;	/* at most one per signature */
	size_t			 nh;
};

static const char *const resnames[] = {
	[DKIM_RES_NONE] = "none",
	[DKIM_RES_PASS] = "pass",
	[DKIM_RES_FAIL] = "fail",
	[DKIM_RES_POLICY] = "policy",
	[DKIM_RES_NEUTRAL] = "neutral",
	[DKIM_RES_TEMPERROR] = "temperror",
	[DKIM_RES_PERMERROR] = "permerror",
};

const char *
dkim_result_name(enum dkim_result r)
{
	return resnames[r];
}

/* The one place a result is decided; a verdict once reached stays. */
static void
decide(struct dkim_vresult *v, enum dkim_result res, const char *reason)
{
	if (v->res != DKIM_RES_NONE)
		return;
	v->res = res;
	v->reason = reason;
}

/* The body hasher for a signature's c=, hash and l=, shared by equals. */
static int
hasher_for(struct dkim_verify *vf, const struct dkim_sig *s)
{
	enum dkim_hash hash = dkim_alg_hash(s->alg);
	uint64_t limit = s->has_l ? s->l : UINT64_MAX;
	struct hasher *h;
	size_t i;

	for (i = 0; i < vf->nh; i++)
		if (vf->h[i].canon == s->bc && vf->h[i].hash == hash &&
		    vf->h[i].limit == limit)
			return (int)i;
	h = &vf->h[vf->nh];	/* one per signature at most: room left */
	h->canon = s->bc;
	h->hash = hash;
	h->limit = limit;
	if ((h->dg = dkim_digest_new(hash)) == NULL ||
	    (h->body = malloc(sizeof(*h->body))) == NULL) {
		dkim_digest_free(h->dg);
		h->dg = NULL;
		return -1;
	}
	dkim_body_init(h->body, s->bc, limit, dkim_digest_update, h->dg);
	return (int)vf->nh++;
}

static int
strict_ok(const struct dkim_sig *s)
{
	const char *at;

	/* t=s: the i= domain must be d= itself, no subdomain (3.6.1) */
	if (s->i[0] == '\0')
		return 1;
	at = strrchr(s->i, '@');
	return at != NULL && strcasecmp(at + 1, s->d) == 0;
}

/* Can this key record verify this signature?  NULL, or why not. */
static const char *
key_unusable(const struct dkim_keyrec *kr, const struct dkim_sig *s,
    int legacy)
{
	if (kr->revoked)
		return "key revoked";
	if (kr->k != dkim_alg_keytype(s->alg))
		return "key type does not match a=";
	if (!(kr->hashes & (1u << dkim_alg_hash(s->alg))))
		return "key h= does not allow the hash";
	if (!kr->email)
		return "key s= does not allow email";
	if (kr->strict && !strict_ok(s))
		return "key t=s forbids an i= subdomain";
	if (kr->k == DKIM_KEY_RSA && kr->bits < DKIM_RSA_MIN_BITS && !legacy)
		return "RSA key under 1024 bits (RFC 8301)";
	if (kr->k == DKIM_KEY_RSA && kr->bits > DKIM_RSA_MAX_BITS)
		return "RSA key over 8192 bits";
	return NULL;
}

static void
try_key(struct dkim_verify *vf, struct dkim_vresult *v,
    const struct dkim_txt *txt, size_t i, const struct dkim_buf *input)
{
	struct dkim_keytry *t = &v->tries[v->ntries++];
	const struct dkim_keyrec *kr;
	int r;

	t->res = DKIM_RES_PERMERROR;
	if ((r = dkim_keysrc_keyrec(vf->ks, txt, i, &kr, &t->reason)) != 0) {
		if (r == DKIM_ERR_ALLOC || r == DKIM_ERR_CRYPTO)
			t->res = DKIM_RES_TEMPERROR;
		return;
	}
	if ((t->reason = key_unusable(kr, &v->sig, vf->o.legacy)) != NULL)
		return;
	r = dkim_key_verify(kr->pkey, v->sig.alg, input->p, input->len,
	    v->sig.b, v->sig.bsize);
	/*
	 * r < 0 is never the signature's fault (any wrong signature is
	 * r == 0): libcrypto could not hash or set up here, out of memory
	 * or refused by the local openssl.cnf.  Another try may pass.
	 */
	t->res = r == 1 ? DKIM_RES_PASS : r == 0 ? DKIM_RES_FAIL :
	    DKIM_RES_TEMPERROR;
	t->reason = r == 1 ? NULL : r == 0 ? "signature mismatch" :
	    r == DKIM_ERR_ALLOC ? "out of memory" :
	    "libcrypto could not check the signature";
	if (!v->have_key || r == 1) {
		v->have_key = 1;
		v->ktype = kr->k;
		v->kbits = kr->bits;
		v->testing = kr->testing;
	}
	if (r == 1)
		v->sig_ok = 1;
}

/* The key step (6.1.2) and the signature over the header hash (6.1.3). */
static void
check_keys(struct dkim_verify *vf, struct dkim_vresult *v)
{
	char name[DKIM_MAX_SELECTOR + DKIM_MAX_DOMAIN + 16];
	const struct dkim_txt *txt;
	struct dkim_buf input = { NULL, 0, 0 };
	size_t i;
	int r;

	if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s",
	    v->sig.s, v->sig.d) >= sizeof(name) || strlen(name) > 255) {
		decide(v, DKIM_RES_PERMERROR, "key name too long");
		return;
	}
	r = dkim_keysrc_get(vf->ks, name, &txt);
	if (r == DKIM_ERR_DNS_PERM) {
		decide(v, DKIM_RES_PERMERROR, "no key for signature");
		return;
	}
	if (r == DKIM_ERR_DNS_TIMEOUT) {
		decide(v, DKIM_RES_TEMPERROR, "DNS timeout");
		return;
	}
	if (r != 0) {
		decide(v, DKIM_RES_TEMPERROR, r == DKIM_ERR_ALLOC ?
		    "out of memory" : "DNS failure");
		return;
	}
	v->secure = txt->secure;
	v->skipped = txt->extra + txt->nulrecs;
	if (dkim_sig_header_input(vf->msg, &v->sig, v->index, &input) != 0) {
		decide(v, DKIM_RES_TEMPERROR, "out of memory");
		return;
	}
	/* several records at the name: each is tried (6.1.2) */
	for (i = 0; i < txt->n && !v->sig_ok; i++)
		try_key(vf, v, txt, i, &input);
	dkim_buf_free(&input);
	if (v->sig_ok)
		return;
	/*
	 * A record that verified nothing but was usable makes it a "fail",
	 * decided after the body: a body hash mismatch is reported first.
	 * Otherwise the first record's reason stands.
	 */
	for (i = 0; i < v->ntries; i++)
		if (v->tries[i].res == DKIM_RES_FAIL)
			return;
	decide(v, v->ntries ? v->tries[0].res : DKIM_RES_PERMERROR,
	    v->ntries ? v->tries[0].reason : "no key for signature");
}

static void
check_sig(struct dkim_verify *vf, struct dkim_vresult *v, size_t nth)
{
	const struct dkim_hdr *h = &vf->msg->hdrs[v->index];
	const struct dkim_sig *s = &v->sig;
	const char *reason;

	v->hasher = -1;
	if (dkim_sig_parse(&v->sig, dkim_hdr_ptr(vf->msg, h), h->len,
	    &reason) == 0)
		v->parsed = 1;
	else
		v->sig.i[0] = '\0';	/* may be half decoded: no identity */
	/* past the limit: not verified, but named in the report */
	if (nth >= vf->o.max_sigs) {
		decide(v, DKIM_RES_POLICY, "too many signatures");
		return;
	}
	if (!v->parsed) {
		decide(v, DKIM_RES_PERMERROR, reason);
		return;
	}
	if (dkim_sig_check(s, &reason) != 0) {
		decide(v, DKIM_RES_PERMERROR, reason);
		return;
	}
	if (s->alg == DKIM_ALG_RSA_SHA1 && !vf->o.legacy) {
		decide(v, DKIM_RES_PERMERROR, "rsa-sha1 is not accepted "
		    "(RFC 8301)");
		return;
	}
	/* x= and t= may be as large as 2^64 - 1: no x + skew */
	if (s->has_x && s->x < vf->o.now && vf->o.now - s->x > vf->o.skew) {
		decide(v, DKIM_RES_PERMERROR, "signature expired");
		return;
	}
	if (s->has_t && s->t > vf->o.now && s->t - vf->o.now > vf->o.skew) {
		decide(v, DKIM_RES_PERMERROR, "signature in the future");
		return;
	}
	check_keys(vf, v);
	if (v->res != DKIM_RES_NONE)
		return;
	if ((v->hasher = hasher_for(vf, s)) < 0)
		decide(v, DKIM_RES_TEMPERROR,
		    "cannot hash the body (libcrypto, or out of memory)");
}

int
dkim_verify_new(struct dkim_verify **out, const struct dkim_msg *m,
    struct dkim_keysrc *ks, const struct dkim_vopts *o)
{
	struct dkim_verify *vf;
	size_t i, n = 0;

	*out = NULL;
	if ((vf = calloc(1, sizeof(*vf))) == NULL)
		return DKIM_ERR_ALLOC;
	vf->msg = m;
	vf->ks = ks;
	vf->o = *o;
	for (i = 0; i < m->nhdrs; i++)
		if (dkim_hdr_is(m, &m->hdrs[i], "DKIM-Signature", 14))
			n++;
	if (n > 0 && ((vf->r = reallocarray(NULL, n, sizeof(*vf->r))) ==
	    NULL || (vf->h = calloc(n, sizeof(*vf->h))) == NULL)) {
		free(vf->r);
		free(vf);
		return DKIM_ERR_ALLOC;
	}
	for (i = 0; i < m->nhdrs; i++) {
		if (!dkim_hdr_is(m, &m->hdrs[i], "DKIM-Signature", 14))
			continue;
		/* all but the big signature, which parsing sets up */
		memset(&vf->r[vf->n], 0, offsetof(struct dkim_vresult, sig));
		vf->r[vf->n].index = (long)i;
		check_sig(vf, &vf->r[vf->n], vf->n);
		vf->n++;
	}
	*out = vf;
	return 0;
}

int
dkim_verify_wants_body(const struct dkim_verify *vf)
{
	return vf->nh > 0;
}

void
dkim_verify_body(struct dkim_verify *vf, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < vf->nh; i++)
		dkim_body_update(vf->h[i].body, p, n);
}

int
dkim_verify_final(struct dkim_verify *vf)
{
	struct dkim_vresult *v;
	struct hasher *h;
	size_t i;

	for (i = 0; i < vf->nh; i++) {
		h = &vf->h[i];
		dkim_body_final(h->body);
		if (dkim_digest_final(h->dg, h->md, &h->mdlen) != 0)
			return DKIM_ERR_CRYPTO;
	}
	for (i = 0; i < vf->n; i++) {
		v = &vf->r[i];
		if (v->hasher < 0)
			continue;
		h = &vf->h[v->hasher];
		v->body_done = 1;
		v->bodylen = h->body->total;
		memcpy(v->bh, h->md, h->mdlen);
		v->bhlen = h->mdlen;
		v->body_ok = v->sig.bhsize == h->mdlen &&
		    dkim_ct_cmp(v->sig.bh, h->md, h->mdlen) == 0;
		if (v->sig.has_l && v->sig.l > h->body->total)
			decide(v, DKIM_RES_PERMERROR,
			    "l= is longer than the body");
		else if (!v->body_ok)
			decide(v, DKIM_RES_FAIL, "body hash mismatch");
		else if (!v->sig_ok)
			decide(v, DKIM_RES_FAIL, "signature mismatch");
		else
			decide(v, DKIM_RES_PASS, NULL);
	}
	return 0;
}

void
dkim_verify_free(struct dkim_verify *vf)
{
	size_t i;

	if (vf == NULL)
		return;
	for (i = 0; i < vf->nh; i++) {
		dkim_digest_free(vf->h[i].dg);
		free(vf->h[i].body);
	}
	free(vf->h);
	free(vf->r);
	free(vf);
}

size_t
dkim_verify_count(const struct dkim_verify *vf)
{
	return vf->n;
}

const struct dkim_vresult *
dkim_verify_result(const struct dkim_verify *vf, size_t i)
{
	return &vf->r[i];
}
