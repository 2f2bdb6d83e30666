// SPDX-License-Identifier: MIT
/*
 * Is kvmreg_save complete on x86_64? Two proofs on real KVM:
 *
 * - Differential: a vCPU with nondefault MTRRs, machine-check banks, PAT,
 *   registers and LAPIC state is saved with kvmreg_save and restored into a
 *   fresh vCPU of a new VM; then both vCPUs are read through a path that
 *   shares nothing with the library's list: a KVM_GET_MSRS sweep of every
 *   index in the architectural, Hyper-V/KVM and AMD ranges (one MSR per
 *   call), and the struct ioctls. Every value must agree, volatile ones
 *   aside; the case prints how many it compared.
 * - A guest that programs MTRRs and machine-check bank 0 with WRMSR, exits
 *   a few times, and reads them back with RDMSR at the end, moved into a new
 *   VM at every exit. It must find every value it wrote; restored without
 *   the MSRs the library derives from MTRRcap and MCG_CAP (the index list
 *   alone, as before), it must notice.
 */
#include "harness.h"

#ifdef __x86_64__

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "kvmreg.h"
#include "lib/guest_x86.h"
#include "lib/testutil.h"

#define X86 KVMREG_ARCH_X86_64

/* The ranges the sweep reads: architectural, Hyper-V and KVM paravirtual,
 * AMD64 and AMD family-specific. */
static const uint32_t sweep_ranges[][2] = {
	{ 0x00000000, 0x00002000 },
	{ 0x40000000, 0x40000200 },
	{ 0x4b564d00, 0x4b564e00 },
	{ 0xc0000000, 0xc0002000 },
	{ 0xc0010000, 0xc0012000 },
};

static int raw_get_msr(int vcpu_fd, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} m = { .hdr.nmsrs = 1, .entry.index = index };
	int r = ioctl(vcpu_fd, KVM_GET_MSRS, &m);

	*value = m.entry.data;
	return r;
}

static int raw_set_msr(int vcpu_fd, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} m = { .hdr.nmsrs = 1, .entry = { .index = index, .data = value } };

	return ioctl(vcpu_fd, KVM_SET_MSRS, &m);
}

/* What the guest and the host program: MSR, value. */
static const struct {
	uint32_t msr;
	uint64_t value;
	bool listed;	/* in KVM_GET_MSR_INDEX_LIST on Linux 7.2 */
} programmed[] = {
	{ 0x200, 0x0000000080000006ULL, false },	/* MTRR_PHYSBASE0: WB */
	{ 0x201, 0x00000000c0000800ULL, false },	/* MTRR_PHYSMASK0: 1 GiB, valid */
	{ 0x250, 0x0606060606060606ULL, false },	/* MTRR_FIX64K_00000 */
	{ 0x2ff, 0x0000000000000c06ULL, false },	/* MTRR_DEF_TYPE: E FE WB */
	{ 0x277, 0x0007010600070106ULL, true },		/* PAT */
	{ 0x400, 0xffffffffffffffffULL, false },	/* MC0_CTL (new vCPU: 0) */
	{ 0x402, 0x0000000912345678ULL, false },	/* MC0_ADDR */
	{ 0x403, 0x0000000000000abcULL, false },	/* MC0_MISC */
	{ 0x17a, 0x0000000000000001ULL, true },		/* MCG_STATUS: RIPV */
};
#define N_PROGRAMMED (sizeof(programmed) / sizeof(programmed[0]))

static uint32_t mask_of_unlisted(void)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < N_PROGRAMMED; i++)
		if (!programmed[i].listed)
			mask |= 1u << i;
	return mask;
}

/* ---------------------------------------------------------------- */
/* Differential                                                      */

struct struct_io {
	const char *name;
	unsigned long get;
	size_t size;
};

/* The struct ioctls a VMM saves (x86_checkpoint.c restores with them). */
static const struct struct_io structs[] = {
	{ "KVM_GET_REGS", KVM_GET_REGS, sizeof(struct kvm_regs) },
	{ "KVM_GET_SREGS", KVM_GET_SREGS, sizeof(struct kvm_sregs) },
	{ "KVM_GET_XSAVE", KVM_GET_XSAVE, sizeof(struct kvm_xsave) },
	{ "KVM_GET_XCRS", KVM_GET_XCRS, sizeof(struct kvm_xcrs) },
	{ "KVM_GET_DEBUGREGS", KVM_GET_DEBUGREGS, sizeof(struct kvm_debugregs) },
	{ "KVM_GET_LAPIC", KVM_GET_LAPIC, sizeof(struct kvm_lapic_state) },
	{ "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events) },
	{ "KVM_GET_MP_STATE", KVM_GET_MP_STATE, sizeof(struct kvm_mp_state) },
};

/* Bytes of a struct that move on their own: the APIC timer's current
 * count, which KVM_GET_LAPIC computes at each call. */
static bool volatile_byte(const struct struct_io *s, size_t off)
{
	return s->get == KVM_GET_LAPIC && off >= 0x390 && off < 0x394;
}

/* The vCPU made different from a fresh one wherever a VMM's guest would
 * leave it: the programmed MSRs, GPRs, TPR, a halted MP state. */
static int dirty(int vcpu_fd)
{
	struct kvm_regs regs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };

	for (size_t i = 0; i < N_PROGRAMMED; i++)
		if (raw_set_msr(vcpu_fd, programmed[i].msr,
				programmed[i].value) != 1)
			return -(int)programmed[i].msr - 1;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	regs.rbx = 0x1122334455667788ULL;
	regs.rip = 0x12345;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	lapic.regs[0x80] = 0x20;	/* TPR */
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0 ||
	    ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0)
		return -1;
	return 0;
}

TEST(restore_into_a_fresh_vcpu_reads_back_equal_through_raw_ioctls)
{
	struct kvmreg_scratch src, dst;
	struct kvmreg_state *state = NULL;
	size_t compared = 0, differ = 0, skipped_volatile = 0, msrs = 0;
	uint8_t *a = NULL, *b = NULL;
	uint32_t a_khz, b_khz;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &src) == 0, "%s", kvmreg_error());
	REQUIRE(dirty(src.vcpu_fd) == 0, "setting up the source vCPU");
	REQUIRE(kvmreg_save(src.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &dst) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore_fresh(dst.vcpu, state) == 0, "%s",
	       kvmreg_error());

	for (size_t r = 0; r < sizeof(sweep_ranges) / sizeof(sweep_ranges[0]); r++) {
		for (uint32_t i = sweep_ranges[r][0]; i < sweep_ranges[r][1]; i++) {
			uint64_t va, vb;
			bool ra = raw_get_msr(src.vcpu_fd, i, &va) == 1;
			bool rb = raw_get_msr(dst.vcpu_fd, i, &vb) == 1;

			EXPECT(ra == rb, "msr 0x%08" PRIx32 ": readable on the source %d, on the restored vCPU %d",
			       i, ra, rb);
			if (!ra || !rb)
				continue;
			msrs++;
			if (kvmreg_id_is_volatile(X86, 0x2030000200000000ULL | i)) {
				skipped_volatile++;
				continue;
			}
			compared++;
			if (va != vb) {
				char name[64];

				kvmreg_id_name(X86, 0x2030000200000000ULL | i,
					       KVMREG_NAME_SHORT, name, sizeof(name));
				differ++;
				EXPECT(va == vb, "%s: 0x%" PRIx64 " saved, 0x%" PRIx64 " restored",
				       name, va, vb);
			}
		}
	}
	a = calloc(1, 16384);
	b = calloc(1, 16384);
	REQUIRE(a && b, "out of memory");
	for (size_t s = 0; s < sizeof(structs) / sizeof(structs[0]); s++) {
		const struct struct_io *io = &structs[s];

		memset(a, 0, io->size);
		memset(b, 0, io->size);
		if (ioctl(src.vcpu_fd, io->get, a) < 0) {
			EXPECT(ioctl(dst.vcpu_fd, io->get, b) < 0,
			       "%s works on the restored vCPU only", io->name);
			continue;
		}
		EXPECT(ioctl(dst.vcpu_fd, io->get, b) == 0, "%s: %s", io->name,
		       strerror(errno));
		for (size_t off = 0; off < io->size; off++) {
			if (volatile_byte(io, off))
				continue;
			if (a[off] != b[off]) {
				differ++;
				EXPECT(a[off] == b[off], "%s byte %zu: 0x%02x saved, 0x%02x restored",
				       io->name, off, a[off], b[off]);
				break;
			}
		}
		compared++;
	}
	a_khz = (uint32_t)ioctl(src.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	b_khz = (uint32_t)ioctl(dst.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	EXPECT(a_khz == b_khz, "TSC: %" PRIu32 " kHz saved, %" PRIu32 " restored",
	       a_khz, b_khz);
	compared++;
	printf("    compared %zu registers (%zu MSRs answered by the sweep, %zu of them volatile, %zu structs, TSC kHz): %zu differ; the state held %zu\n",
	       compared, msrs, skipped_volatile,
	       sizeof(structs) / sizeof(structs[0]), differ,
	       kvmreg_state_count(state));
	free(a);
	free(b);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&dst);
	kvmreg_scratch_destroy(&src);
}

/* Every MSR the sweep finds is either in the state, or left out for a
 * reason docs/arch-x86.md gives: the state's MSRs cover the sweep's except
 * the stubs and mirrors named there. */
TEST(state_holds_every_msr_the_sweep_finds_but_the_documented_ones)
{
	/* Constant stubs (reads fixed values, writes ignored or refused),
	 * the read-only MTRRcap, mirrors of sregs state and the x2APIC range
	 * (the LAPIC page); MSRs whose feature this guest's CPUID lacks (KVM
	 * answers the host's read, the guest's faults): docs/arch-x86.md,
	 * "MSRs not saved". */
	static const uint32_t not_saved[] = {
		0x0, 0x1, 0x17, 0x1b, 0x2a, 0x2c, 0xcd, 0xfe, 0x11e, 0x198,
		0x199, 0x606, 0x611, 0x619, 0x639, 0x641,
		0xc0000080, 0xc0000100, 0xc0000101,
		0xc0010010, 0xc001001b, 0xc001001f, 0xc0010055, 0xc0010058,
		0xc0010112, 0xc0010113, 0xc0010140, 0xc0010141, 0xc0011022,
		0xc0011023, 0xc001102a, 0xc001102c,
	};
	/* Saved when the guest's CPUID has the feature (host_msrs.c), and
	 * TSX_CTRL / TSC_RATIO when KVM lists them. */
	static const uint32_t feature_gated[] = {
		0x48, 0x122, 0x1c4, 0x1c5, 0xda0, 0xc0000103, 0xc0000104,
	};
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL;
	size_t found = 0, saved = 0, documented = 0;
	uint64_t mcg_cap = 0;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	raw_get_msr(s.vcpu_fd, 0x179, &mcg_cap);
	for (size_t r = 0; r < sizeof(sweep_ranges) / sizeof(sweep_ranges[0]); r++) {
		for (uint32_t i = sweep_ranges[r][0]; i < sweep_ranges[r][1]; i++) {
			uint64_t v;
			bool known = false;

			if (raw_get_msr(s.vcpu_fd, i, &v) != 1)
				continue;
			found++;
			if (kvmreg_state_get(state, 0x2030000200000000ULL | i)) {
				saved++;
				continue;
			}
			for (size_t k = 0; k < sizeof(not_saved) / sizeof(not_saved[0]); k++)
				known |= not_saved[k] == i;
			for (size_t k = 0; k < sizeof(feature_gated) / sizeof(feature_gated[0]); k++)
				known |= feature_gated[k] == i;
			/* MCi_CTL2 without MCG_CAP.CMCI_P: only 0 can be written */
			known |= i >= 0x280 && i < 0x2a0 && !(mcg_cap & (1u << 10));
			/* legacy PMU MSRs without a guest PMU: KVM reads 0 */
			known |= (i >= 0xc1 && i <= 0xc2) ||
				 (i >= 0x186 && i <= 0x187) ||
				 (i >= 0xc0010000 && i <= 0xc0010007) ||
				 (i >= 0x800 && i < 0x900) ||
				 (i >= 0x4b564d10 && i <= 0x4b564d13);
			documented += known;
			EXPECT(known, "msr 0x%08" PRIx32 " answers KVM_GET_MSRS but is neither saved nor documented as left out",
			       i);
		}
	}
	printf("    sweep: %zu MSRs answer, %zu saved, %zu left out for a documented reason\n",
	       found, saved, documented);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* A TSC rate this host cannot run at is refused, naming both rates. */
TEST(tsc_khz_the_host_cannot_scale_to_is_an_error_naming_both)
{
	struct kvmreg_scratch s;
	uint64_t id;
	uint32_t khz = 0, want;
	char text[32];
	int r;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_id_parse(X86, "tsc_khz", &id) == 0, "%s", kvmreg_error());
	if (kvmreg_get(s.vcpu, id, &khz)) {
		kvmreg_scratch_destroy(&s);
		SKIP("no KVM_GET_TSC_KHZ: %s", kvmreg_error());
	}
	EXPECT(khz == (uint32_t)ioctl(s.vcpu_fd, KVM_GET_TSC_KHZ, 0),
	       "tsc_khz %" PRIu32, khz);
	EXPECT(kvmreg_set(s.vcpu, id, &khz) == 0, "writing back %" PRIu32 ": %s",
	       khz, kvmreg_error());
	want = khz / 2;
	r = kvmreg_set(s.vcpu, id, &want);
	if (ioctl(s.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0) {
		EXPECT(r == 0, "with TSC scaling: %s", kvmreg_error());
	} else {
		snprintf(text, sizeof(text), "%" PRIu32 " kHz", want);
		EXPECT(r == -EOPNOTSUPP && strstr(kvmreg_error(), text),
		       "%d: %s", r, kvmreg_error());
		snprintf(text, sizeof(text), "%" PRIu32 " kHz", khz);
		EXPECT(strstr(kvmreg_error(), text), "%s", kvmreg_error());
		EXPECT((uint32_t)ioctl(s.vcpu_fd, KVM_GET_TSC_KHZ, 0) == khz,
		       "the rate changed");
	}
	kvmreg_scratch_destroy(&s);
}

/* MCG_CAP is written with KVM_X86_SETUP_MCE: a smaller bank count reads
 * back, and an impossible one is refused by name. */
TEST(mcg_cap_is_written_through_setup_mce)
{
	struct kvmreg_scratch s;
	uint64_t id, cap = 0, fewer, bad = 0;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_id_parse(X86, "IA32_MCG_CAP", &id) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id, &cap) == 0, "%s", kvmreg_error());
	REQUIRE((cap & 0xff) > 1, "MCG_CAP 0x%" PRIx64, cap);
	fewer = (cap & ~0xffULL) | 4;
	EXPECT(kvmreg_set(s.vcpu, id, &fewer) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_get(s.vcpu, id, &cap) == 0 && cap == fewer,
	       "0x%" PRIx64, cap);
	EXPECT(kvmreg_set(s.vcpu, id, &bad) == -EINVAL &&
	       strstr(kvmreg_error(), "IA32_MCG_CAP") &&
	       strstr(kvmreg_error(), "KVM_X86_SETUP_MCE"), "%s", kvmreg_error());
	kvmreg_scratch_destroy(&s);
}

/* kvmreg_restore_fresh sets MCG_CAP with KVM_X86_SETUP_MCE alone (no read
 * of the vCPU's value first), before the banks: a bank whose CTL the state
 * holds as 0 stays 0 though the setup resets every MCi_CTL to all ones. */
TEST(restore_fresh_sets_mcg_cap_without_reading_it_first)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved = NULL, *restored = NULL;
	uint64_t cap_id, ctl_id, cap = 0, fewer, zero = 0, ones = ~0ULL, got;
	uint64_t save_ioctls, restore_ioctls;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_id_parse(X86, "IA32_MCG_CAP", &cap_id) == 0 &&
		kvmreg_id_parse(X86, "IA32_MC2_CTL", &ctl_id) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(a.vcpu, cap_id, &cap) == 0 && (cap & 0xff) > 4,
		"MCG_CAP 0x%" PRIx64 ": %s", cap, kvmreg_error());
	fewer = (cap & ~0xffULL) | 4;
	REQUIRE(kvmreg_set(a.vcpu, cap_id, &fewer) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(a.vcpu, ctl_id, &got) == 0 && got == ones,
		"MC2_CTL after the setup: 0x%" PRIx64, got);
	REQUIRE(kvmreg_set(a.vcpu, ctl_id, &zero) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	save_ioctls = kvmreg_vcpu_ioctl_count(a.vcpu);
	REQUIRE(kvmreg_save(a.vcpu, &restored) == 0, "%s", kvmreg_error());
	save_ioctls = kvmreg_vcpu_ioctl_count(a.vcpu) - save_ioctls;
	kvmreg_state_free(restored);
	restored = NULL;

	REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(b.vcpu, cap_id, &got) == 0 && got != fewer,
		"a new vCPU has MCG_CAP 0x%" PRIx64, got);
	restore_ioctls = kvmreg_vcpu_ioctl_count(b.vcpu);
	REQUIRE(kvmreg_restore_fresh(b.vcpu, saved) == 0, "%s", kvmreg_error());
	restore_ioctls = kvmreg_vcpu_ioctl_count(b.vcpu) - restore_ioctls;
	/* One ioctl per group read, one per group written: a save reads
	 * MCG_CAP with the MSRs, a restore writes it with its own ioctl (and
	 * the TSC frequency, equal on one host, is read and not written). */
	EXPECT(restore_ioctls == save_ioctls + 1,
	       "restore %" PRIu64 " vCPU ioctls, save %" PRIu64, restore_ioctls,
	       save_ioctls);
	EXPECT(kvmreg_get(b.vcpu, cap_id, &got) == 0 && got == fewer,
	       "MCG_CAP 0x%" PRIx64 " after the restore", got);
	EXPECT(kvmreg_get(b.vcpu, ctl_id, &got) == 0 && got == 0,
	       "MC2_CTL 0x%" PRIx64 " after the restore", got);
	REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored vCPU differs from the saved one");
	kvmreg_state_free(restored);
	kvmreg_state_free(saved);
	kvmreg_scratch_destroy(&b);
	kvmreg_scratch_destroy(&a);
}

/* kvmreg_restore's rollback read has the vCPU's TSC frequency and MCG_CAP:
 * where they are already the state's, their writes (each a read and a
 * compare in the driver) are skipped; where MCG_CAP differs, it is
 * written. */
TEST(rollback_restore_writes_tsc_khz_and_mcg_cap_only_when_they_differ)
{
	struct kvmreg_scratch a;
	struct kvmreg_state *four = NULL, *probe = NULL;
	uint64_t cap_id, cap = 0, fewer, got = 0, saves, same, differ;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_id_parse(X86, "IA32_MCG_CAP", &cap_id) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(a.vcpu, cap_id, &cap) == 0 && (cap & 0xff) > 4,
		"MCG_CAP 0x%" PRIx64 ": %s", cap, kvmreg_error());
	fewer = (cap & ~0xffULL) | 4;
	REQUIRE(kvmreg_set(a.vcpu, cap_id, &fewer) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &four) == 0, "%s", kvmreg_error());
	saves = kvmreg_vcpu_ioctl_count(a.vcpu);
	REQUIRE(kvmreg_save(a.vcpu, &probe) == 0, "%s", kvmreg_error());
	saves = kvmreg_vcpu_ioctl_count(a.vcpu) - saves;

	/* The values the vCPU holds: one read per group, then one write per
	 * group but the TSC frequency and MCG_CAP (one group fewer than the
	 * read, which takes MCG_CAP with the MSRs). */
	same = kvmreg_vcpu_ioctl_count(a.vcpu);
	REQUIRE(kvmreg_restore(a.vcpu, four) == 0, "%s", kvmreg_error());
	same = kvmreg_vcpu_ioctl_count(a.vcpu) - same;
	EXPECT(same == 2 * saves - 1, "restore of the held values: %" PRIu64
	       " vCPU ioctls, a save %" PRIu64, same, saves);

	/* MCG_CAP back to the host's default: the restore must set it. */
	REQUIRE(kvmreg_set(a.vcpu, cap_id, &cap) == 0, "%s", kvmreg_error());
	differ = kvmreg_vcpu_ioctl_count(a.vcpu);
	REQUIRE(kvmreg_restore(a.vcpu, four) == 0, "%s", kvmreg_error());
	differ = kvmreg_vcpu_ioctl_count(a.vcpu) - differ;
	EXPECT(kvmreg_get(a.vcpu, cap_id, &got) == 0 && got == fewer,
	       "MCG_CAP 0x%" PRIx64 " after the restore, 0x%" PRIx64 " saved",
	       got, fewer);
	/* the driver's read, then KVM_X86_SETUP_MCE */
	EXPECT(differ == same + 2, "restore that changes MCG_CAP: %" PRIu64
	       " vCPU ioctls, %" PRIu64 " without the change", differ, same);
	kvmreg_state_free(probe);
	kvmreg_state_free(four);
	kvmreg_scratch_destroy(&a);
}

/* Nested state: listed in chunks, saved and restored whole, where the
 * host's KVM has nested virtualization and the guest's CPUID VMX or SVM. */
TEST(nested_state_round_trips_when_the_vm_has_nesting)
{
	struct kvmreg_scratch src, dst;
	struct kvmreg_state *state = NULL;
	struct kvmreg_list *list = NULL;
	uint8_t *a, *b;
	size_t chunks = 0;
	int size;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &src) == 0, "%s", kvmreg_error());
	size = ioctl(src.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NESTED_STATE);
	if (size <= 0) {
		kvmreg_scratch_destroy(&src);
		SKIP("KVM_CAP_NESTED_STATE is %d: this host's KVM has no nested virtualization (kvm_intel/kvm_amd nested=0, or a vendor module such as kvm_pvm without it)",
		     size);
	}
	REQUIRE(kvmreg_list_get(src.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++)
		chunks += !strncmp(kvmreg_id_group(KVMREG_ARCH_X86_64, list->regs[i].id) ?
				   kvmreg_id_group(KVMREG_ARCH_X86_64, list->regs[i].id) : "",
				   "nested", 7);
	kvmreg_list_free(list);
	if (!chunks) {
		kvmreg_scratch_destroy(&src);
		SKIP("the scratch vCPU's CPUID offers neither VMX nor SVM");
	}
	EXPECT(chunks == ((size_t)size + 255) / 256, "%zu chunks for %d bytes",
	       chunks, size);
	REQUIRE(kvmreg_save(src.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &dst) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore_fresh(dst.vcpu, state) == 0, "%s", kvmreg_error());
	a = calloc(1, (size_t)size);
	b = calloc(1, (size_t)size);
	REQUIRE(a && b, "out of memory");
	((struct kvm_nested_state *)a)->size = (uint32_t)size;
	((struct kvm_nested_state *)b)->size = (uint32_t)size;
	EXPECT(ioctl(src.vcpu_fd, KVM_GET_NESTED_STATE, a) == 0 &&
	       ioctl(dst.vcpu_fd, KVM_GET_NESTED_STATE, b) == 0 &&
	       !memcmp(a, b, (size_t)size), "nested state differs after restore");
	printf("    nested state: %d bytes, %zu chunks\n", size, chunks);
	free(a);
	free(b);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&dst);
	kvmreg_scratch_destroy(&src);
}

/* ---------------------------------------------------------------- */
/* The guest                                                         */

#define STEPS 6

/*
 * rsi: the table of programmed (msr u32, pad u32, value u64), rdi: its
 * length. WRMSR each, OUT to PORT_STEP STEPS times, then RDMSR each and
 * OUT to PORT_DONE the mask of entries that came back different.
 */
__asm__(
"	.pushsection .rodata.x86_coverage_guest, \"a\"\n"
"	.globl x86_coverage_guest_begin\n"
"	.globl x86_coverage_guest_end\n"
"x86_coverage_guest_begin:\n"
"	mov %rsi, %r12\n"
"	mov %rdi, %r13\n"
"	mov %r12, %rsi\n"
"	mov %r13, %r8\n"
"1:	mov (%rsi), %ecx\n"
"	mov 8(%rsi), %eax\n"
"	mov 12(%rsi), %edx\n"
"	wrmsr\n"
"	add $16, %rsi\n"
"	dec %r8\n"
"	jnz 1b\n"
"	mov $" "6" ", %r9d\n"
"2:	mov %r9d, %eax\n"
"	out %al, $0xe9\n"
"	dec %r9d\n"
"	jnz 2b\n"
"	mov %r12, %rsi\n"
"	mov %r13, %r8\n"
"	xor %ebx, %ebx\n"
"	mov $1, %r10d\n"
"3:	mov (%rsi), %ecx\n"
"	rdmsr\n"
"	cmp 8(%rsi), %eax\n"
"	jne 4f\n"
"	cmp 12(%rsi), %edx\n"
"	je 5f\n"
"4:	or %r10d, %ebx\n"
"5:	shl $1, %r10d\n"
"	add $16, %rsi\n"
"	dec %r8\n"
"	jnz 3b\n"
"	mov %ebx, %eax\n"
"	mov $0xea, %dx\n"
"	out %eax, (%dx)\n"
"6:	hlt\n"
"	jmp 6b\n"
"x86_coverage_guest_end:\n"
"	.popsection\n");
extern const uint8_t x86_coverage_guest_begin[], x86_coverage_guest_end[];

_Static_assert(STEPS == 6, "the guest's loop count is spelled out above");

#define TABLE_GPA GUEST_X86_SCRATCH

static int kvm_fd = -1;

/* Drop from state the MSRs the vCPU lists as derived: what a save of the
 * index list alone would hold. */
static struct kvmreg_state *without_derived(struct kvmreg_vcpu *vcpu,
					    const struct kvmreg_state *state)
{
	struct kvmreg_list *list = NULL;
	struct kvmreg_state *out = kvmreg_state_new(X86);

	if (!out || kvmreg_list_get(vcpu, 0, &list))
		return NULL;
	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		uint64_t id;
		const void *v;
		bool derived = false;

		kvmreg_state_at(state, i, &id, &v);
		for (size_t k = 0; k < list->count; k++)
			derived |= list->regs[k].id == id &&
				   list->regs[k].source == KVMREG_SRC_DERIVED;
		if (!derived)
			kvmreg_state_set(out, id, v, kvmreg_id_size(id));
	}
	kvmreg_list_free(list);
	return out;
}

/* Save the vCPU with the library, move RAM and vCPU into a new VM. */
static int move(struct guest_x86_vm *vm, bool careless, char *why,
		size_t len)
{
	struct kvmreg_vcpu *vcpu = NULL;
	struct kvmreg_state *state = NULL, *partial;
	uint8_t *ram = malloc(GUEST_X86_RAM_SIZE);
	const char *what = "";
	int err = ram ? guest_x86_complete_io(vm) : -ENOMEM;

	if (!err)
		err = kvmreg_vcpu_attach(kvm_fd, vm->vm_fd, vm->vcpu_fd, &vcpu);
	if (!err)
		err = kvmreg_save(vcpu, &state);
	if (!err && careless) {
		partial = without_derived(vcpu, state);
		kvmreg_state_free(state);
		state = partial;
		err = state ? 0 : -ENOMEM;
	}
	kvmreg_vcpu_detach(vcpu);
	vcpu = NULL;
	if (err) {
		snprintf(why, len, "save: %s", kvmreg_error());
		goto out;
	}
	memcpy(ram, vm->ram, GUEST_X86_RAM_SIZE);
	guest_x86_vm_destroy(vm);
	err = guest_x86_vm_create(kvm_fd, GUEST_X86_IRQCHIP, vm, &what);
	if (err) {
		snprintf(why, len, "new VM: %s: %s", what, strerror(-err));
		goto out;
	}
	memcpy(vm->ram, ram, GUEST_X86_RAM_SIZE);
	err = kvmreg_vcpu_attach(kvm_fd, vm->vm_fd, vm->vcpu_fd, &vcpu);
	if (!err)
		err = kvmreg_restore_fresh(vcpu, state);
	if (err)
		snprintf(why, len, "restore: %s", kvmreg_error());
	kvmreg_vcpu_detach(vcpu);
out:
	kvmreg_state_free(state);
	free(ram);
	return err;
}

/* Runs the guest, moved at every step (move_at_steps) or never; *mask: what
 * it reported. 0 or -1 with why. */
static int run_guest(bool move_at_steps, bool careless, uint32_t *mask,
		     char *why, size_t len)
{
	struct guest_x86_vm vm;
	struct kvm_cpuid2 *cpuid = guest_x86_program_cpuid(kvm_fd);
	const char *what = "";
	unsigned int steps = 0;
	int err;

	if (!cpuid) {
		snprintf(why, len, "CPUID: %s", strerror(errno));
		return -1;
	}
	err = guest_x86_vm_create(kvm_fd, GUEST_X86_IRQCHIP, &vm, &what);
	if (err) {
		snprintf(why, len, "VM: %s: %s", what, strerror(-err));
		free(cpuid);
		return -1;
	}
	err = ioctl(vm.vcpu_fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (!err)
		err = guest_x86_load(&vm, x86_coverage_guest_begin,
				     (size_t)(x86_coverage_guest_end -
					      x86_coverage_guest_begin));
	for (size_t i = 0; !err && i < N_PROGRAMMED; i++) {
		uint8_t *e = vm.ram + TABLE_GPA + 16 * i;
		uint32_t msr = programmed[i].msr, pad = 0;

		memcpy(e, &msr, 4);
		memcpy(e + 4, &pad, 4);
		memcpy(e + 8, &programmed[i].value, 8);
	}
	if (!err)
		err = guest_x86_enter_long_mode(&vm, 0, N_PROGRAMMED, TABLE_GPA, 0);
	if (err) {
		snprintf(why, len, "loading the guest: %s", strerror(-err));
		guest_x86_vm_destroy(&vm);
		return -1;
	}
	for (;;) {
		err = guest_x86_run(&vm);
		if (err) {
			snprintf(why, len, "KVM_RUN: %s", strerror(-err));
			break;
		}
		if (vm.run->exit_reason == KVM_EXIT_IO &&
		    vm.run->io.port == GUEST_X86_PORT_DONE) {
			memcpy(mask, (uint8_t *)vm.run + vm.run->io.data_offset, 4);
			break;
		}
		if (vm.run->exit_reason != KVM_EXIT_IO ||
		    vm.run->io.port != GUEST_X86_PORT_STEP || ++steps > STEPS) {
			snprintf(why, len, "unexpected exit %u after %u steps",
				 vm.run->exit_reason, steps);
			err = -1;
			break;
		}
		if (move_at_steps) {
			err = move(&vm, careless, why, len);
			if (err)
				break;
		}
	}
	guest_x86_vm_destroy(&vm);
	if (!err && steps != STEPS) {
		snprintf(why, len, "%u steps, not %d", steps, STEPS);
		err = -1;
	}
	return err ? -1 : 0;
}

#define NEED_GUEST()							\
	do {								\
		NEED_KVM();						\
		if (kvm_fd < 0)						\
			kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);	\
		REQUIRE(kvm_fd >= 0, "/dev/kvm: %s", strerror(errno));	\
	} while (0)

/* The guest finds every value it wrote, moved into new VMs at every step
 * or never. */
static void expect_guest_finds_all(bool move_at_steps)
{
	uint32_t mask = ~0u;
	char why[256];

	NEED_GUEST();
	REQUIRE(run_guest(move_at_steps, false, &mask, why, sizeof(why)) == 0,
		"%s", why);
	EXPECT(mask == 0, "entries that read back different: 0x%" PRIx32, mask);
	printf("    %d moves into new VMs, %zu MSRs programmed and found\n",
	       move_at_steps ? STEPS : 0, N_PROGRAMMED);
}

TEST(guest_finds_its_mtrrs_and_mce_bank_when_never_moved)
{
	expect_guest_finds_all(false);
}

TEST(guest_finds_its_mtrrs_and_mce_bank_after_a_move_at_every_step)
{
	expect_guest_finds_all(true);
}

/* The index list alone (the library before it derived MSRs from MTRRcap
 * and MCG_CAP): the guest notices exactly the MTRRs and the bank. */
TEST(guest_notices_a_restore_of_the_index_list_alone)
{
	uint32_t mask = 0;
	char why[256];

	NEED_GUEST();
	REQUIRE(run_guest(true, true, &mask, why, sizeof(why)) == 0, "%s", why);
	EXPECT(mask == mask_of_unlisted(), "mask 0x%" PRIx32 ", expected 0x%" PRIx32,
	       mask, mask_of_unlisted());
}

TEST_MAIN("x86_coverage",
	  CASE(restore_into_a_fresh_vcpu_reads_back_equal_through_raw_ioctls),
	  CASE(state_holds_every_msr_the_sweep_finds_but_the_documented_ones),
	  CASE(tsc_khz_the_host_cannot_scale_to_is_an_error_naming_both),
	  CASE(mcg_cap_is_written_through_setup_mce),
	  CASE(restore_fresh_sets_mcg_cap_without_reading_it_first),
	  CASE(rollback_restore_writes_tsc_khz_and_mcg_cap_only_when_they_differ),
	  CASE(nested_state_round_trips_when_the_vm_has_nesting),
	  CASE(guest_finds_its_mtrrs_and_mce_bank_when_never_moved),
	  CASE(guest_finds_its_mtrrs_and_mce_bank_after_a_move_at_every_step),
	  CASE(guest_notices_a_restore_of_the_index_list_alone))

#else /* !__x86_64__ */

TEST(x86_only)
{
	SKIP("an x86_64 guest: not on this architecture");
}

TEST_MAIN("x86_coverage", CASE(x86_only))

#endif
