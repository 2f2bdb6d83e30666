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
struct kvmreg_state;

/* kvmreg_arch_driver.list_changed_by(): ordered, the wider change last. */
enum kvmreg_list_change {
	KVMREG_LIST_KEPT = 0,
	KVMREG_LIST_CHANGES_VCPU,
	KVMREG_LIST_CHANGES_VM,
};

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
	/* Optional: the group of id when read, where a register is read with
	 * others but written by an ioctl of its own (x86 MCG_CAP: KVM_GET_MSRS,
	 * KVM_X86_SETUP_MCE). NULL: group_of. */
	uint32_t (*read_group_of)(uint64_t id);
	int (*get)(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
		   const uint64_t *ids, uint8_t *const *vals, int *errs);
	int (*set)(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
		   const uint64_t *ids, const uint8_t *const *vals, int *errs);
	/*
	 * Optional: what one batch of a plan (src/core/plan.c) can work out
	 * once, when the plan is made: the driver's memo for batch(),
	 * released with free(). Plans are shared by every handle and thread
	 * of the process, so the memo is read-only from then on and must not
	 * depend on the vCPU beyond what the process's kernel offers. NULL
	 * (hook or result): batch() gets no memo.
	 */
	void *(*prepare)(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			 const uint64_t *ids);
	/*
	 * Optional: get() or set() of one batch of a plan, with its memo.
	 * mode also tells a restore's writes apart, where a driver can save
	 * the read a partial write needs (x86 CPUID, docs/arch-x86.md).
	 * Returns how many errs[i] are nonzero, or a negative errno if the
	 * whole group failed. NULL: get() and set().
	 */
	int (*batch)(struct kvmreg_vcpu *vcpu, uint32_t group,
		     enum kvmreg_batch_mode mode, size_t n, const uint64_t *ids,
		     uint8_t *const *vals, int *errs, const void *memo);
	/*
	 * Optional: the struct the batch's ioctl takes, laid out with the
	 * batch's values in it (x86: kvm_regs, a kvm_msrs of the MSRs), so
	 * that a READ plan puts that struct in the state and a save reads
	 * into it with no copy (src/core/plan.c). Fills offsets[i], where
	 * the value of the batch's i-th id starts in it (memo: prepare's for
	 * the batch), and returns its size; 0 where
	 * the batch is not one whole struct (then offsets is the core's).
	 */
	size_t (*image_layout)(uint32_t group, size_t n, const void *memo,
			       size_t *offsets);
	/*
	 * With image_layout: the batch's ioctl (ids, the batch's) on image, a
	 * struct it laid out. KVMREG_BATCH_GET writes what is not a value
	 * (headers, MSR indexes), then reads into it; a write gets the struct
	 * of a save's READ batch of the same group, which may hold more
	 * registers than it writes (x86 MSRs). 0: every register done;
	 * nonzero: not all were, and the core does the batch with batch().
	 */
	int (*image_io)(struct kvmreg_vcpu *vcpu, uint32_t group,
			enum kvmreg_batch_mode mode, size_t n,
			const uint64_t *ids, uint8_t *image, const void *memo);
	/*
	 * Nonzero if set() applies the group's registers one after another in
	 * the order given (KVM_SET_MSRS), so registers of successive restore
	 * ranks may share one call. NULL: no group does.
	 */
	int (*in_order)(uint32_t group);
	/*
	 * Nonzero if the group's write reads the vCPU's value first and
	 * writes nothing when it is already the one asked (x86 TSC kHz,
	 * MCG_CAP): after a rollback read, which has that value, a restore
	 * skips the group's segment when nothing in it differs, and its read.
	 * So no write of an earlier restore rank may change the group's
	 * values (x86: only CPUID and the TSC frequency come before them,
	 * and change neither).
	 * NULL: no group.
	 */
	int (*writes_only_changes)(uint32_t group);
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

	/*
	 * What writing id does to the register list (docs/perf.md): nothing
	 * (KVMREG_LIST_KEPT), or it may change this vCPU's list
	 * (KVMREG_LIST_CHANGES_VCPU: x86 CPUID and feature MSRs, riscv ISA and
	 * SBI extensions) or every vCPU's of the VM (KVMREG_LIST_CHANGES_VM:
	 * arm64 ID registers). The core keeps a handle's list until a write
	 * through the library says it changed. NULL: no write changes it.
	 */
	int (*list_changed_by)(uint64_t id);
	/*
	 * Optional, host arch: whether a read since the list was made saw
	 * that it changed behind the library's back (x86: the CPUID table
	 * read has other leaves than the ones listed). Clears the mark.
	 */
	int (*list_stale)(struct kvmreg_vcpu *vcpu);
	/*
	 * Optional: whether the list follows id's value, and only a write
	 * from outside the guest changes it (arm64 ID registers and
	 * CLIDR_EL1, riscv64 extensions, the x86 MCG_CAP and capability
	 * MSRs). A save that reads such a register other than the list's
	 * first save did lists again (enum.c), which catches a VMM's own
	 * write behind the library's back. Not x86 CPUID: KVM updates its
	 * bits as the guest runs (OSXSAVE), and list_stale serves it.
	 */
	bool (*list_follows_value)(uint64_t id);

	/* --- access (host arch only; NULL: ONE_REG for every id) --- */
	const struct kvmreg_group_ops *groups;
	/*
	 * Whether the kernel's code shows that a write of value to id it
	 * refused with err leaves the register holding value (riscv64: an
	 * OFF write to timer.state fails when the timer is off already). The
	 * core forgives such a refusal without reading the register back,
	 * which a refusal otherwise costs (a vCPU ioctl, and a batch of
	 * writes cut in two). NULL: every refusal is read back.
	 */
	int (*refusal_keeps_value)(uint64_t id, const uint8_t *value, int err);

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

	/* --- migration: compat, baseline, adapt (docs/migration.md) --- */

	/* The pure rules, src/arch/<arch>/features.c; NULL: the arch has
	 * no feature registers and a restore creates nothing. */
	const struct kvmreg_feature_ops *features;
	/*
	 * Host only: what a vCPU fresh from its setup accepts, for a
	 * capture: per feature register of list, the value it has (arm64:
	 * the sanitised ID register; x86: the KVM_GET_SUPPORTED_CPUID
	 * entry) into value, and the bits a restore may change into mask.
	 * NULL: captures record no allowed values.
	 */
	int (*capture_allowed)(struct kvmreg_vcpu *vcpu,
			       const struct kvmreg_state *list,
			       struct kvmreg_state *value,
			       struct kvmreg_state *mask);
};

/* What the finding of a feature check does to a migration. */
enum kvmreg_feature_effect {
	KVMREG_FEATURE_OK = 0,		/* the destination takes the value */
	KVMREG_FEATURE_REFUSED,		/* KVM rejects the write */
	KVMREG_FEATURE_GUEST_DIFFERS,	/* written, the guest sees less */
};

struct kvmreg_feature_ops {
	/*
	 * Whether restoring state writes id into a vCPU whose register list
	 * lacks it, so its absence there is no failure (x86: the CPUID
	 * table, which KVM_SET_CPUID2 replaces whole). NULL: nothing is.
	 */
	int (*restore_creates)(const struct kvmreg_state *state, uint64_t id);
	/* Whether the host's fresh value of id tells what it accepts. */
	int (*is_feature)(uint64_t id);
	/*
	 * May a vCPU whose capture allows (value, mask) for id take saved?
	 * Fills why (a phrase naming the field and both values) unless OK.
	 */
	enum kvmreg_feature_effect (*check)(uint64_t id, const uint8_t *saved,
					    const uint8_t *value,
					    const uint8_t *mask, char *why,
					    size_t len);
	/*
	 * Baseline of two hosts: the most (out_value, out_mask) both accept.
	 * Writes to lost (len bytes) what the meet dropped from a's value
	 * as "FIELD a -> b; ..." and returns the bits lost, or a negative
	 * errno with why in lost when no value fits both (then they are not
	 * one baseline).
	 */
	int (*meet)(uint64_t id, const uint8_t *a_value, const uint8_t *a_mask,
		    const uint8_t *b_value, const uint8_t *b_mask,
		    uint8_t *out_value, uint8_t *out_mask, char *lost,
		    size_t len);
	/*
	 * adapt: may id, which the destination lacks, be left out of state
	 * without the guest telling? 1 with the rule in why, else 0 with
	 * the reason it may not.
	 */
	int (*adapt_drop)(const struct kvmreg_state *state, uint64_t id,
			  char *why, size_t len);
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
