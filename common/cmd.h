/*
 * cmd.h: helpers for the programs in cmd/ only.  Unlike the rest of
 * common/, these print (err(3) style, with getprogname()) and exit with
 * sysexits(3) codes.
 */
#ifndef DKIM_CMD_H
#define DKIM_CMD_H

#include <stddef.h>
#include <sysexits.h>

#include "dkim.h"

/* One version for the whole toolkit, printed by -V. */
#define DKIM_TOOLS_VERSION	"1.0.0"

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

/* The sysexits code for a DKIM_ERR_* met while handling a message. */
int	 cmd_exit_code(int);

/*
 * Open a message named on the command line ("-" or NULL: stdin), refusing
 * directories; exits 66 when it cannot.
 */
int	 cmd_open_input(const char *path, const char **name);

/*
 * A file (key, key table) could not be read: errno's message, or "not a
 * regular file" for the EINVAL that common/ sets for FIFOs and devices;
 * exit 66.
 */
void	 cmd_file_err(const char *path) __attribute__((__noreturn__));

/* "usage: ..." on one line of stderr (newlines become spaces), exit 64. */
void	 cmd_usage(const char *usage) __attribute__((__noreturn__));
/*
 * For getopt's ':' and '?' (the optstring starts with ':'): one line
 * naming the option, then the usage, exit 64.
 */
void	 cmd_badopt(const char *usage, int ch, char **argv)
	    __attribute__((__noreturn__));

/*
 * Common start-up: no SIGPIPE (a closed pipe is a write error, 74), and
 * closed standard descriptors held open on /dev/null.
 */
void	 cmd_init(void);
/* Before any use of libcrypto: its error strings are never shown. */
void	 cmd_no_crypto_strings(void);
/* Before any random number: HASH-DRBG unless openssl.cnf names one. */
void	 cmd_sha256_drbg(void);
/* Exit 74 if stdout was closed when we started: output would be lost. */
void	 cmd_need_stdout(void);
/* Exit 66 if stdin was closed when we started. */
void	 cmd_need_stdin(void);
/* End of --help: check that it really reached stdout, exit 0 or 74. */
void	 cmd_help_exit(void) __attribute__((__noreturn__));
/* -V: "dkim-xxx VERSION" on stdout, exit 0 (or 74). */
void	 cmd_version(void) __attribute__((__noreturn__));

/*
 * Parse a decimal number in [min, max] for option opt, exiting 64 with a
 * one-line message when it is not.
 */
long long cmd_number(const char *s, long long min, long long max,
	    const char *what);

/* Copy bytes for printing: control and 8-bit bytes become \ooo escapes. */
void	 cmd_escape(const char *s, size_t n, char *out, size_t cap);

#endif
