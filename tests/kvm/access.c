// SPDX-License-Identifier: MIT
/* Single and batched access on real KVM. */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

struct fixture {
	struct kvmreg_scratch scratch;
	struct kvmreg_list *list;
	uint64_t *ids;
};

static int fixture_open(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	if (kvmreg_scratch_create(0, &f->scratch) ||
	    kvmreg_list_get(f->scratch.vcpu, 0, &f->list))
		return -1;
	f->ids = calloc(f->list->count + 1, sizeof(*f->ids));
	for (size_t i = 0; i < f->list->count; i++)
		f->ids[i] = f->list->regs[i].id;
	return 0;
}

static void fixture_close(struct fixture *f)
{
	free(f->ids);
	kvmreg_list_free(f->list);
	kvmreg_scratch_destroy(&f->scratch);
}

TEST(batch_equals_single_and_costs_less)
{
	struct fixture f;
	struct kvmreg_state *batch;
	uint64_t before, batch_ioctls, single_ioctls;
	uint8_t value[256];

	NEED_KVM();
	REQUIRE(fixture_open(&f) == 0, "%s", kvmreg_error());
	batch = kvmreg_state_new(kvmreg_arch_host());
	before = kvmreg_vcpu_ioctl_count(f.scratch.vcpu);
	REQUIRE(kvmreg_read(f.scratch.vcpu, f.ids, f.list->count, batch, NULL) == 0,
		"%s", kvmreg_error());
	batch_ioctls = kvmreg_vcpu_ioctl_count(f.scratch.vcpu) - before;
	before = kvmreg_vcpu_ioctl_count(f.scratch.vcpu);
	for (size_t i = 0; i < f.list->count; i++) {
		uint64_t id = f.ids[i];

		REQUIRE(kvmreg_get(f.scratch.vcpu, id, value) == 0, "%s", kvmreg_error());
		if (kvmreg_id_is_volatile(kvmreg_arch_host(), id))
			continue;
		EXPECT(!memcmp(value, kvmreg_state_get(batch, id), kvmreg_id_size(id)),
		       "0x%016" PRIx64 ": single read differs from batch read", id);
	}
	single_ioctls = kvmreg_vcpu_ioctl_count(f.scratch.vcpu) - before;
	printf("    %zu registers: batch %" PRIu64 " ioctls, one by one %" PRIu64 "\n",
	       f.list->count, batch_ioctls, single_ioctls);
	EXPECT(batch_ioctls <= single_ioctls, "batching cost more ioctls");
	EXPECT(single_ioctls >= f.list->count, "fewer ioctls than registers one by one");
	kvmreg_state_free(batch);
	fixture_close(&f);
}

/*
 * A list with an id twice has no state layout of its own (its plan makes
 * none): the read still fills a state, each register once, with the
 * value a read of it alone gives.
 */
TEST(batch_of_a_list_with_an_id_twice_reads_each_once)
{
	struct fixture f;
	struct kvmreg_state *state;
	uint64_t ids[8];
	uint8_t value[256];
	size_t n = 0;

	NEED_KVM();
	REQUIRE(fixture_open(&f) == 0, "%s", kvmreg_error());
	REQUIRE(f.list->count >= 6, "only %zu registers", f.list->count);
	for (size_t i = 0; i < 6; i++)
		ids[n++] = f.ids[i * (f.list->count - 1) / 5];
	ids[n++] = ids[1];
	ids[n++] = ids[4];
	state = kvmreg_state_new(kvmreg_arch_host());
	REQUIRE(kvmreg_read(f.scratch.vcpu, ids, n, state, NULL) == 0, "%s",
		kvmreg_error());
	EXPECT(kvmreg_state_count(state) == 6, "%zu entries for 6 registers",
	       kvmreg_state_count(state));
	for (size_t i = 0; i < 6; i++) {
		REQUIRE(kvmreg_get(f.scratch.vcpu, ids[i], value) == 0, "%s",
			kvmreg_error());
		if (!kvmreg_id_is_volatile(kvmreg_arch_host(), ids[i]))
			EXPECT(kvmreg_state_get(state, ids[i]) &&
			       !memcmp(value, kvmreg_state_get(state, ids[i]),
				       kvmreg_id_size(ids[i])),
			       "0x%016" PRIx64 " differs", ids[i]);
	}
	kvmreg_state_free(state);
	fixture_close(&f);
}

TEST(writing_back_every_value_succeeds)
{
	struct fixture f;
	struct kvmreg_state *saved, *again;
	int *errs;

	NEED_KVM();
	REQUIRE(fixture_open(&f) == 0, "%s", kvmreg_error());
	saved = kvmreg_state_new(kvmreg_arch_host());
	again = kvmreg_state_new(kvmreg_arch_host());
	errs = calloc(f.list->count + 1, sizeof(*errs));
	REQUIRE(kvmreg_read(f.scratch.vcpu, f.ids, f.list->count, saved, NULL) == 0,
		"%s", kvmreg_error());
	EXPECT(kvmreg_write(f.scratch.vcpu, saved, errs) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_read(f.scratch.vcpu, f.ids, f.list->count, again, NULL) == 0,
		"%s", kvmreg_error());
	EXPECT(t_state_differences(saved, again, 0) == 0, "values changed by writing them back");
	free(errs);
	kvmreg_state_free(saved);
	kvmreg_state_free(again);
	fixture_close(&f);
}

TEST(general_register_takes_a_new_value)
{
	struct kvmreg_scratch s;
	uint64_t id = t_gpr_id(), value = 0x0123456789abcdefULL, back = 0;

	NEED_KVM();
	REQUIRE(id != 0, "no general-purpose register name parses on this arch");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_set(s.vcpu, id, &value) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_get(s.vcpu, id, &back) == 0, "%s", kvmreg_error());
	EXPECT(back == value, "read back 0x%" PRIx64, back);
	kvmreg_scratch_destroy(&s);
}

TEST(errors_name_the_register)
{
	struct kvmreg_scratch s;
	uint8_t value[256] = { 0 };
	uint64_t foreign = kvmreg_arch_host() == KVMREG_ARCH_ARM64 ?
			   0x8030000002000000ULL : 0x6030000000100000ULL;
	uint64_t before;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	before = kvmreg_vcpu_ioctl_count(s.vcpu);
	EXPECT(kvmreg_get(s.vcpu, foreign, value) == -EINVAL, "foreign id accepted");
	EXPECT(strstr(kvmreg_error(), "does not belong to") != NULL, "message: %s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) == before, "a foreign id reached the kernel");
	kvmreg_scratch_destroy(&s);
}

/*
 * A write of fewer registers than the library keeps a plan for makes and
 * frees a plan per call: each register tried, each with its own errno,
 * the one the kernel refuses reported alone. Repeated so that a plan freed
 * wrongly (a batch's memo never set, freed anyway: arm64 segfaulted,
 * riscv64 aborted in free()) reuses the heap and crashes here.
 */
TEST(short_write_reports_the_refused_register_alone)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state;
	uint64_t ids[3], vals[3], got;
	int errs[3], refused = t_short_write(ids, vals);
	int want = refused ? -EINVAL : 0;

	NEED_KVM();
	REQUIRE(refused >= 0, "the x86 general-purpose register names do not parse");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	state = kvmreg_state_new(kvmreg_arch_host());
	REQUIRE(state != NULL, "out of memory");
	for (int round = 0; round < 64; round++) {
		vals[0] += round;
		vals[2] -= round;
		for (int i = 0; i < 3; i++)
			REQUIRE(kvmreg_state_set(state, ids[i], &vals[i], 8) == 0,
				"%s", kvmreg_error());
		EXPECT(kvmreg_write(s.vcpu, state, errs) == want,
		       "round %d: %s", round, kvmreg_error());
		if (refused)
			EXPECT(strstr(kvmreg_error(), "writing") != NULL,
			       "round %d: the error says nothing of the write: %s",
			       round, kvmreg_error());
		EXPECT(errs[0] == 0 && errs[1] == want && errs[2] == 0,
		       "round %d: errs %d %d %d (want 0 %d 0)", round, errs[0],
		       errs[1], errs[2], want);
		for (int i = 0; i < 3; i += 2) {
			REQUIRE(kvmreg_get(s.vcpu, ids[i], &got) == 0, "%s",
				kvmreg_error());
			EXPECT(got == vals[i], "round %d: register %d reads 0x%" PRIx64,
			       round, i, got);
		}
	}
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

TEST_MAIN("access",
	  CASE(batch_equals_single_and_costs_less),
	  CASE(batch_of_a_list_with_an_id_twice_reads_each_once),
	  CASE(writing_back_every_value_succeeds),
	  CASE(general_register_takes_a_new_value),
	  CASE(errors_name_the_register),
	  CASE(short_write_reports_the_refused_register_alone))
