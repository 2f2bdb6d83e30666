// SPDX-License-Identifier: MIT
/*
 * An arm64 guest that takes its virtual timer interrupt (PPI 27) through
 * the GICv3 at every step, and is moved into a new VM in the middle of each
 * interrupt: the vCPU saved with kvmreg_save after kvmreg_vcpu_set_gic_fd()
 * (so its ICC_* and redistributor state go with it), the distributor's
 * GICD_CTLR by the test, as the VMM's. Every tick must arrive. Moved without
 * the GIC fd (the vGIC's per-vCPU state left behind: ICC_PMR_EL1 0 masks
 * everything, the PPI is disabled), the guest must stop getting ticks.
 *
 * The guest, at EL1 with the MMU off: enables group 1 in GICD_CTLR, puts
 * PPI 27 in group 1 and enables it in the redistributor, opens
 * ICC_PMR_EL1 and ICC_IGRPEN1_EL1, arms CNTV and waits in WFI. Its IRQ
 * handler acknowledges (ICC_IAR1_EL1), counts, re-arms (or, after the
 * last, stops the timer: a tick that expires during the slow exit to the
 * host would otherwise be taken again at once, starving the main loop),
 * ends the interrupt (ICC_EOIR1_EL1) and reports the count by an MMIO
 * write to GUEST_MMIO_STEP; after STEPS ticks it writes the count to
 * GUEST_MMIO_DONE.
 * Anything else it takes is reported at GUEST_MMIO_DONE + 8.
 */
#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"

#if defined(__aarch64__)

#include <inttypes.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#define STEPS 10
#define GICD_BASE 0x08000000ull
#define GICR_BASE 0x080a0000ull
#define GUEST_MMIO_FAULT (GUEST_MMIO_DONE + 8)

__asm__(
"	.pushsection .rodata.vgic_timer_guest, \"a\"\n"
"	.balign 2048\n"
"	.globl vgic_timer_begin\n"
"	.globl vgic_timer_end\n"
"vgic_timer_begin:\n"
"	b 10f\n"
"	.balign 2048\n"
"vgic_timer_vectors:\n"
	/* current EL, SP_EL0: four slots; current EL, SP_ELx: sync, IRQ */
"	.rept 4\n"
"	b 30f\n"
"	.balign 128\n"
"	.endr\n"
"	b 30f\n"			/* sync */
"	.balign 128\n"
"	b 20f\n"			/* IRQ */
"	.balign 128\n"
"	.rept 10\n"
"	b 30f\n"
"	.balign 128\n"
"	.endr\n"
"10:	adr x0, vgic_timer_vectors\n"
"	msr vbar_el1, x0\n"
"	isb\n"
"	movz x1, #0x0800, lsl #16\n"	/* GICD_CTLR: ARE_NS, EnableGrp1NS */
"	mov w2, #0x12\n"
"	str w2, [x1]\n"
"	movz x1, #0x080b, lsl #16\n"	/* SGI_base of the redistributor */
"	movz w2, #0x0800, lsl #16\n"	/* bit 27: the virtual timer's PPI */
"	str w2, [x1, #0x80]\n"		/* GICR_IGROUPR0: group 1 */
"	str w2, [x1, #0x100]\n"		/* GICR_ISENABLER0 */
"	mov x2, #0xf0\n"
"	msr s3_0_c4_c6_0, x2\n"		/* ICC_PMR_EL1 */
"	mov x2, #1\n"
"	msr s3_0_c12_c12_7, x2\n"	/* ICC_IGRPEN1_EL1 */
"	isb\n"
"	mov x20, #0\n"
"	mrs x21, cntfrq_el0\n"		/* a tick every 1/64 s */
"	lsr x21, x21, #6\n"
"	msr cntv_tval_el0, x21\n"
"	mov x2, #1\n"			/* ENABLE, not masked */
"	msr cntv_ctl_el0, x2\n"
"	isb\n"
"	msr daifclr, #2\n"
"11:	wfi\n"
"	cmp x20, #" "10" "\n"
"	b.lo 11b\n"
"	msr daifset, #2\n"
"	movz x3, #0x1000, lsl #16\n"
"	str x20, [x3, #8]\n"		/* GUEST_MMIO_DONE */
"12:	b 12b\n"
"20:	mrs x4, s3_0_c12_c12_0\n"	/* ICC_IAR1_EL1 */
"	cmp x4, #27\n"
"	b.ne 21f\n"
"	add x20, x20, #1\n"
"	msr cntv_tval_el0, x21\n"
"	cmp x20, #" "10" "\n"		/* the last tick: no more */
"	b.lo 23f\n"
"	msr cntv_ctl_el0, xzr\n"
"23:	isb\n"
"	msr s3_0_c12_c12_1, x4\n"	/* ICC_EOIR1_EL1 */
"	movz x3, #0x1000, lsl #16\n"
"	str x20, [x3]\n"		/* GUEST_MMIO_STEP */
"	eret\n"
"21:	cmp x4, #1023\n"		/* spurious: nothing to end */
"	b.eq 22f\n"
"	msr s3_0_c12_c12_1, x4\n"
"22:	eret\n"
"30:	mrs x4, esr_el1\n"
"	movz x3, #0x1000, lsl #16\n"
"	str x4, [x3, #16]\n"		/* GUEST_MMIO_FAULT */
"31:	b 31b\n"
"vgic_timer_end:\n"
"	.popsection\n");
extern const uint8_t vgic_timer_begin[], vgic_timer_end[];

_Static_assert(STEPS == 10, "the guest's tick count is spelled out above");

/* A VM with the guest loaded and a GICv3 for its vCPU. */
static int vm_with_gic(struct guest_vm *vm, int *gic_fd, char *why,
		       size_t len)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_BASE, redist = GICR_BASE;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
		.addr = (uintptr_t)&dist,
	};
	const char *what = "";
	int err = guest_vm_create(vm, 0, &what);

	if (err) {
		snprintf(why, len, "VM: %s: %s", what, strerror(-err));
		return err;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
		err = -errno;
		snprintf(why, len, "no GICv3 for the guest: %s", strerror(errno));
		guest_vm_destroy(vm);
		return err;
	}
	*gic_fd = (int)dev.fd;
	if (ioctl(*gic_fd, KVM_SET_DEVICE_ATTR, &attr) == 0) {
		attr.attr = KVM_VGIC_V3_ADDR_TYPE_REDIST;
		attr.addr = (uintptr_t)&redist;
		err = ioctl(*gic_fd, KVM_SET_DEVICE_ATTR, &attr);
	} else {
		err = -1;
	}
	if (!err) {
		attr = (struct kvm_device_attr){
			.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
			.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
		};
		err = ioctl(*gic_fd, KVM_SET_DEVICE_ATTR, &attr);
	}
	if (err) {
		snprintf(why, len, "setting up the GICv3: %s", strerror(errno));
		close(*gic_fd);
		guest_vm_destroy(vm);
		return -EIO;
	}
	return 0;
}

static int gicd_ctlr(int gic_fd, bool set, uint32_t *value)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
		.attr = 0,	/* GICD_CTLR */
		.addr = (uintptr_t)value,
	};

	return ioctl(gic_fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

/*
 * Move the running guest into a new VM: the distributor's GICD_CTLR by
 * hand (the VMM's), the vCPU with the library, its vGIC state included
 * when with_gic.
 */
static int move(struct guest_vm *vm, int *gic_fd, bool with_gic, char *why,
		size_t len)
{
	struct kvmreg_state *state = NULL;
	struct guest_vm next;
	uint32_t ctlr = 0;
	int next_gic = -1, err;

	err = guest_complete_mmio(vm);
	/* careless: a save that never saw the GIC, as before the GIC fd */
	if (!err && !with_gic)
		err = kvmreg_vcpu_set_gic_fd(vm->vcpu, -1);
	if (!err && gicd_ctlr(*gic_fd, false, &ctlr))
		err = -errno;
	if (!err)
		err = kvmreg_save(vm->vcpu, &state);
	if (err) {
		snprintf(why, len, "save: %s", kvmreg_error());
		return err;
	}
	err = vm_with_gic(&next, &next_gic, why, len);
	if (err)
		goto out;
	memcpy(next.ram, vm->ram, GUEST_RAM_SIZE);
	if (gicd_ctlr(next_gic, true, &ctlr)) {
		snprintf(why, len, "GICD_CTLR: %s", strerror(errno));
		err = -EIO;
	} else if ((with_gic && kvmreg_vcpu_set_gic_fd(next.vcpu, next_gic)) ||
		   kvmreg_restore_fresh(next.vcpu, state)) {
		snprintf(why, len, "restore: %s", kvmreg_error());
		err = -EIO;
	}
	if (err) {
		close(next_gic);
		guest_vm_destroy(&next);
		goto out;
	}
	guest_vm_destroy(vm);
	close(*gic_fd);
	*vm = next;
	*gic_fd = next_gic;
out:
	kvmreg_state_free(state);
	return err;
}

/* Run STEPS ticks, moving at each (move_it); *ticks: how many arrived. */
static int run_ticks(bool move_it, bool with_gic, unsigned int *ticks,
		     char *why, size_t len)
{
	struct guest_vm vm;
	struct guest_mmio mmio;
	int gic_fd = -1, err = vm_with_gic(&vm, &gic_fd, why, len);

	*ticks = 0;
	if (err)
		return err;
	err = kvmreg_vcpu_set_gic_fd(vm.vcpu, gic_fd);
	if (!err)
		err = guest_load(&vm, vgic_timer_begin,
				 (size_t)(vgic_timer_end - vgic_timer_begin));
	if (err)
		snprintf(why, len, "loading: %s", kvmreg_error());
	while (!err) {
		err = guest_run(&vm, &mmio, why, len);
		if (err)
			break;
		if (mmio.addr == GUEST_MMIO_DONE) {
			*ticks = (unsigned int)mmio.data;
			break;
		}
		if (mmio.addr != GUEST_MMIO_STEP) {
			snprintf(why, len, "the guest took an exception, ESR 0x%" PRIx64,
				 mmio.data);
			err = -EIO;
			break;
		}
		if (mmio.data != *ticks + 1) {
			snprintf(why, len, "tick %" PRIu64 " after %u", mmio.data,
				 *ticks);
			err = -EIO;
			break;
		}
		*ticks = (unsigned int)mmio.data;
		if (move_it)
			err = move(&vm, &gic_fd, with_gic, why, len);
	}
	close(gic_fd);
	guest_vm_destroy(&vm);
	return err;
}

TEST(timer_ticks_arrive_through_the_vgic)
{
	unsigned int ticks;
	char why[256] = "";
	int err;

	NEED_KVM();
	err = run_ticks(false, true, &ticks, why, sizeof(why));
	if (err == -ENODEV || err == -ENXIO)
		SKIP("%s", why);
	REQUIRE(err == 0, "%s", why);
	EXPECT(ticks == STEPS, "%u ticks", ticks);
}

TEST(timer_ticks_arrive_after_a_move_at_every_tick)
{
	unsigned int ticks;
	char why[256] = "";

	NEED_KVM();
	REQUIRE(run_ticks(true, true, &ticks, why, sizeof(why)) == 0,
		"after %u ticks: %s", ticks, why);
	EXPECT(ticks == STEPS, "%u ticks", ticks);
	printf("    %d ticks, the vCPU and its vGIC state moved into a new VM at each\n",
	       STEPS);
}

TEST(ticks_stop_when_the_vgic_state_is_left_behind)
{
	unsigned int ticks;
	char why[256] = "";
	int err;

	NEED_KVM();
	err = run_ticks(true, false, &ticks, why, sizeof(why));
	EXPECT(err == -EIO && ticks == 1 && strstr(why, "no MMIO write"),
	       "without the GIC fd the guest got %u ticks (%s)", ticks, why);
	printf("    without the vGIC state: %u tick, then %s\n", ticks, why);
}

TEST_MAIN("arm64_vgic_timer",
	  CASE(timer_ticks_arrive_through_the_vgic),
	  CASE(timer_ticks_arrive_after_a_move_at_every_tick),
	  CASE(ticks_stop_when_the_vgic_state_is_left_behind))

#else

TEST(arm64_only)
{
	SKIP("a GICv3 guest: arm64 only");
}

TEST_MAIN("arm64_vgic_timer", CASE(arm64_only))

#endif
