/* The families of the figures that containers and VMs share (see
 * families.h), declared with designated indices so that no code depends on
 * their order. */
#include "collectors/cgroup/families.h"

/* Labelled container, id, runtime, pod, namespace (the identity labels of
 * every container family, see workload.h) and the figure's own label, if
 * any. */
const struct snap_family cg_ct_fams[CG_FAM_N] = {
	[CG_FAM_CPU] = {
		.name = "virtmeter_container_cpu_seconds",
		.help = "CPU time by mode (user, system), per container, from "
			"its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   "mode", NULL},
	},
	[CG_FAM_THR_SECONDS] = {
		.name = "virtmeter_container_cpu_throttled_seconds",
		.help = "Time throttled by the CFS bandwidth limit, per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_THR_PERIODS] = {
		.name = "virtmeter_container_cpu_throttled_periods",
		.help = "CFS enforcement periods in which it was throttled, "
			"per container, from its cgroup.",
		.type = SNAP_COUNTER,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PERIODS] = {
		.name = "virtmeter_container_cpu_periods",
		.help = "CFS enforcement periods elapsed while runnable, per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_CPU_QUOTA] = {
		.name = "virtmeter_container_cpu_quota_cpus",
		.help = "CPU bandwidth limit in CPUs (quota / period; no sample "
			"when unlimited), per container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "cpus",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_MEM_USAGE] = {
		.name = "virtmeter_container_memory_usage_bytes",
		.help = "Memory charged, page cache included, per container, "
			"from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_WORKING_SET] = {
		.name = "virtmeter_container_memory_working_set_bytes",
		.help = "Memory usage minus inactive file pages, per "
			"container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_RSS] = {
		.name = "virtmeter_container_memory_rss_bytes",
		.help = "Anonymous memory, per container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_CACHE] = {
		.name = "virtmeter_container_memory_cache_bytes",
		.help = "Page cache memory, per container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_SWAP] = {
		.name = "virtmeter_container_memory_swap_bytes",
		.help = "Swap used, per container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_LIMIT] = {
		.name = "virtmeter_container_memory_limit_bytes",
		.help = "Memory limit (no sample when unlimited), per "
			"container, from its cgroup.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_OOM] = {
		.name = "virtmeter_container_oom_events",
		.help = "Processes killed by the OOM killer, per container, "
			"from its cgroup.",
		.type = SNAP_COUNTER,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_IO_RBYTES] = {
		.name = "virtmeter_container_io_read_bytes",
		.help = "Bytes read from block device MAJ:MIN, per container, "
			"from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   "device", NULL},
	},
	[CG_FAM_IO_WBYTES] = {
		.name = "virtmeter_container_io_write_bytes",
		.help = "Bytes written to block device MAJ:MIN, per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "bytes",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   "device", NULL},
	},
	[CG_FAM_IO_RIOS] = {
		.name = "virtmeter_container_io_read_operations",
		.help = "Read operations on block device MAJ:MIN, per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   "device", NULL},
	},
	[CG_FAM_IO_WIOS] = {
		.name = "virtmeter_container_io_write_operations",
		.help = "Write operations on block device MAJ:MIN, per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   "device", NULL},
	},
	[CG_FAM_PIDS] = {
		.name = "virtmeter_container_pids",
		.help = "Number of tasks, per container, from its cgroup.",
		.type = SNAP_GAUGE,
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_CPU_SOME] = {
		.name = "virtmeter_container_pressure_cpu_waiting_seconds",
		.help = "Time some task waited for CPU (PSI some), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_CPU_FULL] = {
		.name = "virtmeter_container_pressure_cpu_stalled_seconds",
		.help = "Time all tasks stalled on CPU (PSI full), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_MEM_SOME] = {
		.name = "virtmeter_container_pressure_memory_waiting_seconds",
		.help = "Time some task waited for memory (PSI some), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_MEM_FULL] = {
		.name = "virtmeter_container_pressure_memory_stalled_seconds",
		.help = "Time all tasks stalled on memory (PSI full), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_IO_SOME] = {
		.name = "virtmeter_container_pressure_io_waiting_seconds",
		.help = "Time some task waited for I/O (PSI some), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
	[CG_FAM_PSI_IO_FULL] = {
		.name = "virtmeter_container_pressure_io_stalled_seconds",
		.help = "Time all tasks stalled on I/O (PSI full), per "
			"container, from its cgroup.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"container", "id", "runtime", "pod", "namespace",
			   NULL},
	},
};

/* Labelled vm and the figure's own label, if any. */
const struct snap_family cg_vm_fams[CG_FAM_N] = {
	[CG_FAM_CPU] = {
		.name = "virtmeter_vm_cgroup_cpu_seconds",
		.help = "CPU time by mode (user, system), per VM, from its "
			"cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", "mode", NULL},
	},
	[CG_FAM_THR_SECONDS] = {
		.name = "virtmeter_vm_cgroup_cpu_throttled_seconds",
		.help = "Time throttled by the CFS bandwidth limit, per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_THR_PERIODS] = {
		.name = "virtmeter_vm_cgroup_cpu_throttled_periods",
		.help = "CFS enforcement periods in which it was throttled, "
			"per VM, from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.labels = {"vm", NULL},
	},
	[CG_FAM_PERIODS] = {
		.name = "virtmeter_vm_cgroup_cpu_periods",
		.help = "CFS enforcement periods elapsed while runnable, per "
			"VM, from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.labels = {"vm", NULL},
	},
	[CG_FAM_CPU_QUOTA] = {
		.name = "virtmeter_vm_cgroup_cpu_quota_cpus",
		.help = "CPU bandwidth limit in CPUs (quota / period; no sample "
			"when unlimited), per VM, from its cgroup on the host.",
		.type = SNAP_GAUGE,
		.unit = "cpus",
		.labels = {"vm", NULL},
	},
	[CG_FAM_MEM_USAGE] = {
		.name = "virtmeter_vm_cgroup_memory_usage_bytes",
		.help = "Memory charged, page cache included, per VM, from "
			"its cgroup on the host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_WORKING_SET] = {
		.name = "virtmeter_vm_cgroup_memory_working_set_bytes",
		.help = "Memory usage minus inactive file pages, per VM, from "
			"its cgroup on the host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_RSS] = {
		.name = "virtmeter_vm_cgroup_memory_rss_bytes",
		.help = "Anonymous memory, per VM, from its cgroup on the "
			"host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_CACHE] = {
		.name = "virtmeter_vm_cgroup_memory_cache_bytes",
		.help = "Page cache memory, per VM, from its cgroup on the "
			"host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_SWAP] = {
		.name = "virtmeter_vm_cgroup_memory_swap_bytes",
		.help = "Swap used, per VM, from its cgroup on the host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_LIMIT] = {
		.name = "virtmeter_vm_cgroup_memory_limit_bytes",
		.help = "Memory limit (no sample when unlimited), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_GAUGE,
		.unit = "bytes",
		.labels = {"vm", NULL},
	},
	[CG_FAM_OOM] = {
		.name = "virtmeter_vm_cgroup_oom_events",
		.help = "Processes killed by the OOM killer, per VM, from its "
			"cgroup on the host.",
		.type = SNAP_COUNTER,
		.labels = {"vm", NULL},
	},
	[CG_FAM_IO_RBYTES] = {
		.name = "virtmeter_vm_cgroup_io_read_bytes",
		.help = "Bytes read from block device MAJ:MIN, per VM, from "
			"its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "bytes",
		.labels = {"vm", "device", NULL},
	},
	[CG_FAM_IO_WBYTES] = {
		.name = "virtmeter_vm_cgroup_io_write_bytes",
		.help = "Bytes written to block device MAJ:MIN, per VM, from "
			"its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "bytes",
		.labels = {"vm", "device", NULL},
	},
	[CG_FAM_IO_RIOS] = {
		.name = "virtmeter_vm_cgroup_io_read_operations",
		.help = "Read operations on block device MAJ:MIN, per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.labels = {"vm", "device", NULL},
	},
	[CG_FAM_IO_WIOS] = {
		.name = "virtmeter_vm_cgroup_io_write_operations",
		.help = "Write operations on block device MAJ:MIN, per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.labels = {"vm", "device", NULL},
	},
	[CG_FAM_PIDS] = {
		.name = "virtmeter_vm_cgroup_pids",
		.help = "Number of tasks, per VM, from its cgroup on the host.",
		.type = SNAP_GAUGE,
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_CPU_SOME] = {
		.name = "virtmeter_vm_cgroup_pressure_cpu_waiting_seconds",
		.help = "Time some task waited for CPU (PSI some), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_CPU_FULL] = {
		.name = "virtmeter_vm_cgroup_pressure_cpu_stalled_seconds",
		.help = "Time all tasks stalled on CPU (PSI full), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_MEM_SOME] = {
		.name = "virtmeter_vm_cgroup_pressure_memory_waiting_seconds",
		.help = "Time some task waited for memory (PSI some), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_MEM_FULL] = {
		.name = "virtmeter_vm_cgroup_pressure_memory_stalled_seconds",
		.help = "Time all tasks stalled on memory (PSI full), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_IO_SOME] = {
		.name = "virtmeter_vm_cgroup_pressure_io_waiting_seconds",
		.help = "Time some task waited for I/O (PSI some), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
	[CG_FAM_PSI_IO_FULL] = {
		.name = "virtmeter_vm_cgroup_pressure_io_stalled_seconds",
		.help = "Time all tasks stalled on I/O (PSI full), per VM, "
			"from its cgroup on the host.",
		.type = SNAP_COUNTER,
		.unit = "seconds",
		.labels = {"vm", NULL},
	},
};
