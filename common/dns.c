/*
 * dns.c: TXT lookups through libresolv, classified the way RFC 6376 3.9
 * and 6.1.2 want them: no record at the name is permanent ("no key"),
 * anything else that goes wrong is temporary.
 *
 * The resolver is a struct __res_state of our own (res_ninit), optionally
 * pointed at one server given on the command line.  Answers are parsed
 * with ns_initparse/ns_parserr; the only bytes walked by hand are the
 * length-prefixed character-strings inside a TXT RDATA (RFC 1035 3.3.14).
 *
 * What glibc's libresolv does underneath (glibc 2.36, checked against a
 * local nsd and against its res_send.c):
 *  - the first server gets retrans seconds a try, retry tries in all;
 *  - an answer with TC set is asked again over TCP (unless RES_IGNTC);
 *  - NXDOMAIN: HOST_NOT_FOUND; NOERROR without answers: NO_DATA;
 *  - ICMP port unreachable from every server: TRY_AGAIN, ECONNREFUSED;
 *  - SERVFAIL, REFUSED, NOTIMP and lame referrals make it try the next
 *    server; when none is left it fails with TRY_AGAIN and errno
 *    ETIMEDOUT at once, exactly as when nothing answered in time.  So
 *    ETIMEDOUT is a timeout only if at least one try's wait (retrans)
 *    went by; before that, some server answered with an error;
 *  - the AD bit is kept only with RES_TRUSTAD ("options trust-ad").
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim.h"

#define DNS_MSG_MAX	65535	/* largest DNS message (TCP) */
#define DNS_PORT	53
#define DNS_MAX_TIMEOUT	RES_MAXRETRANS	/* 30 s */
#define DNS_MAX_TRIES	RES_MAXRETRY	/* 5 */

struct dkim_resolver {
	struct __res_state	 res;
	unsigned char		 ans[DNS_MSG_MAX];
};

void
dkim_txt_clear(struct dkim_txt *txt)
{
	size_t i;

	if (txt == NULL)
		return;
	for (i = 0; i < txt->n; i++)
		free(txt->rec[i]);
	memset(txt, 0, sizeof(*txt));
}

int
dkim_dns_name(const char *sel, size_t sellen, const char *dom, size_t domlen,
    char *out, size_t cap)
{
	static const char mid[] = "._domainkey.";
	size_t need = sellen + sizeof(mid) - 1 + domlen;

	if (!dkim_selector_ok(sel, sellen) || !dkim_domain_ok(dom, domlen))
		return DKIM_ERR_SYNTAX;
	if (need > DKIM_MAX_NAME || need >= cap)
		return DKIM_ERR_TOOLONG;
	memcpy(out, sel, sellen);
	memcpy(out + sellen, mid, sizeof(mid) - 1);
	memcpy(out + sellen + sizeof(mid) - 1, dom, domlen);
	out[need] = '\0';
	return 0;
}

/*
 * "addr", "addr:port", "v6addr" or "[v6addr]:port" (numeric addresses
 * only, no scope ids).  *family is AF_INET or AF_INET6.
 */
static int
parse_server(const char *s, struct sockaddr_in *v4, struct sockaddr_in6 *v6,
    int *family)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL, *end, *errstr;
	long long p = DNS_PORT;
	size_t n;
	int bracket = 0;

	if (s[0] == '[') {
		bracket = 1;
		if ((end = strchr(++s, ']')) == NULL)
			return DKIM_ERR_SYNTAX;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return DKIM_ERR_SYNTAX;
		n = (size_t)(end - s);
	} else if ((end = strchr(s, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {
		port = end + 1;
		n = (size_t)(end - s);
	} else
		n = strlen(s);
	if (n == 0 || n >= sizeof(host))
		return DKIM_ERR_SYNTAX;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL) {
		p = strtonum(port, 1, 65535, &errstr);
		if (errstr != NULL)
			return DKIM_ERR_SYNTAX;
	}
	memset(v4, 0, sizeof(*v4));
	memset(v6, 0, sizeof(*v6));
	if (!bracket && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*family = AF_INET6;
		return 0;
	}
	return DKIM_ERR_SYNTAX;
}

/*
 * Replace the servers res_ninit read from resolv.conf by one.  An IPv6
 * server goes where glibc's res_ninit puts the IPv6 servers of
 * resolv.conf: nsaddr_list[i].sin_family 0 and a malloc'ed address in
 * _u._ext.nsaddrs[i], which res_nclose frees.  _u._ext.nscount 0 makes
 * res_send take its private copy of the list afresh.
 */
static int
set_server(res_state rs, const char *server)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6, *p6 = NULL;
	int family, i, r;

	if ((r = parse_server(server, &v4, &v6, &family)) != 0)
		return r;
	if (family == AF_INET6) {
		if ((p6 = malloc(sizeof(*p6))) == NULL)
			return DKIM_ERR_ALLOC;
		*p6 = v6;
	}
	for (i = 0; i < MAXNS; i++) {
		free(rs->_u._ext.nsaddrs[i]);
		rs->_u._ext.nsaddrs[i] = NULL;
		memset(&rs->nsaddr_list[i], 0, sizeof(rs->nsaddr_list[i]));
	}
	rs->_u._ext.nscount = 0;
	rs->nscount = 1;
	if (family == AF_INET)
		rs->nsaddr_list[0] = v4;
	else
		rs->_u._ext.nsaddrs[0] = p6;
	return 0;
}

int
dkim_resolver_new(struct dkim_resolver **out, const char *server,
    int timeout, int tries)
{
	struct dkim_resolver *rv;
	int r;

	*out = NULL;
	if (timeout < 0 || timeout > DNS_MAX_TIMEOUT || tries < 0 ||
	    tries > DNS_MAX_TRIES)
		return DKIM_ERR_SYNTAX;
	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return DKIM_ERR_ALLOC;
	if (res_ninit(&rv->res) == -1) {
		free(rv);
		return DKIM_ERR_DNS_TEMP;
	}
	if (server != NULL && (r = set_server(&rv->res, server)) != 0) {
		dkim_resolver_free(rv);
		return r;
	}
	/*
	 * A truncated answer must go to TCP: kept, it would look like NODATA
	 * (nsd drops every record from it) and so like "no key".
	 */
	rv->res.options &= ~(unsigned long)RES_IGNTC;
	if (timeout > 0)
		rv->res.retrans = timeout;
	if (tries > 0)
		rv->res.retry = tries;
	*out = rv;
	return 0;
}

void
dkim_resolver_free(struct dkim_resolver *rv)
{
	if (rv == NULL)
		return;
	res_nclose(&rv->res);
	free(rv);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* res_nquery failed after elapsed seconds: why? */
static int
classify(const struct __res_state *rs, const unsigned char *ans, int e,
    double elapsed)
{
	switch (rs->res_h_errno) {
	case HOST_NOT_FOUND:	/* NXDOMAIN */
	case NO_DATA:		/* the name exists, no TXT there */
		/*
		 * Unless the answer was cut short (TC) even over TCP: then
		 * we do not know what is there.  res_nquery leaves the
		 * answer it judged in the buffer.
		 */
		if (ans[2] & 0x02)
			return DKIM_ERR_DNS_TEMP;
		return DKIM_ERR_DNS_PERM;
	case TRY_AGAIN:		/* SERVFAIL, REFUSED, nothing in time */
		/*
		 * A try that waited out its time, give or take: glibc ends
		 * a wait resumed after a stray answer on whole milliseconds,
		 * a little short.  Errors come back in milliseconds.
		 */
		return e == ETIMEDOUT && elapsed >= 0.9 * rs->retrans ?
		    DKIM_ERR_DNS_TIMEOUT : DKIM_ERR_DNS_TEMP;
	default:		/* NO_RECOVERY (FORMERR...), NETDB_INTERNAL */
		return DKIM_ERR_DNS_TEMP;
	}
}

int
dkim_dns_txt(struct dkim_resolver *rv, const char *name, struct dkim_txt *txt)
{
	size_t n = strlen(name);
	double start;
	int len;

	memset(txt, 0, sizeof(*txt));
	if (n == 0 || n > DKIM_MAX_NAME)
		return DKIM_ERR_DNS_PERM;	/* cannot exist */
	errno = 0;
	rv->res.res_h_errno = 0;
	memset(rv->ans, 0, NS_HFIXEDSZ);	/* no stale TC bit */
	start = now();
	len = res_nquery(&rv->res, name, ns_c_in, ns_t_txt, rv->ans,
	    sizeof(rv->ans));
	if (len < 0)
		return classify(&rv->res, rv->ans, errno, now() - start);
	/* res_nquery returns the full length of an answer it cut short */
	if ((size_t)len > sizeof(rv->ans))
		return DKIM_ERR_DNS_TEMP;
	return dkim_dns_parse(rv->ans, (size_t)len, txt);
}

/*
 * Join the character-strings of one TXT RDATA (RFC 6376 3.6.2.2).  A NUL
 * byte inside makes the record unusable as a C string: *nul is set.
 */
static int
join_strings(const unsigned char *p, size_t n, char **out, size_t *outlen,
    int *nul)
{
	size_t i = 0, o = 0, l;
	char *s;

	*out = NULL;
	*nul = 0;
	/* the joined text is shorter than the RDATA: n bytes are enough */
	if ((s = malloc(n + 1)) == NULL)
		return DKIM_ERR_ALLOC;
	while (i < n) {
		l = p[i++];
		if (l > n - i) {
			free(s);
			return DKIM_ERR_DNS_TEMP;	/* malformed */
		}
		if (memchr(p + i, '\0', l) != NULL)
			*nul = 1;
		memcpy(s + o, p + i, l);
		o += l;
		i += l;
	}
	if (o > DKIM_MAX_TXT) {
		free(s);
		return DKIM_ERR_DNS_TEMP;
	}
	s[o] = '\0';
	*out = s;
	*outlen = o;
	return 0;
}

static int
rcode_error(int rcode)
{
	switch (rcode) {
	case ns_r_noerror:
		return 0;
	case ns_r_nxdomain:
		return DKIM_ERR_DNS_PERM;
	default:		/* SERVFAIL, REFUSED, FORMERR, NOTIMP ... */
		return DKIM_ERR_DNS_TEMP;
	}
}

int
dkim_dns_parse(const unsigned char *msg, size_t len, struct dkim_txt *txt)
{
	ns_msg h;
	ns_rr rr;
	char *rec;
	size_t reclen;
	int i, nan, nul, r;

	memset(txt, 0, sizeof(*txt));
	if (len > DNS_MSG_MAX || ns_initparse(msg, (int)len, &h) == -1)
		return DKIM_ERR_DNS_TEMP;
	if (ns_msg_getflag(h, ns_f_tc))
		return DKIM_ERR_DNS_TEMP;
	if ((r = rcode_error(ns_msg_getflag(h, ns_f_rcode))) != 0)
		return r;
	txt->secure = ns_msg_getflag(h, ns_f_ad);
	nan = ns_msg_count(h, ns_s_an);
	/* TXT records anywhere in the answer: a CNAME chain's end too */
	for (i = 0; i < nan; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) == -1) {
			r = DKIM_ERR_DNS_TEMP;
			goto fail;
		}
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue;
		if ((r = join_strings(ns_rr_rdata(rr), ns_rr_rdlen(rr), &rec,
		    &reclen, &nul)) != 0)
			goto fail;
		if (nul || txt->n == DKIM_MAX_TXTRECS) {
			free(rec);
			if (nul)
				txt->nulrecs++;
			else
				txt->extra++;
			continue;
		}
		txt->rec[txt->n] = rec;
		txt->len[txt->n++] = reclen;
	}
	if (txt->n == 0) {
		/* nothing usable: "no key", saying why */
		reclen = txt->nulrecs;
		dkim_txt_clear(txt);
		txt->nulrecs = reclen;
		return DKIM_ERR_DNS_PERM;
	}
	return 0;
fail:
	dkim_txt_clear(txt);
	return r;
}
