// SPDX-License-Identifier: MIT
/* The name tests' shared helpers: see names.h. */
#include <errno.h>
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
