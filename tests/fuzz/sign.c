/*
 * sign.c: signing any message, then verifying what was signed.
 *
 * The input is a message.  It is signed as dkim-sign would sign it (the
 * default field list, From over-signed, options chosen from the input:
 * c=, l=, x=, z=, i=, LF or CRLF) with the fixed Ed25519 key, or for one
 * input in sixteen the RSA-2048 key; the new field is put on top and the
 * result verified with the matching key records.  Checked: the new
 * signature passes, and its field has no line over 78 columns and no
 * line break that is not FWS.
 */
#include "fuzz.h"
#include "keys.h"

#define T0	1699999000

static const char rsa_pem[] = KEY_RSA_PEM;
static const char ed_pem[] = KEY_ED25519_PEM;
static struct evp_pkey_st *rsa, *ed;

static const char *const over[] = { "From", "Subject", "To" };

static void
load_keys(void)
{
	if (rsa != NULL)
		return;
	CHECK(dkim_key_private(rsa_pem, sizeof(rsa_pem) - 1, &rsa) == 0 &&
	    dkim_key_private(ed_pem, sizeof(ed_pem) - 1, &ed) == 0,
	    "cannot load the fixed keys");
}

/* Line lengths and folding of the new field (name to final line end). */
static void
check_folding(const unsigned char *f, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (f[i] == '\r' && i + 1 < n && f[i + 1] == '\n')
			continue;
		if (f[i] == '\n') {
			CHECK(i + 1 == n || f[i + 1] == '\t' || f[i + 1] == ' ',
			    "sign: a line break that is not FWS");
			col = 0;
			continue;
		}
		CHECK(f[i] != '\r' && f[i] != '\0', "sign: CR or NUL in the field");
		col += f[i] == '\t' ? 8 - col % 8 : 1;
		CHECK(col <= 78 || i < 15, "sign: a line over 78 columns");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_body b;
	struct dkim_signopts o;
	struct dkim_buf field = { NULL, 0, 0 }, msg2 = { NULL, 0, 0 };
	struct dkim_msg *m, *m2;
	struct dkim_digest *dg;
	struct dkim_keysrc *ks;
	struct dkim_verify *vf;
	const struct dkim_vresult *v;
	struct dkim_vopts vo;
	const char **h = NULL;
	size_t *hl = NULL, nh = 0, off, bhlen, nover, ndef, start;
	unsigned char bh[DKIM_HASH_MAX];
	struct rng rg;
	int r, use_rsa;

	load_keys();
	rng_seed(&rg, data, size, 0);
	CHECK((m = dkim_msg_new()) != NULL && (m2 = dkim_msg_new()) != NULL,
	    "out of memory");
	if (dkim_msg_parse(m, data, size) != 0)
		goto out;
	start = m->mbox_from.len;
	off = start + m->hbuf.len + (m->has_sep ? (m->sep_crlf ? 2 : 1) : 0);

	memset(&o, 0, sizeof(o));
	o.hc = (enum dkim_canon)(rng_next(&rg) % 2);
	o.bc = (enum dkim_canon)(rng_next(&rg) % 2);
	o.d = "example.com";
	use_rsa = rng_next(&rg) % 16 == 0;
	o.s = use_rsa ? "rsa" : "ed";
	o.i = rng_next(&rg) % 4 == 0 ? "joe+x=y;z|w@mail.example.com" : NULL;
	nover = (size_t)rng_range(&rg, 1, 3);
	for (ndef = 0; dkim_sign_default_headers[ndef] != NULL; ndef++)
		;
	if (dkim_sign_hlist(m, dkim_sign_default_headers, ndef, over, nover,
	    &h, &hl, &nh) != 0)
		goto out;	/* too many fields to sign */
	o.h = h;
	o.hlen = hl;
	o.nh = nh;
	o.use_t = 1;
	o.t = T0;
	o.use_x = rng_next(&rg) % 2;
	o.x = T0 + 86400 * 365;
	o.use_z = rng_next(&rg) % 4 == 0;
	o.crlf = m->crlf;

	CHECK((dg = dkim_digest_new(DKIM_HASH_SHA256)) != NULL,
	    "out of memory");
	dkim_body_init(&b, o.bc, UINT64_MAX, dkim_digest_update, dg);
	dkim_body_update(&b, data + off, size - off);
	dkim_body_final(&b);
	CHECK(dkim_digest_final(dg, bh, &bhlen) == 0, "digest failed");
	dkim_digest_free(dg);
	if ((o.use_l = rng_next(&rg) % 4 == 0))
		o.l = b.total;

	r = dkim_sign(m, &o, bh, bhlen, use_rsa ? rsa : ed, &field);
	CHECK(r == 0, "sign: dkim_sign failed on a message that parsed");
	CHECK(field.len > 15 && memcmp(field.p, "DKIM-Signature:", 15) == 0,
	    "sign: not a DKIM-Signature field");
	check_folding(field.p, field.len);

	/* the new field on top, as dkim-sign writes the message */
	put(&msg2, field.p, field.len);
	put(&msg2, data + start, size - start);
	r = dkim_msg_parse(m2, msg2.p, msg2.len);
	if (r == DKIM_ERR_HDR_COUNT || r == DKIM_ERR_HDR_SIZE)
		goto out;	/* one field too many now */
	CHECK(r == 0, "sign: the signed message does not parse");

	CHECK((ks = dkim_keysrc_new(NULL, NULL)) != NULL, "out of memory");
	CHECK(dkim_keysrc_add(ks, "rsa._domainkey.example.com",
	    "v=DKIM1; k=rsa; p=" P_RSA, strlen("v=DKIM1; k=rsa; p=" P_RSA))
	    == 0 && dkim_keysrc_add(ks, "ed._domainkey.example.com",
	    "v=DKIM1; k=ed25519; p=" P_ED25519,
	    strlen("v=DKIM1; k=ed25519; p=" P_ED25519)) == 0,
	    "keysrc_add failed");
	memset(&vo, 0, sizeof(vo));
	vo.now = T0 + 60;
	vo.skew = DKIM_DEFAULT_SKEW;
	vo.max_sigs = 1;	/* ours is the first */
	CHECK(dkim_verify_new(&vf, m2, ks, &vo) == 0, "verify_new failed");
	off = field.len + (off - start);
	dkim_verify_body(vf, msg2.p + off, msg2.len - off);
	CHECK(dkim_verify_final(vf) == 0, "verify_final failed");
	CHECK(dkim_verify_count(vf) >= 1, "verify: no signature found");
	v = dkim_verify_result(vf, 0);
	if (v->res != DKIM_RES_PASS)
		fprintf(stderr, "sign: %s (%s)\n", dkim_result_name(v->res),
		    v->reason ? v->reason : "");
	CHECK(v->index == 0 && v->res == DKIM_RES_PASS,
	    "sign: what was signed does not verify");
	dkim_verify_free(vf);
	dkim_keysrc_free(ks);
out:
	free(h);
	free(hl);
	dkim_buf_free(&field);
	dkim_buf_free(&msg2);
	dkim_msg_free(m);
	dkim_msg_free(m2);
	return 0;
}
