/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: a property failure is a crash, so that
 * libFuzzer keeps the input and the stage fails. */
#ifndef KVMREG_FUZZ_COMMON_H
#define KVMREG_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmreg.h"
#include "../lib/testutil.h"

#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "property failed: %s: ", #cond);	\
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, " (%s)\n", kvmreg_error());	\
			abort();					\
		}							\
	} while (0)

/* A state that was read must survive both formats unchanged. */
static inline void fuzz_round_trips(const struct kvmreg_state *s)
{
	struct kvmreg_state *back = NULL;
	void *buf;
	size_t len;
	char *json;

	FUZZ_CHECK(kvmreg_state_encode(s, &buf, &len) == 0, "encode");
	FUZZ_CHECK(kvmreg_state_decode(buf, len, &back) == 0, "decode");
	FUZZ_CHECK(t_states_identical(s, back), "binary round trip");
	kvmreg_state_free(back);
	free(buf);

	FUZZ_CHECK(kvmreg_state_to_json(s, &json) == 0, "to_json");
	FUZZ_CHECK(kvmreg_state_from_json(json, strlen(json), &back) == 0,
		   "from_json of\n%s\n", json);
	FUZZ_CHECK(t_states_identical(s, back), "JSON round trip");
	kvmreg_state_free(back);
	free(json);
}

#endif /* KVMREG_FUZZ_COMMON_H */
