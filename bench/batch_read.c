// SPDX-License-Identifier: MIT
/*
 * Batch read of every register of a vCPU, three ways, side by side in one
 * run:
 *   library   kvmreg_read() of the whole list
 *   floor     the same ioctls written by hand, without the library
 *   one-by-one kvmreg_get() per register (what a ONE_REG loop costs)
 * Prints vCPU ioctls per read and the time ratios. The target is library
 * <= 1.05x floor with the same ioctl count.
 *
 * Rounds alternate the variants (ABCABC...) so drift in the machine hits
 * all of them alike; each variant's time is the median of its rounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvm.h>

#include "bench.h"
#include "kvmreg.h"

#define ROUNDS 31
#define READS_PER_ROUND 200

static struct kvmreg_scratch scratch;
static uint64_t *ids;
static size_t n_ids;

static int read_library(void)
{
	struct kvmreg_state *state = kvmreg_state_new(kvmreg_arch_host());
	int err = kvmreg_read(scratch.vcpu, ids, n_ids, state, NULL);

	kvmreg_state_free(state);
	return err;
}

static int read_one_by_one(void)
{
	uint8_t value[256];

	for (size_t i = 0; i < n_ids; i++)
		if (kvmreg_get(scratch.vcpu, ids[i], value))
			return -1;
	return 0;
}

static uint64_t floor_ioctls;
static struct bench_floor floor_plan;

int main(void)
{
	struct kvmreg_list *list;
	double lib_ns[ROUNDS], floor_ns[ROUNDS], single_ns[ROUNDS];
	uint64_t lib_ioctls, single_ioctls, before;

	if (kvmreg_scratch_create(0, &scratch)) {
		fprintf(stderr, "batch_read: %s\n", kvmreg_error());
		return 1;
	}
	if (kvmreg_list_get(scratch.vcpu, 0, &list)) {
		fprintf(stderr, "batch_read: %s\n", kvmreg_error());
		return 1;
	}
	n_ids = list->count;
	ids = calloc(n_ids + 1, sizeof(*ids));
	for (size_t i = 0; i < n_ids; i++)
		ids[i] = list->regs[i].id;
	if (bench_floor_setup(&scratch, list, &floor_plan)) {
		fprintf(stderr, "batch_read: cannot set up the hand-written floor\n");
		return 1;
	}

	before = kvmreg_vcpu_ioctl_count(scratch.vcpu);
	if (read_library()) {
		fprintf(stderr, "batch_read: %s\n", kvmreg_error());
		return 1;
	}
	lib_ioctls = kvmreg_vcpu_ioctl_count(scratch.vcpu) - before;
	floor_ioctls = 0;
	if (bench_floor_read_vcpu(scratch.vcpu_fd, &floor_plan, &floor_ioctls)) {
		fprintf(stderr, "batch_read: the hand-written floor failed\n");
		return 1;
	}
	before = kvmreg_vcpu_ioctl_count(scratch.vcpu);
	read_one_by_one();
	single_ioctls = kvmreg_vcpu_ioctl_count(scratch.vcpu) - before;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t dummy = 0, t;

		t = bench_now_ns();
		for (int k = 0; k < READS_PER_ROUND; k++)
			read_library();
		lib_ns[r] = (double)(bench_now_ns() - t) / READS_PER_ROUND;
		t = bench_now_ns();
		for (int k = 0; k < READS_PER_ROUND; k++)
			bench_floor_read_vcpu(scratch.vcpu_fd, &floor_plan, &dummy);
		floor_ns[r] = (double)(bench_now_ns() - t) / READS_PER_ROUND;
		t = bench_now_ns();
		for (int k = 0; k < READS_PER_ROUND / 10; k++)
			read_one_by_one();
		single_ns[r] = (double)(bench_now_ns() - t) / (READS_PER_ROUND / 10);
	}

	double lib = bench_median(lib_ns, ROUNDS), flo = bench_median(floor_ns, ROUNDS);
	double one = bench_median(single_ns, ROUNDS);

	printf("batch read of every register of a %s vCPU: %zu registers, %d rounds x %d reads\n",
	       kvmreg_arch_name(kvmreg_arch_host()), n_ids, ROUNDS, READS_PER_ROUND);
	printf("  %-12s %8s %12s %10s\n", "variant", "ioctls", "us/read", "vs floor");
	printf("  %-12s %8" PRIu64 " %12.2f %9.3fx\n", "floor", floor_ioctls, flo / 1000, 1.0);
	printf("  %-12s %8" PRIu64 " %12.2f %9.3fx\n", "library", lib_ioctls, lib / 1000, lib / flo);
	printf("  %-12s %8" PRIu64 " %12.2f %9.3fx\n", "one-by-one", single_ioctls, one / 1000, one / flo);
	printf("library/floor = %.3f (target <= 1.05), same ioctl count: %s; one-by-one/library = %.1fx\n",
	       lib / flo, lib_ioctls == floor_ioctls ? "yes" : "NO", one / lib);
	free(ids);
	bench_floor_free(&floor_plan);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
	return 0;
}
