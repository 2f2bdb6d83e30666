// SPDX-License-Identifier: MIT
/*
 * MP state and the vGIC's per-vCPU state on arm64 and riscv64 (the nested
 * stage; SKIPs elsewhere):
 *
 * - A two-vCPU guest whose vCPU 1 powers itself off (arm64: PSCI CPU_OFF;
 *   riscv64: SBI HSM hart_stop) while vCPU 0 asks, at every step, whether
 *   vCPU 1 is off (PSCI AFFINITY_INFO, SBI HSM hart_get_status) and reports
 *   the answer by MMIO. Both vCPUs are moved into a new VM at every step
 *   with kvmreg_save / kvmreg_restore_fresh: vCPU 1 must stay off. Moved
 *   without the mp_state register, vCPU 0 must see it come back on.
 * - Differential: a vCPU saved and restored into a fresh one of a new VM
 *   reads back the same through KVM_GET_REG_LIST + KVM_GET_ONE_REG,
 *   KVM_GET_MP_STATE and (arm64) the GICv3's device attributes.
 */
#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"

#if GUEST_SUPPORTED

#include <inttypes.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>

#include <linux/kvm.h>

#define STEPS 8
#define SECONDARY_CODE 0x1000	/* vCPU 1's code, from the start of RAM */

/* Guest code: vCPU 0's loop at the start of RAM, vCPU 1's at 0x1000. */
#define GUEST_SECTION \
"	.pushsection .rodata.mp_state_guest, \"a\"\n" \
"	.globl mp_state_primary_begin\n" \
"	.globl mp_state_primary_end\n" \
"	.globl mp_state_secondary_begin\n" \
"	.globl mp_state_secondary_end\n" \
"	.balign 4\n"

#if defined(__aarch64__)
__asm__(
GUEST_SECTION
"mp_state_primary_begin:\n"
"1:	movz x0, #0x0004\n"
"	movk x0, #0xc400, lsl #16\n"	/* PSCI_0_2_FN64_AFFINITY_INFO */
"	mov x1, #1\n"			/* MPIDR of vCPU 1 */
"	mov x2, #0\n"
"	hvc #0\n"
"	movz x3, #0x1000, lsl #16\n"	/* GUEST_MMIO_STEP */
"	str x0, [x3]\n"
"	b 1b\n"
"mp_state_primary_end:\n"
"	.balign 4\n"
"mp_state_secondary_begin:\n"
"	movz x0, #0x0002\n"
"	movk x0, #0x8400, lsl #16\n"	/* PSCI_0_2_FN_CPU_OFF */
"	hvc #0\n"
"2:	b 2b\n"
"mp_state_secondary_end:\n"
"	.popsection\n");
/* AFFINITY_INFO: 0 ON, 1 OFF */
#define ANSWER_OFF 1
#define ANSWER_ON 0
#define HOW_OFF "PSCI CPU_OFF"
#else
__asm__(
GUEST_SECTION
"mp_state_primary_begin:\n"
"1:	li a7, 0x48534d\n"		/* SBI extension HSM */
"	li a6, 2\n"			/* hart_get_status */
"	li a0, 1\n"			/* hart 1 */
"	ecall\n"
"	li t0, 0x10000000\n"		/* GUEST_MMIO_STEP */
"	sd a1, 0(t0)\n"
"	j 1b\n"
"mp_state_primary_end:\n"
"	.balign 4\n"
"mp_state_secondary_begin:\n"
"	li a7, 0x48534d\n"
"	li a6, 1\n"			/* hart_stop */
"	ecall\n"
"2:	j 2b\n"
"mp_state_secondary_end:\n"
"	.popsection\n");
/* hart_get_status: 0 STARTED, 1 STOPPED */
#define ANSWER_OFF 1
#define ANSWER_ON 0
#define HOW_OFF "SBI HSM hart_stop"
#endif
extern const uint8_t mp_state_primary_begin[], mp_state_primary_end[];
extern const uint8_t mp_state_secondary_begin[], mp_state_secondary_end[];

/* A VM with RAM and two vCPUs set up as guest.h's one is. */
struct pair {
	struct guest_vm vm;		/* vCPU 0, RAM, the VM */
	int vcpu1_fd;
	struct kvm_run *run1;
	struct kvmreg_vcpu *vcpu1;
};

static void pair_destroy(struct pair *p)
{
	kvmreg_vcpu_detach(p->vcpu1);
	if (p->run1)
		munmap(p->run1, p->vm.run_size);
	if (p->vcpu1_fd >= 0)
		close(p->vcpu1_fd);
	guest_vm_destroy(&p->vm);
	p->vcpu1 = NULL;
	p->run1 = NULL;
	p->vcpu1_fd = -1;
}

static int pair_create(struct pair *p, char *why, size_t len)
{
	struct guest_vm second;
	const char *what = "";
	int err;

	memset(p, 0, sizeof(*p));
	p->vcpu1_fd = -1;
	err = guest_vm_create(&p->vm, 0, &what);
	if (err) {
		snprintf(why, len, "VM: %s: %s", what, strerror(-err));
		return err;
	}
	p->vcpu1_fd = ioctl(p->vm.vm_fd, KVM_CREATE_VCPU, 1);
	if (p->vcpu1_fd < 0) {
		err = -errno;
		snprintf(why, len, "KVM_CREATE_VCPU 1: %s", strerror(errno));
		goto fail;
	}
	p->run1 = mmap(NULL, p->vm.run_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, p->vcpu1_fd, 0);
	if (p->run1 == MAP_FAILED) {
		p->run1 = NULL;
		err = -errno;
		snprintf(why, len, "mmap kvm_run of vCPU 1: %s", strerror(errno));
		goto fail;
	}
	second = p->vm;
	second.vcpu_fd = p->vcpu1_fd;
	err = guest_arch_vcpu_setup(&second, 0, &what);
	if (!err)
		err = kvmreg_vcpu_attach(p->vm.kvm_fd, p->vm.vm_fd, p->vcpu1_fd,
					 &p->vcpu1);
	if (err) {
		snprintf(why, len, "vCPU 1: %s: %s", what, strerror(-err));
		goto fail;
	}
	return 0;
fail:
	pair_destroy(p);
	return err;
}

static uint32_t raw_mp_state(int vcpu_fd)
{
	struct kvm_mp_state mp = { .mp_state = ~0u };

	ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

/*
 * Run vCPU 1 until it has powered itself off. KVM_RUN of a vCPU that powers
 * off sleeps until something powers it on again, so a timer signal ends
 * each try; a slow (TCG) host may need a few before the HVC/ECALL ran.
 */
static int power_off_secondary(struct pair *p, char *why, size_t len)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval t = { .it_value = { .tv_usec = 200000 } };
	uint64_t pc = GUEST_RAM_GPA + SECONDARY_CODE;

	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };

	/* riscv64 creates secondary harts stopped: start it, as a VMM that
	 * boots every hart does, so that it stops itself */
	if (kvmreg_set(p->vcpu1, guest_arch_pc_id(), &pc) ||
	    ioctl(p->vcpu1_fd, KVM_SET_MP_STATE, &runnable)) {
		snprintf(why, len, "starting vCPU 1: %s", kvmreg_error());
		return -1;
	}
	sigaction(SIGALRM, &sa, &old);
	for (int tries = 0; tries < 50; tries++) {
		int r;

		setitimer(ITIMER_REAL, &t, NULL);
		r = ioctl(p->vcpu1_fd, KVM_RUN, 0);
		if (r == 0) {
			snprintf(why, len, "vCPU 1 exited (reason %u) instead of powering off",
				 p->run1->exit_reason);
			break;
		}
		if (errno != EINTR) {
			snprintf(why, len, "KVM_RUN of vCPU 1: %s", strerror(errno));
			break;
		}
		if (raw_mp_state(p->vcpu1_fd) == KVM_MP_STATE_STOPPED) {
			sigaction(SIGALRM, &old, NULL);
			return 0;
		}
		snprintf(why, len, "vCPU 1 still in MP state %u", raw_mp_state(p->vcpu1_fd));
	}
	sigaction(SIGALRM, &old, NULL);
	return -1;
}

/* Move both vCPUs and RAM into a new VM; without mp_state if careless. */
static int pair_move(struct pair *p, bool careless, char *why, size_t len)
{
	struct kvmreg_state *s0 = NULL, *s1 = NULL;
	struct pair q;
	uint64_t mp_id;
	int err = guest_complete_mmio(&p->vm);

	kvmreg_id_parse(kvmreg_arch_host(), "mp_state", &mp_id);
	if (!err)
		err = kvmreg_save(p->vm.vcpu, &s0);
	if (!err)
		err = kvmreg_save(p->vcpu1, &s1);
	if (err) {
		snprintf(why, len, "save: %s", kvmreg_error());
		goto out;
	}
	if (!kvmreg_state_get(s1, mp_id)) {
		snprintf(why, len, "the saved state has no mp_state");
		err = -ENOENT;
		goto out;
	}
	if (careless) {
		struct kvmreg_state *t[2] = { kvmreg_state_new(kvmreg_arch_host()),
					      kvmreg_state_new(kvmreg_arch_host()) };
		struct kvmreg_state *s[2] = { s0, s1 };

		for (int k = 0; k < 2; k++) {
			for (size_t i = 0; i < kvmreg_state_count(s[k]); i++) {
				uint64_t id;
				const void *v;

				kvmreg_state_at(s[k], i, &id, &v);
				if (id != mp_id)
					kvmreg_state_set(t[k], id, v, kvmreg_id_size(id));
			}
			kvmreg_state_free(s[k]);
		}
		s0 = t[0];
		s1 = t[1];
	}
	err = pair_create(&q, why, len);
	if (err)
		goto out;
	memcpy(q.vm.ram, p->vm.ram, GUEST_RAM_SIZE);
	if (kvmreg_restore_fresh(q.vm.vcpu, s0) ||
	    kvmreg_restore_fresh(q.vcpu1, s1)) {
		snprintf(why, len, "restore: %s", kvmreg_error());
		pair_destroy(&q);
		err = -EIO;
		goto out;
	}
	pair_destroy(p);
	*p = q;
out:
	kvmreg_state_free(s0);
	kvmreg_state_free(s1);
	return err;
}

/* Run the guest STEPS steps, moving at every one; answers[] from vCPU 0.
 * power_off: vCPU 1 stops itself first; else it is left runnable (started,
 * never run). */
static int run_pair(bool careless, bool power_off, uint64_t *answers,
		    char *why, size_t len)
{
	struct pair p;
	struct guest_mmio mmio;
	int err = pair_create(&p, why, len);

	if (err)
		return err;
	memcpy(p.vm.ram + SECONDARY_CODE, mp_state_secondary_begin,
	       (size_t)(mp_state_secondary_end - mp_state_secondary_begin));
	err = guest_load(&p.vm, mp_state_primary_begin,
			 (size_t)(mp_state_primary_end - mp_state_primary_begin));
	if (err) {
		snprintf(why, len, "loading vCPU 0: %s", kvmreg_error());
		goto out;
	}
	if (power_off) {
		err = power_off_secondary(&p, why, len);
	} else {
		struct kvm_mp_state on = { .mp_state = KVM_MP_STATE_RUNNABLE };

		err = ioctl(p.vcpu1_fd, KVM_SET_MP_STATE, &on) ? -errno : 0;
		if (err)
			snprintf(why, len, "KVM_SET_MP_STATE: %s", strerror(-err));
	}
	for (int step = 0; !err && step < STEPS; step++) {
		err = guest_run(&p.vm, &mmio, why, len);
		if (err)
			break;
		answers[step] = mmio.data;
		err = pair_move(&p, careless, why, len);
	}
out:
	pair_destroy(&p);
	return err;
}

/* Moved with mp_state at every step, vCPU 0 must see vCPU 1 in the state
 * it was left in (powered off by itself, or started) every time. */
static void expect_secondary_stays(bool power_off)
{
	uint64_t answers[STEPS], want = power_off ? ANSWER_OFF : ANSWER_ON;
	char why[256] = "";

	NEED_KVM();
	REQUIRE(run_pair(false, power_off, answers, why, sizeof(why)) == 0,
		"%s", why);
	for (int i = 0; i < STEPS; i++)
		EXPECT(answers[i] == want,
		       "step %d: vCPU 0 sees vCPU 1 in state %" PRIu64 ", not %s",
		       i, answers[i], power_off ? "off" : "on");
	printf("    vCPU 1 %s, still %s after each of %d moves\n",
	       power_off ? "off by " HOW_OFF : "started", power_off ? "off" : "on",
	       STEPS);
}

TEST(secondary_powered_off_stays_off_across_moves)
{
	expect_secondary_stays(true);
}

/* The MP state a secondary vCPU has when created (arm64: runnable; riscv64:
 * stopped, KVM powers off every hart but the first). */
static int fresh_secondary_state(uint32_t *mp, char *why, size_t len)
{
	struct pair p;
	int err = pair_create(&p, why, len);

	if (err)
		return err;
	*mp = raw_mp_state(p.vcpu1_fd);
	pair_destroy(&p);
	return 0;
}

/* A move that drops mp_state gives vCPU 1 the state a new vCPU has: the
 * guest must see it change, from off to on where secondaries are created
 * on (arm64), from on to off where they are created off (riscv64). */
TEST(a_move_without_mp_state_is_noticed_by_the_guest)
{
	uint64_t answers[STEPS];
	char why[256] = "";
	uint32_t fresh = 0;
	bool created_off;

	NEED_KVM();
	REQUIRE(fresh_secondary_state(&fresh, why, sizeof(why)) == 0, "%s", why);
	created_off = fresh == KVM_MP_STATE_STOPPED;
	REQUIRE(run_pair(true, !created_off, answers, why, sizeof(why)) == 0,
		"%s", why);
	EXPECT(answers[0] == (created_off ? ANSWER_ON : ANSWER_OFF),
	       "before the first move: %" PRIu64, answers[0]);
	EXPECT(answers[1] == (created_off ? ANSWER_OFF : ANSWER_ON),
	       "after a move without mp_state: %" PRIu64, answers[1]);
	printf("    secondaries are created %s; without mp_state vCPU 1 came back %s\n",
	       created_off ? "stopped" : "runnable",
	       answers[1] == ANSWER_ON ? "on" : "off");
}

/* A started secondary stays started, where new ones are created stopped. */
TEST(started_secondary_stays_on_across_moves)
{
	expect_secondary_stays(false);
}

/* ---------------------------------------------------------------- */
/* Differential                                                      */

/* Compare every id of the kernel's list and the MP state, read raw. */
static size_t compare_raw(struct guest_vm *a, struct guest_vm *b,
			  size_t *differ)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	size_t compared = 0;

	ioctl(a->vcpu_fd, KVM_GET_REG_LIST, &probe);
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return 0;
	list->n = probe.n;
	if (ioctl(a->vcpu_fd, KVM_GET_REG_LIST, list) < 0) {
		free(list);
		return 0;
	}
	for (uint64_t i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];
		uint8_t va[256] = { 0 }, vb[256] = { 0 };
		struct kvm_one_reg ra = { .id = id, .addr = (uintptr_t)va };
		struct kvm_one_reg rb = { .id = id, .addr = (uintptr_t)vb };

		if (kvmreg_id_is_volatile(kvmreg_arch_host(), id))
			continue;
		if (ioctl(a->vcpu_fd, KVM_GET_ONE_REG, &ra) < 0)
			continue;
		compared++;
		if (ioctl(b->vcpu_fd, KVM_GET_ONE_REG, &rb) < 0 ||
		    memcmp(va, vb, kvmreg_id_size(id))) {
			char name[128];

			kvmreg_id_name(kvmreg_arch_host(), id, KVMREG_NAME_SHORT,
				       name, sizeof(name));
			printf("    differs: %s\n", name);
			(*differ)++;
		}
	}
	free(list);
#if defined(__aarch64__)
	{
		struct kvm_vcpu_events ea, eb;

		memset(&ea, 0, sizeof(ea));
		memset(&eb, 0, sizeof(eb));
		if (ioctl(a->vcpu_fd, KVM_GET_VCPU_EVENTS, &ea) == 0) {
			compared++;
			if (ioctl(b->vcpu_fd, KVM_GET_VCPU_EVENTS, &eb) ||
			    memcmp(&ea, &eb, sizeof(ea))) {
				printf("    differs: vCPU events (SError pending %u -> %u)\n",
				       ea.exception.serror_pending,
				       eb.exception.serror_pending);
				(*differ)++;
			}
		}
	}
#endif
	compared++;
	if (raw_mp_state(a->vcpu_fd) != raw_mp_state(b->vcpu_fd)) {
		printf("    differs: MP state %u -> %u\n", raw_mp_state(a->vcpu_fd),
		       raw_mp_state(b->vcpu_fd));
		(*differ)++;
	}
	return compared;
}

TEST(restore_into_a_fresh_vcpu_reads_back_equal_through_raw_ioctls)
{
	struct guest_vm a, b;
	struct kvmreg_state *state = NULL;
	struct kvm_mp_state halted = { .mp_state = KVM_MP_STATE_STOPPED };
	const char *what = "";
	uint64_t mp_id, value;
	size_t compared, differ = 0;

	NEED_KVM();
	REQUIRE(guest_vm_create(&a, 0, &what) == 0, "%s", what);
	REQUIRE(guest_load_program(&a, 4) == 0, "%s", kvmreg_error());
	REQUIRE(ioctl(a.vcpu_fd, KVM_SET_MP_STATE, &halted) == 0,
		"KVM_SET_MP_STATE: %s", strerror(errno));
#if defined(__aarch64__)
	{
		/* a pending virtual SError: only KVM_GET_VCPU_EVENTS has it */
		struct kvm_vcpu_events ev;

		memset(&ev, 0, sizeof(ev));
		ev.exception.serror_pending = 1;
		REQUIRE(ioctl(a.vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) == 0,
			"KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	}
#endif
	REQUIRE(kvmreg_id_parse(kvmreg_arch_host(), "mp_state", &mp_id) == 0,
		"%s", kvmreg_error());
	EXPECT(kvmreg_get(a.vcpu, mp_id, &value) == 0 &&
	       (uint32_t)value == KVM_MP_STATE_STOPPED, "mp_state %s",
	       kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &state) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_get(state, mp_id) != NULL, "no mp_state saved");
	REQUIRE(guest_vm_create(&b, 0, &what) == 0, "%s", what);
	EXPECT(kvmreg_restore_fresh(b.vcpu, state) == 0, "%s", kvmreg_error());
	compared = compare_raw(&a, &b, &differ);
	EXPECT(differ == 0, "%zu of %zu registers differ", differ, compared);
	printf("    compared %zu registers (KVM_GET_REG_LIST + ONE_REG, MP state, arm64 vCPU events): %zu differ\n",
	       compared, differ);
	kvmreg_state_free(state);
	guest_vm_destroy(&b);
	guest_vm_destroy(&a);
}

#if defined(__aarch64__)
/* A GICv3 for vm's one vCPU, initialized; -errno. */
static int create_gic(struct guest_vm *vm, int *fd_out)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x08000000, redist = 0x080a0000;
	struct kvm_device_attr addr = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
		.addr = (uintptr_t)&dist,
	};
	struct kvm_device_attr init = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return -errno;
	if (ioctl(dev.fd, KVM_SET_DEVICE_ATTR, &addr) < 0)
		return -errno;
	addr.attr = KVM_VGIC_V3_ADDR_TYPE_REDIST;
	addr.addr = (uintptr_t)&redist;
	if (ioctl(dev.fd, KVM_SET_DEVICE_ATTR, &addr) < 0 ||
	    ioctl(dev.fd, KVM_SET_DEVICE_ATTR, &init) < 0)
		return -errno;
	*fd_out = (int)dev.fd;
	return 0;
}

static int vgic_raw(int fd, bool set, uint32_t group, uint64_t attr,
		    uint64_t *value)
{
	struct kvm_device_attr a = { .group = group, .attr = attr,
				     .addr = (uintptr_t)value };

	return ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

TEST(vgic_registers_of_the_vcpu_move_with_the_gic_fd)
{
	struct guest_vm a, b;
	struct kvmreg_state *state = NULL;
	struct kvmreg_list *list = NULL;
	const char *what = "";
	int gic_a = -1, gic_b = -1, err;
	size_t vgic = 0, compared = 0, differ = 0;
	uint64_t pmr = 0xa0, enable = 0x0000ffff;
	/* ICC_PMR_EL1 and GICR_ISENABLER0 of the vCPU with MPIDR 0 */
	const uint64_t pmr_attr = 0xc230, isenabler_attr = 0x10100;

	NEED_KVM();
	REQUIRE(guest_vm_create(&a, 0, &what) == 0, "%s", what);
	err = create_gic(&a, &gic_a);
	if (err) {
		guest_vm_destroy(&a);
		SKIP("no GICv3 for the guest: %s", strerror(-err));
	}
	EXPECT(kvmreg_vcpu_set_gic_fd(a.vcpu, 12345) == -ENODEV ||
	       kvmreg_vcpu_set_gic_fd(a.vcpu, 12345) == -EBADF,
	       "a closed fd: %s", kvmreg_error());
	REQUIRE(kvmreg_vcpu_set_gic_fd(a.vcpu, gic_a) == 0, "%s", kvmreg_error());
	REQUIRE(vgic_raw(gic_a, true, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, pmr_attr,
			 &pmr) == 0, "ICC_PMR_EL1: %s", strerror(errno));
	REQUIRE(vgic_raw(gic_a, true, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			 isenabler_attr, &enable) == 0, "GICR_ISENABLER0: %s",
		strerror(errno));
	REQUIRE(kvmreg_list_get(a.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		const char *g = kvmreg_id_group(KVMREG_ARCH_ARM64, list->regs[i].id);

		vgic += g && !strncmp(g, "vgic", 4);
	}
	EXPECT(vgic >= 15, "%zu vGIC registers listed", vgic);
	REQUIRE(kvmreg_save(a.vcpu, &state) == 0, "%s", kvmreg_error());

	REQUIRE(guest_vm_create(&b, 0, &what) == 0, "%s", what);
	REQUIRE(create_gic(&b, &gic_b) == 0, "second GIC");
	REQUIRE(kvmreg_vcpu_set_gic_fd(b.vcpu, gic_b) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore_fresh(b.vcpu, state) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id, va = 0, vb = 0;
		const char *g = kvmreg_id_group(KVMREG_ARCH_ARM64, id);
		bool icc;

		if (!g || strncmp(g, "vgic", 4))
			continue;
		icc = !strcmp(g, "vgic-icc");
		compared++;
		vgic_raw(gic_a, false, icc ? KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS :
			 KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			 icc ? (id & 0xffff) : (id & 0xffff) << 2, &va);
		vgic_raw(gic_b, false, icc ? KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS :
			 KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			 icc ? (id & 0xffff) : (id & 0xffff) << 2, &vb);
		if (!icc) {
			va &= 0xffffffff;
			vb &= 0xffffffff;
		}
		if (va != vb) {
			char name[96];

			kvmreg_id_name(KVMREG_ARCH_ARM64, id, KVMREG_NAME_SHORT,
				       name, sizeof(name));
			differ++;
			EXPECT(va == vb, "%s: 0x%" PRIx64 " saved, 0x%" PRIx64 " restored",
			       name, va, vb);
		}
	}
	printf("    compared %zu vGIC registers through the device attributes: %zu differ\n",
	       compared, differ);
	EXPECT(kvmreg_vcpu_set_gic_fd(b.vcpu, -1) == 0, "%s", kvmreg_error());
	kvmreg_list_free(list);
	kvmreg_state_free(state);
	guest_vm_destroy(&b);
	guest_vm_destroy(&a);
	close(gic_a);
	close(gic_b);
}
#else
TEST(vgic_registers_of_the_vcpu_move_with_the_gic_fd)
{
	SKIP("the vGIC is arm64's");
}
#endif

TEST_MAIN("mp_state",
	  CASE(secondary_powered_off_stays_off_across_moves),
	  CASE(a_move_without_mp_state_is_noticed_by_the_guest),
	  CASE(started_secondary_stays_on_across_moves),
	  CASE(restore_into_a_fresh_vcpu_reads_back_equal_through_raw_ioctls),
	  CASE(vgic_registers_of_the_vcpu_move_with_the_gic_fd))

#else /* !GUEST_SUPPORTED */

TEST(arm64_and_riscv64_only)
{
	SKIP("the MP state and vGIC guests exist for arm64 and riscv64 only");
}

#if defined(__x86_64__)
/* What x86 has here too: the names both ways. */
TEST(mp_state_names_both_ways_on_every_arch)
{
	static const char *const arches[] = { "arm64", "riscv64", "loongarch64" };

	for (size_t i = 0; i < 3; i++) {
		enum kvmreg_arch arch = kvmreg_arch_from_name(arches[i]);
		uint64_t id = 0, back = 0;
		char name[64];

		EXPECT(kvmreg_id_parse(arch, "mp_state", &id) == 0, "%s: %s",
		       arches[i], kvmreg_error());
		EXPECT(kvmreg_id_size(id) == 4, "%s: size %zu", arches[i],
		       kvmreg_id_size(id));
		EXPECT(kvmreg_id_name(arch, id, KVMREG_NAME_MACRO, name,
				      sizeof(name)) > 0 &&
		       kvmreg_id_parse(arch, name, &back) == 0 && back == id,
		       "%s: %s", arches[i], name);
		EXPECT(kvmreg_id_restore_reason(arch, id) &&
		       strstr(kvmreg_id_restore_reason(arch, id), "MP state"),
		       "%s: %s", arches[i], kvmreg_id_restore_reason(arch, id));
	}
}
#endif

TEST_MAIN("mp_state", CASE(arm64_and_riscv64_only)
#if defined(__x86_64__)
	  , CASE(mp_state_names_both_ways_on_every_arch)
#endif
	  )

#endif
