"""The "virtmeter itself" dashboard: whether each collector runs and each
source answers, cycle durations and the age of the samples, scrapes and
what they cost, virtmeter's CPU, memory and descriptors, and the state of
the last configuration reload."""

from common import INSTANCE, rate, sel
from grafana import UP_MAPPINGS, dashboard, stat, target, timeseries

UID = "virtmeter-self"

RELOAD_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "rejected", "color": "red", "index": 0},
            "1": {"text": "ok", "color": "green", "index": 1},
        },
    }
]


def status_panels():
    """Collectors, sources, the last reload, the build."""
    return [
        (10, 6, stat(
            "Collectors",
            "none",
            [target(sel("virtmeter_collector_up"), "{{instance}} {{collector}}")],
            "1 (up) if the collector's last cycle succeeded and it is not stuck past its timeout "
            "(virtmeter_collector_up; alert VirtmeterCollectorDown). It says the collector works, not that "
            "its source answers: see Sources.",
            mappings=UP_MAPPINGS,
            thresholds=[(1, "green")],
        )),
        (6, 6, stat(
            "Sources",
            "none",
            [
                target(sel("virtmeter_libvirt_up"), "{{instance}} libvirt"),
                target(sel("virtmeter_meter_up"), "{{instance}} meter {{meter}}"),
            ],
            "Whether libvirt and each power meter answer (virtmeter_libvirt_up, virtmeter_meter_up; alerts "
            "VirtmeterLibvirtDown, VirtmeterMeterDown).",
            mappings=UP_MAPPINGS,
            thresholds=[(1, "green")],
        )),
        (4, 6, stat(
            "Last configuration reload",
            "none",
            [target(sel("virtmeter_config_last_reload_successful"), "{{instance}}")],
            "Whether the last load of --config.file succeeded (a rejected SIGHUP keeps the running "
            "configuration; alert VirtmeterConfigReloadFailed).",
            mappings=RELOAD_MAPPINGS,
            thresholds=[(1, "green")],
        )),
        (4, 6, stat(
            "Last good load",
            "dateTimeFromNow",
            [target("1000 * %s" % sel("virtmeter_config_last_reload_success_timestamp_seconds"), "{{instance}}")],
            "When the configuration was last loaded successfully (at start, or a SIGHUP with a good file).",
        )),
        (16, 4, stat(
            "Build",
            "none",
            [target(sel("virtmeter_build_info"), "{{instance}}: {{version}} ({{features}})")],
            "The version of each virtmeter and the optional features built in.",
            text="name",
        )),
        (8, 4, stat(
            "Uptime",
            "dtdurations",
            [target("time() - %s" % sel("process_start_time_seconds"), "{{instance}}")],
            "Time since virtmeter started.",
        )),
    ]


def cycle_panels():
    """How long cycles take, how old the samples are, errors."""
    return [
        (8, 8, timeseries(
            "Cycle duration",
            "s",
            [target(sel("virtmeter_collector_duration_seconds"), "{{instance}} {{collector}}")],
            "Duration of each collector's last finished cycle.",
        )),
        (8, 8, timeseries(
            "Age of the samples",
            "s",
            [target(
                "time() - (%s > 0)" % sel("virtmeter_collector_last_success_timestamp_seconds"),
                "{{instance}} {{collector}}",
            )],
            "Seconds since each collector's last successful cycle: how stale its samples are "
            "(alert VirtmeterCollectorStale above 60 s). A collector that never succeeded has none.",
            thresholds=[(60, "red")],
        )),
        (8, 8, timeseries(
            "Failed cycles",
            "cps",
            [target("sum by (instance, collector) (%s)" % rate(sel("virtmeter_collector_errors_total")), "{{instance}} {{collector}}")],
            "Cycles per second that failed, per collector (the collector's last good samples stay served).",
        )),
    ]


def scrape_panels():
    """Scrapes: how many, how each body was found, what they cost."""
    return [
        (8, 8, timeseries(
            "Scrapes by render path",
            "reqps",
            [target("sum by (instance, render) (%s)" % rate(sel("virtmeter_http_scrapes_total")), "{{instance}} {{render}}")],
            "Scrapes of /metrics per second by how their body was found: cached (rendered already), ahead "
            "(rendered ahead of this scraper) or inline (the scrape waited for a render).",
            stack=True,
        )),
        (8, 8, timeseries(
            "Scrape duration, as Prometheus sees it",
            "s",
            [target(sel("scrape_duration_seconds"), "{{instance}} {{job}}")],
            "How long each scrape of virtmeter took, measured by Prometheus (its own series).",
        )),
        (8, 8, timeseries(
            "Samples per scrape",
            "short",
            [target(sel("scrape_samples_scraped"), "{{instance}} {{job}}")],
            "Samples in each scrape (Prometheus's own series): virtmeter's cardinality on this host.",
        )),
    ]


def process_panels():
    """virtmeter's own CPU, memory and descriptors, and its work."""
    return [
        (8, 8, timeseries(
            "CPU",
            "percentunit",
            [target(rate(sel("process_cpu_seconds_total")), "{{instance}}")],
            "virtmeter's CPU time as a share of one CPU.",
        )),
        (8, 8, timeseries(
            "Memory",
            "bytes",
            [
                target(sel("process_resident_memory_bytes"), "{{instance}} resident"),
                target(sel("process_virtual_memory_bytes"), "{{instance}} virtual"),
            ],
            "virtmeter's resident and virtual memory.",
        )),
        (8, 8, timeseries(
            "Open file descriptors",
            "short",
            [
                target(sel("process_open_fds"), "{{instance}} open"),
                target(sel("process_max_fds"), "{{instance}} limit"),
                target(sel("virtmeter_perf_open_fds"), "{{instance}} perf events"),
            ],
            "Descriptors virtmeter holds open (cgroup files it keeps open, perf events) against its "
            "RLIMIT_NOFILE.",
        )),
        (12, 8, timeseries(
            "cgroup reads",
            "ops",
            [
                target("sum by (instance, kind) (%s)" % rate(sel("virtmeter_cgroup_reads_total")), "{{instance}} {{kind}} cgroups"),
                target(rate(sel("virtmeter_cgroup_file_reads_total")), "{{instance}} files"),
            ],
            "cgroups read in full or only probed (idle) per second, and files read per second.",
        )),
        (12, 8, timeseries(
            "perf: cgroups counted and skipped",
            "short",
            [
                target(sel("virtmeter_perf_cgroups_counted"), "{{instance}} counted"),
                target(sel("virtmeter_perf_cgroups_skipped"), "{{instance}} skipped"),
            ],
            "VM and container cgroups whose events perf counts, and those left out (past "
            "--collector.perf.max-cgroups or the descriptor budget).",
        )),
    ]


def build():
    """The dashboard."""
    return dashboard(
        UID,
        "virtmeter / virtmeter itself",
        "Whether virtmeter's collectors run and their sources answer, cycle durations, sample age, scrapes "
        "and their cost, open descriptors and the last configuration reload.",
        [INSTANCE],
        [status_panels(), cycle_panels(), scrape_panels(), process_panels()],
    )
