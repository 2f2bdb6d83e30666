/* SPDX-License-Identifier: MIT */
/*
 * What the name tests share (the tests/unit name tests and driver_properties.c):
 * a register's name as a string to compare and print, and a driver's
 * known ids.
 */
#ifndef KVMREG_TEST_NAMES_H
#define KVMREG_TEST_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

struct kvmreg_idvec;

/* The buffer t_name_of() writes: its last result, until the next call. */
extern char t_name_buf[512];

/*
 * kvmreg_id_name() of id into t_name_buf, returned; on an error the text
 * "<error -N: message>", which no name starts with, so a comparison with
 * a wanted name fails and prints why.
 */
const char *t_name_of(enum kvmreg_arch arch, uint64_t id,
		      enum kvmreg_name_style style);

/* Whether name is the generic form the core prints for an id its driver
 * has no name for ("0x6030000000170000", or with "ULL" in macro style). */
bool t_name_is_generic(const char *name);

/* The driver's known_ids() into *ids (zeroed first); 0 or -errno, and
 * -ENOSYS if arch has no driver or the driver lists no ids. */
int t_known_ids(enum kvmreg_arch arch, struct kvmreg_idvec *ids);
/* How many of them pass is_one (0 if there are none, or no list). */
size_t t_known_ids_where(enum kvmreg_arch arch, bool (*is_one)(uint64_t id));

/*
 * How a malformed id or name must be met: kvmreg_id_check() or
 * kvmreg_id_parse() says -EINVAL with a message containing says (and no
 * name is printed for the id). NULL if so, else what happened instead (in
 * a buffer valid until the next call), for the test to print.
 */
const char *t_bad_id_fault(enum kvmreg_arch arch, uint64_t id,
			   const char *says);
const char *t_bad_name_fault(enum kvmreg_arch arch, const char *name,
			     const char *says);

#endif /* KVMREG_TEST_NAMES_H */
