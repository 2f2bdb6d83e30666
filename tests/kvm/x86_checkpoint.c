// SPDX-License-Identifier: MIT
/*
 * Continue after restore, on x86_64: the checkpoint guest (tests/lib/
 * guest_x86.h) runs 999 rounds, each ending in a port-I/O exit. At every
 * one of those exits the test saves the vCPU and RAM, destroys the VM,
 * builds a new VM and vCPU, restores, and continues; the output bytes, the
 * final digest, registers and RAM must equal an uninterrupted run's.
 *
 * Two savers: the raw KVM ioctls (MP state, regs, sregs, XSAVE, XCRs,
 * debug registers, MSRs, events, CPUID: the baseline a VMM writes by hand),
 * and the library's public API (kvmreg_save, kvmreg_state_encode/decode,
 * kvmreg_restore or kvmreg_restore_fresh). Restores that leave out one
 * piece of state show that the guest notices each piece: a test that
 * passes with a careless restore proves nothing.
 *
 * What a VMM must carry besides registers, and the test does: complete the
 * OUT before saving (KVM_RUN with immediate_exit), and without an in-kernel
 * LAPIC set kvm_run.cr8 from the saved CR8, since KVM_RUN loads CR8 from it.
 */
#include "harness.h"

#ifdef __x86_64__

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvm.h>

#include "kvmreg.h"
#include "lib/guest_x86.h"

#define ROUNDS		999
#define OUT_BYTES	(ROUNDS * 4)

/* What a run produced, compared bit for bit between runs. */
struct outcome {
	uint8_t out[OUT_BYTES];
	size_t out_len;
	bool finished;		/* reached PORT_DONE */
	uint32_t done_value;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;	/* XCR0 too: kvm_pvm never lets the guest see it */
	uint8_t *ram;
	unsigned int moves;	/* VMs the run was moved into */
};

enum saver { SAVER_RAW, SAVER_LIBRARY };

/* Pieces a raw restore can leave out, to show the guest depends on each. */
enum {
	RAW_REGS = 1u << 0,
	RAW_SREGS = 1u << 1,
	RAW_XSAVE = 1u << 2,
	RAW_XCRS = 1u << 3,
	RAW_DEBUGREGS = 1u << 4,
	RAW_MSRS = 1u << 5,
	RAW_EVENTS = 1u << 6,
	RAW_MP_STATE = 1u << 7,
	RAW_CPUID = 1u << 8,
	/* XSAVE with only the x87 and SSE components, as from FXSAVE */
	RAW_XSAVE_UPPER = 1u << 9,
	RAW_RUN_CR8 = 1u << 10,
	RAW_LAPIC = 1u << 11,
};

/* How a run is moved from VM to VM. */
struct mover {
	const char *name;
	enum saver saver;
	unsigned int vm_flags;	/* GUEST_X86_IRQCHIP */
	unsigned int at;	/* only at exit `at`; 0: at every `every`th */
	unsigned int every;	/* 0 means 1 */
	bool stop_early;	/* stop at the first output unlike the reference */
	unsigned int omit;	/* RAW_* pieces the raw restore leaves out */
	uint32_t omit_msr;	/* one MSR the raw restore leaves out */
	size_t lib_regs;	/* registers kvmreg_save saw */
	size_t snapshot_bytes;	/* size of kvmreg_state_encode's snapshot */
	unsigned int restores;
	unsigned int fresh_restores;
};

static int kvm_fd = -1;
static struct kvm_cpuid2 *program_cpuid;
static struct guest_x86_checkpoint_params params;
static struct outcome reference;
static bool have_reference;
static char reference_why[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN (triple fault)";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	default: return "other";
	}
}

static int new_vm(unsigned int flags, struct guest_x86_vm *vm, char *why,
		  size_t why_len)
{
	const char *what = "";
	int err = guest_x86_vm_create(kvm_fd, flags, vm, &what);

	if (err)
		snprintf(why, why_len, "new VM: %s: %s", what, strerror(-err));
	return err;
}

static void describe_exit(struct guest_x86_vm *vm, unsigned int exits,
			  char *why, size_t why_len)
{
	struct kvm_run *run = vm->run;
	struct kvm_regs regs = { 0 };

	ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs);
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == GUEST_X86_PORT_FAULT) {
		uint64_t frame[5] = { 0 };

		/* the fault handler's frame: [error code,] rip, cs, rflags */
		if (regs.rsp + sizeof(frame) <= GUEST_X86_RAM_SIZE)
			memcpy(frame, vm->ram + regs.rsp, sizeof(frame));
		snprintf(why, why_len,
			 "the guest took an exception after %u exits; its frame: %" PRIx64
			 " %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64,
			 exits, frame[0], frame[1], frame[2], frame[3], frame[4]);
		return;
	}
	snprintf(why, why_len,
		 "unexpected exit %s (%u) after %u exits, rip 0x%llx%s",
		 exit_name(run->exit_reason), run->exit_reason, exits,
		 (unsigned long long)regs.rip,
		 run->exit_reason == KVM_EXIT_INTERNAL_ERROR ?
		 " (KVM could not emulate an instruction)" : "");
}

static int move_vm(struct mover *m, struct guest_x86_vm *vm, char *why,
		   size_t why_len);

/*
 * Run the checkpoint guest to its end, letting m move it at its exits
 * (m NULL: never). 0 with *o filled, or -1 with why.
 */
static int run_guest(struct mover *m, struct outcome *o, char *why,
		     size_t why_len)
{
	struct guest_x86_vm vm;
	unsigned int exits = 0;
	int err;

	memset(o, 0, sizeof(*o));
	if (new_vm(m ? m->vm_flags : 0, &vm, why, why_len))
		return -1;
	if (ioctl(vm.vcpu_fd, KVM_SET_CPUID2, program_cpuid) < 0) {
		snprintf(why, why_len, "KVM_SET_CPUID2: %s", strerror(errno));
		goto fail;
	}
	err = guest_x86_checkpoint_start(&vm, &params);
	if (err) {
		snprintf(why, why_len, "entering long mode: %s", strerror(-err));
		goto fail;
	}
	for (;;) {
		struct kvm_run *run;
		const uint8_t *data;

		err = guest_x86_run(&vm);
		if (err) {
			snprintf(why, why_len, "KVM_RUN after %u exits: %s",
				 exits, strerror(-err));
			goto fail;
		}
		run = vm.run;
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
		    run->io.count != 1 ||
		    (run->io.port != GUEST_X86_PORT_STEP &&
		     run->io.port != GUEST_X86_PORT_DONE)) {
			describe_exit(&vm, exits, why, why_len);
			goto fail;
		}
		exits++;
		data = (const uint8_t *)run + run->io.data_offset;
		if (run->io.port == GUEST_X86_PORT_DONE) {
			memcpy(&o->done_value, data, 4);
			o->finished = true;
			break;
		}
		if (o->out_len + 4 > sizeof(o->out)) {
			snprintf(why, why_len, "more than %d rounds of output", ROUNDS);
			goto fail;
		}
		memcpy(o->out + o->out_len, data, 4);
		o->out_len += 4;
		if (m && m->stop_early && o->out_len > 4 * (size_t)m->at &&
		    memcmp(o->out + o->out_len - 4,
			   reference.out + o->out_len - 4, 4))
			break;
		if (m && (m->at ? m->at == exits :
			  exits % (m->every ? m->every : 1) == 0)) {
			if (move_vm(m, &vm, why, why_len)) {
				char inner[256];

				snprintf(inner, sizeof(inner), "%s", why);
				snprintf(why, why_len, "%s at exit %u: %s",
					 m->name, exits, inner);
				goto fail;
			}
			o->moves++;
		}
	}
	if (o->finished &&
	    (ioctl(vm.vcpu_fd, KVM_GET_REGS, &o->regs) < 0 ||
	     ioctl(vm.vcpu_fd, KVM_GET_SREGS, &o->sregs) < 0 ||
	     (params.xcr0 && ioctl(vm.vcpu_fd, KVM_GET_XCRS, &o->xcrs) < 0))) {
		snprintf(why, why_len, "reading final registers: %s", strerror(errno));
		goto fail;
	}
	o->ram = malloc(GUEST_X86_RAM_SIZE);
	if (!o->ram) {
		snprintf(why, why_len, "out of memory");
		goto fail;
	}
	memcpy(o->ram, vm.ram, GUEST_X86_RAM_SIZE);
	guest_x86_vm_destroy(&vm);
	return 0;
fail:
	guest_x86_vm_destroy(&vm);
	return -1;
}

/* How b differs from a, in words; "" if not at all. */
static void describe_difference(const struct outcome *a,
				const struct outcome *b, char *buf, size_t len)
{
	size_t common = a->out_len < b->out_len ? a->out_len : b->out_len;

	buf[0] = 0;
	for (size_t i = 0; i < common; i++)
		if (a->out[i] != b->out[i]) {
			snprintf(buf, len,
				 "output differs from byte %zu (round %zu) on",
				 i, i / 4 + 1);
			return;
		}
	if (a->out_len != b->out_len || a->finished != b->finished) {
		snprintf(buf, len, "output is %zu bytes%s, not %zu", b->out_len,
			 b->finished ? "" : " and unfinished", a->out_len);
		return;
	}
	if (a->done_value != b->done_value) {
		snprintf(buf, len, "final digest 0x%08x, not 0x%08x",
			 b->done_value, a->done_value);
		return;
	}
	if (memcmp(&a->regs, &b->regs, sizeof(a->regs))) {
		snprintf(buf, len, "final GPRs differ (rbx 0x%llx, not 0x%llx)",
			 (unsigned long long)b->regs.rbx,
			 (unsigned long long)a->regs.rbx);
		return;
	}
	if (memcmp(&a->sregs, &b->sregs, sizeof(a->sregs))) {
		snprintf(buf, len, "final sregs differ");
		return;
	}
	if (memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs))) {
		snprintf(buf, len, "final XCR0 0x%llx, not 0x%llx",
			 (unsigned long long)b->xcrs.xcrs[0].value,
			 (unsigned long long)a->xcrs.xcrs[0].value);
		return;
	}
	for (size_t i = 0; i < GUEST_X86_RAM_SIZE; i++)
		if (a->ram[i] != b->ram[i]) {
			snprintf(buf, len, "final RAM differs at 0x%zx", i);
			return;
		}
}

/* /dev/kvm, CPUID and the uninterrupted run, once per program. */
static int setup(void)
{
	if (have_reference)
		return 0;
	if (reference_why[0])
		return -1;
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		snprintf(reference_why, sizeof(reference_why), "/dev/kvm: %s",
			 strerror(errno));
		return -1;
	}
	program_cpuid = guest_x86_program_cpuid(kvm_fd);
	if (!program_cpuid) {
		snprintf(reference_why, sizeof(reference_why),
			 "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	guest_x86_checkpoint_params_for(program_cpuid, ROUNDS, &params);
	printf("# guest: %d rounds, vectors %s, XCR0 0x%" PRIx64 ", %s\n",
	       ROUNDS, guest_x86_vector_level_name(params.vector_level),
	       params.xcr0, params.use_rdtscp ? "TSC_AUX through RDTSCP" :
	       "no RDTSCP in CPUID");
	if (run_guest(NULL, &reference, reference_why, sizeof(reference_why)))
		return -1;
	have_reference = true;
	return 0;
}

#define NEED_REFERENCE()						\
	do {								\
		NEED_KVM();						\
		REQUIRE(setup() == 0, "uninterrupted run: %s",		\
			reference_why);					\
	} while (0)

/* ---------------------------------------------------------------- */
/* The raw-ioctl saver                                               */

struct raw_state {
	struct kvm_cpuid2 *cpuid;
	struct kvm_mp_state mp_state;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave *xsave;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_vcpu_events events;
	struct kvm_lapic_state lapic;
	bool has_lapic;
	struct kvm_msrs *msrs;
};

/* The MSRs KVM lists that a vCPU can read, found once. */
static uint32_t *raw_msr_index;
static uint32_t raw_msr_count;
static int xsave_size;

static int raw_find_msrs(int vcpu_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *list;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} one;

	if (raw_msr_index)
		return 0;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	raw_msr_index = calloc(probe.nmsrs + 1, sizeof(uint32_t));
	if (!list || !raw_msr_index) {
		free(list);
		return -ENOMEM;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return -errno;
	}
	/* KVM_GET_MSRS stops at the first MSR it cannot read: ask one by one */
	for (uint32_t i = 0; i < list->nmsrs; i++) {
		memset(&one, 0, sizeof(one));
		one.hdr.nmsrs = 1;
		one.entry.index = list->indices[i];
		if (ioctl(vcpu_fd, KVM_GET_MSRS, &one) == 1)
			raw_msr_index[raw_msr_count++] = list->indices[i];
	}
	free(list);
	xsave_size = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (xsave_size < (int)sizeof(struct kvm_xsave))
		xsave_size = sizeof(struct kvm_xsave);
	return 0;
}

static void raw_free(struct raw_state *s)
{
	free(s->cpuid);
	free(s->xsave);
	free(s->msrs);
	memset(s, 0, sizeof(*s));
}

static int raw_save(int vcpu_fd, bool irqchip, struct raw_state *s,
		    char *why, size_t why_len)
{
	const char *what;
	int r;

	memset(s, 0, sizeof(*s));
	r = raw_find_msrs(vcpu_fd);
	if (r) {
		snprintf(why, why_len, "listing MSRs: %s", strerror(-r));
		return r;
	}
	s->cpuid = calloc(1, sizeof(*s->cpuid) +
			  program_cpuid->nent * sizeof(s->cpuid->entries[0]));
	s->xsave = calloc(1, xsave_size);
	s->msrs = calloc(1, sizeof(*s->msrs) +
			 raw_msr_count * sizeof(s->msrs->entries[0]));
	if (!s->cpuid || !s->xsave || !s->msrs) {
		raw_free(s);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	s->cpuid->nent = program_cpuid->nent;
	s->msrs->nmsrs = raw_msr_count;
	for (uint32_t i = 0; i < raw_msr_count; i++)
		s->msrs->entries[i].index = raw_msr_index[i];

	what = "KVM_GET_CPUID2";
	if (ioctl(vcpu_fd, KVM_GET_CPUID2, s->cpuid) < 0)
		goto fail;
	what = "KVM_GET_MP_STATE";
	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &s->mp_state) < 0)
		goto fail;
	what = "KVM_GET_REGS";
	if (ioctl(vcpu_fd, KVM_GET_REGS, &s->regs) < 0)
		goto fail;
	what = "KVM_GET_SREGS";
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s->sregs) < 0)
		goto fail;
	what = "KVM_GET_XSAVE";
	if (ioctl(vcpu_fd, xsave_size > (int)sizeof(struct kvm_xsave) ?
		  KVM_GET_XSAVE2 : KVM_GET_XSAVE, s->xsave) < 0)
		goto fail;
	what = "KVM_GET_XCRS";
	if (ioctl(vcpu_fd, KVM_GET_XCRS, &s->xcrs) < 0)
		goto fail;
	what = "KVM_GET_DEBUGREGS";
	if (ioctl(vcpu_fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		goto fail;
	what = "KVM_GET_VCPU_EVENTS";
	if (ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		goto fail;
	what = "KVM_GET_LAPIC";
	if (irqchip) {
		if (ioctl(vcpu_fd, KVM_GET_LAPIC, &s->lapic) < 0)
			goto fail;
		s->has_lapic = true;
	}
	r = ioctl(vcpu_fd, KVM_GET_MSRS, s->msrs);
	if (r != (int)raw_msr_count) {
		if (r >= 0)
			snprintf(why, why_len, "KVM_GET_MSRS read %d of %u (0x%x failed)",
				 r, raw_msr_count, raw_msr_index[r]);
		else
			snprintf(why, why_len, "KVM_GET_MSRS: %s", strerror(errno));
		raw_free(s);
		return -EIO;
	}
	return 0;
fail:
	snprintf(why, why_len, "%s: %s", what, strerror(errno));
	raw_free(s);
	return -EIO;
}

/* MSRs KVM let the host read but not write back, seen at a restore. */
static uint32_t raw_unwritable[16];
static unsigned int raw_unwritable_count;

static void note_unwritable(uint32_t index)
{
	for (unsigned int i = 0; i < raw_unwritable_count; i++)
		if (raw_unwritable[i] == index)
			return;
	if (raw_unwritable_count < 16)
		raw_unwritable[raw_unwritable_count++] = index;
}

/* KVM_SET_MSRS stops at the first MSR it refuses: note it, go on after it. */
static int raw_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs)
{
	struct kvm_msrs *rest = calloc(1, sizeof(*rest) +
				       msrs->nmsrs * sizeof(rest->entries[0]));
	uint32_t done = 0;

	if (!rest)
		return -1;
	while (done < msrs->nmsrs) {
		int r;

		rest->nmsrs = msrs->nmsrs - done;
		memcpy(rest->entries, &msrs->entries[done],
		       rest->nmsrs * sizeof(rest->entries[0]));
		r = ioctl(vcpu_fd, KVM_SET_MSRS, rest);
		if (r < 0) {
			free(rest);
			return -1;
		}
		done += (uint32_t)r;
		if (done < msrs->nmsrs)
			note_unwritable(msrs->entries[done++].index);
	}
	free(rest);
	return 0;
}

/*
 * CPUID first (it decides which CR4 bits, XCR0 bits and MSRs KVM accepts),
 * then the order QEMU's kvm_arch_put_registers uses. The VM's kvm_run.cr8
 * is the caller's.
 */
static int raw_restore(int vcpu_fd, struct raw_state *s, unsigned int omit,
		       uint32_t omit_msr, char *why, size_t why_len)
{
	const char *what;
	struct kvm_msrs *msrs = s->msrs;
	uint32_t n = 0;

	what = "KVM_SET_CPUID2";
	if (!(omit & RAW_CPUID) && ioctl(vcpu_fd, KVM_SET_CPUID2, s->cpuid) < 0)
		goto fail;
	what = "KVM_SET_REGS";
	if (!(omit & RAW_REGS) && ioctl(vcpu_fd, KVM_SET_REGS, &s->regs) < 0)
		goto fail;
	if (omit & RAW_XSAVE_UPPER) {
		uint64_t xstate_bv;

		/* XSAVE header at 512: keep x87 and SSE, drop the rest */
		memcpy(&xstate_bv, (uint8_t *)s->xsave->region + 512, 8);
		xstate_bv &= 3;
		memcpy((uint8_t *)s->xsave->region + 512, &xstate_bv, 8);
	}
	what = "KVM_SET_XSAVE";
	if (!(omit & RAW_XSAVE) && ioctl(vcpu_fd, KVM_SET_XSAVE, s->xsave) < 0)
		goto fail;
	what = "KVM_SET_XCRS";
	if (!(omit & RAW_XCRS) && ioctl(vcpu_fd, KVM_SET_XCRS, &s->xcrs) < 0)
		goto fail;
	what = "KVM_SET_SREGS";
	if (!(omit & RAW_SREGS) && ioctl(vcpu_fd, KVM_SET_SREGS, &s->sregs) < 0)
		goto fail;
	if (!(omit & RAW_MSRS)) {
		for (uint32_t i = 0; i < msrs->nmsrs; i++)
			if (msrs->entries[i].index != omit_msr)
				msrs->entries[n++] = msrs->entries[i];
		msrs->nmsrs = n;
		what = "KVM_SET_MSRS";
		if (raw_set_msrs(vcpu_fd, msrs))
			goto fail;
	}
	what = "KVM_SET_LAPIC";
	if (s->has_lapic && !(omit & RAW_LAPIC) &&
	    ioctl(vcpu_fd, KVM_SET_LAPIC, &s->lapic) < 0)
		goto fail;
	what = "KVM_SET_VCPU_EVENTS";
	if (!(omit & RAW_EVENTS) &&
	    ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
		goto fail;
	what = "KVM_SET_DEBUGREGS";
	if (!(omit & RAW_DEBUGREGS) &&
	    ioctl(vcpu_fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
		goto fail;
	what = "KVM_SET_MP_STATE";
	if (!(omit & RAW_MP_STATE) &&
	    ioctl(vcpu_fd, KVM_SET_MP_STATE, &s->mp_state) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, why_len, "%s: %s", what, strerror(errno));
	return -EIO;
}

/* ---------------------------------------------------------------- */
/* Moving a guest: save, destroy, create, restore                    */

/* The library's save, through a snapshot: what survives the file format. */
static int library_save(struct mover *m, struct guest_x86_vm *vm,
			struct kvmreg_state **out, char *why, size_t why_len)
{
	struct kvmreg_vcpu *vcpu = NULL;
	struct kvmreg_state *state = NULL;
	void *snapshot = NULL;
	size_t len = 0;
	int err;

	err = kvmreg_vcpu_attach(kvm_fd, vm->vm_fd, vm->vcpu_fd, &vcpu);
	if (!err)
		err = kvmreg_save(vcpu, &state);
	kvmreg_vcpu_detach(vcpu);
	if (err) {
		snprintf(why, why_len, "kvmreg_save: %s", kvmreg_error());
		return err;
	}
	m->lib_regs = kvmreg_state_count(state);
	err = kvmreg_state_encode(state, &snapshot, &len);
	kvmreg_state_free(state);
	if (!err)
		err = kvmreg_state_decode(snapshot, len, out);
	free(snapshot);
	if (err) {
		snprintf(why, why_len, "snapshot round trip: %s", kvmreg_error());
		return err;
	}
	m->snapshot_bytes = len;
	return 0;
}

/* kvmreg_restore and kvmreg_restore_fresh, on alternate moves. */
static int library_restore(struct mover *m, struct guest_x86_vm *vm,
			   const struct kvmreg_state *state, char *why,
			   size_t why_len)
{
	struct kvmreg_vcpu *vcpu = NULL;
	bool fresh = m->restores++ % 2 == 1;
	int err;

	err = kvmreg_vcpu_attach(kvm_fd, vm->vm_fd, vm->vcpu_fd, &vcpu);
	if (!err)
		err = fresh ? kvmreg_restore_fresh(vcpu, state) :
			      kvmreg_restore(vcpu, state);
	kvmreg_vcpu_detach(vcpu);
	if (err) {
		snprintf(why, why_len, "%s: %s",
			 fresh ? "kvmreg_restore_fresh" : "kvmreg_restore",
			 kvmreg_error());
		return err;
	}
	m->fresh_restores += fresh;
	return 0;
}

/* The CR8 a library state holds, for kvm_run.cr8. */
static uint64_t library_cr8(const struct kvmreg_state *state)
{
	uint64_t id, cr8 = 0;
	const void *value;

	if (kvmreg_id_parse(KVMREG_ARCH_X86_64, "cr8", &id) == 0 &&
	    (value = kvmreg_state_get(state, id)) != NULL)
		memcpy(&cr8, value, sizeof(cr8));
	return cr8;
}

static int move_vm(struct mover *m, struct guest_x86_vm *vm, char *why,
		   size_t why_len)
{
	struct raw_state raw = { 0 };
	struct kvmreg_state *state = NULL;
	uint8_t *ram = NULL;
	uint64_t cr8 = 0;
	int err;

	/* KVM finishes the OUT (advances rip) on the next KVM_RUN only */
	err = guest_x86_complete_io(vm);
	if (err) {
		snprintf(why, why_len, "completing the OUT: %s", strerror(-err));
		return err;
	}
	if (m->saver == SAVER_RAW) {
		err = raw_save(vm->vcpu_fd, m->vm_flags & GUEST_X86_IRQCHIP,
			       &raw, why, why_len);
		cr8 = raw.sregs.cr8;
	} else {
		err = library_save(m, vm, &state, why, why_len);
		if (!err)
			cr8 = library_cr8(state);
	}
	if (err)
		return err;
	ram = malloc(GUEST_X86_RAM_SIZE);
	if (!ram) {
		snprintf(why, why_len, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	memcpy(ram, vm->ram, GUEST_X86_RAM_SIZE);
	guest_x86_vm_destroy(vm);

	err = new_vm(m->vm_flags, vm, why, why_len);
	if (err)
		goto out;
	memcpy(vm->ram, ram, GUEST_X86_RAM_SIZE);
	if (m->saver == SAVER_RAW)
		err = raw_restore(vm->vcpu_fd, &raw, m->omit, m->omit_msr, why,
				  why_len);
	else
		err = library_restore(m, vm, state, why, why_len);
	if (!(m->omit & (RAW_SREGS | RAW_RUN_CR8)))
		vm->run->cr8 = cr8;
out:
	free(ram);
	raw_free(&raw);
	kvmreg_state_free(state);
	return err;
}

/* ---------------------------------------------------------------- */
/* Cases                                                             */

/* Run with mover m; the case fails if the run fails or differs from the
 * uninterrupted one. */
static void expect_same_as_reference(struct mover *m, unsigned int moves)
{
	struct outcome *o = calloc(1, sizeof(*o));
	char why[512], diff[256];
	double start;

	REQUIRE(o != NULL, "out of memory");
	start = now_s();
	if (run_guest(m, o, why, sizeof(why))) {
		EXPECT(0, "%s", why);
		free(o);
		return;
	}
	printf("# %s: moved into %u new VMs, %.2f ms per checkpoint\n",
	       m->name, o->moves,
	       (now_s() - start) * 1e3 / (o->moves ? o->moves : 1));
	EXPECT(o->moves == moves, "moved %u times, not %u", o->moves, moves);
	describe_difference(&reference, o, diff, sizeof(diff));
	EXPECT(diff[0] == 0, "%s: %s", m->name, diff);
	free(o->ram);
	free(o);
}

TEST(uninterrupted_runs_agree)
{
	struct outcome *again;
	char why[512], diff[256];

	NEED_REFERENCE();
	EXPECT(reference.out_len == OUT_BYTES && reference.finished,
	       "%zu output bytes", reference.out_len);
	again = calloc(1, sizeof(*again));
	REQUIRE(again != NULL, "out of memory");
	REQUIRE(run_guest(NULL, again, why, sizeof(why)) == 0, "%s", why);
	describe_difference(&reference, again, diff, sizeof(diff));
	EXPECT(diff[0] == 0, "two uninterrupted runs differ: %s", diff);
	free(again->ram);
	free(again);
}

TEST(raw_ioctls_continue_at_every_exit)
{
	struct mover m = { .name = "raw ioctls", .saver = SAVER_RAW };

	NEED_REFERENCE();
	expect_same_as_reference(&m, ROUNDS);
	for (unsigned int i = 0; i < raw_unwritable_count; i++)
		printf("# raw ioctls: KVM_SET_MSRS refused MSR 0x%x (read it, cannot write it back)\n",
		       raw_unwritable[i]);
}

/*
 * Each piece of state, left out of one restore, must change the output or
 * stop the guest: otherwise the guest does not depend on it, and the cases
 * above prove less than they claim. Once at a kernel-mode exit (even) and
 * once at a user-mode exit (odd); each run stops at its first wrong byte.
 */
TEST(raw_restore_missing_any_piece_is_noticed)
{
	static const struct {
		const char *name;
		unsigned int omit;
		uint32_t omit_msr;
		bool needs_xsave;
	} pieces[] = {
		{ "regs", RAW_REGS, 0, false },
		{ "sregs", RAW_SREGS, 0, false },
		{ "xsave", RAW_XSAVE, 0, false },
		{ "xsave beyond SSE", RAW_XSAVE_UPPER, 0, true },
		{ "xcrs", RAW_XCRS, 0, true },
		{ "debugregs", RAW_DEBUGREGS, 0, false },
		{ "msrs", RAW_MSRS, 0, false },
		{ "KERNEL_GS_BASE", 0, GUEST_X86_MSR_KERNEL_GS_BASE, false },
		{ "LSTAR", 0, GUEST_X86_MSR_LSTAR, false },
		{ "SYSENTER_ESP", 0, GUEST_X86_MSR_SYSENTER_ESP, false },
		{ "cpuid", RAW_CPUID, 0, true },
		{ "kvm_run.cr8", RAW_RUN_CR8, 0, false },
	};

	NEED_REFERENCE();
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		if (pieces[i].needs_xsave && !params.xcr0)
			continue;
		for (unsigned int at = 10; at <= 11; at++) {
			struct mover m = {
				.name = pieces[i].name,
				.saver = SAVER_RAW,
				.at = at,
				.stop_early = true,
				.omit = pieces[i].omit,
				.omit_msr = pieces[i].omit_msr,
			};
			struct outcome *o = calloc(1, sizeof(*o));
			char why[512], diff[256];

			REQUIRE(o != NULL, "out of memory");
			if (run_guest(&m, o, why, sizeof(why))) {
				printf("# without %s at exit %u: %s\n",
				       pieces[i].name, at, why);
			} else {
				describe_difference(&reference, o, diff,
						    sizeof(diff));
				printf("# without %s at exit %u: %s\n",
				       pieces[i].name, at,
				       diff[0] ? diff : "NOT NOTICED");
				EXPECT(diff[0] != 0,
				       "restoring all but %s at exit %u gives the same result",
				       pieces[i].name, at);
			}
			free(o->ram);
			free(o);
		}
	}
}

TEST(library_continues_at_every_exit)
{
	struct mover m = { .name = "kvmreg_save/kvmreg_restore",
			   .saver = SAVER_LIBRARY };

	NEED_REFERENCE();
	expect_same_as_reference(&m, ROUNDS);
	printf("# kvmreg_save: %zu registers, %zu-byte snapshots, %u of the restores kvmreg_restore_fresh\n",
	       m.lib_regs, m.snapshot_bytes, m.fresh_restores);
}

/*
 * With an in-kernel LAPIC, CR8 is its TPR and the LAPIC state carries it.
 * A VM with an irqchip costs ~20 ms to make and destroy here (kvm_pvm),
 * so every 10th exit: 99 checkpoints.
 */
TEST(library_continues_at_every_10th_exit_with_irqchip)
{
	struct mover m = { .name = "kvmreg_save/kvmreg_restore, irqchip",
			   .saver = SAVER_LIBRARY,
			   .vm_flags = GUEST_X86_IRQCHIP,
			   .every = 10 };

	NEED_REFERENCE();
	expect_same_as_reference(&m, ROUNDS / 10);
}

TEST_MAIN("x86_checkpoint",
	  CASE(uninterrupted_runs_agree),
	  CASE(raw_ioctls_continue_at_every_exit),
	  CASE(raw_restore_missing_any_piece_is_noticed),
	  CASE(library_continues_at_every_exit),
	  CASE(library_continues_at_every_10th_exit_with_irqchip))

#else /* !__x86_64__ */

TEST(x86_only)
{
	SKIP("an x86_64 guest: not on this architecture");
}

TEST_MAIN("x86_checkpoint", CASE(x86_only))

#endif
