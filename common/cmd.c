/* cmd.c: what every program in cmd/ needs; these exit, unlike the library. */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cmd.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		errx(EX_OSERR, "out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p;

	if ((p = calloc(n ? n : 1, m ? m : 1)) == NULL)
		errx(EX_OSERR, "out of memory");
	return p;
}

void *
xreallocarray(void *o, size_t n, size_t m)
{
	void *p;

	if ((p = reallocarray(o, n ? n : 1, m ? m : 1)) == NULL)
		errx(EX_OSERR, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		errx(EX_OSERR, "out of memory");
	return p;
}

int
cmd_exit_code(int e)
{
	switch (e) {
	case 0:
		return 0;
	case DKIM_ERR_ALLOC:
		return EX_OSERR;
	case DKIM_ERR_IO:
	case DKIM_ERR_CHANGED:
		return EX_IOERR;
	case DKIM_ERR_CRYPTO:
		return EX_SOFTWARE;
	case DKIM_ERR_DNS_TEMP:
	case DKIM_ERR_DNS_TIMEOUT:
		return EX_TEMPFAIL;
	case DKIM_ERR_KEY:
	case DKIM_ERR_NOKEY:
		return EX_CONFIG;
	default:
		return EX_DATAERR;
	}
}

int
cmd_open_input(const char *path, const char **name)
{
	struct stat st;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		cmd_need_stdin();
		*name = "stdin";
		fd = STDIN_FILENO;
	} else {
		*name = path;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			err(EX_NOINPUT, "%s", path);
	}
	if (fstat(fd, &st) == -1)
		err(EX_NOINPUT, "%s", *name);
	if (S_ISDIR(st.st_mode))
		errx(EX_NOINPUT, "%s: is a directory", *name);
	return fd;
}

void
cmd_file_err(const char *path)
{
	if (errno == EINVAL)
		errx(EX_NOINPUT, "%s: not a regular file", path);
	err(EX_NOINPUT, "%s", path);
}

static void __attribute__((__noreturn__))
print_usage(const char *usage)
{
	const char *p;

	fputs("usage: ", stderr);
	for (p = usage; *p != '\0'; p++) {
		if (*p == '\n') {
			fputc(' ', stderr);
			while (p[1] == ' ')
				p++;
		} else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	exit(EX_USAGE);
}

void
cmd_usage(const char *usage)
{
	print_usage(usage);
}

void
cmd_badopt(const char *usage, int ch, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (ch == ':')
		fprintf(stderr, "%s: %s needs an argument; ", getprogname(),
		    optopt ? (char[]){ '-', (char)optopt, '\0' } : arg);
	else if (optopt != 0)
		fprintf(stderr, "%s: unknown option -%c; ", getprogname(),
		    optopt);
	else
		fprintf(stderr, "%s: unknown option %s; ", getprogname(), arg);
	print_usage(usage);
}

static int stdin_closed, stdout_closed;

void
cmd_init(void)
{
	int fd;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * A closed standard descriptor would be taken by the next open():
	 * a spool file on fd 1 would get the message meant for stdout.  Hold
	 * them with /dev/null, and remember that stdout was closed.
	 */
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EX_OSERR);
		if (fd == STDIN_FILENO)
			stdin_closed = 1;
		if (fd == STDOUT_FILENO)
			stdout_closed = 1;
	}
}

/*
 * The filters never print libcrypto's error strings: they need not load
 * them (some 2 000 hash-table entries, 0.3-0.4 ms of every run, which
 * counts for one message per process).  Nor need libcrypto free all its
 * tables at exit (0.05-0.1 ms): the process is ending, and what is left
 * is still reachable.  Before any other use of libcrypto; openssl.cnf is
 * still read at the first use, as by default.
 */
void
cmd_no_crypto_strings(void)
{
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_ATEXIT, NULL);
}

/*
 * An RSA signature draws random numbers for blinding.  libcrypto's
 * default generator, CTR-DRBG, sets up every cipher libcrypto has to
 * find AES (0.45 ms of a 3.5 ms one-message dkim-sign); HASH-DRBG over
 * SHA-256, also of SP 800-90A and of 256-bit strength, uses the digest
 * DKIM fetches anyway.  A generator set in openssl.cnf's [random]
 * section still wins.  Before the first random number.
 */
void
cmd_sha256_drbg(void)
{
	(void)RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256");
}

void
cmd_need_stdout(void)
{
	if (stdout_closed)
		errx(EX_IOERR, "stdout is closed");
}

void
cmd_need_stdin(void)
{
	if (stdin_closed)
		errx(EX_NOINPUT, "stdin is closed");
}

void
cmd_help_exit(void)
{
	cmd_need_stdout();
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF)
		err(EX_IOERR, "stdout");
	exit(0);
}

void
cmd_version(void)
{
	printf("%s %s\n", getprogname(), DKIM_TOOLS_VERSION);
	cmd_help_exit();
}

long long
cmd_number(const char *s, long long min, long long max, const char *what)
{
	const char *errstr;
	long long v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(EX_USAGE, "%s %s: %s (%lld to %lld)", what, s, errstr,
		    min, max);
	return v;
}

void
cmd_escape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned char c;

	if (cap == 0)
		return;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			snprintf(out + o, cap - o, "\\%03o", c);
			o += 4;
		}
	}
	out[o] = '\0';
}
