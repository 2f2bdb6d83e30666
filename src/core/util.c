// SPDX-License-Identifier: MIT
/* Error messages, growable id vectors and the small string helpers the name
 * codecs share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "internal.h"

static _Thread_local char error_message[512];

KVMREG_EXPORT const char *kvmreg_error(void)
{
	return error_message;
}

int kvmreg_set_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_message, sizeof(error_message), fmt, ap);
	va_end(ap);
	return err;
}

void kvmreg_error_save(struct kvmreg_saved_error *saved)
{
	_Static_assert(sizeof(saved->text) == sizeof(error_message),
		       "a saved message holds the whole message");
	memcpy(saved->text, error_message, sizeof(error_message));
}

void kvmreg_error_restore(const struct kvmreg_saved_error *saved)
{
	memcpy(error_message, saved->text, sizeof(error_message));
}

int kvmreg_null_argument(const char *call, const char *argument)
{
	return kvmreg_set_error(-EINVAL, "%s: %s is NULL", call, argument);
}

/* One register's failure as its driver explained it (kvmreg_keep_reason). */
static _Thread_local struct {
	uint64_t id;
	int err;
	char text[sizeof(error_message)];
} reg_reason;

int kvmreg_keep_reason(uint64_t id, int err)
{
	reg_reason.id = id;
	reg_reason.err = err;
	memcpy(reg_reason.text, error_message, sizeof(reg_reason.text));
	return err;
}

const char *kvmreg_kept_reason(uint64_t id, int err)
{
	if (!err || reg_reason.err != err || reg_reason.id != id)
		return NULL;
	return reg_reason.text;
}

int kvmreg_wrap_error(int err, const char *fmt, ...)
{
	char old[sizeof(error_message)];
	size_t used;
	va_list ap;

	memcpy(old, error_message, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(error_message, sizeof(error_message), fmt, ap);
	va_end(ap);
	used = strlen(error_message);
	if (old[0] && used < sizeof(error_message))
		snprintf(error_message + used, sizeof(error_message) - used,
			 ": %s", old);
	return err;
}

int kvmreg_idvec_push(struct kvmreg_idvec *vec, uint64_t x)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 64;
		uint64_t *v = realloc(vec->v, cap * sizeof(*v));

		if (!v)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = x;
	return 0;
}

void kvmreg_idvec_free(struct kvmreg_idvec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

void kvmreg_appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (*pos < len)
		n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

int kvmreg_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;
	size_t i = 0;

	if (n == 0)
		return -EINVAL;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < n; i++) {
		unsigned int d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

const char *kvmreg_skip_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) ? NULL : name + n;
}

int kvmreg_size_field(size_t bytes)
{
	for (int field = 0; field <= 8; field++)
		if ((size_t)1 << field == bytes)
			return field;
	return -1;
}

const char *kvmreg_host_kernel_release(void)
{
	static _Thread_local struct utsname uts;
	static _Thread_local int done;

	if (!done) {
		if (uname(&uts))
			uts.release[0] = '\0';
		done = 1;
	}
	return uts.release;
}
