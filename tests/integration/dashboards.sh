#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2016,SC2119 # cleanup runs from the trap; patterns in single quotes
# The Grafana dashboards of dashboards/ and the mixin of deploy/mixin/:
# the committed files are what dashboards/generate.py makes from
# dashboards/gen/ and the rule files (not stale); every dashboard is valid
# JSON with unique panel ids and a stable uid of its own, takes its data
# source from the ${datasource} variable in every panel and target, sets a
# unit on every panel and uses the variables it defines; every metric and
# label a query names is one `virtmeter --dump-metrics` lists; jsonnet reads
# the mixin as kube-prometheus does; and every query (panels and template
# variables) runs against a real Prometheus that scraped real virtmeters
# (tests/integration/live_lib.sh) and returns series, but those listed
# below as empty on this machine, with the reason. Each checker is first
# shown to fail on a broken copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg_lib.sh"
. "$(dirname "$0")/live_lib.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not installed"
python3 -c 'import yaml' 2>/dev/null || tap_skip_all "PyYAML not installed (Debian package python3-yaml)"

GEN=(python3 -B "$top_srcdir/dashboards/generate.py")
DASHES=("$top_srcdir"/dashboards/*.json)
[ -f "${DASHES[0]}" ] || tap_abort "dashboards/*.json exist"

# ---- generated, not stale --------------------------------------------------------
out=$("${GEN[@]}" --check 2>&1)
tap_is "$out" "" "dashboards/*.json and deploy/mixin/ are what dashboards/generate.py makes (not stale)"
for d in dashboards deploy/prometheus/rules deploy/mixin; do
	mkdir -p "$TEST_TMP/tree/$d" && cp -r "$top_srcdir/$d/." "$TEST_TMP/tree/$d/"
done
sed -i 's/"title": "CPU"/"title": "CPU time"/' "$TEST_TMP/tree/dashboards/virtmeter-containers.json"
sed -i 's/> 0.95/> 0.9/' "$TEST_TMP/tree/deploy/prometheus/rules/alerts.yml"
touch "$TEST_TMP/tree/deploy/mixin/dashboards_out/old.json"
out=$("${GEN[@]}" --check --root "$TEST_TMP/tree" 2>&1)
tap_like "$out" 'stale: dashboards/virtmeter-containers.json: differs' "--check names a dashboard edited by hand"
tap_like "$out" 'stale: deploy/mixin/alerts.yaml: differs' "--check names the mixin's rules when the rule file changed"
tap_like "$out" 'stale: deploy/mixin/alerts.libsonnet: differs' "--check names the mixin's jsonnet when the rule file changed"
tap_like "$out" 'stale: deploy/mixin/dashboards_out/old.json: not generated' "--check names a dashboard nothing generates"

# ---- structure ---------------------------------------------------------------------
out=$("${CHECK[@]}" structure "${DASHES[@]}" 2>&1)
tap_is "$out" "" "the ${#DASHES[@]} dashboards pass the structural check"
n=$(python3 -c 'import json,sys; print(sum(len(json.load(open(f))["panels"]) for f in sys.argv[1:]))' "${DASHES[@]}")
tap_check "the dashboards have panels ($n)" test "$n" -ge 40
vars=$(python3 -c 'import json,sys
for f in sys.argv[1:]:
    print(" ".join(v["name"] for v in json.load(open(f))["templating"]["list"]))' "${DASHES[@]}" | tr ' ' '\n' | sort -u | tr '\n' ' ')
tap_is "$vars" "container datasource instance vm " "the dashboards' variables are datasource, instance, vm and container"
titles=$(python3 -c 'import json,sys; print("|".join(sorted(json.load(open(f))["title"] for f in sys.argv[1:])))' "${DASHES[@]}")
tap_is "$titles" "virtmeter / Containers|virtmeter / Host power and idle waste|virtmeter / VM overhead|virtmeter / virtmeter itself" \
	"the four dashboards"

# The checker fails: a duplicate panel id, a panel without unit, a hard-coded
# data source, an undefined variable, a uid shared by two files, bad JSON.
python3 - "${DASHES[0]}" "$TEST_TMP/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["panels"]
p[1]["id"] = p[0]["id"]
del p[2]["fieldConfig"]["defaults"]["unit"]
p[3]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
p[4]["targets"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
p[5]["targets"][0]["expr"] += ' * on (instance) group_left count by (instance) (virtmeter_vm_info{vm=~"$domain"})'
json.dump(d, open(sys.argv[2], "w"))
PY
printf '{"uid": ' >"$TEST_TMP/broken.json"
out=$("${CHECK[@]}" structure "${DASHES[0]}" "$TEST_TMP/bad.json" "$TEST_TMP/broken.json" 2>&1)
tap_like "$out" 'panel id 1 is not unique' "the structural check catches a duplicate panel id"
tap_like "$out" "unit None is not set" "the structural check catches a panel without a unit"
tap_like "$out" "its datasource is \\{'type': 'prometheus', 'uid': 'P1809F7CD0C75ACF3'\\}, not the variable" \
	"the structural check catches a panel with a fixed data source"
tap_like "$out" 'B?[A-Z]: its datasource is not the variable' "the structural check catches a target with a fixed data source"
tap_like "$out" '\$domain is used but not defined' "the structural check catches an undefined variable"
tap_like "$out" 'bad.json: uid virtmeter-[a-z-]* is also the uid of' "the structural check catches a uid used twice"
tap_like "$out" 'broken.json: not valid JSON' "the structural check catches invalid JSON"

# ---- names against the binary ---------------------------------------------------------
[ -x "${VIRTMETER:-}" ] || tap_abort "virtmeter binary built ($VIRTMETER)"
"$VIRTMETER" --dump-metrics >"$TEST_TMP/dump.tsv" || tap_abort "virtmeter --dump-metrics"
out=$("${CHECK[@]}" names "$TEST_TMP/dump.tsv" "${DASHES[@]}" 2>&1)
tap_is "$out" "" "every metric and label the dashboards name is one virtmeter emits"
sed -e 's/virtmeter_vm_vcpu_delay_seconds_total/virtmeter_vm_vcpu_steal_seconds_total/' \
	-e 's/sum by (instance, vm, stat)/sum by (instance, domain, stat)/' \
	-e 's/{{vm}} {{stat}}/{{vm}} {{exit}}/' \
	-e 's/virtmeter_vm_emulator_cpu_seconds_total{instance=~\\"$instance\\", vm=~\\"$vm\\"}/virtmeter_vm_emulator_cpu_seconds_total{instance=~\\"$instance\\", container=~\\"$vm\\"}/' \
	"$top_srcdir/dashboards/virtmeter-vm-overhead.json" >"$TEST_TMP/renamed.json"
out=$("${CHECK[@]}" names "$TEST_TMP/dump.tsv" "$TEST_TMP/renamed.json" 2>&1)
tap_like "$out" 'virtmeter_vm_vcpu_steal_seconds_total is no metric virtmeter emits' "the name check catches a metric the code does not emit"
tap_like "$out" 'virtmeter_vm_emulator_cpu_seconds_total has no label container' "the name check catches a label its family does not have"
tap_like "$out" 'label domain is on none of the series it reads' "the name check catches a grouping label no series has"
tap_like "$out" 'label exit is on none of the series it reads' "the name check catches a legend label no series has"

# ---- the mixin, as jsonnet reads it ----------------------------------------------------
if command -v jsonnet >/dev/null 2>&1; then
	got=$(cd "$top_srcdir/deploy/mixin" && jsonnet -e 'local m = import "mixin.libsonnet";
		{alerts: m.prometheusAlerts, rules: m.prometheusRules,
		 dashboards: std.objectFields(m.grafanaDashboards),
		 uids: [m.grafanaDashboards[k].uid for k in std.objectFields(m.grafanaDashboards)]}' 2>&1)
	want=$(python3 - "$top_srcdir" "${DASHES[@]}" <<'PY'
import json, os, sys, yaml
root = sys.argv[1]
load = lambda p: yaml.safe_load(open(os.path.join(root, p)))
names = sorted(os.path.basename(f) for f in sys.argv[2:])
print(json.dumps({"alerts": load("deploy/prometheus/rules/alerts.yml"),
                  "rules": load("deploy/prometheus/rules/recording.yml"),
                  "dashboards": names,
                  "uids": [json.load(open(os.path.join(root, "dashboards", n)))["uid"] for n in names]},
                 sort_keys=True))
PY
)
	got=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))' <<<"$got" 2>&1)
	tap_is "$got" "$want" "jsonnet reads mixin.libsonnet: the alerts and rules of deploy/prometheus/rules/ and the four dashboards"
else
	tap_skip "jsonnet reads the mixin" "jsonnet not installed (Debian package jsonnet)"
fi

# ---- every query against a real Prometheus ----------------------------------------------
# Queries that return nothing on this machine, and why: "GLOB<TAB>REASON".
cat >"$TEST_TMP/empty-ok.tsv" <<'EOF'
*panel * "vCPU delay (steal)" A	the libvirt test driver reports no vCPU delay
*panel * "vCPU I/O wait" A	the libvirt test driver reports no vCPU wait
*panel * "Cycles in guest and host mode" A	no PMU: no cycles are counted
*panel * "Instructions per cycle" A	no PMU: no cycles or instructions are counted
*panel * "TLB misses per thousand instructions" A	no PMU: no TLB misses or instructions are counted
*panel * "KVM exits" A	the libvirt test driver's VM has no KVM statistics
EOF
reason=$(live_skip_reason)
if [ -n "$reason" ]; then
	tap_skip "the dashboards' queries against a real Prometheus" "$reason"
	tap_done
fi
live_start || tap_abort "virtmeter and Prometheus start and Prometheus gets data within 60 s"
tap_ok "two virtmeters (one healthy, one broken) and a dead target scraped by Prometheus every second"
"${CHECK[@]}" exprs "${DASHES[@]}" >"$TEST_TMP/exprs.tsv"
tap_check "every panel target and template variable is listed ($(wc -l <"$TEST_TMP/exprs.tsv"))" \
	test "$(wc -l <"$TEST_TMP/exprs.tsv")" -ge 60
live_check "dashboard" "$TEST_TMP/exprs.tsv" "$TEST_TMP/empty-ok.tsv"

# What some panels show, on the healthy host: the parts of its energy that
# the split panel stacks add up to its energy (their counters, from one
# scrape: asked 3 s in the past, for a query can see a scrape that
# Prometheus is still storing half stored); the idle wasters panel charges
# the idle container idle energy, the busy one none.
I="instance=\"$LIVE_OK\""
parts="sum(virtmeter_vm_energy_joules_total{$I}) + sum(virtmeter_container_energy_joules_total{$I})
	+ sum(virtmeter_host_unattributed_energy_joules_total{$I})"
# split_sums: p and h, the parts and the host's energy 3 s ago; fails
# while the model has not yet published both (its first interval closes a
# few seconds after start, later on a loaded machine).
split_sums() {
	local at=$(($(date +%s) - 3))
	p=$(live_series "$parts" "$at" | awk '{ print $NF }')
	h=$(live_series "sum(virtmeter_host_energy_joules_total{$I})" "$at" | awk '{ print $NF }')
	[ -n "$p" ] && [ -n "$h" ]
}
wait_for 20 split_sums
tap_check "the parts the power split panel stacks add up to the host's energy ($p J of $h J)" \
	awk -v p="$p" -v h="$h" 'BEGIN { exit !(h > 0 && p / h > 0.999 && p / h < 1.001) }'
wasters_expr=$(sed -n 's/.*panel [0-9]* "Top idle wasters, last 24 h" B\t//p' "$TEST_TMP/exprs.tsv")
idle_charged() { live_series "$wasters_expr" | grep -Eq "^container=$LIVE_IDLE,instance=$LIVE_OK [0-9.e-]*[1-9]"; }
wait_for 10 idle_charged
wasters=$(live_series "$wasters_expr")
tap_like "$wasters" "^container=$LIVE_IDLE,instance=$LIVE_OK [0-9.e-]*[1-9]" \
	"the idle wasters panel shows the idle container's idle energy on the healthy host"
tap_is "$(grep "^container=$LIVE_BUSY," <<<"$wasters" | awk '{ print $NF }')" 0 "and none for the busy container"

# The estimate is visible as such: the broken host's power is labelled
# source="estimate", the healthy host's rapl.
tap_is "$(live_count "sum by (instance, source) (virtmeter_host_power_watts{instance=\"$LIVE_BROKEN\",source=\"estimate\"})")" 1 \
	"the host power panels show the broken host's power as an estimate"
tap_is "$(live_count "sum by (instance, source) (virtmeter_host_power_watts{instance=\"$LIVE_OK\",source=\"rapl\"})")" 1 \
	"and the healthy host's as measured by RAPL"
tap_done
