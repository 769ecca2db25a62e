/* The names that the Prometheus exporter-toolkit's web configuration uses
 * for TLS versions, cipher suites and curves (Go's crypto/tls names), and
 * the GnuTLS priority string that a set of them stands for. Pure string
 * tables: no TLS library is needed to check a file. */
#ifndef VIRTMETER_TLS_NAMES_H
#define VIRTMETER_TLS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The most cipher suites and curves that a configuration can name: every
 * known one, each at most once. */
#define TLS_MAX_CIPHERS 20
#define TLS_MAX_CURVES 4

/* The indices of the versions in tls_versions: the oldest first, so that
 * a version is older when its index is smaller. */
enum tls_version_index { TLS_V10, TLS_V11, TLS_V12, TLS_V13 };

/* One protocol version: "TLS12" and GnuTLS's "VERS-TLS1.2". */
struct tls_version {
	const char *name;
	const char *gnutls;
};

/* One cipher suite by Go's name: its key exchange (NULL for a TLS 1.3
 * suite, which has none), its cipher and its MAC as GnuTLS names them. */
struct tls_cipher {
	const char *name;
	const char *kx;
	const char *cipher;
	const char *mac;
};

/* One elliptic curve by Go's name ("CurveP256") and GnuTLS's group. */
struct tls_curve {
	const char *name;
	const char *gnutls;
};

extern const struct tls_version tls_versions[];
extern const size_t tls_nversions;
extern const struct tls_cipher tls_ciphers[];
extern const size_t tls_nciphers;
extern const struct tls_curve tls_curves[];
extern const size_t tls_ncurves;

/* The index of the entry named exactly name (len bytes, not necessarily
 * NUL-terminated) in its table, or -1. */
int tls_version_find(const char *name, size_t len);
int tls_cipher_find(const char *name, size_t len);
int tls_curve_find(const char *name, size_t len);

/* What a priority string is built from: version indices (min <= max),
 * cipher and curve indices in the order of preference (n of each, 0 for
 * GnuTLS's defaults) and whether the server's order wins. */
struct tls_prio_spec {
	unsigned min_version, max_version;
	const unsigned char *ciphers;
	size_t nciphers;
	const unsigned char *curves;
	size_t ncurves;
	bool server_order;
};

/* Writes the GnuTLS priority string of s into out (size bytes). GnuTLS
 * chooses ciphers, MACs and key exchanges separately, not whole suites,
 * so the string allows the combinations of the named suites' parts; and
 * while TLS 1.3 is allowed its three suites stay on (Go never lets a
 * list restrict TLS 1.3 either). Returns 0, or -ENOSPC if out is too
 * small, or -EINVAL for an index out of range. */
int tls_priority_build(const struct tls_prio_spec *s, char *out, size_t size);

#endif
