/* The per-VM state table of the libvirt collector: a chained hash table on
 * the UUID string, with a mark (seen) and sweep at the end of each cycle so
 * that the state of a vanished VM is freed the cycle it disappears. */
#include "collectors/libvirt/vmtab.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VMTAB_MIN_BUCKETS 64

/* FNV-1a over the UUID string. */
static size_t uuid_hash(const char *uuid)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)uuid; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void vm_free(struct lv_vm *vm)
{
	lv_meta_free(vm->meta);
	free(vm->cgroup);
	free(vm);
}

/* Doubles the bucket array (or makes the first one). Returns 0 or
 * -ENOMEM, leaving the table as it was on failure. */
static int vmtab_grow(struct lv_vmtab *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : VMTAB_MIN_BUCKETS;
	struct lv_vm **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct lv_vm *vm = t->buckets[i], *next;

		for (; vm; vm = next) {
			size_t h = uuid_hash(vm->uuid) & (nb - 1);

			next = vm->next;
			vm->next = b[h];
			b[h] = vm;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	return 0;
}

struct lv_vm *lv_vmtab_find(const struct lv_vmtab *t, const char *uuid)
{
	struct lv_vm *vm;

	if (!t->nbuckets)
		return NULL;
	vm = t->buckets[uuid_hash(uuid) & (t->nbuckets - 1)];
	for (; vm; vm = vm->next)
		if (strcmp(vm->uuid, uuid) == 0)
			return vm;
	return NULL;
}

struct lv_vm *lv_vmtab_get(struct lv_vmtab *t, const char *uuid)
{
	struct lv_vm *vm = lv_vmtab_find(t, uuid);
	size_t h, len = strlen(uuid);

	if (vm) {
		vm->seen = true;
		return vm;
	}
	if (len >= sizeof(vm->uuid))
		return NULL;
	if ((t->n >= t->nbuckets || !t->nbuckets) && vmtab_grow(t) < 0 &&
	    !t->nbuckets)
		return NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	memcpy(vm->uuid, uuid, len + 1);
	vm->dom_id = INT_MIN;
	vm->seen = true;
	vm->meta_dirty = true;
	h = uuid_hash(uuid) & (t->nbuckets - 1);
	vm->next = t->buckets[h];
	t->buckets[h] = vm;
	t->n++;
	return vm;
}

size_t lv_vmtab_sweep(struct lv_vmtab *t)
{
	size_t freed = 0;

	for (size_t i = 0; i < t->nbuckets; i++) {
		struct lv_vm **pp = &t->buckets[i];

		while (*pp) {
			struct lv_vm *vm = *pp;

			if (vm->seen) {
				vm->seen = false;
				pp = &vm->next;
				continue;
			}
			*pp = vm->next;
			vm_free(vm);
			freed++;
		}
	}
	t->n -= freed;
	return freed;
}

void lv_vmtab_each(struct lv_vmtab *t, void (*fn)(struct lv_vm *vm, void *arg),
		   void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct lv_vm *vm = t->buckets[i]; vm; vm = vm->next)
			fn(vm, arg);
}

void lv_vmtab_clear(struct lv_vmtab *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct lv_vm *vm = t->buckets[i], *next;

		for (; vm; vm = next) {
			next = vm->next;
			vm_free(vm);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->n = 0;
}
