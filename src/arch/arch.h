/* SPDX-License-Identifier: MIT */
/*
 * The one interface between the generic core and an architecture. The core
 * never switches on an architecture: it asks the driver. Every hook but the
 * naming ones may be NULL, and the comment says what the core does then.
 */
#ifndef KVMREG_ARCH_H
#define KVMREG_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

struct kvmreg_idvec;	/* growable id array, src/core/internal.h */

enum kvmreg_batch_mode {
	KVMREG_BATCH_GET,
	KVMREG_BATCH_SET,
	/* set() in kvmreg_restore, after its rollback read, which reads the
	 * first group written last */
	KVMREG_BATCH_RESTORE,
	/* set() in kvmreg_restore_fresh: a vCPU made to receive the state */
	KVMREG_BATCH_RESTORE_FRESH,
};

/*
 * Ids served together by one ioctl (x86: KVM_GET_REGS covers rax..rflags).
 * vals[i] points at kvmreg_id_size(ids[i]) bytes. The hook fills errs[i]
 * for every id and returns 0, or a negative errno if the whole group failed
 * (then the core sets every errs[i] to it).
 */
struct kvmreg_group_ops {
	/* Key of the ioctl group of id; 0 means "plain ONE_REG". */
	uint32_t (*group_of)(uint64_t id);
	int (*get)(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
		   const uint64_t *ids, uint8_t *const *vals, int *errs);
	int (*set)(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
		   const uint64_t *ids, const uint8_t *const *vals, int *errs);
	/*
	 * Optional: get() or set() of one batch of a plan the core keeps (a
	 * VMM reads and restores the same list at every checkpoint). *memo
	 * is the driver's, kept with the batch: NULL the first time, then
	 * whatever the driver left there (released with free()), so work per
	 * register is done once. mode also tells a restore's writes apart,
	 * where a driver can save the read a partial write needs (x86 CPUID,
	 * docs/arch-x86.md). same_vals: vals holds the same pointers as at
	 * the last call of this batch in this direction (get, or any set), so
	 * what the driver worked out from them holds. Returns how many errs[i]
	 * are nonzero, or a negative errno if the whole group failed. NULL:
	 * get() and set().
	 */
	int (*batch)(struct kvmreg_vcpu *vcpu, uint32_t group,
		     enum kvmreg_batch_mode mode, size_t n, const uint64_t *ids,
		     uint8_t *const *vals, int same_vals, int *errs,
		     void **memo);
	/*
	 * Nonzero if set() applies the group's registers one after another in
	 * the order given (KVM_SET_MSRS), so registers of successive restore
	 * ranks may share one call. NULL: no group does.
	 */
	int (*in_order)(uint32_t group);
};

struct kvmreg_arch_driver {
	enum kvmreg_arch arch;
	const char *name;		/* kvmreg_arch_name() */
	const char *const *aliases;	/* NULL-terminated, may be NULL */
	uint64_t kvm_reg_arch;		/* KVM_REG_ARCH field of its ids */

	/* --- names (pure; compiled on every host) --- */

	/* 0 if id is well formed, else -EINVAL after kvmreg_set_error(). */
	int (*id_check)(uint64_t id);
	/*
	 * snprintf-like name of a well-formed id. Returns 0 when the arch has
	 * no name for it: the core then prints the generic form.
	 */
	int (*id_name)(uint64_t id, enum kvmreg_name_style style, char *buf,
		       size_t len);
	/*
	 * Parse a name in either style. 0 on success; -ENOENT if name is not
	 * one of this arch's forms (the core then tries the generic form);
	 * -EINVAL after kvmreg_set_error() if it is, but malformed.
	 */
	int (*id_parse)(const char *name, uint64_t *id);
	const char *(*id_group)(uint64_t id);
	/* Counters and timers; NULL: none is. */
	int (*id_is_volatile)(uint64_t id);
	/* Every id the arch has a name for, for the property tests. */
	int (*known_ids)(struct kvmreg_idvec *out);

	/* --- enumeration --- */

	/*
	 * The registers a kernel without KVM_GET_REG_LIST saves, in restore
	 * order, for a guest with the given features (driver-defined comma
	 * list; NULL: the arch's default). vcpu may be NULL (no vCPU to ask).
	 */
	int (*fallback)(struct kvmreg_vcpu *vcpu, const char *features,
			struct kvmreg_idvec *out);
	/*
	 * Whether KVM_GET_ONE_REG failing on a fallback candidate means it is
	 * absent (so the core drops it). False where the kernel accepts ids
	 * it does not save (loongarch: any CSR below 0x800).
	 */
	int probe_is_informative;
	/*
	 * Registers the kernel list does not carry (x86: MSRs from
	 * KVM_GET_MSR_INDEX_LIST, library-defined ids for struct state).
	 * Called after the kernel list or fallback table is in out; appends.
	 * sources receives one enum kvmreg_source per appended id.
	 */
	int (*list_extra)(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out,
			  struct kvmreg_idvec *sources);

	/* --- access (host arch only; NULL: ONE_REG for every id) --- */
	const struct kvmreg_group_ops *groups;

	/* --- restore --- */

	/* Rank of id in restore order: lower first; the core sorts stably. */
	int (*restore_rank)(uint64_t id);
	/* Why that rank, for docs and `kvmreg order`: a short phrase. */
	const char *(*restore_reason)(uint64_t id);

	/* --- scratch VM setup (host arch only) --- */

	/* After KVM_CREATE_VM, before the vCPU exists: what a VMM sets up on
	 * the VM first (x86: the in-kernel irqchip, without which there is no
	 * LAPIC state; arm64: MTE). scratch->vcpu is still NULL. */
	int (*vm_setup)(struct kvmreg_scratch *scratch, unsigned int flags);
	int (*vcpu_setup)(struct kvmreg_scratch *scratch, unsigned int flags);

	/* --- the VM's interrupt controller (host arch only) --- */

	/*
	 * kvmreg_vcpu_set_gic_fd(): take (fd >= 0) or drop (-1) the VMM's
	 * GIC device fd, so the vCPU's part of the interrupt controller is
	 * listed and saved (arm64: ICC_* and the redistributor). NULL: the
	 * arch has none, the call fails with -EOPNOTSUPP.
	 */
	int (*gic_fd)(struct kvmreg_vcpu *vcpu, int fd);
};

/* Every driver, and the lookups the core uses. */
extern const struct kvmreg_arch_driver kvmreg_arch_x86_64;
extern const struct kvmreg_arch_driver kvmreg_arch_arm64;
extern const struct kvmreg_arch_driver kvmreg_arch_riscv64;
extern const struct kvmreg_arch_driver kvmreg_arch_loongarch64;
extern const struct kvmreg_arch_driver kvmreg_arch_mips;
extern const struct kvmreg_arch_driver kvmreg_arch_s390;
extern const struct kvmreg_arch_driver kvmreg_arch_ppc;

const struct kvmreg_arch_driver *kvmreg_driver(enum kvmreg_arch arch);
const struct kvmreg_arch_driver *kvmreg_driver_of_id(uint64_t id);

#endif /* KVMREG_ARCH_H */
