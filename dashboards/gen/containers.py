"""The "Containers" dashboard: each container's CPU and throttling, memory
and working set, pressure (PSI), block I/O, TLB misses per thousand
instructions and IPC where perf counts them, and energy."""

from common import CONTAINER, CT, CT_LEGEND, INSTANCE, ct_sel, rate
from grafana import dashboard, target, timeseries

UID = "virtmeter-containers"


def by_ct(expr):
    """EXPR summed per container."""
    return "sum by (%s) (%s)" % (CT, expr)


def ratio(num, den):
    """NUM / DEN per container, where DEN is above 0."""
    return "%s\n/\n(%s > 0)" % (by_ct(num), by_ct(den))


def cpu_panels():
    """CPU time, use of the quota and throttling."""
    cpu = rate(ct_sel("virtmeter_container_cpu_seconds_total"))
    return [
        (12, 8, timeseries(
            "CPU",
            "short",
            [target(by_ct(cpu), CT_LEGEND)],
            "CPUs each container keeps busy (CPU seconds per second, user and system).",
        )),
        (12, 8, timeseries(
            "CPU used of the quota",
            "percentunit",
            [target(ratio(cpu, ct_sel("virtmeter_container_cpu_quota_cpus")), CT_LEGEND)],
            "CPU time as a share of the container's CFS quota (containers without a quota have none).",
        )),
        (12, 8, timeseries(
            "Throttled periods",
            "percentunit",
            [target(
                ratio(rate(ct_sel("virtmeter_container_cpu_throttled_periods_total")),
                      rate(ct_sel("virtmeter_container_cpu_periods_total"))),
                CT_LEGEND,
            )],
            "Share of the CFS periods in which the container ran out of quota and was throttled.",
        )),
        (12, 8, timeseries(
            "Throttled time",
            "short",
            [target(by_ct(rate(ct_sel("virtmeter_container_cpu_throttled_seconds_total"))), CT_LEGEND)],
            "Seconds per second the container's tasks were held back by the CFS bandwidth limit.",
        )),
    ]


def memory_panels():
    """Memory, working set and the limit."""
    return [
        (12, 8, timeseries(
            "Memory",
            "bytes",
            [
                target(by_ct(ct_sel("virtmeter_container_memory_usage_bytes")), CT_LEGEND + " usage"),
                target(by_ct(ct_sel("virtmeter_container_memory_working_set_bytes")), CT_LEGEND + " working set"),
                target(by_ct(ct_sel("virtmeter_container_memory_limit_bytes")), CT_LEGEND + " limit"),
            ],
            "Memory charged to the container (page cache included), its working set (usage minus inactive "
            "file pages, what the OOM killer looks at) and its limit where it has one.",
        )),
        (12, 8, timeseries(
            "Memory: anonymous, page cache, swap",
            "bytes",
            [
                target(by_ct(ct_sel("virtmeter_container_memory_rss_bytes")), CT_LEGEND + " anonymous"),
                target(by_ct(ct_sel("virtmeter_container_memory_cache_bytes")), CT_LEGEND + " cache"),
                target(by_ct(ct_sel("virtmeter_container_memory_swap_bytes")), CT_LEGEND + " swap"),
            ],
            "What the container's memory is made of.",
        )),
    ]


def pressure_panels():
    """PSI: time waiting for (some) and stalled on (full) each resource."""
    panels = []
    for kind, what in (("waiting", "some task waited (PSI some)"), ("stalled", "all tasks stalled (PSI full)")):
        targets = [
            target(
                by_ct(rate(ct_sel("virtmeter_container_pressure_%s_%s_seconds_total" % (res, kind)))),
                "%s %s" % (CT_LEGEND, res),
            )
            for res in ("cpu", "memory", "io")
        ]
        panels.append((12, 8, timeseries(
            "Pressure: %s" % kind,
            "percentunit",
            targets,
            "Share of the time %s for CPU, memory or I/O, from the cgroup2 *.pressure files." % what,
        )))
    return panels


def io_panels():
    """Block I/O, bytes and operations."""
    return [
        (12, 8, timeseries(
            "Block I/O throughput",
            "Bps",
            [
                target(by_ct(rate(ct_sel("virtmeter_container_io_read_bytes_total"))), CT_LEGEND + " read"),
                target(by_ct(rate(ct_sel("virtmeter_container_io_write_bytes_total"))), CT_LEGEND + " write"),
            ],
            "Bytes read from and written to block devices per second, summed over devices.",
        )),
        (12, 8, timeseries(
            "Block I/O operations",
            "iops",
            [
                target(by_ct(rate(ct_sel("virtmeter_container_io_read_operations_total"))), CT_LEGEND + " read"),
                target(by_ct(rate(ct_sel("virtmeter_container_io_write_operations_total"))), CT_LEGEND + " write"),
            ],
            "Read and write operations per second, summed over devices.",
        )),
    ]


def perf_panels():
    """TLB misses per thousand instructions and IPC."""
    perf = "virtmeter_container_perf_events_total"
    instructions = rate(ct_sel(perf, 'event="instructions"'))
    tlb = "1000 * sum by (%s, event) (%s)\n/ ignoring (event) group_left ()\n(%s > 0)" % (
        CT, rate(ct_sel(perf, 'event=~"dTLB-load-misses|iTLB-load-misses"')), by_ct(instructions))
    return [
        (12, 8, timeseries(
            "TLB misses per thousand instructions",
            "none",
            [target(tlb, CT_LEGEND + " {{event}}")],
            "Data and instruction TLB load misses per thousand instructions (MPKI), from the perf "
            "collector's per-container counters. Empty on a host without a PMU (most VMs).",
        )),
        (12, 8, timeseries(
            "Instructions per cycle",
            "none",
            [target(ratio(instructions, rate(ct_sel(perf, 'event="cycles"'))), CT_LEGEND)],
            "Instructions retired per cycle. Empty on a host without a PMU.",
        )),
    ]


def energy_panels():
    """Each container's power and energy."""
    energy = ct_sel("virtmeter_container_energy_joules_total")
    return [
        (12, 9, timeseries(
            "Power per container: dynamic, idle",
            "watt",
            [target(
                "sum by (%s, component, source) (%s)" % (CT, rate(energy)),
                CT_LEGEND + " {{component}} ({{source}})",
            )],
            "The host's power charged to each container, stacked by component: dynamic (its work) and idle "
            "(its share of idle power, by the CPU quota and memory limit it reserves). The source is the "
            "meter type, or estimate.",
            stack=True,
        )),
        (12, 9, timeseries(
            "Energy per container per day",
            "watth",
            [target(by_ct("increase(%s[1d])" % energy) + " / 3600", CT_LEGEND, interval="1d")],
            "Each container's energy over each day (the 24 hours before each bar).",
            bars=True,
        )),
        (24, 8, timeseries(
            "Time nearly idle",
            "percentunit",
            [target(by_ct(rate(ct_sel("virtmeter_container_idle_seconds_total"))), CT_LEGEND)],
            "Share of the time the container used less than the idle threshold of its CPU quota while "
            "charged its share of idle power (containers without a quota are never idle).",
        )),
    ]


def build():
    """The dashboard."""
    return dashboard(
        UID,
        "virtmeter / Containers",
        "Each container's CPU, throttling, memory, pressure, I/O, TLB misses and IPC where perf counts "
        "them, and energy.",
        [INSTANCE, CONTAINER],
        [cpu_panels(), memory_panels(), pressure_panels(), io_panels(), perf_panels(), energy_panels()],
    )
