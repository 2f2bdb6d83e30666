// SPDX-License-Identifier: MIT
/*
 * tiny_vmm: the smallest VMM that can stop a guest, keep it in a file, and
 * go on with it in another process, using libkvmreg for the vCPU.
 *
 *   tiny_vmm [--steps N]                       run the guest to its end
 *   tiny_vmm --snapshot FILE --after EXITS     stop after EXITS exits, save
 *   tiny_vmm --snapshot FILE                   save when SIGUSR1 arrives
 *   tiny_vmm --resume FILE                     go on from FILE
 *
 * The guest (x86_64, 64-bit mode from the first instruction) prints a line
 * per step to port 0xe9, one OUT per character; the VMM copies those bytes
 * to stdout. A snapshot is two files: FILE, the vCPU as a libkvmreg
 * snapshot (kvmreg_state_save_file), and FILE.ram, the guest RAM as raw
 * bytes. Output before the snapshot + output after resuming = output of
 * one uninterrupted run. See docs/example-vmm.md.
 *
 * Build: cc -o tiny_vmm tiny_vmm.c -lkvmreg (make builds it in build/examples).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kvmreg.h>

#ifdef __x86_64__

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/kvm.h>

#define RAM_SIZE	0x100000	/* 1 MiB at guest physical 0 */
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000
#define GDT		0x4000
#define CODE		0x10000
#define STACK_TOP	0x80000
#define PORT_CONSOLE	0xe9
#define PORT_DONE	0xea

/*
 * The guest: integer work only, all at CPL 0. rdi = steps. Each step
 * advances a xorshift state and prints "step N: 0x<state>\n".
 */
__asm__(
"	.pushsection .rodata.tiny_guest, \"a\"\n"
"	.intel_syntax noprefix\n"
"tiny_guest:\n"
"	mov r12, rdi\n"			/* steps */
"	xor r13d, r13d\n"		/* step */
"	mov r14, 0x2545f4914f6cdd1d\n"	/* state */
"	lea rsi, [rip+.Lhello]\n"
"	call .Lputs\n"
".Lstep:\n"
"	inc r13\n"
"	mov rax, r14\n	shl rax, 13\n	xor r14, rax\n"
"	mov rax, r14\n	shr rax, 7\n	xor r14, rax\n"
"	mov rax, r14\n	shl rax, 17\n	xor r14, rax\n"
"	lea rsi, [rip+.Lstep_text]\n"
"	call .Lputs\n"
"	mov rax, r13\n"
"	call .Lput_decimal\n"
"	lea rsi, [rip+.Lstate_text]\n"
"	call .Lputs\n"
"	mov rbx, r14\n"
"	mov ecx, 16\n"
".Lhex:\n"
"	rol rbx, 4\n"
"	mov eax, ebx\n"
"	and eax, 15\n"
"	lea rsi, [rip+.Ldigits]\n"
"	mov al, byte ptr [rsi+rax]\n"
"	call .Lputc\n"
"	dec ecx\n"
"	jnz .Lhex\n"
"	mov al, 10\n"
"	call .Lputc\n"
"	cmp r13, r12\n"
"	jne .Lstep\n"
"	lea rsi, [rip+.Lbye]\n"
"	call .Lputs\n"
"	mov edx, 0xea\n"		/* PORT_DONE */
"	out dx, al\n"
".Lhalt:\n"
"	hlt\n"
"	jmp .Lhalt\n"
".Lputc:\n"				/* al: one byte to the console */
"	mov edx, 0xe9\n"		/* PORT_CONSOLE */
"	out dx, al\n"
"	ret\n"
".Lputs:\n"				/* rsi: a NUL-terminated string */
"	mov al, byte ptr [rsi]\n"
"	test al, al\n"
"	jz .Lputs_end\n"
"	call .Lputc\n"
"	inc rsi\n"
"	jmp .Lputs\n"
".Lputs_end:\n"
"	ret\n"
".Lput_decimal:\n"			/* rax: printed in decimal */
"	mov rbx, rsp\n"
"	mov ecx, 10\n"
".Ldivide:\n"
"	xor edx, edx\n"
"	div rcx\n"
"	add dl, '0'\n"
"	dec rsp\n"
"	mov byte ptr [rsp], dl\n"
"	test rax, rax\n"
"	jnz .Ldivide\n"
".Lput_digit:\n"
"	mov al, byte ptr [rsp]\n"
"	inc rsp\n"
"	call .Lputc\n"
"	cmp rsp, rbx\n"
"	jne .Lput_digit\n"
"	ret\n"
".Lhello:	.asciz \"tiny guest: hello\\n\"\n"
".Lstep_text:	.asciz \"step \"\n"
".Lstate_text:	.asciz \": 0x\"\n"
".Lbye:	.asciz \"tiny guest: done\\n\"\n"
".Ldigits:	.ascii \"0123456789abcdef\"\n"
"tiny_guest_end:\n"
"	.att_syntax prefix\n"
"	.popsection\n");

extern const unsigned char tiny_guest[], tiny_guest_end[];

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	unsigned char *ram;
};

static volatile sig_atomic_t snapshot_asked;
static struct kvm_run *volatile running;

/* KVM_RUN returns -EINTR at once when immediate_exit is set. */
static void on_sigusr1(int sig)
{
	(void)sig;
	snapshot_asked = 1;
	if (running)
		running->immediate_exit = 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "tiny_vmm: %s: %s\n", what, strerror(errno));
	return -1;
}

/* A VM with RAM and one vCPU; the registers come from boot or restore. */
static int vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
	};
	int size;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return fail("/dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return fail("KVM_CREATE_VM");
	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		return fail("mmap RAM");
	region.userspace_addr = (unsigned long)vm->ram;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		return fail("mmap kvm_run");
	return 0;
}

static void put64(unsigned char *ram, unsigned long gpa, unsigned long long v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

/* Page tables mapping 2 MiB 1:1, a flat GDT, the code, 64-bit mode. */
static int vm_boot(struct vm *vm, unsigned long steps)
{
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.limit = 0xffffffff, .selector = 0x10, .type = 0x3,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[256];
	} cpuid = { .head.nent = 256 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = CODE, .rsp = STACK_TOP, .rflags = 0x2, .rdi = steps,
	};

	/* CPUID first: KVM checks CR4 and MSR writes against it */
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0 ||
	    ioctl(vm->vcpu, KVM_SET_CPUID2, &cpuid) < 0)
		return fail("CPUID");
	put64(vm->ram, PML4, PDPT | 3);
	put64(vm->ram, PDPT, PD | 3);
	put64(vm->ram, PD, 0x83);			/* 2 MiB page at 0 */
	put64(vm->ram, GDT + 0x08, 0x00af9b000000ffffull);	/* code */
	put64(vm->ram, GDT + 0x10, 0x00cf93000000ffffull);	/* data */
	memcpy(vm->ram + CODE, tiny_guest, tiny_guest_end - tiny_guest);

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GDT;
	sregs.gdt.limit = 0x17;
	sregs.cr3 = PML4;
	sregs.cr4 = 0x20;			/* PAE */
	sregs.cr0 = 0x80000011;			/* PG ET PE */
	sregs.efer = 0x500;			/* LMA LME */
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vm->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("entering 64-bit mode");
	return 0;
}

/* vCPU to FILE, RAM to FILE.ram; each written whole or not at all. */
static int snapshot_write(struct vm *vm, const char *path)
{
	struct kvmreg_vcpu *vcpu;
	struct kvmreg_state *state = NULL;
	char ram_path[4096], tmp[4200];
	FILE *f;
	int err;

	/*
	 * At an I/O exit KVM finishes the OUT (moves rip past it) only on
	 * the next KVM_RUN, and keeps that in no state we can save: run once
	 * with immediate_exit, which completes it and returns -EINTR.
	 */
	vm->run->immediate_exit = 1;
	if (ioctl(vm->vcpu, KVM_RUN, 0) == 0 || errno != EINTR)
		return fail("completing the last exit");
	vm->run->immediate_exit = 0;

	err = kvmreg_vcpu_attach(vm->kvm, vm->fd, vm->vcpu, &vcpu);
	if (!err) {
		err = kvmreg_save(vcpu, &state);
		kvmreg_vcpu_detach(vcpu);
	}
	if (!err)
		err = kvmreg_state_save_file(state, path);
	kvmreg_state_free(state);
	if (err) {
		fprintf(stderr, "tiny_vmm: saving the vCPU: %s\n", kvmreg_error());
		return -1;
	}
	snprintf(ram_path, sizeof(ram_path), "%s.ram", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ram_path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(vm->ram, 1, RAM_SIZE, f) != RAM_SIZE ||
	    fclose(f) != 0 || rename(tmp, ram_path) != 0)
		return fail(ram_path);
	return 0;
}

/* RAM_SIZE bytes from path into ram, or a message naming path. */
static int read_ram(const char *path, unsigned char *ram)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	int ok;

	if (!f)
		return fail(path);
	ok = fstat(fileno(f), &st) == 0 && st.st_size == RAM_SIZE &&
	     fread(ram, 1, RAM_SIZE, f) == RAM_SIZE;
	fclose(f);
	if (!ok)
		fprintf(stderr, "tiny_vmm: %s: not the %d bytes of guest RAM\n",
			path, RAM_SIZE);
	return ok ? 0 : -1;
}

/* The reverse, into a new VM. */
static int snapshot_read(struct vm *vm, const char *path)
{
	struct kvmreg_vcpu *vcpu;
	struct kvmreg_state *state;
	const void *cr8;
	uint64_t cr8_id;
	char ram_path[4096];
	int err;

	err = kvmreg_state_load_file(path, &state);
	if (err) {
		fprintf(stderr, "tiny_vmm: %s\n", kvmreg_error());
		return -1;
	}
	snprintf(ram_path, sizeof(ram_path), "%s.ram", path);
	if (read_ram(ram_path, vm->ram)) {
		kvmreg_state_free(state);
		return -1;
	}
	/* CPUID, registers, MSRs, ... in the order KVM needs: a fresh vCPU,
	 * so no rollback read is needed */
	err = kvmreg_vcpu_attach(vm->kvm, vm->fd, vm->vcpu, &vcpu);
	if (!err) {
		err = kvmreg_restore_fresh(vcpu, state);
		kvmreg_vcpu_detach(vcpu);
	}
	/*
	 * Without an in-kernel LAPIC, every KVM_RUN loads CR8 from
	 * kvm_run.cr8: hand it the restored value, or the guest's TPR drops
	 * to 0 on the first entry.
	 */
	if (!err && kvmreg_id_parse(KVMREG_ARCH_X86_64, "cr8", &cr8_id) == 0 &&
	    (cr8 = kvmreg_state_get(state, cr8_id)) != NULL)
		memcpy(&vm->run->cr8, cr8, sizeof(vm->run->cr8));
	kvmreg_state_free(state);
	if (err) {
		fprintf(stderr, "tiny_vmm: restoring %s: %s\n", path, kvmreg_error());
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tiny_vmm [--steps N] [--snapshot FILE [--after EXITS]] [--resume FILE]\n"
		"  --steps N         steps the guest prints (default 20)\n"
		"  --snapshot FILE   save to FILE and FILE.ram after EXITS exits,\n"
		"                    or on SIGUSR1 without --after, then stop\n"
		"  --resume FILE     go on from a snapshot, in this new process\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *snapshot = NULL, *resume = NULL;
	unsigned long steps = 20, after = 0, exits = 0;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct vm vm;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--steps"))
			steps = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--after"))
			after = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--snapshot"))
			snapshot = argv[++i];
		else if (!strcmp(argv[i], "--resume"))
			resume = argv[++i];
		else
			usage();
	}
	if (!steps || (after && !snapshot))
		usage();
	if (snapshot)
		sigaction(SIGUSR1, &sa, NULL);

	if (vm_create(&vm) ||
	    (resume ? snapshot_read(&vm, resume) : vm_boot(&vm, steps)))
		return 1;
	running = vm.run;
	for (;;) {
		struct kvm_run *run = vm.run;

		if (snapshot && (snapshot_asked || (after && exits == after))) {
			fflush(stdout);
			if (snapshot_write(&vm, snapshot))
				return 1;
			fprintf(stderr, "tiny_vmm: snapshot after %lu exits in %s and %s.ram\n",
				exits, snapshot, snapshot);
			return 0;
		}
		if (ioctl(vm.vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;	/* a signal: the loop's top decides */
			return fail("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			fprintf(stderr, "tiny_vmm: unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
		exits++;
		if (run->io.port == PORT_DONE)
			break;
		if (run->io.port == PORT_CONSOLE)
			fwrite((char *)run + run->io.data_offset, run->io.size,
			       run->io.count, stdout);
	}
	fflush(stdout);
	fprintf(stderr, "tiny_vmm: guest done after %lu exits\n", exits);
	return 0;
}

#else /* !__x86_64__ */

int main(void)
{
	fprintf(stderr, "tiny_vmm: the example guest is x86_64 code; this is %s\n",
		kvmreg_arch_name(kvmreg_arch_host()));
	return 1;
}

#endif
