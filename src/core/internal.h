/* SPDX-License-Identifier: MIT */
/* What the core's files and the arch drivers share; not installed. */
#ifndef KVMREG_INTERNAL_H
#define KVMREG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

#define KVMREG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KVMREG_EXPORT __attribute__((visibility("default")))

/* Set this thread's kvmreg_error() message; returns err (a -errno). */
int kvmreg_set_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The current message explains why register id failed with err: where the
 * core reports that failure (kvmreg_describe_failure) it says this rather
 * than strerror(err), so a driver's reason (both TSC rates, the bank count
 * KVM takes) reaches the caller. Returns err.
 */
int kvmreg_keep_reason(uint64_t id, int err);
const char *kvmreg_kept_reason(uint64_t id, int err);
/* Prefix the current message: "context: <old message>"; returns err. */
int kvmreg_wrap_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For a call that tries several ways and succeeds with a later one: the
 * message to put back, so that a success leaves kvmreg_error() as it was. */
struct kvmreg_saved_error {
	char text[512];
};
void kvmreg_error_save(struct kvmreg_saved_error *saved);
void kvmreg_error_restore(const struct kvmreg_saved_error *saved);

/*
 * The contract's argument check (include/kvmreg.h, "Conventions"): a NULL
 * object or output location fails the call with -EINVAL and a message that
 * names the argument as the header does ("kvmreg_save: out is NULL"),
 * before anything changes. Public functions are named as in the header,
 * so __func__ is the call's name.
 */
int kvmreg_null_argument(const char *call, const char *argument);
#define KVMREG_NEED_ARG(ptr, argument)					\
	do {								\
		if (!(ptr))						\
			return kvmreg_null_argument(__func__, argument);	\
	} while (0)

/*
 * What a kernel release may hold, so that every release a state accepts
 * survives the snapshot and JSON readers: KVMREG_KERNEL_RELEASE_MAX bytes of
 * printable ASCII. 0, or -EINVAL naming the first bad byte.
 */
int kvmreg_kernel_release_check(const char *release, size_t len);

/* A growable array of u64: ids, or sources next to them. */
struct kvmreg_idvec {
	uint64_t *v;
	size_t n;
	size_t cap;
};
int kvmreg_idvec_push(struct kvmreg_idvec *vec, uint64_t x);
void kvmreg_idvec_free(struct kvmreg_idvec *vec);

/* snprintf that appends at *pos and keeps counting past len, so the caller
 * can return the full length the way snprintf does. */
void kvmreg_appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parsing helpers for the name parsers: strict, whole-string. */
/* Parse an unsigned number (decimal or 0x hex) spanning exactly [s, s+n). */
int kvmreg_parse_u64(const char *s, size_t n, uint64_t *out);
/* If name starts with prefix, return the rest, else NULL. */
const char *kvmreg_skip_prefix(const char *name, const char *prefix);

/* kvmreg_id_size() for the core's hot paths: KVM_REG_SIZE_MASK is bits
 * 52-55 on every architecture. */
static inline size_t kvmreg_size_of(uint64_t id)
{
	unsigned int field = (unsigned int)(id >> 52) & 0xf;

	return field <= 8 ? (size_t)1 << field : 0;
}

/* KVM_REG_SIZE field value (0..8) for a size in bytes; -1 if no such. */
int kvmreg_size_field(size_t bytes);

struct kvmreg_arch_driver;
struct kvmreg_plan;

struct kvmreg_list_watch;	/* changes of one VM's lists (enum.c) */

struct kvmreg_vcpu {
	int kvm_fd;
	int vm_fd;
	int fd;
	const struct kvmreg_arch_driver *driver;
	uint64_t ioctls;
	void *arch_data;	/* driver's per-handle data (x86: buffers) */
	void (*arch_data_free)(void *);
	/*
	 * The register list, kept from its enumeration until something that
	 * can change it happens (docs/perf.md): a write through the library
	 * of a register the driver's list_changed_by() names, here or (for a
	 * VM-wide change) on another handle of the same VM, or
	 * kvmreg_vcpu_list_changed(). NULL: enumerate at the next need.
	 */
	struct kvmreg_list *list;
	uint64_t *list_ids;		/* list's ids */
	struct kvmreg_plan *list_plan;	/* kvmreg_save's (plan.h), or NULL */
	/* The list's registers whose values it follows (the driver's
	 * list_follows_value): their positions in the list, and their values
	 * as the list's first save read them, one after the other, in one
	 * allocation. NULL: none kept yet. */
	size_t *list_value_at;
	uint8_t *list_values;
	size_t n_list_values;
	/* The plans of the last kvmreg_read and restore (plan.h): a handle
	 * that does the same again skips the lookup. */
	struct kvmreg_plan *read_plan;
	struct kvmreg_plan *restore_plan;
	struct kvmreg_list_watch *watch;	/* shared by the VM's handles */
	uint64_t list_seen;		/* watch's count when list was made */
	uint64_t reg_list_count;	/* KVM_GET_REG_LIST's last count */
	/* batch ONE_REG (one_reg_batch.c): in use if > 0, the entries one
	 * call takes; the kernel's own answer */
	long one_reg_batch;
	long one_reg_batch_max;
};

/* What a handle keeps (enum.c): set up at attach, released at detach. */
int kvmreg_vcpu_keep_init(struct kvmreg_vcpu *vcpu, int vm_fd);
void kvmreg_vcpu_keep_release(struct kvmreg_vcpu *vcpu);
/* The handle's register list and its ids, enumerated only if it is not
 * kept (then kept; *made says so, if made is not NULL). Valid until the
 * next write through the handle. */
int kvmreg_vcpu_list(struct kvmreg_vcpu *vcpu, const struct kvmreg_list **list,
		     const uint64_t **ids, int *made);
/* Whether state, a save of the kept list, has other values than the list's
 * first save for the registers the list follows (list_follows_value);
 * the first save's are kept. */
bool kvmreg_vcpu_list_values_changed(struct kvmreg_vcpu *vcpu,
				     const struct kvmreg_state *state);
/* After a write through the library whose ids list_changed_by() said
 * change (the widest enum kvmreg_list_change among them). */
void kvmreg_vcpu_list_written(struct kvmreg_vcpu *vcpu, int change);
/* Enumerate now, keeping nothing. */
int kvmreg_enumerate(struct kvmreg_vcpu *vcpu, unsigned int flags,
		     struct kvmreg_list **out);
/* A copy of list. */
struct kvmreg_list *kvmreg_list_copy(const struct kvmreg_list *list);

/* Every vCPU ioctl goes through here, so kvmreg_vcpu_ioctl_count() is the
 * cost model. Returns the ioctl's result, or -errno. */
int kvmreg_vcpu_ioctl(struct kvmreg_vcpu *vcpu, unsigned long request,
		      void *arg);

/*
 * Whether the kernel has a vCPU ioctl the driver lists a register for
 * (KVM_GET_MP_STATE, arm64's KVM_GET_VCPU_EVENTS): asked with request and
 * arg the first time, then answered from *known (0 not asked yet, 1 yes,
 * -1 no: ENOTTY or EINVAL), one per process. Which ioctls a kernel has
 * cannot change while the process holds a vCPU fd, and listing again
 * after a restore then costs only KVM_GET_REG_LIST. Another failure is
 * not kept.
 */
int kvmreg_vcpu_ioctl_exists(struct kvmreg_vcpu *vcpu, _Atomic int *known,
			     unsigned long request, void *arg);

/* ONE_REG on one id; -errno. */
int kvmreg_one_reg_get(struct kvmreg_vcpu *vcpu, uint64_t id, void *value);
int kvmreg_one_reg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
		       const void *value);

/* Read the kernel release once ("" if uname fails). */
const char *kvmreg_host_kernel_release(void);

#endif /* KVMREG_INTERNAL_H */
