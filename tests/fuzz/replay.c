/* Replays fuzz inputs through a fuzz target without libFuzzer: every file
 * named on the command line, or every file in a directory named there, is
 * fed once to LLVMFuzzerTestOneInput. Prints TAP, one line per input, so
 * that make check counts the corpus as regression tests. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ntests;

/* Feeds one file to the target. A crash ends the process (the test fails);
 * an unreadable file is reported as "not ok". */
static void replay_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");

	ntests++;
	if (!f) {
		printf("not ok %d - %s: %s\n", ntests, path, strerror(errno));
		return;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 4096;
			p = realloc(data, cap);
			if (!p)
				break;
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", len);
	free(data);
	printf("ok %d - %s\n", ntests, path);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			d = opendir(argv[i]);
			while (d && (e = readdir(d))) {
				char path[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
				replay_file(path);
			}
			if (d)
				closedir(d);
		} else {
			replay_file(argv[i]);
		}
	}
	printf("1..%d\n", ntests);
	return 0;
}
