// SPDX-License-Identifier: MIT
/* The x86_64 long-mode test guest: see guest_x86.h. */
#include "guest_x86.h"

#ifdef __x86_64__

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---------------------------------------------------------------- */
/* The checkpoint program, assembled with this file                  */

/*
 * Numbers come from guest_x86.h through STR(), so the host and the guest
 * agree on the layout by construction. The program runs at GUEST_X86_CODE
 * and finds its own addresses RIP-relative, so it is copied there as bytes.
 *
 * Register use in user mode: rbx the digest, rbp the rounds left, r8-r15
 * and rsi arithmetic streams, rdi the ring index; rax, rcx, rdx scratch.
 * The kernel keeps all of these but rax, rcx, rdx, and folds into rbx too.
 */
#define GX_RING		STR(GUEST_X86_RING)
#define GX_VEC		STR(GUEST_X86_VECTORS)
#define GX_SCR		STR(GUEST_X86_SCRATCH)

#define GX_REGS16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) \
	m(10) m(11) m(12) m(13) m(14) m(15)
#define GX_REGS32(m) GX_REGS16(m) m(16) m(17) m(18) m(19) m(20) m(21) \
	m(22) m(23) m(24) m(25) m(26) m(27) m(28) m(29) m(30) m(31)
/* Each register adds its successor: a value lost anywhere spreads down. */
#define GX_CHAIN15(m) m(0, 1) m(1, 2) m(2, 3) m(3, 4) m(4, 5) m(5, 6) \
	m(6, 7) m(7, 8) m(8, 9) m(9, 10) m(10, 11) m(11, 12) m(12, 13) \
	m(13, 14) m(14, 15)
#define GX_CHAIN31(m) m(1, 2) m(2, 3) m(3, 4) m(4, 5) m(5, 6) m(6, 7) \
	m(7, 8) m(8, 9) m(9, 10) m(10, 11) m(11, 12) m(12, 13) m(13, 14) \
	m(14, 15) m(15, 16) m(16, 17) m(17, 18) m(18, 19) m(19, 20) \
	m(20, 21) m(21, 22) m(22, 23) m(23, 24) m(24, 25) m(25, 26) \
	m(26, 27) m(27, 28) m(28, 29) m(29, 30) m(30, 31)

#define GX_LOAD_XMM(i)	"	movdqu xmm" #i ", [" GX_VEC "+" #i "*16]\n"
#define GX_STORE_XMM(i)	"	movdqu [" GX_VEC "+" #i "*16], xmm" #i "\n"
#define GX_ADD_XMM(i, j) "	paddq xmm" #i ", xmm" #j "\n"
#define GX_LOAD_YMM(i)	"	vmovdqu ymm" #i ", [" GX_VEC "+" #i "*32]\n"
#define GX_STORE_YMM(i)	"	vmovdqu [" GX_VEC "+" #i "*32], ymm" #i "\n"
#define GX_ADD_YMM(i, j) "	vpaddq ymm" #i ", ymm" #i ", ymm" #j "\n"
#define GX_LOAD_ZMM(i)	"	vmovdqu64 zmm" #i ", [" GX_VEC "+" #i "*64]\n"
#define GX_STORE_ZMM(i)	"	vmovdqu64 [" GX_VEC "+" #i "*64], zmm" #i "\n"
#define GX_ADD_ZMM(i, j) "	vpaddq zmm" #i ", zmm" #i ", zmm" #j "\n"
#define GX_FOLD_K(i)	"	kmovw eax, k" #i "\n	gx_fold rax\n"

/* rdmsr into rax (64-bit); ecx = the MSR */
#define GX_RDMSR64 "	rdmsr\n	shl rdx, 32\n	or rax, rdx\n"
/* rax = a qword address in the ring chosen by rax; then wrmsr it */
#define GX_WRMSR_RING_ADDR "	and eax, 0x7f8\n	add eax, " GX_RING "\n" \
	"	xor edx, edx\n	wrmsr\n"

__asm__(
"	.pushsection .rodata.guest_x86_checkpoint, \"a\"\n"
"	.intel_syntax noprefix\n"
"	.macro gx_fold src\n"
"	add rbx, \\src\n"
"	rol rbx, 17\n"
"	imul rbx, rbx, 0x2545f491\n"
"	.endm\n"
"	.balign 16\n"
"	.globl guest_x86_checkpoint_begin\n"
"	.hidden guest_x86_checkpoint_begin\n"
"	.globl guest_x86_checkpoint_end\n"
"	.hidden guest_x86_checkpoint_end\n"
"guest_x86_checkpoint_begin:\n"
/* kernel entry, CPL 0: rdi rounds, rsi flags (bits 0-1 vector level, bit 2
 * rdtscp), rdx XCR0 to set (0: none) */
"	mov rbp, rdi\n"
"	mov qword ptr [" GX_SCR "], rsi\n"
"	mov qword ptr [" GX_SCR "+8], rdx\n"
"	test rdx, rdx\n"
"	jz .Lgx_no_xsetbv\n"
"	mov rax, rdx\n"
"	shr rdx, 32\n"
"	xor ecx, ecx\n"
"	xsetbv\n"
".Lgx_no_xsetbv:\n"
/* IDT: every vector is fatal but #UD, the system call */
"	xor edi, edi\n"
"	lea rsi, [rip+.Lgx_fault]\n"
".Lgx_idt_fill:\n"
"	call .Lgx_set_gate\n"
"	inc edi\n"
"	cmp edi, 256\n"
"	jne .Lgx_idt_fill\n"
"	mov edi, 6\n"
"	lea rsi, [rip+.Lgx_syscall]\n"
"	call .Lgx_set_gate\n"
"	mov word ptr [" GX_SCR "+0x40], 0xfff\n"
"	mov qword ptr [" GX_SCR "+0x42], " STR(GUEST_X86_IDT) "\n"
"	lidt [" GX_SCR "+0x40]\n"
/* GS: the user's in GS_BASE, the kernel's per-CPU area in KERNEL_GS_BASE
 * until the first SWAPGS; FS for the user; LSTAR, SYSENTER_ESP, TSC_AUX, DR0-3, CR2, CR8 */
"	mov ecx, " STR(GUEST_X86_MSR_GS_BASE) "\n"
"	mov eax, " GX_RING "+0x100\n"
"	xor edx, edx\n"
"	wrmsr\n"
"	mov ecx, " STR(GUEST_X86_MSR_KERNEL_GS_BASE) "\n"
"	mov eax, " STR(GUEST_X86_PERCPU) "\n"
"	wrmsr\n"
"	mov ecx, " STR(GUEST_X86_MSR_FS_BASE) "\n"
"	mov eax, " GX_RING "+0x200\n"
"	wrmsr\n"
"	mov ecx, " STR(GUEST_X86_MSR_LSTAR) "\n"
"	mov eax, " GX_RING "+0x300\n"
"	wrmsr\n"
"	mov ecx, " STR(GUEST_X86_MSR_SYSENTER_ESP) "\n"
"	mov eax, " GX_RING "+0x400\n"
"	wrmsr\n"
"	test byte ptr [" GX_SCR "], 4\n"
"	jz .Lgx_no_tsc_aux\n"
"	mov ecx, " STR(GUEST_X86_MSR_TSC_AUX) "\n"
"	mov eax, 0x5a5\n"
"	wrmsr\n"
".Lgx_no_tsc_aux:\n"
"	mov eax, 0x1000\n"
"	mov dr0, rax\n"
"	mov eax, 0x2000\n"
"	mov dr1, rax\n"
"	mov eax, 0x3000\n"
"	mov dr2, rax\n"
"	mov eax, 0x4000\n"
"	mov dr3, rax\n"
"	mov eax, 0xdead000\n"
"	mov cr2, rax\n"
"	mov eax, 3\n"
"	mov cr8, rax\n"
/* to user mode, IOPL 3 so that it may OUT */
"	push " STR(GUEST_X86_SEL_UDATA) "\n"
"	push " STR(GUEST_X86_USER_STACK_TOP) "\n"
"	push 0x3002\n"
"	push " STR(GUEST_X86_SEL_UCODE) "\n"
"	lea rax, [rip+.Lgx_user]\n"
"	push rax\n"
"	iretq\n"

/* rdi vector, rsi handler: a present DPL 0 interrupt gate */
".Lgx_set_gate:\n"
"	mov eax, esi\n"
"	and eax, 0xffff\n"
"	or eax, " STR(GUEST_X86_SEL_CODE) " << 16\n"
"	mov rdx, rsi\n"
"	shr rdx, 16\n"
"	and edx, 0xffff\n"
"	shl rdx, 48\n"
"	or rax, rdx\n"
"	mov rdx, 0x8e0000000000\n"
"	or rax, rdx\n"
"	mov rcx, rdi\n"
"	shl rcx, 4\n"
"	mov qword ptr [rcx+" STR(GUEST_X86_IDT) "], rax\n"
"	mov rdx, rsi\n"
"	shr rdx, 32\n"
"	mov qword ptr [rcx+" STR(GUEST_X86_IDT) "+8], rdx\n"
"	ret\n"

/* ---- user mode ---- */
".Lgx_user:\n"
"	mov r8, 0x0123456789abcdef\n"
"	mov r9, 0x9e3779b97f4a7c15\n"
"	mov r10, 0x2545f4914f6cdd1d\n"
"	mov r11, 0x5851f42d4c957f2d\n"
"	mov r12, 0x14057b7ef767814f\n"
"	mov r13, 0xda942042e4dd58b5\n"
"	mov r14, 0x6a09e667f3bcc908\n"
"	mov r15, 0xbb67ae8584caa73b\n"
"	mov rsi, 0x3c6ef372fe94f82b\n"
"	xor edi, edi\n"
"	mov rbx, 0xcbf29ce484222325\n"
/* x87 with a non-default control word (round toward zero), MXCSR too */
"	fninit\n"
"	mov word ptr [" GX_SCR "+0x50], 0x0f7f\n"
"	fldcw word ptr [" GX_SCR "+0x50]\n"
"	fld1\n"
"	mov dword ptr [" GX_SCR "+0x54], 0xff80\n"
"	ldmxcsr dword ptr [" GX_SCR "+0x54]\n"
/* vector registers from a pattern in RAM */
"	mov rax, 0x9e3779b97f4a7c15\n"
"	mov rdx, rax\n"
"	xor ecx, ecx\n"
".Lgx_fill:\n"
"	mov qword ptr [" GX_VEC "+rcx*8], rdx\n"
"	add rdx, rax\n"
"	inc ecx\n"
"	cmp ecx, 256\n"
"	jne .Lgx_fill\n"
"	mov eax, dword ptr [" GX_SCR "]\n"
"	and eax, 3\n"
"	cmp eax, 1\n"
"	je .Lgx_load_avx2\n"
"	cmp eax, 2\n"
"	je .Lgx_load_avx512\n"
GX_REGS16(GX_LOAD_XMM)
"	jmp .Lgx_user_loop\n"
".Lgx_load_avx2:\n"
GX_REGS16(GX_LOAD_YMM)
"	jmp .Lgx_user_loop\n"
".Lgx_load_avx512:\n"
GX_REGS32(GX_LOAD_ZMM)
"	mov eax, 0x5a5a\n	kmovw k1, eax\n"
"	mov eax, 0x3c3c\n	kmovw k2, eax\n"
"	mov eax, 0x0ff0\n	kmovw k3, eax\n"
"	mov eax, 0x1234\n	kmovw k4, eax\n"
"	mov eax, 0x8001\n	kmovw k5, eax\n"
"	mov eax, 0x7e7e\n	kmovw k6, eax\n"
"	mov eax, 0xc3c3\n	kmovw k7, eax\n"
".Lgx_user_loop:\n"
"	call .Lgx_round\n"
"	dec rbp\n"
"	jnz .Lgx_user_loop\n"
"	mov eax, 2\n"
"	ud2\n"
"	jmp .Lgx_user_loop\n"	/* not reached: the kernel halts */

/* one round, user mode */
".Lgx_round:\n"
"	imul r8, r8, 0x5851f42d\n"
"	add r8, r9\n"
"	mov rax, r9\n	shl rax, 13\n	xor r9, rax\n"
"	mov rax, r9\n	shr rax, 7\n	xor r9, rax\n"
"	mov rax, r9\n	shl rax, 17\n	xor r9, rax\n"
"	add r10, r8\n"
"	rol r11, 9\n"
"	xor r11, r10\n"
"	sub r12, r11\n"
"	ror r13, 23\n"
"	add r13, r12\n"
"	lea r14, [r14+r13*2+1]\n"
"	xor r15, r14\n"
"	rol r15, 31\n"
"	add rsi, r15\n"
"	gx_fold r8\n	gx_fold r9\n	gx_fold r10\n	gx_fold r11\n"
"	gx_fold r12\n	gx_fold r13\n	gx_fold r14\n	gx_fold r15\n"
"	gx_fold rsi\n	gx_fold rdi\n	gx_fold rbp\n"
/* the ring in RAM */
"	mov eax, edi\n"
"	and eax, 255\n"
"	mov rcx, qword ptr [" GX_RING "+rax*8]\n"
"	add rcx, r10\n"
"	rol rcx, 7\n"
"	xor rcx, rsi\n"
"	mov qword ptr [" GX_RING "+rax*8], rcx\n"
"	gx_fold rcx\n"
"	mov eax, r11d\n"
"	and eax, 7\n"
"	lea rdi, [rdi+rax+1]\n"
/* vectors: step, dump to RAM, hash the dump */
"	mov eax, dword ptr [" GX_SCR "]\n"
"	and eax, 3\n"
"	cmp eax, 1\n"
"	je .Lgx_round_avx2\n"
"	cmp eax, 2\n"
"	je .Lgx_round_avx512\n"
GX_CHAIN15(GX_ADD_XMM)
"	pshufd xmm15, xmm15, 0x4e\n"
"	paddq xmm15, xmm0\n"
GX_REGS16(GX_STORE_XMM)
"	mov edx, 32\n"
"	jmp .Lgx_hash\n"
".Lgx_round_avx2:\n"
GX_CHAIN15(GX_ADD_YMM)
"	vpermq ymm15, ymm15, 0x39\n"
"	vpaddq ymm15, ymm15, ymm0\n"
GX_REGS16(GX_STORE_YMM)
"	mov edx, 64\n"
"	jmp .Lgx_hash\n"
".Lgx_round_avx512:\n"
"	vpaddq zmm0{k1}, zmm0, zmm1\n"
GX_CHAIN31(GX_ADD_ZMM)
"	valignq zmm31, zmm31, zmm31, 1\n"
"	vpaddq zmm31, zmm31, zmm0\n"
"	kxorw k1, k1, k2\n"
"	kmovw eax, k2\n	rol ax, 3\n	kmovw k2, eax\n"
GX_FOLD_K(1) GX_FOLD_K(2) GX_FOLD_K(3) GX_FOLD_K(4) GX_FOLD_K(5)
GX_FOLD_K(6) GX_FOLD_K(7)
GX_REGS32(GX_STORE_ZMM)
"	mov edx, 256\n"
".Lgx_hash:\n"
"	xor ecx, ecx\n"
".Lgx_hash_loop:\n"
"	mov rax, qword ptr [" GX_VEC "+rcx*8]\n"
"	gx_fold rax\n"
"	inc ecx\n"
"	cmp ecx, edx\n"
"	jne .Lgx_hash_loop\n"
/* x87 and MXCSR */
"	fld1\n"
"	faddp st(1), st\n"
"	fist dword ptr [" GX_SCR "+0x60]\n"
"	fnstcw word ptr [" GX_SCR "+0x64]\n"
"	fnstsw ax\n"
"	movzx eax, ax\n"
"	gx_fold rax\n"
"	mov eax, dword ptr [" GX_SCR "+0x60]\n"
"	gx_fold rax\n"
"	movzx eax, word ptr [" GX_SCR "+0x64]\n"
"	gx_fold rax\n"
"	stmxcsr dword ptr [" GX_SCR "+0x68]\n"
"	mov eax, dword ptr [" GX_SCR "+0x68]\n"
"	gx_fold rax\n"
/* XCR0, where there is one (user mode: kvm_pvm cannot emulate XGETBV) */
"	cmp qword ptr [" GX_SCR "+8], 0\n"
"	je .Lgx_no_xgetbv\n"
"	xor ecx, ecx\n"
"	xgetbv\n"
"	shl rdx, 32\n"
"	or rax, rdx\n"
"	gx_fold rax\n"
".Lgx_no_xgetbv:\n"
/* segment bases, as user mode sees them: through memory */
"	mov rax, qword ptr fs:[0]\n	gx_fold rax\n"
"	mov rax, qword ptr gs:[8]\n	gx_fold rax\n"
"	mov eax, cs\n	gx_fold rax\n"
"	mov eax, ss\n	gx_fold rax\n"
/* the system call; on odd rounds the exit is ours, on even the kernel's */
"	mov eax, 1\n"
"	ud2\n"
"	test ebp, 1\n"
"	jz .Lgx_round_done\n"
"	push rbx\n"
"	push r8\n"
"	call .Lgx_emit_outer\n"
"	pop rax\n	gx_fold rax\n"
"	pop rax\n	gx_fold rax\n"
".Lgx_round_done:\n"
"	ret\n"

/* the exit, two calls deep, with values pushed around it (either mode) */
".Lgx_emit_outer:\n"
"	push r9\n"
"	call .Lgx_emit\n"
"	pop rax\n"
"	gx_fold rax\n"
"	ret\n"
/* the flags of this ADD are live across the OUT: the ADC reads its carry */
".Lgx_emit:\n"
"	mov rax, rbx\n"
"	xor rax, r15\n"
"	add r10, r11\n"
"	mov edx, " STR(GUEST_X86_PORT_STEP) "\n"
"	out dx, eax\n"
"	pushfq\n"
"	pop rcx\n"
"	adc r12, r13\n"
"	and ecx, 0x8d5\n"
"	gx_fold rcx\n"
"	ret\n"

/* ---- kernel: #UD from UD2 is the system call; eax 1 round, 2 done ---- */
".Lgx_syscall:\n"
"	swapgs\n"
"	add qword ptr [rsp], 2\n"
"	cmp eax, 2\n"
"	je .Lgx_done\n"
"	inc qword ptr gs:[0]\n"
"	mov rax, qword ptr gs:[0]\n	gx_fold rax\n"
/* KERNEL_GS_BASE holds the user's GS base now: fold it, move it */
"	mov ecx, " STR(GUEST_X86_MSR_KERNEL_GS_BASE) "\n"
GX_RDMSR64
"	gx_fold rax\n"
"	add rax, r12\n"
GX_WRMSR_RING_ADDR
"	mov ecx, " STR(GUEST_X86_MSR_GS_BASE) "\n"
GX_RDMSR64
"	gx_fold rax\n"
"	mov ecx, " STR(GUEST_X86_MSR_FS_BASE) "\n"
GX_RDMSR64
"	gx_fold rax\n"
"	add rax, r13\n"
GX_WRMSR_RING_ADDR
/* MSRs only a save of MSRs keeps; TSC_AUX where CPUID offers RDTSCP */
"	mov ecx, " STR(GUEST_X86_MSR_LSTAR) "\n"
GX_RDMSR64
"	gx_fold rax\n"
"	add rax, r15\n"
GX_WRMSR_RING_ADDR
"	mov ecx, " STR(GUEST_X86_MSR_SYSENTER_ESP) "\n"
GX_RDMSR64
"	gx_fold rax\n"
"	add rax, rsi\n"
GX_WRMSR_RING_ADDR
"	test byte ptr [" GX_SCR "], 4\n"
"	jz .Lgx_aux_done\n"
"	rdtscp\n"
"	mov eax, ecx\n"
"	gx_fold rax\n"
"	lea eax, [rcx+rcx*4+1]\n"
"	xor edx, edx\n"
"	mov ecx, " STR(GUEST_X86_MSR_TSC_AUX) "\n"
"	wrmsr\n"
".Lgx_aux_done:\n"
/* control, debug and descriptor-table registers */
"	mov rax, cr2\n	gx_fold rax\n	add rax, r14\n	mov cr2, rax\n"
"	mov rax, cr8\n	gx_fold rax\n	inc eax\n	and eax, 15\n"
"	mov cr8, rax\n"
"	mov rax, cr0\n	gx_fold rax\n"
"	mov rax, cr3\n	gx_fold rax\n"
"	mov rax, cr4\n	gx_fold rax\n"
"	mov ecx, 0xc0000080\n	rdmsr\n	gx_fold rax\n"
"	mov rax, dr0\n	gx_fold rax\n	add rax, r8\n"
"	and eax, 0x7ffffff8\n	mov dr0, rax\n"
"	mov rax, dr1\n	gx_fold rax\n	add rax, r9\n"
"	and eax, 0x7ffffff8\n	mov dr1, rax\n"
"	mov rax, dr2\n	gx_fold rax\n	add rax, r10\n"
"	and eax, 0x7ffffff8\n	mov dr2, rax\n"
"	mov rax, dr3\n	gx_fold rax\n	add rax, r11\n"
"	and eax, 0x7ffffff8\n	mov dr3, rax\n"
"	sgdt [" GX_SCR "+0x70]\n"
"	sidt [" GX_SCR "+0x80]\n"
"	movzx eax, word ptr [" GX_SCR "+0x70]\n	gx_fold rax\n"
"	mov rax, qword ptr [" GX_SCR "+0x72]\n	gx_fold rax\n"
"	movzx eax, word ptr [" GX_SCR "+0x80]\n	gx_fold rax\n"
"	mov rax, qword ptr [" GX_SCR "+0x82]\n	gx_fold rax\n"
"	mov eax, cs\n	gx_fold rax\n"
/* the IRET frame the CPU pushed on the stack TSS.RSP0 named */
"	mov rax, qword ptr [rsp]\n	gx_fold rax\n"
"	mov rax, qword ptr [rsp+8]\n	gx_fold rax\n"
"	mov rax, qword ptr [rsp+24]\n	gx_fold rax\n"
"	mov rax, qword ptr [rsp+32]\n	gx_fold rax\n"
"	mov rax, rsp\n	gx_fold rax\n"
"	test ebp, 1\n"
"	jnz .Lgx_sysret\n"
"	push rbx\n"
"	push r8\n"
"	call .Lgx_emit_outer\n"
"	pop rax\n	gx_fold rax\n"
"	pop rax\n	gx_fold rax\n"
".Lgx_sysret:\n"
"	swapgs\n"
"	iretq\n"
".Lgx_done:\n"
"	mov eax, ebx\n"
"	mov edx, " STR(GUEST_X86_PORT_DONE) "\n"
"	out dx, eax\n"
".Lgx_halt:\n"
"	hlt\n"
"	jmp .Lgx_halt\n"
/* any other exception: report the top of the frame (RIP, or the error
 * code) and stop */
".Lgx_fault:\n"
"	mov rax, qword ptr [rsp]\n"
"	mov edx, " STR(GUEST_X86_PORT_FAULT) "\n"
"	out dx, eax\n"
"	jmp .Lgx_halt\n"
"guest_x86_checkpoint_end:\n"
"	.purgem gx_fold\n"
"	.att_syntax prefix\n"
"	.popsection\n");

extern const uint8_t guest_x86_checkpoint_begin[];
extern const uint8_t guest_x86_checkpoint_end[];

const void *guest_x86_checkpoint_code(size_t *size)
{
	*size = (size_t)(guest_x86_checkpoint_end - guest_x86_checkpoint_begin);
	return guest_x86_checkpoint_begin;
}

/* ---------------------------------------------------------------- */
/* VM                                                                */

static int failed_at(const char **what, const char *step)
{
	int err = errno ? -errno : -EIO;

	if (what)
		*what = step;
	return err;
}

int guest_x86_vm_create(int kvm_fd, unsigned int flags,
			struct guest_x86_vm *vm, const char **what)
{
	struct kvm_userspace_memory_region region;
	int size, err;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->vm_fd = vm->vcpu_fd = -1;
	vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err = failed_at(what, "KVM_CREATE_VM");
		goto fail;
	}
	vm->ram = mmap(NULL, GUEST_X86_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		err = failed_at(what, "mmap guest RAM");
		goto fail;
	}
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_X86_RAM_SIZE,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		err = failed_at(what, "KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
	if ((flags & GUEST_X86_IRQCHIP) &&
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err = failed_at(what, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		err = failed_at(what, "KVM_CREATE_VCPU");
		goto fail;
	}
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		err = failed_at(what, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		err = failed_at(what, "mmap kvm_run");
		goto fail;
	}
	return 0;
fail:
	guest_x86_vm_destroy(vm);
	return err;
}

void guest_x86_vm_destroy(struct guest_x86_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->ram)
		munmap(vm->ram, GUEST_X86_RAM_SIZE);
	vm->run = NULL;
	vm->ram = NULL;
	vm->vcpu_fd = vm->vm_fd = -1;
}

struct kvm_cpuid2 *guest_x86_supported_cpuid(int kvm_fd)
{
	for (uint32_t nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) +
						  nent * sizeof(cpuid->entries[0]));

		if (!cpuid)
			return NULL;
		cpuid->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			return cpuid;
		free(cpuid);
		if (errno != E2BIG)
			return NULL;
	}
	errno = E2BIG;
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *cpuid,
					    uint32_t function, uint32_t index)
{
	return (struct kvm_cpuid_entry2 *)guest_x86_cpuid_find(cpuid, function,
							       index);
}

#define XFEATURE_X87		(1ull << 0)
#define XFEATURE_SSE		(1ull << 1)
#define XFEATURE_YMM		(1ull << 2)
#define XFEATURE_AVX512		(7ull << 5)	/* opmask, ZMM_Hi256, Hi16_ZMM */

#define CPUID1_ECX_XSAVE	(1u << 26)
#define CPUID1_ECX_AVX		(1u << 28)
#define CPUID7_EBX_AVX2		(1u << 5)
#define CPUID7_EBX_AVX512F	(1u << 16)

struct kvm_cpuid2 *guest_x86_program_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid = guest_x86_supported_cpuid(kvm_fd);
	struct kvm_cpuid_entry2 *leaf1, *leaf7, *leafd;
	unsigned int a, b, c, d;
	uint64_t xcr0;

	if (!cpuid)
		return NULL;
	leaf1 = cpuid_entry(cpuid, 1, 0);
	leaf7 = cpuid_entry(cpuid, 7, 0);
	leafd = cpuid_entry(cpuid, 0xd, 0);
	if (!leaf1 || !leaf7 || !leafd)
		return cpuid;
	xcr0 = leafd->eax | ((uint64_t)leafd->edx << 32);
	if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) ||
	    !(c & CPUID1_ECX_XSAVE) ||
	    (xcr0 & (XFEATURE_X87 | XFEATURE_SSE)) !=
	    (XFEATURE_X87 | XFEATURE_SSE))
		return cpuid;
	leaf1->ecx |= CPUID1_ECX_XSAVE;
	if (!(c & CPUID1_ECX_AVX) || !(xcr0 & XFEATURE_YMM))
		return cpuid;
	leaf1->ecx |= CPUID1_ECX_AVX;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) ||
	    !(b & CPUID7_EBX_AVX2))
		return cpuid;
	leaf7->ebx |= CPUID7_EBX_AVX2;
	if ((b & CPUID7_EBX_AVX512F) &&
	    (xcr0 & XFEATURE_AVX512) == XFEATURE_AVX512)
		leaf7->ebx |= CPUID7_EBX_AVX512F;
	return cpuid;
}

const struct kvm_cpuid_entry2 *guest_x86_cpuid_find(
	const struct kvm_cpuid2 *cpuid, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == function &&
		    cpuid->entries[i].index == index)
			return &cpuid->entries[i];
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Long mode                                                         */

#define PTE_PRESENT	0x1ull
#define PTE_WRITE	0x2ull
#define PTE_USER	0x4ull
#define PTE_LARGE	0x80ull
#define PTE_TABLE	(PTE_PRESENT | PTE_WRITE | PTE_USER)

/* Flat 64-bit code (L=1, D=0) and flat data, DPL 0 and DPL 3. */
#define GDT_KCODE64	0x00af9b000000ffffull
#define GDT_KDATA	0x00cf93000000ffffull
#define GDT_UDATA	0x00cff3000000ffffull
#define GDT_UCODE64	0x00affb000000ffffull

static void put64(uint8_t *ram, uint64_t gpa, uint64_t value)
{
	memcpy(ram + gpa, &value, sizeof(value));
}

int guest_x86_load(struct guest_x86_vm *vm, const void *code, size_t size)
{
	uint8_t *ram = vm->ram;
	uint64_t tss_low;

	if (size > GUEST_X86_RING - GUEST_X86_CODE)
		return -EINVAL;
	put64(ram, GUEST_X86_PML4, GUEST_X86_PDPT | PTE_TABLE);
	put64(ram, GUEST_X86_PDPT, GUEST_X86_PD | PTE_TABLE);
	put64(ram, GUEST_X86_PD, 0 | PTE_TABLE | PTE_LARGE);
	put64(ram, GUEST_X86_GDT, 0);
	put64(ram, GUEST_X86_GDT + GUEST_X86_SEL_CODE, GDT_KCODE64);
	put64(ram, GUEST_X86_GDT + GUEST_X86_SEL_DATA, GDT_KDATA);
	put64(ram, GUEST_X86_GDT + (GUEST_X86_SEL_UDATA & ~3), GDT_UDATA);
	put64(ram, GUEST_X86_GDT + (GUEST_X86_SEL_UCODE & ~3), GDT_UCODE64);
	/* available 64-bit TSS, limit 0x67, base GUEST_X86_TSS */
	tss_low = 0x67 | ((uint64_t)(GUEST_X86_TSS & 0xffffff) << 16) |
		  (0x89ull << 40) |
		  ((uint64_t)((GUEST_X86_TSS >> 24) & 0xff) << 56);
	put64(ram, GUEST_X86_GDT + GUEST_X86_SEL_TSS, tss_low);
	put64(ram, GUEST_X86_GDT + GUEST_X86_SEL_TSS + 8, 0);
	/* TSS.RSP0 (offset 4): the stack of every entry from user mode */
	put64(ram, GUEST_X86_TSS + 4, GUEST_X86_STACK_TOP);
	memcpy(ram + GUEST_X86_CODE, code, size);
	return 0;
}

static void flat_segment(struct kvm_segment *seg, uint16_t selector,
			 uint8_t type, int code)
{
	*seg = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

int guest_x86_enter_long_mode(struct guest_x86_vm *vm, uint64_t cr4_extra,
			      uint64_t rdi, uint64_t rsi, uint64_t rdx)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	flat_segment(&sregs.cs, GUEST_X86_SEL_CODE, 0xb, 1);
	flat_segment(&sregs.ds, GUEST_X86_SEL_DATA, 0x3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){
		.base = GUEST_X86_TSS,
		.limit = 0x67,
		.selector = GUEST_X86_SEL_TSS,
		.type = 0xb,	/* busy 64-bit TSS, as after LTR */
		.present = 1,
	};
	sregs.gdt.base = GUEST_X86_GDT;
	sregs.gdt.limit = GUEST_X86_SEL_TSS + 16 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	/* PE MP ET NE WP PG */
	sregs.cr0 = 0x1 | 0x2 | 0x10 | 0x20 | 0x10000 | 0x80000000;
	sregs.cr3 = GUEST_X86_PML4;
	/* PAE OSFXSR OSXMMEXCPT */
	sregs.cr4 = 0x20 | 0x200 | 0x400 | cr4_extra;
	/* SCE LME LMA NXE */
	sregs.efer = 0x1 | 0x100 | 0x400 | 0x800;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	regs = (struct kvm_regs){
		.rip = GUEST_X86_CODE,
		.rsp = GUEST_X86_STACK_TOP,
		.rflags = 0x2,
		.rdi = rdi,
		.rsi = rsi,
		.rdx = rdx,
	};
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int guest_x86_run(struct guest_x86_vm *vm)
{
	int r;

	do {
		r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int guest_x86_complete_io(struct guest_x86_vm *vm)
{
	int r, err;

	vm->run->immediate_exit = 1;
	r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	err = errno;
	vm->run->immediate_exit = 0;
	if (r == 0)
		return -EIO;	/* ran guest code: not what was asked */
	return err == EINTR ? 0 : -err;
}

/* ---------------------------------------------------------------- */
/* The checkpoint program's parameters                               */

#define CR4_OSXSAVE		(1ull << 18)

void guest_x86_checkpoint_params_for(const struct kvm_cpuid2 *cpuid,
				     uint32_t iterations,
				     struct guest_x86_checkpoint_params *params)
{
	const struct kvm_cpuid_entry2 *leaf1 = guest_x86_cpuid_find(cpuid, 1, 0);
	const struct kvm_cpuid_entry2 *leaf7 = guest_x86_cpuid_find(cpuid, 7, 0);
	const struct kvm_cpuid_entry2 *leafd = guest_x86_cpuid_find(cpuid, 0xd, 0);
	const struct kvm_cpuid_entry2 *ext1 =
		guest_x86_cpuid_find(cpuid, 0x80000001, 0);
	uint64_t xcr0_supported = 0;
	int xsave = leaf1 && (leaf1->ecx & CPUID1_ECX_XSAVE);
	int avx = leaf1 && (leaf1->ecx & CPUID1_ECX_AVX);
	int avx2 = leaf7 && (leaf7->ebx & CPUID7_EBX_AVX2);
	int avx512f = leaf7 && (leaf7->ebx & CPUID7_EBX_AVX512F);

	memset(params, 0, sizeof(*params));
	params->iterations = iterations;
	params->vector_level = GUEST_X86_VEC_SSE;
	params->use_rdtscp = ext1 && (ext1->edx & (1u << 27));
	if (leafd)
		xcr0_supported = leafd->eax | ((uint64_t)leafd->edx << 32);
	if (!xsave || !(xcr0_supported & XFEATURE_SSE))
		return;
	params->xcr0 = XFEATURE_X87 | XFEATURE_SSE;
	if (!avx || !avx2 || !(xcr0_supported & XFEATURE_YMM))
		return;
	params->xcr0 |= XFEATURE_YMM;
	params->vector_level = GUEST_X86_VEC_AVX2;
	if (!avx512f ||
	    (xcr0_supported & XFEATURE_AVX512) != XFEATURE_AVX512)
		return;
	params->xcr0 |= XFEATURE_AVX512;
	params->vector_level = GUEST_X86_VEC_AVX512;
}

const char *guest_x86_vector_level_name(enum guest_x86_vector_level level)
{
	switch (level) {
	case GUEST_X86_VEC_SSE:
		return "sse";
	case GUEST_X86_VEC_AVX2:
		return "avx2";
	case GUEST_X86_VEC_AVX512:
		return "avx512";
	}
	return "?";
}

int guest_x86_checkpoint_start(struct guest_x86_vm *vm,
			       const struct guest_x86_checkpoint_params *params)
{
	size_t size;
	const void *code = guest_x86_checkpoint_code(&size);
	uint64_t flags = (uint64_t)params->vector_level |
			 (params->use_rdtscp ? 4u : 0u);
	int err;

	if (!params->iterations)
		return -EINVAL;
	err = guest_x86_load(vm, code, size);
	if (err)
		return err;
	return guest_x86_enter_long_mode(vm, params->xcr0 ? CR4_OSXSAVE : 0,
					 params->iterations, flags,
					 params->xcr0);
}

#endif /* __x86_64__ */
