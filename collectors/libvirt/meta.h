/* What the libvirt collector reads from a domain's XML description, parsed
 * once when a domain appears or is redefined: its hypervisor type, OS type,
 * resource partition, disk and interface targets, and OpenStack Nova's
 * instance metadata. A pure function over a buffer (fuzzed); it uses
 * libxml2 and never libvirt. */
#ifndef VIRTMETER_LIBVIRT_META_H
#define VIRTMETER_LIBVIRT_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Domain XML larger than this is refused (real ones are a few KiB). */
#define LV_META_MAX_XML (8u << 20)

/* A flavor size Nova did not give (or gave as garbage). */
#define LV_NOVA_UNSET UINT64_MAX

/* OpenStack Nova's <nova:instance> element (namespace
 * http://openstack.org/xmlns/libvirt/nova/1.x). Strings are never NULL
 * ("" when absent); sizes are in Nova's units, LV_NOVA_UNSET when absent. */
struct lv_nova {
	char *name;	    /* <nova:name>: the instance's display name */
	char *flavor;	    /* <nova:flavor name=...> */
	char *user_id;	    /* <nova:owner><nova:user uuid=...> */
	char *user_name;    /* its text */
	char *project_id;   /* <nova:owner><nova:project uuid=...> */
	char *project_name; /* its text */
	uint64_t vcpus;
	uint64_t memory_mib;
	uint64_t disk_gib;
	uint64_t swap_mib;
	uint64_t ephemeral_gib;
};

/* A device of the domain as its XML names it. */
struct lv_meta_dev {
	char *target; /* <target dev=...>, "" if absent */
	char *mac;    /* <mac address=...> for interfaces, "" otherwise */
};

/* Everything lv_meta_parse extracts. Strings are never NULL ("" when the
 * XML lacks them) unless said otherwise. */
struct lv_meta {
	char *type;	 /* <domain type=...>: kvm, qemu, xen, lxc, test... */
	char *os_type;	 /* <os><type>: hvm, linux, exe... */
	char *partition; /* <resource><partition>, "" if absent */
	struct lv_meta_dev *disks;
	size_t ndisks;
	struct lv_meta_dev *ifaces;
	size_t nifaces;
	bool has_nova;
	struct lv_nova nova; /* meaningful only when has_nova */
};

/* Parses len bytes of domain XML (no NUL needed) into a new lv_meta that
 * the caller frees with lv_meta_free. Entities are not expanded and nothing
 * is fetched from the network. Returns 0, -EINVAL when the XML is not a
 * <domain> document, -E2BIG past LV_META_MAX_XML, or -ENOMEM. */
int lv_meta_parse(const char *xml, size_t len, struct lv_meta **out);

/* Frees what lv_meta_parse returned. NULL is ignored. */
void lv_meta_free(struct lv_meta *m);

#endif
