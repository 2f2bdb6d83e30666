// SPDX-License-Identifier: MIT
/*
 * A VMM author's mistakes and an attacker's inputs against a real vCPU
 * (issue 16): writing a capture, a restore whose rollback cannot read what
 * it would put back, fds that are not what attach was told, NULL where a
 * handle or an output belongs, and kvmreg_error() surviving successes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

#define SENTINEL "sentinel: the last failure"

/* A failure whose message later successes must leave alone. */
static void set_sentinel(void)
{
	struct kvmreg_state *s = kvmreg_state_new(kvmreg_arch_host());

	kvmreg_state_set_kernel(s, "\x01");
	kvmreg_state_free(s);
}

static int sentinel_kept(void)
{
	return strstr(kvmreg_error(), "byte 0x01 at offset 0") != NULL;
}

TEST(writing_a_capture_names_its_first_register)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *c = NULL;
	char name[128], id_text[32];
	uint64_t id;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_capture(s.vcpu, &c) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_at(c, 0, &id, NULL) == 0);
	kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name, sizeof(name));
	snprintf(id_text, sizeof(id_text), "0x%016" PRIx64, id);
	/* Before the fix: a read of the freed id array (ASan stops here). */
	EXPECT(kvmreg_write(s.vcpu, c, NULL) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), id_text) && strstr(kvmreg_error(), name) &&
	       strstr(kvmreg_error(), "capture"), "message: %s", kvmreg_error());
	EXPECT(kvmreg_restore(s.vcpu, c) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "no value"), "message: %s", kvmreg_error());
	kvmreg_state_free(c);
	kvmreg_scratch_destroy(&s);
}

#if defined(__x86_64__)
/* x86 MSR ids: KVM_REG_X86 | KVM_REG_SIZE_U64 | the MSR bank | index. */
#define X86_MSR(index) (0x2030000200000000ULL | (index))
#define MSR_IA32_PRED_CMD 0x49	/* write-only: KVM takes 0, reads fail */
#define MSR_EFER 0xc0000080
#endif

TEST(rollback_says_what_it_could_not_put_back)
{
#if defined(__x86_64__)
	struct kvmreg_scratch s;
	struct kvmreg_state *st;
	uint64_t zero = 0, bad_efer = 1ULL << 63, v;
	const uint64_t pred_cmd = X86_MSR(MSR_IA32_PRED_CMD);

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	st = kvmreg_state_new(KVMREG_ARCH_X86_64);
	/* Real, not injected: KVM takes PRED_CMD = 0 but cannot read it back,
	 * and refuses EFER with a reserved bit, after PRED_CMD in one
	 * KVM_SET_MSRS. */
	REQUIRE(kvmreg_get(s.vcpu, pred_cmd, &v) != 0,
		"PRED_CMD reads on this host: the case needs a write-only MSR");
	REQUIRE(kvmreg_set(s.vcpu, pred_cmd, &zero) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_set(st, pred_cmd, &zero, 8) == 0);
	REQUIRE(kvmreg_state_set(st, X86_MSR(MSR_EFER), &bad_efer, 8) == 0);
	EXPECT(kvmreg_restore(s.vcpu, st) < 0, "a reserved EFER bit was taken");
	/* Before the fix: "(the vCPU was put back as it was)". */
	EXPECT(!strstr(kvmreg_error(), "was put back as it was"), "message: %s",
	       kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "could not be put back") &&
	       strstr(kvmreg_error(), "0x2030000200000049") &&
	       strstr(kvmreg_error(), "could not be read before"),
	       "message: %s", kvmreg_error());
	EXPECT(kvmreg_get(s.vcpu, X86_MSR(MSR_EFER), &v) == 0 && v == 0,
	       "EFER is 0x%" PRIx64 " after the failed restore", v);
	kvmreg_state_free(st);
	kvmreg_scratch_destroy(&s);
#else
	SKIP("the write-only register used here is an x86 MSR");
#endif
}

TEST(rollback_that_read_everything_says_so)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *st;
	uint64_t v = 0x1234;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	st = kvmreg_state_new(kvmreg_arch_host());
	REQUIRE(kvmreg_state_set(st, t_gpr_id(), &v, 8) == 0);
	/* An id in the arch's format that no vCPU has: the write fails. */
#if defined(__x86_64__)
	REQUIRE(kvmreg_state_set(st, X86_MSR(0x7fffffff), &v, 8) == 0);
#elif defined(__aarch64__)
	/* S3_7_C15_C15_7: implementation defined, not a KVM register */
	REQUIRE(kvmreg_state_set(st, 0x603000000013ffffULL, &v, 8) == 0);
#else
	/* riscv config index 0xfff: no such config register */
	REQUIRE(kvmreg_state_set(st, 0x8030000001000fffULL, &v, 8) == 0,
		"%s", kvmreg_error());
#endif
	EXPECT(kvmreg_restore(s.vcpu, st) < 0);
	EXPECT(strstr(kvmreg_error(), "(the vCPU was put back as it was)"),
	       "message: %s", kvmreg_error());
	kvmreg_state_free(st);
	kvmreg_scratch_destroy(&s);
}

#if defined(__x86_64__)
/* Library ids of x86 struct members (docs/ids.md). */
#define X86_CS	0x20506b0300000000ULL
#define X86_CR4	0x20306b0200000003ULL
#define X86_DR0	0x20306b0700000000ULL
#define X86_DR7	0x20306b0700000007ULL
#endif

/*
 * KVM refuses a struct (kvm_sregs2, kvm_debugregs) as a whole; the
 * register named must be the member it objects to, not the first member
 * of the batch, and the other members are written.
 */
TEST(refused_struct_write_names_the_member)
{
#if defined(__x86_64__)
	struct kvmreg_scratch s;
	struct kvmreg_state *st, *both;
	uint8_t cs[32];
	uint64_t bad_cr4 = 1ULL << 63, dr0 = 0x1000, bad_dr7 = 1ULL << 40, v;
	int errs[2] = { 0, 0 };

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, X86_CS, cs) == 0, "%s", kvmreg_error());
	/* a real-mode code segment elsewhere: base 0x20000, selector 0x2000 */
	memset(cs, 0, 8);
	cs[2] = 0x02;
	cs[12] = 0x00;
	cs[13] = 0x20;
	st = kvmreg_state_new(KVMREG_ARCH_X86_64);
	REQUIRE(kvmreg_state_set(st, X86_CS, cs, 32) == 0);
	REQUIRE(kvmreg_state_set(st, X86_CR4, &bad_cr4, 8) == 0);
	both = kvmreg_state_dup(st);

	/* Before the fix: "restoring cs (...)". */
	EXPECT(kvmreg_restore(s.vcpu, st) < 0, "a reserved CR4 bit was taken");
	EXPECT(strstr(kvmreg_error(), "restoring cr4 (0x20306b0200000003)"),
	       "message: %s", kvmreg_error());
	EXPECT(kvmreg_write(s.vcpu, both, errs) < 0);
	EXPECT(strstr(kvmreg_error(), "writing cr4 ("), "message: %s",
	       kvmreg_error());
	EXPECT(errs[0] == 0 && errs[1] == -EINVAL, "errs cs %d, cr4 %d",
	       errs[0], errs[1]);
	EXPECT(kvmreg_get(s.vcpu, X86_CS, cs) == 0 && cs[2] == 0x02 &&
	       cs[13] == 0x20, "cs was not written beside the refused cr4");
	EXPECT(kvmreg_get(s.vcpu, X86_CR4, &v) == 0 && v == 0,
	       "cr4 is 0x%" PRIx64, v);
	kvmreg_state_free(st);
	kvmreg_state_free(both);

	st = kvmreg_state_new(KVMREG_ARCH_X86_64);
	REQUIRE(kvmreg_state_set(st, X86_DR0, &dr0, 8) == 0);
	REQUIRE(kvmreg_state_set(st, X86_DR7, &bad_dr7, 8) == 0);
	EXPECT(kvmreg_restore(s.vcpu, st) < 0, "DR7 bits 63:32 were taken");
	/* Before the fix: "restoring dr0 (...)". */
	EXPECT(strstr(kvmreg_error(), "restoring dr7 (0x20306b0700000007)") &&
	       strstr(kvmreg_error(), "put back as it was"),
	       "message: %s", kvmreg_error());
	EXPECT(kvmreg_get(s.vcpu, X86_DR0, &v) == 0 && v == 0,
	       "dr0 is 0x%" PRIx64 " after the rolled-back restore", v);
	kvmreg_state_free(st);
	kvmreg_scratch_destroy(&s);
#else
	SKIP("struct ioctls are x86's");
#endif
}

TEST(attach_refuses_what_is_not_a_vcpu)
{
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *v = (struct kvmreg_vcpu *)1;
	int null_fd, closed_fd, event_fd;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	event_fd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(event_fd >= 0);
	closed_fd = dup(null_fd);
	close(closed_fd);

	EXPECT(kvmreg_vcpu_attach(-1, -1, null_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "/dev/null") &&
	       strstr(kvmreg_error(), "not a KVM vCPU fd"), "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_attach(-1, -1, s.vm_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "it is a KVM VM fd"), "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_attach(-1, -1, s.kvm_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "it is /dev/kvm"), "%s", kvmreg_error());
	/* an anonymous inode, as a vCPU's is, but no KVM file */
	EXPECT(kvmreg_vcpu_attach(-1, -1, event_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "eventfd") &&
	       strstr(kvmreg_error(), "not a KVM vCPU fd"), "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_attach(-1, -1, closed_fd, &v) == -EBADF);
	EXPECT(strstr(kvmreg_error(), "not open"), "%s", kvmreg_error());
	/* The other two fds are checked too, where given. */
	EXPECT(kvmreg_vcpu_attach(s.vm_fd, -1, s.vcpu_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "kvm_fd") &&
	       strstr(kvmreg_error(), "a KVM VM fd"), "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_attach(-1, s.vcpu_fd, s.vcpu_fd, &v) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "vm_fd") &&
	       strstr(kvmreg_error(), "a KVM vCPU fd"), "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_attach(-1, -1, s.vcpu_fd, NULL) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "out is NULL"), "%s", kvmreg_error());
	EXPECT(v == (struct kvmreg_vcpu *)1, "*out changed by a refusal");

	REQUIRE(kvmreg_vcpu_attach(s.kvm_fd, s.vm_fd, s.vcpu_fd, &v) == 0,
		"%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_arch(v) == kvmreg_arch_host());
	kvmreg_vcpu_detach(v);
	close(null_fd);
	close(event_fd);
	kvmreg_scratch_destroy(&s);
}

/* A vCPU fd whose VM belongs to another process: KVM serves it nothing. */
TEST(attach_refuses_another_process_vcpu)
{
	int sv[2], kvm, vm, vcpu;
	struct kvmreg_vcpu *v;
	pid_t child;

	NEED_KVM();
	/* We create the VM; a child (another mm, the fd inherited) tries to
	 * attach its vCPU, as a VMM handed the fd over a socket would. */
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	REQUIRE(kvm >= 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	REQUIRE(vm >= 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	REQUIRE(vcpu >= 0);
	REQUIRE(pipe(sv) == 0);
	child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		char verdict = 'n';
		int r = kvmreg_vcpu_attach(-1, -1, vcpu, &v);

		if (r == -EINVAL && strstr(kvmreg_error(), "another process"))
			verdict = 'y';
		if (write(sv[1], &verdict, 1) != 1)
			_exit(1);
		_exit(0);
	}
	{
		char verdict = 0;

		EXPECT(read(sv[0], &verdict, 1) == 1 && verdict == 'y',
		       "the child attached another process's vCPU");
	}
	waitpid(child, NULL, 0);
	close(sv[0]);
	close(sv[1]);
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST(null_handles_and_outputs_are_refused_by_name)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *st = NULL, *out = (struct kvmreg_state *)1;
	struct kvmreg_list *list = (struct kvmreg_list *)1;
	uint64_t id = t_gpr_id(), v = 0;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &st) == 0, "%s", kvmreg_error());
	EXPECT_REFUSED(kvmreg_save(NULL, &out), -EINVAL, "kvmreg_save: vcpu is NULL");
	EXPECT_REFUSED(kvmreg_save(s.vcpu, NULL), -EINVAL, "kvmreg_save: out is NULL");
	EXPECT_REFUSED(kvmreg_capture(s.vcpu, NULL), -EINVAL, "kvmreg_capture: out is NULL");
	EXPECT_REFUSED(kvmreg_restore(NULL, st), -EINVAL, "kvmreg_restore: vcpu is NULL");
	EXPECT_REFUSED(kvmreg_restore(s.vcpu, NULL), -EINVAL, "kvmreg_restore: state is NULL");
	EXPECT_REFUSED(kvmreg_restore_fresh(s.vcpu, NULL), -EINVAL, "kvmreg_restore_fresh: state is NULL");
	EXPECT_REFUSED(kvmreg_get(NULL, id, &v), -EINVAL, "kvmreg_get: vcpu is NULL");
	EXPECT_REFUSED(kvmreg_get(s.vcpu, id, NULL), -EINVAL, "kvmreg_get: value is NULL");
	EXPECT_REFUSED(kvmreg_set(s.vcpu, id, NULL), -EINVAL, "kvmreg_set: value is NULL");
	EXPECT_REFUSED(kvmreg_read(s.vcpu, NULL, 1, st, NULL), -EINVAL, "kvmreg_read: ids is NULL");
	EXPECT_REFUSED(kvmreg_read(s.vcpu, &id, 1, NULL, NULL), -EINVAL, "kvmreg_read: state is NULL");
	EXPECT_REFUSED(kvmreg_write(NULL, st, NULL), -EINVAL, "kvmreg_write: vcpu is NULL");
	EXPECT_REFUSED(kvmreg_write(s.vcpu, NULL, NULL), -EINVAL, "kvmreg_write: state is NULL");
	EXPECT_REFUSED(kvmreg_list_get(NULL, 0, &list), -EINVAL, "kvmreg_list_get: vcpu is NULL");
	EXPECT_REFUSED(kvmreg_list_get(s.vcpu, 0, NULL), -EINVAL, "kvmreg_list_get: out is NULL");
	EXPECT_REFUSED(kvmreg_list_get(s.vcpu, 0x40, &list), -EINVAL, "unknown list flags 0x40");
	EXPECT_REFUSED(kvmreg_scratch_create(0, NULL), -EINVAL, "kvmreg_scratch_create: out is NULL");
	EXPECT_REFUSED(kvmreg_scratch_create(0x100, &s), -EINVAL, "unknown flags 0x100");
	EXPECT(out == (struct kvmreg_state *)1 && list == (struct kvmreg_list *)1,
	       "an output changed by a refused call");
	EXPECT(kvmreg_vcpu_arch(NULL) == KVMREG_ARCH_NONE);
	EXPECT(kvmreg_vcpu_ioctl_count(NULL) == 0);
	kvmreg_vcpu_detach(NULL);
	kvmreg_scratch_destroy(NULL);
	kvmreg_state_free(st);
	kvmreg_scratch_destroy(&s);
}

TEST(successes_leave_the_last_error)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *st = NULL, *c = NULL, *back = NULL;
	struct kvmreg_list *list = NULL;
	uint64_t id = t_gpr_id(), v;
	void *buf = NULL;
	size_t len;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	set_sentinel();
	REQUIRE(sentinel_kept(), "%s", kvmreg_error());
	EXPECT(kvmreg_list_get(s.vcpu, 0, &list) == 0 && sentinel_kept(),
	       "list_get: %s", kvmreg_error());
	kvmreg_list_free(list);
	EXPECT(kvmreg_list_get(s.vcpu, KVMREG_LIST_FORCE_FALLBACK, &list) == 0 &&
	       sentinel_kept(), "list_get fallback: %s", kvmreg_error());
	kvmreg_list_free(list);
	EXPECT(kvmreg_save(s.vcpu, &st) == 0 && sentinel_kept(),
	       "save: %s", kvmreg_error());
	EXPECT(kvmreg_capture(s.vcpu, &c) == 0 && sentinel_kept(),
	       "capture: %s", kvmreg_error());
	EXPECT(kvmreg_get(s.vcpu, id, &v) == 0 && sentinel_kept(),
	       "get: %s", kvmreg_error());
	EXPECT(kvmreg_set(s.vcpu, id, &v) == 0 && sentinel_kept(),
	       "set: %s", kvmreg_error());
	EXPECT(kvmreg_write(s.vcpu, st, NULL) == 0 && sentinel_kept(),
	       "write: %s", kvmreg_error());
	EXPECT(kvmreg_restore(s.vcpu, st) == 0 && sentinel_kept(),
	       "restore: %s", kvmreg_error());
	EXPECT(kvmreg_restore_fresh(s.vcpu, st) == 0 && sentinel_kept(),
	       "restore_fresh: %s", kvmreg_error());
	EXPECT(kvmreg_state_encode(st, &buf, &len) == 0 &&
	       kvmreg_state_decode(buf, len, &back) == 0 && sentinel_kept(),
	       "encode/decode: %s", kvmreg_error());
	free(buf);
	kvmreg_state_free(back);
	kvmreg_state_free(st);
	kvmreg_state_free(c);
	kvmreg_scratch_destroy(&s);
}

TEST_MAIN("misuse",
	  CASE(writing_a_capture_names_its_first_register),
	  CASE(rollback_says_what_it_could_not_put_back),
	  CASE(rollback_that_read_everything_says_so),
	  CASE(refused_struct_write_names_the_member),
	  CASE(attach_refuses_what_is_not_a_vcpu),
	  CASE(attach_refuses_another_process_vcpu),
	  CASE(null_handles_and_outputs_are_refused_by_name),
	  CASE(successes_leave_the_last_error))
