// SPDX-License-Identifier: MIT
/*
 * arm64 and riscv64: the library against what Firecracker and
 * cloud-hypervisor do there -- KVM_GET_REG_LIST, then one KVM_GET_ONE_REG
 * per register (and KVM_GET_MP_STATE) at each save; KVM_SET_ONE_REG per
 * register (and KVM_SET_MP_STATE) into a new vCPU at restore -- side by
 * side, rounds interleaved. The cases assert what must hold (the same
 * values; a repeated save costs one ioctl per register, or on a kernel
 * with the batch ONE_REG series one batch for the ONE_REG registers and
 * one ioctl per register of the driver's own); the times and
 * ratios are '#' lines for the nested stage's log, not assertions (TCG
 * guests on a shared machine). x86's comparison, with Firecracker's own
 * sequence, is bench/firecracker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvm.h>

#include "core/one_reg_batch.h"
#include "harness.h"
#include "kvmreg.h"

#define ROUNDS 9

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

/* The peer's saved vCPU: the list it read and a value slot per register. */
struct peer_state {
	struct kvm_reg_list *list;
	uint8_t (*value)[256];
	struct kvm_mp_state mp;
};

static void peer_free(struct peer_state *p)
{
	free(p->list);
	free(p->value);
	memset(p, 0, sizeof(*p));
}

/* Writes the kernel refused in the last peer restore: in list order, with
 * no dependency order, some registers come too early or too late (riscv
 * config and ISA registers); the loop goes on, as its ioctls count. */
static size_t peer_refused;

/* KVM_GET_ONE_REG or KVM_SET_ONE_REG of every register of the list. */
static int peer_each_reg(int fd, unsigned long request,
			 const struct peer_state *p, uint64_t *ioctls)
{
	for (uint64_t i = 0; i < p->list->n; i++) {
		struct kvm_one_reg reg = { .id = p->list->reg[i],
					   .addr = (uintptr_t)p->value[i] };

		(*ioctls)++;
		if (ioctl(fd, request, &reg) == 0)
			continue;
		if (request == KVM_GET_ONE_REG)
			return -errno;
		peer_refused++;
	}
	return 0;
}

/* GET_MP_STATE, GET_REG_LIST (room for 500, as Firecracker asks; again
 * with the size KVM says if that is short), GET_ONE_REG per register. */
static int peer_save(int fd, struct peer_state *p, uint64_t *ioctls)
{
	uint64_t room = 500;

	memset(p, 0, sizeof(*p));
	(*ioctls)++;
	if (ioctl(fd, KVM_GET_MP_STATE, &p->mp) < 0)
		return -errno;
	for (;;) {
		p->list = malloc(sizeof(*p->list) + room * sizeof(uint64_t));
		if (!p->list)
			return -ENOMEM;
		p->list->n = room;
		(*ioctls)++;
		if (ioctl(fd, KVM_GET_REG_LIST, p->list) == 0)
			break;
		if (errno != E2BIG)
			return -errno;
		room = p->list->n;
		free(p->list);
	}
	p->value = calloc(p->list->n + 1, sizeof(*p->value));
	if (!p->value)
		return -ENOMEM;
	return peer_each_reg(fd, KVM_GET_ONE_REG, p, ioctls);
}

static int peer_restore(int fd, const struct peer_state *p, uint64_t *ioctls)
{
	int err;

	peer_refused = 0;
	err = peer_each_reg(fd, KVM_SET_ONE_REG, p, ioctls);

	if (err)
		return err;
	(*ioctls)++;
	return ioctl(fd, KVM_SET_MP_STATE, &p->mp) < 0 ? -errno : 0;
}

static int is_onereg_arch(void)
{
	return kvmreg_arch_host() == KVMREG_ARCH_ARM64 ||
	       kvmreg_arch_host() == KVMREG_ARCH_RISCV64;
}

/* What the library saves has the values the ONE_REG loop reads, counters
 * and timers aside. */
TEST(library_saves_what_the_onereg_loop_reads)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL;
	struct peer_state p;
	uint64_t ioctls = 0;
	size_t compared = 0, differ = 0;

	NEED_KVM();
	if (!is_onereg_arch())
		SKIP("the ONE_REG peers are arm64's and riscv64's (x86: bench/firecracker)");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(peer_save(s.vcpu_fd, &p, &ioctls) == 0, "peer save: %s",
		strerror(errno));
	for (uint64_t i = 0; i < p.list->n; i++) {
		uint64_t id = p.list->reg[i];
		const void *mine = kvmreg_state_get(state, id);

		if (kvmreg_id_is_volatile(kvmreg_arch_host(), id))
			continue;
		EXPECT(mine != NULL, "the library did not save 0x%016" PRIx64, id);
		if (!mine)
			continue;
		compared++;
		differ += memcmp(mine, p.value[i], kvmreg_id_size(id)) != 0;
	}
	EXPECT(compared > 0 && differ == 0, "%zu of %zu registers differ",
	       differ, compared);
	peer_free(&p);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* Save at each checkpoint on one handle, restore into a new vCPU: times,
 * ioctls and ratios, and the one thing asserted -- what a repeated save
 * issues: one ioctl per register of the driver's own (MP state, vCPU
 * events), and for the ONE_REG registers one each, or the batch calls
 * where the handle has KVM_CAP_ONE_REG_BATCH (docs/batch-ioctl.md). */
TEST(compare_with_the_onereg_loop)
{
	double save_lib[ROUNDS], save_peer[ROUNDS];
	double restore_lib[ROUNDS], restore_peer[ROUNDS];
	uint64_t lib_save_ioctls = 0, peer_save_ioctls = 0;
	uint64_t lib_restore_ioctls = 0, peer_restore_ioctls = 0;
	struct kvmreg_scratch run;
	struct kvmreg_state *state = NULL;
	struct peer_state p = { 0 };
	size_t regs = 0, one_reg, want_save;

	NEED_KVM();
	if (!is_onereg_arch())
		SKIP("the ONE_REG peers are arm64's and riscv64's (x86: bench/firecracker)");
	REQUIRE(kvmreg_scratch_create(0, &run) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(run.vcpu, &state) == 0, "%s", kvmreg_error());
	for (int r = 0; r < ROUNDS; r++) {
		struct kvmreg_scratch target[2];
		struct kvmreg_vcpu *fresh;
		uint64_t t, before, n = 0;

		for (int k = 0; k < 2; k++) {
			if ((r + k) % 2 == 0) {
				kvmreg_state_free(state);
				before = kvmreg_vcpu_ioctl_count(run.vcpu);
				t = now_ns();
				REQUIRE(kvmreg_save(run.vcpu, &state) == 0, "%s",
					kvmreg_error());
				save_lib[r] = (double)(now_ns() - t);
				lib_save_ioctls = kvmreg_vcpu_ioctl_count(run.vcpu) - before;
				regs = kvmreg_state_count(state);
			} else {
				peer_free(&p);
				n = 0;
				t = now_ns();
				REQUIRE(peer_save(run.vcpu_fd, &p, &n) == 0,
					"peer save: %s", strerror(errno));
				save_peer[r] = (double)(now_ns() - t);
				peer_save_ioctls = n;
			}
		}
		/* New vCPUs, set up (KVM_ARM_VCPU_INIT) as the VMM would
		 * before restoring into them; the handle is the library's new
		 * one. */
		REQUIRE(kvmreg_scratch_create(0, &target[0]) == 0 &&
			kvmreg_scratch_create(0, &target[1]) == 0, "%s",
			kvmreg_error());
		for (int k = 0; k < 2; k++) {
			if ((r + k) % 2 == 0) {
				t = now_ns();
				REQUIRE(kvmreg_vcpu_attach(target[0].kvm_fd,
							   target[0].vm_fd,
							   target[0].vcpu_fd,
							   &fresh) == 0 &&
					kvmreg_restore_fresh(fresh, state) == 0,
					"%s", kvmreg_error());
				restore_lib[r] = (double)(now_ns() - t);
				lib_restore_ioctls = kvmreg_vcpu_ioctl_count(fresh);
				kvmreg_vcpu_detach(fresh);
			} else {
				n = 0;
				t = now_ns();
				REQUIRE(peer_restore(target[1].vcpu_fd, &p, &n) == 0,
					"peer restore: %s", strerror(errno));
				restore_peer[r] = (double)(now_ns() - t);
				peer_restore_ioctls = n;
			}
		}
		kvmreg_scratch_destroy(&target[0]);
		kvmreg_scratch_destroy(&target[1]);
	}
	one_reg = kvmreg_one_reg_count(run.vcpu, state);
	want_save = regs - one_reg + kvmreg_one_reg_calls(run.vcpu, one_reg);
	EXPECT(lib_save_ioctls == want_save,
	       "a repeated save issued %llu ioctls for %zu registers (%zu ONE_REG, %s): want %zu",
	       (unsigned long long)lib_save_ioctls, regs, one_reg,
	       kvmreg_one_reg_batch_on(run.vcpu) ? "batched" : "one by one",
	       want_save);
	printf("# %s, %d rounds, medians: %zu registers (library), %llu (the loop's list) + MP state\n",
	       kvmreg_arch_name(kvmreg_arch_host()), ROUNDS, regs,
	       (unsigned long long)p.list->n);
	printf("# save:    library %.0f us, %llu ioctls; ONE_REG loop %.0f us, %llu ioctls; ratio %.3f\n",
	       median(save_lib, ROUNDS) / 1000,
	       (unsigned long long)lib_save_ioctls,
	       median(save_peer, ROUNDS) / 1000,
	       (unsigned long long)peer_save_ioctls,
	       median(save_lib, ROUNDS) / median(save_peer, ROUNDS));
	printf("# restore into a new vCPU: library %.0f us, %llu ioctls; ONE_REG loop %.0f us, %llu ioctls (%zu writes refused in list order); ratio %.3f\n",
	       median(restore_lib, ROUNDS) / 1000,
	       (unsigned long long)lib_restore_ioctls,
	       median(restore_peer, ROUNDS) / 1000,
	       (unsigned long long)peer_restore_ioctls, peer_refused,
	       median(restore_lib, ROUNDS) / median(restore_peer, ROUNDS));
	peer_free(&p);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&run);
}

TEST_MAIN("onereg_peer",
	  CASE(library_saves_what_the_onereg_loop_reads),
	  CASE(compare_with_the_onereg_loop))
