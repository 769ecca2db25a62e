/* libvirt's domain statistics -> samples. One pass finds the device names
 * (block.N.name, net.N.name), a second maps every key it knows: nanoseconds
 * become seconds, KiB become bytes, and the hypervisor's own statistics
 * (vm.NAME.TYPE and vcpu.N.NAME.TYPE, from QEMU's query-stats, i.e. KVM's
 * binary stats) go to generic families labelled by stat name. */
#include "collectors/libvirt/map.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"

#define NS (-1e9)  /* libvirt times are nanoseconds: divide (see scaled()) */
#define KIB 1024.0 /* balloon sizes are KiB */
#define MIB 1048576.0
#define GIB 1073741824.0

/* More devices than this in one record are ignored (libvirt's own limits
 * are far lower); it bounds the name table a bogus count could ask for. */
#define LV_MAX_DEVS 4096

/* A statistics key (or the part after "group.N.") and where it goes. */
struct key_map {
	const char *key;
	const struct snap_family *fam;
	double scale; /* multiply by it, or divide by -scale when negative */
};

/* Converts a raw libvirt value to base units. Nanoseconds are divided by
 * 1e9 rather than multiplied by 1e-9: the quotient is the double nearest
 * the exact value, so it is written with 15 digits, not 17. */
static double scaled(double v, const struct key_map *k)
{
	return k->scale < 0 ? v / -k->scale : v * k->scale;
}

/* Writes idx in decimal into label (at least 21 bytes): this runs for every
 * vCPU statistic, where snprintf was a quarter of the mapping's time. */
static const char *index_label(unsigned long idx, char *label, size_t len)
{
	char *p = label + len - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx && p > label);
	return p;
}

static const struct key_map dom_keys[] = {
    {"state.state", &lv_fam_state, 1},
    {"cpu.time", &lv_fam_cpu, NS},
    {"cpu.user", &lv_fam_cpu_user, NS},
    {"cpu.system", &lv_fam_cpu_system, NS},
    {"vcpu.current", &lv_fam_vcpus, 1},
    {"vcpu.maximum", &lv_fam_vcpus_max, 1},
    {"balloon.current", &lv_fam_mem_balloon, KIB},
    {"balloon.maximum", &lv_fam_mem_max, KIB},
    {"balloon.rss", &lv_fam_mem_rss, KIB},
    {"balloon.available", &lv_fam_mem_available, KIB},
    {"balloon.usable", &lv_fam_mem_usable, KIB},
    {"balloon.unused", &lv_fam_mem_unused, KIB},
    {"balloon.disk_caches", &lv_fam_mem_caches, KIB},
    {"balloon.swap_in", &lv_fam_swap_in, KIB},
    {"balloon.swap_out", &lv_fam_swap_out, KIB},
    {"balloon.major_fault", &lv_fam_major_faults, 1},
    {"balloon.minor_fault", &lv_fam_minor_faults, 1},
    {NULL, NULL, 0},
};

static const struct key_map vcpu_keys[] = {
    {"time", &lv_fam_vcpu_time, NS},
    {"wait", &lv_fam_vcpu_wait, NS},
    {"delay", &lv_fam_vcpu_delay, NS},
    {NULL, NULL, 0},
};

static const struct key_map blk_keys[] = {
    {"rd.bytes", &lv_fam_blk_rd_bytes, 1},
    {"rd.reqs", &lv_fam_blk_rd_reqs, 1},
    {"rd.times", &lv_fam_blk_rd_time, NS},
    {"wr.bytes", &lv_fam_blk_wr_bytes, 1},
    {"wr.reqs", &lv_fam_blk_wr_reqs, 1},
    {"wr.times", &lv_fam_blk_wr_time, NS},
    {"fl.reqs", &lv_fam_blk_fl_reqs, 1},
    {"fl.times", &lv_fam_blk_fl_time, NS},
    {"capacity", &lv_fam_blk_capacity, 1},
    {"allocation", &lv_fam_blk_alloc, 1},
    {"physical", &lv_fam_blk_physical, 1},
    {NULL, NULL, 0},
};

static const struct key_map net_keys[] = {
    {"rx.bytes", &lv_fam_net_rx_bytes, 1},
    {"rx.pkts", &lv_fam_net_rx_pkts, 1},
    {"rx.errs", &lv_fam_net_rx_errs, 1},
    {"rx.drop", &lv_fam_net_rx_drop, 1},
    {"tx.bytes", &lv_fam_net_tx_bytes, 1},
    {"tx.pkts", &lv_fam_net_tx_pkts, 1},
    {"tx.errs", &lv_fam_net_tx_errs, 1},
    {"tx.drop", &lv_fam_net_tx_drop, 1},
    {NULL, NULL, 0},
};

/* The label of each device index of one group (block or net). */
struct devs {
	const char **label; /* [n]; points into params or into owned */
	char **owned;	    /* [n]; labels made up here, freed after */
	size_t n;
};

/* One record being mapped. */
struct map_ctx {
	const char *vm;
	struct snap_set *out;
	struct lv_summary *sum;
	struct devs blk, net;
	bool have_cpu;
	/* cpu.time and the sum of vcpu.N.time, in libvirt's integer
	 * nanoseconds: the emulator's share is their difference, made
	 * exactly before it becomes seconds. */
	uint64_t cpu_ns, vcpu_ns;
	unsigned nvcpu_time;
	double vcpu_cur, vcpu_max;
	bool shutoff; /* state.state says shut off */
};

/* Reads a numeric parameter as a double; false for strings. */
static bool param_num(const virTypedParameter *p, double *v)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		*v = p->value.i;
		return true;
	case VIR_TYPED_PARAM_UINT:
		*v = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_LLONG:
		*v = (double)p->value.l;
		return true;
	case VIR_TYPED_PARAM_ULLONG:
		*v = (double)p->value.ul;
		return true;
	case VIR_TYPED_PARAM_DOUBLE:
		*v = p->value.d;
		return true;
	case VIR_TYPED_PARAM_BOOLEAN:
		*v = p->value.b ? 1 : 0;
		return true;
	default:
		return false;
	}
}

/* Reads an integer parameter as the exact unsigned integer libvirt gave
 * (a double holds nanoseconds exactly only up to 2^53, 104 days); false
 * for other types and negative values. */
static bool param_u64(const virTypedParameter *p, uint64_t *v)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_UINT:
		*v = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_ULLONG:
		*v = p->value.ul;
		return true;
	case VIR_TYPED_PARAM_INT:
		*v = (uint64_t)p->value.i;
		return p->value.i >= 0;
	case VIR_TYPED_PARAM_LLONG:
		*v = (uint64_t)p->value.l;
		return p->value.l >= 0;
	default:
		return false;
	}
}

/* If key is "PREFIX.N.rest", returns rest and sets *idx; else NULL. */
static const char *split_index(const char *key, const char *prefix,
			       unsigned long *idx)
{
	size_t k = strlen(prefix);
	const char *p = key + k;
	unsigned long v = 0;

	if (strncmp(key, prefix, k) != 0 || *p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 100000000UL)
			return NULL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (*p != '.')
		return NULL;
	*idx = v;
	return p + 1;
}

static const struct key_map *find_key(const struct key_map *t, const char *key)
{
	for (; t->key; t++)
		if (strcmp(t->key, key) == 0)
			return t;
	return NULL;
}

/* Reads "GROUP.count" (capped) for group prefix "block." or "net.". */
static size_t group_count(const virTypedParameter *params, int n,
			  const char *countkey)
{
	double v;

	for (int i = 0; i < n; i++)
		if (strcmp(params[i].field, countkey) == 0 &&
		    param_num(&params[i], &v) && v > 0)
			return v > LV_MAX_DEVS ? LV_MAX_DEVS : (size_t)v;
	return 0;
}

/* Gives device i a made-up label "NAME#i" (or "#i"). */
static int devs_own(struct devs *d, size_t i)
{
	const char *base = d->label[i] ? d->label[i] : "";
	size_t len = strlen(base) + 24;
	char *s = malloc(len);

	if (!s)
		return -ENOMEM;
	snprintf(s, len, "%s#%zu", base, i);
	d->owned[i] = s;
	d->label[i] = s;
	return 0;
}

/* Builds the label table of a group from its count and name keys. */
static int devs_build(struct devs *d, const virTypedParameter *params, int n,
		      const char *prefix, const char *countkey)
{
	unsigned long idx;
	const char *rest;

	d->n = group_count(params, n, countkey);
	if (d->n == 0)
		return 0;
	d->label = calloc(d->n, sizeof(*d->label));
	d->owned = calloc(d->n, sizeof(*d->owned));
	if (!d->label || !d->owned)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		rest = split_index(params[i].field, prefix, &idx);
		if (rest && idx < d->n && strcmp(rest, "name") == 0 &&
		    params[i].type == VIR_TYPED_PARAM_STRING &&
		    params[i].value.s)
			d->label[idx] = params[i].value.s;
	}
	for (size_t i = 0; i < d->n; i++) {
		bool dup = !d->label[i] || !d->label[i][0];

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(d->label[j], d->label[i]) == 0;
		if (dup && devs_own(d, i) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void devs_free(struct devs *d)
{
	for (size_t i = 0; d->owned && i < d->n; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->label);
}

/* Maps "NAME.TYPE", a hypervisor statistic of the VM (vcpu NULL) or of a
 * vCPU, to fams[0], [1] or [2] for TYPE sum, cur or max. */
static void map_hv_stat(struct map_ctx *c, const char *rest, double v,
			const struct snap_family *fams[3], const char *vcpu)
{
	char name[VIR_TYPED_PARAM_FIELD_LENGTH];
	const char *dot = strrchr(rest, '.');
	const struct snap_family *fam;
	size_t n;

	if (!dot || dot == rest)
		return;
	if (strcmp(dot + 1, "sum") == 0)
		fam = fams[0];
	else if (strcmp(dot + 1, "cur") == 0)
		fam = fams[1];
	else if (strcmp(dot + 1, "max") == 0)
		fam = fams[2];
	else
		return;
	n = (size_t)(dot - rest);
	if (n >= sizeof(name))
		return;
	memcpy(name, rest, n);
	name[n] = '\0';
	if (vcpu)
		snap_add(c->out, fam, v, c->vm, vcpu, name);
	else
		snap_add(c->out, fam, v, c->vm, name);
}

/* vcpu.N.time/wait/delay, or vcpu.N.NAME.TYPE from the hypervisor; p is
 * the parameter whose value is v. */
static void map_vcpu(struct map_ctx *c, unsigned long idx, const char *rest,
		     const virTypedParameter *p, double v)
{
	static const struct snap_family *hv[3] = {
	    &lv_fam_kvm_vcpu_sum, &lv_fam_kvm_vcpu_cur, &lv_fam_kvm_vcpu_max};
	const struct key_map *k = find_key(vcpu_keys, rest);
	char buf[24];
	const char *label = index_label(idx, buf, sizeof(buf));

	if (k) {
		uint64_t ns;

		snap_add(c->out, k->fam, scaled(v, k), c->vm, label);
		if (k->fam == &lv_fam_vcpu_time && param_u64(p, &ns)) {
			c->vcpu_ns += ns;
			c->nvcpu_time++;
		}
		return;
	}
	map_hv_stat(c, rest, v, hv, label);
}

/* block.N.* or net.N.*: the device's label comes from the first pass. */
static void map_dev(struct map_ctx *c, const struct devs *d,
		    const struct key_map *table, unsigned long idx,
		    const char *rest, double v)
{
	const struct key_map *k;

	if (idx >= d->n)
		return;
	k = find_key(table, rest);
	if (k)
		snap_add(c->out, k->fam, scaled(v, k), c->vm, d->label[idx]);
}

/* Maps one numeric parameter p, whose value is v. */
static void map_param(struct map_ctx *c, const virTypedParameter *p, double v)
{
	const char *key = p->field;
	static const struct snap_family *hv[3] = {
	    &lv_fam_kvm_vm_sum, &lv_fam_kvm_vm_cur, &lv_fam_kvm_vm_max};
	const struct key_map *k;
	const char *rest;
	unsigned long idx;

	if ((rest = split_index(key, "vcpu.", &idx)))
		map_vcpu(c, idx, rest, p, v);
	else if ((rest = split_index(key, "block.", &idx)))
		map_dev(c, &c->blk, blk_keys, idx, rest, v);
	else if ((rest = split_index(key, "net.", &idx)))
		map_dev(c, &c->net, net_keys, idx, rest, v);
	else if (strncmp(key, "vm.", 3) == 0)
		map_hv_stat(c, key + 3, v, hv, NULL);
	else if (c->shutoff && strncmp(key, "cpu.", 4) == 0)
		/* libvirt 9 reports its own daemon's CPU time as the cpu.*
		 * of a shut-off domain (it reads /proc of pid 0): drop it. */
		return;
	else if ((k = find_key(dom_keys, key))) {
		snap_add(c->out, k->fam, scaled(v, k), c->vm);
		if (k->fam == &lv_fam_state)
			c->sum->state = (int)v;
		else if (k->fam == &lv_fam_cpu)
			c->have_cpu = param_u64(p, &c->cpu_ns);
		else if (k->fam == &lv_fam_vcpus)
			c->vcpu_cur = v;
		else if (k->fam == &lv_fam_vcpus_max)
			c->vcpu_max = v;
		else if (k->fam == &lv_fam_mem_max)
			c->sum->memory_max = (uint64_t)scaled(v, k);
	}
}

uint64_t lv_emu_update(struct lv_emu *emu, uint64_t cpu, uint64_t vcpus)
{
	uint64_t v = cpu > vcpus ? cpu - vcpus : 0;

	/* cpu.time going backwards means a new qemu process: start over. */
	if (emu->valid && cpu < emu->cpu)
		emu->valid = false;
	/* vCPU times going backwards alone is a bad sample, not a restart. */
	if (emu->valid && vcpus < emu->vcpus)
		return emu->last;
	if (emu->valid && v < emu->last)
		v = emu->last;
	emu->valid = true;
	emu->cpu = cpu;
	emu->vcpus = vcpus;
	emu->last = v;
	return v;
}

int lv_map_stats(const virTypedParameter *params, int n, const char *vm,
		 struct lv_emu *emu, struct snap_set *out,
		 struct lv_summary *sum)
{
	struct map_ctx c = {.vm = vm, .out = out, .sum = sum};
	double v;
	int err;

	memset(sum, 0, sizeof(*sum));
	sum->state = -1;
	err = devs_build(&c.blk, params, n, "block.", "block.count");
	if (err == 0)
		err = devs_build(&c.net, params, n, "net.", "net.count");
	if (err < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (strcmp(params[i].field, "state.state") == 0 &&
		    param_num(&params[i], &v))
			c.shutoff = v == VIR_DOMAIN_SHUTOFF;
	for (int i = 0; i < n; i++)
		if (param_num(&params[i], &v))
			map_param(&c, &params[i], v);
	if (c.have_cpu && c.nvcpu_time > 0) {
		sum->emulator = true;
		sum->emulator_value =
		    clock_ns_to_s(lv_emu_update(emu, c.cpu_ns, c.vcpu_ns));
		snap_add(out, &lv_fam_emulator, sum->emulator_value, vm);
	}
	sum->vcpus = (unsigned)(c.vcpu_cur > 0 ? c.vcpu_cur : c.vcpu_max);
	err = out->err;
out:
	devs_free(&c.blk);
	devs_free(&c.net);
	if (err < 0 && !out->err)
		out->err = err;
	return err;
}

/* Adds gauge fam for the VM unless Nova left the size out. */
static void add_size(struct snap_set *out, const struct snap_family *fam,
		     const char *vm, uint64_t v, double scale)
{
	if (v != LV_NOVA_UNSET)
		snap_add(out, fam, (double)v * scale, vm);
}

int lv_map_cgroup(struct snap_set *out, const char *vm, const char *cgroup)
{
	if (!cgroup)
		return 0;
	return snap_add(out, &lv_fam_cgroup, 1, vm, cgroup);
}

int lv_map_info(struct snap_set *out, const char *vm, const char *uuid,
		const struct lv_meta *meta, bool openstack)
{
	const struct lv_nova *nv;

	snap_add(out, &lv_fam_info, 1, vm, uuid, meta ? meta->type : "",
		 meta ? meta->os_type : "");
	if (!openstack || !meta || !meta->has_nova)
		return out->err;
	nv = &meta->nova;
	snap_add(out, &lv_fam_os_info, 1, vm, nv->name, nv->flavor,
		 nv->project_id, nv->project_name, nv->user_id, nv->user_name);
	add_size(out, &lv_fam_os_vcpus, vm, nv->vcpus, 1);
	add_size(out, &lv_fam_os_memory, vm, nv->memory_mib, MIB);
	add_size(out, &lv_fam_os_disk, vm, nv->disk_gib, GIB);
	add_size(out, &lv_fam_os_swap, vm, nv->swap_mib, MIB);
	add_size(out, &lv_fam_os_ephemeral, vm, nv->ephemeral_gib, GIB);
	return out->err;
}
