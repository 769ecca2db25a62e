#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # checks run from wait_for
# The drop-in recording rules of deploy/prometheus/compat/ (libvirt
# exporter, cAdvisor and Kepler names): promtool accepts every rule file
# and passes its unit tests; the tests' input series carry virtmeter's real
# family and label names (those of docs/metrics.md and, where the family is
# in it, of the golden scrape), every virtmeter family a rule reads is fed
# by a test and every rule is tested, and docs/compat.md names every
# recorded name; then a real Prometheus loads the rules while scraping
# virtmeter on the fixtures, and every rule whose input virtmeter serves
# there records series.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null 2>&1 || tap_skip_all "promtool not installed (Debian package prometheus)"

COMPAT=${top_srcdir:?}/deploy/prometheus/compat
DOC_METRICS=$top_srcdir/docs/metrics.md
DOC_COMPAT=$top_srcdir/docs/compat.md
GOLDEN=$top_srcdir/tests/golden/scrape-surface.txt
RULES=("$COMPAT"/*.rules.yml)
[ -f "${RULES[0]}" ] || tap_abort "rule files in $COMPAT"
tap_diag "$(promtool --version 2>&1 | head -n1)"

# documented: "NAME<TAB>label,label" for every family of docs/metrics.md
# (the rows of its metric tables, whose second cell is the type; not those
# of the sum tables).
documented() {
	awk -F'|' '$2 ~ /^ `[a-z_:]+` $/ && $3 ~ /^ (counter|gauge|untyped) $/ {
		name = $2; gsub(/[ `]/, "", name)
		labels = $4; gsub(/[ `]/, "", labels)
		if (labels == "—") labels = ""
		print name "\t" labels
	}' "$DOC_METRICS"
}
# golden_labels: "NAME<TAB>label,label" for every series shape of the golden
# scrape (a family may have several).
golden_labels() {
	sed -n 's/^  \([a-z_:]*\){\(.*\)}$/\1\t\2/p' "$GOLDEN" | sort -u
}
# input_series FILE: "NAME<TAB>label,label" of every virtmeter input series
# of a promtool test file (job and instance, Prometheus's own, left out).
input_series() {
	sed -n "s/^ *- series: '\\(virtmeter_[a-z_]*\\){\\(.*\\)}'\$/\\1\\t\\2/p" "$1" |
		awk -F'\t' '{
			n = 0; out = ""; rest = $2
			# Label names: what precedes =" outside quoted values.
			while (match(rest, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) {
				l = substr(rest, 1, RLENGTH - 2)
				rest = substr(rest, RLENGTH + 1)
				while (rest != "" && substr(rest, 1, 1) != "\"") {
					if (substr(rest, 1, 1) == "\\") rest = substr(rest, 2)
					rest = substr(rest, 2)
				}
				rest = substr(rest, 2); sub(/^,/, "", rest)
				if (l != "job" && l != "instance") out = out (n++ ? "," : "") l
			}
			print $1 "\t" out
		}'
}
# check_inputs TESTFILE: the input series whose family is not documented,
# or that carry a label the documented family (or its golden shape) does
# not have; one line each, nothing when all are real.
check_inputs() {
	local doc gold
	doc=$(documented)
	gold=$(golden_labels)
	input_series "$1" | sort -u | while IFS=$'\t' read -r name labels; do
		want=$(printf '%s\n' "$doc" | awk -F'\t' -v n="$name" '$1 == n { print $2; exit }')
		if ! printf '%s\n' "$doc" | awk -F'\t' -v n="$name" '$1 == n { f = 1 } END { exit !f }'; then
			echo "$name: not a family of docs/metrics.md"
			continue
		fi
		for l in ${labels//,/ }; do
			case ",$want," in *",$l,"*) ;; *) echo "$name: label $l is not one of its labels ($want)" ;; esac
		done
		# In the golden scrape, the family must have a shape with them all.
		shapes=$(printf '%s\n' "$gold" | awk -F'\t' -v n="$name" '$1 == n { print $2 }')
		[ -n "$shapes" ] || continue
		ok=""
		while read -r shape; do
			miss=""
			for l in ${labels//,/ }; do
				case ",$shape," in *",$l,"*) ;; *) miss=1 ;; esac
			done
			[ -z "$miss" ] && ok=1
		done <<<"$shapes"
		[ -n "$ok" ] || echo "$name{$labels}: no series of the golden scrape has these labels ($shapes)"
	done
}
# rule_inputs FILE: "RECORD<TAB>virtmeter family" for every family each
# rule of FILE reads, its main input (the one it renames) first.
rule_inputs() {
	awk '/^ *- name: / { rec = ""; next }
		/^ *- record: / { rec = $3; next }
		rec != "" {
			line = $0
			while (match(line, /virtmeter_[a-z_]+/)) {
				print rec "\t" substr(line, RSTART, RLENGTH)
				line = substr(line, RSTART + RLENGTH)
			}
		}' "$1"
}
records() { sed -n 's/^ *- record: \([a-zA-Z_:]*\)$/\1/p' "$@"; }

# ---- the checkers can fail -----------------------------------------------------------
cat >"$TEST_TMP/bad.test.yml" <<'EOF'
tests:
  - input_series:
      - series: 'virtmeter_vm_cpu_time_seconds_total{vm="a",job="virtmeter",instance="x:1"}'
        values: '1'
      - series: 'virtmeter_vm_cpu_seconds_total{domain="a",job="virtmeter",instance="x:1"}'
        values: '1'
      - series: 'virtmeter_container_cpu_seconds_total{container="a",id="b",runtime="docker",mode="user",cpu="0"}'
        values: '1'
      - series: 'virtmeter_vm_cpu_seconds_total{vm="a \"q\", x=\"y\"",job="virtmeter"}'
        values: '1'
EOF
out=$(check_inputs "$TEST_TMP/bad.test.yml")
tap_like "$out" 'virtmeter_vm_cpu_time_seconds_total: not a family' "the input check catches a renamed family"
tap_like "$out" 'virtmeter_vm_cpu_seconds_total: label domain is not one of its labels' "the input check catches a renamed label"
tap_like "$out" 'virtmeter_container_cpu_seconds_total: label cpu' "the input check catches a label the family does not have"
tap_unlike "$out" 'label x ' "a label value holding quotes, a comma and an = is not taken for labels"
cp "$COMPAT/libvirt-exporter.rules.yml" "$TEST_TMP/"
sed 's/value: 75$/value: 76/' "$COMPAT/libvirt-exporter.test.yml" >"$TEST_TMP/libvirt-exporter.test.yml"
tap_check "promtool test rules fails on a wrong expected value" \
	fails promtool test rules "$TEST_TMP/libvirt-exporter.test.yml"

# ---- promtool ----------------------------------------------------------------------------
for f in "${RULES[@]}"; do
	b=$(basename "$f" .rules.yml)
	if out=$(promtool check rules "$f" 2>&1) && grep -q SUCCESS <<<"$out"; then
		tap_ok "promtool check rules accepts $b.rules.yml"
	else
		tap_fail "promtool check rules accepts $b.rules.yml" "$out"
	fi
	[ -f "$COMPAT/$b.test.yml" ] || { tap_fail "$b.rules.yml has its test file $b.test.yml"; continue; }
	out=$(cd "$COMPAT" && promtool test rules "$b.test.yml" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q SUCCESS <<<"$out"; then
		tap_ok "promtool test rules passes $b.test.yml"
	else
		tap_fail "promtool test rules passes $b.test.yml" "$out"
	fi
	out=$(check_inputs "$COMPAT/$b.test.yml")
	tap_is "$out" "" "$b.test.yml feeds the rules virtmeter's real families and labels"
	# Every family a rule reads is fed by the test, and every rule tested.
	fed=$(input_series "$COMPAT/$b.test.yml" | cut -f1 | sort -u)
	unfed=$(rule_inputs "$f" | cut -f2 | sort -u | comm -23 - <(printf '%s\n' "$fed"))
	tap_is "$unfed" "" "every virtmeter family $b.rules.yml reads has input series in its test"
	untested=""
	for r in $(records "$f"); do
		grep -Eq "^ *- expr: '$r([{ ]|'\$)" "$COMPAT/$b.test.yml" || untested="$untested $r"
	done
	tap_is "${untested# }" "" "every rule of $b.rules.yml is evaluated by its test"
done

# ---- docs/compat.md ------------------------------------------------------------------------
missing=""
for r in $(records "${RULES[@]}" | sort -u); do
	grep -q "\`$r\`" "$DOC_COMPAT" || missing="$missing $r"
done
tap_is "${missing# }" "" "docs/compat.md names every recorded name"
tap_is "$(records "${RULES[@]}" | sort | uniq -d)" "" "no name is recorded by two rules"

# ---- a real Prometheus with the rules, scraping virtmeter on the fixtures ------------------
[ -x "${VIRTMETER:-}" ] || { tap_skip "virtmeter binary not built: no live check"; tap_done; exit; }
command -v prometheus >/dev/null 2>&1 || { tap_skip "prometheus not installed: no live check"; tap_done; exit; }
FIX=$top_srcdir/tests/fixtures
start_virtmeter --path.cgroupfs="$FIX/cgroup/v2-systemd" --path.sysfs="$FIX/power/sysfs" \
	--collector.libvirt.uri="test://$FIX/libvirt/domains.xml" --storage.path="$TEST_TMP/state" ||
	tap_abort "virtmeter starts on the fixtures"
{
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n'
	printf 'rule_files:\n'
	for f in "${RULES[@]}"; do printf '  - %s\n' "$f"; done
	printf 'scrape_configs:\n  - job_name: virtmeter\n    static_configs:\n'
	printf "      - targets: ['127.0.0.1:%s']\n" "$VM_PORT"
} >"$TEST_TMP/prometheus.yml"
start_prometheus "$TEST_TMP/prometheus.yml"
[ -n "$PROM_PID" ] || { tap_diag_file "$PROM_LOG"; tap_abort "Prometheus starts with the rule files and becomes ready"; }
tap_ok "Prometheus starts with the compat rule files and becomes ready"

# count PROMQL: the number of series PROMQL gives now (empty on error).
count() {
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" --data-urlencode "query=count($1)" 2>/dev/null |
		sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p'
}
# The model charges containers from its second interval on: wait for it.
charged() { [ -n "$(count virtmeter_container_energy_joules_total)" ] && [ -n "$(count kepler_container_joules_total)" ]; }
wait_for 30 charged
# Each rule whose main input virtmeter serves on these fixtures records
# series; the 1:1 renames as many as their input has.
silent="" recorded=0 unequal=""
while IFS=$'\t' read -r rec src; do
	n_src=$(count "$src")
	[ -n "$n_src" ] || continue
	n_rec=$(count "$rec")
	if [ -z "$n_rec" ]; then
		silent="$silent $rec($src: $n_src)"
		continue
	fi
	recorded=$((recorded + 1))
	case $rec in
	libvirt_domain_info_cpu_time_seconds_total | libvirt_domain_vcpu_time_seconds_total | \
		libvirt_domain_block_stats_read_bytes_total | libvirt_domain_interface_stats_receive_bytes_total | \
		container_memory_working_set_bytes | container_fs_reads_bytes_total)
		[ "$n_rec" = "$n_src" ] || unequal="$unequal $rec($n_rec of $n_src)"
		;;
	esac
done < <(for f in "${RULES[@]}"; do rule_inputs "$f"; done | awk -F'\t' '!seen[$1]++')
tap_is "${silent# }" "" "every rule whose input virtmeter serves on the fixtures records series ($recorded do)"
tap_is "${unequal# }" "" "the renames give one series per virtmeter series"
tap_check "at least 30 compat names are recorded from the fixtures ($recorded)" test "$recorded" -ge 30
tap_is "$(grep -E 'level=(warn|error)' "$PROM_LOG" | grep -ci 'rule')" 0 \
	"Prometheus logs no rule evaluation warning or error"
kill_pid "$PROM_PID"
stop_virtmeter
tap_done
