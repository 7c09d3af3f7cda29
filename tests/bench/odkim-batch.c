/*
 * odkim-batch -- verify many messages with libopendkim in one process,
 * with the key records from a table, for the batch benchmark.
 *
 *	odkim-batch dns.txt message ...
 *
 * dns.txt is a testdata/vectors key table ('<name> TXT "<value>"').
 * libopendkim asks for keys through our dkim_dns_set_query_* callbacks;
 * the DNS reply for each name is built once and then copied, so no time
 * goes to the network or to re-reading the table: the library's own
 * work (parse, canonicalise, hash, parse the key record, verify) is what
 * is measured.  Messages must be CRLF (as on the wire); each is read
 * whole and handed to dkim_chunk() at once.
 *
 * Prints "passed total" and exits 0 when every message had one passing
 * signature, 1 when not, 2 on errors.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <err.h>
#include <fcntl.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#define MAXNAMES	16
#define REPLY_MAX	8192

struct ent {
	char		*name;		/* lower case, no final dot */
	char		*value;
	size_t		 vlen;
	unsigned char	*reply;		/* built on first use */
	size_t		 rlen;
};

static struct ent ents[MAXNAMES];
static size_t nents;
static struct __res_state res;

struct query {
	int	status;
	size_t	len;
};

static void
lower(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
load_table(const char *path)
{
	char *line = NULL, *name, *kind, *q1, *q2;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		err(2, "%s", path);
	while ((n = getline(&line, &cap, fp)) != -1) {
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
			continue;
		name = strtok(line, " \t");
		kind = strtok(NULL, " \t");
		if (name == NULL || kind == NULL || strcasecmp(kind, "TXT"))
			continue;
		q1 = strchr(kind + strlen(kind) + 1, '"');
		q2 = strrchr(kind + strlen(kind) + 1, '"');
		if (q1 == NULL || q2 == q1 || nents == MAXNAMES)
			errx(2, "%s: bad line", path);
		ents[nents].name = strdup(name);
		ents[nents].vlen = (size_t)(q2 - q1 - 1);
		ents[nents].value = strndup(q1 + 1, ents[nents].vlen);
		if (ents[nents].name == NULL || ents[nents].value == NULL)
			err(2, "strdup");
		lower(ents[nents].name);
		nents++;
	}
	free(line);
	fclose(fp);
}

/* The reply a server would give: the question, one TXT answer. */
static int
build_reply(const char *qname, struct ent *e)
{
	unsigned char buf[REPLY_MAX], *p, *rdlen;
	size_t off = 0, chunk, rd;
	HEADER *h;
	int n;

	n = res_nmkquery(&res, QUERY, qname, C_IN, T_TXT, NULL, 0, NULL,
	    buf, sizeof(buf));
	if (n < 0 || (size_t)n + 12 + e->vlen + e->vlen / 255 + 1 >
	    sizeof(buf))
		return -1;
	h = (HEADER *)buf;
	h->qr = 1;
	h->aa = 1;
	h->ra = 1;
	p = buf + n;
	*p++ = 0xc0;
	*p++ = HFIXEDSZ;
	*p++ = 0; *p++ = T_TXT;
	*p++ = 0; *p++ = C_IN;
	*p++ = 0; *p++ = 0; *p++ = 1; *p++ = 44;
	rdlen = p;
	p += 2;
	do {
		chunk = e->vlen - off > 255 ? 255 : e->vlen - off;
		*p++ = (unsigned char)chunk;
		memcpy(p, e->value + off, chunk);
		p += chunk;
		off += chunk;
	} while (off < e->vlen);
	rd = (size_t)(p - rdlen - 2);
	rdlen[0] = (unsigned char)(rd >> 8);
	rdlen[1] = (unsigned char)rd;
	h->ancount = htons(1);
	e->rlen = (size_t)(p - buf);
	if ((e->reply = malloc(e->rlen)) == NULL)
		return -1;
	memcpy(e->reply, buf, e->rlen);
	return 0;
}

static int
dns_start(void *srv, int type, unsigned char *qname, unsigned char *buf,
    size_t buflen, void **qhp)
{
	static struct query q;
	char key[NS_MAXDNAME + 1];
	size_t i;

	(void)srv;
	q.status = DKIM_DNS_ERROR;
	q.len = 0;
	*qhp = &q;
	if (type != T_TXT || strlen((char *)qname) >= sizeof(key))
		return 0;
	strcpy(key, (char *)qname);
	lower(key);
	for (i = 0; i < nents; i++) {
		if (strcmp(ents[i].name, key) != 0)
			continue;
		if (ents[i].reply == NULL &&
		    build_reply((char *)qname, &ents[i]) != 0)
			return 0;
		if (ents[i].rlen > buflen)
			return 0;
		memcpy(buf, ents[i].reply, ents[i].rlen);
		q.len = ents[i].rlen;
		q.status = DKIM_DNS_SUCCESS;
	}
	return 0;
}

static int
dns_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes,
    int *error, int *dnssec)
{
	struct query *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static int
dns_cancel(void *srv, void *qh)
{
	(void)srv;
	(void)qh;
	return 0;
}

static void
dns_close(void *srv)
{
	(void)srv;
}

int
main(int argc, char **argv)
{
	unsigned char *buf = NULL;
	size_t cap = 0, len;
	unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	long passed = 0;
	struct stat sb;
	DKIM_SIGINFO **sigs;
	DKIM_LIB *lib;
	DKIM_STAT st;
	DKIM *dkim;
	ssize_t r;
	int i, fd, nsigs;

	if (argc < 3) {
		fprintf(stderr, "usage: odkim-batch dns.txt message ...\n");
		return 2;
	}
	load_table(argv[1]);
	if (res_ninit(&res) != 0)
		errx(2, "res_ninit");
	if ((lib = dkim_init(NULL, NULL)) == NULL)
		errx(2, "dkim_init");
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK)
		errx(2, "dkim_options");
	(void)dkim_dns_set_query_service(lib, &res);
	dkim_dns_set_query_start(lib, dns_start);
	dkim_dns_set_query_waitreply(lib, dns_waitreply);
	dkim_dns_set_query_cancel(lib, dns_cancel);
	dkim_dns_set_close(lib, dns_close);
	for (i = 2; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) == -1 ||
		    fstat(fd, &sb) == -1)
			err(2, "%s", argv[i]);
		if ((size_t)sb.st_size + 1 > cap) {
			cap = (size_t)sb.st_size + 1;
			if ((buf = realloc(buf, cap)) == NULL)
				err(2, "realloc");
		}
		for (len = 0; len < (size_t)sb.st_size; len += (size_t)r)
			if ((r = read(fd, buf + len, (size_t)sb.st_size - len))
			    <= 0)
				err(2, "%s", argv[i]);
		close(fd);
		if ((dkim = dkim_verify(lib, (const unsigned char *)"b", NULL,
		    &st)) == NULL)
			errx(2, "dkim_verify: %s", dkim_getresultstr(st));
		st = dkim_chunk(dkim, buf, len);
		if (st == DKIM_STAT_OK)
			st = dkim_chunk(dkim, NULL, 0);
		if (st == DKIM_STAT_OK)
			st = dkim_eom(dkim, NULL);
		if (dkim_getsiglist(dkim, &sigs, &nsigs) == DKIM_STAT_OK &&
		    nsigs == 1 &&
		    (dkim_sig_getflags(sigs[0]) & DKIM_SIGFLAG_PASSED) &&
		    dkim_sig_getbh(sigs[0]) == DKIM_SIGBH_MATCH)
			passed++;
		dkim_free(dkim);
	}
	dkim_close(lib);
	free(buf);
	printf("%ld %d\n", passed, argc - 2);
	return passed == argc - 2 ? 0 : 1;
}
