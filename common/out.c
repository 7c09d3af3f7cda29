/*
 * out.c: buffered output that remembers its first error, so a filter can
 * report a failed write (a full disk, a closed pipe) instead of losing mail
 * silently.
 */
#include <sys/sendfile.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"

#define OUT_BUFSZ	(64 * 1024)

struct dkim_out {
	int		 fd;
	int		 err;	/* first error, sticky */
	int		 saved_errno;
	size_t		 len;
	unsigned char	 buf[OUT_BUFSZ];
};

struct dkim_out *
dkim_out_new(int fd)
{
	struct dkim_out *o;

	if ((o = malloc(sizeof(*o))) == NULL)
		return NULL;
	o->fd = fd;
	o->err = 0;
	o->saved_errno = 0;
	o->len = 0;
	return o;
}

static int
out_fail(struct dkim_out *o)
{
	o->err = DKIM_ERR_IO;
	o->saved_errno = errno;
	return o->err;
}

static int
write_all(struct dkim_out *o, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(o->fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return out_fail(o);
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
dkim_out_flush(struct dkim_out *o)
{
	int r;

	if (o->err) {
		errno = o->saved_errno;
		return o->err;
	}
	r = write_all(o, o->buf, o->len);
	o->len = 0;
	return r;
}

int
dkim_out_write(struct dkim_out *o, const void *p, size_t n)
{
	int r;

	if (o->err) {
		errno = o->saved_errno;
		return o->err;
	}
	if (n == 0)
		return 0;	/* p may be NULL (an empty buffer) */
	if (n > OUT_BUFSZ - o->len && (r = dkim_out_flush(o)) != 0)
		return r;
	if (n >= OUT_BUFSZ)
		return write_all(o, p, n);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

int
dkim_out_sendfile(struct dkim_out *o, int fd, off_t *left)
{
	size_t want;
	ssize_t w;
	int any = 0;

	if (dkim_out_flush(o) != 0)
		return o->err;
	for (;;) {
		/* at most 2^30 a call: sendfile(2) stops short of 2 GiB */
		want = 1 << 30;
		if (*left >= 0 && *left < (off_t)want)
			want = (size_t)*left;
		if (want == 0)
			return 0;
		if ((w = sendfile(o->fd, fd, NULL, want)) > 0) {
			any = 1;
			if (*left >= 0)
				*left -= w;
			continue;
		}
		if (w == 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* O_APPEND, a terminal, a device without splice: by hand */
		if (!any && (errno == EINVAL || errno == ENOSYS))
			return 1;
		return out_fail(o);
	}
}

int
dkim_out_failed(const struct dkim_out *o)
{
	return o->err != 0;
}

int
dkim_out_close(struct dkim_out *o)
{
	int r, e;

	if (o == NULL)
		return 0;
	r = dkim_out_flush(o);
	/*
	 * close(2) of a file on NFS or a full disk may be where the error
	 * shows; the fd is ours to close (stdout, when the filter is done).
	 */
	if (close(o->fd) == -1 && r == 0 && errno != EBADF)
		r = out_fail(o);
	e = o->saved_errno;
	free(o);
	if (r != 0)
		errno = e;
	return r;
}
