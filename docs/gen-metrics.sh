#!/usr/bin/env bash
# Writes docs/metrics.md from its sources: the page's own introduction (what
# stands before its first "## " heading), then the exporter's section
# (exporter/metrics.md), then each collector's section
# (collectors/NAME/metrics.md) in the order of collectors/registry.c.
# A collector documents its families in its own folder; this page is
# assembled, and tests/integration/metrics_doc.sh fails when it is stale.
#
#   docs/gen-metrics.sh            rewrite docs/metrics.md
#   docs/gen-metrics.sh --stdout   print the page instead
set -eu
cd "$(dirname "$0")/.."

page=docs/metrics.md
[ -f "$page" ] || { echo "gen-metrics: no $page" >&2; exit 1; }

# The collectors in registry order: the folder of each NAME_collector
# listed in collector_table.
collectors=$(sed -n 's/^[[:space:]]*&\([a-z0-9_]*\)_collector,.*/\1/p' collectors/registry.c)
[ -n "$collectors" ] || { echo "gen-metrics: no collector found in collectors/registry.c" >&2; exit 1; }

emit() {
	sed -n '/^## /q;p' "$page"
	cat exporter/metrics.md
	for c in $collectors; do
		src=collectors/$c/metrics.md
		[ -f "$src" ] || { echo "gen-metrics: $src is missing" >&2; exit 1; }
		echo
		cat "$src"
	done
}

if [ "${1:-}" = --stdout ]; then
	emit
else
	tmp=$(mktemp "$page.XXXXXX")
	emit >"$tmp"
	mv "$tmp" "$page"
fi
