// SPDX-License-Identifier: MIT
/*
 * libkvmreg against Firecracker's x86_64 vCPU save and restore, and against
 * the hand-written floor, side by side in one process, rounds interleaved.
 *
 * The peer is Firecracker's sequence written in C from its source
 * (firecracker-microvm/firecracker at 81b38b9, 2026-08-21:
 * src/vmm/src/arch/x86_64/vcpu.rs save_state/restore_state, msr.rs,
 * vm.rs, cpu_config/x86_64/cpuid/common.rs msrs_to_save_by_cpuid,
 * builder.rs for the TSC check), on the ioctls rust-vmm's kvm-ioctls
 * issues for each call. What it does, in its order:
 *
 *   once per VM   KVM_GET_MSR_INDEX_LIST on /dev/kvm, kept if in its
 *                 serializable MSR ranges (minus MCG_CTL); the
 *                 KVM_CAP_XSAVE2 size from the VM fd
 *   once per vCPU + the MSRs its CPUID implies: BNDCFGS (MPX), the 16
 *                 variable and 11 fixed MTRRs, PAT and MTRRdefType (MTRR),
 *                 32 MCE banks 0x400..0x47f (MCE)
 *   save          GET_MP_STATE, GET_REGS, GET_SREGS, GET_XSAVE2, GET_XCRS,
 *                 GET_DEBUGREGS, GET_LAPIC, GET_TSC_KHZ, GET_CPUID2 (80
 *                 entries, zero entries dropped), GET_MSRS per 256 MSRs
 *                 (all must read), GET_VCPU_EVENTS; then a zero
 *                 TSC_DEADLINE takes the TSC's value and TSC_DEADLINE
 *                 moves to a chunk of its own, written last
 *   restore       GET_TSC_KHZ (is scaling needed? SET_TSC_KHZ if off by
 *                 more than 250 ppm), SET_CPUID2, SET_MP_STATE, SET_REGS,
 *                 SET_SREGS, SET_XSAVE, SET_XCRS, SET_DEBUGREGS,
 *                 SET_LAPIC, SET_MSRS per chunk, SET_VCPU_EVENTS,
 *                 KVM_KVMCLOCK_CTRL (its failure ignored)
 *
 * The library side is what the README tells a VMM to do: kvmreg_save() at
 * each checkpoint on the handle of the running vCPU, and for a snapshot
 * restore kvmreg_vcpu_attach() + kvmreg_restore_fresh() of the saved state
 * into a vCPU just created. The floor (bench/bench.h) issues the library's
 * own ioctls by hand. Each restore round makes a new VM with a fresh vCPU
 * per side, as a snapshot restore does.
 *
 * Every ioctl of the process goes through a counting wrapper (linked with
 * --wrap=ioctl), so the counts below include the library's VM and system
 * ioctls, not only those kvmreg_vcpu_ioctl_count() sees.
 *
 * `firecracker --callgrind` runs a few rounds for valgrind --tool=callgrind
 * (bench/callgrind-firecracker): instructions per call, which the other
 * tenants of a shared machine do not disturb.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "bench.h"
#include "kvmreg.h"

#define ROUNDS 41
#define CALLGRIND_ROUNDS 21

/* ------------------------------------------------------------------ */
/* Counting every ioctl of the process                                 */

/* vCPU ioctls have numbers from 0x80 (KVM_RUN) up; system and VM ioctls
 * (KVM_CHECK_EXTENSION, KVM_GET_MSR_INDEX_LIST, KVM_CREATE_VCPU ...) are
 * below. KVM_ENABLE_CAP, the one exception, is not issued here. The
 * attach's fd checks (src/core/vcpu.c: an ioctl whose argument KVM cannot
 * copy in, answered before the vCPU is loaded) count with the latter. */
/* Not static: the compiler must assume ioctl() changes them. */
uint64_t vcpu_ioctls, other_ioctls;

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) == KVMIO && _IOC_NR(request) >= 0x80 &&
	    arg != (void *)(uintptr_t)-4096)
		vcpu_ioctls++;
	else
		other_ioctls++;
	return __real_ioctl(fd, request, arg);
}

/* ------------------------------------------------------------------ */
/* The peer: Firecracker's sequence                                    */

#define FC_MAX_CPUID_ENTRIES 80	/* kvm-bindings' KVM_MAX_CPUID_ENTRIES */
#define FC_MAX_MSR_ENTRIES 256	/* kvm-bindings' KVM_MAX_MSR_ENTRIES */

#define MSR_IA32_TSC		0x10
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_TSC_DEADLINE	0x6e0

/* msr.rs SERIALIZABLE_MSR_RANGES: base, count. */
static const uint32_t fc_serializable[][2] = {
	{ 0x0, 1 }, { 0x1, 1 }, { 0x10, 1 }, { 0x17, 1 }, { 0x1b, 1 },
	{ 0x2a, 1 }, { 0x2c, 1 }, { 0x34, 1 }, { 0x3a, 1 }, { 0x3b, 1 },
	{ 0x48, 1 }, { 0x49, 1 }, { 0x79, 1 }, { 0x8b, 1 }, { 0x9e, 1 },
	{ 0xcd, 1 }, { 0xce, 1 }, { 0xe2, 1 }, { 0xe7, 1 }, { 0xe8, 1 },
	{ 0xfe, 1 }, { 0x11e, 1 }, { 0x174, 1 }, { 0x175, 1 }, { 0x176, 1 },
	{ 0x179, 1 }, { 0x17a, 1 }, { 0x17b, 1 }, { 0x198, 1 }, { 0x1a0, 1 },
	{ 0x1a4, 1 }, { 0x1aa, 1 }, { 0x1ad, 1 }, { 0x1ae, 1 }, { 0x1d9, 1 },
	{ 0x1db, 1 }, { 0x1dc, 1 }, { 0x1dd, 1 }, { 0x1de, 1 }, { 0x1fc, 1 },
	{ 0x200, 0x100 },	/* MTRRs, PAT */
	{ 0x3fc, 3 },		/* core C-state residencies */
	{ 0x400, 0x80 },	/* MCE banks */
	{ 0x606, 1 }, { 0x60a, 3 }, { 0x610, 1 }, { 0x611, 1 }, { 0x613, 1 },
	{ 0x614, 1 }, { 0x618, 1 }, { 0x619, 1 }, { 0x61b, 1 }, { 0x61c, 1 },
	{ 0x648, 1 }, { 0x649, 1 }, { 0x64a, 1 }, { 0x64b, 1 }, { 0x64c, 1 },
	{ 0x6e0, 1 },
	{ 0x800, 0x400 },	/* x2APIC */
	{ 0xc0000080, 1 }, { 0xc0000081, 1 }, { 0xc0000082, 1 },
	{ 0xc0000083, 1 }, { 0xc0000084, 1 }, { 0xc0000100, 1 },
	{ 0xc0000101, 1 }, { 0xc0000102, 1 }, { 0xc0000103, 1 },
	{ 0x140, 1 }, { 0xc0010015, 1 }, { 0x122, 1 }, { 0xda0, 1 },
	{ 0x4b564d00, 0x100 },	/* KVM's paravirtual MSRs */
};

static int fc_serializable_msr(uint32_t index)
{
	if (index == MSR_IA32_MCG_CTL)
		return 0;
	for (size_t i = 0; i < sizeof(fc_serializable) / sizeof(fc_serializable[0]); i++)
		if (index - fc_serializable[i][0] < fc_serializable[i][1])
			return 1;
	return 0;
}

struct fc_cpuid {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[FC_MAX_CPUID_ENTRIES];
};

static int cpuid_bit(const struct fc_cpuid *c, uint32_t fn, uint32_t index,
		     int reg, int bit)
{
	for (uint32_t i = 0; i < c->hdr.nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->e[i];
		uint32_t v = reg == 'b' ? e->ebx : reg == 'c' ? e->ecx : e->edx;

		if (e->function == fn && e->index == index && (v >> bit & 1))
			return 1;
	}
	return 0;
}

/* What a Firecracker vCPU keeps: msrs_to_save and the VM's xsave2 size. */
struct fc_vcpu {
	int fd;
	uint32_t *msrs_to_save;
	size_t n_msrs;
	size_t xsave2_size;	/* 0: no KVM_CAP_XSAVE2 */
};

static int fc_push(struct fc_vcpu *v, uint32_t index)
{
	uint32_t *p = realloc(v->msrs_to_save, (v->n_msrs + 1) * sizeof(*p));

	if (!p)
		return -1;
	v->msrs_to_save = p;
	p[v->n_msrs++] = index;
	return 0;
}

/* KvmVm::new (vm.rs) and configure_msrs_for_boot (vcpu.rs), the parts that
 * decide what save_state reads; done once, outside the timed path. */
static int fc_vcpu_init(struct fc_vcpu *v, int kvm_fd, int vm_fd, int vcpu_fd)
{
	static const uint32_t mtrr_fixed_pat_def[] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c,
		0x26d, 0x26e, 0x26f, 0x277, 0x2ff,
	};
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	struct fc_cpuid cpuid = { .hdr.nent = FC_MAX_CPUID_ENTRIES };
	int size, err = 0;

	memset(v, 0, sizeof(*v));
	v->fd = vcpu_fd;
	ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return -1;
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0)
		err = -1;
	for (uint32_t i = 0; !err && i < list->nmsrs; i++)
		if (fc_serializable_msr(list->indices[i]))
			err = fc_push(v, list->indices[i]);
	free(list);
	size = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	v->xsave2_size = size > 0 ? (size_t)size : 0;
	if (!err && ioctl(vcpu_fd, KVM_GET_CPUID2, &cpuid) < 0)
		err = -1;
	if (!err && cpuid_bit(&cpuid, 7, 0, 'b', 14))
		err = fc_push(v, 0xd90);	/* IA32_BNDCFGS */
	if (!err && cpuid_bit(&cpuid, 1, 0, 'd', 12)) {
		for (uint32_t m = 0x200; !err && m < 0x210; m++)
			err = fc_push(v, m);
		for (size_t i = 0; !err && i < sizeof(mtrr_fixed_pat_def) / sizeof(mtrr_fixed_pat_def[0]); i++)
			err = fc_push(v, mtrr_fixed_pat_def[i]);
	}
	if (!err && cpuid_bit(&cpuid, 1, 0, 'd', 7))
		for (uint32_t m = 0x400; !err && m < 0x480; m++)
			err = fc_push(v, m);
	return err;
}

/* VcpuState: what save_state returns, allocated per save as the Rust
 * (Xsave, CpuId and Msrs are heap FAM structs there). */
struct fc_state {
	struct kvm_mp_state mp_state;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave *xsave;
	size_t xsave_len;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debug_regs;
	struct kvm_lapic_state lapic;
	uint32_t tsc_khz;	/* 0: unknown */
	struct fc_cpuid *cpuid;
	struct kvm_msrs **chunks;	/* the last one: the deferred MSRs */
	size_t n_chunks;
	struct kvm_vcpu_events events;
};

static void fc_state_free(struct fc_state *s)
{
	if (!s)
		return;
	free(s->xsave);
	free(s->cpuid);
	for (size_t i = 0; i < s->n_chunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	free(s);
}

static struct kvm_msrs *msrs_new(size_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));

	if (m)
		m->nmsrs = (uint32_t)n;
	return m;
}

/* get_msr_chunks: GET_MSRS per FC_MAX_MSR_ENTRIES, every MSR must read;
 * fix_zero_tsc_deadline_msr; extract_deferred_msrs. */
static int fc_get_msr_chunks(const struct fc_vcpu *v, struct fc_state *s)
{
	size_t n_chunks = (v->n_msrs + FC_MAX_MSR_ENTRIES - 1) / FC_MAX_MSR_ENTRIES;
	uint64_t tsc = 0;
	int have_tsc = 0;
	size_t deferred = 0;

	s->chunks = calloc(n_chunks + 1, sizeof(*s->chunks));
	if (!s->chunks)
		return -1;
	for (size_t c = 0, at = 0; c < n_chunks; c++) {
		size_t len = v->n_msrs - at < FC_MAX_MSR_ENTRIES ?
			     v->n_msrs - at : FC_MAX_MSR_ENTRIES;
		struct kvm_msrs *m = msrs_new(len);

		if (!m)
			return -1;
		s->chunks[s->n_chunks++] = m;
		for (size_t i = 0; i < len; i++)
			m->entries[i].index = v->msrs_to_save[at + i];
		if (ioctl(v->fd, KVM_GET_MSRS, m) != (int)len)
			return -1;
		at += len;
	}
	for (size_t c = 0; c < s->n_chunks; c++)
		for (uint32_t i = 0; i < s->chunks[c]->nmsrs; i++) {
			struct kvm_msr_entry *e = &s->chunks[c]->entries[i];

			if (e->index == MSR_IA32_TSC && (!have_tsc || e->data > tsc)) {
				tsc = e->data;
				have_tsc = 1;
			}
			deferred += e->index == MSR_IA32_TSC_DEADLINE;
		}
	s->chunks[s->n_chunks] = msrs_new(deferred);
	if (!s->chunks[s->n_chunks])
		return -1;
	s->chunks[s->n_chunks]->nmsrs = 0;
	for (size_t c = 0; c < s->n_chunks; c++) {
		struct kvm_msrs *m = s->chunks[c];
		uint32_t kept = 0;

		for (uint32_t i = 0; i < m->nmsrs; i++) {
			struct kvm_msr_entry e = m->entries[i];

			if (e.index == MSR_IA32_TSC_DEADLINE) {
				if (have_tsc && e.data == 0)
					e.data = tsc;
				s->chunks[s->n_chunks]->entries[s->chunks[s->n_chunks]->nmsrs++] = e;
			} else {
				m->entries[kept++] = e;
			}
		}
		m->nmsrs = kept;
	}
	s->n_chunks++;
	return 0;
}

#define FC_IOCTL(fd, req, arg) \
	do { if (ioctl((fd), (req), (arg)) < 0) return -1; } while (0)

static int fc_save_into(const struct fc_vcpu *v, struct fc_state *s)
{
	int khz;

	FC_IOCTL(v->fd, KVM_GET_MP_STATE, &s->mp_state);
	FC_IOCTL(v->fd, KVM_GET_REGS, &s->regs);
	FC_IOCTL(v->fd, KVM_GET_SREGS, &s->sregs);
	s->xsave_len = v->xsave2_size ? v->xsave2_size : sizeof(struct kvm_xsave);
	s->xsave = calloc(1, s->xsave_len);
	if (!s->xsave)
		return -1;
	FC_IOCTL(v->fd, v->xsave2_size ? KVM_GET_XSAVE2 : KVM_GET_XSAVE,
		 s->xsave);
	FC_IOCTL(v->fd, KVM_GET_XCRS, &s->xcrs);
	FC_IOCTL(v->fd, KVM_GET_DEBUGREGS, &s->debug_regs);
	FC_IOCTL(v->fd, KVM_GET_LAPIC, &s->lapic);
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	s->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	s->cpuid = calloc(1, sizeof(*s->cpuid));
	if (!s->cpuid)
		return -1;
	s->cpuid->hdr.nent = FC_MAX_CPUID_ENTRIES;
	FC_IOCTL(v->fd, KVM_GET_CPUID2, s->cpuid);
	{	/* drop the zeroed entries KVM leaves past the table */
		uint32_t kept = 0;

		for (uint32_t i = 0; i < s->cpuid->hdr.nent; i++) {
			struct kvm_cpuid_entry2 *e = &s->cpuid->e[i];

			if (!(e->function == 0 && e->index == 0 && e->flags == 0 &&
			      e->eax == 0))
				s->cpuid->e[kept++] = *e;
		}
		s->cpuid->hdr.nent = kept;
	}
	if (fc_get_msr_chunks(v, s))
		return -1;
	FC_IOCTL(v->fd, KVM_GET_VCPU_EVENTS, &s->events);
	return 0;
}

__attribute__((noipa)) static struct fc_state *
fc_save(const struct fc_vcpu *v)
{
	struct fc_state *s = calloc(1, sizeof(*s));

	if (s && fc_save_into(v, s)) {
		fc_state_free(s);
		return NULL;
	}
	return s;
}

/* builder.rs' TSC check (vCPU 0 of the VM) and restore_state. */
__attribute__((noipa)) static int fc_restore(int fd,
						const struct fc_state *s)
{
	if (s->tsc_khz) {
		int khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
		int64_t diff = (int64_t)khz - (int64_t)s->tsc_khz;

		if (khz < 0)
			return -1;
		if ((diff < 0 ? -diff : diff) > (int64_t)s->tsc_khz * 250 / 1000000)
			FC_IOCTL(fd, KVM_SET_TSC_KHZ, (void *)(uintptr_t)s->tsc_khz);
	}
	FC_IOCTL(fd, KVM_SET_CPUID2, s->cpuid);
	FC_IOCTL(fd, KVM_SET_MP_STATE, &s->mp_state);
	FC_IOCTL(fd, KVM_SET_REGS, &s->regs);
	FC_IOCTL(fd, KVM_SET_SREGS, &s->sregs);
	FC_IOCTL(fd, KVM_SET_XSAVE, s->xsave);
	FC_IOCTL(fd, KVM_SET_XCRS, &s->xcrs);
	FC_IOCTL(fd, KVM_SET_DEBUGREGS, &s->debug_regs);
	FC_IOCTL(fd, KVM_SET_LAPIC, &s->lapic);
	for (size_t c = 0; c < s->n_chunks; c++)
		if (ioctl(fd, KVM_SET_MSRS, s->chunks[c]) < (int)s->chunks[c]->nmsrs)
			return -1;
	FC_IOCTL(fd, KVM_SET_VCPU_EVENTS, &s->events);
	ioctl(fd, KVM_KVMCLOCK_CTRL, 0);	/* EINVAL without kvmclock */
	return 0;
}

static size_t fc_state_msrs(const struct fc_state *s)
{
	size_t n = 0;

	for (size_t c = 0; c < s->n_chunks; c++)
		n += s->chunks[c]->nmsrs;
	return n;
}

/* ------------------------------------------------------------------ */
/* The library and the floor, one function per timed call              */

__attribute__((noipa)) static struct kvmreg_state *
lib_save(struct kvmreg_vcpu *vcpu)
{
	struct kvmreg_state *state;

	return kvmreg_save(vcpu, &state) ? NULL : state;
}

/* The attach's part of the library's restore, by round (two clock reads
 * inside the timed call, ~50 ns). */
static double lib_attach_ns[ROUNDS];

static inline struct kvmreg_vcpu *
attach_restore(int kvm_fd, int vm_fd, int fd, const struct kvmreg_state *state,
	       double *attach_ns)
{
	struct kvmreg_vcpu *vcpu;
	uint64_t t0 = attach_ns ? bench_now_ns() : 0;

	if (kvmreg_vcpu_attach(kvm_fd, vm_fd, fd, &vcpu))
		return NULL;
	if (attach_ns)
		*attach_ns = (double)(bench_now_ns() - t0);
	if (kvmreg_restore_fresh(vcpu, state)) {
		kvmreg_vcpu_detach(vcpu);
		return NULL;
	}
	return vcpu;
}

__attribute__((noipa)) static struct kvmreg_vcpu *
lib_attach_restore(int kvm_fd, int vm_fd, int fd,
		   const struct kvmreg_state *state, double *attach_ns)
{
	return attach_restore(kvm_fd, vm_fd, fd, state, attach_ns);
}

/* The same, for the state with Firecracker's MSRs (counted apart). */
__attribute__((noipa)) static struct kvmreg_vcpu *
lib_plus_attach_restore(int kvm_fd, int vm_fd, int fd,
			const struct kvmreg_state *state)
{
	return attach_restore(kvm_fd, vm_fd, fd, state, NULL);
}

__attribute__((noipa)) static int
floor_save(int fd, const struct bench_floor *f, struct bench_floor_state *st)
{
	uint64_t n = 0;

	return bench_floor_save(fd, f, st, &n);
}

__attribute__((noipa)) static int
floor_restore(int fd, const struct bench_floor *f,
	      struct bench_floor_state *st)
{
	uint64_t n = 0;

	return bench_floor_restore(fd, f, st, NULL, &n);
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

enum side { LIB, FC, FLOOR, LIB_FC_MSRS, SIDES };
static const char *const side_names[SIDES] = {
	"libkvmreg", "Firecracker sequence", "hand-written floor",
	"libkvmreg + FC's MSRs",
};

struct sample {
	double ns[ROUNDS];
	uint64_t vcpu_ioctls, other_ioctls;	/* of the last round */
};

static void die(const char *what)
{
	fprintf(stderr, "firecracker: %s: %s (%s)\n", what, kvmreg_error(),
		strerror(errno));
	exit(1);
}

/* Time one call; its ioctls go to s. */
#define MEASURE(s, r, call)						\
	do {								\
		uint64_t v0 = vcpu_ioctls, o0 = other_ioctls;		\
		uint64_t t0 = bench_now_ns();				\
		call;							\
		(s)->ns[r] = (double)(bench_now_ns() - t0);		\
		(s)->vcpu_ioctls = vcpu_ioctls - v0;			\
		(s)->other_ioctls = other_ioctls - o0;			\
	} while (0)

static size_t lib_msrs(const struct kvmreg_state *state)
{
	size_t n = 0;

	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		n += !strcmp(kvmreg_id_group(KVMREG_ARCH_X86_64, id), "msr");
	}
	return n;
}

/* MSRs Firecracker saves that the library's state lacks. */
static size_t fc_only_msrs(const struct fc_state *fs,
			   const struct kvmreg_state *ls, char *names,
			   size_t len)
{
	size_t n = 0, pos = 0;

	names[0] = '\0';
	for (size_t c = 0; c < fs->n_chunks; c++)
		for (uint32_t i = 0; i < fs->chunks[c]->nmsrs; i++) {
			uint32_t index = fs->chunks[c]->entries[i].index;
			int found = 0;

			for (size_t k = 0; !found && k < kvmreg_state_count(ls); k++) {
				uint64_t id;

				kvmreg_state_at(ls, k, &id, NULL);
				found = !strcmp(kvmreg_id_group(KVMREG_ARCH_X86_64, id), "msr") &&
					(uint32_t)id == index;
			}
			if (found)
				continue;
			n++;
			if (pos + 12 < len)
				pos += (size_t)snprintf(names + pos, len - pos,
							"%s%#x", pos ? " " : "", index);
		}
	return n;
}

/* The library's list and the MSRs only Firecracker saves: what the library
 * reads when it saves at least what Firecracker saves (kvmreg_read). */
static uint64_t *ids_with_fc_msrs(struct kvmreg_vcpu *vcpu,
				  const struct fc_state *fs,
				  const struct kvmreg_state *ls, size_t *n)
{
	struct kvmreg_list *list;
	uint64_t *ids;
	/* KVM_X86_REG_MSR(0): the kernel's ONE_REG id of an MSR, which the
	 * library uses for MSRs too (docs/ids.md) */
	const uint64_t msr_of_index = 0x2030000200000000ULL;

	if (kvmreg_list_get(vcpu, 0, &list))
		return NULL;
	ids = calloc(list->count + fc_state_msrs(fs) + 1, sizeof(*ids));
	if (!ids)
		return NULL;
	for (*n = 0; *n < list->count; (*n)++)
		ids[*n] = list->regs[*n].id;
	for (size_t c = 0; c < fs->n_chunks; c++)
		for (uint32_t i = 0; i < fs->chunks[c]->nmsrs; i++) {
			uint64_t id = msr_of_index | fs->chunks[c]->entries[i].index;

			if (!kvmreg_state_get(ls, id))
				ids[(*n)++] = id;
		}
	kvmreg_list_free(list);
	return ids;
}

__attribute__((noipa)) static struct kvmreg_state *
lib_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n)
{
	struct kvmreg_state *state = kvmreg_state_new(KVMREG_ARCH_X86_64);

	if (state && kvmreg_read(vcpu, ids, n, state, NULL)) {
		kvmreg_state_free(state);
		return NULL;
	}
	return state;
}

int main(int argc, char **argv)
{
	int callgrind = argc > 1 && !strcmp(argv[1], "--callgrind");
	int rounds = callgrind ? CALLGRIND_ROUNDS : ROUNDS;
	struct kvmreg_scratch run;
	struct kvmreg_list *list;
	struct bench_floor floor;
	struct bench_floor_state *floor_st;
	struct fc_vcpu fc;
	struct sample save[SIDES], restore[SIDES];
	struct kvmreg_state *lib_state = NULL, *plus_state = NULL;
	struct fc_state *fc_state = NULL;
	size_t lib_regs = 0, n_plus = 0;
	uint64_t *ids_plus;

	memset(save, 0, sizeof(save));
	memset(restore, 0, sizeof(restore));
	/* The running vCPU: a VM set up as a VMM does (irqchip, CPUID). */
	if (kvmreg_scratch_create(0, &run))
		die("scratch VM");
	if (kvmreg_list_get(run.vcpu, 0, &list) ||
	    bench_floor_setup(&run, list, &floor))
		die("floor setup");
	kvmreg_list_free(list);
	floor_st = bench_floor_state_new(&floor);
	if (!floor_st || fc_vcpu_init(&fc, run.kvm_fd, run.vm_fd, run.vcpu_fd))
		die("peer setup");

	/* Outside the counted functions: states to compare lists with. */
	fc_state = calloc(1, sizeof(*fc_state));
	if (kvmreg_save(run.vcpu, &lib_state) || !fc_state ||
	    fc_save_into(&fc, fc_state))
		die("first saves");
	ids_plus = ids_with_fc_msrs(run.vcpu, fc_state, lib_state, &n_plus);
	if (!ids_plus)
		die("the library's list with Firecracker's MSRs");
	plus_state = kvmreg_state_new(KVMREG_ARCH_X86_64);
	if (!plus_state || kvmreg_read(run.vcpu, ids_plus, n_plus, plus_state, NULL))
		die("kvmreg_read with Firecracker's MSRs");
	if (callgrind) {
		/* Count the steady state: the handle's list and the process's
		 * plans are made here, outside the counted functions (what
		 * a first save or restore costs more is in docs/perf.md). */
		struct kvmreg_scratch warm;
		struct kvmreg_state *first;

		if (kvmreg_save(run.vcpu, &first) || kvmreg_scratch_create(0, &warm))
			die("warm-up");
		for (int k = 1; k <= 2; k++) {
			int fd = ioctl(warm.vm_fd, KVM_CREATE_VCPU, k);
			struct kvmreg_vcpu *h = fd < 0 ? NULL :
				attach_restore(warm.kvm_fd, warm.vm_fd, fd,
					       k == 1 ? first : plus_state,
					       NULL);

			if (!h)
				die("warm-up restore");
			kvmreg_vcpu_detach(h);
			close(fd);
		}
		kvmreg_state_free(first);
		kvmreg_scratch_destroy(&warm);
	}
	for (int r = 0; r < rounds; r++) {
		struct kvmreg_scratch target;
		struct kvmreg_vcpu *attached;
		int fresh[SIDES];

		/* Saves, in an order that turns each round. */
		for (int k = 0; k < SIDES; k++) {
			enum side s = (enum side)((r + k) % SIDES);

			if (s == LIB) {
				kvmreg_state_free(lib_state);
				MEASURE(&save[s], r, lib_state = lib_save(run.vcpu));
				if (!lib_state)
					die("kvmreg_save");
				lib_regs = kvmreg_state_count(lib_state);
			} else if (s == LIB_FC_MSRS) {
				kvmreg_state_free(plus_state);
				MEASURE(&save[s], r,
					plus_state = lib_read(run.vcpu, ids_plus, n_plus));
				if (!plus_state)
					die("kvmreg_read with Firecracker's MSRs");
			} else if (s == FC) {
				fc_state_free(fc_state);
				MEASURE(&save[s], r, fc_state = fc_save(&fc));
				if (!fc_state)
					die("Firecracker save_state");
			} else {
				int err;

				MEASURE(&save[s], r,
					err = floor_save(run.vcpu_fd, &floor, floor_st));
				if (err)
					die("floor save");
			}
		}
		/* Restores, each into a fresh vCPU of a new VM. */
		if (kvmreg_scratch_create(0, &target))
			die("target VM");
		for (int s = 0; s < SIDES; s++) {
			fresh[s] = ioctl(target.vm_fd, KVM_CREATE_VCPU, 1 + s);
			if (fresh[s] < 0)
				die("KVM_CREATE_VCPU");
		}
		for (int k = 0; k < SIDES; k++) {
			enum side s = (enum side)((r + k) % SIDES);
			int err = 0;

			if (s == LIB) {
				MEASURE(&restore[s], r,
					attached = lib_attach_restore(target.kvm_fd,
								      target.vm_fd,
								      fresh[s], lib_state,
								      &lib_attach_ns[r]));
				if (!attached)
					die("kvmreg_vcpu_attach + kvmreg_restore_fresh");
				kvmreg_vcpu_detach(attached);
			} else if (s == LIB_FC_MSRS) {
				MEASURE(&restore[s], r,
					attached = lib_plus_attach_restore(target.kvm_fd,
									   target.vm_fd,
									   fresh[s],
									   plus_state));
				if (!attached)
					die("kvmreg_vcpu_attach + kvmreg_restore_fresh");
				kvmreg_vcpu_detach(attached);
			} else if (s == FC) {
				MEASURE(&restore[s], r, err = fc_restore(fresh[s], fc_state));
			} else {
				MEASURE(&restore[s], r,
					err = floor_restore(fresh[s], &floor, floor_st));
			}
			if (err)
				die(side_names[s]);
		}
		for (int s = 0; s < SIDES; s++)
			close(fresh[s]);
		kvmreg_scratch_destroy(&target);
	}

	if (callgrind) {
		printf("firecracker --callgrind: %d rounds done\n", rounds);
		return 0;
	}
	{
		char missing[1024];
		size_t fc_only = fc_only_msrs(fc_state, lib_state, missing,
					      sizeof(missing));

		printf("x86_64 vCPU save and restore, %d rounds interleaved, medians "
		       "(wall clock on a machine other jobs share: see the callgrind "
		       "instruction counts for the library's own cost)\n", rounds);
		printf("  saved: library %zu registers (%zu MSRs); Firecracker %zu MSRs "
		       "(+ regs, sregs, XSAVE, XCRs, debug regs, LAPIC, events, MP "
		       "state, %u CPUID entries, TSC kHz)\n",
		       lib_regs, lib_msrs(lib_state), fc_state_msrs(fc_state),
		       fc_state->cpuid->hdr.nent);
		printf("  MSRs Firecracker saves that the library does not: %zu%s%s\n",
		       fc_only, fc_only ? ": " : "", missing);
	}
	printf("  %-22s %12s %10s %10s   %12s %10s %10s\n", "", "save us",
	       "vCPU ioc", "VM/sys ioc", "restore us", "vCPU ioc", "VM/sys ioc");
	double med_save[SIDES], med_restore[SIDES];

	for (int s = 0; s < SIDES; s++) {
		med_save[s] = bench_median(save[s].ns, (size_t)rounds) / 1000;
		med_restore[s] = bench_median(restore[s].ns, (size_t)rounds) / 1000;
		printf("  %-22s %12.1f %10" PRIu64 " %10" PRIu64 "   %12.1f %10" PRIu64 " %10" PRIu64 "\n",
		       side_names[s], med_save[s], save[s].vcpu_ioctls,
		       save[s].other_ioctls, med_restore[s],
		       restore[s].vcpu_ioctls, restore[s].other_ioctls);
	}
	printf("  library / Firecracker: save %.3f (target <= 0.8), restore into a new vCPU %.3f (target <= 0.9)\n",
	       med_save[LIB] / med_save[FC], med_restore[LIB] / med_restore[FC]);
	printf("  library / floor:       save %.3f, restore %.3f (target <= 1.05); same vCPU ioctls: save %s, restore %s\n",
	       med_save[LIB] / med_save[FLOOR],
	       med_restore[LIB] / med_restore[FLOOR],
	       save[LIB].vcpu_ioctls == save[FLOOR].vcpu_ioctls ? "yes" : "NO",
	       restore[LIB].vcpu_ioctls == restore[FLOOR].vcpu_ioctls ? "yes" : "NO");
	{	/* the restore without the attach's fd checks */
		double alone[ROUNDS], attach = bench_median(lib_attach_ns,
							    (size_t)rounds) / 1000;

		for (int r = 0; r < rounds; r++)
			alone[r] = restore[LIB].ns[r] - lib_attach_ns[r];
		printf("  of the library's restore, kvmreg_vcpu_attach %.1f us (its fd checks); kvmreg_restore_fresh alone / floor: %.3f\n",
		       attach, bench_median(alone, (size_t)rounds) / 1000 /
		       med_restore[FLOOR]);
	}
	printf("  library + Firecracker's MSRs / Firecracker: save %.3f, restore %.3f (%zu registers, %zu MSRs)\n",
	       med_save[LIB_FC_MSRS] / med_save[FC],
	       med_restore[LIB_FC_MSRS] / med_restore[FC], n_plus,
	       lib_msrs(plus_state));
	kvmreg_state_free(lib_state);
	kvmreg_state_free(plus_state);
	free(ids_plus);
	fc_state_free(fc_state);
	bench_floor_state_free(floor_st);
	bench_floor_free(&floor);
	free(fc.msrs_to_save);
	kvmreg_scratch_destroy(&run);
	return 0;
}
