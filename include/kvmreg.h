/* SPDX-License-Identifier: MIT */
/*
 * libkvmreg: discover, name, read, write, save and restore the registers of
 * a KVM vCPU, on every architecture KVM supports.
 *
 * Conventions, for every call below (a call's own comment says where it
 * differs):
 * - Calls returning int return 0 (or a documented non-negative count) on
 *   success and a negative errno on failure; kvmreg_error() then holds a
 *   one-line message that names what was wrong (which argument, which
 *   register, what the kernel said).
 * - A NULL pointer where a call needs an object or an output location
 *   returns -EINVAL, and kvmreg_error() names the argument as this header
 *   does ("kvmreg_save: out is NULL"). Pointers a comment calls optional
 *   may be NULL. Nothing is changed when a call fails on its arguments (a
 *   NULL pointer, unknown flag bits, an unknown enum value), and output
 *   locations (*out, *buf, *json, *id) are written only on success: a
 *   failed call leaves them as they were.
 * - Calls returning a pointer to a new object (kvmreg_state_new,
 *   kvmreg_state_dup) return NULL on failure with errno set: EINVAL for a
 *   bad argument, ENOMEM.
 * - Release functions (kvmreg_*_free, kvmreg_vcpu_detach,
 *   kvmreg_scratch_destroy) accept NULL and do nothing.
 * - Accessors returning a count, size, bool, enum or name say what they
 *   return for NULL or an invalid id, and return exactly that: 0, false,
 *   KVMREG_ARCH_NONE, "" or the name noted.
 * - Unknown flag bits and unknown enum values (name styles, architectures)
 *   are refused with -EINVAL and a message naming the bad value; they are
 *   never mapped to a default.
 * - kvmreg_error() is per thread and describes the last failed call in
 *   this thread; a call that succeeds leaves it as it was (like errno), so
 *   read it only right after a call returned an error.
 * - Threads: a struct kvmreg_vcpu (and a struct kvmreg_scratch) is used by
 *   one thread at a time; different handles may be used by different
 *   threads at once (each thread may drive its own vCPU). A struct
 *   kvmreg_state may be read by several threads at once while none
 *   modifies it. The naming, id and value functions (kvmreg_arch_*,
 *   kvmreg_id_*, kvmreg_value_*, kvmreg_*_name) are thread-safe.
 * - A register is (id, size, value). Ids are KVM ONE_REG ids; where KVM
 *   exposes state only through struct ioctls (x86), the library defines ids
 *   of its own, in a range the kernel rejects (see docs/ids.md).
 * - Values are in the vCPU's byte order, exactly as KVM_GET_ONE_REG returns
 *   them, size = kvmreg_id_size(id) bytes (1 to KVMREG_VALUE_MAX).
 * - Every string the library writes into a snapshot or JSON it also reads
 *   back (the kernel release: see kvmreg_state_set_kernel()).
 * - File descriptors passed in stay owned by the caller.
 */
#ifndef KVMREG_H
#define KVMREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVMREG_VERSION_MAJOR 0
#define KVMREG_VERSION_MINOR 2

/* ------------------------------------------------------------------ */
/* Architectures                                                       */

enum kvmreg_arch {
	KVMREG_ARCH_NONE = 0,
	KVMREG_ARCH_X86_64,
	KVMREG_ARCH_ARM64,
	KVMREG_ARCH_RISCV64,
	KVMREG_ARCH_LOONGARCH64,
	KVMREG_ARCH_MIPS,
	KVMREG_ARCH_S390,
	KVMREG_ARCH_PPC,
	KVMREG_ARCH_COUNT
};

/* "x86_64", "arm64", "riscv64", "loongarch64", "mips", "s390", "ppc";
 * "none" for KVMREG_ARCH_NONE and any value that is no architecture. */
const char *kvmreg_arch_name(enum kvmreg_arch arch);
/* Accepts the names above and aliases (x86, aarch64, riscv, loongarch...);
 * KVMREG_ARCH_NONE for any other name and for NULL. */
enum kvmreg_arch kvmreg_arch_from_name(const char *name);
/* The architecture this library was built for (the one it can run KVM on). */
enum kvmreg_arch kvmreg_arch_host(void);
/* From the id's KVM_REG_ARCH field; KVMREG_ARCH_NONE if unknown. */
enum kvmreg_arch kvmreg_arch_of_id(uint64_t id);

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* The message of the last failed call in this thread ("" if none; never
 * NULL). A successful call leaves it unchanged, like errno: read it right
 * after a call returned an error. */
const char *kvmreg_error(void);

/* ------------------------------------------------------------------ */
/* Ids and names                                                       */

enum kvmreg_name_style {
	KVMREG_NAME_SHORT = 0,	/* MPIDR_EL1, core.pc, csr.CRMD, IA32_EFER */
	KVMREG_NAME_MACRO = 1,	/* C expression, as the kernel selftests print */
};

/* The largest register value, in bytes (KVM_REG_SIZE_U2048). */
#define KVMREG_VALUE_MAX 256

/* Size in bytes of the value of id (1 to KVMREG_VALUE_MAX), from its
 * KVM_REG_SIZE field; 0 for the size fields 9 to 15, which name no size. */
size_t kvmreg_id_size(uint64_t id);

/*
 * Name of id in arch (KVMREG_ARCH_NONE: the id's own arch field). Writes at
 * most len bytes, NUL-terminated, and returns the full length like snprintf.
 * Well-formed ids without a name in the tables get a generic name that
 * kvmreg_id_parse() accepts. Malformed ids, an id of another arch, an
 * unknown style and buf NULL with len > 0 give -EINVAL (buf may be NULL
 * when len is 0, to learn the length).
 */
int kvmreg_id_name(enum kvmreg_arch arch, uint64_t id,
		   enum kvmreg_name_style style, char *buf, size_t len);
/* The inverse: any name kvmreg_id_name() produces, in either style, and a
 * number ("0x6030000000100000"). -EINVAL with a message otherwise; *id
 * changes only on success. */
int kvmreg_id_parse(enum kvmreg_arch arch, const char *name, uint64_t *id);
/* Group of id within its arch ("core", "sysreg", "csr", "msr", ...);
 * "invalid" for an id of no known arch or of another arch than arch,
 * "unknown" for one the driver does not group. */
const char *kvmreg_id_group(enum kvmreg_arch arch, uint64_t id);
/* 0 if id is well formed for arch, else -EINVAL with a message. */
int kvmreg_id_check(enum kvmreg_arch arch, uint64_t id);
/* Whether the value changes on its own while the vCPU runs (counters,
 * timers): comparisons of saved states treat these separately. false for
 * an invalid id. */
bool kvmreg_id_is_volatile(enum kvmreg_arch arch, uint64_t id);
/* Where id goes in restore order (lower first) and why, in a phrase; rank
 * 0 and "no ordering constraint" for an invalid id. */
int kvmreg_id_restore_rank(enum kvmreg_arch arch, uint64_t id);
const char *kvmreg_id_restore_reason(enum kvmreg_arch arch, uint64_t id);

/*
 * Values as text: "0x" and exactly 2 * size hex digits, the bytes read as a
 * little-endian number (every arch KVM runs here is little-endian), so a
 * 64-bit register prints as the number it holds. format returns the full
 * length like snprintf (buf may be NULL when len is 0); parse accepts fewer
 * digits (zero-extended) and changes value only on success. size must be
 * 1 to KVMREG_VALUE_MAX, else -EINVAL.
 */
int kvmreg_value_format(const void *value, size_t size, char *buf,
			size_t len);
int kvmreg_value_parse(const char *text, void *value, size_t size);

/* ------------------------------------------------------------------ */
/* A vCPU                                                              */

struct kvmreg_vcpu;

/*
 * Wrap an existing vCPU. kvm_fd (/dev/kvm) and vm_fd may be -1 where the
 * architecture needs neither (x86 uses kvm_fd for KVM_GET_MSR_INDEX_LIST).
 * vm_fd also ties the handle to the VM's other handles (a change of the
 * VM's register lists reaches them all: kvmreg_vcpu_list_changed()). On
 * x86 the library learns what the kernel offers once per process, on a
 * /dev/kvm descriptor of its own (a close-on-exec duplicate of kvm_fd, or
 * opened) that it keeps open for the life of the process, so the module
 * those facts come from stays loaded.
 * Each fd is checked with an ioctl that changes nothing and loads no vCPU
 * (on vcpu_fd one whose argument KVM cannot copy in: only a vCPU fd of this
 * process answers EFAULT): -EBADF for one that is not open, -EINVAL for one
 * that is not what its name says, or a vCPU of another process's VM, with a
 * message saying what the fd is (/dev/null, a KVM VM fd, ...).
 */
int kvmreg_vcpu_attach(int kvm_fd, int vm_fd, int vcpu_fd,
		       struct kvmreg_vcpu **out);
void kvmreg_vcpu_detach(struct kvmreg_vcpu *vcpu);
/*
 * arm64: the VM's GICv3 device fd (KVM_CREATE_DEVICE with
 * KVM_DEV_TYPE_ARM_VGIC_V3), so that this vCPU's part of the vGIC, its CPU
 * interface (ICC_*) and its redistributor, is listed, saved and restored
 * with its registers (docs/arch-arm64.md). The distributor stays the
 * VMM's. The library never closes the fd; -1 forgets it. 0, or -EBADF (not
 * an fd), -ENODEV (not a GICv3 device of this vCPU's VM), -EOPNOTSUPP (an
 * architecture without such state).
 */
int kvmreg_vcpu_set_gic_fd(struct kvmreg_vcpu *vcpu, int gic_fd);
/* KVMREG_ARCH_NONE for NULL. */
enum kvmreg_arch kvmreg_vcpu_arch(const struct kvmreg_vcpu *vcpu);
/* vCPU ioctls this handle has issued: the cost model of every access.
 * 0 for NULL. */
uint64_t kvmreg_vcpu_ioctl_count(const struct kvmreg_vcpu *vcpu);
/*
 * Tell the handle that the vCPU's register list may have changed behind
 * the library's back. A handle keeps the list it enumerated (so
 * kvmreg_save() costs only its reads) until a write through the library
 * may change it -- x86 CPUID and feature MSRs, arm64 ID registers and
 * CLIDR_EL1, riscv ISA and SBI extensions. A VMM that changes the vCPU
 * model with its own ioctls (KVM_SET_CPUID2, KVM_ENABLE_CAP on the vCPU,
 * KVM_ARM_VCPU_INIT, its own KVM_SET_ONE_REG of such a register) calls
 * this afterwards; it makes every handle attached with the same vm_fd
 * enumerate again at its next need. (On x86 a save also notices a CPUID
 * table whose leaves changed, as it reads the table anyway, and a handle
 * does not keep the list of a vCPU without CPUID yet.) docs/perf.md has
 * the rule per arch.
 */
void kvmreg_vcpu_list_changed(struct kvmreg_vcpu *vcpu);

/* A throwaway VM with one vCPU set up as a VMM would before its first run
 * (arm64: KVM_ARM_VCPU_INIT with the preferred target; x86: supported
 * CPUID), for tools and tests. */
struct kvmreg_scratch {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvmreg_vcpu *vcpu;
};

#define KVMREG_SCRATCH_NO_SETUP	(1u << 0)  /* skip the arch's vCPU setup */
#define KVMREG_SCRATCH_SVE	(1u << 1)  /* arm64: SVE, finalized */
#define KVMREG_SCRATCH_PMU	(1u << 2)  /* arm64: PMUv3 */

/* -ENOENT / -EACCES with a one-line message when /dev/kvm is missing or
 * not accessible; -EINVAL for flag bits other than KVMREG_SCRATCH_*. */
int kvmreg_scratch_create(unsigned int flags, struct kvmreg_scratch *out);
void kvmreg_scratch_destroy(struct kvmreg_scratch *scratch);

/* ------------------------------------------------------------------ */
/* Enumeration                                                         */

enum kvmreg_source {
	KVMREG_SRC_KERNEL_LIST = 1,	/* KVM_GET_REG_LIST */
	KVMREG_SRC_MSR_INDEX_LIST,	/* x86 KVM_GET_MSR_INDEX_LIST */
	KVMREG_SRC_FALLBACK,		/* the library's table for this arch */
	KVMREG_SRC_LIBRARY,		/* library-defined id (x86 struct state) */
	/* x86: an MSR KVM implements but does not list, found from the vCPU's
	 * own MTRRcap, MCG_CAP and CPUID (docs/arch-x86.md) */
	KVMREG_SRC_DERIVED,
};
/* "kernel", "msr-index", "fallback", "library", "derived"; "unknown" for any
 * other. */
const char *kvmreg_source_name(enum kvmreg_source source);

#define KVMREG_REG_VOLATILE	(1u << 0)

struct kvmreg_reg {
	uint64_t id;
	uint32_t size;		/* bytes */
	uint8_t source;		/* enum kvmreg_source */
	uint8_t flags;		/* KVMREG_REG_* */
	uint16_t reserved;
};

struct kvmreg_list {
	size_t count;
	struct kvmreg_reg *regs;
};

/* Ignore KVM_GET_REG_LIST and build the list from the fallback table, as on
 * a kernel without the ioctl. */
#define KVMREG_LIST_FORCE_FALLBACK	(1u << 0)

/* The vCPU's register list (a copy: free it with kvmreg_list_free). The
 * handle enumerates once and keeps the list until it may have changed
 * (kvmreg_vcpu_list_changed()); KVMREG_LIST_FORCE_FALLBACK always
 * enumerates, and keeps nothing. -EINVAL for flag bits other than
 * KVMREG_LIST_FORCE_FALLBACK. */
int kvmreg_list_get(struct kvmreg_vcpu *vcpu, unsigned int flags,
		    struct kvmreg_list **out);
void kvmreg_list_free(struct kvmreg_list *list);

/*
 * The arch's fallback table for a vCPU with the given features, without a
 * vCPU: the registers a kernel without KVM_GET_REG_LIST saves, in restore
 * order. features (optional) is a comma list the arch driver defines
 * (loongarch: "pmu=N,lbt,msgint"); NULL means the arch's default guest.
 */
int kvmreg_fallback_table(enum kvmreg_arch arch, const char *features,
			  struct kvmreg_list **out);

/* ------------------------------------------------------------------ */
/* Register values: a state                                            */

struct kvmreg_state;

/* An empty state; NULL with errno EINVAL for KVMREG_ARCH_NONE or a value
 * that is no architecture, ENOMEM. */
struct kvmreg_state *kvmreg_state_new(enum kvmreg_arch arch);
void kvmreg_state_free(struct kvmreg_state *state);
/* A copy; NULL with errno EINVAL for NULL, ENOMEM. */
struct kvmreg_state *kvmreg_state_dup(const struct kvmreg_state *state);
/* KVMREG_ARCH_NONE for NULL. */
enum kvmreg_arch kvmreg_state_arch(const struct kvmreg_state *state);
/* 0 for NULL. */
size_t kvmreg_state_count(const struct kvmreg_state *state);
/* Add id, or replace its value; size must equal kvmreg_id_size(id), and id
 * be well formed for the state's arch (-EINVAL). value NULL adds id
 * without a value (a capture entry). */
int kvmreg_state_set(struct kvmreg_state *state, uint64_t id,
		     const void *value, size_t size);
/* The value of id; NULL if the state lacks it, has it without a value, or
 * state is NULL. */
const void *kvmreg_state_get(const struct kvmreg_state *state, uint64_t id);
/* The i-th entry, in insertion order (-ERANGE past the end). id and value
 * are optional; *value is NULL for an entry without a value. */
int kvmreg_state_at(const struct kvmreg_state *state, size_t i,
		    uint64_t *id, const void **value);
/* Release of the kernel the state was saved on ("" if unknown; "" for
 * NULL). */
const char *kvmreg_state_kernel(const struct kvmreg_state *state);
/*
 * A kernel release holds at most KVMREG_KERNEL_RELEASE_MAX bytes of
 * printable ASCII (0x20 to 0x7e), what uname(2) gives: every release a
 * state accepts survives the snapshot and JSON formats. Anything else (a
 * newline left by fgets, a control byte, UTF-8, 65 bytes or more) is
 * refused with -EINVAL naming the first bad byte and its offset, and the
 * state keeps its release.
 */
#define KVMREG_KERNEL_RELEASE_MAX 64
int kvmreg_state_set_kernel(struct kvmreg_state *state, const char *release);

/* ------------------------------------------------------------------ */
/* Access                                                              */

/* One register; value holds kvmreg_id_size(id) bytes. */
int kvmreg_get(struct kvmreg_vcpu *vcpu, uint64_t id, void *value);
int kvmreg_set(struct kvmreg_vcpu *vcpu, uint64_t id, const void *value);

/*
 * Read n registers into state with the fewest vCPU ioctls the kernel allows.
 * errs (optional, n entries) receives each register's 0 or -errno; every
 * register is attempted. Returns 0 if all succeeded, else the first error.
 * ids may be NULL when n is 0.
 */
int kvmreg_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		struct kvmreg_state *state, int *errs);
/*
 * Write every register of state, in state order, batched. errs as above
 * (kvmreg_state_count() entries). No reordering and no rollback: see
 * kvmreg_restore() for that. A capture, or an entry without a value, is
 * refused with -EINVAL naming the register, before any write.
 */
int kvmreg_write(struct kvmreg_vcpu *vcpu, const struct kvmreg_state *state,
		 int *errs);

/* ------------------------------------------------------------------ */
/* Save and restore                                                    */

/* Read every register of the vCPU's list into a new state. The list is
 * the handle's kept one (kvmreg_list_get), so a save at each checkpoint
 * costs only its reads. */
int kvmreg_save(struct kvmreg_vcpu *vcpu, struct kvmreg_state **out);
/*
 * Write state back in the arch's dependency order (docs/restore-order.md).
 * Registers only: guest memory, a completed in-flight exit and what lives in
 * kvm_run (x86 cr8 without an in-kernel LAPIC) are the VMM's, see
 * docs/example-vmm.md.
 * All or nothing: if a write fails, the registers already written are put
 * back to their values from before the call, and the error names the
 * register and the errno, and says whether the vCPU was put back as it was:
 * a register written whose value before could not be read (a write-only
 * register) cannot be put back, and the message names it.
 */
int kvmreg_restore(struct kvmreg_vcpu *vcpu, const struct kvmreg_state *state);
/*
 * The same order, without the rollback: for a vCPU created to receive this
 * state, which the caller destroys if the restore fails. It skips the read
 * that rollback needs, so it costs half the ioctls of kvmreg_restore().
 */
int kvmreg_restore_fresh(struct kvmreg_vcpu *vcpu,
			 const struct kvmreg_state *state);
/* The order kvmreg_restore() writes state's registers in: ids, count of
 * state (ids may be NULL for an empty state). */
int kvmreg_restore_order(const struct kvmreg_state *state, uint64_t *ids);

/* ------------------------------------------------------------------ */
/* Files, JSON, diff, compat                                           */

/*
 * A snapshot (docs/format.md) is a state in a versioned binary layout:
 * little-endian header (magic, version, arch, the saving kernel's release,
 * flags, count), the entries (id, size, value as KVM gives it, in the
 * vCPU's byte order) and a CRC32C over everything. A capture is the same
 * with a flag and no values. A state has values for all its registers or
 * for none; encoding a mix fails. *buf is the caller's to free.
 */
int kvmreg_state_encode(const struct kvmreg_state *state, void **buf,
			size_t *len);
/*
 * Rejects every malformed input -- truncated, wrong magic, unknown version,
 * bad checksum, a size that disagrees with its id, a duplicate id, a count
 * the bytes cannot hold -- with a message, never reading past len.
 */
int kvmreg_state_decode(const void *buf, size_t len,
			struct kvmreg_state **out);
/* Encode into a temporary file beside path and rename it over path: all or
 * nothing. It also removes the temporary files beside path that writers
 * killed before their rename left (those of processes that no longer
 * exist). */
int kvmreg_state_save_file(const struct kvmreg_state *state, const char *path);
/* Read a snapshot, or the JSON of kvmreg_state_to_json() (a file whose
 * first non-blank byte is '{'). Messages start with the path. A FIFO gets
 * 2 seconds for a writer to open it (-ETIMEDOUT), never a hang in open(2). */
int kvmreg_state_load_file(const char *path, struct kvmreg_state **out);
/* Whether no entry has a value: a register list with sizes, made by
 * kvmreg_capture() or by kvmreg_state_set(state, id, NULL, size). An empty
 * state is a capture only if it was read or made as one. false for NULL. */
bool kvmreg_state_is_capture(const struct kvmreg_state *state);
/* The vCPU's register list and sizes, without values, with this kernel's
 * release: what kvmreg_state_compat() checks a state against. Since 0.2
 * also what the host allows for each feature register (see
 * kvmreg_state_allowed()), read from the vCPU: take it from a vCPU set up
 * as the VMM sets one up, before its first run. On riscv64 that means
 * trying each extension register's other value and writing the old one
 * back (KVM says what it allows no other way); x86 asks
 * KVM_GET_SUPPORTED_CPUID and a scratch VM of its own. */
int kvmreg_capture(struct kvmreg_vcpu *vcpu, struct kvmreg_state **out);

/*
 * The same content as JSON: arch, kernel, capture flag and per register the
 * id in hex (authoritative), the short name, the size, the value as
 * kvmreg_value_format() writes it, and "volatile": true where the driver
 * says so. *json is NUL-terminated, the caller's to free.
 */
int kvmreg_state_to_json(const struct kvmreg_state *state, char **json);
/*
 * Reads what kvmreg_state_to_json() writes, exactly. Strict: unknown
 * members, duplicate ids, sizes that disagree with ids and a name that
 * names another register than the id are errors (a name this library does
 * not know is not); messages give the line and column.
 */
int kvmreg_state_from_json(const char *json, size_t len,
			   struct kvmreg_state **out);

enum kvmreg_diff_kind {
	KVMREG_DIFF_ONLY_A = 1,	/* in a, not in b */
	KVMREG_DIFF_ONLY_B,	/* in b, not in a */
	KVMREG_DIFF_SIZE,	/* in both, with another size field in the id */
	KVMREG_DIFF_VALUE,	/* in both, values differ */
};

struct kvmreg_diff_entry {
	uint64_t id_a;		/* 0 for KVMREG_DIFF_ONLY_B */
	uint64_t id_b;		/* 0 for KVMREG_DIFF_ONLY_A */
	uint8_t kind;		/* enum kvmreg_diff_kind */
	uint8_t is_volatile;	/* kvmreg_id_is_volatile() of either id */
	uint8_t reserved[6];
};

struct kvmreg_diff {
	size_t count;		/* differences, in a's order, then b's */
	struct kvmreg_diff_entry *entries;
	size_t same;		/* in both with equal values */
	size_t volatile_skipped;/* volatile, values differ, left out */
	size_t unvalued;	/* in both, one side without value (capture) */
};

/* Leave out value differences of volatile registers (counters, timers),
 * counting them in volatile_skipped; their presence and size still count. */
#define KVMREG_DIFF_IGNORE_VOLATILE	(1u << 0)
/* Compare presence and sizes only. */
#define KVMREG_DIFF_NO_VALUES		(1u << 1)

/*
 * Compare two states of one architecture register by register (-EINVAL
 * for two architectures, and for flag bits other than KVMREG_DIFF_*).
 * Registers pair by id; those that do not pair
 * exactly pair again with the id's size field masked, as a size change.
 * Volatile registers are compared like any other and their entries say
 * so, unless flags has KVMREG_DIFF_IGNORE_VOLATILE.
 */
int kvmreg_state_diff(const struct kvmreg_state *a,
		      const struct kvmreg_state *b, unsigned int flags,
		      struct kvmreg_diff **out);
void kvmreg_diff_free(struct kvmreg_diff *diff);
/* "only-in-a", "only-in-b", "size", "value"; "unknown" for any other. */
const char *kvmreg_diff_kind_name(enum kvmreg_diff_kind kind);

enum kvmreg_compat_verdict {
	KVMREG_COMPAT_OK = 0,		/* the same registers, the same sizes */
	KVMREG_COMPAT_OK_EXTRA,		/* restorable; host has more registers */
	KVMREG_COMPAT_INCOMPATIBLE,	/* missing, resized, or another arch */
};

enum kvmreg_finding_kind {
	KVMREG_FINDING_MISSING = 1,	/* in the state, not on the host */
	KVMREG_FINDING_RESIZED,		/* on both, sizes differ */
	KVMREG_FINDING_EXTRA,		/* on the host, not in the state */
	KVMREG_FINDING_CREATED,		/* not on the host; the restore
					 * itself creates it (x86 CPUID) */
	KVMREG_FINDING_FEATURE,		/* a value the host does not allow */
	KVMREG_FINDING_ARCH,		/* another architecture */
};

enum kvmreg_finding_effect {
	KVMREG_EFFECT_NONE = 0,		/* restored as saved */
	KVMREG_EFFECT_RESET,		/* keeps the host's reset value */
	KVMREG_EFFECT_GUEST_DIFFERS,	/* restored, the guest sees less */
	KVMREG_EFFECT_REFUSED,		/* KVM refuses it: the restore fails */
};

/* One register's answer, with the reason in words. */
struct kvmreg_compat_finding {
	uint64_t id;		/* the state's id (the host's for EXTRA) */
	uint64_t host_id;	/* the host's id; 0 if it has none */
	uint8_t kind;		/* enum kvmreg_finding_kind */
	uint8_t effect;		/* enum kvmreg_finding_effect */
	uint8_t reserved[6];
	char reason[192];
};

struct kvmreg_compat {
	enum kvmreg_compat_verdict verdict;
	bool arch_differs;
	size_t missing;		/* in the state, not on the host: refused */
	size_t extra;		/* on the host, not in the state */
	size_t resized;		/* on both, sizes differ */
	struct kvmreg_diff *diff; /* ONLY_A missing, ONLY_B extra, SIZE */
	/* Since 0.2: every finding, in the state's order, then the host's. */
	size_t finding_count;
	struct kvmreg_compat_finding *findings;
	size_t created;		/* written by the restore though not listed */
	size_t features_refused;	/* values KVM would reject */
	size_t features_differ;	/* values the guest would see reduced */
	bool features_checked;	/* the host records allowed values */
};

/*
 * Will kvmreg_restore_fresh() of state, saved on one host, succeed on a
 * vCPU set up like the one host (a capture, or any state) was taken from,
 * and will the guest see the same machine? Register by register, each
 * finding with its reason (docs/migration.md): KVM refuses a register it
 * lacks and a value of another size, unless the restore itself creates
 * the register (x86 CPUID entries: KVM_SET_CPUID2 replaces the table); a
 * host register the state lacks keeps its reset value (compatible, with a
 * warning). Where the host records allowed values (a capture from 0.2 on),
 * every feature register's value is checked against them by the arch's
 * rules: a value KVM would refuse, or one the guest would see reduced,
 * makes it incompatible. Another architecture is incompatible.
 */
int kvmreg_state_compat(const struct kvmreg_state *state,
			const struct kvmreg_state *host,
			struct kvmreg_compat **out);
void kvmreg_compat_free(struct kvmreg_compat *compat);
/* "compatible", "compatible, with registers the state does not set",
 * "incompatible"; "unknown" for any other value. */
const char *kvmreg_compat_verdict_name(enum kvmreg_compat_verdict verdict);
/* "missing", "resized", "extra", "created", "feature", "arch". */
const char *kvmreg_finding_kind_name(enum kvmreg_finding_kind kind);
/* "none", "reset", "guest-differs", "refused". */
const char *kvmreg_finding_effect_name(enum kvmreg_finding_effect effect);

/* ------------------------------------------------------------------ */
/* Migration, baseline, adapt                                        */

/*
 * What a host accepts for a feature register, as a capture records it:
 * value is what a vCPU fresh from its setup holds (arm64: the sanitised
 * ID register; riscv: the default; x86: the KVM_GET_SUPPORTED_CPUID
 * entry), mask the bits a restore may change (arm64: from
 * KVM_ARM_GET_REG_WRITABLE_MASKS), each kvmreg_id_size(id) bytes.
 * *value and *mask point into state. 0, or -ENOENT if state records
 * nothing for id.
 */
int kvmreg_state_allowed(const struct kvmreg_state *state, uint64_t id,
			 const void **value, const void **mask);
/* Record (or replace) what the host accepts for id; size must be
 * kvmreg_id_size(id). For tools that build captures by hand. */
int kvmreg_state_set_allowed(struct kvmreg_state *state, uint64_t id,
			     const void *value, const void *mask, size_t size);
/* How many registers state records allowed values for. */
size_t kvmreg_state_allowed_count(const struct kvmreg_state *state);

struct kvmreg_baseline {
	size_t hosts;
	size_t dropped;		/* registers not on every host */
	size_t bits_lost;	/* feature bits below what some host allows */
	size_t lost_count;	/* lost[]: one line per feature reduced */
	char (*lost)[192];	/* "ID_AA64PFR0_EL1.SVE 1 -> 0 (host 2)" */
};

/*
 * The capture every host of captures accepts: the registers all of them
 * have (same size), and per feature register the most every host allows
 * (the arch's per-field rule: the lower of two lower-is-safe fields...).
 * report (optional) names the features lost and counts them in bits.
 * -EINVAL if the captures are of different architectures, or a feature
 * has no value every host accepts (the message names it).
 */
int kvmreg_baseline(const struct kvmreg_state *const *captures, size_t n,
		    struct kvmreg_state **out, struct kvmreg_baseline **report);
void kvmreg_baseline_free(struct kvmreg_baseline *report);

struct kvmreg_adapt_change {
	uint64_t id;
	uint8_t action;		/* enum kvmreg_adapt_action */
	uint8_t reserved[7];
	char reason[192];
};

enum kvmreg_adapt_action {
	KVMREG_ADAPT_DROPPED = 1,	/* left out: the host lacks it */
	KVMREG_ADAPT_REFUSED,		/* no rule makes it fit: why */
};

struct kvmreg_adapt {
	size_t count;
	struct kvmreg_adapt_change *changes;
	size_t refused;		/* > 0: no state was made */
};

/*
 * A copy of state that the host of capture accepts, made by the arch's
 * documented rules only (docs/migration.md): a register the host lacks is
 * dropped when the guest cannot tell (its saved value is what a kernel
 * without it shows the guest). Every change is listed in *report. If any
 * finding of kvmreg_state_compat() cannot be made to fit -- a register no
 * rule lets go, another size, a feature value the host does not allow
 * (the guest read its features at boot: changing one under it is another
 * machine, so adapt never does) -- *out is NULL, the call returns -EXDEV
 * and *report lists why for each. Registers the host has and the state
 * lacks keep their reset values, as compat warns; nothing is invented.
 */
int kvmreg_adapt(const struct kvmreg_state *state,
		 const struct kvmreg_state *capture, struct kvmreg_state **out,
		 struct kvmreg_adapt **report);
void kvmreg_adapt_free(struct kvmreg_adapt *report);
/* "dropped", "refused". */
const char *kvmreg_adapt_action_name(enum kvmreg_adapt_action action);

#ifdef __cplusplus
}
#endif

#endif /* KVMREG_H */
