// SPDX-License-Identifier: MIT
/* Save and restore on real KVM: round trip into a fresh vCPU, dependency
 * order, all-or-nothing under injected faults. */
#include <inttypes.h>

#include "core/restore.h"
#include "core/state.h"
#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

/* A saved state with a recognizable general-purpose register value. */
static struct kvmreg_state *save_marked(struct kvmreg_scratch *s, uint64_t mark)
{
	struct kvmreg_state *state = NULL;
	uint64_t id = t_gpr_id();

	if (kvmreg_scratch_create(0, s))
		return NULL;
	if (id && kvmreg_set(s->vcpu, id, &mark))
		return NULL;
	if (kvmreg_save(s->vcpu, &state))
		return NULL;
	return state;
}

TEST(restore_into_fresh_vcpu_round_trips)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved, *restored = NULL;

	NEED_KVM();
	saved = save_marked(&a, 0x5a5a5a5a12345678ULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore(b.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_count(saved) > 0, "nothing saved");
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored vCPU differs from the saved one");
	kvmreg_state_free(saved);
	kvmreg_state_free(restored);
	kvmreg_scratch_destroy(&a);
	kvmreg_scratch_destroy(&b);
}

/* Through the snapshot format and into a vCPU made for it, without the
 * rollback read: the same registers come back. */
TEST(snapshot_bytes_restore_fresh)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved, *decoded = NULL, *restored = NULL;
	uint64_t before;
	void *buf = NULL;
	size_t len = 0;

	NEED_KVM();
	saved = save_marked(&a, 0x0badc0ffee0ddf00ULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_encode(saved, &buf, &len) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_decode(buf, len, &decoded) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
	before = kvmreg_vcpu_ioctl_count(b.vcpu);
	EXPECT(kvmreg_restore_fresh(b.vcpu, decoded) == 0, "%s", kvmreg_error());
	printf("    %zu registers, %zu bytes, restored in %" PRIu64 " ioctls\n",
	       kvmreg_state_count(saved), len, kvmreg_vcpu_ioctl_count(b.vcpu) - before);
	REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored vCPU differs from the snapshot");
	free(buf);
	kvmreg_state_free(saved);
	kvmreg_state_free(decoded);
	kvmreg_state_free(restored);
	kvmreg_scratch_destroy(&a);
	kvmreg_scratch_destroy(&b);
}

TEST(restore_order_follows_ranks)
{
	struct kvmreg_scratch a;
	struct kvmreg_state *saved;
	uint64_t *ids;
	enum kvmreg_arch arch = kvmreg_arch_host();

	NEED_KVM();
	saved = save_marked(&a, 1);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	ids = calloc(kvmreg_state_count(saved) + 1, sizeof(*ids));
	REQUIRE(kvmreg_restore_order(saved, ids) == 0, "%s", kvmreg_error());
	for (size_t i = 1; i < kvmreg_state_count(saved); i++)
		EXPECT(kvmreg_id_restore_rank(arch, ids[i - 1]) <=
		       kvmreg_id_restore_rank(arch, ids[i]),
		       "position %zu breaks the rank order", i);
	free(ids);
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&a);
}

/*
 * Fail the restore at position k, after the real writes of k's rank: the
 * vCPU must read back exactly as it was before the call.
 */
TEST(failed_restore_leaves_vcpu_as_it_was)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved, *before = NULL, *after = NULL;
	size_t n, positions[5];

	NEED_KVM();
	saved = save_marked(&a, 0x1111222233334444ULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	n = kvmreg_state_count(saved);
	REQUIRE(n > 0, "nothing saved");
	positions[0] = 0;
	positions[1] = 1 % n;
	positions[2] = n / 3;
	positions[3] = n / 2;
	positions[4] = n - 1;
	for (size_t p = 0; p < 5; p++) {
		int err;

		REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
		REQUIRE(kvmreg_save(b.vcpu, &before) == 0, "%s", kvmreg_error());
		kvmreg_restore_inject_fault(positions[p]);
		err = kvmreg_restore(b.vcpu, saved);
		kvmreg_restore_inject_fault(SIZE_MAX);
		EXPECT(err == -EIO, "fault at %zu: restore returned %d", positions[p], err);
		EXPECT(strstr(kvmreg_error(), "put back") != NULL, "message: %s", kvmreg_error());
		REQUIRE(kvmreg_save(b.vcpu, &after) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(before, after, 0) == 0,
		       "fault at position %zu: the vCPU was not put back", positions[p]);
		kvmreg_state_free(before);
		kvmreg_state_free(after);
		before = after = NULL;
		kvmreg_scratch_destroy(&b);
	}
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&a);
}

TEST(foreign_state_is_refused_untouched)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *foreign;
	enum kvmreg_arch other = kvmreg_arch_host() == KVMREG_ARCH_ARM64 ?
				 KVMREG_ARCH_RISCV64 : KVMREG_ARCH_ARM64;
	uint64_t before;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	foreign = kvmreg_state_new(other);
	before = kvmreg_vcpu_ioctl_count(s.vcpu);
	EXPECT(kvmreg_restore(s.vcpu, foreign) == -EINVAL, "foreign state accepted");
	EXPECT(strstr(kvmreg_error(), kvmreg_arch_name(other)) != NULL,
	       "message: %s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) == before, "ioctls issued");
	kvmreg_state_free(foreign);
	kvmreg_scratch_destroy(&s);
}

/*
 * A state read by a plan shares the plan's entries and index: adding
 * registers to it and replacing values gives it copies of its own, which
 * then grow (run under ASan in the check builds).
 */
TEST(planned_state_grows_out_of_its_layout)
{
	struct kvmreg_scratch a;
	struct kvmreg_state *saved, *grown, *copy;
	size_t n, half;
	uint64_t *ids;

	NEED_KVM();
	saved = save_marked(&a, 0x7777888899990000ULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	n = kvmreg_state_count(saved);
	REQUIRE(n >= 8, "only %zu registers saved", n);
	half = n / 2;
	ids = calloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		kvmreg_state_at(saved, i, &ids[i], NULL);
	grown = kvmreg_state_new(kvmreg_state_arch(saved));
	REQUIRE(kvmreg_read(a.vcpu, ids, half, grown, NULL) == 0, "%s",
		kvmreg_error());
	/* the rest added, then every value replaced by the saved one */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = pass ? 0 : half; i < n; i++)
			REQUIRE(kvmreg_state_set(grown, ids[i],
						 kvmreg_state_get(saved, ids[i]),
						 kvmreg_id_size(ids[i])) == 0,
				"%s", kvmreg_error());
	EXPECT(kvmreg_state_count(grown) == n, "%zu registers, not %zu",
	       kvmreg_state_count(grown), n);
	EXPECT(t_state_differences(saved, grown, 1) == 0, "the grown state differs");
	copy = kvmreg_state_dup(grown);
	REQUIRE(copy != NULL, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, copy, 1) == 0, "its copy differs");
	kvmreg_state_free(copy);
	kvmreg_state_free(grown);
	kvmreg_state_free(saved);
	free(ids);
	kvmreg_scratch_destroy(&a);
}

/*
 * A restore finds the process's plan by a hash of some of the state's ids
 * and checks all of them as it takes the values: a state whose ids differ
 * from a known plan's only where the hash does not look (two neighbours
 * swapped: ids_hash() samples every n/32nd) must still be restored by
 * its own plan, each value into its own register.
 */
TEST(restore_of_a_list_with_a_known_hash_uses_its_own_plan)
{
	struct kvmreg_scratch a, b, c;
	struct kvmreg_state *saved, *swapped, *restored = NULL;
	size_t n;

	NEED_KVM();
	saved = save_marked(&a, 0x2468ace013579bdfULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	n = kvmreg_state_count(saved);
	REQUIRE(n >= 96, "only %zu registers: every id is hashed", n);
	swapped = kvmreg_state_new(kvmreg_state_arch(saved));
	for (size_t i = 0; i < n; i++) {
		size_t from = i == 1 ? 2 : i == 2 ? 1 : i;
		const void *v;
		uint64_t id;

		kvmreg_state_at(saved, from, &id, &v);
		REQUIRE(kvmreg_state_set(swapped, id, v, kvmreg_id_size(id)) == 0,
			"%s", kvmreg_error());
	}
	/* the plan of saved's ids, known to the process */
	REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_restore(b.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &c) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_restore(c.vcpu, swapped) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(c.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored vCPU differs from the saved one");
	/* and the handle's own plan again, for the other list */
	REQUIRE(kvmreg_restore(c.vcpu, saved) == 0, "%s", kvmreg_error());
	kvmreg_state_free(restored);
	restored = NULL;
	REQUIRE(kvmreg_save(c.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the vCPU restored again differs from the saved one");
	kvmreg_state_free(restored);
	kvmreg_state_free(swapped);
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&a);
	kvmreg_scratch_destroy(&b);
	kvmreg_scratch_destroy(&c);
}

/*
 * Every state a save makes lends the entries and index of its plan's
 * layout (state.h), so a checkpoint copies only values: a change to one
 * state (a value, a register added) gives it tables of its own and leaves
 * the others, and the plan's layout, as they were.
 */
TEST(saved_states_share_a_layout_until_one_changes)
{
	struct kvmreg_scratch a;
	struct kvmreg_state *one, *two = NULL, *three = NULL;
	uint64_t gpr = t_gpr_id(), other = 0x1122334455667788ULL;
	const uint64_t mark = 0x3141592653589793ULL;
	size_t n;

	NEED_KVM();
	one = save_marked(&a, mark);
	REQUIRE(one != NULL, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &two) == 0, "%s", kvmreg_error());
	n = kvmreg_state_count(one);
	EXPECT(one->shared && one->shared == two->shared &&
	       one->entries == two->entries, "two saves of a list share no layout");
	REQUIRE(kvmreg_state_set(one, gpr, &other, sizeof(other)) == 0, "%s",
		kvmreg_error());
	EXPECT(!one->shared && one->entries != two->entries,
	       "a changed state still shares the layout");
	EXPECT(!memcmp(kvmreg_state_get(one, gpr), &other, sizeof(other)) &&
	       !memcmp(kvmreg_state_get(two, gpr), &mark, sizeof(mark)),
	       "a value changed in one state changed the other");
	/* the second changed too: a third save has the vCPU's values (a
	 * register added to such a state: planned_state_grows_out_of_its_layout) */
	REQUIRE(kvmreg_state_set(two, gpr, &other, sizeof(other)) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &three) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_count(two) == n && kvmreg_state_count(three) == n,
	       "%zu and %zu registers, not %zu", kvmreg_state_count(two),
	       kvmreg_state_count(three), n);
	EXPECT(three->shared && !memcmp(kvmreg_state_get(three, gpr), &mark,
					sizeof(mark)),
	       "the third save saw the states' changes");
	EXPECT(t_state_differences(one, two, 0) == 0,
	       "two states given the same values differ");
	kvmreg_state_free(one);
	kvmreg_state_free(two);
	kvmreg_state_free(three);
	kvmreg_scratch_destroy(&a);
}

/*
 * A save reads each ioctl's struct straight into the state where the
 * driver lays its values out in it (x86: kvm_regs, the XSAVE area, the
 * LAPIC page, a kvm_msrs of the MSRs, the kvm_xcrs), and a restore into a new
 * vCPU writes the state's structs as they are once the process knows the
 * state's layout: the values are every register's own, as one register
 * at a time reads them, and come back whole into vCPU after vCPU. A state
 * whose value was changed is restored the usual way, with the change.
 */
TEST(restore_fresh_writes_a_saved_states_structs)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved, *restored = NULL;
	uint64_t gpr = t_gpr_id(), other = 0x0123456789abcdefULL;
	size_t n, got_one = 0, images = 0;

	NEED_KVM();
	saved = save_marked(&a, 0x55aa55aa00ff00ffULL);
	REQUIRE(saved != NULL, "%s", kvmreg_error());
	n = kvmreg_state_count(saved);
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		const void *v;
		uint8_t one[4096];

		kvmreg_state_at(saved, i, &id, &v);
		if (kvmreg_id_is_volatile(kvmreg_arch_host(), id) ||
		    kvmreg_id_size(id) > sizeof(one) ||
		    kvmreg_get(a.vcpu, id, one))
			continue;
		got_one++;
		EXPECT(!memcmp(one, v, kvmreg_id_size(id)),
		       "register 0x%016" PRIx64 " saved otherwise than it reads", id);
	}
	EXPECT(got_one > n / 2, "only %zu of %zu registers read alone", got_one, n);
	for (int round = 0; round < 3; round++) {
		size_t before = kvmreg_restore_image_batches();

		if (round == 2)
			REQUIRE(kvmreg_state_set(saved, gpr, &other, sizeof(other)) == 0,
				"%s", kvmreg_error());
		REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
		REQUIRE(kvmreg_restore_fresh(b.vcpu, saved) == 0, "%s",
			kvmreg_error());
		REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(saved, restored, 0) == 0,
		       "round %d: the restored vCPU differs from the saved one", round);
		if (round == 1)
			images = kvmreg_restore_image_batches() - before;
		if (round == 2)
			EXPECT(kvmreg_restore_image_batches() == before,
			       "a changed state was written from its structs");
		kvmreg_state_free(restored);
		restored = NULL;
		kvmreg_scratch_destroy(&b);
	}
#if defined(__x86_64__)
	/* regs, XSAVE, XCRs, debug registers, LAPIC, MSRs, MP state, events
	 * (not sregs: a segment's value is wider than its kvm_segment) */
	EXPECT(images >= 8, "%zu structs written as saved", images);
#else
	EXPECT(images == 0, "%zu structs on an arch without them", images);
#endif
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&a);
}

TEST_MAIN("state",
	  CASE(restore_into_fresh_vcpu_round_trips),
	  CASE(snapshot_bytes_restore_fresh),
	  CASE(restore_order_follows_ranks),
	  CASE(failed_restore_leaves_vcpu_as_it_was),
	  CASE(foreign_state_is_refused_untouched),
	  CASE(planned_state_grows_out_of_its_layout),
	  CASE(restore_of_a_list_with_a_known_hash_uses_its_own_plan),
	  CASE(saved_states_share_a_layout_until_one_changes),
	  CASE(restore_fresh_writes_a_saved_states_structs))
