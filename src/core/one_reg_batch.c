// SPDX-License-Identifier: MIT
/*
 * Batch ONE_REG (one_reg_batch.h): a save or restore of the registers only
 * ONE_REG reaches (all of them on arm64, riscv64, loongarch64) is one
 * KVM_{GET,SET}_ONE_REG_BATCH per direction instead of one ioctl per
 * register, where the kernel has the series of kernel/batch/.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/common/kvm_common.h"
#include "internal.h"
#include "one_reg_batch.h"

#define GET_BATCH _IOWR(KVMREG_KVMIO, KVMREG_GET_ONE_REG_BATCH_NR, \
			struct kvmreg_one_reg_batch)
#define SET_BATCH _IOWR(KVMREG_KVMIO, KVMREG_SET_ONE_REG_BATCH_NR, \
			struct kvmreg_one_reg_batch)
#define CHECK_EXTENSION _IO(KVMREG_KVMIO, KVMREG_CHECK_EXTENSION_NR)

/*
 * What the kernel answered, once per process: a kernel's capabilities and
 * ioctls cannot change while the process holds a vCPU fd, and so a
 * snapshot restore's new handle asks nothing. 0: not asked yet (or no fd
 * to ask); else the most entries a call takes, or -1 for no batch.
 */
static _Atomic long kernel_batch_max;

/* vcpu->one_reg_batch: 0 not asked yet, < 0 not in use, else the kernel's
 * maximum entries per call. The kernel's answer is kept apart from the
 * user's switch so that turning the batch back on needs no new probe. */
void kvmreg_one_reg_batch_probe(struct kvmreg_vcpu *vcpu)
{
	const char *env;
	int fd = vcpu->vm_fd >= 0 ? vcpu->vm_fd : vcpu->kvm_fd;
	long max = atomic_load_explicit(&kernel_batch_max, memory_order_relaxed);

	if (!max && fd >= 0) {
		max = ioctl(fd, CHECK_EXTENSION, KVMREG_CAP_ONE_REG_BATCH);
		/*
		 * The capability and ioctl numbers are the series' own until a
		 * kernel release fixes them: make sure the ioctl is the batch
		 * before using it. An empty batch does nothing and zeroes
		 * nr_done and error.
		 */
		if (max > 0) {
			struct kvmreg_one_reg_batch empty = {
				.nr_done = UINT32_MAX, .error = UINT32_MAX,
			};

			if (kvmreg_vcpu_ioctl(vcpu, GET_BATCH, &empty) != 0 ||
			    empty.nr_done != 0 || empty.error != 0)
				max = -1;
		}
		max = max > 0 ? max : -1;
		atomic_store_explicit(&kernel_batch_max, max,
				      memory_order_relaxed);
	}
	vcpu->one_reg_batch_max = max > 0 ? max : -1;
	vcpu->one_reg_batch = vcpu->one_reg_batch_max;
	/* asked only where there is a batch to turn off: a walk over the
	 * environment is no small part of a new handle's cost */
	env = max > 0 ? getenv("KVMREG_ONE_REG_BATCH") : NULL;
	if (env && !strcmp(env, "0"))
		vcpu->one_reg_batch = -1;
}

int kvmreg_one_reg_batch_on(const struct kvmreg_vcpu *vcpu)
{
	return vcpu->one_reg_batch > 0;
}

int kvmreg_one_reg_batch_use(struct kvmreg_vcpu *vcpu, int on)
{
	long now = on ? vcpu->one_reg_batch_max : -1;

	/* Plans are the same either way: the batching happens as they run. */
	vcpu->one_reg_batch = now;
	return vcpu->one_reg_batch > 0;
}

/* One register per ioctl: where no batch can be made. */
static size_t one_by_one(struct kvmreg_vcpu *vcpu, int set, size_t n,
			 const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		errs[i] = set ? kvmreg_one_reg_set(vcpu, ids[i], vals[i]) :
				kvmreg_one_reg_get(vcpu, ids[i], vals[i]);
		failed += errs[i] != 0;
	}
	return failed;
}

size_t kvmreg_one_reg_batch_run(struct kvmreg_vcpu *vcpu, int set, size_t n,
				const uint64_t *ids, uint8_t *const *vals,
				int *errs)
{
	size_t max = vcpu->one_reg_batch > 0 ? (size_t)vcpu->one_reg_batch : 0;
	struct kvmreg_one_reg *entries;
	size_t done = 0, failed = 0;

	entries = max ? malloc((n + 1) * sizeof(*entries)) : NULL;
	if (!entries)
		return one_by_one(vcpu, set, n, ids, vals, errs);
	for (size_t i = 0; i < n; i++) {
		entries[i].id = ids[i];
		entries[i].addr = (uintptr_t)vals[i];
	}
	while (done < n) {
		struct kvmreg_one_reg_batch batch = {
			.nr = (uint32_t)(n - done < max ? n - done : max),
			.entries = (uintptr_t)(entries + done),
		};
		int r = kvmreg_vcpu_ioctl(vcpu, set ? SET_BATCH : GET_BATCH,
					  &batch);

		if (r < 0) {
			/* The call itself was refused: nothing was done. */
			for (size_t i = done; i < done + batch.nr; i++)
				errs[i] = r;
			failed += batch.nr;
			done += batch.nr;
			continue;
		}
		memset(errs + done, 0, (size_t)r * sizeof(*errs));
		done += (size_t)r;
		if ((uint32_t)r == batch.nr)
			continue;
		/* Entry done failed; the entries after it were not looked at,
		 * so go on from the next, as one ioctl per register would. */
		errs[done] = batch.error ? -(int)batch.error : -EIO;
		failed++;
		done++;
	}
	free(entries);
	return failed;
}

size_t kvmreg_one_reg_count(const struct kvmreg_vcpu *vcpu,
			    const struct kvmreg_state *state)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	size_t count = 0;

	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		uint64_t id;
		const void *value;

		kvmreg_state_at(state, i, &id, &value);
		count += !g || !g->group_of || g->group_of(id) == 0;
	}
	return count;
}

size_t kvmreg_one_reg_calls(const struct kvmreg_vcpu *vcpu, size_t n)
{
	size_t max = vcpu->one_reg_batch > 0 ? (size_t)vcpu->one_reg_batch : 0;

	return max ? (n + max - 1) / max : n;
}
