/* SPDX-License-Identifier: MIT */
/* What the snapshot format (file.c) gives the code above it: JSON, paths
 * (state_io.c), the tests and the fuzzer. Not installed. */
#ifndef KVMREG_FILE_H
#define KVMREG_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bit of struct kvmreg_state.flags: the state is a capture even when it has
 * no entries yet (a capture of a vCPU with no registers still says so, and
 * survives a round trip through a file).
 */
#define KVMREG_STATE_F_CAPTURE	(1u << 0)

/* CRC32C (Castagnoli, reflected, as iSCSI and ext4 use it), of len bytes;
 * crc32c("123456789") == 0xe3069283. */
uint32_t kvmreg_crc32c(const void *buf, size_t len);

/* Write buf to path through a temporary file and rename(2): all or
 * nothing. */
int kvmreg_write_file_atomic(const char *path, const void *buf, size_t len);
/* Read a whole file (at most 64 MiB) into *buf, NUL-terminated beyond
 * *len; the caller frees. */
int kvmreg_read_file(const char *path, void **buf, size_t *len);

/* The snapshot layout (docs/format.md), for the tests and the fuzzer. */
#define KVMREG_FILE_MAGIC	"KVMREG\r\n"
#define KVMREG_FILE_VERSION	1
#define KVMREG_FILE_HEADER_SIZE	96
#define KVMREG_FILE_TRAILER_SIZE 4
#define KVMREG_FILE_ENTRY_HEAD	12	/* id (8) + size (4) */
#define KVMREG_FILE_FLAG_CAPTURE (1u << 0)

/* Header field offsets. */
#define KVMREG_FILE_OFF_VERSION	8
#define KVMREG_FILE_OFF_HSIZE	10
#define KVMREG_FILE_OFF_FLAGS	12
#define KVMREG_FILE_OFF_ARCH	16
#define KVMREG_FILE_OFF_COUNT	20
#define KVMREG_FILE_OFF_LENGTH	24
#define KVMREG_FILE_OFF_KERNEL	32
#define KVMREG_FILE_KERNEL_SIZE	64

#endif /* KVMREG_FILE_H */
