// SPDX-License-Identifier: MIT
/* Architectures, id fields and the name dispatch: everything here asks the
 * arch driver and knows no architecture itself. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/common/kvm_common.h"
#include "internal.h"

static const struct kvmreg_arch_driver *const drivers[KVMREG_ARCH_COUNT] = {
	[KVMREG_ARCH_X86_64] = &kvmreg_arch_x86_64,
	[KVMREG_ARCH_ARM64] = &kvmreg_arch_arm64,
	[KVMREG_ARCH_RISCV64] = &kvmreg_arch_riscv64,
	[KVMREG_ARCH_LOONGARCH64] = &kvmreg_arch_loongarch64,
	[KVMREG_ARCH_MIPS] = &kvmreg_arch_mips,
	[KVMREG_ARCH_S390] = &kvmreg_arch_s390,
	[KVMREG_ARCH_PPC] = &kvmreg_arch_ppc,
};

const struct kvmreg_arch_driver *kvmreg_driver(enum kvmreg_arch arch)
{
	if ((unsigned int)arch >= KVMREG_ARCH_COUNT)
		return NULL;
	return drivers[arch];
}

const struct kvmreg_arch_driver *kvmreg_driver_of_id(uint64_t id)
{
	return kvmreg_driver(kvmreg_arch_of_id(id));
}

KVMREG_EXPORT const char *kvmreg_arch_name(enum kvmreg_arch arch)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(arch);

	return d ? d->name : "none";
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_arch_from_name(const char *name)
{
	if (!name)
		return KVMREG_ARCH_NONE;
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++) {
		const struct kvmreg_arch_driver *d = drivers[a];

		if (!d)
			continue;
		if (!strcmp(d->name, name))
			return d->arch;
		for (const char *const *alias = d->aliases; alias && *alias;
		     alias++)
			if (!strcmp(*alias, name))
				return d->arch;
	}
	return KVMREG_ARCH_NONE;
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_arch_host(void)
{
#if defined(__x86_64__)
	return KVMREG_ARCH_X86_64;
#elif defined(__aarch64__)
	return KVMREG_ARCH_ARM64;
#elif defined(__riscv) && __riscv_xlen == 64
	return KVMREG_ARCH_RISCV64;
#elif defined(__loongarch64)
	return KVMREG_ARCH_LOONGARCH64;
#elif defined(__mips__)
	return KVMREG_ARCH_MIPS;
#elif defined(__s390x__)
	return KVMREG_ARCH_S390;
#elif defined(__powerpc64__)
	return KVMREG_ARCH_PPC;
#else
	return KVMREG_ARCH_NONE;
#endif
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_arch_of_id(uint64_t id)
{
	uint64_t field = id & KVM_REG_ARCH_MASK;

	for (int a = 1; a < KVMREG_ARCH_COUNT; a++)
		if (drivers[a] && drivers[a]->kvm_reg_arch == field)
			return drivers[a]->arch;
	return KVMREG_ARCH_NONE;
}

KVMREG_EXPORT size_t kvmreg_id_size(uint64_t id)
{
	return kvmreg_size_of(id);
}

/* The driver for (arch, id): arch NONE means the id's own. */
static const struct kvmreg_arch_driver *driver_for(enum kvmreg_arch arch,
						   uint64_t id)
{
	const struct kvmreg_arch_driver *d;

	if (arch == KVMREG_ARCH_NONE) {
		d = kvmreg_driver_of_id(id);
		if (!d)
			kvmreg_set_error(-EINVAL,
					 "id 0x%016" PRIx64 ": unknown architecture field 0x%02" PRIx64,
					 id, (uint64_t)((id & KVM_REG_ARCH_MASK) >> 56));
		return d;
	}
	d = kvmreg_driver(arch);
	if (!d) {
		kvmreg_set_error(-EINVAL, "unknown architecture %d", (int)arch);
		return NULL;
	}
	if ((id & KVM_REG_ARCH_MASK) != d->kvm_reg_arch) {
		kvmreg_set_error(-EINVAL,
				 "id 0x%016" PRIx64 " does not belong to %s (its architecture field is 0x%02" PRIx64 ", %s ids have 0x%02" PRIx64 ")",
				 id, d->name, (uint64_t)((id & KVM_REG_ARCH_MASK) >> 56),
				 d->name, (uint64_t)(d->kvm_reg_arch >> 56));
		return NULL;
	}
	return d;
}

KVMREG_EXPORT int kvmreg_id_check(enum kvmreg_arch arch, uint64_t id)
{
	const struct kvmreg_arch_driver *d = driver_for(arch, id);

	if (!d)
		return -EINVAL;
	if (!kvmreg_id_size(id))
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": size field %u is beyond U2048",
					id, (unsigned int)((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT));
	return d->id_check ? d->id_check(id) : 0;
}

static int generic_name(uint64_t id, enum kvmreg_name_style style, char *buf,
			size_t len)
{
	return snprintf(buf, len, style == KVMREG_NAME_MACRO ?
			"0x%016" PRIx64 "ULL" : "0x%016" PRIx64, id);
}

KVMREG_EXPORT int kvmreg_id_name(enum kvmreg_arch arch, uint64_t id,
				 enum kvmreg_name_style style, char *buf,
				 size_t len)
{
	const struct kvmreg_arch_driver *d;
	int err, n;

	if (style != KVMREG_NAME_SHORT && style != KVMREG_NAME_MACRO)
		return kvmreg_set_error(-EINVAL,
					"kvmreg_id_name: %d is no name style (KVMREG_NAME_SHORT or KVMREG_NAME_MACRO)",
					(int)style);
	KVMREG_NEED_ARG(buf || !len, "buf");
	err = kvmreg_id_check(arch, id);
	if (err)
		return err;
	d = driver_for(arch, id);
	n = d->id_name ? d->id_name(id, style, buf, len) : 0;
	if (n > 0)
		return n;
	if (n < 0)
		return n;
	return generic_name(id, style, buf, len);
}

/* "0x...", "0x...ULL" or decimal, for any arch's id. */
static int parse_number(const char *name, uint64_t *id)
{
	size_t n = strlen(name);

	if (n > 3 && !strcmp(name + n - 3, "ULL"))
		n -= 3;
	return kvmreg_parse_u64(name, n, id);
}

/* *id changes only on success: a caller's id survives a bad name. */
static int parse_with(const struct kvmreg_arch_driver *d, const char *name,
		      uint64_t *id)
{
	uint64_t candidate;
	int err;

	if (!d->id_parse)
		return -ENOENT;
	err = d->id_parse(name, &candidate);
	if (err)
		return err;
	err = kvmreg_id_check(d->arch, candidate);
	if (err)
		return kvmreg_wrap_error(err, "%s: %s", d->name, name);
	*id = candidate;
	return 0;
}

KVMREG_EXPORT int kvmreg_id_parse(enum kvmreg_arch arch, const char *name,
				  uint64_t *id)
{
	uint64_t found = 0, candidate;
	const char *found_arch = NULL;
	struct kvmreg_saved_error saved;
	int err;

	KVMREG_NEED_ARG(name, "name");
	KVMREG_NEED_ARG(id, "id");
	if (!*name)
		return kvmreg_set_error(-EINVAL, "empty register name");
	if (parse_number(name, &candidate) == 0) {
		err = kvmreg_id_check(arch, candidate);
		if (err)
			return err;
		*id = candidate;
		return 0;
	}
	if (arch != KVMREG_ARCH_NONE) {
		const struct kvmreg_arch_driver *d = kvmreg_driver(arch);

		if (!d)
			return kvmreg_set_error(-EINVAL, "unknown architecture %d",
						(int)arch);
		err = parse_with(d, name, id);
		if (err == -ENOENT)
			return kvmreg_set_error(-EINVAL,
						"'%s' names no %s register",
						name, d->name);
		return err;
	}
	/* No arch given: accept a name exactly one architecture knows. The
	 * others' refusals are no failure of this call. */
	kvmreg_error_save(&saved);
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++) {
		if (!drivers[a])
			continue;
		err = parse_with(drivers[a], name, &candidate);
		if (err == -ENOENT || err == -EINVAL)
			continue;
		if (err)
			return err;
		if (found_arch && found != candidate)
			return kvmreg_set_error(-EINVAL,
						"'%s' names a register on both %s and %s: say which architecture",
						name, found_arch, drivers[a]->name);
		found = candidate;
		found_arch = drivers[a]->name;
	}
	if (!found_arch)
		return kvmreg_set_error(-EINVAL,
					"'%s' is not a register name of any architecture",
					name);
	kvmreg_error_restore(&saved);
	*id = found;
	return 0;
}

KVMREG_EXPORT const char *kvmreg_id_group(enum kvmreg_arch arch, uint64_t id)
{
	const struct kvmreg_arch_driver *d = driver_for(arch, id);
	const char *group;

	if (!d)
		return "invalid";
	group = d->id_group ? d->id_group(id) : NULL;
	return group ? group : "unknown";
}

KVMREG_EXPORT bool kvmreg_id_is_volatile(enum kvmreg_arch arch, uint64_t id)
{
	const struct kvmreg_arch_driver *d = driver_for(arch, id);

	return d && d->id_is_volatile && d->id_is_volatile(id);
}

KVMREG_EXPORT int kvmreg_id_restore_rank(enum kvmreg_arch arch, uint64_t id)
{
	const struct kvmreg_arch_driver *d = driver_for(arch, id);

	return d && d->restore_rank ? d->restore_rank(id) : 0;
}

KVMREG_EXPORT const char *kvmreg_id_restore_reason(enum kvmreg_arch arch,
						   uint64_t id)
{
	const struct kvmreg_arch_driver *d = driver_for(arch, id);
	const char *why = d && d->restore_reason ? d->restore_reason(id) : NULL;

	return why ? why : "no ordering constraint";
}

KVMREG_EXPORT const char *kvmreg_source_name(enum kvmreg_source source)
{
	switch (source) {
	case KVMREG_SRC_KERNEL_LIST:
		return "kernel";
	case KVMREG_SRC_MSR_INDEX_LIST:
		return "msr-index";
	case KVMREG_SRC_FALLBACK:
		return "fallback";
	case KVMREG_SRC_LIBRARY:
		return "library";
	case KVMREG_SRC_DERIVED:
		return "derived";
	}
	return "unknown";
}
