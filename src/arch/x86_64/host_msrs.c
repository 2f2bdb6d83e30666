// SPDX-License-Identifier: MIT
/*
 * x86_64 MSRs (x86 hosts only): KVM_GET_MSRS / KVM_SET_MSRS, the index
 * list of /dev/kvm, and which of its MSRs a vCPU lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host.h"


static int read_msr_index(struct kvmreg_vcpu *vcpu, struct x86_data *d)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list = NULL;
	int own, fd = kvmreg_x86_system_fd(vcpu, false, &own), err = 0;

	if (fd < 0)
		return kvmreg_set_error(-errno,
					"KVM_GET_MSR_INDEX_LIST needs /dev/kvm: %s",
					strerror(errno));
	/* Two calls: the count (E2BIG), then the list; it never shrinks. */
	if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
		err = kvmreg_set_error(-errno, "KVM_GET_MSR_INDEX_LIST: %s",
				       strerror(errno));
		goto out;
	}
	list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	if (!list) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
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
 * An MSR batch of up to MSR_BATCH: its indexes. While every MSR is taken,
 * one call does it; after a refusal, msr_io() goes on from there, as it
 * would have.
 */
static uint32_t *msr_memo_make(size_t n, const uint64_t *ids)
{
	uint32_t *index;

	if (n > MSR_BATCH)
		return NULL;
	index = malloc((n + 1) * sizeof(*index));
	for (size_t i = 0; index && i < n; i++)
		index[i] = (uint32_t)ids[i];
	return index;
}

static int msr_memo_io(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		       const uint32_t *index, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_msrs *msrs = d->bufs->msrs;
	size_t done;
	int r;

	msrs->nmsrs = (uint32_t)n;
	msrs->pad = 0;
	for (size_t i = 0; i < n; i++) {
		msrs->entries[i].index = index[i];
		msrs->entries[i].reserved = 0;
		if (set)
			memcpy(&msrs->entries[i].data, vals[i], 8);
	}
	r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS, msrs);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = r;
		return (int)n;
	}
	done = (size_t)r < n ? (size_t)r : n;
	for (size_t i = 0; !set && i < done; i++)
		memcpy(vals[i], &msrs->entries[i].data, 8);
	memset(errs, 0, done * sizeof(*errs));
	if (done == n)
		return 0;
	errs[done] = -EINVAL;
	return 1 + msr_io(vcpu, d, set, n - done - 1, ids + done + 1,
			  vals + done + 1, errs + done + 1);
}

/* The MSRs of the index list this vCPU can read: one KVM_GET_MSRS of all
 * of them, plus one more per MSR it refuses (msr_io). */

int kvmreg_x86_list_msrs(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources)
{
	size_t n;
	uint64_t *ids, *values;
	uint8_t **vals;
	int *errs, err;

	if (!d->msr_index) {
		err = read_msr_index(vcpu, d);
		if (err)
			return err;
	}
	n = d->n_msr_index;
	ids = calloc(n + 1, sizeof(*ids));
	values = malloc((n + 1) * sizeof(*values));
	vals = calloc(n + 1, sizeof(*vals));
	errs = malloc((n + 1) * sizeof(*errs));
	err = ids && values && vals && errs ? 0 :
	      kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; !err && i < n; i++) {
		ids[i] = KVMREG_X86_MSR_ID(d->msr_index[i]);
		vals[i] = (uint8_t *)&values[i];
	}
	if (!err)
		err = msr_io(vcpu, d, false, n, ids, vals, errs);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = kvmreg_x86_push(out, sources, ids[i],
				   KVMREG_SRC_MSR_INDEX_LIST);
	free(ids);
	free(values);
	free(vals);
	free(errs);
	return err;
}


int kvmreg_x86_msr_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			  bool set, size_t n, const uint64_t *ids,
			  uint8_t *const *vals, int *errs)
{
	return msr_io(vcpu, d, set, n, ids, vals, errs);
}

int kvmreg_x86_msr_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 bool set, size_t n, const uint64_t *ids,
			 uint8_t *const *vals, int *errs, void **memo)
{
	if (!*memo)
		*memo = msr_memo_make(n, ids);
	if (*memo)
		return msr_memo_io(vcpu, d, *memo, set, n, ids, vals, errs);
	return msr_io(vcpu, d, set, n, ids, vals, errs);
}
