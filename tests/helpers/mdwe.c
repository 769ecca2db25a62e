/* Runs a command with writable-and-executable memory refused for good, as
 * systemd's MemoryDenyWriteExecute= refuses it: the kernel's PR_SET_MDWE
 * (Linux 6.3 and later), kept across execve, so that a test can run
 * virtmeter the way its unit does without a running systemd.
 * Usage: mdwe COMMAND [ARG...]; exits with 125 where the kernel lacks it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Older kernel headers (Debian 12's are 6.1) do not name them yet. */
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1UL
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mdwe COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0UL, 0UL, 0UL) < 0) {
		fprintf(stderr, "mdwe: PR_SET_MDWE: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "mdwe: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
