/*
 * in.c: buffered input, and body replay for filters.
 *
 * A filter decides what to add before writing anything, so it reads the
 * body twice.  A seekable input is simply read again from the remembered
 * offset; a pipe is spooled as it is read: the first SPOOL_MEM bytes in
 * memory, the rest in an unlinked temporary file that vanishes with the
 * process on every exit path.
 *
 * Everything is read(2) into one buffer of IN_BUFSZ at most, a small
 * file's size at least, which stays in the cache while it is hashed.
 * (Mapping big files instead, a window at a time, saved 6-9 % of the
 * hashing time on one virtual machine and cost 30-45 % more on another,
 * which shadows the page tables; and needed a SIGBUS handler.)
 *
 * A regular file is read up to the size it had when reading began: the
 * end comes without a read(2) to see it, and a file that turns out
 * shorter than that, cut while we read it, is DKIM_ERR_CHANGED rather
 * than a shorter message that would be taken for the whole.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"

#define IN_BUFSZ	(128 * 1024)
#define SPOOL_MEM	(4 * 1024 * 1024)

enum replay { RP_NONE, RP_SEEK, RP_SPOOL };

struct dkim_in {
	int		 fd;
	const char	*name;
	unsigned char	*buf;
	size_t		 cap;
	size_t		 pos, end;
	int		 eof;
	size_t		 lastn;	   /* size of the last chunk handed out */
	int		 ranged;   /* pread from roff, at most rleft bytes */
	off_t		 size;	   /* a regular file's size from the start
				      offset, or -1 */
	int		 sized;	   /* size known, or looked for */
	off_t		 startoff; /* the file offset size counts from */
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

/*
 * A size of 0 is not believed: files under /proc, and some others that
 * are made as they are read, say 0 and have bytes; an empty file costs
 * one read(2) to see.
 */
void
dkim_in_size(struct dkim_in *in, off_t size)
{
	in->size = size > 0 ? size : -1;
}

void
dkim_in_free(struct dkim_in *in)
{
	if (in == NULL)
		return;
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

/*
 * Once, before the first read of an input whose caller gave no size: a
 * regular file's size from where its offset is (stdin may be anywhere in
 * it).  Anything else is read to its end.
 */
static void
learn_size(struct dkim_in *in)
{
	struct stat st;
	off_t off;

	in->sized = 1;
	if (in->size >= 0 || in->ranged)
		return;
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(in->fd, 0, SEEK_CUR)) != -1 && off <= st.st_size) {
		dkim_in_size(in, st.st_size - off);
		in->startoff = off;
	}
}

/* Bytes are counted against the size: the input file, first or again. */
static int
counted(const struct dkim_in *in)
{
	return in->size >= 0 && !(in->replaying && in->rp == RP_SPOOL);
}

static int
fill(struct dkim_in *in)
{
	size_t want;
	ssize_t r;

	if (!in->sized)
		learn_size(in);
	if (in->buf == NULL) {
		/* a batch of small files should not churn 128 KiB buffers */
		in->cap = IN_BUFSZ;
		if (in->size >= 0 && in->size < IN_BUFSZ)
			in->cap = (size_t)in->size + 1;
		if (in->ranged && in->rlen < (off_t)in->cap)
			in->cap = (size_t)in->rlen + 1;
		if ((in->buf = malloc(in->cap)) == NULL)
			return DKIM_ERR_ALLOC;
	}
	in->pos = in->end = 0;
	if (in->ranged) {
		want = in->rleft < (off_t)in->cap ? (size_t)in->rleft :
		    in->cap;
		do
			r = want ? pread(in->fd, in->buf, want, in->roff) : 0;
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return DKIM_ERR_IO;
		if (r == 0 && want > 0)
			return DKIM_ERR_CHANGED;	/* the range is past the end */
		in->roff += r;
		in->rleft -= r;
		if (r == 0)
			in->eof = 1;
		in->end = (size_t)r;
		return 0;
	}
	if (counted(in) && in->nread >= in->size) {
		in->eof = 1;	/* all of it: no read just to see the end */
		return 0;
	}
	want = in->cap;
	if (counted(in) && in->size - in->nread < (off_t)want)
		want = (size_t)(in->size - in->nread);	/* not what it grew */
	for (;;) {
		r = read(in->fd, in->buf, want);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return DKIM_ERR_IO;
		break;
	}
	if (r == 0 && counted(in) && in->nread < in->size)
		return DKIM_ERR_CHANGED;
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
	*p = in->buf + in->pos;
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
		in->nread = in->markoff - in->startoff;
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
	off_t left;
	int r;

	/* the spool's memory part and what is buffered go as they are */
	if (in->replaying && in->rp == RP_SPOOL && in->mempos < in->memlen) {
		if (dkim_out_write(out, in->mem + in->mempos,
		    in->memlen - in->mempos) != 0)
			return DKIM_ERR_IO;
		in->mempos = in->memlen;
	}
	if (dkim_out_write(out, in->buf + in->pos, in->end - in->pos) != 0)
		return DKIM_ERR_IO;
	in->pos = in->end;
	/* a file read from its offset on: the input, or the spool's file */
	if (in->replaying && !in->ranged && !in->eof) {
		left = counted(in) ? in->size - in->nread : -1;
		if ((r = dkim_out_sendfile(out, in->fd, &left)) < 0)
			return r;
		if (r == 0) {
			in->eof = 1;
			return left > 0 ? DKIM_ERR_CHANGED : 0;
		}
	}
	for (;;) {
		if ((r = dkim_in_chunk(in, &p, &n)) != 0)
			return r;
		if (n == 0)
			return 0;
		if (dkim_out_write(out, p, n) != 0)
			return DKIM_ERR_IO;
	}
}
