/*
 * dkim-keygen: make a DKIM signing key, RSA (RFC 8301) or Ed25519 (RFC
 * 8463), write it as PKCS#8 PEM to a new file of mode 0600 or to stdout,
 * and print the DNS record that publishes it.
 *
 * The file appears whole or not at all: the key goes to a temporary file
 * in the same directory, is synced, then linked to its name (which fails
 * if the name exists, even as a symlink) or, with -f, renamed over it.
 * The PEM text lives in one OpenSSL memory buffer, wiped before it is
 * freed; the key itself stays inside the EVP_PKEY.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cmd.h"
#include "dkim.h"

#define USAGE \
	"dkim-keygen [-t rsa|ed25519] [-b bits] [-o file] [-f]\n" \
	"                   [-d domain -s selector [--now seconds]]\n" \
	"       dkim-keygen -V | --help"

#define RSA_DEFAULT_BITS	2048
#define RSA_GOOD_BITS		2048	/* RFC 8301 3.2 */
#define NOW_MAX			253402300799LL	/* 9999-12-31 */

struct opts {
	enum dkim_keytype	 type;
	int			 bits;
	const char		*file;
	int			 force;
	const char		*domain;
	const char		*selector;
	time_t			 now;
	int			 setnow;
};

/* A failure while the PEM is held: reported after it is wiped. */
struct failure {
	int		 code;
	int		 err;
	const char	*what;
};

/*
 * The temporary file exists from before the key is made (so that a bad
 * -o fails at once, not after a minute of RSA-8192) until it is renamed
 * or removed; exit(3) and the usual signals in between remove it.
 */
static char		 tmp[PATH_MAX];
static volatile sig_atomic_t have_tmp;

static void
remove_tmp(void)
{
	if (have_tmp)
		unlink(tmp);
	have_tmp = 0;
}

static void
on_signal(int sig)
{
	if (have_tmp)
		unlink(tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
usage(void)
{
	cmd_usage(USAGE);
}

static void
help(void)
{
	printf("usage: %s\n"
	    "  -t rsa|ed25519   key type (default rsa)\n"
	    "  -b bits          RSA key size, 1024 to 8192 (default 2048;\n"
	    "                   under 2048 is weak and gets a warning)\n"
	    "  -o file          write the key to this new file, mode 0600\n"
	    "                   (default: to stdout, and nothing else)\n"
	    "  -f               with -o: replace the file if it exists\n"
	    "  -d domain        with -o and -s: also print the key's DNS\n"
	    "                   record on stdout, as dkim-record does\n"
	    "  -s selector      the record's selector; strftime(3) conversions\n"
	    "                   are expanded (-s 'k%%Y%%m' gives k202612)\n"
	    "  --now seconds    expand -s for this time (seconds since the\n"
	    "                   epoch) instead of the current time\n"
	    "  -V, --version    print the version\n"
	    "  --help           print this help\n", USAGE);
	cmd_help_exit();
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' + 256 },
		{ "version", no_argument, NULL, 'V' },
		{ "now", required_argument, NULL, 'N' + 256 },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;
	memset(o, 0, sizeof(*o));
	o->type = DKIM_KEY_RSA;
	while ((ch = getopt_long(argc, argv, ":b:d:fo:s:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			o->bits = (int)cmd_number(optarg, DKIM_RSA_MIN_BITS,
			    DKIM_RSA_MAX_BITS, "-b");
			break;
		case 'd':
			o->domain = optarg;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'o':
			o->file = optarg;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				o->type = DKIM_KEY_RSA;
			else if (strcmp(optarg, "ed25519") == 0)
				o->type = DKIM_KEY_ED25519;
			else
				errx(EX_USAGE, "-t %s: not rsa or ed25519",
				    optarg);
			break;
		case 'N' + 256:
			o->now = (time_t)cmd_number(optarg, 0, NOW_MAX,
			    "--now");
			o->setnow = 1;
			break;
		case 'H' + 256:
			help();
			break;
		case 'V':
			cmd_version();
			break;
		default:
			cmd_badopt(USAGE, ch, argv);
		}
	}
	if (optind != argc)
		usage();
	if (o->bits && o->type != DKIM_KEY_RSA)
		errx(EX_USAGE, "-b applies to RSA keys only");
	if (o->bits == 0)
		o->bits = RSA_DEFAULT_BITS;
	if ((o->domain == NULL) != (o->selector == NULL))
		errx(EX_USAGE, "-d and -s go together");
	if (o->domain != NULL && o->file == NULL)
		errx(EX_USAGE, "-d and -s need -o: without it stdout holds "
		    "the key alone");
	if (o->force && o->file == NULL)
		errx(EX_USAGE, "-f needs -o");
	if (o->setnow && o->selector == NULL)
		errx(EX_USAGE, "--now needs -s");
}

/* strftime conversions in the selector, for dated rotation. */
static void
expand_selector(const char *fmt, time_t t, char *out, size_t cap)
{
	struct tm tm;
	size_t n;

	if (strchr(fmt, '%') == NULL) {
		if (strlcpy(out, fmt, cap) >= cap)
			errx(EX_USAGE, "-s %s: too long", fmt);
		return;
	}
	if (localtime_r(&t, &tm) == NULL)
		errx(EX_USAGE, "--now %lld: not a time", (long long)t);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(out, cap, fmt, &tm);	/* the format is the point */
#pragma GCC diagnostic pop
	if (n == 0)
		errx(EX_USAGE, "-s %s: expands to nothing or too much", fmt);
}

/* The record's owner name, checked before any key is made. */
static void
record_name(const struct opts *o, char *name, size_t cap)
{
	char sel[DKIM_MAX_SELECTOR + 1];
	size_t dl = strlen(o->domain);
	int r;

	expand_selector(o->selector, o->setnow ? o->now : time(NULL), sel,
	    sizeof(sel));
	if (dl > 1 && o->domain[dl - 1] == '.')
		dl--;
	r = dkim_dns_name(sel, strlen(sel), o->domain, dl, name, cap);
	if (r == DKIM_ERR_TOOLONG)
		errx(EX_USAGE, "%s._domainkey.%s: longer than %d bytes", sel,
		    o->domain, DKIM_MAX_NAME);
	if (r != 0 && !dkim_selector_ok(sel, strlen(sel)))
		errx(EX_USAGE, "-s: \"%s\" is not a valid selector", sel);
	if (r != 0)
		errx(EX_USAGE, "-d %s: not a domain name", o->domain);
}

static EVP_PKEY *
generate(const struct opts *o)
{
	EVP_PKEY *pk;

	if (o->type == DKIM_KEY_ED25519)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->bits);
	if (pk == NULL) {
		const char *why = ERR_reason_error_string(ERR_get_error());

		errx(EX_SOFTWARE, "cannot generate the key: %s",
		    why != NULL ? why : "libcrypto failed");
	}
	return pk;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
block_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(how, &set, NULL);
}

/* "dir/.name.XXXXXX" beside path; "./.name.XXXXXX" for a bare name. */
static void
temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int n;

	if (*base == '\0')
		errx(EX_CANTCREAT, "%s: not a file name", path);
	n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX",
	    slash ? (int)(slash - path) : 1, slash ? path : ".", base);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		errc(EX_CANTCREAT, ENAMETOOLONG, "%s", path);
}

/*
 * A new temporary file beside path, mode 0600 whatever the umask.
 * mkostemp opens with O_CREAT|O_EXCL, which never follows a symlink.
 */
static int
open_temp(const char *path, int force)
{
	struct sigaction sa;
	struct stat st;
	int fd;

	if (!force && faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		errx(EX_CANTCREAT, "%s exists; -f replaces it", path);
	/*
	 * -f replaces an old key file or a symlink (itself, not its
	 * target), never a device, FIFO or directory
	 */
	if (force && lstat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		errx(EX_CANTCREAT, "%s is not a regular file; -f replaces "
		    "only key files", path);
	temp_name(path);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	block_signals(SIG_BLOCK);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(EX_CANTCREAT, "cannot create a file beside %s", path);
	have_tmp = 1;
	atexit(remove_tmp);
	block_signals(SIG_UNBLOCK);
	if (fchmod(fd, 0600) == -1)
		err(EX_CANTCREAT, "cannot set mode 0600 on %s", tmp);
	return fd;
}

/* fsync the directory holding tmp, so that the new name lasts. */
static int
sync_dir(void)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r;

	if (strlcpy(dir, tmp, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL)
		return -1;
	slash[slash == dir] = '\0';	/* "/.x" -> "/", "d/.x" -> "d" */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int
failed(struct failure *f, int code, const char *what)
{
	f->code = code;
	f->err = errno;
	f->what = what;
	return -1;
}

/*
 * Contents, sync, close; then the temporary file takes path's name:
 * link(2) refuses an existing name, rename(2) (-f) replaces it, and
 * neither follows a symlink found there.  The temporary name is gone
 * afterwards in every case.
 */
static int
save_key(int fd, const char *path, int force, const char *pem, size_t n,
    struct failure *f)
{
	int r = 0;

	if (write_all(fd, pem, n) == -1)
		r = failed(f, EX_IOERR, "cannot write");
	else if (fsync(fd) == -1)
		r = failed(f, EX_IOERR, "cannot sync");
	if (close(fd) == -1 && r == 0)
		r = failed(f, EX_IOERR, "cannot write");
	if (r == 0 && (force ? rename(tmp, path) : link(tmp, path)) == -1)
		r = failed(f, EX_CANTCREAT, "cannot create");
	if (r == 0 && force)
		have_tmp = 0;	/* renamed */
	remove_tmp();
	if (r == 0 && sync_dir() == -1)
		r = failed(f, EX_IOERR, "cannot sync the directory of");
	return r;
}

static void
pem_free(BIO *bio)
{
	BUF_MEM *bm;

	if (BIO_get_mem_ptr(bio, &bm) == 1 && bm->data != NULL)
		OPENSSL_cleanse(bm->data, bm->max);
	BIO_free(bio);
}

/* The PEM in a memory BIO whose buffer is wiped by pem_free(). */
static BIO *
pem_encode(EVP_PKEY *pk, const char **p, size_t *n)
{
	BUF_MEM *bm;
	BIO *bio;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    BIO_get_mem_ptr(bio, &bm) != 1) {
		pem_free(bio);	/* a part may have been written */
		return NULL;
	}
	*p = bm->data;
	*n = bm->length;
	return bio;
}

/* Write the key to fd (the temporary file, or stdout when -1). */
static int
output_key(const struct opts *o, int fd, EVP_PKEY *pk, struct failure *f)
{
	const char *pem;
	size_t n;
	BIO *bio;
	int r;

	block_signals(SIG_BLOCK);
	if ((bio = pem_encode(pk, &pem, &n)) == NULL)
		r = failed(f, EX_SOFTWARE, "cannot encode the key");
	else if (fd != -1)
		r = save_key(fd, o->file, o->force, pem, n, f);
	else if ((r = write_all(STDOUT_FILENO, pem, n)) == -1)
		failed(f, EX_IOERR, "cannot write");
	if (bio != NULL)
		pem_free(bio);
	block_signals(SIG_UNBLOCK);
	return r;
}

static int
print_record(EVP_PKEY *pk, const char *name, struct failure *f)
{
	struct dkim_buf val = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	int r;

	if ((r = dkim_record_value(pk, 0, NULL, 0, &val)) != 0 ||
	    (r = dkim_record_format(DKIM_FMT_ZONE, name, DKIM_TTL_DEFAULT,
	    (const char *)val.p, val.len, &out)) != 0) {
		errno = 0;
		r = failed(f, cmd_exit_code(r), "cannot make the record");
	} else if ((r = write_all(STDOUT_FILENO, (const char *)out.p,
	    out.len)) == -1)
		failed(f, EX_IOERR, "cannot write the record to");
	dkim_buf_free(&val);
	dkim_buf_free(&out);
	return r;
}

/* Report a failure once the key is gone. */
static void __attribute__((__noreturn__))
die(const struct failure *f, const char *file)
{
	if (f->err == EEXIST)
		errx(f->code, "%s exists; -f replaces it", file);
	if (f->err == 0)
		errx(f->code, "%s", f->what);
	errc(f->code, f->err, "%s %s", f->what, file ? file : "stdout");
}

int
main(int argc, char **argv)
{
	struct opts o;
	char name[DKIM_MAX_NAME + 1];
	struct failure f = { 0, 0, NULL };
	const char *where;
	EVP_PKEY *pk;
	int fd = -1, r;

	cmd_init();
	parse_opts(argc, argv, &o);
	/* the key goes to stdout without -o; its record with -d */
	if (o.file == NULL || o.domain != NULL)
		cmd_need_stdout();
	if (o.domain != NULL)
		record_name(&o, name, sizeof(name));
	if (o.type == DKIM_KEY_RSA && o.bits < RSA_GOOD_BITS)
		warnx("warning: %d-bit RSA keys are weak; RFC 8301 asks for "
		    "at least %d", o.bits, RSA_GOOD_BITS);
	if (o.file != NULL)
		fd = open_temp(o.file, o.force);
	pk = generate(&o);
	where = o.file;
	r = output_key(&o, fd, pk, &f);
	if (r == 0 && o.domain != NULL) {
		where = NULL;	/* stdout */
		r = print_record(pk, name, &f);
	}
	EVP_PKEY_free(pk);	/* wipes the key */
	if (r != 0)
		die(&f, where);
	return 0;
}
