// SPDX-License-Identifier: MIT
/*
 * Save + restore of 1, 16 and 256 vCPUs of one VM, serial and on two
 * threads, library against the same ioctls written by hand, in one run.
 *
 * The library side does what a VMM checkpointing a running VM does: it
 * enumerates each vCPU once (kvmreg_list_get), then per checkpoint reads
 * the list into a new state (kvmreg_read) and writes it back
 * (kvmreg_restore_fresh: dependency order, no rollback read; and
 * kvmreg_restore, whose rollback read doubles the ioctls, against a floor
 * that reads and writes). The floor issues one ioctl per struct group and
 * one KVM_GET/SET_MSRS for every MSR, as bench/bench.h spells out.
 *
 * Targets: library <= 1.05x floor, time linear in vCPUs, >= 1.7x speedup
 * from the second thread on two cores.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "bench.h"
#include "kvmreg.h"

#define MAX_VCPUS 256
#define ROUNDS 9

struct vcpu_slot {
	int fd;
	struct kvmreg_vcpu *vcpu;
	uint64_t *ids;
	size_t n;
	struct bench_floor floor;
	struct bench_floor_state *floor_state;
};

static struct vcpu_slot slots[MAX_VCPUS];
static int kvm_fd, vm_fd;

enum variant { LIB_FRESH, FLOOR_FRESH, LIB_ROLLBACK, FLOOR_ROLLBACK, VARIANTS };
static const char *const variant_names[VARIANTS] = {
	"library save+restore_fresh", "floor   save+restore",
	"library save+restore", "floor   save+read+restore",
};

struct job {
	enum variant variant;
	size_t first, end;
	uint64_t ioctls;
	int failed;
};

static int checkpoint(struct vcpu_slot *s, enum variant v, uint64_t *ioctls)
{
	struct kvmreg_state *state;
	uint64_t before;
	int err;

	switch (v) {
	case LIB_FRESH:
	case LIB_ROLLBACK:
		before = kvmreg_vcpu_ioctl_count(s->vcpu);
		state = kvmreg_state_new(kvmreg_arch_host());
		err = kvmreg_read(s->vcpu, s->ids, s->n, state, NULL);
		if (!err)
			err = v == LIB_FRESH ? kvmreg_restore_fresh(s->vcpu, state) :
					       kvmreg_restore(s->vcpu, state);
		kvmreg_state_free(state);
		*ioctls += kvmreg_vcpu_ioctl_count(s->vcpu) - before;
		return err;
	case FLOOR_FRESH:
		return bench_floor_save(s->fd, &s->floor, s->floor_state, ioctls) ||
		       bench_floor_restore(s->fd, &s->floor, s->floor_state,
					   NULL, ioctls);
	case FLOOR_ROLLBACK:
		/* the second read is the rollback read: it holds what it
		 * restores */
		return bench_floor_save(s->fd, &s->floor, s->floor_state, ioctls) ||
		       bench_floor_save(s->fd, &s->floor, s->floor_state, ioctls) ||
		       bench_floor_restore(s->fd, &s->floor, s->floor_state,
					   s->floor_state, ioctls);
	default:
		return -1;
	}
}

static void *run_job(void *arg)
{
	struct job *job = arg;

	for (size_t i = job->first; i < job->end; i++)
		if (checkpoint(&slots[i], job->variant, &job->ioctls))
			job->failed = 1;
	return NULL;
}

/* ns for one checkpoint of vcpus vCPUs on threads threads; ioctls out. */
static double measure(enum variant v, size_t vcpus, int threads,
		      uint64_t *ioctls)
{
	struct job jobs[2];
	pthread_t tid[2];
	uint64_t t = bench_now_ns();

	for (int k = 0; k < threads; k++) {
		jobs[k] = (struct job){ .variant = v,
					.first = vcpus * (size_t)k / (size_t)threads,
					.end = vcpus * (size_t)(k + 1) / (size_t)threads };
		if (k)
			pthread_create(&tid[k], NULL, run_job, &jobs[k]);
	}
	run_job(&jobs[0]);
	for (int k = 1; k < threads; k++)
		pthread_join(tid[k], NULL);
	*ioctls = 0;
	for (int k = 0; k < threads; k++) {
		if (jobs[k].failed) {
			fprintf(stderr, "save_restore: %s failed: %s\n",
				variant_names[v], kvmreg_error());
			exit(1);
		}
		*ioctls += jobs[k].ioctls;
	}
	return (double)(bench_now_ns() - t);
}

static int setup(void)
{
	struct kvmreg_scratch scratch;

	/* The scratch VM's setup (irqchip, CPUID) is what a VMM does; take
	 * its VM and add vCPUs set up the same way. */
	if (kvmreg_scratch_create(0, &scratch)) {
		fprintf(stderr, "save_restore: %s\n", kvmreg_error());
		return -1;
	}
	kvm_fd = scratch.kvm_fd;
	vm_fd = scratch.vm_fd;
	for (size_t i = 0; i < MAX_VCPUS; i++) {
		struct vcpu_slot *s = &slots[i];
		struct kvmreg_list *list;
		struct kvmreg_state *first = NULL;

		s->fd = i ? ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)i) :
			    scratch.vcpu_fd;
		if (s->fd < 0) {
			fprintf(stderr, "save_restore: KVM_CREATE_VCPU %zu: %s\n",
				i, strerror(errno));
			return -1;
		}
		if (!i)
			s->vcpu = scratch.vcpu;
		else if (kvmreg_vcpu_attach(kvm_fd, vm_fd, s->fd, &s->vcpu))
			return -1;
		/* vCPU 0 was set up by the scratch VM; give the others its
		 * CPUID (and everything else) the library's way. */
		if (i) {
			if (kvmreg_save(slots[0].vcpu, &first) ||
			    kvmreg_restore_fresh(s->vcpu, first)) {
				fprintf(stderr, "save_restore: vCPU %zu: %s\n", i,
					kvmreg_error());
				return -1;
			}
			kvmreg_state_free(first);
		}
		if (kvmreg_list_get(s->vcpu, 0, &list))
			return -1;
		s->n = list->count;
		s->ids = calloc(s->n + 1, sizeof(*s->ids));
		for (size_t k = 0; k < s->n; k++)
			s->ids[k] = list->regs[k].id;
		if (bench_floor_setup(&scratch, list, &s->floor))
			return -1;
		s->floor_state = bench_floor_state_new(&s->floor);
		kvmreg_list_free(list);
	}
	return 0;
}

int main(void)
{
	static const size_t counts[] = { 1, 16, 256 };
	double ns[VARIANTS][3][2];
	uint64_t ioctls[VARIANTS][3];
	int ok = 1;

	if (setup())
		return 1;
	printf("save + restore of N vCPUs (x%d rounds, median), %zu registers per vCPU\n",
	       ROUNDS, slots[0].n);
	for (size_t c = 0; c < 3; c++) {
		for (int threads = 1; threads <= 2; threads++) {
			double t[VARIANTS][ROUNDS];

			for (int r = 0; r < ROUNDS; r++)
				for (int v = 0; v < VARIANTS; v++)
					t[v][r] = measure(v, counts[c], threads,
							  &ioctls[v][c]);
			for (int v = 0; v < VARIANTS; v++)
				ns[v][c][threads - 1] = bench_median(t[v], ROUNDS);
		}
	}
	printf("  %-27s %5s %9s %12s %12s %9s %9s\n", "variant", "vCPUs", "ioctls",
	       "serial us", "2 threads", "speedup", "vs floor");
	for (int v = 0; v < VARIANTS; v++) {
		for (size_t c = 0; c < 3; c++) {
			int floor = v == LIB_FRESH ? FLOOR_FRESH :
				    v == LIB_ROLLBACK ? FLOOR_ROLLBACK : v;
			double ratio = ns[v][c][0] / ns[floor][c][0];

			printf("  %-27s %5zu %9" PRIu64 " %12.1f %12.1f %8.2fx %8.3fx\n",
			       variant_names[v], counts[c], ioctls[v][c],
			       ns[v][c][0] / 1000, ns[v][c][1] / 1000,
			       ns[v][c][0] / ns[v][c][1], ratio);
		}
	}
	for (int v = LIB_FRESH; v <= LIB_ROLLBACK; v += 2) {
		int floor = v + 1;
		double worst = 0, per1 = ns[v][0][0], per256 = ns[v][2][0] / 256;

		for (size_t c = 0; c < 3; c++) {
			double r = ns[v][c][0] / ns[floor][c][0];

			worst = r > worst ? r : worst;
			if (ioctls[v][c] != ioctls[floor][c])
				ok = 0;
		}
		printf("%s: worst library/floor %.3f (target <= 1.05), per-vCPU cost at 256 / at 1 = %.2f (linear: ~1), "
		       "2-thread speedup at 256 = %.2fx (target >= 1.7), same ioctls: %s\n",
		       variant_names[v], worst, per256 / per1, ns[v][2][0] / ns[v][2][1],
		       ok ? "yes" : "NO");
	}
	return 0;
}
