/* SPDX-License-Identifier: MIT */
/*
 * Names for architectures whose ONE_REG ids are a flat list of kernel
 * macros (mips, s390, ppc): a table of (id, macro name), plus families
 * written as a macro with an argument (KVM_REG_PPC_FPR(n)). The short name
 * is the macro without its arch prefix, lowercased, the family index
 * appended: KVM_REG_PPC_DSISR -> "dsisr", KVM_REG_PPC_FPR(3) -> "fpr3",
 * KVM_REG_MIPS_FPR_64(3) -> "fpr_64_3".
 */
#ifndef KVMREG_ARCH_FLAT_NAMES_H
#define KVMREG_ARCH_FLAT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

struct kvmreg_idvec;

struct kvmreg_flat_reg {
	uint64_t id;
	const char *macro;
	const char *group;
	bool is_volatile;
};

struct kvmreg_flat_family {
	uint64_t first;		/* the id of index 0; index n is first + n */
	unsigned int count;
	const char *macro;	/* without "(n)" */
	const char *group;
	bool is_volatile;
	bool spelled_out;	/* the uapi has STEM<n> macros, not STEM(n) */
};

struct kvmreg_flat_arch {
	const char *name;		/* "ppc", for messages */
	const char *macro_prefix;	/* "KVM_REG_PPC_" */
	const struct kvmreg_flat_reg *regs;
	size_t n_regs;
	const struct kvmreg_flat_family *families;
	size_t n_families;
};

int kvmreg_flat_name(const struct kvmreg_flat_arch *a, uint64_t id,
		     enum kvmreg_name_style style, char *buf, size_t len);
/* 0, -ENOENT (not one of a's names) or -EINVAL with a message. */
int kvmreg_flat_parse(const struct kvmreg_flat_arch *a, const char *name,
		      uint64_t *id);
const char *kvmreg_flat_group(const struct kvmreg_flat_arch *a, uint64_t id);
bool kvmreg_flat_is_volatile(const struct kvmreg_flat_arch *a, uint64_t id);
int kvmreg_flat_known_ids(const struct kvmreg_flat_arch *a,
			  struct kvmreg_idvec *out);
/*
 * The checks every flat arch shares: bits 51..32, which no kernel defines
 * for these arches, must be zero; and an id whose number is a known
 * register's but whose size is not is malformed. 0 or -EINVAL.
 */
int kvmreg_flat_check(const struct kvmreg_flat_arch *a, uint64_t id);

#endif /* KVMREG_ARCH_FLAT_NAMES_H */
