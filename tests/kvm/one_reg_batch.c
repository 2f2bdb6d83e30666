// SPDX-License-Identifier: MIT
/*
 * The batch ONE_REG path (src/core/one_reg_batch.c) against one ioctl per
 * register, on one vCPU handle switched between the two: save, restore,
 * a write the kernel refuses in the middle of a batch, and the rollback of
 * a failed restore give the same results both ways, and with the batch a
 * save's ONE_REG registers cost one ioctl per KVM_CAP_ONE_REG_BATCH entries
 * (the driver's own registers, MP state and vCPU events, keep theirs). On a kernel without
 * KVM_CAP_ONE_REG_BATCH (this x86 host, the stock nested kernels) both ways
 * are the per-register path, which these cases then check against itself;
 * on the batch kernels of kernel/batch/ it prints the nested stage's
 * "batch:" line with the counts and the time ratio (times are emulated
 * under TCG; the counts are the portable figure).
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include "arch/common/kvm_common.h"
#include "core/one_reg_batch.h"
#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

/*
 * What a save of state costs with the batch (vcpu batching), given what the
 * same save costs one register at a time: the ONE_REG registers' ioctls
 * become the batch calls; the driver's own registers (MP state, vCPU
 * events, the vGIC's) and the register list keep theirs.
 */
static uint64_t batched_save(const struct kvmreg_vcpu *vcpu,
			     const struct kvmreg_state *state, uint64_t single)
{
	size_t one_reg = kvmreg_one_reg_count(vcpu, state);

	return single - one_reg + kvmreg_one_reg_calls(vcpu, one_reg);
}

/*
 * The most a restore may cost with the batch, given the same restore one
 * register at a time: each way (the rollback read, the write) the driver's
 * own registers sit between ONE_REG ranks in the restore order and cut
 * the batch into at most own + 1 runs.
 */
static uint64_t batched_restore_most(const struct kvmreg_vcpu *vcpu,
				     const struct kvmreg_state *state,
				     uint64_t single)
{
	size_t one_reg = kvmreg_one_reg_count(vcpu, state);
	size_t own = kvmreg_state_count(state) - one_reg;

	return single - 2 * one_reg +
	       2 * (own + kvmreg_one_reg_calls(vcpu, one_reg));
}

static int kernel_has_batch(const struct kvmreg_scratch *s)
{
	return ioctl(s->vm_fd, _IO(KVMREG_KVMIO, KVMREG_CHECK_EXTENSION_NR),
		     KVMREG_CAP_ONE_REG_BATCH) > 0;
}

static uint64_t ioctls_of(struct kvmreg_vcpu *vcpu, uint64_t since)
{
	return kvmreg_vcpu_ioctl_count(vcpu) - since;
}

TEST(handle_batches_when_the_kernel_can)
{
	struct kvmreg_scratch s;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_one_reg_batch_use(s.vcpu, 1) == kernel_has_batch(&s),
	       "the handle %s the batch, the kernel %s KVM_CAP_ONE_REG_BATCH",
	       kvmreg_one_reg_batch_use(s.vcpu, 1) ? "uses" : "does not use",
	       kernel_has_batch(&s) ? "has" : "lacks");
	EXPECT(kvmreg_one_reg_batch_use(s.vcpu, 0) == 0, "cannot turn it off");
	printf("    # KVM_CAP_ONE_REG_BATCH: %s\n",
	       kernel_has_batch(&s) ? "yes" : "no (per-register path only)");
	kvmreg_scratch_destroy(&s);
}

/* Save with the batch and without: the same registers and values. */
TEST(save_same_both_ways)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *batched = NULL, *single = NULL;
	uint64_t mark = 0x0123456789abcdefULL, id = t_gpr_id(), start;
	uint64_t single_ioctls;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(id && kvmreg_set(s.vcpu, id, &mark) == 0, "%s", kvmreg_error());
	/* A first save reads the register list: the ones compared repeat. */
	REQUIRE(kvmreg_save(s.vcpu, &single) == 0, "%s", kvmreg_error());
	kvmreg_state_free(single);
	single = NULL;
	kvmreg_one_reg_batch_use(s.vcpu, 0);
	start = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &single) == 0, "%s", kvmreg_error());
	single_ioctls = ioctls_of(s.vcpu, start);
	kvmreg_one_reg_batch_use(s.vcpu, 1);
	start = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &batched) == 0, "%s", kvmreg_error());
	EXPECT(ioctls_of(s.vcpu, start) ==
	       batched_save(s.vcpu, batched, single_ioctls),
	       "a save of %zu registers took %" PRIu64 " ioctls (want %" PRIu64 ")",
	       kvmreg_state_count(batched), ioctls_of(s.vcpu, start),
	       batched_save(s.vcpu, batched, single_ioctls));
	EXPECT(kvmreg_state_count(batched) == kvmreg_state_count(single),
	       "%zu registers batched, %zu one by one",
	       kvmreg_state_count(batched), kvmreg_state_count(single));
	EXPECT(t_state_differences(batched, single, 0) == 0,
	       "the batched save differs from the per-register one");
	kvmreg_state_free(batched);
	kvmreg_state_free(single);
	kvmreg_scratch_destroy(&s);
}

/* Restore a saved state into fresh vCPUs, each way: both read back as saved. */
TEST(restore_same_both_ways)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved = NULL, *back = NULL;
	uint64_t mark = 0x5a5a00005a5a0000ULL, id = t_gpr_id(), start;
	uint64_t cost[2], most = 0;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(id && kvmreg_set(a.vcpu, id, &mark) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	for (int on = 1; on >= 0; on--) {
		REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
		kvmreg_one_reg_batch_use(b.vcpu, on);
		start = kvmreg_vcpu_ioctl_count(b.vcpu);
		EXPECT(kvmreg_restore(b.vcpu, saved) == 0, "%s", kvmreg_error());
		cost[on] = ioctls_of(b.vcpu, start);
		if (on)
			most = batched_restore_most(b.vcpu, saved, 0);
		REQUIRE(kvmreg_save(b.vcpu, &back) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(saved, back, 0) == 0,
		       "restored %s the batch, the vCPU differs from the state",
		       on ? "with" : "without");
		kvmreg_state_free(back);
		back = NULL;
		kvmreg_scratch_destroy(&b);
	}
	/* most was worked out from 0: unsigned arithmetic wraps back. */
	EXPECT(cost[1] <= cost[0] + most,
	       "a restore of %zu registers took %" PRIu64 " ioctls with the batch, %" PRIu64
	       " one by one (most %" PRIu64 ")", kvmreg_state_count(saved),
	       cost[1], cost[0], cost[0] + most);
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&a);
}

/* t_short_write() (testutil.h): a register the kernel refuses between two
 * it takes; 0 where there is none. */
static int refused_write(uint64_t ids[3], uint64_t vals[3])
{
	return t_short_write(ids, vals) == 1;
}

/* Every register is tried either way; each gets its own errno. */
TEST(refused_write_reported_alone_both_ways)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state;
	uint64_t ids[3], vals[3], got[3];
	int errs[3];

	NEED_KVM();
	if (!refused_write(ids, vals))
		SKIP("no plain ONE_REG register to refuse on this arch");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	state = kvmreg_state_new(kvmreg_vcpu_arch(s.vcpu));
	REQUIRE(state != NULL, "out of memory");
	for (int i = 0; i < 3; i++)
		REQUIRE(kvmreg_state_set(state, ids[i], &vals[i], 8) == 0, "%s",
			kvmreg_error());
	for (int on = 1; on >= 0; on--) {
		kvmreg_one_reg_batch_use(s.vcpu, on);
		vals[0] ^= 0xff;
		vals[2] ^= 0xff;
		kvmreg_state_set(state, ids[0], &vals[0], 8);
		kvmreg_state_set(state, ids[2], &vals[2], 8);
		EXPECT(kvmreg_write(s.vcpu, state, errs) == -EINVAL, "%s",
		       kvmreg_error());
		EXPECT(errs[0] == 0 && errs[1] == -EINVAL && errs[2] == 0,
		       "%s the batch: errs %d %d %d (want 0 %d 0)",
		       on ? "with" : "without", errs[0], errs[1], errs[2], -EINVAL);
		for (int i = 0; i < 3; i += 2) {
			REQUIRE(kvmreg_get(s.vcpu, ids[i], &got[i]) == 0, "%s",
				kvmreg_error());
			EXPECT(got[i] == vals[i],
			       "%s the batch, register %d after the refused one reads 0x%" PRIx64,
			       on ? "with" : "without", i, got[i]);
		}
	}
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* A restore with the refused register fails and leaves the vCPU as it was. */
TEST(failed_restore_rolled_back_both_ways)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *before = NULL, *after = NULL, *bad;
	uint64_t ids[3], vals[3];

	NEED_KVM();
	if (!refused_write(ids, vals))
		SKIP("no plain ONE_REG register to refuse on this arch");
	for (int on = 1; on >= 0; on--) {
		REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
		kvmreg_one_reg_batch_use(s.vcpu, on);
		REQUIRE(kvmreg_save(s.vcpu, &before) == 0, "%s", kvmreg_error());
		bad = kvmreg_state_dup(before);
		REQUIRE(bad != NULL, "out of memory");
		for (int i = 0; i < 3; i++)
			kvmreg_state_set(bad, ids[i], &vals[i], 8);
		EXPECT(kvmreg_restore(s.vcpu, bad) != 0,
		       "a state with a refused register restored");
		REQUIRE(kvmreg_save(s.vcpu, &after) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(before, after, 0) == 0,
		       "%s the batch, the failed restore left changes",
		       on ? "with" : "without");
		kvmreg_state_free(before);
		kvmreg_state_free(after);
		kvmreg_state_free(bad);
		kvmreg_scratch_destroy(&s);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct cost {
	/* ioctls of the last round: a repeated save on one handle, a restore
	 * into a new vCPU (a snapshot restore), the first save of a new
	 * handle (it lists the registers), a restore over the live vCPU with
	 * its rollback read */
	uint64_t save, fresh, first_save, live;
	double seconds;		/* saves and fresh restores, all rounds */
};

/*
 * rounds x (save on vcpu; restore of that state into a new vCPU, then a
 * save there, the new handle's first; a restore of it over vcpu). Only the
 * save on vcpu and the restore into the new vCPU are timed: they are what
 * a checkpoint and a snapshot restore cost.
 */
static int measure(struct kvmreg_vcpu *vcpu, int batch, int rounds,
		   struct cost *c)
{
	for (int r = 0; r < rounds; r++) {
		struct kvmreg_state *state = NULL, *copy = NULL;
		struct kvmreg_scratch fresh;
		uint64_t start;
		double t;
		int err = kvmreg_scratch_create(0, &fresh);

		if (err)
			return err;
		kvmreg_one_reg_batch_use(fresh.vcpu, batch);
		start = kvmreg_vcpu_ioctl_count(vcpu);
		t = now_s();
		err = kvmreg_save(vcpu, &state);
		c->seconds += now_s() - t;
		c->save = ioctls_of(vcpu, start);
		if (!err) {
			start = kvmreg_vcpu_ioctl_count(fresh.vcpu);
			t = now_s();
			err = kvmreg_restore_fresh(fresh.vcpu, state);
			c->seconds += now_s() - t;
			c->fresh = ioctls_of(fresh.vcpu, start);
		}
		if (!err) {
			start = kvmreg_vcpu_ioctl_count(fresh.vcpu);
			err = kvmreg_save(fresh.vcpu, &copy);
			c->first_save = ioctls_of(fresh.vcpu, start);
		}
		if (!err) {
			start = kvmreg_vcpu_ioctl_count(vcpu);
			err = kvmreg_restore(vcpu, copy);
			c->live = ioctls_of(vcpu, start);
		}
		kvmreg_state_free(state);
		kvmreg_state_free(copy);
		kvmreg_scratch_destroy(&fresh);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The nested stage's figure, side by side on one vCPU: rounds alternate
 * between the two ways so that neither gets a warmer cache. With the batch
 * the ONE_REG registers of a save are its batch calls, and the restore
 * order keeps them one run (the driver ranks its own registers after
 * them), so a restore into a new vCPU writes them in the same calls: both
 * cost calls + one ioctl for each of the driver's own registers.
 */
TEST(measure_save_restore)
{
	struct kvmreg_scratch s;
	struct cost batched = { 0 }, single = { 0 };
	struct kvmreg_state *state = NULL;
	size_t one_reg, own, calls;
	/* The nested guest's /init names its boot (tests/nested/init.c). */
	const char *boot = getenv("KVMREG_BOOT");

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	if (!kernel_has_batch(&s)) {
		kvmreg_scratch_destroy(&s);
		SKIP("the kernel has no KVM_CAP_ONE_REG_BATCH");
	}
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	for (int r = 0; r < 5; r++) {
		kvmreg_one_reg_batch_use(s.vcpu, 1);
		REQUIRE(measure(s.vcpu, 1, 2, &batched) == 0, "%s", kvmreg_error());
		kvmreg_one_reg_batch_use(s.vcpu, 0);
		REQUIRE(measure(s.vcpu, 0, 2, &single) == 0, "%s", kvmreg_error());
	}
	kvmreg_one_reg_batch_use(s.vcpu, 1);
	one_reg = kvmreg_one_reg_count(s.vcpu, state);
	own = kvmreg_state_count(state) - one_reg;
	calls = kvmreg_one_reg_calls(s.vcpu, one_reg);
	EXPECT(batched.save == calls + own && batched.fresh == calls + own,
	       "save %" PRIu64 ", restore into a new vCPU %" PRIu64 " ioctls (want %zu each: %zu ONE_REG registers in %zu calls, %zu of the driver's own)",
	       batched.save, batched.fresh, calls + own, one_reg, calls, own);
	EXPECT(single.save == one_reg + own,
	       "one register at a time: save %" PRIu64 " ioctls (want %zu)",
	       single.save, one_reg + own);
	EXPECT(batched.first_save == batched.save + 1,
	       "a new handle's first save took %" PRIu64 " ioctls, a repeated save %" PRIu64
	       ": listing should cost one KVM_GET_REG_LIST",
	       batched.first_save, batched.save);
	printf("batch: %s save %zu registers in %" PRIu64 " ioctls (per register: %" PRIu64
	       "), restore in %" PRIu64 " ioctls (per register: %" PRIu64 "), time ratio %.1f\n",
	       boot ? boot : "host", kvmreg_state_count(state), batched.save, single.save,
	       batched.fresh, single.fresh,
	       batched.seconds > 0 ? single.seconds / batched.seconds : 0.0);
	printf("    # save: a checkpoint on a handle that has saved before; restore: into a new vCPU (a snapshot restore). %zu ONE_REG registers in %zu batch ioctl(s) + %zu of the driver's own registers (MP state; arm64: vCPU events) in an ioctl each\n",
	       one_reg, calls, own);
	printf("    # a new handle's first save lists the registers: %" PRIu64 " ioctls (per register: %" PRIu64
	       "); a restore over the live vCPU reads every register first to roll back on failure: %" PRIu64
	       " ioctls (per register: %" PRIu64 ")\n",
	       batched.first_save, single.first_save, batched.live, single.live);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* Where the nested stage's batch boots put the series' own selftest. */
#define KERNEL_SELFTEST "/selftests/one_reg_batch_test"

/* The kernel's one_reg_batch_test (kernel/batch/patches/0005), its TAP
 * lines shown as detail lines: every "ok", no "not ok", a clean exit. The
 * guests have no shell, so no popen(). */
TEST(kernel_selftest)
{
	char line[512];
	int ok = 0, not_ok = 0, status = 0, fds[2];
	FILE *out;
	pid_t pid;

	NEED_KVM();
	if (access(KERNEL_SELFTEST, X_OK))
		SKIP("no " KERNEL_SELFTEST " (only the nested batch boots have it)");
	REQUIRE(pipe(fds) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(KERNEL_SELFTEST, KERNEL_SELFTEST, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	REQUIRE(out != NULL, "fdopen: %s", strerror(errno));
	while (fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = '\0';
		printf("    | %s\n", line);
		ok += !strncmp(line, "ok ", 3);
		not_ok += !strncmp(line, "not ok ", 7);
	}
	fclose(out);
	REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	EXPECT(ok > 0 && not_ok == 0, "%d ok, %d not ok", ok, not_ok);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "exit status 0x%x", status);
}

int main(int argc, char **argv)
{
	static const struct h_case cases[] = {
		CASE(handle_batches_when_the_kernel_can),
		CASE(save_same_both_ways),
		CASE(restore_same_both_ways),
		CASE(refused_write_reported_alone_both_ways),
		CASE(failed_restore_rolled_back_both_ways),
		CASE(measure_save_restore),
		CASE(kernel_selftest),
	};

	return h_run("one_reg_batch", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
