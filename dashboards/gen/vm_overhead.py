"""The "VM overhead" dashboard: what virtualization costs each VM: time its
vCPUs waited for a host CPU (steal), the hypervisor's own CPU work
(emulator), guest against host cycles where the PMU splits them, KVM exits,
and its energy split into guest work, overhead and idle."""

from common import INSTANCE, VM, rate, sel, vm_sel
from grafana import UP_MAPPINGS, dashboard, stat, target, timeseries

UID = "virtmeter-vm-overhead"
KVM_EXITS = "exits|halt_exits|io_exits|mmio_exits|irq_exits|signal_exits|insn_emulation"


def cycles(event, mode):
    """The per-second rate of EVENT of each VM in MODE (a regex)."""
    return "sum by (instance, vm, mode) (%s)" % rate(
        vm_sel("virtmeter_vm_perf_events_total", 'event="%s"' % event, 'mode=~"%s"' % mode)
    )


def steal_panels():
    """Steal and wait, as the guests see them, and the host's own steal."""
    return [
        (8, 8, timeseries(
            "vCPU delay (steal)",
            "percentunit",
            [target("avg by (instance, vm) (%s)" % rate(vm_sel("virtmeter_vm_vcpu_delay_seconds_total")), "{{vm}}")],
            "Share of the time each vCPU was runnable but waited for a host CPU (libvirt's vcpu.N.delay), "
            "averaged over the VM's vCPUs: steal time as the guest sees it. Alert VirtmeterVMHighSteal above 10 %.",
            thresholds=[(0.1, "red")],
        )),
        (8, 8, timeseries(
            "vCPU I/O wait",
            "percentunit",
            [target("avg by (instance, vm) (%s)" % rate(vm_sel("virtmeter_vm_vcpu_wait_seconds_total")), "{{vm}}")],
            "Share of the time each vCPU waited on I/O (vcpu.N.wait), averaged over the VM's vCPUs.",
        )),
        (8, 8, timeseries(
            "Host steal",
            "percentunit",
            [target(
                "sum by (instance) (%s) / sum by (instance) (%s)"
                % (rate(sel("virtmeter_host_cpu_seconds_total", 'mode="steal"')), sel("virtmeter_host_cpus")),
                "{{instance}}",
            )],
            "Share of the host's CPU time stolen by the hypervisor below it, when the host is itself a VM.",
        )),
    ]


def emulator_panels():
    """The hypervisor's own CPU work for each VM."""
    return [
        (12, 8, timeseries(
            "Emulator overhead (share of the VM's CPU time)",
            "percentunit",
            [target(
                "sum by (instance, vm) (%s)\n/\nsum by (instance, vm) (%s)"
                % (rate(vm_sel("virtmeter_vm_emulator_cpu_seconds_total")), rate(vm_sel("virtmeter_vm_cpu_seconds_total"))),
                "{{vm}}",
            )],
            "The VM's CPU time outside its vCPUs (device emulation, I/O threads) as a share of its whole CPU "
            "time on the host. Alert VirtmeterVMHighEmulatorOverhead above 25 % of a VM busy with at least "
            "0.1 CPU.",
            thresholds=[(0.25, "red")],
        )),
        (12, 8, timeseries(
            "CPU on the host: vCPUs and emulator",
            "short",
            [
                target("sum by (instance, vm) (%s)" % rate(vm_sel("virtmeter_vm_vcpu_seconds_total")), "{{vm}} vCPUs"),
                target("sum by (instance, vm) (%s)" % rate(vm_sel("virtmeter_vm_emulator_cpu_seconds_total")), "{{vm}} emulator"),
            ],
            "CPUs each VM keeps busy on the host (CPU seconds per second): its vCPUs' time and the emulator's.",
            stack=True,
        )),
    ]


def perf_panels():
    """Guest against host cycles and IPC, where perf counts them."""
    return [
        (9, 8, timeseries(
            "Cycles in guest and host mode",
            "hertz",
            [target(cycles("cycles", "guest|host"), "{{vm}} {{mode}}")],
            "Cycles per second of each VM's threads with the host excluded (guest) and with the guest "
            "excluded (host: the virtualization overhead on the host side). Empty where the PMU or the "
            "hypervisor cannot separate them (see the next panel) or where the host has no PMU.",
            stack=True,
        )),
        (9, 8, timeseries(
            "Instructions per cycle",
            "none",
            [target("%s\n/\n(%s > 0)" % (cycles("instructions", ".+"), cycles("cycles", ".+")), "{{vm}} {{mode}}")],
            "Instructions retired per cycle, by mode (guest, host, or all where they are not split).",
        )),
        (6, 8, stat(
            "Guest/host split",
            "none",
            [target(sel("virtmeter_perf_mode_split_supported"), "{{instance}} {{event}}")],
            "1 (up) if a VM's cycles and instructions are split into guest and host mode on this host.",
            mappings=UP_MAPPINGS,
            thresholds=[(1, "green")],
        )),
        (24, 8, timeseries(
            "KVM exits",
            "cps",
            [target(
                "sum by (instance, vm, stat) (%s)" % rate(vm_sel("virtmeter_vm_kvm_vcpu_stat_total", 'stat=~"%s"' % KVM_EXITS)),
                "{{vm}} {{stat}}",
            )],
            "VM exits per second by reason, summed over the VM's vCPUs (KVM's binary statistics through "
            "libvirt): each exit is work the host does for the guest. Absent on TCG guests.",
        )),
    ]


def energy_panels():
    """Each VM's energy: guest work, overhead and idle."""
    energy = vm_sel("virtmeter_vm_energy_joules_total")
    return [
        (12, 9, timeseries(
            "Power per VM: dynamic, overhead, idle",
            "watt",
            [target("sum by (instance, vm, component, source) (%s)" % rate(energy), "{{vm}} {{component}} ({{source}})")],
            "The host's power charged to each VM, stacked by component: dynamic (its guest work), overhead "
            "(virtualization itself) and idle (its share of idle power). The source is the meter type, or "
            "estimate.",
            stack=True,
        )),
        (12, 9, timeseries(
            "Overhead share of each VM's work",
            "percentunit",
            [target(
                "sum by (instance, vm) (%s)\n/\n(sum by (instance, vm) (%s) > 0)"
                % (rate(vm_sel("virtmeter_vm_energy_joules_total", 'component="overhead"')),
                   rate(vm_sel("virtmeter_vm_energy_joules_total", 'component=~"dynamic|overhead"'))),
                "{{vm}}",
            )],
            "Overhead energy as a share of the VM's dynamic and overhead energy: what virtualization adds to "
            "the energy of its work.",
        )),
        (12, 9, timeseries(
            "Energy per VM per day",
            "watth",
            [target(
                "sum by (instance, vm, component) (increase(%s[1d])) / 3600" % energy,
                "{{vm}} {{component}}",
                interval="1d",
            )],
            "Each VM's energy over each day (the 24 hours before each bar), by component.",
            stack=True,
            bars=True,
        )),
        (12, 9, timeseries(
            "Time nearly idle",
            "percentunit",
            [target("sum by (instance, vm) (%s)" % rate(vm_sel("virtmeter_vm_idle_seconds_total")), "{{vm}}")],
            "Share of the time the VM used less than the idle threshold of its vCPUs (default 2 %) while "
            "still charged its share of idle power.",
        )),
    ]


def build():
    """The dashboard."""
    return dashboard(
        UID,
        "virtmeter / VM overhead",
        "What virtualization costs each VM: steal, emulator overhead, guest against host cycles, KVM exits "
        "and energy split into guest work, overhead and idle.",
        [INSTANCE, VM],
        [steal_panels(), emulator_panels(), perf_panels(), energy_panels()],
    )
