// SPDX-License-Identifier: MIT
/*
 * The name codecs of every architecture. The input is tried as a name
 * under each arch (and none): whatever parses must name back to a string
 * that parses to the same id. Its first 8 bytes are also tried as an id:
 * whatever names must parse back, in both styles.
 */
#include <stdint.h>

#include "fuzz_common.h"

static void name_round_trip(enum kvmreg_arch arch, uint64_t id)
{
	static const enum kvmreg_name_style styles[] = {
		KVMREG_NAME_SHORT, KVMREG_NAME_MACRO
	};
	enum kvmreg_arch of = arch ? arch : kvmreg_arch_of_id(id);

	for (size_t i = 0; i < 2; i++) {
		char name[512];
		uint64_t back = 0;
		int n = kvmreg_id_name(arch, id, styles[i], name, sizeof(name));

		if (n < 0)
			return;
		FUZZ_CHECK((size_t)n < sizeof(name), "a %d-byte name", n);
		FUZZ_CHECK(kvmreg_id_parse(of, name, &back) == 0,
			   "%s name '%s' of 0x%016llx does not parse",
			   kvmreg_arch_name(of), name, (unsigned long long)id);
		FUZZ_CHECK(back == id, "'%s' is 0x%016llx, named from 0x%016llx",
			   name, (unsigned long long)back,
			   (unsigned long long)id);
	}
	(void)kvmreg_id_group(arch, id);
	(void)kvmreg_id_is_volatile(arch, id);
	(void)kvmreg_id_restore_rank(arch, id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);

	memcpy(name, data, size);
	name[size] = '\0';
	for (int a = KVMREG_ARCH_NONE; a < KVMREG_ARCH_COUNT; a++) {
		uint64_t id = 0;

		if (kvmreg_id_parse((enum kvmreg_arch)a, name, &id) == 0)
			name_round_trip((enum kvmreg_arch)a, id);
		else
			FUZZ_CHECK(kvmreg_error()[0], "a failure without a message");
	}
	if (size >= 8) {
		uint64_t id = 0;

		for (int i = 0; i < 8; i++)
			id |= (uint64_t)data[i] << (8 * i);
		for (int a = KVMREG_ARCH_NONE; a < KVMREG_ARCH_COUNT; a++)
			name_round_trip((enum kvmreg_arch)a, id);
	}
	free(name);
	return 0;
}
