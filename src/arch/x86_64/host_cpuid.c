// SPDX-License-Identifier: MIT
/*
 * x86_64 CPUID (x86 hosts only): the vCPU's table as one register per
 * (function, index) entry. KVM_SET_CPUID2 replaces the whole table, so a
 * write of some entries reads the table first, except where a restore
 * already has it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host_data.h"

/* Room in d->bufs->cpuid for entries entries; its contents stay. */
static int cpuid_room(struct x86_data *d, size_t entries)
{
	struct kvm_cpuid2 *t;

	if (entries <= d->bufs->cpuid_room)
		return 0;
	t = realloc(d->bufs->cpuid, sizeof(*t) +
		    entries * sizeof(struct kvm_cpuid_entry2));
	if (!t)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	if (!d->bufs->cpuid)
		t->nent = 0;
	d->bufs->cpuid = t;
	d->bufs->cpuid_room = entries;
	return 0;
}

/* The vCPU's CPUID table (KVM_GET_CPUID2) into d->bufs->cpuid, with room for
 * extra entries after it. */
static int cpuid_read(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		      size_t extra)
{
	size_t cap = CPUID_ENTRIES;

	d->bufs->cpuid_of = NULL;
	for (;;) {
		/* Not zeroed: the kernel writes nent entries, and a set fills
		 * the extra ones itself. */
		int r = cpuid_room(d, cap + extra);

		if (r)
			return r;
		d->bufs->cpuid->nent = (uint32_t)cap;
		d->bufs->cpuid->padding = 0;
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_CPUID2, d->bufs->cpuid);
		if (r == -E2BIG && cap < 16 * CPUID_ENTRIES) {
			cap *= 2;
			continue;
		}
		if (r < 0)
			return r;
		d->bufs->cpuid_of = vcpu;
		d->bufs->cpuid_read_at = vcpu->ioctls;
		return 0;
	}
}

/* kvmreg_x86_cpuid_entry(), inline: the CPUID loops ask it per entry. */
static inline void cpuid_leaf(uint64_t id, uint32_t *function,
			      uint32_t *index)
{
	uint32_t member = (uint32_t)id;

	*function = (member & 0xff000000u) | (member >> 8 & 0xffffu);
	*index = member & 0xff;
}

/* (function, index) as one number, as the loops compare entries. */
static inline uint64_t cpuid_entry_key(const struct kvm_cpuid_entry2 *e)
{
	return e->function | (uint64_t)e->index << 32;
}

static inline uint64_t cpuid_id_key(uint64_t id)
{
	uint32_t function, index;

	cpuid_leaf(id, &function, &index);
	return function | (uint64_t)index << 32;
}

/* The key of ids[i]: from a batch's memo when it has one. */
static inline uint64_t cpuid_key(const uint64_t *keys, const uint64_t *ids,
				 size_t i)
{
	return keys ? keys[i] : cpuid_id_key(ids[i]);
}

/*
 * The entry of key in t. A saved list names the entries in the order
 * KVM_GET_CPUID2 returns them, so the search starts where the last one was
 * found (*hint) and a whole table costs one pass, not one pass per entry.
 */
static inline struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t,
						  uint64_t key, uint32_t *hint)
{
	uint32_t k = *hint < t->nent ? *hint : 0;

	for (uint32_t step = 0; step < t->nent; step++) {
		if (cpuid_entry_key(&t->entries[k]) == key) {
			*hint = k + 1;
			return &t->entries[k];
		}
		k = k + 1 == t->nent ? 0 : k + 1;
	}
	return NULL;
}

_Static_assert(offsetof(struct kvm_cpuid_entry2, edx) ==
	       offsetof(struct kvm_cpuid_entry2, eax) + 12,
	       "eax..edx are contiguous, as in the register");

static void cpuid_value(const struct kvm_cpuid_entry2 *e, uint8_t *val)
{
	memcpy(val, &e->eax, 16);
	memcpy(val + 16, &e->flags, 4);
	memset(val + 20, 0, 32 - 20);
}

/* A hash of n leaves (function, index), in their order: one step each. */
#define LEAVES_HASH_START(n) (0xcbf29ce484222325ULL ^ (n))
static inline uint64_t leaves_hash_step(uint64_t h, uint64_t key)
{
	return (h ^ key) * 0x100000001b3ULL;
}

/* The hash of the leaves of table t. */
static uint64_t cpuid_leaves(const struct kvm_cpuid2 *t)
{
	uint64_t h = LEAVES_HASH_START(t->nent);

	for (uint32_t k = 0; k < t->nent; k++)
		h = leaves_hash_step(h, cpuid_entry_key(&t->entries[k]));
	return h;
}

/*
 * A hash of the values of table t, but for the bits KVM itself updates as
 * the guest runs (kvm_update_cpuid_runtime, 7.2's arch/x86/kvm/cpuid.c):
 * OSXSAVE, MWAIT and APIC in leaf 1, OSPKE in leaf 7, the XSAVE sizes in
 * leaf 0xD's EBX. Everything else only KVM_SET_CPUID2 changes, and a list
 * follows more than the leaves: which MSRs read depends on feature bits
 * (RDTSCP: IA32_TSC_AUX) and on counts (leaf 0xA: the PMU's counters).
 */
static uint64_t cpuid_model(const struct kvm_cpuid2 *t)
{
	/* leaves 1, 7 and 0xd: the ones with bits KVM updates */
	const uint32_t updated = 1u << 1 | 1u << 7 | 1u << 0xd;
	uint64_t h = LEAVES_HASH_START(t->nent);

	for (uint32_t k = 0; k < t->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &t->entries[k];
		uint32_t ebx = e->ebx, ecx = e->ecx, edx = e->edx;

		if (e->function < 32 && (updated >> e->function & 1)) {
			if (e->function == 1) {
				ecx &= ~(1u << 27 | 1u << 3);	/* OSXSAVE, MWAIT */
				edx &= ~(1u << 9);		/* APIC */
			} else if (e->function == 7 && e->index == 0) {
				ecx &= ~(1u << 4);		/* OSPKE */
			} else if (e->function == 0xd && e->index <= 1) {
				ebx = 0;			/* XSAVE sizes */
			}
		}
		/* one multiply per entry: a change of any bit changes h */
		h = (h ^ (e->eax + ((uint64_t)ebx << 32)) ^
		     ((uint64_t)ecx * 0x9e3779b97f4a7c15ULL) ^
		     ((uint64_t)edx << 17)) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * A CPUID batch of a plan: the key of each id, and the hash of these
 * leaves in this order -- that of a table that has exactly them, as the
 * vCPU's has when the batch is a save of its list.
 */
struct cpuid_memo {
	uint64_t leaves;
	uint64_t keys[];
};

/*
 * A VMM that sets CPUID with its own KVM_SET_CPUID2 after the handle made
 * its list changes the leaves listed, or values the MSRs follow: every
 * save reads the table anyway, so it notices at no cost and the core
 * enumerates again (docs/perf.md). The bits KVM updates as the guest runs
 * do not count (cpuid_model). known: the hash of the leaves of the table
 * just read where the caller knows it, else NULL.
 */
static void cpuid_note_leaves(struct x86_data *d, const uint64_t *known)
{
	if (!d->cpuid_listed_known)
		return;
	if ((known ? *known : cpuid_leaves(d->bufs->cpuid)) != d->cpuid_listed ||
	    cpuid_model(d->bufs->cpuid) != d->cpuid_model_listed)
		d->cpuid_changed = true;
}

/*
 * The CPUID table (leaves, values) changed since the list was made -- or
 * the list was made on an empty table: a vCPU whose VMM has not set CPUID
 * yet is still being set up, and a save reads no table to notice the VMM's
 * KVM_SET_CPUID2, so its list is not kept. (The MSRs the list follows are
 * the core's: list_follows_value.)
 */
int kvmreg_x86_64_list_stale(struct kvmreg_vcpu *vcpu)
{
	struct x86_data *d = vcpu->arch_data;
	bool stale = d && (d->cpuid_changed || d->cpuid_listed_empty);

	if (d)
		d->cpuid_changed = false;
	return stale;
}

/*
 * The common case of cpuid_get(): table t has exactly the batch's leaves,
 * in the batch's order (a save of the handle's list). Then one pass copies
 * the values and the leaves' hash is the memo's; false if t has others.
 */
static bool cpuid_get_in_order(const struct kvm_cpuid2 *t,
			       const struct cpuid_memo *m, size_t n,
			       uint8_t *const *vals, int *errs)
{
	if (t->nent != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (cpuid_entry_key(&t->entries[i]) != m->keys[i])
			return false;
		cpuid_value(&t->entries[i], vals[i]);
	}
	memset(errs, 0, n * sizeof(*errs));
	return true;
}

/* The table's entries as registers; how many of ids it lacks. m: the
 * batch's memo, or NULL. */
static int cpuid_get(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		     const uint64_t *ids, const struct cpuid_memo *m,
		     uint8_t *const *vals, int *errs)
{
	const uint64_t *keys = m ? m->keys : NULL;
	uint32_t hint = 0;
	int r = cpuid_read(vcpu, d, 0), missing = 0;

	if (r < 0)
		return r;
	if (m && cpuid_get_in_order(d->bufs->cpuid, m, n, vals, errs)) {
		cpuid_note_leaves(d, &m->leaves);
		return 0;
	}
	cpuid_note_leaves(d, NULL);
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(d->bufs->cpuid,
							cpuid_key(keys, ids, i),
							&hint);

		errs[i] = e ? 0 : -ENOENT;
		missing += !e;
		if (e)
			cpuid_value(e, vals[i]);
	}
	return missing;
}

/* The 12 bytes after eax, ebx, ecx, edx, flags are zero: nothing to lose. */
static bool cpuid_value_fits(const uint8_t *val)
{
	uint64_t low;
	uint32_t high;

	memcpy(&low, val + KVMREG_X86_CPUID_USED, 8);
	memcpy(&high, val + KVMREG_X86_CPUID_USED + 8, 4);
	return !(low | high);
}

/*
 * The values of ids into t, which has room for n more entries: each into
 * the entry of its (function, index), or (append_only, or none yet) a new
 * one. errs[i] = 1 marks what is to be sent. Returns how many values were
 * refused.
 */
static int cpuid_patch(struct kvm_cpuid2 *t, size_t n, const uint64_t *ids,
		       const uint64_t *keys, const uint8_t *const *vals,
		       int *errs, bool append_only)
{
	uint32_t hint = 0;
	int refused = 0;

	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e;
		uint64_t key;

		if (!cpuid_value_fits(vals[i])) {
			errs[i] = -EINVAL;
			refused++;
			continue;
		}
		key = cpuid_key(keys, ids, i);
		e = append_only ? NULL : cpuid_find(t, key, &hint);
		if (!e) {
			e = &t->entries[t->nent++];
			e->function = (uint32_t)key;
			e->index = (uint32_t)(key >> 32);
			memset(e->padding, 0, sizeof(e->padding));
		}
		memcpy(&e->eax, vals[i], 16);
		memcpy(&e->flags, vals[i] + 16, 4);
		errs[i] = 1;	/* sent */
	}
	return refused;
}

/* KVM_SET_CPUID2 of d->bufs->cpuid; how many of the n registers failed. */
static int cpuid_send(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		      int *errs, int refused)
{
	int r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_CPUID2, d->bufs->cpuid);

	d->bufs->cpuid_of = NULL;	/* the kernel adjusts what it takes */
	if (r >= 0) {
		for (size_t i = 0; i < n; i++)
			if (errs[i] == 1)
				errs[i] = 0;
		return refused;
	}
	for (size_t i = 0; i < n; i++)
		if (errs[i] == 1)
			errs[i] = r;
	return (int)n;
}

/* KVM_SET_CPUID2 replaces the whole table: to change some entries and keep
 * the others, read the table, patch it, and send it back. */
static int cpuid_set(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		     const uint64_t *ids, const uint64_t *keys,
		     const uint8_t *const *vals, int *errs)
{
	int r = cpuid_read(vcpu, d, n);

	if (r < 0)
		return r;
	r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, false);
	return cpuid_send(vcpu, d, n, errs, r);
}

/* Whether ids name leaf 0, which every table KVM_GET_CPUID2 or
 * KVM_GET_SUPPORTED_CPUID gives holds: a table as saved, not a patch. */
static bool cpuid_has_leaf0(size_t n, const uint64_t *ids)
{
	for (size_t i = 0; i < n; i++)
		if ((uint32_t)ids[i] == 0 && lib_kind(ids[i]) == KVMREG_X86_CPUID)
			return true;
	return false;
}

/*
 * A restore's CPUID write, without set()'s read when it can do without
 * (docs/arch-x86.md): after the rollback read, which read the table last,
 * the table it read is patched; into a vCPU made for the state, a whole
 * table as saved (it has leaf 0) is the vCPU's new table.
 */
static int cpuid_restore_set(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     size_t n, const uint64_t *ids,
			     const uint64_t *keys, const uint8_t *const *vals,
			     int *errs, int fresh)
{
	int r;

	if (fresh && cpuid_has_leaf0(n, ids)) {
		r = cpuid_room(d, n);
		if (r)
			return r;
		d->bufs->cpuid->nent = 0;
		d->bufs->cpuid->padding = 0;
		r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, true);
		return cpuid_send(vcpu, d, n, errs, r);
	}
	if (fresh || d->bufs->cpuid_of != vcpu ||
	    d->bufs->cpuid_read_at != vcpu->ioctls)
		return cpuid_set(vcpu, d, n, ids, keys, vals, errs);
	r = cpuid_room(d, d->bufs->cpuid->nent + n);
	if (r)
		return r;
	r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, false);
	return cpuid_send(vcpu, d, n, errs, r);
}

static struct cpuid_memo *cpuid_memo_make(size_t n, const uint64_t *ids)
{
	struct cpuid_memo *m = malloc(sizeof(*m) + (n + 1) * sizeof(m->keys[0]));

	if (!m)
		return NULL;
	m->leaves = LEAVES_HASH_START(n);
	for (size_t i = 0; i < n; i++) {
		m->keys[i] = cpuid_id_key(ids[i]);
		m->leaves = leaves_hash_step(m->leaves, m->keys[i]);
	}
	return m;
}

int kvmreg_x86_list_cpuid(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			  struct kvmreg_idvec *out,
			  struct kvmreg_idvec *sources)
{
	int err = cpuid_read(vcpu, d, 0);

	if (err < 0)
		return kvmreg_set_error(err, "KVM_GET_CPUID2: %s",
					strerror(-err));
	d->cpuid_listed = cpuid_leaves(d->bufs->cpuid);
	d->cpuid_model_listed = cpuid_model(d->bufs->cpuid);
	d->cpuid_listed_known = true;
	d->cpuid_listed_empty = d->bufs->cpuid->nent == 0;
	d->cpuid_changed = false;
	for (uint32_t k = 0; !err && k < d->bufs->cpuid->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &d->bufs->cpuid->entries[k];
		uint32_t member;

		if (kvmreg_x86_cpuid_member(e->function, e->index, &member)) {
			err = kvmreg_set_error(-ERANGE,
					       "CPUID entry 0x%08" PRIx32 ".%" PRIu32 " has no library id (docs/ids.md: function bits 16-23 must be 0, subleaf < 256)",
					       e->function, e->index);
			break;
		}
		err = kvmreg_x86_push(out, sources,
			   kvmreg_x86_lib_id(KVMREG_X86_CPUID, member),
			   KVMREG_SRC_LIBRARY);
	}
	return err;
}

int kvmreg_x86_cpuid_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    bool set, size_t n, const uint64_t *ids,
			    uint8_t *const *vals, int *errs)
{
	if (set)
		return cpuid_set(vcpu, d, n, ids, NULL,
				 (const uint8_t *const *)vals, errs);
	return cpuid_get(vcpu, d, n, ids, NULL, vals, errs);
}

void *kvmreg_x86_cpuid_prepare(size_t n, const uint64_t *ids)
{
	return cpuid_memo_make(n, ids);
}

int kvmreg_x86_cpuid_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			   enum kvmreg_batch_mode mode, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int *errs, const void *memo)
{
	const struct cpuid_memo *m = memo;
	const uint64_t *keys = m ? m->keys : NULL;

	switch (mode) {
	case KVMREG_BATCH_GET:
		return cpuid_get(vcpu, d, n, ids, m, vals, errs);
	case KVMREG_BATCH_SET:
		return cpuid_set(vcpu, d, n, ids, keys,
				 (const uint8_t *const *)vals, errs);
	default:
		return cpuid_restore_set(vcpu, d, n, ids, keys,
					 (const uint8_t *const *)vals, errs,
					 mode == KVMREG_BATCH_RESTORE_FRESH);
	}
}

/*
 * Bit bit of register reg (0 eax, 1 ebx, 2 ecx, 3 edx) of entry (function,
 * index) in the table kvmreg_x86_list_cpuid() read for vcpu on this
 * thread; false when the entry is absent or the buffer holds another table.
 */
bool kvmreg_x86_listed_cpuid_bit(const struct kvmreg_vcpu *vcpu,
				 const struct x86_data *d, uint32_t function,
				 uint32_t index, unsigned int reg,
				 unsigned int bit)
{
	const struct kvm_cpuid2 *t = d->bufs->cpuid;
	uint32_t words[4];

	if (!t || d->bufs->cpuid_of != vcpu)
		return false;
	for (uint32_t k = 0; k < t->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &t->entries[k];

		if (e->function != function || e->index != index)
			continue;
		memcpy(words, &e->eax, sizeof(words));
		return reg < 4 && bit < 32 && (words[reg] >> bit & 1);
	}
	return false;
}
