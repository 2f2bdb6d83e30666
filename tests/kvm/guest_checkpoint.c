// SPDX-License-Identifier: MIT
/*
 * A real guest program, stopped, saved and resumed in a new VM at every
 * step: it must end with the same result as when it runs straight through.
 * The guest and its program are per arch (tests/lib/guest_<arch>.c); this
 * runs on arm64 and riscv64 (the nested stage) and SKIPs elsewhere.
 */
#include <inttypes.h>

#include "core/restore.h"
#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#if GUEST_SUPPORTED

#define STEPS 16

struct trace {
	uint64_t step[STEPS];
	size_t steps;
	uint64_t result;
	int done;
};

static uint64_t ror64(uint64_t x, unsigned int n)
{
	return (x >> n) | (x << (64 - n));
}

/* What the program computes, worked out here, so the test knows the guest
 * ran the instructions it was given and not merely something stable. */
static void expected_trace(struct trace *t)
{
	const uint64_t mul = 0x5851f42d4c957f2dull;
	uint64_t value = 1, lcg = 0x9e37, sum_value = 0, sum_lcg = 0;
	uint64_t check = 0;

	memset(t, 0, sizeof(*t));
	for (uint64_t left = STEPS; left; left--) {
		lcg = lcg * mul + mul;
		value = (value ^ ror64(lcg, 17)) + left;
		sum_value += value;
		sum_lcg += lcg;
		t->step[t->steps++] = value;
	}
	for (size_t i = 0; i < STEPS; i++)
		check = t->step[i] ^ ror64(check, 7);
#if defined(__aarch64__)
	/* v1 holds the sums of the values (lane 0) and of the LCG (lane 1). */
	t->result = (check ^ sum_value) + sum_lcg;
#else
	/* ft1 holds the sum STEPS + ... + 1, as a double. */
	(void)sum_value;
	(void)sum_lcg;
	t->result = check + (uint64_t)STEPS * (STEPS + 1) / 2;
#endif
	t->done = 1;
}

/* Run vm until the program reports its result (or `stop` steps more). */
static int run_steps(struct guest_vm *vm, struct trace *t, size_t stop,
		     char *why, size_t why_len)
{
	struct guest_mmio mmio;

	while (!t->done && stop--) {
		int err = guest_run(vm, &mmio, why, why_len);

		if (err)
			return err;
		if (mmio.addr == GUEST_MMIO_DONE) {
			t->result = mmio.data;
			t->done = 1;
		} else if (mmio.addr == GUEST_MMIO_STEP && t->steps < STEPS) {
			t->step[t->steps++] = mmio.data;
		} else {
			snprintf(why, why_len, "MMIO write to 0x%" PRIx64
				 " after %zu steps", mmio.addr, t->steps);
			return -EIO;
		}
	}
	return 0;
}

static int traces_equal(const struct trace *a, const struct trace *b)
{
	int equal = a->done == b->done && a->result == b->result &&
		    a->steps == b->steps;

	for (size_t i = 0; equal && i < a->steps; i++)
		equal = a->step[i] == b->step[i];
	if (!equal)
		printf("    trace: %zu steps, result 0x%016" PRIx64
		       " vs %zu steps, result 0x%016" PRIx64 "\n",
		       a->steps, a->result, b->steps, b->result);
	return equal;
}

static int start_program(struct guest_vm *vm, unsigned int flags, char *why,
			 size_t why_len)
{
	const char *what = "";
	int err = guest_vm_create(vm, flags, &what);

	if (err) {
		snprintf(why, why_len, "%s: %s", what, strerror(-err));
		return err;
	}
	err = guest_load_program(vm, STEPS);
	if (err)
		snprintf(why, why_len, "loading the program: %s",
			 kvmreg_error());
	return err;
}

TEST(program_computes_the_expected_result)
{
	struct guest_vm vm;
	struct trace want, got = { .steps = 0 };
	char why[256] = "";

	NEED_KVM();
	expected_trace(&want);
	REQUIRE(start_program(&vm, 0, why, sizeof(why)) == 0, "%s", why);
	EXPECT(run_steps(&vm, &got, STEPS + 1, why, sizeof(why)) == 0, "%s",
	       why);
	EXPECT(traces_equal(&want, &got), "the guest computed otherwise");
	guest_vm_destroy(&vm);
}

/*
 * One VM runs the program through and is snapshotted after every step;
 * each snapshot is then resumed in a VM of its own, which must finish the
 * program exactly as the straight run did. Its registers right after the
 * restore must also read back as saved.
 */
static void resume_at_every_step(unsigned int flags)
{
	struct guest_snapshot snaps[STEPS];
	struct guest_vm vm;
	struct trace want, straight = { .steps = 0 };
	size_t taken = 0;
	char why[256] = "";

	expected_trace(&want);
	REQUIRE(start_program(&vm, flags, why, sizeof(why)) == 0, "%s", why);
	while (taken < STEPS && !straight.done) {
		if (run_steps(&vm, &straight, 1, why, sizeof(why)) ||
		    guest_snapshot_take(&vm, &snaps[taken], why, sizeof(why)))
			break;
		taken++;
	}
	EXPECT(taken == STEPS, "snapshot %zu: %s", taken, why);
	EXPECT(run_steps(&vm, &straight, 2, why, sizeof(why)) == 0, "%s", why);
	EXPECT(traces_equal(&want, &straight), "the straight run differs");
	guest_vm_destroy(&vm);

	for (size_t k = 0; k < taken; k++) {
		struct trace resumed = want;
		struct kvmreg_state *after = NULL;
		struct guest_vm again;

		/* The resumed VM starts with the first k + 1 steps done. */
		resumed.steps = k + 1;
		resumed.done = 0;
		resumed.result = 0;
		if (guest_snapshot_resume(&snaps[k], flags, &again, why,
					  sizeof(why))) {
			EXPECT(0, "resuming at step %zu: %s", k + 1, why);
			continue;
		}
		EXPECT(kvmreg_save(again.vcpu, &after) == 0, "%s",
		       kvmreg_error());
		if (after)
			EXPECT(t_state_differences(snaps[k].regs, after, 0) == 0,
			       "step %zu: registers differ right after the restore",
			       k + 1);
		EXPECT(run_steps(&again, &resumed, STEPS + 1, why,
				 sizeof(why)) == 0,
		       "resumed at step %zu: %s", k + 1, why);
		EXPECT(traces_equal(&want, &resumed),
		       "resumed at step %zu: another result", k + 1);
		kvmreg_state_free(after);
		guest_vm_destroy(&again);
	}
	for (size_t k = 0; k < taken; k++)
		guest_snapshot_free(&snaps[k]);
}

TEST(resume_in_new_vm_at_every_step)
{
	NEED_KVM();
	resume_at_every_step(0);
}

/*
 * The same on an arm64 vCPU with SVE: the program's V registers then live
 * in the low 128 bits of the Z registers, which must carry them.
 */
TEST(resume_sve_vcpu_at_every_step)
{
#ifdef __aarch64__
	struct guest_vm probe;

	NEED_KVM();
	if (guest_vm_create(&probe, GUEST_ARM64_SVE, NULL))
		SKIP("this KVM offers no SVE");
	guest_vm_destroy(&probe);
	resume_at_every_step(GUEST_ARM64_SVE);
#else
	SKIP("arm64 only");
#endif
}

/*
 * Why a VMM completes the MMIO exit before saving: KVM advances the pc
 * past the store only on the next KVM_RUN, so a save taken straight after
 * the exit resumes by doing the store again.
 */
TEST(save_before_completing_mmio_repeats_the_store)
{
	struct guest_snapshot snap = { 0 };
	struct guest_vm vm, again;
	struct guest_mmio mmio, repeated;
	char why[256] = "";

	NEED_KVM();
	REQUIRE(start_program(&vm, 0, why, sizeof(why)) == 0, "%s", why);
	REQUIRE(guest_run(&vm, &mmio, why, sizeof(why)) == 0, "%s", why);
	REQUIRE(kvmreg_save(vm.vcpu, &snap.regs) == 0, "%s", kvmreg_error());
	snap.ram = malloc(GUEST_RAM_SIZE);
	REQUIRE(snap.ram != NULL, "out of memory");
	memcpy(snap.ram, vm.ram, GUEST_RAM_SIZE);
	guest_vm_destroy(&vm);
	REQUIRE(guest_snapshot_resume(&snap, 0, &again, why, sizeof(why)) == 0,
		"%s", why);
	EXPECT(guest_run(&again, &repeated, why, sizeof(why)) == 0, "%s", why);
	EXPECT(repeated.addr == mmio.addr && repeated.data == mmio.data,
	       "the first write after resuming was 0x%" PRIx64 " to 0x%" PRIx64
	       ", not the same store again (0x%" PRIx64 ")",
	       repeated.data, repeated.addr, mmio.data);
	guest_vm_destroy(&again);
	guest_snapshot_free(&snap);
}

/*
 * A restore that fails half way (an injected fault after real writes) into
 * a VM that is in the middle of the program leaves that VM as it was: the
 * program goes on from where it was and ends with the right result.
 */
TEST(failed_restore_mid_program_leaves_it_running)
{
	struct guest_snapshot early = { 0 }, before = { 0 };
	struct guest_vm vm;
	struct trace want, got = { .steps = 0 };
	struct kvmreg_state *after = NULL;
	char why[256] = "";
	size_t n;
	int err;

	NEED_KVM();
	expected_trace(&want);
	REQUIRE(start_program(&vm, 0, why, sizeof(why)) == 0, "%s", why);
	REQUIRE(run_steps(&vm, &got, 2, why, sizeof(why)) == 0, "%s", why);
	REQUIRE(guest_snapshot_take(&vm, &early, why, sizeof(why)) == 0, "%s",
		why);
	REQUIRE(run_steps(&vm, &got, 5, why, sizeof(why)) == 0, "%s", why);
	REQUIRE(guest_snapshot_take(&vm, &before, why, sizeof(why)) == 0,
		"%s", why);
	n = kvmreg_state_count(early.regs);
	kvmreg_restore_inject_fault(n / 2);
	err = kvmreg_restore(vm.vcpu, early.regs);
	kvmreg_restore_inject_fault(SIZE_MAX);
	EXPECT(err != 0, "the injected fault at %zu of %zu did not fail the restore",
	       n / 2, n);
	REQUIRE(kvmreg_save(vm.vcpu, &after) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(before.regs, after, 0) == 0,
	       "the failed restore changed the vCPU");
	EXPECT(run_steps(&vm, &got, STEPS + 1, why, sizeof(why)) == 0, "%s",
	       why);
	EXPECT(traces_equal(&want, &got), "the program went astray");
	kvmreg_state_free(after);
	guest_snapshot_free(&early);
	guest_snapshot_free(&before);
	guest_vm_destroy(&vm);
}

#else /* !GUEST_SUPPORTED */

#define NO_GUEST(name)							\
	TEST(name)							\
	{								\
		SKIP("the test guests exist for arm64 and riscv64 only"); \
	}
NO_GUEST(program_computes_the_expected_result)
NO_GUEST(resume_in_new_vm_at_every_step)
NO_GUEST(resume_sve_vcpu_at_every_step)
NO_GUEST(save_before_completing_mmio_repeats_the_store)
NO_GUEST(failed_restore_mid_program_leaves_it_running)

#endif

TEST_MAIN("guest_checkpoint",
	  CASE(program_computes_the_expected_result),
	  CASE(resume_in_new_vm_at_every_step),
	  CASE(resume_sve_vcpu_at_every_step),
	  CASE(save_before_completing_mmio_repeats_the_store),
	  CASE(failed_restore_mid_program_leaves_it_running))
