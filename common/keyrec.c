/*
 * keyrec.c: DKIM key records (RFC 6376 3.6.1, RFC 8463 4):
 *   v=DKIM1 (first, if present)  h= hash list  k= rsa|ed25519
 *   n= notes  p= public key (empty: revoked)  s= * or email  t= y, s
 */
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Walk a colon-separated list (h=, s=, t=), calling fn for each trimmed
 * element; fn returns nonzero to note a match.  Returns whether any did.
 */
static int
each(const char *v, size_t n, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	size_t i = 0, s, e;
	int any = 0;

	while (i <= n) {
		s = i;
		while (i < n && v[i] != ':')
			i++;
		e = i;
		while (s < e && is_fws((unsigned char)v[s]))
			s++;
		while (e > s && is_fws((unsigned char)v[e - 1]))
			e--;
		if (fn(v + s, e - s, arg))
			any = 1;
		i++;
	}
	return any;
}

static int
eqs(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static int
h_item(const char *s, size_t n, void *arg)
{
	unsigned *hashes = arg;

	if (eqs(s, n, "sha256"))
		*hashes |= 1u << DKIM_HASH_SHA256;
	else if (eqs(s, n, "sha1"))
		*hashes |= 1u << DKIM_HASH_SHA1;
	return 0;	/* unknown hash names are ignored */
}

static int
s_item(const char *s, size_t n, void *arg)
{
	(void)arg;
	return eqs(s, n, "*") || eqs(s, n, "email");
}

static int
t_item(const char *s, size_t n, void *arg)
{
	struct dkim_keyrec *kr = arg;

	if (eqs(s, n, "y"))
		kr->testing = 1;
	else if (eqs(s, n, "s"))
		kr->strict = 1;
	return 0;
}

void
dkim_keyrec_clear(struct dkim_keyrec *kr)
{
	if (kr == NULL)
		return;
	dkim_key_free(kr->pkey);
	memset(kr, 0, sizeof(*kr));
}

#define BAD(msg) do { *reason = (msg); r = DKIM_ERR_KEY; goto out; } while (0)

int
dkim_keyrec_parse(struct dkim_keyrec *kr, const char *txt, size_t len,
    const char **reason)
{
	struct dkim_taglist tl;
	const struct dkim_tag *t, *p;
	unsigned char *der = NULL;
	size_t derlen = 0;
	int r;

	memset(kr, 0, sizeof(*kr));
	kr->k = DKIM_KEY_RSA;
	kr->hashes = (1u << DKIM_HASH_SHA1) | (1u << DKIM_HASH_SHA256);
	kr->email = 1;
	*reason = NULL;
	if (dkim_taglist_parse(&tl, txt, len, NULL) != 0) {
		*reason = "key record syntax error";
		return DKIM_ERR_SYNTAX;
	}
	if ((t = dkim_taglist_get(&tl, "v")) != NULL) {
		kr->v_present = 1;
		if (t != &tl.tags[0])
			BAD("key record v= is not the first tag");
		if (!eqs(t->val, t->vallen, "DKIM1"))
			BAD("key record v= is not DKIM1");
	}
	if ((t = dkim_taglist_get(&tl, "k")) != NULL) {
		kr->k_given = 1;
		if (eqs(t->val, t->vallen, "rsa"))
			kr->k = DKIM_KEY_RSA;
		else if (eqs(t->val, t->vallen, "ed25519"))
			kr->k = DKIM_KEY_ED25519;
		else
			BAD("unknown key type k=");
	}
	if ((t = dkim_taglist_get(&tl, "h")) != NULL) {
		kr->h_given = 1;
		kr->hashes = 0;
		each(t->val, t->vallen, h_item, &kr->hashes);
	}
	if ((t = dkim_taglist_get(&tl, "s")) != NULL)
		kr->email = each(t->val, t->vallen, s_item, NULL);
	if ((t = dkim_taglist_get(&tl, "t")) != NULL)
		each(t->val, t->vallen, t_item, kr);
	if ((t = dkim_taglist_get(&tl, "n")) != NULL) {
		kr->n = t->val;
		kr->nlen = t->vallen;
	}
	if ((p = dkim_taglist_get(&tl, "p")) == NULL)
		BAD("key record has no p= tag");
	if (p->vallen == 0) {
		kr->revoked = 1;
		return 0;
	}
	if ((der = malloc(p->vallen)) == NULL) {
		*reason = "out of memory";
		r = DKIM_ERR_ALLOC;
		goto out;
	}
	if (dkim_b64_decode(p->val, p->vallen, der, p->vallen, &derlen) != 0)
		BAD("key record p= is not base64");
	if (derlen == 0) {
		kr->revoked = 1;
		r = 0;
		goto out;
	}
	if ((r = dkim_key_from_p(kr->k, der, derlen, &kr->pkey)) ==
	    DKIM_ERR_CRYPTO) {
		*reason = "libcrypto cannot load the key here";
		goto out;
	}
	if (r != 0)
		BAD(kr->k == DKIM_KEY_ED25519 ?
		    "key record p= is not a raw Ed25519 key" :
		    "key record p= is not an RSA public key");
	kr->bits = dkim_key_bits(kr->pkey);
	r = 0;
out:
	free(der);
	return r;
}
