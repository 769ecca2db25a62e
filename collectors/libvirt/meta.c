/* Domain XML -> struct lv_meta: the few facts the libvirt collector needs
 * from a domain's definition, and Nova's instance metadata. libxml2 builds
 * the tree with entity expansion, DTD loading and network access off, and a
 * document that carries a DTD is refused outright: libvirt never writes
 * one, and the text read here comes only from direct text children, so no
 * entity can multiply its size. */
#include "collectors/libvirt/meta.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Nova has used .../nova/1.0 and .../nova/1.1; accept any version. */
#define NOVA_NS_PREFIX "http://openstack.org/xmlns/libvirt/nova/"

/* A parse in progress: the first allocation failure sticks in err. */
struct meta_ctx {
	struct lv_meta *m;
	int err;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* Returns a malloc'd copy of s (NULL becomes ""), recording ENOMEM. */
static char *dup_or_empty(struct meta_ctx *c, const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p && !c->err)
		c->err = -ENOMEM;
	return p;
}

/* True if node is an element called name (namespace not checked). */
static bool is_elem(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)node->name, name) == 0;
}

/* True if node is an element in one of Nova's namespaces. */
static bool is_nova(const xmlNode *node, const char *name)
{
	return is_elem(node, name) && node->ns && node->ns->href &&
	       strncmp((const char *)node->ns->href, NOVA_NS_PREFIX,
		       strlen(NOVA_NS_PREFIX)) == 0;
}

/* Returns a malloc'd copy of attribute name of node, "" when absent. */
static char *attr_dup(struct meta_ctx *c, xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	char *p = dup_or_empty(c, (const char *)v);

	xmlFree(v);
	return p;
}

/* Returns a malloc'd copy of the direct text and CDATA children of node,
 * concatenated. Entity references are skipped on purpose (see above). */
static char *text_dup(struct meta_ctx *c, const xmlNode *node)
{
	size_t len = 0, off = 0;
	char *p;

	for (const xmlNode *t = node->children; t; t = t->next)
		if ((t->type == XML_TEXT_NODE ||
		     t->type == XML_CDATA_SECTION_NODE) &&
		    t->content)
			len += strlen((const char *)t->content);
	p = malloc(len + 1);
	if (!p) {
		if (!c->err)
			c->err = -ENOMEM;
		return NULL;
	}
	for (const xmlNode *t = node->children; t; t = t->next) {
		size_t n;

		if ((t->type != XML_TEXT_NODE &&
		     t->type != XML_CDATA_SECTION_NODE) ||
		    !t->content)
			continue;
		n = strlen((const char *)t->content);
		memcpy(p + off, t->content, n);
		off += n;
	}
	p[off] = '\0';
	return p;
}

/* Replaces *slot with a new string (keeps the last of repeated elements). */
static void set_str(char **slot, char *s)
{
	if (!s)
		return;
	free(*slot);
	*slot = s;
}

/* Parses the text of node as a decimal unsigned integer surrounded by
 * optional blanks; LV_NOVA_UNSET if it is anything else. */
static uint64_t text_u64(struct meta_ctx *c, const xmlNode *node)
{
	char *s = text_dup(c, node), *end;
	const char *p = s;
	unsigned long long v;
	uint64_t r = LV_NOVA_UNSET;

	if (!s)
		return r;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p >= '0' && *p <= '9') {
		errno = 0;
		v = strtoull(p, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n' ||
		       *end == '\r')
			end++;
		if (errno == 0 && *end == '\0' && v != LV_NOVA_UNSET)
			r = v;
	}
	free(s);
	return r;
}

static void parse_flavor(struct meta_ctx *c, xmlNode *flavor)
{
	struct lv_nova *n = &c->m->nova;

	set_str(&n->flavor, attr_dup(c, flavor, "name"));
	for (xmlNode *e = flavor->children; e; e = e->next) {
		if (is_nova(e, "vcpus"))
			n->vcpus = text_u64(c, e);
		else if (is_nova(e, "memory"))
			n->memory_mib = text_u64(c, e);
		else if (is_nova(e, "disk"))
			n->disk_gib = text_u64(c, e);
		else if (is_nova(e, "swap"))
			n->swap_mib = text_u64(c, e);
		else if (is_nova(e, "ephemeral"))
			n->ephemeral_gib = text_u64(c, e);
	}
}

static void parse_owner(struct meta_ctx *c, xmlNode *owner)
{
	struct lv_nova *n = &c->m->nova;

	for (xmlNode *e = owner->children; e; e = e->next) {
		if (is_nova(e, "user")) {
			set_str(&n->user_id, attr_dup(c, e, "uuid"));
			set_str(&n->user_name, text_dup(c, e));
		} else if (is_nova(e, "project")) {
			set_str(&n->project_id, attr_dup(c, e, "uuid"));
			set_str(&n->project_name, text_dup(c, e));
		}
	}
}

/* Reads <nova:instance>; a second one in the same document replaces the
 * fields it repeats. */
static void parse_nova(struct meta_ctx *c, xmlNode *inst)
{
	c->m->has_nova = true;
	for (xmlNode *e = inst->children; e; e = e->next) {
		if (is_nova(e, "name"))
			set_str(&c->m->nova.name, text_dup(c, e));
		else if (is_nova(e, "flavor"))
			parse_flavor(c, e);
		else if (is_nova(e, "owner"))
			parse_owner(c, e);
	}
}

/* Appends a device with node's <target dev> and <mac address>. */
static void add_dev(struct meta_ctx *c, xmlNode *node,
		    struct lv_meta_dev **devs, size_t *n)
{
	struct lv_meta_dev d = {NULL, NULL}, *p;

	for (xmlNode *e = node->children; e; e = e->next) {
		if (is_elem(e, "target"))
			set_str(&d.target, attr_dup(c, e, "dev"));
		else if (is_elem(e, "mac"))
			set_str(&d.mac, attr_dup(c, e, "address"));
	}
	if (!d.target)
		d.target = dup_or_empty(c, "");
	if (!d.mac)
		d.mac = dup_or_empty(c, "");
	p = realloc(*devs, (*n + 1) * sizeof(*p));
	if (!p || !d.target || !d.mac) {
		if (p)
			*devs = p;
		free(d.target);
		free(d.mac);
		if (!c->err)
			c->err = -ENOMEM;
		return;
	}
	p[(*n)++] = d;
	*devs = p;
}

/* Reads one child of <domain>. */
static void parse_section(struct meta_ctx *c, xmlNode *sec)
{
	struct lv_meta *m = c->m;

	if (is_elem(sec, "os")) {
		for (xmlNode *e = sec->children; e; e = e->next)
			if (is_elem(e, "type"))
				set_str(&m->os_type, text_dup(c, e));
	} else if (is_elem(sec, "resource")) {
		for (xmlNode *e = sec->children; e; e = e->next)
			if (is_elem(e, "partition"))
				set_str(&m->partition, text_dup(c, e));
	} else if (is_elem(sec, "devices")) {
		for (xmlNode *e = sec->children; e && !c->err; e = e->next) {
			if (is_elem(e, "disk"))
				add_dev(c, e, &m->disks, &m->ndisks);
			else if (is_elem(e, "interface"))
				add_dev(c, e, &m->ifaces, &m->nifaces);
		}
	} else if (is_elem(sec, "metadata")) {
		for (xmlNode *e = sec->children; e; e = e->next)
			if (is_nova(e, "instance"))
				parse_nova(c, e);
	}
}

/* Gives every string field that is still NULL the value "". */
static void fill_empty(struct meta_ctx *c)
{
	struct lv_meta *m = c->m;
	char **slots[] = {
	    &m->type,		&m->os_type,	     &m->partition,
	    &m->nova.name,	&m->nova.flavor,     &m->nova.user_id,
	    &m->nova.user_name, &m->nova.project_id, &m->nova.project_name};

	for (size_t i = 0; i < ARRAY_SIZE(slots); i++)
		if (!*slots[i])
			*slots[i] = dup_or_empty(c, "");
}

int lv_meta_parse(const char *xml, size_t len, struct lv_meta **out)
{
	struct meta_ctx c = {NULL, 0};
	xmlDoc *doc = NULL;
	xmlNode *root;

	*out = NULL;
	if (len > LV_META_MAX_XML)
		return -E2BIG;
	pthread_once(&xml_once, xml_init);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset || !root ||
	    !is_elem(root, "domain") || root->ns) {
		c.err = -EINVAL;
		goto out;
	}
	c.m = calloc(1, sizeof(*c.m));
	if (!c.m) {
		c.err = -ENOMEM;
		goto out;
	}
	c.m->nova.vcpus = c.m->nova.memory_mib = c.m->nova.disk_gib =
	    LV_NOVA_UNSET;
	c.m->nova.swap_mib = c.m->nova.ephemeral_gib = LV_NOVA_UNSET;
	c.m->type = attr_dup(&c, root, "type");
	for (xmlNode *sec = root->children; sec && !c.err; sec = sec->next)
		parse_section(&c, sec);
	fill_empty(&c);
	if (c.err == 0) {
		*out = c.m;
		c.m = NULL;
	}
out:
	lv_meta_free(c.m);
	xmlFreeDoc(doc);
	return c.err;
}

static void free_devs(struct lv_meta_dev *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].target);
		free(d[i].mac);
	}
	free(d);
}

void lv_meta_free(struct lv_meta *m)
{
	if (!m)
		return;
	free(m->type);
	free(m->os_type);
	free(m->partition);
	free_devs(m->disks, m->ndisks);
	free_devs(m->ifaces, m->nifaces);
	free(m->nova.name);
	free(m->nova.flavor);
	free(m->nova.user_id);
	free(m->nova.user_name);
	free(m->nova.project_id);
	free(m->nova.project_name);
	free(m);
}
