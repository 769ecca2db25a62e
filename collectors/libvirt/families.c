/* The metric families of the libvirt collector (see families.h), each
 * declared with designated initializers, and the list of them all. */
#include "collectors/libvirt/families.h"

const struct snap_family lv_fam_up = {
    .name = "virtmeter_libvirt_up",
    .help = "1 if the last cycle's bulk statistics query to libvirt "
	    "succeeded, 0 while libvirt is unreachable (VM series are then "
	    "absent).",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

const struct snap_family lv_fam_info = {
    .name = "virtmeter_vm_info",
    .help = "Constant 1 per libvirt domain: its UUID, hypervisor type (kvm, "
	    "qemu, ...) and OS type (hvm, ...).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "uuid", "hypervisor", "os_type", NULL},
};

const struct snap_family lv_fam_cgroup = {
    .name = "virtmeter_vm_cgroup_info",
    .help = "Constant 1 per running domain whose host-side cgroup was found: "
	    "the cgroup's path relative to the hierarchy root, as in "
	    "/proc/PID/cgroup.",
    .type = SNAP_GAUGE,
    .labels = {"vm", "cgroup", NULL},
};

const struct snap_family lv_fam_state = {
    .name = "virtmeter_vm_state",
    .help = "libvirt state of the domain: 1 running, 2 blocked, 3 paused, 4 "
	    "shutting down, 5 shut off, 6 crashed, 7 suspended by the guest.",
    .type = SNAP_GAUGE,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_cpu = {
    .name = "virtmeter_vm_cpu_seconds",
    .help = "CPU time of the whole domain on the host (cpu.time).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_cpu_user = {
    .name = "virtmeter_vm_cpu_user_seconds",
    .help = "User-mode CPU time of the domain's host processes (cpu.user).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_cpu_system = {
    .name = "virtmeter_vm_cpu_system_seconds",
    .help = "Kernel-mode CPU time of the domain's host processes (cpu.system).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_emulator = {
    .name = "virtmeter_vm_emulator_cpu_seconds",
    .help = "cpu.time minus the vCPUs' time: the hypervisor's own work for "
	    "the VM, kept monotonic.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_vcpus = {
    .name = "virtmeter_vm_vcpus",
    .help = "Online vCPUs of the domain (vcpu.current).",
    .type = SNAP_GAUGE,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_vcpus_max = {
    .name = "virtmeter_vm_vcpus_maximum",
    .help = "Maximum vCPUs of the domain (vcpu.maximum).",
    .type = SNAP_GAUGE,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_vcpu_time = {
    .name = "virtmeter_vm_vcpu_seconds",
    .help = "Time the vCPU ran (vcpu.N.time).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "vcpu", NULL},
};

const struct snap_family lv_fam_vcpu_wait = {
    .name = "virtmeter_vm_vcpu_wait_seconds",
    .help = "Time the vCPU waited on I/O (vcpu.N.wait).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "vcpu", NULL},
};

const struct snap_family lv_fam_vcpu_delay = {
    .name = "virtmeter_vm_vcpu_delay_seconds",
    .help = "Time the vCPU was runnable but waiting for a host CPU "
	    "(vcpu.N.delay): steal time as the guest sees it.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "vcpu", NULL},
};

const struct snap_family lv_fam_mem_max = {
    .name = "virtmeter_vm_memory_max_bytes",
    .help = "Maximum memory of the domain (balloon.maximum).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_balloon = {
    .name = "virtmeter_vm_memory_balloon_bytes",
    .help = "Memory currently given to the guest by the balloon "
	    "(balloon.current).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_rss = {
    .name = "virtmeter_vm_memory_rss_bytes",
    .help = "Resident memory of the domain's hypervisor process (balloon.rss).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_available = {
    .name = "virtmeter_vm_memory_available_bytes",
    .help = "Memory the guest sees as available (balloon.available).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_usable = {
    .name = "virtmeter_vm_memory_usable_bytes",
    .help = "Memory the balloon could reclaim without the host swapping "
	    "(balloon.usable).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_unused = {
    .name = "virtmeter_vm_memory_unused_bytes",
    .help = "Memory the guest leaves unused (balloon.unused).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_mem_caches = {
    .name = "virtmeter_vm_memory_disk_caches_bytes",
    .help = "Guest memory reclaimable without I/O (balloon.disk_caches).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_swap_in = {
    .name = "virtmeter_vm_memory_swap_in_bytes",
    .help = "Data the guest read from its swap (balloon.swap_in).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_swap_out = {
    .name = "virtmeter_vm_memory_swap_out_bytes",
    .help = "Data the guest wrote to its swap (balloon.swap_out).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_major_faults = {
    .name = "virtmeter_vm_memory_major_faults",
    .help = "Guest page faults that needed disk I/O (balloon.major_fault).",
    .type = SNAP_COUNTER,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_minor_faults = {
    .name = "virtmeter_vm_memory_minor_faults",
    .help = "Other guest page faults (balloon.minor_fault).",
    .type = SNAP_COUNTER,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_blk_rd_bytes = {
    .name = "virtmeter_vm_block_read_bytes",
    .help = "Bytes read from the disk (block.N.rd.bytes).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_wr_bytes = {
    .name = "virtmeter_vm_block_write_bytes",
    .help = "Bytes written to the disk (block.N.wr.bytes).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_rd_reqs = {
    .name = "virtmeter_vm_block_read_requests",
    .help = "Read requests of the disk (block.N.rd.reqs).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_wr_reqs = {
    .name = "virtmeter_vm_block_write_requests",
    .help = "Write requests of the disk (block.N.wr.reqs).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_fl_reqs = {
    .name = "virtmeter_vm_block_flush_requests",
    .help = "Flush requests of the disk (block.N.fl.reqs).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_rd_time = {
    .name = "virtmeter_vm_block_read_time_seconds",
    .help = "Time spent on reads (block.N.rd.times).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_wr_time = {
    .name = "virtmeter_vm_block_write_time_seconds",
    .help = "Time spent on writes (block.N.wr.times).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_fl_time = {
    .name = "virtmeter_vm_block_flush_time_seconds",
    .help = "Time spent on flushes (block.N.fl.times).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_capacity = {
    .name = "virtmeter_vm_block_capacity_bytes",
    .help = "Logical size of the disk (block.N.capacity).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_alloc = {
    .name = "virtmeter_vm_block_allocation_bytes",
    .help = "Highest written offset of the disk (block.N.allocation).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_blk_physical = {
    .name = "virtmeter_vm_block_physical_bytes",
    .help = "Physical size of the disk's source (block.N.physical).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_rx_bytes = {
    .name = "virtmeter_vm_net_receive_bytes",
    .help = "Bytes received by the interface (net.N.rx.bytes).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_rx_pkts = {
    .name = "virtmeter_vm_net_receive_packets",
    .help = "Packets received (net.N.rx.pkts).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_rx_errs = {
    .name = "virtmeter_vm_net_receive_errors",
    .help = "Receive errors (net.N.rx.errs).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_rx_drop = {
    .name = "virtmeter_vm_net_receive_drops",
    .help = "Received packets dropped (net.N.rx.drop).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_tx_bytes = {
    .name = "virtmeter_vm_net_transmit_bytes",
    .help = "Bytes transmitted by the interface (net.N.tx.bytes).",
    .type = SNAP_COUNTER,
    .unit = "bytes",
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_tx_pkts = {
    .name = "virtmeter_vm_net_transmit_packets",
    .help = "Packets transmitted (net.N.tx.pkts).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_tx_errs = {
    .name = "virtmeter_vm_net_transmit_errors",
    .help = "Transmit errors (net.N.tx.errs).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_net_tx_drop = {
    .name = "virtmeter_vm_net_transmit_drops",
    .help = "Packets dropped on transmit (net.N.tx.drop).",
    .type = SNAP_COUNTER,
    .labels = {"vm", "device", NULL},
};

const struct snap_family lv_fam_kvm_vm_sum = {
    .name = "virtmeter_vm_kvm_stat",
    .help = "Cumulative hypervisor statistic of the VM (vm.NAME.sum), as KVM "
	    "names and counts it.",
    .type = SNAP_COUNTER,
    .labels = {"vm", "stat", NULL},
};

const struct snap_family lv_fam_kvm_vm_cur = {
    .name = "virtmeter_vm_kvm_stat_current",
    .help = "Instant hypervisor statistic of the VM (vm.NAME.cur).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "stat", NULL},
};

const struct snap_family lv_fam_kvm_vm_max = {
    .name = "virtmeter_vm_kvm_stat_peak",
    .help = "Peak hypervisor statistic of the VM (vm.NAME.max).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "stat", NULL},
};

const struct snap_family lv_fam_kvm_vcpu_sum = {
    .name = "virtmeter_vm_kvm_vcpu_stat",
    .help = "Cumulative hypervisor statistic of a vCPU (vcpu.N.NAME.sum): "
	    "exits, halt_exits, io_exits, mmio_exits, insn_emulation...",
    .type = SNAP_COUNTER,
    .labels = {"vm", "vcpu", "stat", NULL},
};

const struct snap_family lv_fam_kvm_vcpu_cur = {
    .name = "virtmeter_vm_kvm_vcpu_stat_current",
    .help = "Instant hypervisor statistic of a vCPU (vcpu.N.NAME.cur).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "vcpu", "stat", NULL},
};

const struct snap_family lv_fam_kvm_vcpu_max = {
    .name = "virtmeter_vm_kvm_vcpu_stat_peak",
    .help = "Peak hypervisor statistic of a vCPU (vcpu.N.NAME.max).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "vcpu", "stat", NULL},
};

const struct snap_family lv_fam_os_info = {
    .name = "virtmeter_vm_openstack_info",
    .help = "Constant 1 per domain that carries OpenStack Nova's instance "
	    "metadata.",
    .type = SNAP_GAUGE,
    .labels = {"vm", "instance_name", "flavor", "project_id", "project_name",
	       "user_id", "user_name", NULL},
};

const struct snap_family lv_fam_os_vcpus = {
    .name = "virtmeter_vm_openstack_flavor_vcpus",
    .help = "vCPUs of the instance's Nova flavor.",
    .type = SNAP_GAUGE,
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_os_memory = {
    .name = "virtmeter_vm_openstack_flavor_memory_bytes",
    .help = "Memory of the instance's Nova flavor.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_os_disk = {
    .name = "virtmeter_vm_openstack_flavor_disk_bytes",
    .help = "Root disk size of the instance's Nova flavor.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_os_swap = {
    .name = "virtmeter_vm_openstack_flavor_swap_bytes",
    .help = "Swap disk size of the instance's Nova flavor.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family lv_fam_os_ephemeral = {
    .name = "virtmeter_vm_openstack_flavor_ephemeral_bytes",
    .help = "Ephemeral disk size of the instance's Nova flavor.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {"vm", NULL},
};

const struct snap_family *const lv_families[] = {
    &lv_fam_up,
    &lv_fam_info,
    &lv_fam_cgroup,
    &lv_fam_state,
    &lv_fam_cpu,
    &lv_fam_cpu_user,
    &lv_fam_cpu_system,
    &lv_fam_emulator,
    &lv_fam_vcpus,
    &lv_fam_vcpus_max,
    &lv_fam_vcpu_time,
    &lv_fam_vcpu_wait,
    &lv_fam_vcpu_delay,
    &lv_fam_mem_max,
    &lv_fam_mem_balloon,
    &lv_fam_mem_rss,
    &lv_fam_mem_available,
    &lv_fam_mem_usable,
    &lv_fam_mem_unused,
    &lv_fam_mem_caches,
    &lv_fam_swap_in,
    &lv_fam_swap_out,
    &lv_fam_major_faults,
    &lv_fam_minor_faults,
    &lv_fam_blk_rd_bytes,
    &lv_fam_blk_wr_bytes,
    &lv_fam_blk_rd_reqs,
    &lv_fam_blk_wr_reqs,
    &lv_fam_blk_fl_reqs,
    &lv_fam_blk_rd_time,
    &lv_fam_blk_wr_time,
    &lv_fam_blk_fl_time,
    &lv_fam_blk_capacity,
    &lv_fam_blk_alloc,
    &lv_fam_blk_physical,
    &lv_fam_net_rx_bytes,
    &lv_fam_net_rx_pkts,
    &lv_fam_net_rx_errs,
    &lv_fam_net_rx_drop,
    &lv_fam_net_tx_bytes,
    &lv_fam_net_tx_pkts,
    &lv_fam_net_tx_errs,
    &lv_fam_net_tx_drop,
    &lv_fam_kvm_vm_sum,
    &lv_fam_kvm_vm_cur,
    &lv_fam_kvm_vm_max,
    &lv_fam_kvm_vcpu_sum,
    &lv_fam_kvm_vcpu_cur,
    &lv_fam_kvm_vcpu_max,
    &lv_fam_os_info,
    &lv_fam_os_vcpus,
    &lv_fam_os_memory,
    &lv_fam_os_disk,
    &lv_fam_os_swap,
    &lv_fam_os_ephemeral,
    NULL,
};
