// SPDX-License-Identifier: MIT
/* The snapshot format: round trips, and every class of malformed input
 * rejected with its message (built by mutating a valid encoding). */
#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/stat.h>

#include "file.h"
#include "harness.h"
#include "lib/testutil.h"
#include "kvmreg.h"
#include "state.h"

/* arm64 ids (facts from arch/arm64/include/uapi/asm/kvm.h). */
#define ARM64_X0	0x6030000000100000ULL	/* core regs.regs[0] */
#define ARM64_PC	0x6030000000100040ULL	/* core regs.pc */
#define ARM64_V0	0x6040000000100054ULL	/* core fp_regs.vregs[0], U128 */
#define ARM64_FPSR	0x60200000001000d4ULL	/* core fp_regs.fpsr, U32 */
#define ARM64_MPIDR	0x603000000013c005ULL	/* sysreg 3,0,0,0,5 */
#define X86_ID		0x2030000000000010ULL	/* any x86 id */

static struct kvmreg_state *sample(void)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_ARM64);
	uint8_t v[16];

	for (int i = 0; i < 16; i++)
		v[i] = (uint8_t)(0xa0 + i);
	if (!s || kvmreg_state_set_kernel(s, "6.18.0-test") ||
	    kvmreg_state_set(s, ARM64_PC, v, 8) ||
	    kvmreg_state_set(s, ARM64_X0, (uint8_t[8]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8) ||
	    kvmreg_state_set(s, ARM64_V0, v, 16) ||
	    kvmreg_state_set(s, ARM64_FPSR, (uint8_t[4]){ 0x10, 0, 0, 0x08 }, 4) ||
	    kvmreg_state_set(s, ARM64_MPIDR, (uint8_t[8]){ 0, 0, 0, 0x80 }, 8)) {
		kvmreg_state_free(s);
		return NULL;
	}
	return s;
}

static struct kvmreg_state *capture_of(const struct kvmreg_state *s)
{
	struct kvmreg_state *c = kvmreg_state_new(kvmreg_state_arch(s));

	kvmreg_state_set_kernel(c, kvmreg_state_kernel(s));
	for (size_t i = 0; i < kvmreg_state_count(s); i++) {
		uint64_t id;

		kvmreg_state_at(s, i, &id, NULL);
		kvmreg_state_set(c, id, NULL, kvmreg_id_size(id));
	}
	return c;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Make the checksum right again after a mutation, so the check under test
 * is the one that must fire. */
static void fix_crc(uint8_t *buf, size_t len)
{
	put32(buf + len - 4, kvmreg_crc32c(buf, len - 4));
}

/* Decode must fail, leave *out as it was, and say `needle`. */
static int rejects(const void *buf, size_t len, const char *needle)
{
	struct kvmreg_state *out = (struct kvmreg_state *)1;
	int err = kvmreg_state_decode(buf, len, &out);

	if (err >= 0 || out != (struct kvmreg_state *)1) {
		printf("    decode of %zu bytes succeeded\n", len);
		kvmreg_state_free(err >= 0 ? out : NULL);
		return 0;
	}
	if (!strstr(kvmreg_error(), needle)) {
		printf("    message '%s' lacks '%s'\n", kvmreg_error(), needle);
		return 0;
	}
	return 1;
}

static int encode_sample(uint8_t **buf, size_t *len)
{
	struct kvmreg_state *s = sample();
	int err = s ? kvmreg_state_encode(s, (void **)buf, len) : -1;

	kvmreg_state_free(s);
	return err;
}

TEST(crc32c_check_value)
{
	EXPECT(kvmreg_crc32c("123456789", 9) == 0xe3069283u, "0x%08x",
	       kvmreg_crc32c("123456789", 9));
	EXPECT(kvmreg_crc32c("", 0) == 0);
}

TEST(layout_is_as_documented)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0, "%s", kvmreg_error());
	/* 96 header + 5 entries * 12 + values 8+8+16+4+8 + 4 trailer */
	EXPECT(len == 96 + 60 + 44 + 4, "%zu", len);
	EXPECT(!memcmp(buf, "KVMREG\r\n", 8));
	EXPECT(buf[8] == 1 && buf[9] == 0, "version");
	EXPECT(buf[10] == 96 && buf[11] == 0, "header size");
	EXPECT(buf[16] == 0x60, "arch field 0x%02x", buf[16]);
	EXPECT(buf[20] == 5, "count");
	EXPECT(buf[24] == len, "length");
	EXPECT(!strcmp((char *)buf + 32, "6.18.0-test"));
	/* First entry: pc, in state order, little-endian id. */
	EXPECT(buf[96] == 0x40 && buf[103] == 0x60, "first id");
	EXPECT(buf[104] == 8, "first size");
	EXPECT(buf[108] == 0xa0, "first value byte as given");
	free(buf);
}

TEST(round_trip_state)
{
	struct kvmreg_state *s = sample(), *back = NULL;
	void *buf, *again;
	size_t len, len2;

	REQUIRE(s);
	REQUIRE(kvmreg_state_encode(s, &buf, &len) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(t_states_identical(s, back));
	EXPECT(!kvmreg_state_is_capture(back));
	REQUIRE(kvmreg_state_encode(back, &again, &len2) == 0);
	EXPECT(len == len2 && !memcmp(buf, again, len), "re-encoding differs");
	free(again);
	free(buf);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
}

TEST(round_trip_capture)
{
	struct kvmreg_state *s = sample(), *c = capture_of(s), *back = NULL;
	uint8_t *buf;
	size_t len;

	REQUIRE(s && c);
	EXPECT(kvmreg_state_is_capture(c));
	REQUIRE(kvmreg_state_encode(c, (void **)&buf, &len) == 0, "%s",
		kvmreg_error());
	EXPECT(buf[12] == KVMREG_FILE_FLAG_CAPTURE, "flags 0x%02x", buf[12]);
	EXPECT(len == 96 + 5 * 12 + 4, "a capture carries no values: %zu", len);
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_is_capture(back));
	EXPECT(t_states_identical(c, back));
	EXPECT(kvmreg_state_get(back, ARM64_PC) == NULL);
	free(buf);
	kvmreg_state_free(back);
	kvmreg_state_free(c);
	kvmreg_state_free(s);
}

TEST(round_trip_empty)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	struct kvmreg_state *back = NULL;
	void *buf;
	size_t len;

	REQUIRE(s);
	REQUIRE(kvmreg_state_encode(s, &buf, &len) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_count(back) == 0 && !kvmreg_state_is_capture(back));
	EXPECT(kvmreg_state_arch(back) == KVMREG_ARCH_RISCV64);
	free(buf);
	kvmreg_state_free(back);

	/* An empty capture stays a capture. */
	s->flags |= KVMREG_STATE_F_CAPTURE;
	EXPECT(kvmreg_state_is_capture(s));
	REQUIRE(kvmreg_state_encode(s, &buf, &len) == 0);
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_is_capture(back));
	free(buf);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
}

TEST(encode_rejects_half_valued_state)
{
	struct kvmreg_state *s = sample();
	void *buf = NULL;
	size_t len;

	REQUIRE(s);
	REQUIRE(kvmreg_state_set(s, ARM64_X0, NULL, 8) == 0);
	EXPECT(kvmreg_state_encode(s, &buf, &len) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "0x6030000000100000"), "%s",
	       kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "has no value"), "%s", kvmreg_error());
	EXPECT(!kvmreg_state_is_capture(s));
	kvmreg_state_free(s);
}

TEST(every_truncation_rejected)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	for (size_t n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so ASan sees any over-read. */
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, buf, n);
		EXPECT(rejects(cut, n, "truncated"), "at %zu bytes", n);
		free(cut);
	}
	free(buf);
}

TEST(every_byte_flip_rejected)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1u << bit);
			EXPECT(rejects(buf, len, ""), "flip of bit %d of byte %zu",
			       bit, i);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(buf);
}

TEST(wrong_magic)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	buf[0] = 'X';
	EXPECT(rejects(buf, len, "not a kvmreg snapshot"));
	EXPECT(rejects("{\"format\"", 9, "not a kvmreg snapshot"));
	EXPECT(rejects("X", 1, "not a kvmreg snapshot"));
	free(buf);
}

TEST(unknown_version)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	buf[8] = 3;
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "version 3 is not supported"));
	/* Even a short file of a future version says so, not "truncated". */
	EXPECT(rejects(buf, 12, "version 3 is not supported"));
	buf[8] = 0;
	buf[9] = 1;
	EXPECT(rejects(buf, len, "version 256 is not supported"));
	free(buf);
}

TEST(bad_checksum)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	buf[len - 1] ^= 0xff;
	EXPECT(rejects(buf, len, "checksum mismatch"));
	buf[len - 1] ^= 0xff;
	buf[110] ^= 0x40;	/* a value byte */
	EXPECT(rejects(buf, len, "checksum mismatch"));
	free(buf);
}

TEST(header_size_and_length_fields)
{
	uint8_t *buf, *longer;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	buf[10] = 128;
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "header size is 128"));
	buf[10] = 96;

	/* A file with a byte appended: the length field catches it. */
	longer = calloc(1, len + 1);
	memcpy(longer, buf, len);
	EXPECT(rejects(longer, len + 1, "trailing data"));
	free(longer);

	put64(buf + KVMREG_FILE_OFF_LENGTH, UINT64_MAX);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "truncated"));
	free(buf);
}

TEST(size_disagreeing_with_id)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	/* First entry (pc, 8 bytes) claims 4. */
	put32(buf + 96 + 8, 4);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "size 4 disagrees with id 0x6030000000100040"));
	put32(buf + 96 + 8, 0xffffffff);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "disagrees"));
	free(buf);
}

TEST(duplicate_id)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	/* Second entry (x0, at 96 + 12 + 8) becomes pc again. */
	put64(buf + 96 + 20, ARM64_PC);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "entry 1: register 0x6030000000100040 appears twice"));
	free(buf);
}

TEST(count_overflow_and_mismatch)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	put32(buf + KVMREG_FILE_OFF_COUNT, UINT32_MAX);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "count 4294967295 does not fit"));
	put32(buf + KVMREG_FILE_OFF_COUNT, 6);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "truncated"));
	put32(buf + KVMREG_FILE_OFF_COUNT, 4);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "bytes after its 4 registers"));
	free(buf);
}

TEST(flags_arch_kernel_fields)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	buf[KVMREG_FILE_OFF_FLAGS] = 0x82;
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "unknown flags 0x00000082"));
	buf[KVMREG_FILE_OFF_FLAGS] = 0;

	buf[KVMREG_FILE_OFF_ARCH] = 0x30;	/* ia64: no driver */
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "architecture field 0x30"));
	put32(buf + KVMREG_FILE_OFF_ARCH, 0x160);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "architecture field 0x160"));
	/* The file says x86: its arm64 ids are then wrong. */
	put32(buf + KVMREG_FILE_OFF_ARCH, 0x20);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "snapshot entry 0"));
	put32(buf + KVMREG_FILE_OFF_ARCH, 0x60);

	buf[KVMREG_FILE_OFF_KERNEL + 2] = '\n';
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "kernel release"));
	buf[KVMREG_FILE_OFF_KERNEL + 2] = '1';
	buf[KVMREG_FILE_OFF_KERNEL + 40] = 'x';	/* after the NUL */
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "kernel release"));
	free(buf);
}

TEST(foreign_id_rejected)
{
	uint8_t *buf;
	size_t len;

	REQUIRE(encode_sample(&buf, &len) == 0);
	put64(buf + 96, X86_ID);
	fix_crc(buf, len);
	EXPECT(rejects(buf, len, "snapshot entry 0"));
	EXPECT(strstr(kvmreg_error(), "does not belong to arm64") ||
	       strstr(kvmreg_error(), "arm64"), "%s", kvmreg_error());
	free(buf);
}

TEST(full_length_kernel_release)
{
	struct kvmreg_state *s = sample(), *back = NULL;
	char release[65];
	void *buf;
	size_t len;

	REQUIRE(s);
	memset(release, 'k', 64);
	release[64] = '\0';
	REQUIRE(kvmreg_state_set_kernel(s, release) == 0);
	REQUIRE(kvmreg_state_encode(s, &buf, &len) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(!strcmp(kvmreg_state_kernel(back), release));
	free(buf);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
}

static char tmpdir[] = "/tmp/kvmreg-file-XXXXXX";

static int count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

TEST(save_and_load_files)
{
	struct kvmreg_state *s = sample(), *back = NULL;
	char path[128], json_path[128], bad[160];
	char *json;
	FILE *f;

	REQUIRE(s);
	REQUIRE(mkdtemp(tmpdir), "%s", strerror(errno));
	snprintf(path, sizeof(path), "%s/state.kvmreg", tmpdir);
	REQUIRE(kvmreg_state_save_file(s, path) == 0, "%s", kvmreg_error());
	/* Saving over an existing file replaces it. */
	REQUIRE(kvmreg_state_save_file(s, path) == 0, "%s", kvmreg_error());
	EXPECT(count_dir_entries(tmpdir) == 1, "no temporary file left behind");
	REQUIRE(kvmreg_state_load_file(path, &back) == 0, "%s", kvmreg_error());
	EXPECT(t_states_identical(s, back));
	kvmreg_state_free(back);

	/* The JSON export loads through the same call. */
	snprintf(json_path, sizeof(json_path), "%s/state.json", tmpdir);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	f = fopen(json_path, "w");
	REQUIRE(f);
	fputs(json, f);
	fclose(f);
	free(json);
	REQUIRE(kvmreg_state_load_file(json_path, &back) == 0, "%s",
		kvmreg_error());
	EXPECT(t_states_identical(s, back));
	kvmreg_state_free(back);

	snprintf(bad, sizeof(bad), "%s/missing", tmpdir);
	back = (struct kvmreg_state *)1;
	EXPECT(kvmreg_state_load_file(bad, &back) == -ENOENT);
	EXPECT(back == (struct kvmreg_state *)1, "*out changed by a failure");
	EXPECT(strstr(kvmreg_error(), bad), "%s", kvmreg_error());
	EXPECT(kvmreg_state_load_file(tmpdir, &back) == -EISDIR);

	/* A corrupt file names itself and the problem. */
	f = fopen(bad, "w");
	REQUIRE(f);
	fputs("KVMREG\r\n\x01", f);
	fclose(f);
	EXPECT(kvmreg_state_load_file(bad, &back) < 0);
	EXPECT(strstr(kvmreg_error(), bad) && strstr(kvmreg_error(), "truncated"),
	       "%s", kvmreg_error());
	unlink(bad);

	snprintf(bad, sizeof(bad), "%s/no/such/dir/x", tmpdir);
	EXPECT(kvmreg_state_save_file(s, bad) == -ENOENT);
	EXPECT(strstr(kvmreg_error(), bad), "%s", kvmreg_error());
	EXPECT(count_dir_entries(tmpdir) == 2);

	unlink(path);
	unlink(json_path);
	rmdir(tmpdir);
	kvmreg_state_free(s);
}

TEST(is_capture_rules)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_ARM64);

	REQUIRE(s);
	EXPECT(!kvmreg_state_is_capture(s), "an empty state is not a capture");
	kvmreg_state_set(s, ARM64_PC, NULL, 8);
	EXPECT(kvmreg_state_is_capture(s));
	kvmreg_state_set(s, ARM64_PC, (uint8_t[8]){ 0 }, 8);
	EXPECT(!kvmreg_state_is_capture(s), "a value makes it a state");
	kvmreg_state_free(s);
}

TEST_MAIN("file_format",
	  CASE(crc32c_check_value),
	  CASE(layout_is_as_documented),
	  CASE(round_trip_state),
	  CASE(round_trip_capture),
	  CASE(round_trip_empty),
	  CASE(encode_rejects_half_valued_state),
	  CASE(every_truncation_rejected),
	  CASE(every_byte_flip_rejected),
	  CASE(wrong_magic),
	  CASE(unknown_version),
	  CASE(bad_checksum),
	  CASE(header_size_and_length_fields),
	  CASE(size_disagreeing_with_id),
	  CASE(duplicate_id),
	  CASE(count_overflow_and_mismatch),
	  CASE(flags_arch_kernel_fields),
	  CASE(foreign_id_rejected),
	  CASE(full_length_kernel_release),
	  CASE(save_and_load_files),
	  CASE(is_capture_rules))
