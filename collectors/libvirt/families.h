/* Every metric family of the libvirt collector, declared with designated
 * initializers in families.c: map.c emits them, libvirt.c emits
 * virtmeter_libvirt_up and lists them all in its struct collector. */
#ifndef VIRTMETER_LIBVIRT_FAMILIES_H
#define VIRTMETER_LIBVIRT_FAMILIES_H

#include "exporter/api/snapshot.h"

/* Every family that the libvirt collector emits, NULL-terminated. */
extern const struct snap_family *const lv_families[];

/* The connection status family (virtmeter_libvirt_up). */
extern const struct snap_family lv_fam_up;

/* The domain: info, cgroup, state and CPU time. */
extern const struct snap_family lv_fam_info;
extern const struct snap_family lv_fam_cgroup;
extern const struct snap_family lv_fam_state;
extern const struct snap_family lv_fam_cpu;
extern const struct snap_family lv_fam_cpu_user;
extern const struct snap_family lv_fam_cpu_system;
extern const struct snap_family lv_fam_emulator;

/* vCPUs: counts and per-vCPU times. */
extern const struct snap_family lv_fam_vcpus;
extern const struct snap_family lv_fam_vcpus_max;
extern const struct snap_family lv_fam_vcpu_time;
extern const struct snap_family lv_fam_vcpu_wait;
extern const struct snap_family lv_fam_vcpu_delay;

/* Memory, from the balloon driver. */
extern const struct snap_family lv_fam_mem_max;
extern const struct snap_family lv_fam_mem_balloon;
extern const struct snap_family lv_fam_mem_rss;
extern const struct snap_family lv_fam_mem_available;
extern const struct snap_family lv_fam_mem_usable;
extern const struct snap_family lv_fam_mem_unused;
extern const struct snap_family lv_fam_mem_caches;
extern const struct snap_family lv_fam_swap_in;
extern const struct snap_family lv_fam_swap_out;
extern const struct snap_family lv_fam_major_faults;
extern const struct snap_family lv_fam_minor_faults;

/* Disks (labelled device). */
extern const struct snap_family lv_fam_blk_rd_bytes;
extern const struct snap_family lv_fam_blk_wr_bytes;
extern const struct snap_family lv_fam_blk_rd_reqs;
extern const struct snap_family lv_fam_blk_wr_reqs;
extern const struct snap_family lv_fam_blk_fl_reqs;
extern const struct snap_family lv_fam_blk_rd_time;
extern const struct snap_family lv_fam_blk_wr_time;
extern const struct snap_family lv_fam_blk_fl_time;
extern const struct snap_family lv_fam_blk_capacity;
extern const struct snap_family lv_fam_blk_alloc;
extern const struct snap_family lv_fam_blk_physical;

/* Network interfaces (labelled device). */
extern const struct snap_family lv_fam_net_rx_bytes;
extern const struct snap_family lv_fam_net_rx_pkts;
extern const struct snap_family lv_fam_net_rx_errs;
extern const struct snap_family lv_fam_net_rx_drop;
extern const struct snap_family lv_fam_net_tx_bytes;
extern const struct snap_family lv_fam_net_tx_pkts;
extern const struct snap_family lv_fam_net_tx_errs;
extern const struct snap_family lv_fam_net_tx_drop;

/* The hypervisor's own statistics (labelled stat). */
extern const struct snap_family lv_fam_kvm_vm_sum;
extern const struct snap_family lv_fam_kvm_vm_cur;
extern const struct snap_family lv_fam_kvm_vm_max;
extern const struct snap_family lv_fam_kvm_vcpu_sum;
extern const struct snap_family lv_fam_kvm_vcpu_cur;
extern const struct snap_family lv_fam_kvm_vcpu_max;

/* OpenStack Nova's instance metadata and flavor. */
extern const struct snap_family lv_fam_os_info;
extern const struct snap_family lv_fam_os_vcpus;
extern const struct snap_family lv_fam_os_memory;
extern const struct snap_family lv_fam_os_disk;
extern const struct snap_family lv_fam_os_swap;
extern const struct snap_family lv_fam_os_ephemeral;

#endif
