/* SPDX-License-Identifier: MIT */
/* Helpers the real-KVM tests share (header-only, static). */
#ifndef KVMREG_TESTUTIL_H
#define KVMREG_TESTUTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kvmreg.h"

/*
 * Print every register in which a and b differ, volatile ones aside unless
 * asked; returns how many differ (a register missing from one side counts).
 */
static inline size_t t_state_differences(const struct kvmreg_state *a,
					 const struct kvmreg_state *b,
					 int include_volatile)
{
	size_t differ = 0;
	enum kvmreg_arch arch = kvmreg_state_arch(a);

	for (size_t i = 0; i < kvmreg_state_count(a); i++) {
		uint64_t id;
		const void *va, *vb;
		char name[160], ta[520], tb[520];

		kvmreg_state_at(a, i, &id, &va);
		if (!include_volatile && kvmreg_id_is_volatile(arch, id))
			continue;
		vb = kvmreg_state_get(b, id);
		if (vb && va && !memcmp(va, vb, kvmreg_id_size(id)))
			continue;
		differ++;
		kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name));
		kvmreg_value_format(va, kvmreg_id_size(id), ta, sizeof(ta));
		if (vb)
			kvmreg_value_format(vb, kvmreg_id_size(id), tb, sizeof(tb));
		printf("    differs: %-32s %s -> %s\n", name, ta, vb ? tb : "(missing)");
	}
	for (size_t i = 0; i < kvmreg_state_count(b); i++) {
		uint64_t id;
		char name[160];

		kvmreg_state_at(b, i, &id, NULL);
		if (kvmreg_state_get(a, id))
			continue;
		differ++;
		kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name));
		printf("    differs: %-32s only in the second state\n", name);
	}
	return differ;
}

/* Same arch, kernel, capture-ness, ids in the same order and values: what a
 * file or JSON round trip must give back. */
static inline int t_states_identical(const struct kvmreg_state *a,
				     const struct kvmreg_state *b)
{
	if (kvmreg_state_arch(a) != kvmreg_state_arch(b) ||
	    kvmreg_state_count(a) != kvmreg_state_count(b) ||
	    strcmp(kvmreg_state_kernel(a), kvmreg_state_kernel(b)) ||
	    kvmreg_state_is_capture(a) != kvmreg_state_is_capture(b))
		return 0;
	for (size_t i = 0; i < kvmreg_state_count(a); i++) {
		uint64_t ia, ib;
		const void *va, *vb;

		kvmreg_state_at(a, i, &ia, &va);
		kvmreg_state_at(b, i, &ib, &vb);
		if (ia != ib || !va != !vb ||
		    (va && memcmp(va, vb, kvmreg_id_size(ia))))
			return 0;
	}
	return 1;
}

/* A general-purpose register of the host arch that takes any value. */
static inline uint64_t t_gpr_id(void)
{
#if defined(__aarch64__)
	return 0x6030000000100000ULL;	/* core regs[0] */
#elif defined(__riscv)
	return 0x803000000200000aULL;	/* core regs.a0, U64 */
#else
	static const char *const names[] = { "rax", "regs.rax", "RAX" };
	uint64_t id;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!kvmreg_id_parse(kvmreg_arch_host(), names[i], &id))
			return id;
	return 0;
#endif
}

/*
 * Three registers for a short write (fewer ids than the library keeps a
 * plan for): the middle one a register the kernel refuses with EINVAL
 * where a plain ONE_REG register does (arm64: a PSTATE with no such mode;
 * riscv64: a timer frequency other than the host's), between two it
 * takes. Returns 1 if the middle write is refused, 0 where nothing is
 * (x86: three general-purpose registers), -1 if the names do not parse.
 */
static inline int t_short_write(uint64_t ids[3], uint64_t vals[3])
{
	int refused = 1;

#if defined(__aarch64__)
	ids[0] = 0x6030000000100000ULL;		/* core regs[0] */
	ids[1] = 0x6030000000100042ULL;		/* core pstate */
	ids[2] = 0x6030000000100002ULL;		/* core regs[1] */
	vals[1] = 0x1;				/* no such mode */
#elif defined(__riscv)
	ids[0] = 0x803000000200000aULL;		/* core a0 */
	ids[1] = 0x8030000004000000ULL;		/* timer frequency */
	ids[2] = 0x803000000200000bULL;		/* core a1 */
	vals[1] = 7;				/* not the host's timebase */
#else
	static const char *const names[3] = { "rax", "rbx", "rcx" };

	for (int i = 0; i < 3; i++)
		if (kvmreg_id_parse(kvmreg_arch_host(), names[i], &ids[i]))
			return -1;
	vals[1] = 0x3333333333333333ULL;
	refused = 0;
#endif
	vals[0] = 0x1111111111111111ULL;
	vals[2] = 0x2222222222222222ULL;
	return refused;
}

#endif /* KVMREG_TESTUTIL_H */
