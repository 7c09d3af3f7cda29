/*
 * brun -- run a command many times and print how long each run took.
 *
 *	brun [-c copies] [-n runs] [-w warmups] [-i infile] [-o outfile]
 *	    [-x status] command [arg ...]
 *
 * The command is started with posix_spawnp(3), no shell, stdin from
 * infile (default /dev/null), stdout to outfile (default /dev/null),
 * stderr inherited.  After the warm-up runs (not reported), one line per
 * run goes to stdout:
 *
 *	wall-ns user-us sys-us maxrss-kb
 *
 * wall time is CLOCK_MONOTONIC from just before the spawn to just after
 * wait4(2) returned; user, sys and maxrss come from wait4's rusage.
 * With -c, each run starts that many copies at once and lasts until the
 * last has ended; user and sys are their sums, maxrss the largest (what
 * the machine gives two processes that share nothing, for -P).  A
 * run that exits with another status than -x (default 0), or dies of a
 * signal, is reported on stderr and makes brun exit 1 at once.
 * Exit 2: usage or a system error.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long
number(const char *s, const char *what)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0 || v > 1000000)
		errx(2, "bad %s: %s", what, s);
	return v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: brun [-c copies] [-n runs] [-w warmups] "
	    "[-i infile] [-o outfile] [-x status] command [arg ...]\n");
	exit(2);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null";
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	long runs = 10, warm = 1, want = 0, copies = 1, i, k;
	long long t0, t1, user, sys, rss;
	pid_t pid;
	int ch, st, e;

	while ((ch = getopt(argc, argv, "+c:i:n:o:w:x:")) != -1) {
		switch (ch) {
		case 'c':
			if ((copies = number(optarg, "-c")) < 1 || copies > 64)
				errx(2, "bad -c: %s", optarg);
			break;
		case 'i':
			in = optarg;
			break;
		case 'n':
			runs = number(optarg, "-n");
			break;
		case 'o':
			out = optarg;
			break;
		case 'w':
			warm = number(optarg, "-w");
			break;
		case 'x':
			want = number(optarg, "-x");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((e = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (e = posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0))
	    != 0 ||
	    (e = posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644)) != 0)
		errx(2, "posix_spawn_file_actions: %s", strerror(e));
	for (i = -warm; i < runs; i++) {
		t0 = now_ns();
		for (k = 0; k < copies; k++)
			if ((e = posix_spawnp(&pid, argv[0], &fa, NULL, argv,
			    environ)) != 0)
				errx(2, "%s: %s", argv[0], strerror(e));
		user = sys = rss = 0;
		for (k = 0; k < copies; k++) {
			if (wait4(-1, &st, 0, &ru) == -1)
				err(2, "wait4");
			if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
				if (WIFEXITED(st))
					warnx("%s: exit %d, not %ld", argv[0],
					    WEXITSTATUS(st), want);
				else
					warnx("%s: killed by signal %d",
					    argv[0], WTERMSIG(st));
				return 1;
			}
			user += (long long)ru.ru_utime.tv_sec * 1000000LL +
			    ru.ru_utime.tv_usec;
			sys += (long long)ru.ru_stime.tv_sec * 1000000LL +
			    ru.ru_stime.tv_usec;
			if (ru.ru_maxrss > rss)
				rss = ru.ru_maxrss;
		}
		t1 = now_ns();
		if (i < 0)
			continue;
		printf("%lld %lld %lld %lld\n", t1 - t0, user, sys, rss);
	}
	if (fflush(stdout) != 0)
		err(2, "stdout");
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}
