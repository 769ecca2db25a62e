"""The "Host power and idle waste" dashboard: what each host draws
(measured, or estimated and labelled so), how its energy splits into idle,
dynamic and unattributed, how well the parts add up, whether its meters
answer, which workloads waste the most idle power, and energy per day."""

from common import INSTANCE, rate, sel
from grafana import UP_MAPPINGS, bargauge, dashboard, stat, target, timeseries

UID = "virtmeter-host-power"

ENERGY_FAMILIES = (
    ("virtmeter_vm_energy_joules_total", "VMs"),
    ("virtmeter_container_energy_joules_total", "containers"),
    ("virtmeter_host_unattributed_energy_joules_total", "unattributed"),
)


def meter_total():
    """The host's power from its meters: a wall meter, else RAPL psys, else
    RAPL packages and DRAM (docs/metrics.md, Power)."""
    parts = [
        "sum by (instance) (%s)" % sel("virtmeter_power_watts", 'kind="%s"' % k)
        for k in ("wall", "psys")
    ]
    parts.append("sum by (instance) (%s)" % sel("virtmeter_power_watts", 'kind=~"package|dram"'))
    return "\n  or\n".join(parts)


def top_panels():
    """The first row: the host's power and its source, the idle power in
    use, the attribution error."""
    return [
        (6, 5, stat(
            "Host power",
            "watt",
            [target("sum by (instance, source) (%s)" % sel("virtmeter_host_power_watts"), "{{instance}} ({{source}})")],
            "The host's mean power over the energy model's last interval. The source in brackets is the meter "
            'type, or "estimate" when no meter measures the host and the power is estimated from CPU utilisation.',
        )),
        (6, 5, stat(
            "Power source",
            "none",
            [target(sel("virtmeter_host_power_source_info"), "{{instance}}: {{source}} {{meter}} {{zone}}")],
            "The meter and zones whose sum is the host's power (virtmeter_host_power_source_info); "
            '"estimate" with no meter: the figures of this host are estimates.',
            text="name",
        )),
        (6, 5, stat(
            "Idle power in use",
            "watt",
            [target(sel("virtmeter_host_idle_power_watts"), "{{instance}} ({{method}})")],
            "The host's idle power the model uses: configured, learned from the host's history, or the "
            "estimate's until a value is learned.",
        )),
        (6, 5, stat(
            "Attribution error",
            "percentunit",
            [target("max by (instance) (%s)" % sel("virtmeter_attribution_error_ratio"), "{{instance}}")],
            "|sum of all parts - measured energy| / measured energy over the model's last interval. "
            "Above 0.5 % the parts do not add up (alert VirtmeterAttributionErrorHigh).",
            thresholds=[(0.005, "red")],
        )),
    ]


def power_panels():
    """The host's power over time, and the split of its energy."""
    split = [
        target("sum by (component) (%s)" % rate(sel(fam)), "%s {{component}}" % what)
        for fam, what in ENERGY_FAMILIES
    ]
    return [
        (12, 9, timeseries(
            "Host power: model and meters",
            "watt",
            [
                target("sum by (instance, source) (%s)" % sel("virtmeter_host_power_watts"), "{{instance}} model ({{source}})"),
                target(meter_total(), "{{instance}} meters"),
            ],
            "The energy model's host power, labelled by its source (estimate when no meter measures the "
            "host), beside the meters' own total: a wall meter, else RAPL psys, else RAPL packages and DRAM.",
        )),
        (12, 9, timeseries(
            "Where the power goes: idle, dynamic, overhead, unattributed",
            "watt",
            split,
            "The host's energy per second split by the model, stacked: each part's idle share of idle "
            "power, its dynamic (work) and, for VMs, overhead (virtualization itself); unattributed is what "
            "no workload used (the host's own processes, and idle power of capacity nobody reserved).",
            stack=True,
        )),
    ]


def health_panels():
    """The model's accuracy and the meters' health."""
    return [
        (8, 8, timeseries(
            "Attribution error",
            "percentunit",
            [target("max by (instance) (%s)" % sel("virtmeter_attribution_error_ratio"), "{{instance}}")],
            "How far the parts of each interval are from the measured energy; the dashed line is the 0.5 % "
            "alert threshold.",
            thresholds=[(0.005, "red")],
        )),
        (8, 8, timeseries(
            "Model intervals by outcome",
            "cps",
            [target("sum by (instance, outcome) (%s)" % rate(sel("virtmeter_model_intervals_total")), "{{instance}} {{outcome}}")],
            "Intervals the model closed per second: attributed, gap (energy charged to no one: readings "
            "too far apart) or first.",
        )),
        (8, 8, stat(
            "Meters",
            "none",
            [target(sel("virtmeter_meter_up"), "{{instance}} {{meter}} ({{source}})")],
            "1 (up) if the meter's last read succeeded and none runs past its timeout "
            "(virtmeter_meter_up; alert VirtmeterMeterDown).",
            mappings=UP_MAPPINGS,
            thresholds=[(1, "green")],
        )),
        (12, 8, timeseries(
            "Power by meter zone",
            "watt",
            [target(
                "sum by (instance, meter, zone, kind) (%s)" % sel("virtmeter_power_watts", 'part_of=""'),
                "{{instance}} {{meter}} {{zone}} ({{kind}})",
            )],
            'Every zone that no other zone of its meter contains (part_of=""): each meter\'s own total, '
            "zone by zone. Different meters measure the same host again: do not add them.",
        )),
        (12, 8, timeseries(
            "Age of each meter's last reading",
            "s",
            [target(
                "time() - (%s > 0)" % sel("virtmeter_meter_last_sample_timestamp_seconds"),
                "{{instance}} {{meter}}",
            )],
            "Seconds since each meter's last successful read; a meter that never answered has none.",
        )),
    ]


def waste_panels():
    """Idle waste: the workloads charged the most idle power while idle."""
    wasters = [
        target(
            "topk(10, sum by (instance, vm) (increase(%s[1d]))) / 3600" % sel("virtmeter_vm_idle_energy_joules_total"),
            "VM {{vm}} ({{instance}})",
            instant=True,
        ),
        target(
            "topk(10, sum by (instance, container, namespace, pod) (increase(%s[1d]))) / 3600"
            % sel("virtmeter_container_idle_energy_joules_total"),
            "container {{container}} {{namespace}}/{{pod}} ({{instance}})",
            instant=True,
        ),
    ]
    wasted = [
        target("sum by (instance) (%s)" % rate(sel("virtmeter_vm_idle_energy_joules_total")), "{{instance}} VMs"),
        target("sum by (instance) (%s)" % rate(sel("virtmeter_container_idle_energy_joules_total")), "{{instance}} containers"),
    ]
    return [
        (12, 10, bargauge(
            "Top idle wasters, last 24 h",
            "watth",
            wasters,
            "The VMs and containers charged the most idle energy over the last day while they were nearly "
            "idle (below --collector.model.idle-threshold of the CPUs they reserve): power kept for "
            "capacity that did nothing. Alerts VirtmeterVMIdlePowerWaste, VirtmeterContainerIdlePowerWaste.",
        )),
        (12, 10, timeseries(
            "Idle power charged to idle workloads",
            "watt",
            wasted,
            "Idle power charged to VMs and containers while they were nearly idle, per host.",
            stack=True,
        )),
    ]


def day_panels():
    """Energy per day, per host and per kind of consumer."""
    by_kind = [
        target("sum(increase(%s[1d])) / 3600" % sel(fam), what, interval="1d")
        for fam, what in ENERGY_FAMILIES
    ]
    return [
        (12, 9, timeseries(
            "Energy per day",
            "watth",
            [target(
                "sum by (instance, source) (increase(%s[1d])) / 3600" % sel("virtmeter_host_energy_joules_total"),
                "{{instance}} ({{source}})",
                interval="1d",
            )],
            "The host's energy over each day (the 24 hours before each bar), as the model attributed it.",
            bars=True,
        )),
        (12, 9, timeseries(
            "Energy per day: VMs, containers, unattributed",
            "watth",
            by_kind,
            "The same energy by consumer, over the selected hosts.",
            stack=True,
            bars=True,
        )),
    ]


def build():
    """The dashboard."""
    return dashboard(
        UID,
        "virtmeter / Host power and idle waste",
        "Host power (measured, or estimated and shown as such), its split into idle, dynamic and "
        "unattributed energy, the model's error, the meters' health, idle waste and energy per day.",
        [INSTANCE],
        [top_panels(), power_panels(), health_panels(), waste_panels(), day_panels()],
    )
