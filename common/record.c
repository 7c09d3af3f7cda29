/*
 * record.c: the text of a key record (RFC 6376 3.6.1, RFC 8463 4) for a
 * key, and the forms it is published in: zone-file lines (one line, or
 * BIND style in parentheses), tinydns-data, nsupdate, JSON.
 *
 * A TXT character-string holds at most 255 bytes (RFC 1035 3.3); a longer
 * record is several strings that verifiers join (RFC 6376 3.6.2.2).  The
 * first string ends where p= starts, so the tags stay readable:
 *   "v=DKIM1; k=rsa; " "p=MIIBIjANBg...(253 bytes)" "...rest of p="
 */
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

static const char *const fmtnames[] = {
	[DKIM_FMT_ZONE] = "zone",
	[DKIM_FMT_BIND] = "bind",
	[DKIM_FMT_VALUE] = "value",
	[DKIM_FMT_TINYDNS] = "tinydns",
	[DKIM_FMT_NSUPDATE] = "nsupdate",
	[DKIM_FMT_JSON] = "json",
};

#define NFMTS	(sizeof(fmtnames) / sizeof(fmtnames[0]))

int
dkim_recfmt_parse(const char *s, enum dkim_recfmt *f)
{
	size_t i;

	for (i = 0; i < NFMTS; i++) {
		if (strcmp(s, fmtnames[i]) == 0) {
			*f = (enum dkim_recfmt)i;
			return 0;
		}
	}
	return DKIM_ERR_SYNTAX;
}

/*
 * RFC 6376 2.11: dkim-safe-char, anything else is =XX; so are " and \,
 * which would need escapes in every zone-file format.
 */
static int
qp_safe(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=' && c != '"' &&
	    c != '\\';
}

static int
put_qp(struct dkim_buf *b, const char *s, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (qp_safe((unsigned char)s[i]))
			r = dkim_buf_putc(b, s[i]);
		else
			r = dkim_buf_printf(b, "=%02X", (unsigned char)s[i]);
	}
	return r;
}

/* The tags before p=; no k= for a revoked key (kname NULL). */
static int
put_tags(struct dkim_buf *b, const char *kname, unsigned flags,
    const char *note, size_t notelen)
{
	int r;

	if ((r = dkim_buf_printf(b, "v=DKIM1; ")) != 0)
		return r;
	if (kname != NULL && (r = dkim_buf_printf(b, "k=%s; ", kname)) != 0)
		return r;
	if ((flags & DKIM_REC_SHA256) &&
	    (r = dkim_buf_printf(b, "h=sha256; ")) != 0)
		return r;
	if (flags & (DKIM_REC_TESTING | DKIM_REC_STRICT)) {
		r = dkim_buf_printf(b, "t=%s%s%s; ",
		    flags & DKIM_REC_TESTING ? "y" : "",
		    (flags & DKIM_REC_TESTING) && (flags & DKIM_REC_STRICT) ?
		    ":" : "", flags & DKIM_REC_STRICT ? "s" : "");
		if (r != 0)
			return r;
	}
	if (note != NULL) {
		if ((r = dkim_buf_printf(b, "n=")) != 0 ||
		    (r = put_qp(b, note, notelen)) != 0 ||
		    (r = dkim_buf_printf(b, "; ")) != 0)
			return r;
	}
	return 0;
}

int
dkim_record_value(const struct evp_pkey_st *key, unsigned flags,
    const char *note, size_t notelen, struct dkim_buf *out)
{
	enum dkim_keytype t;
	size_t start = out->len;
	char *p = NULL;
	int r;

	if (dkim_key_type(key, &t) != 0)
		return DKIM_ERR_KEY;
	if (note != NULL && notelen > DKIM_MAX_NOTE)
		return DKIM_ERR_TOOLONG;
	if ((r = dkim_key_p(key, &p)) != 0)
		return r;
	if ((r = put_tags(out, dkim_keytype_name(t), flags, note,
	    notelen)) != 0 ||
	    (r = dkim_buf_printf(out, "p=%s", p)) != 0)
		goto out;
	if (out->len - start > DKIM_MAX_TXT)
		r = DKIM_ERR_TOOLONG;
out:
	free(p);
	if (r != 0)
		out->len = start;
	return r;
}

int
dkim_record_revoked(unsigned flags, const char *note, size_t notelen,
    struct dkim_buf *out)
{
	size_t start = out->len;
	int r;

	if (note != NULL && notelen > DKIM_MAX_NOTE)
		return DKIM_ERR_TOOLONG;
	if ((r = put_tags(out, NULL, flags, note, notelen)) != 0 ||
	    (r = dkim_buf_printf(out, "p=")) != 0)
		out->len = start;
	return r;
}

/* Where the p= tag starts, 0 when it is first or absent. */
static size_t
p_start(const char *v, size_t len)
{
	size_t i, at = 0;

	for (i = 0; i + 1 < len; i++) {
		if (v[i] != ';')
			continue;
		while (i + 1 < len && (v[i + 1] == ' ' || v[i + 1] == '\t'))
			i++;
		if (i + 2 < len && v[i + 1] == 'p' && v[i + 2] == '=')
			at = i + 1;
	}
	return at;
}

/* Length of the character-string starting at off. */
static size_t
piece(size_t len, size_t pstart, size_t off)
{
	size_t end = off < pstart ? pstart : len;

	return end - off > DKIM_TXT_STRING ? DKIM_TXT_STRING : end - off;
}

/* A zone-file <character-string>: quoted, \X and \DDD escapes. */
static int
put_zone_string(struct dkim_buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned char c;
	int r;

	if ((r = dkim_buf_putc(b, '"')) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			r = dkim_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			r = dkim_buf_printf(b, "\\%03u", c);
		else
			r = dkim_buf_putc(b, c);
	}
	return r ? r : dkim_buf_putc(b, '"');
}

/* tinydns-data: ':' separates fields, \ooo octal escapes anything odd. */
static int
put_tinydns(struct dkim_buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned char c;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c > 0x7e || c == ':' || c == '\\')
			r = dkim_buf_printf(b, "\\%03o", c);
		else
			r = dkim_buf_putc(b, c);
	}
	return r;
}

/*
 * The value as character-strings, each passed to put and separated by
 * sep (the first one preceded by it too when lead is set).
 */
static int
put_strings(struct dkim_buf *b, const char *v, size_t len, const char *sep,
    int lead, int (*put)(struct dkim_buf *, const char *, size_t))
{
	size_t off = 0, n, ps = p_start(v, len);
	int r;

	/* an empty value is one empty string */
	do {
		n = piece(len, ps, off);
		if ((off > 0 || lead) && (r = dkim_buf_printf(b, "%s", sep)))
			return r;
		if ((r = put(b, v + off, n)) != 0)
			return r;
		off += n;
	} while (off < len);
	return 0;
}

static int
format(enum dkim_recfmt fmt, const char *name, uint32_t ttl, const char *v,
    size_t len, struct dkim_buf *b)
{
	int r;

	switch (fmt) {
	case DKIM_FMT_ZONE:
		if ((r = dkim_buf_printf(b, "%s. %u IN TXT", name, ttl)) ||
		    (r = put_strings(b, v, len, " ", 1, put_zone_string)))
			return r;
		return dkim_buf_putc(b, '\n');
	case DKIM_FMT_BIND:
		if ((r = dkim_buf_printf(b, "%s. %u IN TXT (", name, ttl)) ||
		    (r = put_strings(b, v, len, "\n\t", 1, put_zone_string)))
			return r;
		return dkim_buf_printf(b, " )\n");
	case DKIM_FMT_VALUE:
		if ((r = dkim_buf_append(b, v, len)) != 0)
			return r;
		return dkim_buf_putc(b, '\n');
	case DKIM_FMT_TINYDNS:
		if ((r = dkim_buf_printf(b, "'%s:", name)) ||
		    (r = put_tinydns(b, v, len)))
			return r;
		return dkim_buf_printf(b, ":%u\n", ttl);
	case DKIM_FMT_NSUPDATE:
		/* replace, never add a second record beside the old one */
		if ((r = dkim_buf_printf(b, "update delete %s. TXT\n"
		    "update add %s. %u IN TXT", name, name, ttl)) ||
		    (r = put_strings(b, v, len, " ", 1, put_zone_string)))
			return r;
		return dkim_buf_printf(b, "\nsend\n");
	case DKIM_FMT_JSON:
		if ((r = dkim_buf_printf(b, "{\"name\": ")) ||
		    (r = dkim_json_str(b, name, strlen(name))) ||
		    (r = dkim_buf_printf(b, ", \"type\": \"TXT\", "
		    "\"ttl\": %u, \"value\": ", ttl)) ||
		    (r = dkim_json_str(b, v, len)) ||
		    (r = dkim_buf_printf(b, ", \"strings\": [")) ||
		    (r = put_strings(b, v, len, ", ", 0, dkim_json_str)))
			return r;
		return dkim_buf_printf(b, "]}\n");
	}
	return DKIM_ERR_SYNTAX;
}

int
dkim_record_format(enum dkim_recfmt fmt, const char *name, uint32_t ttl,
    const char *value, size_t len, struct dkim_buf *out)
{
	size_t start = out->len;
	int r;

	if (!dkim_selector_ok(name, strlen(name)))
		return DKIM_ERR_SYNTAX;
	if (len > DKIM_MAX_TXT)
		return DKIM_ERR_TOOLONG;
	if ((r = format(fmt, name, ttl, value, len, out)) != 0)
		out->len = start;
	return r;
}
