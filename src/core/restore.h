/* SPDX-License-Identifier: MIT */
/* restore.c's test hook: not installed, not part of the library's API. */
#ifndef KVMREG_RESTORE_H
#define KVMREG_RESTORE_H

#include <stddef.h>

/*
 * For the fault-injection tests only: make the next restores fail at the
 * register in this position of the restore order (after the real write of
 * its rank, so the rollback has real work to undo). SIZE_MAX turns it off.
 */
void kvmreg_restore_inject_fault(size_t position);

/*
 * For the tests of the restore from a saved state's structs: how many
 * batches this thread's restores wrote straight from them (restore.c,
 * run_from_images).
 */
size_t kvmreg_restore_image_batches(void);

#endif /* KVMREG_RESTORE_H */
