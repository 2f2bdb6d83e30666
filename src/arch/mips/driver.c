// SPDX-License-Identifier: MIT
/*
 * mips: names only. GPRs and the KVM timer controls from the uapi, the CP0
 * register ids from arch/mips/include/asm/kvm_host.h (the kernel keeps
 * those out of uapi, QEMU copies them): src/arch/mips/uapi.h, generated.
 *
 * Id layout (uapi asm/kvm.h): bits 51..32 zero; 31..16 register set:
 * 0 GPRs (kvm_regs: r0..r31, hi, lo, pc), 1 CP0 (15..8: 0 main CP0 with
 * 8 * rd + sel below, 1 MAARs), 2 KVM controls, 3 FPU/MSA (15..8: 0 FPRs
 * whose size says 32-bit FPR, 64-bit FPR or 128-bit MSA vector, 1 FCRs,
 * 2 MSA control; bits 7..5 zero).
 */
#include <errno.h>
#include <inttypes.h>

#include "arch/arch.h"
#include "arch/common/flat_names.h"
#include "arch/mips/uapi.h"
#include "internal.h"

#define REG(macro, group) { macro, #macro, group, false }

static const struct kvmreg_flat_reg mips_regs[] = {
	REG(KVM_REG_MIPS_HI, "gp"),
	REG(KVM_REG_MIPS_LO, "gp"),
	REG(KVM_REG_MIPS_PC, "gp"),
	REG(KVM_REG_MIPS_CP0_INDEX, "cp0"),
	REG(KVM_REG_MIPS_CP0_ENTRYLO0, "cp0"),
	REG(KVM_REG_MIPS_CP0_ENTRYLO1, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONTEXT, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONTEXTCONFIG, "cp0"),
	REG(KVM_REG_MIPS_CP0_USERLOCAL, "cp0"),
	REG(KVM_REG_MIPS_CP0_XCONTEXTCONFIG, "cp0"),
	REG(KVM_REG_MIPS_CP0_PAGEMASK, "cp0"),
	REG(KVM_REG_MIPS_CP0_PAGEGRAIN, "cp0"),
	REG(KVM_REG_MIPS_CP0_SEGCTL0, "cp0"),
	REG(KVM_REG_MIPS_CP0_SEGCTL1, "cp0"),
	REG(KVM_REG_MIPS_CP0_SEGCTL2, "cp0"),
	REG(KVM_REG_MIPS_CP0_PWBASE, "cp0"),
	REG(KVM_REG_MIPS_CP0_PWFIELD, "cp0"),
	REG(KVM_REG_MIPS_CP0_PWSIZE, "cp0"),
	REG(KVM_REG_MIPS_CP0_WIRED, "cp0"),
	REG(KVM_REG_MIPS_CP0_PWCTL, "cp0"),
	REG(KVM_REG_MIPS_CP0_HWRENA, "cp0"),
	REG(KVM_REG_MIPS_CP0_BADVADDR, "cp0"),
	REG(KVM_REG_MIPS_CP0_BADINSTR, "cp0"),
	REG(KVM_REG_MIPS_CP0_BADINSTRP, "cp0"),
	/* Count ticks, and Cause.TI / Cause.IP rise with the timer and
	 * external interrupts, without the guest writing them. */
	{ KVM_REG_MIPS_CP0_COUNT, "KVM_REG_MIPS_CP0_COUNT", "cp0", true },
	REG(KVM_REG_MIPS_CP0_ENTRYHI, "cp0"),
	REG(KVM_REG_MIPS_CP0_COMPARE, "cp0"),
	REG(KVM_REG_MIPS_CP0_STATUS, "cp0"),
	REG(KVM_REG_MIPS_CP0_INTCTL, "cp0"),
	{ KVM_REG_MIPS_CP0_CAUSE, "KVM_REG_MIPS_CP0_CAUSE", "cp0", true },
	REG(KVM_REG_MIPS_CP0_EPC, "cp0"),
	REG(KVM_REG_MIPS_CP0_PRID, "cp0"),
	REG(KVM_REG_MIPS_CP0_EBASE, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG1, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG2, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG3, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG4, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG5, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG6, "cp0"),
	REG(KVM_REG_MIPS_CP0_CONFIG7, "cp0"),
	REG(KVM_REG_MIPS_CP0_MAARI, "cp0"),
	REG(KVM_REG_MIPS_CP0_XCONTEXT, "cp0"),
	REG(KVM_REG_MIPS_CP0_DIAG, "cp0"),
	REG(KVM_REG_MIPS_CP0_ERROREPC, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH1, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH2, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH3, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH4, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH5, "cp0"),
	REG(KVM_REG_MIPS_CP0_KSCRATCH6, "cp0"),
	REG(KVM_REG_MIPS_COUNT_CTL, "kvm"),
	REG(KVM_REG_MIPS_COUNT_RESUME, "kvm"),
	REG(KVM_REG_MIPS_COUNT_HZ, "kvm"),
	REG(KVM_REG_MIPS_FCR_IR, "fpu"),
	REG(KVM_REG_MIPS_FCR_CSR, "fpu"),
	REG(KVM_REG_MIPS_MSA_IR, "msa"),
	REG(KVM_REG_MIPS_MSA_CSR, "msa"),
};

/* kvm_regs.gpr[n] is KVM_REG_MIPS_R<n>: a family the uapi spells out. */
_Static_assert(KVM_REG_MIPS_R31 == KVM_REG_MIPS_R0 + 31, "R family");

#define FAMILY(macro, name, count, group) \
	{ macro(0), count, name, group, false, false }

static const struct kvmreg_flat_family mips_families[] = {
	{ KVM_REG_MIPS_R0, 32, "KVM_REG_MIPS_R", "gp", false, true },
	FAMILY(KVM_REG_MIPS_CP0_MAAR, "KVM_REG_MIPS_CP0_MAAR", 64, "cp0"),
	FAMILY(KVM_REG_MIPS_FPR_32, "KVM_REG_MIPS_FPR_32", 32, "fpu"),
	FAMILY(KVM_REG_MIPS_FPR_64, "KVM_REG_MIPS_FPR_64", 32, "fpu"),
	FAMILY(KVM_REG_MIPS_VEC_128, "KVM_REG_MIPS_VEC_128", 32, "msa"),
};

static const struct kvmreg_flat_arch mips_names = {
	.name = "mips",
	.macro_prefix = "KVM_REG_MIPS_",
	.regs = mips_regs,
	.n_regs = KVMREG_ARRAY_SIZE(mips_regs),
	.families = mips_families,
	.n_families = KVMREG_ARRAY_SIZE(mips_families),
};

#define MIPS_SET(id)	((unsigned int)(((id) >> 16) & 0xffff))
#define MIPS_SUBSET(id)	((unsigned int)(((id) >> 8) & 0xff))

static int mips_id_check(uint64_t id)
{
	int err = kvmreg_flat_check(&mips_names, id);

	if (err)
		return err;
	/* kvm_regs is 35 registers: there is no GPR set index beyond pc. */
	if (MIPS_SET(id) == 0 && (id & 0xffff) > 34)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": mips GPR index %u is out of range (0..31 r0..r31, 32 hi, 33 lo, 34 pc)",
					id, (unsigned int)(id & 0xffff));
	if (MIPS_SET(id) == 3 && MIPS_SUBSET(id) == 0 && (id & 0xe0))
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 7..5 of a mips FPR id must be zero",
					id);
	return 0;
}

static int mips_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
			size_t len)
{
	return kvmreg_flat_name(&mips_names, id, style, buf, len);
}

static int mips_id_parse(const char *name, uint64_t *id)
{
	return kvmreg_flat_parse(&mips_names, name, id);
}

static const char *mips_id_group(uint64_t id)
{
	static const char *const sets[] = { "gp", "cp0", "kvm", "fpu" };
	const char *group = kvmreg_flat_group(&mips_names, id);

	if (group)
		return group;
	return MIPS_SET(id) < KVMREG_ARRAY_SIZE(sets) ? sets[MIPS_SET(id)] :
	       NULL;
}

static int mips_id_is_volatile(uint64_t id)
{
	return kvmreg_flat_is_volatile(&mips_names, id);
}

static int mips_known_ids(struct kvmreg_idvec *out)
{
	return kvmreg_flat_known_ids(&mips_names, out);
}

static const char *const mips_aliases[] = { "mips64", "mips64el", "mipsel",
					    NULL };

const struct kvmreg_arch_driver kvmreg_arch_mips = {
	.arch = KVMREG_ARCH_MIPS,
	.name = "mips",
	.aliases = mips_aliases,
	.kvm_reg_arch = KVM_REG_MIPS,
	.id_check = mips_id_check,
	.id_name = mips_id_name,
	.id_parse = mips_id_parse,
	.id_group = mips_id_group,
	.id_is_volatile = mips_id_is_volatile,
	.known_ids = mips_known_ids,
};
