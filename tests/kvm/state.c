// SPDX-License-Identifier: MIT
/* Save and restore on real KVM: round trip into a fresh vCPU, dependency
 * order, all-or-nothing under injected faults. */
#include <inttypes.h>

#include "core/restore.h"
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

TEST_MAIN("state",
	  CASE(restore_into_fresh_vcpu_round_trips),
	  CASE(snapshot_bytes_restore_fresh),
	  CASE(restore_order_follows_ranks),
	  CASE(failed_restore_leaves_vcpu_as_it_was),
	  CASE(foreign_state_is_refused_untouched))
