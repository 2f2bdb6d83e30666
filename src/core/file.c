// SPDX-License-Identifier: MIT
/*
 * Snapshot files: a state (or a capture) in the fixed little-endian layout
 * of docs/format.md. The reader trusts nothing: every length is checked
 * against the bytes that are really there before it is used, so a
 * malformed file gives a message, never an over-read. Also owns what the
 * formats share below them (file.h): the capture flag, the CRC, the bounded
 * whole-file read and the atomic write; paths are state_io.c's, JSON is
 * json.c's, and neither format calls the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "file.h"
#include "internal.h"
#include "state.h"

/* Files above this are not snapshots: the largest vCPU state is well under
 * a megabyte, and reading one must not be a way to exhaust memory. */
#define MAX_FILE_SIZE (64u << 20)

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_table_make(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t kvmreg_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	const uint32_t *table = crc32c_table;
	uint32_t crc = 0xffffffffu;

	/* Made once: a state of a few registers costs less to encode than
	 * the table's 2048 steps. */
	pthread_once(&crc32c_table_once, crc32c_table_make);
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int entry_has_value(const struct kvmreg_state *s, size_t i)
{
	const void *value;

	kvmreg_state_at(s, i, NULL, &value);
	return value != NULL;
}

KVMREG_EXPORT bool kvmreg_state_is_capture(const struct kvmreg_state *s)
{
	if (!s)
		return false;
	if (!s->count)
		return s->flags & KVMREG_STATE_F_CAPTURE;
	for (size_t i = 0; i < s->count; i++)
		if (entry_has_value(s, i))
			return false;
	return true;
}

/* A state is all values or none: a half-valued one is a bug upstream,
 * and writing it would lose the difference. */
static int check_whole(const struct kvmreg_state *s, bool capture)
{
	for (size_t i = 0; !capture && i < s->count; i++) {
		uint64_t id;

		if (entry_has_value(s, i))
			continue;
		kvmreg_state_at(s, i, &id, NULL);
		return kvmreg_set_error(-EINVAL,
					"register 0x%016" PRIx64 " (entry %zu) has no value, but others have: a state has values for all its registers, or for none (a capture)",
					id, i);
	}
	return 0;
}

/* Version 2's section: count, then (id, size, value, mask) per record. */
static size_t allowed_bytes(const struct kvmreg_state *s)
{
	size_t n = 0;

	if (!kvmreg_state_allowed_count(s))
		return 0;
	for (size_t i = 0; i < s->allowed->count; i++)
		n += KVMREG_FILE_ENTRY_HEAD +
		     2 * kvmreg_id_size(s->allowed->entries[i].id);
	return 4 + n;
}

static uint8_t *put_allowed(const struct kvmreg_state *s, uint8_t *p)
{
	size_t n = kvmreg_state_allowed_count(s);

	if (!n)
		return p;
	put_le(p, n, 4);
	p += 4;
	for (size_t i = 0; i < n; i++) {
		const void *value, *mask;
		uint64_t id;
		size_t size;

		kvmreg_state_at(s->allowed, i, &id, &value);
		kvmreg_state_allowed(s, id, NULL, &mask);
		size = kvmreg_id_size(id);
		put_le(p, id, 8);
		put_le(p + 8, size, 4);
		memcpy(p + KVMREG_FILE_ENTRY_HEAD, value, size);
		memcpy(p + KVMREG_FILE_ENTRY_HEAD + size, mask, size);
		p += KVMREG_FILE_ENTRY_HEAD + 2 * size;
	}
	return p;
}

KVMREG_EXPORT int kvmreg_state_encode(const struct kvmreg_state *s, void **buf,
				      size_t *len)
{
	const struct kvmreg_arch_driver *d;
	bool capture;
	size_t total = KVMREG_FILE_HEADER_SIZE + KVMREG_FILE_TRAILER_SIZE;
	size_t kernel_len;
	uint8_t *out, *p;
	int err;

	KVMREG_NEED_ARG(s, "state");
	KVMREG_NEED_ARG(buf, "buf");
	KVMREG_NEED_ARG(len, "len");
	d = kvmreg_driver(s->arch);
	capture = kvmreg_state_is_capture(s);
	kernel_len = strlen(s->kernel);
	if (!d)
		return kvmreg_set_error(-EINVAL,
					"the state has no architecture (%d)",
					(int)s->arch);
	if (s->count > UINT32_MAX)
		return kvmreg_set_error(-EOVERFLOW,
					"%zu registers: a snapshot holds at most %" PRIu32,
					s->count, UINT32_MAX);
	if (kernel_len > KVMREG_FILE_KERNEL_SIZE)
		return kvmreg_set_error(-EINVAL,
					"kernel release is %zu bytes, a snapshot holds %d",
					kernel_len, KVMREG_FILE_KERNEL_SIZE);
	err = check_whole(s, capture);
	if (err)
		return err;
	for (size_t i = 0; i < s->count; i++)
		total += KVMREG_FILE_ENTRY_HEAD +
			 (capture ? 0 : kvmreg_id_size(s->entries[i].id));
	total += allowed_bytes(s);
	out = calloc(1, total);
	if (!out)
		return kvmreg_set_error(-ENOMEM, "out of memory");

	memcpy(out, KVMREG_FILE_MAGIC, 8);
	put_le(out + KVMREG_FILE_OFF_VERSION, kvmreg_state_allowed_count(s) ?
	       KVMREG_FILE_VERSION_ALLOWED : KVMREG_FILE_VERSION, 2);
	put_le(out + KVMREG_FILE_OFF_HSIZE, KVMREG_FILE_HEADER_SIZE, 2);
	put_le(out + KVMREG_FILE_OFF_FLAGS,
	       (capture ? KVMREG_FILE_FLAG_CAPTURE : 0) |
	       (kvmreg_state_allowed_count(s) ? KVMREG_FILE_FLAG_ALLOWED : 0),
	       4);
	put_le(out + KVMREG_FILE_OFF_ARCH, d->kvm_reg_arch >> 56, 4);
	put_le(out + KVMREG_FILE_OFF_COUNT, s->count, 4);
	put_le(out + KVMREG_FILE_OFF_LENGTH, total, 8);
	memcpy(out + KVMREG_FILE_OFF_KERNEL, s->kernel, kernel_len);

	p = out + KVMREG_FILE_HEADER_SIZE;
	for (size_t i = 0; i < s->count; i++) {
		uint64_t id;
		const void *value;
		size_t size;

		kvmreg_state_at(s, i, &id, &value);
		size = kvmreg_id_size(id);
		put_le(p, id, 8);
		put_le(p + 8, size, 4);
		p += KVMREG_FILE_ENTRY_HEAD;
		if (!capture) {
			memcpy(p, value, size);
			p += size;
		}
	}
	p = put_allowed(s, p);
	put_le(p, kvmreg_crc32c(out, total - KVMREG_FILE_TRAILER_SIZE), 4);
	*buf = out;
	*len = total;
	return 0;
}

static int truncated(size_t len, size_t need, const char *what)
{
	return kvmreg_set_error(-EINVAL,
				"truncated snapshot: %zu bytes, %zu needed for %s",
				len, need, what);
}

/* The header fields before the entries; fills arch, count, capture. */
static int decode_header(const uint8_t *p, size_t len, enum kvmreg_arch *arch,
			 uint32_t *count, bool *capture, char *kernel,
			 unsigned int *version)
{
	uint64_t field, length;
	uint32_t flags, stored, computed;
	size_t n;

	n = len < 8 ? len : 8;
	if (memcmp(p, KVMREG_FILE_MAGIC, n))
		return kvmreg_set_error(-EINVAL,
					"not a kvmreg snapshot: it does not start with \"KVMREG\\r\\n\"");
	if (len < KVMREG_FILE_OFF_HSIZE)
		return truncated(len, KVMREG_FILE_OFF_HSIZE, "the magic and version");
	field = get_le(p + KVMREG_FILE_OFF_VERSION, 2);
	if (field != KVMREG_FILE_VERSION &&
	    field != KVMREG_FILE_VERSION_ALLOWED)
		return kvmreg_set_error(-EPROTO,
					"snapshot format version %" PRIu64 " is not supported (this library reads versions %d and %d)",
					field, KVMREG_FILE_VERSION,
					KVMREG_FILE_VERSION_ALLOWED);
	*version = (unsigned int)field;
	if (len < KVMREG_FILE_HEADER_SIZE + KVMREG_FILE_TRAILER_SIZE)
		return truncated(len, KVMREG_FILE_HEADER_SIZE +
				 KVMREG_FILE_TRAILER_SIZE,
				 "the header and checksum");
	field = get_le(p + KVMREG_FILE_OFF_HSIZE, 2);
	if (field != KVMREG_FILE_HEADER_SIZE)
		return kvmreg_set_error(-EINVAL,
					"snapshot header size is %" PRIu64 ", version %d has %d",
					field, KVMREG_FILE_VERSION,
					KVMREG_FILE_HEADER_SIZE);
	length = get_le(p + KVMREG_FILE_OFF_LENGTH, 8);
	if (length > len)
		return truncated(len, length, "the length in its header");
	if (length < len)
		return kvmreg_set_error(-EINVAL,
					"snapshot has %zu bytes, but its header says %" PRIu64 ": trailing data",
					len, length);
	stored = (uint32_t)get_le(p + len - KVMREG_FILE_TRAILER_SIZE, 4);
	computed = kvmreg_crc32c(p, len - KVMREG_FILE_TRAILER_SIZE);
	if (stored != computed)
		return kvmreg_set_error(-EBADMSG,
					"snapshot checksum mismatch: stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 " (the file is corrupt)",
					stored, computed);

	flags = (uint32_t)get_le(p + KVMREG_FILE_OFF_FLAGS, 4);
	if (flags & ~KVMREG_FILE_FLAG_CAPTURE &
	    ~(*version == KVMREG_FILE_VERSION_ALLOWED ?
	      KVMREG_FILE_FLAG_ALLOWED : 0))
		return kvmreg_set_error(-EINVAL,
					"snapshot has unknown flags 0x%08" PRIx32,
					flags & ~KVMREG_FILE_FLAG_CAPTURE);
	/* One spelling per state: version 2 only with its section. */
	if (*version == KVMREG_FILE_VERSION_ALLOWED &&
	    !(flags & KVMREG_FILE_FLAG_ALLOWED))
		return kvmreg_set_error(-EINVAL,
					"snapshot version 2 without flag bit 1: it has no allowed values, so it must be version 1");
	*capture = flags & KVMREG_FILE_FLAG_CAPTURE;
	field = get_le(p + KVMREG_FILE_OFF_ARCH, 4);
	*arch = field <= 0xff ? kvmreg_arch_of_id(field << 56) : KVMREG_ARCH_NONE;
	if (*arch == KVMREG_ARCH_NONE)
		return kvmreg_set_error(-EINVAL,
					"snapshot architecture field 0x%" PRIx64 " is no architecture this library knows",
					field);
	*count = (uint32_t)get_le(p + KVMREG_FILE_OFF_COUNT, 4);

	/* What kvmreg_state_set_kernel() accepts, then NUL padding. */
	n = 0;
	while (n < KVMREG_FILE_KERNEL_SIZE && p[KVMREG_FILE_OFF_KERNEL + n])
		n++;
	if (kvmreg_kernel_release_check((const char *)p + KVMREG_FILE_OFF_KERNEL,
					n))
		return kvmreg_wrap_error(-EINVAL, "snapshot");
	for (size_t i = n; i < KVMREG_FILE_KERNEL_SIZE; i++)
		if (p[KVMREG_FILE_OFF_KERNEL + i])
			return kvmreg_set_error(-EINVAL,
						"snapshot kernel release has byte 0x%02x at offset %zu, after its NUL: the field is NUL-padded",
						p[KVMREG_FILE_OFF_KERNEL + i], i);
	memcpy(kernel, p + KVMREG_FILE_OFF_KERNEL, n);
	kernel[n] = '\0';
	return 0;
}

/* Version 2's section at *pos, checked as strictly as the entries. */
static int decode_allowed(struct kvmreg_state *s, const uint8_t *p,
			  size_t len, size_t *pos)
{
	size_t room = len - KVMREG_FILE_TRAILER_SIZE - *pos;
	uint32_t count;
	int err;

	if (room < 4)
		return truncated(len, *pos + 4 + KVMREG_FILE_TRAILER_SIZE,
				 "its allowed values");
	count = (uint32_t)get_le(p + *pos, 4);
	*pos += 4;
	room -= 4;
	if (!count || count > room / (KVMREG_FILE_ENTRY_HEAD + 2))
		return kvmreg_set_error(-EINVAL,
					"snapshot allowed-value count %" PRIu32 " does not fit in its %zu bytes (or is 0, which is version 1)",
					count, room);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t id, size;

		room = len - KVMREG_FILE_TRAILER_SIZE - *pos;
		if (room < KVMREG_FILE_ENTRY_HEAD)
			return truncated(len, *pos + KVMREG_FILE_ENTRY_HEAD +
					 KVMREG_FILE_TRAILER_SIZE,
					 "its allowed values");
		id = get_le(p + *pos, 8);
		size = get_le(p + *pos + 8, 4);
		err = kvmreg_id_check(s->arch, id);
		if (err)
			return kvmreg_wrap_error(err, "snapshot allowed value %" PRIu32, i);
		if (size != kvmreg_id_size(id))
			return kvmreg_set_error(-EINVAL,
						"snapshot allowed value %" PRIu32 ": size %" PRIu64 " disagrees with id 0x%016" PRIx64,
						i, size, id);
		if (!kvmreg_state_allowed(s, id, NULL, NULL))
			return kvmreg_set_error(-EINVAL,
						"snapshot allowed value %" PRIu32 ": register 0x%016" PRIx64 " appears twice",
						i, id);
		if (room - KVMREG_FILE_ENTRY_HEAD < 2 * size)
			return truncated(len, *pos + KVMREG_FILE_ENTRY_HEAD +
					 2 * size + KVMREG_FILE_TRAILER_SIZE,
					 "its allowed values");
		err = kvmreg_state_set_allowed(s, id,
					       p + *pos + KVMREG_FILE_ENTRY_HEAD,
					       p + *pos + KVMREG_FILE_ENTRY_HEAD +
					       size, size);
		if (err)
			return err;
		*pos += KVMREG_FILE_ENTRY_HEAD + 2 * size;
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_state_decode(const void *buf, size_t len,
				      struct kvmreg_state **out)
{
	const uint8_t *p = buf, *end;
	char kernel[KVMREG_FILE_KERNEL_SIZE + 1];
	enum kvmreg_arch arch = KVMREG_ARCH_NONE;
	struct kvmreg_state *s;
	uint32_t count = 0;
	bool capture = false;
	unsigned int version = 0;
	size_t pos, min_entry;
	int err;

	KVMREG_NEED_ARG(buf, "buf");
	KVMREG_NEED_ARG(out, "out");
	err = decode_header(p, len, &arch, &count, &capture, kernel, &version);
	if (err)
		return err;
	end = p + len - KVMREG_FILE_TRAILER_SIZE;
	pos = KVMREG_FILE_HEADER_SIZE;
	/* Bound the count before allocating anything for it. */
	min_entry = KVMREG_FILE_ENTRY_HEAD + (capture ? 0 : 1);
	if (count > (size_t)(end - p - (ptrdiff_t)pos) / min_entry)
		return kvmreg_set_error(-EINVAL,
					"snapshot register count %" PRIu32 " does not fit in its %zu bytes of entries",
					count, (size_t)(end - p) - pos);
	s = kvmreg_state_new(arch);
	if (!s)
		return -ENOMEM;
	if (capture)
		s->flags |= KVMREG_STATE_F_CAPTURE;
	kvmreg_state_set_kernel(s, kernel);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t id, size;

		if ((size_t)(end - p) - pos < KVMREG_FILE_ENTRY_HEAD) {
			err = truncated(len, pos + KVMREG_FILE_ENTRY_HEAD +
					KVMREG_FILE_TRAILER_SIZE, "its entries");
			goto fail;
		}
		id = get_le(p + pos, 8);
		size = get_le(p + pos + 8, 4);
		pos += KVMREG_FILE_ENTRY_HEAD;
		err = kvmreg_id_check(arch, id);
		if (err) {
			kvmreg_wrap_error(err, "snapshot entry %" PRIu32, i);
			goto fail;
		}
		if (size != kvmreg_id_size(id)) {
			err = kvmreg_set_error(-EINVAL,
					       "snapshot entry %" PRIu32 ": size %" PRIu64 " disagrees with id 0x%016" PRIx64 ", which holds %zu bytes",
					       i, size, id, kvmreg_id_size(id));
			goto fail;
		}
		if (kvmreg_state_has(s, id)) {
			err = kvmreg_set_error(-EINVAL,
					       "snapshot entry %" PRIu32 ": register 0x%016" PRIx64 " appears twice",
					       i, id);
			goto fail;
		}
		if (!capture && (size_t)(end - p) - pos < size) {
			err = truncated(len, pos + size + KVMREG_FILE_TRAILER_SIZE,
					"its entries");
			goto fail;
		}
		err = kvmreg_state_set(s, id, capture ? NULL : p + pos, size);
		if (err) {
			kvmreg_wrap_error(err, "snapshot entry %" PRIu32, i);
			goto fail;
		}
		if (!capture)
			pos += size;
	}
	if (version == KVMREG_FILE_VERSION_ALLOWED) {
		err = decode_allowed(s, p, len, &pos);
		if (err)
			goto fail;
	}
	if (p + pos != end) {
		err = kvmreg_set_error(-EINVAL,
				       "snapshot has %zu bytes after its %" PRIu32 " registers",
				       (size_t)(end - p) - pos, count);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	kvmreg_state_free(s);
	return err;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "<path>.tmp.<pid>.<serial>": the temporary names of path's writers. */
#define TMP_INFIX ".tmp."

/*
 * Remove the temporary files of path that a writer killed mid-save left
 * behind: named for a process that no longer exists. This process's own
 * (another thread's save in flight) and a live process's are left alone.
 */
/* The directory path is in, as a string of its own; NULL if no memory. */
static char *directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return !slash ? strdup(".") : slash == path ? strdup("/") :
	       strndup(path, (size_t)(slash - path));
}

static void remove_stale_temps(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t base_len = strlen(base);
	char *dir_path = directory_of(path);
	DIR *dir = dir_path ? opendir(dir_path) : NULL;
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		const char *rest = e->d_name;
		char *end;
		long pid;

		if (strncmp(rest, base, base_len) ||
		    strncmp(rest + base_len, TMP_INFIX, strlen(TMP_INFIX)))
			continue;
		rest += base_len + strlen(TMP_INFIX);
		if (*rest < '1' || *rest > '9')
			continue;
		errno = 0;
		pid = strtol(rest, &end, 10);
		if (errno || (*end && *end != '.') || pid > INT32_MAX)
			continue;
		if (*end) {
			/* the serial: digits only */
			end++;
			if (!*end || strspn(end, "0123456789") != strlen(end))
				continue;
		}
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		unlinkat(dirfd(dir), e->d_name, 0);
	}
	if (dir)
		closedir(dir);
	free(dir_path);
}

/*
 * Give the unnamed file fd (O_TMPFILE) the name tmp. AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH; the /proc link does not.
 */
static int link_unnamed(int fd, const char *tmp)
{
	char proc[64];

	if (!linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH))
		return 0;
	if (errno == EEXIST)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW);
}

/*
 * Write buf to path atomically: a temporary file beside it, flushed, then
 * renamed over it. A crash or a full disk leaves the old file, never half
 * of a new one. The data goes into an unnamed file (O_TMPFILE) that gets
 * its temporary name only after fsync, just before the rename, so a writer
 * killed mid-save almost never leaves a file behind; one that does (or a
 * file system without O_TMPFILE, which takes a named file from the start)
 * leaves a temporary file that the next save of path removes.
 */
int kvmreg_write_file_atomic(const char *path, const void *buf, size_t len)
{
	static atomic_uint serial;
	char *tmp, *dir;
	size_t n = strlen(path) + 64;
	int fd = -1, err, unnamed;
	bool named = false;	/* tmp is a name this call made */

	tmp = malloc(n);
	dir = directory_of(path);
	if (!tmp || !dir) {
		free(tmp);
		free(dir);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	remove_stale_temps(path);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	free(dir);
	unnamed = fd >= 0;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		snprintf(tmp, n, "%s" TMP_INFIX "%ld.%u", path, (long)getpid(),
			 atomic_fetch_add(&serial, 1));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = kvmreg_set_error(-errno, "%s: cannot create %s: %s", path,
				       tmp, strerror(errno));
		free(tmp);
		return err;
	}
	named = !unnamed;
	err = write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	for (int tries = 0; !err && unnamed; tries++) {
		snprintf(tmp, n, "%s" TMP_INFIX "%ld.%u", path, (long)getpid(),
			 atomic_fetch_add(&serial, 1));
		if (!link_unnamed(fd, tmp)) {
			named = true;
			break;
		}
		if (errno != EEXIST || tries == 100)
			err = -errno;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		if (named)
			unlink(tmp);
		kvmreg_set_error(err, "%s: %s", path, strerror(-err));
	}
	free(tmp);
	return err;
}

/*
 * A FIFO opened for reading blocks in open(2) until a writer comes, which
 * may be never: it is opened non-blocking instead, and a writer gets this
 * long to open it (a reader started just before its writer, as in
 * "kvmreg show fifo & cat snap > fifo", must not fail).
 */
#define FIFO_WRITER_WAIT_MS 2000
#define FIFO_POLL_MS 10

int kvmreg_read_file(const char *path, void **buf, size_t *len)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t have = 0, cap;
	int fd, err = 0, waited_ms = 0;
	bool writer_seen;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return kvmreg_set_error(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		err = kvmreg_set_error(-errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = kvmreg_set_error(-EISDIR, "%s: is a directory", path);
		goto out;
	}
	/* Pipes report size 0: read until EOF, with the same bound. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ?
	      (size_t)st.st_size + 1 : 4096;
	/* Only a FIFO reads as empty until its writer opens it. */
	writer_seen = !S_ISFIFO(st.st_mode);
	for (;;) {
		ssize_t n;

		if (have == cap || !data) {
			uint8_t *p;

			if (data)
				cap *= 2;
			if (cap > (size_t)MAX_FILE_SIZE + 1)
				cap = (size_t)MAX_FILE_SIZE + 1;
			p = realloc(data, cap + 1);
			if (!p) {
				err = kvmreg_set_error(-ENOMEM, "out of memory");
				goto out;
			}
			data = p;
		}
		n = read(fd, data + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A writer is there, its data is not yet. */
			struct pollfd p = { .fd = fd, .events = POLLIN };

			writer_seen = true;
			if (poll(&p, 1, -1) < 0 && errno != EINTR) {
				err = kvmreg_set_error(-errno, "%s: %s", path,
						       strerror(errno));
				goto out;
			}
			continue;
		}
		if (n == 0 && !writer_seen) {
			if (waited_ms >= FIFO_WRITER_WAIT_MS) {
				err = kvmreg_set_error(-ETIMEDOUT,
						       "%s: a FIFO no process opened for writing within %d s",
						       path, FIFO_WRITER_WAIT_MS / 1000);
				goto out;
			}
			nanosleep(&(struct timespec){
					  .tv_nsec = FIFO_POLL_MS * 1000000L },
				  NULL);
			waited_ms += FIFO_POLL_MS;
			continue;
		}
		if (n < 0) {
			err = kvmreg_set_error(-errno, "%s: %s", path,
					       strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		writer_seen = true;
		have += (size_t)n;
		if (have > MAX_FILE_SIZE) {
			err = kvmreg_set_error(-EFBIG,
					       "%s: larger than %u MiB: not a register state",
					       path, MAX_FILE_SIZE >> 20);
			goto out;
		}
	}
	data[have] = '\0';	/* so text readers may treat it as a string */
	*buf = data;
	*len = have;
	data = NULL;
out:
	free(data);
	close(fd);
	return err;
}

int kvmreg_capture_allowed_values(struct kvmreg_vcpu *vcpu,
				  struct kvmreg_state *capture)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	struct kvmreg_state *value, *mask;
	int err;

	if (!d->capture_allowed)
		return 0;
	value = kvmreg_state_new(capture->arch);
	mask = kvmreg_state_new(capture->arch);
	err = value && mask ? d->capture_allowed(vcpu, capture, value, mask)
			    : kvmreg_set_error(-ENOMEM, "out of memory");
	if (err || !value->count) {
		kvmreg_state_free(value);
		kvmreg_state_free(mask);
		return err;
	}
	kvmreg_state_free(capture->allowed);
	kvmreg_state_free(capture->allowed_mask);
	capture->allowed = value;
	capture->allowed_mask = mask;
	return 0;
}

KVMREG_EXPORT int kvmreg_capture(struct kvmreg_vcpu *vcpu,
				 struct kvmreg_state **out)
{
	struct kvmreg_list *list;
	struct kvmreg_state *s;
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(out, "out");
	err = kvmreg_list_get(vcpu, 0, &list);
	if (err)
		return err;
	s = kvmreg_state_new(kvmreg_vcpu_arch(vcpu));
	err = s ? kvmreg_state_set_kernel(s, kvmreg_host_kernel_release())
		: -ENOMEM;
	if (s)
		s->flags |= KVMREG_STATE_F_CAPTURE;
	for (size_t i = 0; !err && i < list->count; i++)
		err = kvmreg_state_set(s, list->regs[i].id, NULL,
				       list->regs[i].size);
	kvmreg_list_free(list);
	if (err) {
		kvmreg_state_free(s);
		return kvmreg_wrap_error(err, "capturing the register list");
	}
	err = kvmreg_capture_allowed_values(vcpu, s);
	if (err) {
		kvmreg_state_free(s);
		return kvmreg_wrap_error(err, "capturing the allowed values");
	}
	*out = s;
	return 0;
}
