// SPDX-License-Identifier: MIT
/*
 * riscv64 migration rules (docs/migration.md), from what
 * arch/riscv/kvm/vcpu_onereg.c does with a write before the first run:
 *
 * - isa_ext.X and sbi_ext.X (one register per extension): a listed
 *   extension may be set to its current value; to the other value only
 *   where KVM allows enabling or disabling it, which the capture probes
 *   (the mask bit says "may change"). Otherwise the write fails (EINVAL).
 * - config.isa (the single-letter extensions): KVM never refuses it, it
 *   drops letters the host lacks and keeps letters it cannot disable, so
 *   a difference is a guest that sees another machine, not an error.
 * - config.zicbo{m,z,p}_block_size: 0 or exactly the host's; satp_mode:
 *   exactly the host's. mvendorid, marchid, mimpid: any value.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/riscv64/uapi.h"
#include "core/internal.h"

#define TYPE_OF(id)	((id) & KVM_REG_RISCV_TYPE_MASK)
#define SUBTYPE_OF(id)	((id) & KVM_REG_RISCV_SUBTYPE_MASK)
#define INDEX_OF(id)	((id) & 0xffffu)

enum { CFG_ISA = 0, CFG_ZICBOM = 1, CFG_MVENDORID = 2, CFG_MARCHID = 3,
       CFG_MIMPID = 4, CFG_ZICBOZ = 5, CFG_SATP_MODE = 6, CFG_ZICBOP = 7 };

static int riscv_is_feature(uint64_t id)
{
	uint64_t type = TYPE_OF(id);

	if (kvmreg_size_of(id) != 8)
		return 0;
	if (type == KVM_REG_RISCV_CONFIG)
		return INDEX_OF(id) <= CFG_ZICBOP;
	return (type == KVM_REG_RISCV_ISA_EXT &&
		SUBTYPE_OF(id) == KVM_REG_RISCV_ISA_SINGLE) ||
	       (type == KVM_REG_RISCV_SBI_EXT &&
		SUBTYPE_OF(id) == KVM_REG_RISCV_SBI_SINGLE);
}

static uint64_t u64_of(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void reg_name(uint64_t id, char *buf, size_t len)
{
	if (kvmreg_id_name(KVMREG_ARCH_RISCV64, id, KVMREG_NAME_SHORT, buf,
			   len) < 0)
		snprintf(buf, len, "0x%016" PRIx64, id);
}

/* "VH" for the letters set in bits. */
static void letters(uint64_t bits, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int b = 0; b < 26; b++)
		if (bits & (1ull << b))
			kvmreg_appendf(buf, len, &pos, "%c", 'A' + b);
}

static enum kvmreg_feature_effect riscv_check(uint64_t id, const uint8_t *saved,
					      const uint8_t *value,
					      const uint8_t *mask, char *why,
					      size_t len)
{
	uint64_t s = u64_of(saved), d = u64_of(value), m = u64_of(mask);
	char name[96], a[32], b[32];

	reg_name(id, name, sizeof(name));
	if (TYPE_OF(id) == KVM_REG_RISCV_CONFIG) {
		switch (INDEX_OF(id)) {
		case CFG_ISA:
			if (!(s & ~d) && !(~s & d & ~m))
				return KVMREG_FEATURE_OK;
			letters(s & ~d, a, sizeof(a));
			letters(~s & d & ~m, b, sizeof(b));
			snprintf(why, len,
				 "config.isa: %s%s%s%s%s: KVM takes the write and the guest sees another ISA",
				 *a ? "the host lacks " : "", a,
				 *a && *b ? "; " : "",
				 *b ? "the host cannot disable " : "", b);
			return KVMREG_FEATURE_GUEST_DIFFERS;
		case CFG_ZICBOM:
		case CFG_ZICBOZ:
		case CFG_ZICBOP:
			if (!s || s == d)
				return KVMREG_FEATURE_OK;
			snprintf(why, len,
				 "%s is %" PRIu64 ", the host's is %" PRIu64 ": the write fails",
				 name, s, d);
			return KVMREG_FEATURE_REFUSED;
		case CFG_SATP_MODE:
			if (s == d)
				return KVMREG_FEATURE_OK;
			snprintf(why, len,
				 "satp_mode is %" PRIu64 ", the host's is %" PRIu64 ": the write fails",
				 s, d);
			return KVMREG_FEATURE_REFUSED;
		default:
			return KVMREG_FEATURE_OK;	/* any value before the first run */
		}
	}
	if (!((s ^ d) & ~m))
		return KVMREG_FEATURE_OK;
	snprintf(why, len,
		 "%s is %" PRIu64 "; the host has %" PRIu64 " and KVM does not let it %s: the write fails",
		 name, s, d, s ? "be enabled" : "be disabled");
	return KVMREG_FEATURE_REFUSED;
}

/* Both hosts: an extension on where both have it on, writable where
 * both may change it; block sizes and satp_mode must agree. */
static int riscv_meet(uint64_t id, const uint8_t *a_value, const uint8_t *a_mask,
		      const uint8_t *b_value, const uint8_t *b_mask,
		      uint8_t *out_value, uint8_t *out_mask, char *lost,
		      size_t len)
{
	uint64_t a = u64_of(a_value), b = u64_of(b_value);
	uint64_t am = u64_of(a_mask), bm = u64_of(b_mask);
	uint64_t v = a, m = am & bm;
	char name[96], l[32];
	int bits = 0;

	reg_name(id, name, sizeof(name));
	if (TYPE_OF(id) == KVM_REG_RISCV_CONFIG) {
		switch (INDEX_OF(id)) {
		case CFG_ISA:
			v = a & b;
			bits = __builtin_popcountll(a & ~b);
			letters(a & ~b, l, sizeof(l));
			if (bits)
				snprintf(lost, len, "config.isa letters %s", l);
			break;
		case CFG_ZICBOM:
		case CFG_ZICBOZ:
		case CFG_ZICBOP:
		case CFG_SATP_MODE:
			if (a != b) {
				snprintf(lost, len, "%s is %" PRIu64 " on one host, %" PRIu64 " on the other",
					 name, a, b);
				return -EINVAL;
			}
			break;
		default:
			m = am | bm;
			break;
		}
	} else if (a != b) {
		/* Off where it can be turned off on the host that has it. */
		if ((a && !(am & 1)) || (b && !(bm & 1))) {
			snprintf(lost, len, "%s is %" PRIu64 " on one host, %" PRIu64 " on the other, and cannot be turned off",
				 name, a, b);
			return -EINVAL;
		}
		v = 0;
		bits = a ? 1 : 0;
		if (bits)
			snprintf(lost, len, "%s off", name);
	}
	memcpy(out_value, &v, 8);
	memcpy(out_mask, &m, 8);
	return bits;
}

static int riscv_adapt_drop(const struct kvmreg_state *state, uint64_t id,
			    char *why, size_t len)
{
	const uint8_t *v = kvmreg_state_get(state, id);
	uint64_t type = TYPE_OF(id);

	if (v && kvmreg_size_of(id) == 8 && !u64_of(v) &&
	    ((type == KVM_REG_RISCV_ISA_EXT &&
	      SUBTYPE_OF(id) == KVM_REG_RISCV_ISA_SINGLE) ||
	     (type == KVM_REG_RISCV_SBI_EXT &&
	      SUBTYPE_OF(id) == KVM_REG_RISCV_SBI_SINGLE))) {
		snprintf(why, len,
			 "the extension is off in the state: a host without it shows the guest the same");
		return 1;
	}
	if (type == KVM_REG_RISCV_CONFIG &&
	    (INDEX_OF(id) == CFG_ZICBOM || INDEX_OF(id) == CFG_ZICBOZ ||
	     INDEX_OF(id) == CFG_ZICBOP)) {
		static const char *const ext_of[] = {
			[CFG_ZICBOM] = "isa_ext.zicbom",
			[CFG_ZICBOZ] = "isa_ext.zicboz",
			[CFG_ZICBOP] = "isa_ext.zicbop",
		};
		uint64_t ext = 0;

		kvmreg_id_parse(KVMREG_ARCH_RISCV64, ext_of[INDEX_OF(id)], &ext);
		const uint8_t *on = kvmreg_state_get(state, ext);

		if (!on || !u64_of(on)) {
			snprintf(why, len,
				 "the block size of a cache-block extension the state does not have on: the guest never uses it");
			return 1;
		}
		snprintf(why, len, "the guest uses the extension whose block size this is");
		return 0;
	}
	snprintf(why, len, "no riscv64 rule lets it go (an extension the guest has on)");
	return 0;
}

const struct kvmreg_feature_ops kvmreg_riscv64_features = {
	.is_feature = riscv_is_feature,
	.check = riscv_check,
	.meet = riscv_meet,
	.adapt_drop = riscv_adapt_drop,
};
