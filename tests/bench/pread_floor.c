/* The cost of the system call the cgroup collector is made of: pread of a
 * small file from offset 0, in a loop, on this machine. The cgroup
 * benchmark prints it beside its figures so that a per-container cost can
 * be read as a number of such calls, which carries across machines.
 *
 *   pread_floor FILE [ITERATIONS]   prints "<microseconds per pread>" */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char buf[4096], *end = NULL;
	long iters = 200000;
	double t0, t1;
	int fd;

	if (argc > 2) {
		errno = 0;
		iters = strtol(argv[2], &end, 10);
		if (errno || *end || end == argv[2])
			iters = 0;
	}
	if (argc < 2 || iters <= 0) {
		fprintf(stderr, "usage: %s FILE [ITERATIONS]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pread_floor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	t0 = cpu_seconds();
	for (long i = 0; i < iters; i++) {
		if (pread(fd, buf, sizeof(buf), 0) < 0) {
			fprintf(stderr, "pread_floor: %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
	}
	t1 = cpu_seconds();
	printf("%.3f\n", (t1 - t0) * 1e6 / (double)iters);
	close(fd);
	return 0;
}
