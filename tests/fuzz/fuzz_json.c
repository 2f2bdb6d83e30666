// SPDX-License-Identifier: MIT
/* The JSON reader: no crash, no over-read, a message on every failure,
 * and what it accepts survives both formats and exports stably. */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not NUL-terminated: the reader must stop at size by itself. */
	char *copy = malloc(size ? size : 1);
	struct kvmreg_state *s = (struct kvmreg_state *)1, *back = NULL;
	char *json, *again;

	memcpy(copy, data, size);
	if (kvmreg_state_from_json(copy, size, &s)) {
		FUZZ_CHECK(s == (struct kvmreg_state *)1,
			   "a failed read changed *out");
		FUZZ_CHECK(kvmreg_error()[0], "a failure without a message");
		free(copy);
		return 0;
	}
	fuzz_round_trips(s);
	/* Export, read, export: the two texts are the same. */
	FUZZ_CHECK(kvmreg_state_to_json(s, &json) == 0, "to_json");
	FUZZ_CHECK(kvmreg_state_from_json(json, strlen(json), &back) == 0,
		   "re-read");
	FUZZ_CHECK(kvmreg_state_to_json(back, &again) == 0, "re-export");
	FUZZ_CHECK(!strcmp(json, again), "export is not stable");
	free(json);
	free(again);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
	free(copy);
	return 0;
}
