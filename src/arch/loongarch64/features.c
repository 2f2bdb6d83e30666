// SPDX-License-Identifier: MIT
/*
 * loongarch64 migration rules (docs/migration.md): the CPUCFG words, as
 * arch/loongarch/kvm/vcpu.c's kvm_check_cpucfg() takes them (Linux 7.2).
 * A capture's allowed value is the host's CPUCFG word, its mask the bits
 * KVM lets a guest have (_kvm_get_cpucfg_mask, KVM_LOONGARCH_VCPU_CPUCFG).
 * A saved word is refused if it sets a bit outside the mask, breaks the
 * architecture's implications (FP needs FPSP and FPDP, LSX needs FP, LASX
 * needs LSX, the constant timer LLFTP is required) or asks for more than
 * the host has (CPUCFG3 RVAMAX, SPW_LVL; CPUCFG6 PMU counters and width).
 * No LoongArch host with KVM is at hand here: captures with these values
 * are made by hand (kvmreg_state_set_allowed, JSON "allowed").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/common/kvm_common.h"
#include "arch/loongarch64/uapi.h"
#include "core/internal.h"

#define CPUCFG_SET	0x40000ull
#define SET_MASK	0xff0000ull

#define CFG2_FP		(1ull << 0)
#define CFG2_FPSP	(1ull << 1)
#define CFG2_FPDP	(1ull << 2)
#define CFG2_LSX	(1ull << 6)
#define CFG2_LASX	(1ull << 7)
#define CFG2_LLFTP	(1ull << 14)
#define CFG3_SPW_LVL	(7ull << 8)
#define CFG3_RVAMAX	(0xfull << 13)
#define CFG6_PMP	(1ull << 0)
#define CFG6_PMNUM	(0xfull << 4)
#define CFG6_PMBITS	(0x3full << 8)
#define CFG6_UPM	(1ull << 14)

static int cpucfg_index(uint64_t id)
{
	if ((id & 0xff00000000000000ull) != KVM_REG_LOONGARCH ||
	    (id & SET_MASK) != CPUCFG_SET || kvmreg_size_of(id) != 8)
		return -1;
	return (int)((id & KVM_CSR_IDX_MASK) >> LOONGARCH_REG_SHIFT);
}

static int la_is_feature(uint64_t id)
{
	return cpucfg_index(id) >= 0;
}

static uint64_t u64_of(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static enum kvmreg_feature_effect la_check(uint64_t id, const uint8_t *saved,
					   const uint8_t *value,
					   const uint8_t *mask, char *why,
					   size_t len)
{
	uint64_t s = u64_of(saved), d = u64_of(value), m = u64_of(mask);
	int index = cpucfg_index(id);
	const char *broken = NULL;

	if (s & ~m) {
		snprintf(why, len,
			 "cpucfg[%d] sets 0x%" PRIx64 ", bits KVM on the host does not give a guest: the write fails",
			 index, s & ~m);
		return KVMREG_FEATURE_REFUSED;
	}
	if (index == 2) {
		if (!(s & CFG2_LLFTP))
			broken = "no constant timer (LLFTP), which KVM requires";
		else if ((s & CFG2_FP) && (s & (CFG2_FPSP | CFG2_FPDP)) !=
					      (CFG2_FPSP | CFG2_FPDP))
			broken = "FP without both FPSP and FPDP";
		else if ((s & CFG2_LSX) && !(s & CFG2_FP))
			broken = "LSX without FP";
		else if ((s & CFG2_LASX) && !(s & CFG2_LSX))
			broken = "LASX without LSX";
	} else if (index == 3) {
		if ((s & CFG3_RVAMAX) > (d & CFG3_RVAMAX))
			broken = "RVAMAX above the host's";
		else if ((s & CFG3_SPW_LVL) > (d & CFG3_SPW_LVL))
			broken = "SPW_LVL above the host's";
	} else if (index == 6 && (s & CFG6_PMP)) {
		if ((s & CFG6_PMBITS) != (d & CFG6_PMBITS))
			broken = "a PMU counter width other than the host's";
		else if ((s & CFG6_PMNUM) > (d & CFG6_PMNUM))
			broken = "more PMU counters than the host has";
		else if ((s & CFG6_UPM) && !(d & CFG6_UPM))
			broken = "user-mode PMU access the host lacks";
	}
	if (!broken)
		return KVMREG_FEATURE_OK;
	snprintf(why, len, "cpucfg[%d] 0x%" PRIx64 ": %s: the write fails",
		 index, s, broken);
	return KVMREG_FEATURE_REFUSED;
}

/* Bits both hosts give, the smaller of the counted fields. */
static int la_meet(uint64_t id, const uint8_t *a_value, const uint8_t *a_mask,
		   const uint8_t *b_value, const uint8_t *b_mask,
		   uint8_t *out_value, uint8_t *out_mask, char *lost, size_t len)
{
	uint64_t a = u64_of(a_value), b = u64_of(b_value);
	uint64_t m = u64_of(a_mask) & u64_of(b_mask);
	uint64_t v = a & b & m;
	static const uint64_t counted[] = { CFG3_RVAMAX, CFG3_SPW_LVL,
					    CFG6_PMNUM };
	int index = cpucfg_index(id);

	if (index == 3 || index == 6) {
		for (size_t i = index == 6 ? 2 : 0; i < (index == 6 ? 3u : 2u); i++) {
			uint64_t f = counted[i];

			v = (v & ~f) | ((a & f) < (b & f) ? a & f : b & f);
		}
		if (index == 6 && (a & CFG6_PMBITS) != (b & CFG6_PMBITS))
			v &= ~(CFG6_PMP | CFG6_PMNUM | CFG6_PMBITS | CFG6_UPM);
	}
	memcpy(out_value, &v, 8);
	memcpy(out_mask, &m, 8);
	if (v == a)
		return 0;
	snprintf(lost, len, "cpucfg[%d] 0x%" PRIx64 " -> 0x%" PRIx64, index, a, v);
	return __builtin_popcountll(a & ~v);
}

const struct kvmreg_feature_ops kvmreg_loongarch64_features = {
	.is_feature = la_is_feature,
	.check = la_check,
	.meet = la_meet,
};
