// SPDX-License-Identifier: MIT
/*
 * The snapshot reader. Each input is read twice: as it is, and with its
 * checksum made right, because otherwise nearly every mutation stops at
 * the checksum and the entry parser behind it is never reached. What it
 * accepts must encode back to the very same bytes: the format has one
 * spelling for each state.
 */
#include <stdint.h>

#include "file.h"
#include "fuzz_common.h"

static void check(const uint8_t *data, size_t size)
{
	struct kvmreg_state *s = (struct kvmreg_state *)1;
	void *again;
	size_t len;

	if (kvmreg_state_decode(data, size, &s)) {
		FUZZ_CHECK(s == (struct kvmreg_state *)1,
			   "a failed decode changed *out");
		FUZZ_CHECK(kvmreg_error()[0], "a failure without a message");
		return;
	}
	FUZZ_CHECK(kvmreg_state_encode(s, &again, &len) == 0, "re-encode");
	FUZZ_CHECK(len == size && !memcmp(again, data, size),
		   "re-encoding gives other bytes (%zu, was %zu)", len, size);
	free(again);
	fuzz_round_trips(s);
	kvmreg_state_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes on the heap, so ASan sees any over-read. */
	uint8_t *copy = malloc(size ? size : 1);
	uint32_t crc;

	memcpy(copy, data, size);
	check(copy, size);
	if (size >= KVMREG_FILE_TRAILER_SIZE) {
		crc = kvmreg_crc32c(copy, size - KVMREG_FILE_TRAILER_SIZE);
		for (int i = 0; i < 4; i++)
			copy[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
		check(copy, size);
	}
	free(copy);
	return 0;
}
