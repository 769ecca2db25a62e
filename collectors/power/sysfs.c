/* Small sysfs helpers for the rapl and hwmon meters: bounded reads of
 * value and name files, and sorted directory listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/power/meter.h"
#include "collectors/power/parse.h"
#include "collectors/lib/procfs.h"

void meter_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, METER_ERR_MAX, fmt, ap);
	va_end(ap);
}

int meter_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int meter_sysfs_read(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = procfs_read_fd(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return (int)n;
}

int meter_sysfs_u64(int fd, uint64_t *out)
{
	char buf[32];
	ssize_t n = procfs_read_fd(fd, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return meter_parse_u64(buf, (size_t)n, out);
}

static int cmp_names(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strverscmp(*x, *y);
}

void meter_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int meter_sysfs_list(const char *dir, const char *prefix, char ***names,
		     size_t *n)
{
	size_t count = 0, cap = 0, plen = strlen(prefix);
	char **list = NULL, **grown;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 || de->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				rc = -ENOMEM;
				goto out;
			}
			list = grown;
		}
		list[count] = strdup(de->d_name);
		if (!list[count]) {
			rc = -ENOMEM;
			goto out;
		}
		count++;
	}
	if (count > 1)
		qsort(list, count, sizeof(*list), cmp_names);
	*names = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	meter_names_free(list, count);
	closedir(d);
	return rc;
}
