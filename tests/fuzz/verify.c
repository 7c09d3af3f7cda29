/*
 * verify.c: the whole verification path with fixed keys.
 *
 * The input is a message.  Its header goes to dkim_verify_new() with a
 * key source that serves fixed records (keys/: an RSA-2048 and an
 * Ed25519 key; the RFC 8463 records; a revoked, a broken and a test-mode
 * record); the body follows in chunks chosen from the input, then
 * dkim_verify_final().  Checked: one result per DKIM-Signature field,
 * each decided, pass exactly when both hashes matched and there is no
 * reason; dkim_ar_resinfo() never contains a control byte (CR, LF, ...)
 * and dkim_json_str() always makes valid JSON.
 */
#include "fuzz.h"
#include "keys.h"

#define NOW	1700000000	/* 2023-11-14, after every seed's t= */

static const struct {
	const char	*name;
	const char	*rec;
} recs[] = {
	{ "rsa._domainkey.example.com", "v=DKIM1; k=rsa; p=" P_RSA },
	{ "ed._domainkey.example.com", "v=DKIM1; k=ed25519; p=" P_ED25519 },
	{ "both._domainkey.example.com", "v=DKIM1; k=ed25519; p=" P_ED25519 },
	{ "both._domainkey.example.com", "v=DKIM1; k=rsa; p=" P_RSA },
	{ "testing._domainkey.example.com",
	    "v=DKIM1; h=sha256; t=y:s; s=email; n=a=20note; k=rsa; p=" P_RSA },
	{ "revoked._domainkey.example.com", "v=DKIM1; k=rsa; p=" },
	{ "broken._domainkey.example.com", "v=DKIM1; k=rsa; p=MIIBIjAN" },
	{ "sha1._domainkey.example.com", "v=DKIM1; h=sha1; p=" P_RSA },
	{ "brisbane._domainkey.football.example.com",
	    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "test._domainkey.football.example.com",
	    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoB"
	    "TzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W9"
	    "1y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZy"
	    "VYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" },
};

static void
check_result(const struct dkim_vresult *v, const struct dkim_msg *m)
{
	struct dkim_buf b = { NULL, 0, 0 };
	size_t i;

	CHECK(v->index >= 0 && (size_t)v->index < m->nhdrs &&
	    dkim_hdr_is(m, &m->hdrs[v->index], "DKIM-Signature", 14),
	    "verify: result for a field that is no signature");
	CHECK(v->res > DKIM_RES_NONE && v->res <= DKIM_RES_PERMERROR,
	    "verify: a signature left undecided");
	CHECK((v->res == DKIM_RES_PASS) == (v->reason == NULL),
	    "verify: a reason with pass, or none without");
	if (v->res == DKIM_RES_PASS)
		CHECK(v->parsed && v->sig_ok && v->body_done && v->body_ok &&
		    v->have_key, "verify: pass without both hashes checked");
	if (v->body_done)
		CHECK(v->bhlen == dkim_hash_len(dkim_alg_hash(v->sig.alg)),
		    "verify: body hash length");
	CHECK(v->ntries <= DKIM_MAX_TXTRECS, "verify: key tries");
	/* time checks against NOW and the default skew */
	if (v->reason != NULL && strcmp(v->reason, "signature expired") == 0)
		CHECK(v->sig.has_x && v->sig.x < NOW - DKIM_DEFAULT_SKEW,
		    "verify: expired, yet x= is not in the past");
	if (v->reason != NULL &&
	    strcmp(v->reason, "signature in the future") == 0)
		CHECK(v->sig.has_t && v->sig.t > NOW + DKIM_DEFAULT_SKEW,
		    "verify: in the future, yet t= is not");
	CHECK(dkim_ar_resinfo(v, &b) == 0, "resinfo failed");
	CHECK(b.len > 5 && memcmp(b.p, "dkim=", 5) == 0, "resinfo prefix");
	for (i = 0; i < b.len; i++)
		CHECK(b.p[i] >= 0x20 && b.p[i] != 0x7f,
		    "resinfo has a control byte");
	check_json((const char *)b.p, b.len);
	if (v->reason != NULL)
		check_json(v->reason, strlen(v->reason));
	if (v->parsed) {
		check_json(v->sig.d, strlen(v->sig.d));
		check_json(v->sig.i, strlen(v->sig.i));
		if (v->sig.z != NULL)
			check_json(v->sig.z, v->sig.zlen);
	}
	dkim_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_vopts o;
	struct dkim_keysrc *ks;
	struct dkim_verify *vf;
	struct dkim_msg *m;
	struct rng rg;
	size_t i, off, k, nsig = 0, wants = 0;
	char dom[DKIM_MAX_DOMAIN + 1];

	rng_seed(&rg, data, size, 0);
	CHECK((m = dkim_msg_new()) != NULL, "out of memory");
	if (dkim_msg_parse(m, data, size) != 0) {
		dkim_msg_free(m);
		return 0;
	}
	off = m->mbox_from.len + m->hbuf.len +
	    (m->has_sep ? (m->sep_crlf ? 2 : 1) : 0);
	CHECK(off <= size, "header longer than the input");
	(void)dkim_from_domain(m, dom, sizeof(dom));

	CHECK((ks = dkim_keysrc_new(NULL, NULL)) != NULL, "out of memory");
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		CHECK(dkim_keysrc_add(ks, recs[i].name, recs[i].rec,
		    strlen(recs[i].rec)) == 0, "keysrc_add failed");
	memset(&o, 0, sizeof(o));
	o.now = NOW;
	o.skew = DKIM_DEFAULT_SKEW;
	o.max_sigs = rng_next(&rg) % 8 ? DKIM_DEFAULT_MAXSIGS : 1;
	o.legacy = rng_next(&rg) % 4 == 0;
	CHECK(dkim_verify_new(&vf, m, ks, &o) == 0, "verify_new failed");

	while (off < size) {
		k = rng_chunk(&rg, size - off);
		dkim_verify_body(vf, data + off, k);
		off += k;
	}
	CHECK(dkim_verify_final(vf) == 0, "verify_final failed");

	for (i = 0; i < m->nhdrs; i++)
		nsig += dkim_hdr_is(m, &m->hdrs[i], "DKIM-Signature", 14);
	CHECK(dkim_verify_count(vf) == nsig, "verify: result count");
	for (i = 0; i < dkim_verify_count(vf); i++) {
		check_result(dkim_verify_result(vf, i), m);
		wants += dkim_verify_result(vf, i)->hasher >= 0;
	}
	CHECK(!dkim_verify_wants_body(vf) == !wants,
	    "verify: wants_body is wrong");
	dkim_verify_free(vf);
	dkim_keysrc_free(ks);
	dkim_msg_free(m);
	return 0;
}
