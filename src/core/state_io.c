// SPDX-License-Identifier: MIT
/*
 * A state to and from a path: kvmreg_state_save_file writes the snapshot
 * format (file.c) atomically; kvmreg_state_load_file reads either format,
 * telling JSON (json.c) by its first byte. Living above both formats, it
 * keeps file.c and json.c from needing each other.
 */
#include <stdint.h>
#include <stdlib.h>

#include "file.h"
#include "internal.h"

KVMREG_EXPORT int kvmreg_state_save_file(const struct kvmreg_state *s,
					 const char *path)
{
	void *buf;
	size_t len;
	int err;

	KVMREG_NEED_ARG(s, "state");
	KVMREG_NEED_ARG(path, "path");
	err = kvmreg_state_encode(s, &buf, &len);
	if (err)
		return kvmreg_wrap_error(err, "%s", path);
	err = kvmreg_write_file_atomic(path, buf, len);
	free(buf);
	return err;
}

KVMREG_EXPORT int kvmreg_state_load_file(const char *path,
					 struct kvmreg_state **out)
{
	const uint8_t *p;
	void *buf;
	size_t len, i = 0;
	int err;

	KVMREG_NEED_ARG(path, "path");
	KVMREG_NEED_ARG(out, "out");
	err = kvmreg_read_file(path, &buf, &len);
	if (err)
		return err;
	p = buf;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
			   p[i] == '\r'))
		i++;
	if (i < len && p[i] == '{')
		err = kvmreg_state_from_json(buf, len, out);
	else
		err = kvmreg_state_decode(buf, len, out);
	free(buf);
	return err ? kvmreg_wrap_error(err, "%s", path) : 0;
}
