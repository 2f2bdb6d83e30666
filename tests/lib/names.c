// SPDX-License-Identifier: MIT
/* The name tests' shared helpers: see names.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "internal.h"
#include "lib/names.h"

char t_name_buf[512];

const char *t_name_of(enum kvmreg_arch arch, uint64_t id,
		      enum kvmreg_name_style style)
{
	int n = kvmreg_id_name(arch, id, style, t_name_buf, sizeof(t_name_buf));

	if (n < 0)
		snprintf(t_name_buf, sizeof(t_name_buf), "<error %d: %s>", n,
			 kvmreg_error());
	return t_name_buf;
}

bool t_name_is_generic(const char *name)
{
	return !strncmp(name, "0x", 2);
}

int t_known_ids(enum kvmreg_arch arch, struct kvmreg_idvec *ids)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(arch);

	memset(ids, 0, sizeof(*ids));
	if (!d || !d->known_ids)
		return -ENOSYS;
	return d->known_ids(ids);
}

size_t t_known_ids_where(enum kvmreg_arch arch, bool (*is_one)(uint64_t id))
{
	struct kvmreg_idvec ids;
	size_t n = 0;

	if (t_known_ids(arch, &ids) == 0)
		for (size_t i = 0; i < ids.n; i++)
			n += is_one(ids.v[i]);
	kvmreg_idvec_free(&ids);
	return n;
}

static char fault[768];

const char *t_bad_id_fault(enum kvmreg_arch arch, uint64_t id,
			   const char *says)
{
	char name[64];
	int err = kvmreg_id_check(arch, id);

	if (err != -EINVAL)
		snprintf(fault, sizeof(fault), "0x%016" PRIx64 " %s (%d)", id,
			 err ? "refused with another error" : "accepted", err);
	else if (!strstr(kvmreg_error(), says))
		snprintf(fault, sizeof(fault),
			 "0x%016" PRIx64 ": '%s' does not say '%s'", id,
			 kvmreg_error(), says);
	else if (kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name,
				sizeof(name)) != -EINVAL)
		snprintf(fault, sizeof(fault), "0x%016" PRIx64 " got a name",
			 id);
	else
		return NULL;
	return fault;
}

const char *t_bad_name_fault(enum kvmreg_arch arch, const char *name,
			     const char *says)
{
	uint64_t id = 0;
	int err = kvmreg_id_parse(arch, name, &id);

	if (err != -EINVAL)
		snprintf(fault, sizeof(fault), "'%s': %d, 0x%016" PRIx64,
			 name, err, id);
	else if (!strstr(kvmreg_error(), says))
		snprintf(fault, sizeof(fault), "'%s': '%s' does not say '%s'",
			 name, kvmreg_error(), says);
	else
		return NULL;
	return fault;
}
