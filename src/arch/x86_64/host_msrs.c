// SPDX-License-Identifier: MIT
/*
 * x86_64 MSRs (x86 hosts only): KVM_GET_MSRS / KVM_SET_MSRS, the index
 * list of /dev/kvm, and which of its MSRs a vCPU lists.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host_data.h"
#include "arch/x86_64/uapi.h"


int kvmreg_x86_read_msr_index(int fd, struct x86_data *d)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list = NULL;
	int err = 0;

	/* Two calls: the count (E2BIG), then the list; it never shrinks. */
	if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return kvmreg_set_error(-errno, "KVM_GET_MSR_INDEX_LIST: %s",
					strerror(errno));
	list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	if (!list)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	list->nmsrs = probe.nmsrs;
	if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		err = kvmreg_set_error(-errno, "KVM_GET_MSR_INDEX_LIST: %s",
				       strerror(errno));
		goto out;
	}
	d->msr_index = malloc((list->nmsrs + 1) * sizeof(uint32_t));
	if (!d->msr_index) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	memcpy(d->msr_index, list->indices, list->nmsrs * sizeof(uint32_t));
	d->n_msr_index = list->nmsrs;
out:
	free(list);
	return err;
}

static int read_msr_index(struct kvmreg_vcpu *vcpu, struct x86_data *d)
{
	int own, fd = kvmreg_x86_system_fd(vcpu, false, &own), err;

	if (fd < 0)
		return kvmreg_set_error(-errno,
					"KVM_GET_MSR_INDEX_LIST needs /dev/kvm: %s",
					strerror(errno));
	err = kvmreg_x86_read_msr_index(fd, d);
	if (own >= 0)
		close(own);
	return err;
}

/*
 * Both ioctls walk the entries in order and stop at the first MSR the
 * kernel refuses, returning how many they did. So a batch that comes back
 * short is finished here: the refused entry gets -EINVAL (what
 * KVM_SET_ONE_REG says for the same refusal) and the rest is sent again.
 * Cost: one ioctl, plus one per refused MSR. Returns how many failed.
 */
static int msr_io(struct kvmreg_vcpu *vcpu, struct x86_data *d, bool set,
		  size_t n, const uint64_t *ids, uint8_t *const *vals,
		  int *errs)
{
	struct kvm_msrs *msrs = d->bufs->msrs;
	size_t i = 0;
	int failed = 0;

	msrs->pad = 0;
	while (i < n) {
		size_t batch = n - i < MSR_BATCH ? n - i : MSR_BATCH, done;
		int r;

		msrs->nmsrs = (uint32_t)batch;
		for (size_t k = 0; k < batch; k++) {
			struct kvm_msr_entry *e = &msrs->entries[k];

			e->index = (uint32_t)ids[i + k];
			e->reserved = 0;
			if (set)
				memcpy(&e->data, vals[i + k], 8);
			else
				e->data = 0;
		}
		r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS,
				      msrs);
		if (r < 0) {
			for (size_t k = 0; k < batch; k++)
				errs[i + k] = r;
			failed += (int)batch;
			i += batch;
			continue;
		}
		done = (size_t)r < batch ? (size_t)r : batch;
		for (size_t k = 0; k < done; k++) {
			if (!set)
				memcpy(vals[i + k], &msrs->entries[k].data, 8);
			errs[i + k] = 0;
		}
		if (done < batch) {
			errs[i + done] = -EINVAL;
			failed++;
			done++;
		}
		i += done;
	}
	return failed;
}

/*
 * An MSR batch of up to MSR_BATCH: the kvm_msrs the ioctl takes, indexes
 * filled in and data zero, so a call copies it into the thread's buffer in
 * one memcpy and only moves the values. While every MSR is taken, one call
 * does it; after a refusal, msr_io() goes on from there, as it would have.
 */
static struct kvm_msrs *msr_memo_make(size_t n, const uint64_t *ids)
{
	struct kvm_msrs *m;

	if (n > MSR_BATCH)
		return NULL;
	m = calloc(1, sizeof(*m) + (n + 1) * sizeof(m->entries[0]));
	if (!m)
		return NULL;
	m->nmsrs = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		m->entries[i].index = (uint32_t)ids[i];
	return m;
}

static int msr_memo_io(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		       const struct kvm_msrs *memo, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_msrs *msrs = d->bufs->msrs;
	size_t done;
	int r;

	memcpy(msrs, memo, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
	if (set)
		for (size_t i = 0; i < n; i++)
			memcpy(&msrs->entries[i].data, vals[i], 8);
	r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS, msrs);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = r;
		return (int)n;
	}
	done = (size_t)r < n ? (size_t)r : n;
	if (!set)
		for (size_t i = 0; i < done; i++)
			memcpy(vals[i], &msrs->entries[i].data, 8);
	memset(errs, 0, done * sizeof(*errs));
	if (done == n)
		return 0;
	errs[done] = -EINVAL;
	return 1 + msr_io(vcpu, d, set, n - done - 1, ids + done + 1,
			  vals + done + 1, errs + done + 1);
}

/*
 * Appends the ids of msrs (n indexes) that this vCPU can read, with source:
 * one KVM_GET_MSRS of all of them, plus one more per MSR it refuses
 * (msr_io).
 */
static int push_readable(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 const uint32_t *msrs, size_t n,
			 enum kvmreg_source source, struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources)
{
	uint64_t *ids = calloc(n + 1, sizeof(*ids));
	uint64_t *values = malloc((n + 1) * sizeof(*values));
	uint8_t **vals = calloc(n + 1, sizeof(*vals));
	int *errs = malloc((n + 1) * sizeof(*errs));
	int err = ids && values && vals && errs ? 0 :
		  kvmreg_set_error(-ENOMEM, "out of memory");

	for (size_t i = 0; !err && i < n; i++) {
		ids[i] = KVMREG_X86_MSR_ID(msrs[i]);
		vals[i] = (uint8_t *)&values[i];
	}
	if (!err)
		msr_io(vcpu, d, false, n, ids, vals, errs);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = kvmreg_x86_push(out, sources, ids[i], source);
	free(ids);
	free(values);
	free(vals);
	free(errs);
	return err;
}

/*
 * MSRs that exist when the guest's CPUID says so (SDM vol. 4; AMD APM vol.
 * 2), which KVM implements for every vCPU but lists only when the host's
 * own rdmsr of them works (kvm_probe_msr_to_save): under a vendor module
 * such as kvm_pvm some are missing from the list, yet a guest uses them.
 * Architectural facts, not a kernel's: kept only where KVM_GET_MSRS answers.
 */
static const struct cpuid_msr {
	uint32_t msr;
	uint32_t function;
	uint8_t index, reg, bit;	/* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
} cpuid_msrs[] = {
	{ MSR_TSC_AUX, 0x80000001, 0, 3, 27 },		/* RDTSCP */
	{ MSR_TSC_AUX, 0x7, 0, 2, 22 },			/* RDPID */
	{ MSR_IA32_SPEC_CTRL, 0x7, 0, 3, 26 },		/* IBRS (Intel) */
	{ MSR_IA32_SPEC_CTRL, 0x7, 0, 3, 31 },		/* SSBD (Intel) */
	{ MSR_IA32_SPEC_CTRL, 0x80000008, 0, 1, 14 },	/* IBRS (AMD) */
	{ MSR_IA32_SPEC_CTRL, 0x80000008, 0, 1, 24 },	/* SSBD (AMD) */
	{ MSR_IA32_XSS, 0xd, 1, 0, 3 },			/* XSAVES */
	{ MSR_IA32_XFD, 0xd, 1, 0, 4 },			/* XFD */
	{ MSR_IA32_XFD_ERR, 0xd, 1, 0, 4 },
};

static bool in_list(const uint32_t *list, size_t n, uint32_t msr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == msr)
			return true;
	return false;
}

/* Adds msr to the n candidates unless the index list or they have it. */
static void add_candidate(const struct x86_data *d, uint32_t *cand,
			  size_t *n, uint32_t msr)
{
	if (!in_list(d->msr_index, d->n_msr_index, msr) &&
	    !in_list(cand, *n, msr))
		cand[(*n)++] = msr;
}

/* The fixed-range MTRRs (SDM vol. 3 11.11.2.2), present when MTRRcap.FIX. */
static const uint32_t fixed_mtrrs[] = {
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C0000 + 1, MSR_MTRRfix4K_C0000 + 2,
	MSR_MTRRfix4K_C0000 + 3, MSR_MTRRfix4K_C0000 + 4,
	MSR_MTRRfix4K_C0000 + 5, MSR_MTRRfix4K_C0000 + 6,
	MSR_MTRRfix4K_C0000 + 7,
};

/* Room for every MSR derive_msrs() can name. */
#define MAX_DERIVED (KVMREG_ARRAY_SIZE(cpuid_msrs) + 2 * 0xff + \
		     KVMREG_ARRAY_SIZE(fixed_mtrrs) + 2 + 3 + \
		     5 * KVM_MAX_MCE_BANKS)

/*
 * The MSRs this vCPU has beyond the index list, counted from its own
 * registers: the variable MTRRs from MTRRcap.VCNT, the fixed ones when
 * MTRRcap.FIX, DEF_TYPE and PAT; MCG_CAP, MCG_STATUS, MCG_CTL and 4 MSRs
 * per bank from MCG_CAP's count (CTL2 too with MCG_CMCI_P); the CPUID
 * gated ones above. A vCPU that refuses MTRRcap or MCG_CAP has none of
 * theirs. *n: how many are in cand.
 */
static void derive_msrs(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			uint32_t *cand, size_t *n)
{
	const uint64_t caps[2] = { KVMREG_X86_MSR_ID(MSR_MTRRcap),
				   KVMREG_X86_MSR_ID(MSR_IA32_MCG_CAP) };
	uint64_t cap[2] = { 0, 0 };
	uint8_t *vals[2] = { (uint8_t *)&cap[0], (uint8_t *)&cap[1] };
	int errs[2];
	bool mtrr, mce;

	*n = 0;
	msr_io(vcpu, d, false, 2, caps, vals, errs);
	mtrr = !errs[0];
	mce = !errs[1] && (cap[1] & MCG_BANKCNT_MASK);
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cpuid_msrs); i++) {
		const struct cpuid_msr *c = &cpuid_msrs[i];

		if (kvmreg_x86_listed_cpuid_bit(vcpu, d, c->function, c->index,
						c->reg, c->bit))
			add_candidate(d, cand, n, c->msr);
	}
	if (mtrr) {
		for (uint32_t i = 0; i < (cap[0] & MSR_MTRRcap_VCNT_MASK); i++) {
			add_candidate(d, cand, n, MSR_MTRRphysBase0 + 2 * i);
			add_candidate(d, cand, n, MSR_MTRRphysBase0 + 2 * i + 1);
		}
		for (size_t i = 0; (cap[0] & MSR_MTRRcap_FIX) &&
				   i < KVMREG_ARRAY_SIZE(fixed_mtrrs); i++)
			add_candidate(d, cand, n, fixed_mtrrs[i]);
		add_candidate(d, cand, n, MSR_MTRRdefType);
		add_candidate(d, cand, n, MSR_IA32_CR_PAT);
	}
	if (mce) {
		uint32_t banks = (uint32_t)(cap[1] & MCG_BANKCNT_MASK);

		if (banks > KVM_MAX_MCE_BANKS)
			banks = KVM_MAX_MCE_BANKS;
		add_candidate(d, cand, n, MSR_IA32_MCG_CAP);
		add_candidate(d, cand, n, MSR_IA32_MCG_STATUS);
		add_candidate(d, cand, n, MSR_IA32_MCG_CTL);
		for (uint32_t i = 0; i < 4 * banks; i++)
			add_candidate(d, cand, n, MSR_IA32_MC0_CTL + i);
		for (uint32_t i = 0; (cap[1] & MCG_CMCI_P) && i < banks; i++)
			add_candidate(d, cand, n, MSR_IA32_MC0_CTL2 + i);
	}
}

/* The MSRs of the index list this vCPU can read, then those derive_msrs()
 * finds, each kept only if the vCPU answers KVM_GET_MSRS for it. */
int kvmreg_x86_list_msrs(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources)
{
	uint32_t *cand;
	size_t n = 0;
	int err;

	if (!d->msr_index) {
		err = read_msr_index(vcpu, d);
		if (err)
			return err;
	}
	err = push_readable(vcpu, d, d->msr_index, d->n_msr_index,
			    KVMREG_SRC_MSR_INDEX_LIST, out, sources);
	if (err)
		return err;
	cand = malloc(MAX_DERIVED * sizeof(*cand));
	if (!cand)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	derive_msrs(vcpu, d, cand, &n);
	if (n)
		err = push_readable(vcpu, d, cand, n, KVMREG_SRC_DERIVED, out,
				    sources);
	free(cand);
	return err;
}

/* KVM_X86_SETUP_MCE of want; 1 and *err named if KVM refuses it. now: the
 * vCPU's value where it was read, for the message. */
static int setup_mce(struct kvmreg_vcpu *vcpu, uint64_t id, uint64_t want,
		     const uint64_t *now, int *err)
{
	char had[48] = "";
	int r = kvmreg_vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, &want);

	if (r >= 0)
		return 0;
	if (now)
		snprintf(had, sizeof(had), " (this vCPU has 0x%" PRIx64 ")",
			 *now);
	*err = kvmreg_set_error(r,
				"KVM_X86_SETUP_MCE of 0x%" PRIx64 "%s: %s; KVM takes 1-%d banks and only the capability bits KVM_X86_GET_MCE_CAP_SUPPORTED reports",
				want, had, strerror(-r), KVM_MAX_MCE_BANKS);
	kvmreg_keep_reason(id, *err);
	return 1;
}

/*
 * IA32_MCG_CAP is read-only to KVM_SET_MSRS (kvm_set_msr_common has no
 * case for it); KVM_X86_SETUP_MCE sets it, and also resets MCG_CTL and
 * every MCi_CTL to all ones, so a write of the value the vCPU already has
 * is skipped: restoring a state leaves the banks to their own MSRs.
 */
int kvmreg_x86_mcg_cap_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			      bool set, size_t n, const uint64_t *ids,
			      uint8_t *const *vals, int *errs)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t now, want;
		uint8_t *now_p = (uint8_t *)&now;

		if (msr_io(vcpu, d, false, 1, &ids[i], set ? &now_p : &vals[i],
			   &errs[i])) {
			failed++;
			continue;
		}
		if (!set)
			continue;
		memcpy(&want, vals[i], 8);
		if (want != now)
			failed += setup_mce(vcpu, ids[i], want, &now, &errs[i]);
	}
	return failed;
}

/*
 * The same write into a vCPU made for the state (kvmreg_restore_fresh):
 * KVM_X86_SETUP_MCE without the read, as QEMU's vCPU init and a VMM by
 * hand do: one ioctl where the read and the compare cost one and, on
 * this host, twice its time. A state holds the banks, which the restore
 * writes after MCG_CAP (restore rank); one that does not leaves them at
 * all ones, what the VMM's own KVM_X86_SETUP_MCE would.
 */
int kvmreg_x86_mcg_cap_setup(struct kvmreg_vcpu *vcpu, size_t n,
			     const uint64_t *ids, const uint8_t *const *vals,
			     int *errs)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t want;

		memcpy(&want, vals[i], 8);
		errs[i] = 0;
		failed += setup_mce(vcpu, ids[i], want, NULL, &errs[i]);
	}
	return failed;
}

int kvmreg_x86_msr_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			  bool set, size_t n, const uint64_t *ids,
			  uint8_t *const *vals, int *errs)
{
	return msr_io(vcpu, d, set, n, ids, vals, errs);
}

void *kvmreg_x86_msr_prepare(size_t n, const uint64_t *ids)
{
	return msr_memo_make(n, ids);
}

int kvmreg_x86_msr_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 bool set, size_t n, const uint64_t *ids,
			 uint8_t *const *vals, int *errs, const void *memo)
{
	if (memo)
		return msr_memo_io(vcpu, d, memo, set, n, ids, vals, errs);
	return msr_io(vcpu, d, set, n, ids, vals, errs);
}

/*
 * A save's MSR batch read in place: the state holds the kvm_msrs itself,
 * each value in its entry's data, so KVM_GET_MSRS fills the state. The
 * memo is that kvm_msrs with the indexes (and no memo, no image: a batch
 * longer than one KVM_GET_MSRS takes).
 */
size_t kvmreg_x86_msr_image_layout(size_t n, const void *memo,
				   size_t *offsets)
{
	if (!memo)
		return 0;
	for (size_t i = 0; i < n; i++)
		offsets[i] = sizeof(struct kvm_msrs) +
			     i * sizeof(struct kvm_msr_entry) +
			     offsetof(struct kvm_msr_entry, data);
	return sizeof(struct kvm_msrs) + n * sizeof(struct kvm_msr_entry);
}

int kvmreg_x86_msr_image_get(struct kvmreg_vcpu *vcpu, size_t n,
			     uint8_t *image, const void *memo)
{
	memcpy(image, memo, sizeof(struct kvm_msrs) +
	       n * sizeof(struct kvm_msr_entry));
	/* short: an MSR refused, which msr_memo_io() tells apart */
	return kvmreg_vcpu_ioctl(vcpu, KVM_GET_MSRS, image) != (int)n;
}

/* Where index is in the image's entries, searching on from at and round
 * to it; count if nowhere. */
static uint32_t image_find(const struct kvm_msr_entry *have, uint32_t count,
			   uint32_t at, uint32_t index)
{
	for (uint32_t step = 0; step < count; step++, at++) {
		if (at == count)
			at = 0;
		if (have[at].index == index)
			return at;
	}
	return count;
}

/*
 * A restore's MSR batch from a state that holds a save's kvm_msrs (image):
 * the batch's MSRs (the memo's indexes, in restore order, some of the
 * image's) are copied into one KVM_SET_MSRS. Restore order keeps the
 * image's order but for the few MSRs of their own rank, so the batch is
 * runs of the image's entries, each copied whole (a save's read left them
 * as KVM_SET_MSRS takes them); only the start of a run is searched for,
 * from where the last run ended. Nonzero: an MSR the image lacks, or the
 * kernel took not all.
 */
int kvmreg_x86_msr_image_set(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     size_t n, const uint8_t *image, const void *memo)
{
	const struct kvm_msrs *want = memo;
	struct kvm_msrs *msrs = d->bufs->msrs;
	struct kvm_msrs head;
	const struct kvm_msr_entry *have;
	uint32_t at = 0;

	if (!want)
		return 1;
	memcpy(&head, image, sizeof(head));
	have = (const struct kvm_msr_entry *)(image + sizeof(head));
	for (size_t i = 0, run; i < n; i += run, at += (uint32_t)run) {
		const struct kvm_msr_entry *wanted = &want->entries[i], *from;
		size_t most;

		if (at >= head.nmsrs || have[at].index != wanted->index) {
			at = image_find(have, head.nmsrs, at, wanted->index);
			if (at == head.nmsrs)
				return 1;
		}
		from = &have[at];
		most = n - i < head.nmsrs - at ? n - i : head.nmsrs - at;
		for (run = 1; run < most && from[run].index == wanted[run].index;
		     run++)
			;
		memcpy(&msrs->entries[i], from, run * sizeof(*from));
	}
	msrs->nmsrs = (uint32_t)n;
	msrs->pad = 0;
	return kvmreg_vcpu_ioctl(vcpu, KVM_SET_MSRS, msrs) != (int)n;
}
