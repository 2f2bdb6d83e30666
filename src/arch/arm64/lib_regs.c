// SPDX-License-Identifier: MIT
/*
 * arm64 library-defined registers (private.h, docs/ids.md): the vCPU's MP
 * state, and, when the VMM hands the library its GICv3 device fd
 * (kvmreg_vcpu_set_gic_fd), this vCPU's part of the vGIC: its CPU
 * interface (ICC_*) and its redistributor. The distributor is VM-wide and
 * stays the VMM's, as in QEMU and Firecracker. Names, checks and restore
 * ranks; the ioctls are in host.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arch/arm64/private.h"
#include "arch/common/mp_state.h"
#include "internal.h"

#define MP_STATE_MACRO "KVMREG_ARM64_MP_STATE(mp_state)"
#define ICC_MACRO "KVMREG_ARM64_VGIC_ICC"
#define GICR_MACRO "KVMREG_ARM64_VGIC_GICR"
#define EVENTS_MACRO "KVMREG_ARM64_VCPU_EVENTS(events)"

/*
 * The CPU-interface registers KVM saves and restores through
 * KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (arch/arm64/kvm/vgic-sys-reg-v3.c,
 * gic_v3_icc_reg_descs), in QEMU's order (hw/intc/arm_gicv3_kvm.c,
 * kvm_arm_gicv3_put): SRE and CTLR first, since KVM checks the priority and
 * ID bits of CTLR against the host's and the number of active-priority
 * registers follows from them. AP0R1-3 and AP1R1-3 exist only with more
 * priority bits; the listing keeps the ones KVM answers.
 */
static const struct icc_reg {
	unsigned int enc;
	const char *name;
} icc_regs[] = {
	{ 0xc665, "ICC_SRE_EL1" },	/* 3, 0, 12, 12, 5 */
	{ 0xc664, "ICC_CTLR_EL1" },	/* 3, 0, 12, 12, 4 */
	{ 0xc666, "ICC_IGRPEN0_EL1" },	/* 3, 0, 12, 12, 6 */
	{ 0xc667, "ICC_IGRPEN1_EL1" },	/* 3, 0, 12, 12, 7 */
	{ 0xc230, "ICC_PMR_EL1" },	/* 3, 0, 4, 6, 0 */
	{ 0xc643, "ICC_BPR0_EL1" },	/* 3, 0, 12, 8, 3 */
	{ 0xc663, "ICC_BPR1_EL1" },	/* 3, 0, 12, 12, 3 */
	{ 0xc644, "ICC_AP0R0_EL1" },
	{ 0xc645, "ICC_AP0R1_EL1" },
	{ 0xc646, "ICC_AP0R2_EL1" },
	{ 0xc647, "ICC_AP0R3_EL1" },
	{ 0xc648, "ICC_AP1R0_EL1" },
	{ 0xc649, "ICC_AP1R1_EL1" },
	{ 0xc64a, "ICC_AP1R2_EL1" },
	{ 0xc64b, "ICC_AP1R3_EL1" },
};

/*
 * The redistributor registers that hold state (GIC architecture spec,
 * 12.10/12.11; KVM's vgic_v3_rd_registers and vgic_v3_sgibase_registers):
 * offsets from RD_base, SGI_base = RD_base + 0x10000. PROPBASER and
 * PENDBASER (as 32-bit halves) before CTLR, whose EnableLPIs makes them
 * read-only; the SGI/PPI group, enable, pending and active bits, their
 * priorities and PPI trigger modes. ICFGR0 (SGIs, fixed), IGRPMODR0 and
 * NSACR (no security extension in KVM's vGIC) hold nothing to restore.
 */
static const struct gicr_reg {
	uint32_t offset;
	uint32_t clear;		/* the IC* register a write clears first */
	const char *name;
} gicr_regs[] = {
	{ 0x00070, 0, "GICR_PROPBASER_LO" },
	{ 0x00074, 0, "GICR_PROPBASER_HI" },
	{ 0x00078, 0, "GICR_PENDBASER_LO" },
	{ 0x0007c, 0, "GICR_PENDBASER_HI" },
	{ 0x00000, 0, "GICR_CTLR" },
	{ 0x10080, 0, "GICR_IGROUPR0" },
	{ 0x10100, 0x10180, "GICR_ISENABLER0" },
	{ 0x10200, 0x10280, "GICR_ISPENDR0" },
	{ 0x10300, 0x10380, "GICR_ISACTIVER0" },
	{ 0x10400, 0, "GICR_IPRIORITYR0" },
	{ 0x10404, 0, "GICR_IPRIORITYR1" },
	{ 0x10408, 0, "GICR_IPRIORITYR2" },
	{ 0x1040c, 0, "GICR_IPRIORITYR3" },
	{ 0x10410, 0, "GICR_IPRIORITYR4" },
	{ 0x10414, 0, "GICR_IPRIORITYR5" },
	{ 0x10418, 0, "GICR_IPRIORITYR6" },
	{ 0x1041c, 0, "GICR_IPRIORITYR7" },
	{ 0x10c04, 0, "GICR_ICFGR1" },
};

size_t kvmreg_arm64_icc_count(void)
{
	return KVMREG_ARRAY_SIZE(icc_regs);
}

uint64_t kvmreg_arm64_icc_id(size_t i)
{
	return KVMREG_ARM64_ICC_ID(icc_regs[i].enc);
}

size_t kvmreg_arm64_gicr_count(void)
{
	return KVMREG_ARRAY_SIZE(gicr_regs);
}

uint64_t kvmreg_arm64_gicr_id(size_t i)
{
	return KVMREG_ARM64_GICR_ID(gicr_regs[i].offset);
}

static const struct icc_reg *icc_of(uint64_t id)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(icc_regs); i++)
		if (id == KVMREG_ARM64_ICC_ID(icc_regs[i].enc))
			return &icc_regs[i];
	return NULL;
}

static const struct gicr_reg *gicr_of(uint64_t id)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(gicr_regs); i++)
		if (id == KVMREG_ARM64_GICR_ID(gicr_regs[i].offset))
			return &gicr_regs[i];
	return NULL;
}

uint32_t kvmreg_arm64_gicr_clear_offset(uint32_t offset)
{
	const struct gicr_reg *r = gicr_of(KVMREG_ARM64_GICR_ID(offset));

	return r ? r->clear : 0;
}

int kvmreg_arm64_lib_check(uint64_t id)
{
	if (id == KVMREG_ARM64_MP_STATE_ID || id == KVMREG_ARM64_EVENTS_ID ||
	    icc_of(id) || gicr_of(id))
		return 0;
	return kvmreg_set_error(-EINVAL,
				"id 0x%016" PRIx64 ": coprocessor group 0x%04x is libkvmreg's (%s), and it has no such register of this size (docs/ids.md)",
				id, KVMREG_ARM64_COPROC(id),
				KVMREG_ARM64_COPROC(id) == KVMREG_ARM64_LIB_MP_STATE ?
				"mp_state" :
				KVMREG_ARM64_COPROC(id) == KVMREG_ARM64_LIB_EVENTS ?
				"events" :
				KVMREG_ARM64_COPROC(id) == KVMREG_ARM64_LIB_ICC ?
				"vGIC CPU interface" : "vGIC redistributor");
}

int kvmreg_arm64_lib_name(uint64_t id, enum kvmreg_name_style style,
			  char *buf, size_t len)
{
	const struct icc_reg *icc = icc_of(id);
	const struct gicr_reg *gicr = gicr_of(id);
	int macro = style == KVMREG_NAME_MACRO;

	if (id == KVMREG_ARM64_MP_STATE_ID)
		return kvmreg_mp_state_name(id, id, MP_STATE_MACRO, style, buf,
					    len);
	if (id == KVMREG_ARM64_EVENTS_ID)
		return snprintf(buf, len, "%s", macro ? EVENTS_MACRO : "events");
	if (icc)
		return snprintf(buf, len, macro ? ICC_MACRO "(%s)" : "vgic.%s",
				icc->name);
	if (gicr)
		return snprintf(buf, len, macro ? GICR_MACRO "(%s)" : "vgic.%s",
				gicr->name);
	return -ENOENT;
}

int kvmreg_arm64_lib_parse(const char *name, uint64_t *id)
{
	const char *rest;
	char arg[48];
	size_t n;

	if (!kvmreg_mp_state_parse(name, KVMREG_ARM64_MP_STATE_ID,
				   MP_STATE_MACRO, id))
		return 0;
	if (!strcmp(name, "events") || !strcmp(name, EVENTS_MACRO)) {
		*id = KVMREG_ARM64_EVENTS_ID;
		return 0;
	}
	rest = NULL;
	if (!strncasecmp(name, "vgic.", 5)) {
		rest = name + 5;
		n = strlen(rest);
	} else if (!strncmp(name, ICC_MACRO "(", strlen(ICC_MACRO) + 1) ||
		   !strncmp(name, GICR_MACRO "(", strlen(GICR_MACRO) + 1)) {
		rest = strchr(name, '(') + 1;
		n = strlen(rest);
		if (!n || rest[n - 1] != ')')
			return kvmreg_set_error(-EINVAL,
						"'%s': expected %s(<register>)",
						name, ICC_MACRO);
		n--;
	}
	if (!rest)
		return -ENOENT;
	if (n >= sizeof(arg))
		n = sizeof(arg) - 1;
	memcpy(arg, rest, n);
	arg[n] = '\0';
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(icc_regs); i++)
		if (!strcasecmp(arg, icc_regs[i].name)) {
			*id = KVMREG_ARM64_ICC_ID(icc_regs[i].enc);
			return 0;
		}
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(gicr_regs); i++)
		if (!strcasecmp(arg, gicr_regs[i].name)) {
			*id = KVMREG_ARM64_GICR_ID(gicr_regs[i].offset);
			return 0;
		}
	return kvmreg_set_error(-EINVAL,
				"'%s': no vGIC register of a vCPU by that name (vgic.ICC_PMR_EL1, vgic.GICR_ISENABLER0, ...: docs/arch-arm64.md)",
				name);
}

const char *kvmreg_arm64_lib_group(uint64_t id)
{
	switch (KVMREG_ARM64_COPROC(id)) {
	case KVMREG_ARM64_LIB_MP_STATE:
		return "mp_state";
	case KVMREG_ARM64_LIB_ICC:
		return "vgic-icc";
	case KVMREG_ARM64_LIB_GICR:
		return "vgic-gicr";
	case KVMREG_ARM64_LIB_EVENTS:
		return "events";
	}
	return NULL;
}

int kvmreg_arm64_lib_known(struct kvmreg_idvec *out)
{
	int err = kvmreg_idvec_push(out, KVMREG_ARM64_MP_STATE_ID);

	err = err ? err : kvmreg_idvec_push(out, KVMREG_ARM64_EVENTS_ID);
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(icc_regs); i++)
		err = kvmreg_idvec_push(out, KVMREG_ARM64_ICC_ID(icc_regs[i].enc));
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(gicr_regs); i++)
		err = kvmreg_idvec_push(out, KVMREG_ARM64_GICR_ID(gicr_regs[i].offset));
	return err;
}

/* After the vCPU's ONE_REG registers, the counter included (60 and 65 in
 * driver.c, which says why). */
enum {
	RANK_GICR = 70,
	RANK_ICC = 75,
	RANK_EVENTS = 80,
	RANK_MP_STATE = 85,
};

int kvmreg_arm64_lib_rank(uint64_t id)
{
	switch (KVMREG_ARM64_COPROC(id)) {
	case KVMREG_ARM64_LIB_GICR:
		return RANK_GICR;
	case KVMREG_ARM64_LIB_ICC:
		return RANK_ICC;
	case KVMREG_ARM64_LIB_EVENTS:
		return RANK_EVENTS;
	default:
		return RANK_MP_STATE;
	}
}

const char *kvmreg_arm64_lib_reason(uint64_t id)
{
	switch (kvmreg_arm64_lib_rank(id)) {
	case RANK_GICR:
		return "vGIC redistributor: after the vCPU's registers, as QEMU restores the GIC after the CPUs; PROPBASER/PENDBASER before GICR_CTLR (EnableLPIs freezes them)";
	case RANK_ICC:
		return "vGIC CPU interface: after the redistributor (QEMU's kvm_arm_gicv3_put), SRE and CTLR first (KVM checks the priority and ID bits)";
	case RANK_EVENTS:
		return "vCPU events: after the registers (QEMU's kvm_put_vcpu_events follows the core registers): a pending SError or external abort is injected into the state just written";
	default:
		return KVMREG_MP_STATE_REASON;
	}
}
