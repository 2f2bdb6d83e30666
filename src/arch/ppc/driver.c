// SPDX-License-Identifier: MIT
/*
 * ppc: names only, from the KVM_REG_PPC_* list of the kernel's
 * arch/powerpc/include/uapi/asm/kvm.h (src/arch/ppc/uapi.h, generated).
 * Book3S and BookE share the id space; a few numbers carry two registers
 * told apart by size (0x8c: ICP_STATE U64 and MAS0 U32; 0x8d: VP_STATE U128
 * and MAS1 U32; 0xb5: LPCR U32 and LPCR_64 U64).
 */
#include "arch/arch.h"
#include "arch/common/flat_names.h"
#include "arch/ppc/uapi.h"
#include "internal.h"

#define REG(macro, group) { macro, #macro, group, false }
/* Counters that advance, and status bits hardware sets, without the
 * guest writing them. */
#define TICKS(macro, group) { macro, #macro, group, true }

static const struct kvmreg_flat_reg ppc_regs[] = {
	REG(KVM_REG_PPC_HIOR, "spr"),
	REG(KVM_REG_PPC_IAC1, "debug"),
	REG(KVM_REG_PPC_IAC2, "debug"),
	REG(KVM_REG_PPC_IAC3, "debug"),
	REG(KVM_REG_PPC_IAC4, "debug"),
	REG(KVM_REG_PPC_DAC1, "debug"),
	REG(KVM_REG_PPC_DAC2, "debug"),
	REG(KVM_REG_PPC_DABR, "debug"),
	REG(KVM_REG_PPC_DSCR, "spr"),
	TICKS(KVM_REG_PPC_PURR, "spr"),
	TICKS(KVM_REG_PPC_SPURR, "spr"),
	REG(KVM_REG_PPC_DAR, "spr"),
	REG(KVM_REG_PPC_DSISR, "spr"),
	REG(KVM_REG_PPC_AMR, "spr"),
	REG(KVM_REG_PPC_UAMOR, "spr"),
	REG(KVM_REG_PPC_MMCR0, "pmu"),
	REG(KVM_REG_PPC_MMCR1, "pmu"),
	REG(KVM_REG_PPC_MMCRA, "pmu"),
	REG(KVM_REG_PPC_MMCR2, "pmu"),
	REG(KVM_REG_PPC_MMCRS, "pmu"),
	REG(KVM_REG_PPC_SIAR, "pmu"),
	REG(KVM_REG_PPC_SDAR, "pmu"),
	REG(KVM_REG_PPC_SIER, "pmu"),
	TICKS(KVM_REG_PPC_PMC1, "pmu"),
	TICKS(KVM_REG_PPC_PMC2, "pmu"),
	TICKS(KVM_REG_PPC_PMC3, "pmu"),
	TICKS(KVM_REG_PPC_PMC4, "pmu"),
	TICKS(KVM_REG_PPC_PMC5, "pmu"),
	TICKS(KVM_REG_PPC_PMC6, "pmu"),
	TICKS(KVM_REG_PPC_PMC7, "pmu"),
	TICKS(KVM_REG_PPC_PMC8, "pmu"),
	REG(KVM_REG_PPC_FPSCR, "fp"),
	REG(KVM_REG_PPC_VSCR, "vmx"),
	REG(KVM_REG_PPC_VPA_ADDR, "vpa"),
	REG(KVM_REG_PPC_VPA_SLB, "vpa"),
	REG(KVM_REG_PPC_VPA_DTL, "vpa"),
	REG(KVM_REG_PPC_EPCR, "booke"),
	REG(KVM_REG_PPC_EPR, "booke"),
	REG(KVM_REG_PPC_OR_TSR, "booke"),
	REG(KVM_REG_PPC_CLEAR_TSR, "booke"),
	REG(KVM_REG_PPC_TCR, "booke"),
	TICKS(KVM_REG_PPC_TSR, "booke"),
	REG(KVM_REG_PPC_DEBUG_INST, "debug"),
	REG(KVM_REG_PPC_MAS0, "booke"),
	REG(KVM_REG_PPC_MAS1, "booke"),
	REG(KVM_REG_PPC_MAS2, "booke"),
	REG(KVM_REG_PPC_MAS7_3, "booke"),
	REG(KVM_REG_PPC_MAS4, "booke"),
	REG(KVM_REG_PPC_MAS6, "booke"),
	REG(KVM_REG_PPC_MMUCFG, "booke"),
	REG(KVM_REG_PPC_TLB0CFG, "booke"),
	REG(KVM_REG_PPC_TLB1CFG, "booke"),
	REG(KVM_REG_PPC_TLB2CFG, "booke"),
	REG(KVM_REG_PPC_TLB3CFG, "booke"),
	REG(KVM_REG_PPC_TLB0PS, "booke"),
	REG(KVM_REG_PPC_TLB1PS, "booke"),
	REG(KVM_REG_PPC_TLB2PS, "booke"),
	REG(KVM_REG_PPC_TLB3PS, "booke"),
	REG(KVM_REG_PPC_EPTCFG, "booke"),
	REG(KVM_REG_PPC_TB_OFFSET, "spr"),
	TICKS(KVM_REG_PPC_SPMC1, "pmu"),
	TICKS(KVM_REG_PPC_SPMC2, "pmu"),
	REG(KVM_REG_PPC_IAMR, "spr"),
	REG(KVM_REG_PPC_TFHAR, "tm"),
	REG(KVM_REG_PPC_TFIAR, "tm"),
	REG(KVM_REG_PPC_TEXASR, "tm"),
	REG(KVM_REG_PPC_FSCR, "spr"),
	REG(KVM_REG_PPC_PSPB, "spr"),
	REG(KVM_REG_PPC_EBBHR, "spr"),
	REG(KVM_REG_PPC_EBBRR, "spr"),
	REG(KVM_REG_PPC_BESCR, "spr"),
	REG(KVM_REG_PPC_TAR, "spr"),
	/* doorbells other threads of the core raise */
	TICKS(KVM_REG_PPC_DPDES, "spr"),
	REG(KVM_REG_PPC_DAWR, "debug"),
	REG(KVM_REG_PPC_DAWRX, "debug"),
	REG(KVM_REG_PPC_CIABR, "debug"),
	TICKS(KVM_REG_PPC_IC, "spr"),
	TICKS(KVM_REG_PPC_VTB, "spr"),
	REG(KVM_REG_PPC_CSIGR, "spr"),
	REG(KVM_REG_PPC_TACR, "spr"),
	REG(KVM_REG_PPC_TCSCR, "spr"),
	REG(KVM_REG_PPC_PID, "spr"),
	REG(KVM_REG_PPC_ACOP, "spr"),
	REG(KVM_REG_PPC_VRSAVE, "vmx"),
	REG(KVM_REG_PPC_LPCR, "spr"),
	REG(KVM_REG_PPC_LPCR_64, "spr"),
	REG(KVM_REG_PPC_PPR, "spr"),
	REG(KVM_REG_PPC_ARCH_COMPAT, "spr"),
	REG(KVM_REG_PPC_DABRX, "debug"),
	REG(KVM_REG_PPC_WORT, "spr"),
	REG(KVM_REG_PPC_SPRG9, "booke"),
	REG(KVM_REG_PPC_DBSR, "debug"),
	REG(KVM_REG_PPC_TIDR, "spr"),
	REG(KVM_REG_PPC_PSSCR, "spr"),
	REG(KVM_REG_PPC_DEC_EXPIRY, "spr"),
	REG(KVM_REG_PPC_ONLINE, "spr"),
	REG(KVM_REG_PPC_PTCR, "spr"),
	REG(KVM_REG_PPC_MMCR3, "pmu"),
	REG(KVM_REG_PPC_SIER2, "pmu"),
	REG(KVM_REG_PPC_SIER3, "pmu"),
	REG(KVM_REG_PPC_DAWR1, "debug"),
	REG(KVM_REG_PPC_DAWRX1, "debug"),
	REG(KVM_REG_PPC_DEXCR, "spr"),
	REG(KVM_REG_PPC_HASHKEYR, "spr"),
	REG(KVM_REG_PPC_HASHPKEYR, "spr"),
	REG(KVM_REG_PPC_ICP_STATE, "irq"),
	REG(KVM_REG_PPC_VP_STATE, "irq"),
	REG(KVM_REG_PPC_TM_CR, "tm"),
	REG(KVM_REG_PPC_TM_LR, "tm"),
	REG(KVM_REG_PPC_TM_CTR, "tm"),
	REG(KVM_REG_PPC_TM_FPSCR, "tm"),
	REG(KVM_REG_PPC_TM_AMR, "tm"),
	REG(KVM_REG_PPC_TM_PPR, "tm"),
	REG(KVM_REG_PPC_TM_VRSAVE, "tm"),
	REG(KVM_REG_PPC_TM_VSCR, "tm"),
	REG(KVM_REG_PPC_TM_DSCR, "tm"),
	REG(KVM_REG_PPC_TM_TAR, "tm"),
	REG(KVM_REG_PPC_TM_XER, "tm"),
};

#define FAMILY(macro, last, group) \
	{ macro(0), (unsigned int)(macro(last) - macro(0) + 1), #macro, group, false, false }

static const struct kvmreg_flat_family ppc_families[] = {
	FAMILY(KVM_REG_PPC_FPR, 31, "fp"),
	FAMILY(KVM_REG_PPC_VR, 31, "vmx"),
	FAMILY(KVM_REG_PPC_VSR, 31, "vsx"),
	FAMILY(KVM_REG_PPC_TM_GPR, 31, "tm"),
	FAMILY(KVM_REG_PPC_TM_VSR, 63, "tm"),
};

_Static_assert(KVM_REG_PPC_FPR(31) == KVM_REG_PPC_FPR31, "FPR family");
_Static_assert(KVM_REG_PPC_TM_VSR(63) == KVM_REG_PPC_TM_VSR63, "TM_VSR family");

static const struct kvmreg_flat_arch ppc_names = {
	.name = "ppc",
	.macro_prefix = "KVM_REG_PPC_",
	.regs = ppc_regs,
	.n_regs = KVMREG_ARRAY_SIZE(ppc_regs),
	.families = ppc_families,
	.n_families = KVMREG_ARRAY_SIZE(ppc_families),
};

static int ppc_id_check(uint64_t id)
{
	return kvmreg_flat_check(&ppc_names, id);
}

static int ppc_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		       size_t len)
{
	return kvmreg_flat_name(&ppc_names, id, style, buf, len);
}

static int ppc_id_parse(const char *name, uint64_t *id)
{
	return kvmreg_flat_parse(&ppc_names, name, id);
}

static const char *ppc_id_group(uint64_t id)
{
	return kvmreg_flat_group(&ppc_names, id);
}

static int ppc_id_is_volatile(uint64_t id)
{
	return kvmreg_flat_is_volatile(&ppc_names, id);
}

static int ppc_known_ids(struct kvmreg_idvec *out)
{
	return kvmreg_flat_known_ids(&ppc_names, out);
}

static const char *const ppc_aliases[] = { "ppc64", "ppc64le", "powerpc",
					   NULL };

const struct kvmreg_arch_driver kvmreg_arch_ppc = {
	.arch = KVMREG_ARCH_PPC,
	.name = "ppc",
	.aliases = ppc_aliases,
	.kvm_reg_arch = KVM_REG_PPC,
	.id_check = ppc_id_check,
	.id_name = ppc_id_name,
	.id_parse = ppc_id_parse,
	.id_group = ppc_id_group,
	.id_is_volatile = ppc_id_is_volatile,
	.known_ids = ppc_known_ids,
};
