#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119
# The tree keeps its shape (docs/internals.md, "Folder map"): includes are
# written one way, from the top of the tree; a collector includes only its
# own folder, the shared helpers (collectors/lib) and the collector API
# (exporter/api); the helpers and the API include nothing above them; the
# exporter includes no collector; and no file of the exporter names a
# meter, a perf event or a container runtime's cgroup, which belong to
# their collectors. Each rule is first shown to catch a planted breach.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cd "$top_srcdir" || tap_abort "cd $top_srcdir"

# includes FILE...: "file<TAB>included path" for each #include "..." line.
includes() {
	awk '/^[ \t]*#[ \t]*include[ \t]+"/ {
		p = $0; sub(/^[^"]*"/, "", p); sub(/".*/, "", p)
		print FILENAME "\t" p }' "$@"
}

# breaches: prints each include that breaks a rule, reading the
# "file<TAB>path" lines of includes on stdin.
breaches() {
	awk -F'\t' '
		function allowed(f, p,    d) {
			if (p == "build-config.h") return 1
			if (p !~ /\//) return 0                 # one way: from the top
			if (p ~ /^include\/virtmeter\//) return 1
			if (f ~ /^exporter\/api\//) return p ~ /^exporter\/api\//
			if (f ~ /^exporter\//) return p ~ /^exporter\//
			if (f ~ /^collectors\/lib\//)
				return p ~ /^(collectors\/lib|exporter\/api)\//
			if (f == "collectors/registry.c") return p ~ /^exporter\/api\//
			if (f ~ /^collectors\/[a-z0-9_]+\//) {
				d = f; sub(/^collectors\//, "", d); sub(/\/.*/, "", d)
				return p ~ ("^collectors/(" d "|lib)/") || p ~ /^exporter\/api\//
			}
			if (f ~ /^tests\//) return 1
			return 0
		}
		!allowed($1, $2) { print $1 " includes \"" $2 "\"" }'
}

# exporter_names FILE...: lines of the exporter that name what belongs to
# a collector: a meter kind, a perf event or libpfm4, a container runtime.
WORDS='rapl|hwmon|redfish|powerspy|shelly|tasmota|libpfm|task-clock|dtlb|itlb|cache-misses|kubepods|docker|libpod|containerd|crio|lxc\.payload|idle.cycles'
exporter_names() {
	grep -n -i -E -w "$WORDS" "$@"
}

# ---- the rules can fail ------------------------------------------------------------------
tap_is "$(printf 'collectors/perf/perf.c\tcollectors/cgroup/discover.h\n' | breaches)" \
	'collectors/perf/perf.c includes "collectors/cgroup/discover.h"' \
	"a collector including another collector's header is caught"
tap_is "$(printf 'exporter/http.c\tlog.h\n' | breaches)" 'exporter/http.c includes "log.h"' \
	"a bare include is caught"
tap_is "$(printf 'exporter/config.c\tcollectors/power/jpath.h\n' | breaches)" \
	'exporter/config.c includes "collectors/power/jpath.h"' \
	"the exporter including a collector's header is caught"
tap_is "$(printf 'exporter/api/snapshot.c\texporter/render.h\n' | breaches)" \
	'exporter/api/snapshot.c includes "exporter/render.h"' \
	"the collector API including the exporter's internals is caught"
tap_is "$(printf 'collectors/lib/procfs.c\tcollectors/host/host.h\n' | breaches)" \
	'collectors/lib/procfs.c includes "collectors/host/host.h"' \
	"a shared helper including a collector is caught"
printf '/* reads the RAPL zones */\n' >"$TEST_TMP/named.c"
names_something() { exporter_names "$@" >/dev/null; }
tap_check "a meter named in the exporter is caught" names_something "$TEST_TMP/named.c"

# ---- the tree -------------------------------------------------------------------------------
# git's list where this is a checkout; else (a dist tarball, also one
# unpacked inside another checkout, where git lists nothing) the files.
mapfile -t sources < <(git ls-files 'exporter/*.[ch]' 'collectors/*.[ch]' 2>/dev/null)
[ ${#sources[@]} -gt 0 ] || mapfile -t sources < <(find exporter collectors -name '*.[ch]' | LC_ALL=C sort)
tap_check "the tree has sources" test "${#sources[@]}" -gt 20
out=$(includes "${sources[@]}" | breaches)
tap_is "$out" "" "every include follows the folder rules"
mapfile -t exporter_files < <(printf '%s\n' "${sources[@]}" | grep '^exporter/')
out=$(exporter_names "${exporter_files[@]}")
tap_is "$out" "" "no file of exporter/ names a meter, a perf event or a container runtime"
for d in collectors/*/; do
	d=${d%/}
	[ "$d" = collectors/lib ] && continue
	n=$(grep -l -E '^const struct collector [a-z0-9_]+_collector = \{' "$d"/*.c 2>/dev/null | wc -l)
	tap_is "$n" 1 "$d holds exactly one collector"
done
tap_done
