/*
 * keysrc.c: where verification gets key records: the key table or DNS,
 * behind a cache, so that a key is fetched once per process however many
 * signatures or messages name it.  Shared by the verifying threads of a
 * batch: the cache is a hash table under one mutex, and lookups run
 * outside it on resolvers taken from a small pool.  What is settled (a
 * looked-up name, a parsed record) never changes again, so a thread finds
 * it again without the mutex: two workers taking one lock per message
 * spent more time passing its cache line between them than in the table.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

#define MAXPOOL	64

struct entry {
	struct dkim_txt	 txt;	/* first: callers hold &e->txt */
	char		*name;	/* lowercased */
	int		 done;	/* txt and rc final: under mu, then recent[] */
	int		 rc;
	/*
	 * Each record parsed on first use: 0 not yet, 1 ok, -1 failed; set
	 * (release) once kr and kreason are final.
	 */
	int		 kstate[DKIM_MAX_TXTRECS];
	struct dkim_keyrec kr[DKIM_MAX_TXTRECS];
	const char	*kreason[DKIM_MAX_TXTRECS];
};

struct dkim_keysrc {
	uint64_t		 id;	/* for the threads' recent entries */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	const struct dkim_keytable *kt;
	struct entry		**tab;	/* open addressing, power of 2 */
	size_t			 cap, n;
	size_t			 misses;
	/* resolvers not in use; pool[0] may be the caller's, not ours */
	struct dkim_resolver	*pool[MAXPOOL];
	size_t			 npool;
	struct dkim_resolver	*given;
	const char		*server;
	int			 timeout, tries, grow;
};

/*
 * Each thread's last few settled entries.  Keyed by the source's id, not
 * its address: a source freed and another allocated at the same place
 * must not find the old one's entries.
 */
#define RECENT	4

struct recent {
	uint64_t	 id;
	struct entry	*e;
};

static uint64_t ids;
static _Thread_local struct recent recent[RECENT];
static _Thread_local unsigned rnext;

struct dkim_keysrc *
dkim_keysrc_new(struct dkim_resolver *res, const struct dkim_keytable *kt)
{
	struct dkim_keysrc *ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return NULL;
	ks->id = __atomic_add_fetch(&ids, 1, __ATOMIC_RELAXED);
	if (pthread_mutex_init(&ks->mu, NULL) != 0) {
		free(ks);
		return NULL;
	}
	if (pthread_cond_init(&ks->cv, NULL) != 0) {
		pthread_mutex_destroy(&ks->mu);
		free(ks);
		return NULL;
	}
	ks->kt = kt;
	ks->given = res;
	if (res != NULL)
		ks->pool[ks->npool++] = res;
	return ks;
}

int
dkim_keysrc_dns(struct dkim_keysrc *ks, const char *server, int timeout,
    int tries)
{
	ks->server = server;
	ks->timeout = timeout;
	ks->tries = tries;
	ks->grow = 1;
	return 0;
}

void
dkim_keysrc_free(struct dkim_keysrc *ks)
{
	size_t i, k;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->cap; i++) {
		if (ks->tab[i] == NULL)
			continue;
		for (k = 0; k < DKIM_MAX_TXTRECS; k++)
			dkim_keyrec_clear(&ks->tab[i]->kr[k]);
		free(ks->tab[i]->name);
		dkim_txt_clear(&ks->tab[i]->txt);
		free(ks->tab[i]);
	}
	for (i = 0; i < ks->npool; i++)
		if (ks->pool[i] != ks->given)
			dkim_resolver_free(ks->pool[i]);
	free(ks->tab);
	pthread_cond_destroy(&ks->cv);
	pthread_mutex_destroy(&ks->mu);
	free(ks);
}

/* FNV-1a over the lowercased name. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct entry **
slot(struct dkim_keysrc *ks, const char *name)
{
	size_t i = hash(name) & (ks->cap - 1);

	while (ks->tab[i] != NULL && strcmp(ks->tab[i]->name, name) != 0)
		i = (i + 1) & (ks->cap - 1);
	return &ks->tab[i];
}

/* Keep the table at most half full. */
static int
grow(struct dkim_keysrc *ks)
{
	struct entry **old = ks->tab, **s;
	size_t i, ocap = ks->cap;

	if (ks->cap > 0 && ks->n + 1 <= ks->cap / 2)
		return 0;
	ks->cap = ocap ? ocap * 2 : 64;
	if ((ks->tab = calloc(ks->cap, sizeof(*ks->tab))) == NULL) {
		ks->tab = old;
		ks->cap = ocap;
		return DKIM_ERR_ALLOC;
	}
	for (i = 0; i < ocap; i++)
		if (old[i] != NULL) {
			s = slot(ks, old[i]->name);
			*s = old[i];
		}
	free(old);
	return 0;
}

/* The entry for name, new (and not done) if there was none.  Locked. */
static struct entry *
lookup(struct dkim_keysrc *ks, const char *name, int *isnew)
{
	char low[512];	/* key names are at most 255 bytes */
	struct entry **s, *e;
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]);
	low[i] = '\0';
	*isnew = 0;
	if (ks->cap > 0 && *(s = slot(ks, low)) != NULL)
		return *s;
	if (grow(ks) != 0 || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->name = strdup(low)) == NULL) {
		free(e);
		return NULL;
	}
	*slot(ks, low) = e;
	ks->n++;
	*isnew = 1;
	return e;
}

/* A resolver for this lookup, from the pool or new.  Locked. */
static struct dkim_resolver *
take_resolver(struct dkim_keysrc *ks, int *rc)
{
	struct dkim_resolver *res = NULL;

	*rc = 0;
	if (ks->npool > 0)
		return ks->pool[--ks->npool];
	if (!ks->grow) {
		*rc = DKIM_ERR_DNS_PERM;	/* no DNS configured */
		return NULL;
	}
	*rc = dkim_resolver_new(&res, ks->server, ks->timeout, ks->tries);
	return res;
}

static void
give_resolver(struct dkim_keysrc *ks, struct dkim_resolver *res)
{
	if (ks->npool < MAXPOOL)
		ks->pool[ks->npool++] = res;
	else
		dkim_resolver_free(res);
}

/* The lookup itself, unlocked; only this thread touches e now. */
static void
fetch(struct dkim_keysrc *ks, struct entry *e, struct dkim_resolver *res)
{
	if (ks->kt != NULL)
		e->rc = dkim_keytable_txt(ks->kt, e->name, &e->txt);
	else
		e->rc = dkim_dns_txt(res, e->name, &e->txt);
}

static struct entry *
recent_find(const struct dkim_keysrc *ks, const char *name)
{
	size_t i;

	for (i = 0; i < RECENT; i++)
		if (recent[i].id == ks->id &&
		    strcasecmp(recent[i].e->name, name) == 0)
			return recent[i].e;
	return NULL;
}

static void
recent_put(const struct dkim_keysrc *ks, struct entry *e)
{
	struct recent *r = &recent[rnext++ % RECENT];

	r->id = ks->id;
	r->e = e;
}

int
dkim_keysrc_get(struct dkim_keysrc *ks, const char *name,
    const struct dkim_txt **out)
{
	struct dkim_resolver *res = NULL;
	struct entry *e;
	int isnew, rc = 0;

	/* settled entries only get into recent[]: no lock, no wait */
	if ((e = recent_find(ks, name)) != NULL) {
		*out = &e->txt;
		return e->rc;
	}
	*out = NULL;
	pthread_mutex_lock(&ks->mu);
	if ((e = lookup(ks, name, &isnew)) == NULL) {
		pthread_mutex_unlock(&ks->mu);
		return DKIM_ERR_ALLOC;
	}
	if (!isnew) {
		while (!e->done)
			pthread_cond_wait(&ks->cv, &ks->mu);
		pthread_mutex_unlock(&ks->mu);
		recent_put(ks, e);
		*out = &e->txt;
		return e->rc;
	}
	ks->misses++;
	if (ks->kt == NULL)
		res = take_resolver(ks, &rc);
	pthread_mutex_unlock(&ks->mu);

	if (ks->kt != NULL || res != NULL)
		fetch(ks, e, res);
	else
		e->rc = rc;

	pthread_mutex_lock(&ks->mu);
	if (res != NULL)
		give_resolver(ks, res);
	e->done = 1;
	pthread_cond_broadcast(&ks->cv);
	pthread_mutex_unlock(&ks->mu);
	recent_put(ks, e);
	*out = &e->txt;
	return e->rc;
}

int
dkim_keysrc_add(struct dkim_keysrc *ks, const char *name, const char *rec,
    size_t len)
{
	struct entry *e;
	int isnew, r = 0;

	pthread_mutex_lock(&ks->mu);
	if ((e = lookup(ks, name, &isnew)) == NULL)
		r = DKIM_ERR_ALLOC;
	else if (e->txt.n == DKIM_MAX_TXTRECS)
		r = DKIM_ERR_TOOMANY;
	else if ((e->txt.rec[e->txt.n] = malloc(len + 1)) == NULL)
		r = DKIM_ERR_ALLOC;
	else {
		memcpy(e->txt.rec[e->txt.n], rec, len);
		e->txt.rec[e->txt.n][len] = '\0';
		e->txt.len[e->txt.n++] = len;
		e->rc = 0;
		e->done = 1;
	}
	pthread_mutex_unlock(&ks->mu);
	return r;
}

int
dkim_keysrc_keyrec(struct dkim_keysrc *ks, const struct dkim_txt *txt,
    size_t i, const struct dkim_keyrec **kr, const char **reason)
{
	/* txt is the first member of its entry */
	struct entry *e = (struct entry *)(void *)(uintptr_t)txt;
	int r;

	*kr = NULL;
	*reason = NULL;
	if (i >= txt->n)
		return DKIM_ERR_KEY;
	if ((r = __atomic_load_n(&e->kstate[i], __ATOMIC_ACQUIRE)) != 0)
		goto settled;
	pthread_mutex_lock(&ks->mu);
	if (e->kstate[i] == 0) {
		r = dkim_keyrec_parse(&e->kr[i], txt->rec[i], txt->len[i],
		    &e->kreason[i]);
		if (r == DKIM_ERR_ALLOC || r == DKIM_ERR_CRYPTO) {
			/* ours, not the record's: tried again next time */
			*reason = e->kreason[i];
			dkim_keyrec_clear(&e->kr[i]);
			pthread_mutex_unlock(&ks->mu);
			return r;
		}
		/*
		 * Settle any lazy state of the key now, under the lock, so
		 * threads can then use it side by side.
		 */
		if (r == 0 && e->kr[i].pkey != NULL)
			dkim_key_prepare(e->kr[i].pkey);
		__atomic_store_n(&e->kstate[i], r == 0 ? 1 : -1,
		    __ATOMIC_RELEASE);
	}
	r = e->kstate[i];
	pthread_mutex_unlock(&ks->mu);
settled:
	if (r == 1)
		*kr = &e->kr[i];
	else
		*reason = e->kreason[i];
	return *kr != NULL ? 0 : DKIM_ERR_KEY;
}

size_t
dkim_keysrc_misses(const struct dkim_keysrc *ks)
{
	return ks->misses;
}
