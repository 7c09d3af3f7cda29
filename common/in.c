/*
 * in.c: buffered input, and body replay for filters.
 *
 * A filter decides what to add before writing anything, so it reads the
 * body twice.  A seekable input is simply read again from the remembered
 * offset; a pipe is spooled as it is read: the first SPOOL_MEM bytes in
 * memory, the rest in an unlinked temporary file that vanishes with the
 * process on every exit path.
 *
 * A big regular file is not read(2) but mapped, a window of MAP_WINDOW
 * bytes at a time: hashing a big body that way costs 6-9 % less than
 * after read(2)'s copy, and the window keeps the resident size small.
 * (Not everywhere: on a virtual machine that shadows the page tables, a
 * PVM guest, mapping 10 MB cost 3 ms more than copying it.)
 *
 * A file that shrinks under us would make touching a page past its new
 * end raise SIGBUS, and kill us in the middle of writing mail; the
 * handler puts zero pages there instead and flags it, and the reader
 * fails with DKIM_ERR_CHANGED before the zeros can count for anything.  The handler has to know the window,
 * so the process has one at most: any other input, in another thread say,
 * is read as usual meanwhile.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"

#define IN_BUFSZ	(128 * 1024)
#define SPOOL_MEM	(4 * 1024 * 1024)
#define MAP_MIN		(1024 * 1024)	/* less than this left: read(2) */
#define MAP_WINDOW	(2 * 1024 * 1024)

enum replay { RP_NONE, RP_SEEK, RP_SPOOL };

struct dkim_in {
	int		 fd;
	const char	*name;
	unsigned char	*buf;
	size_t		 cap;
	const unsigned char *data; /* buf, or the mapped window's bytes */
	unsigned char	*win;	   /* the mapped window, page aligned */
	size_t		 winlen;
	int		 nomap;	   /* not a file to map */
	size_t		 pos, end;
	int		 eof;
	size_t		 lastn;	   /* size of the last chunk handed out */
	int		 ranged;   /* pread from roff, at most rleft bytes */
	off_t		 size;	   /* a regular file's size, or -1 */
	off_t		 nread;
	off_t		 roff, rleft, rstart, rlen;

	enum replay	 rp;
	off_t		 markoff;  /* RP_SEEK: file offset of the mark */
	int		 replaying;
	unsigned char	*mem;	   /* RP_SPOOL: first SPOOL_MEM bytes */
	size_t		 memlen;
	int		 tmpfd;	   /* RP_SPOOL: the rest, or -1 */
	size_t		 mempos;   /* replay position in mem */
};

static int	win_drop(struct dkim_in *);

struct dkim_in *
dkim_in_new(int fd, const char *name)
{
	struct dkim_in *in;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	/* the buffer comes at the first read, sized to a small file */
	in->fd = fd;
	in->name = name;
	in->tmpfd = -1;
	in->size = -1;
	return in;
}

struct dkim_in *
dkim_in_new_range(int fd, off_t off, off_t len, const char *name)
{
	struct dkim_in *in;

	if ((in = dkim_in_new(fd, name)) == NULL)
		return NULL;
	in->ranged = 1;
	in->roff = in->rstart = off;
	in->rleft = in->rlen = len;
	return in;
}

void
dkim_in_size(struct dkim_in *in, off_t size)
{
	in->size = size;
}

void
dkim_in_free(struct dkim_in *in)
{
	if (in == NULL)
		return;
	(void)win_drop(in);
	if (in->tmpfd != -1)
		close(in->tmpfd);
	free(in->mem);
	free(in->buf);
	free(in);
}

const char *
dkim_in_name(const struct dkim_in *in)
{
	return in->name;
}

static int
spool_tmpfile(void)
{
	const char *dir;
	char path[4096];
	int fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/dkim-spool.XXXXXX", dir)
	    >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	return fd;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return DKIM_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
spool_add(struct dkim_in *in, const unsigned char *p, size_t n)
{
	size_t m;

	if (in->memlen < SPOOL_MEM) {
		if (in->mem == NULL && (in->mem = malloc(SPOOL_MEM)) == NULL)
			return DKIM_ERR_ALLOC;
		m = SPOOL_MEM - in->memlen;
		if (m > n)
			m = n;
		memcpy(in->mem + in->memlen, p, m);
		in->memlen += m;
		p += m;
		n -= m;
	}
	if (n == 0)
		return 0;
	if (in->tmpfd == -1 && (in->tmpfd = spool_tmpfile()) == -1)
		return DKIM_ERR_IO;
	return write_all(in->tmpfd, p, n);
}

/* ---- the mapped window ---- */

/* atomics: a SIGBUS in another thread reads them while the owner writes */
static int		 win_owned;	/* claimed by an input */
static uintptr_t	 win_base;
static size_t		 win_len;
static volatile sig_atomic_t win_bad;	/* the file shrank */
static size_t		 pagesz;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	uintptr_t b = __atomic_load_n(&win_base, __ATOMIC_RELAXED);
	size_t len = __atomic_load_n(&win_len, __ATOMIC_RELAXED);
	int e = errno;

	(void)uc;
	if (b != 0 && a - b < len) {
		/* zeros from the page that is gone to the end of the window */
		a &= ~(uintptr_t)(pagesz - 1);
		if (mmap((void *)a, b + len - a, PROT_READ, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			win_bad = 1;
			errno = e;
			return;
		}
	}
	/* not ours: the fault comes again, and kills as it would have */
	signal(sig, SIG_DFL);
	errno = e;
}

static int
win_claim(void)
{
	static int installed;
	struct sigaction sa;

	if (__atomic_exchange_n(&win_owned, 1, __ATOMIC_ACQUIRE) != 0)
		return 0;
	if (!installed) {
		pagesz = (size_t)sysconf(_SC_PAGESIZE);
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, NULL) == -1) {
			__atomic_store_n(&win_owned, 0, __ATOMIC_RELEASE);
			return 0;
		}
		installed = 1;
	}
	return 1;
}

/* Unmap the window, if any: DKIM_ERR_CHANGED if the file shrank. */
static int
win_drop(struct dkim_in *in)
{
	int bad;

	if (in->win == NULL)
		return 0;
	__atomic_store_n(&win_len, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&win_base, 0, __ATOMIC_RELAXED);
	munmap(in->win, in->winlen);
	in->win = NULL;
	in->data = in->buf;
	in->pos = in->end = 0;
	bad = win_bad;
	win_bad = 0;
	__atomic_store_n(&win_owned, 0, __ATOMIC_RELEASE);
	if (bad)
		in->nomap = 1;
	return bad ? DKIM_ERR_CHANGED : 0;
}

/*
 * Map the next window of a big regular file: 1 when done, 0 when read(2)
 * is to do it, or an error.  The file offset moves past the window, as a
 * read would have moved it.
 */
static int
fill_map(struct dkim_in *in)
{
	struct stat st;
	off_t off, left, moff;
	size_t skew, len;
	void *w;
	int r;

	if ((r = win_drop(in)) != 0)
		return r;
	if (in->nomap || in->ranged || in->replaying)
		return 0;
	if (in->size >= 0 && in->size - in->nread < MAP_MIN)
		return 0;	/* known small: no system call to see it */
	if ((off = lseek(in->fd, 0, SEEK_CUR)) == -1 ||
	    fstat(in->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		in->nomap = 1;
		return 0;
	}
	if ((left = st.st_size - off) < MAP_MIN) {
		in->nomap = 1;	/* and a file does not grow while we read */
		return 0;
	}
	if (!win_claim())
		return 0;
	/* the last window takes the rest, rather than leave a bit to read */
	len = left < MAP_WINDOW + MAP_MIN ? (size_t)left : MAP_WINDOW;
	skew = (size_t)off % pagesz;
	moff = off - (off_t)skew;
	w = mmap(NULL, skew + len, PROT_READ, MAP_SHARED | MAP_POPULATE,
	    in->fd, moff);
	if (w == MAP_FAILED) {
		__atomic_store_n(&win_owned, 0, __ATOMIC_RELEASE);
		in->nomap = 1;
		return 0;
	}
	in->win = w;
	in->winlen = skew + len;
	__atomic_store_n(&win_len, in->winlen, __ATOMIC_RELAXED);
	__atomic_store_n(&win_base, (uintptr_t)in->win, __ATOMIC_RELAXED);
	if (lseek(in->fd, off + (off_t)len, SEEK_SET) == -1) {
		(void)win_drop(in);
		return DKIM_ERR_IO;
	}
	in->data = in->win + skew;
	in->pos = 0;
	in->end = len;
	in->nread += (off_t)len;
	return 1;
}

static int
fill(struct dkim_in *in)
{
	ssize_t r;

	if (in->buf == NULL) {
		/* a batch of small files should not churn 128 KiB buffers */
		in->cap = IN_BUFSZ;
		if (in->size >= 0 && in->size < IN_BUFSZ)
			in->cap = (size_t)in->size + 1;
		if (in->ranged && in->rlen < (off_t)in->cap)
			in->cap = (size_t)in->rlen + 1;
		if ((in->buf = malloc(in->cap)) == NULL)
			return DKIM_ERR_ALLOC;
		in->data = in->buf;
	}
	if ((r = fill_map(in)) != 0)
		return r < 0 ? (int)r : 0;
	in->pos = in->end = 0;
	if (in->ranged) {
		size_t want = in->rleft < (off_t)in->cap ? (size_t)in->rleft :
		    in->cap;

		do
			r = want ? pread(in->fd, in->buf, want, in->roff) : 0;
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return DKIM_ERR_IO;
		in->roff += r;
		in->rleft -= r;
		if (r == 0)
			in->eof = 1;
		in->end = (size_t)r;
		return 0;
	}
	if (in->size >= 0 && !in->replaying && in->nread >= in->size) {
		in->eof = 1;	/* all of it: no read just to see the end */
		return 0;
	}
	for (;;) {
		r = read(in->fd, in->buf, in->cap);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return DKIM_ERR_IO;
		break;
	}
	in->nread += r;
	if (r == 0)
		in->eof = 1;
	in->end = (size_t)r;
	return 0;
}

int
dkim_in_chunk(struct dkim_in *in, const unsigned char **p, size_t *n)
{
	int r;

	*p = NULL;
	*n = 0;
	if (in->replaying && in->rp == RP_SPOOL && in->mempos < in->memlen) {
		*p = in->mem + in->mempos;
		*n = in->memlen - in->mempos;
		in->mempos = in->memlen;
		in->lastn = 0;	/* spool chunks cannot be given back */
		return 0;
	}
	if (in->pos == in->end) {
		if (in->eof)
			return 0;
		if ((r = fill(in)) != 0)
			return r;
	}
	*p = in->data + in->pos;
	*n = in->end - in->pos;
	in->pos = in->end;
	in->lastn = *n;
	if (in->rp == RP_SPOOL && !in->replaying && *n > 0)
		return spool_add(in, *p, *n);
	return 0;
}

void
dkim_in_unread(struct dkim_in *in, size_t n)
{
	/*
	 * Only the header reader gives bytes back, before dkim_in_mark(), so
	 * nothing given back has been spooled.
	 */
	if (n > in->lastn)
		n = in->lastn;
	in->pos -= n;
	in->lastn -= n;
}

int
dkim_in_mark(struct dkim_in *in)
{
	struct stat st;
	off_t off;

	if (in->ranged) {
		/* a range of a regular file: remember where the body starts */
		in->rp = RP_SEEK;
		in->markoff = in->roff - (off_t)(in->end - in->pos);
		return 0;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(in->fd, 0, SEEK_CUR)) != -1) {
		in->rp = RP_SEEK;
		in->markoff = off - (off_t)(in->end - in->pos);
		return 0;
	}
	/* what is handed out from here on, buffered bytes included */
	in->rp = RP_SPOOL;
	return 0;
}

int
dkim_in_rewind(struct dkim_in *in)
{
	const unsigned char *p;
	size_t n;
	int r;

	switch (in->rp) {
	case RP_SEEK:
		if ((r = win_drop(in)) != 0)
			return r;
		if (in->ranged) {
			in->roff = in->markoff;
			in->rleft = in->rlen - (in->markoff - in->rstart);
			in->pos = in->end = 0;
			in->eof = 0;
			return 0;
		}
		if (lseek(in->fd, in->markoff, SEEK_SET) == -1)
			return DKIM_ERR_IO;
		in->pos = in->end = 0;
		in->eof = 0;
		in->replaying = 1;
		return 0;
	case RP_SPOOL:
		/* the spool must hold the whole rest of the input */
		do {
			if ((r = dkim_in_chunk(in, &p, &n)) != 0)
				return r;
		} while (n > 0);
		in->replaying = 1;
		in->mempos = 0;
		in->pos = in->end = 0;
		in->eof = 0;
		if (in->tmpfd == -1) {
			in->eof = 1;
			return 0;
		}
		if (lseek(in->tmpfd, 0, SEEK_SET) == -1)
			return DKIM_ERR_IO;
		in->fd = in->tmpfd;
		return 0;
	default:
		errno = EINVAL;
		return DKIM_ERR_IO;
	}
}

int
dkim_in_copy(struct dkim_in *in, struct dkim_out *out)
{
	const unsigned char *p;
	size_t n;
	int r;

	/* the spool's memory part and what is buffered go as they are */
	if (in->replaying && in->rp == RP_SPOOL && in->mempos < in->memlen) {
		if (dkim_out_write(out, in->mem + in->mempos,
		    in->memlen - in->mempos) != 0)
			return DKIM_ERR_IO;
		in->mempos = in->memlen;
	}
	if (dkim_out_write(out, in->data + in->pos, in->end - in->pos) != 0)
		return DKIM_ERR_IO;
	in->pos = in->end;
	/* a file read from its offset on: the input, or the spool's file */
	if (in->replaying && !in->ranged && !in->eof) {
		if ((r = dkim_out_sendfile(out, in->fd)) <= 0)
			return r;
	}
	for (;;) {
		if (dkim_in_chunk(in, &p, &n) != 0)
			return DKIM_ERR_IO;
		if (n == 0)
			return 0;
		if (dkim_out_write(out, p, n) != 0)
			return DKIM_ERR_IO;
	}
}
