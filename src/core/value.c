// SPDX-License-Identifier: MIT
/*
 * Register values as text: one hex number of exactly 2 * size digits, most
 * significant first, reading the bytes as a little-endian integer. Every
 * architecture libkvmreg drives runs its vCPUs little-endian, so for the
 * registers of 8 bytes or less this is the number a person expects, and a
 * 128-bit V register reads as one 128-bit number.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

KVMREG_EXPORT int kvmreg_value_format(const void *value, size_t size,
				      char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *bytes = value;
	size_t need = 2 + 2 * size;

	KVMREG_NEED_ARG(value, "value");
	KVMREG_NEED_ARG(buf || !len, "buf");
	if (size < 1 || size > KVMREG_VALUE_MAX)
		return kvmreg_set_error(-EINVAL,
					"kvmreg_value_format: size %zu is not 1 to %d bytes",
					size, KVMREG_VALUE_MAX);
	if (len > 0) {
		size_t pos = 0;

		for (size_t i = 0; i < 2 && pos + 1 < len; i++)
			buf[pos++] = "0x"[i];
		for (size_t i = size; i-- > 0 && pos + 1 < len;) {
			buf[pos++] = digits[bytes[i] >> 4];
			if (pos + 1 < len)
				buf[pos++] = digits[bytes[i] & 15];
		}
		buf[pos] = '\0';
	}
	return (int)need;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

KVMREG_EXPORT int kvmreg_value_parse(const char *text, void *value, size_t size)
{
	uint8_t bytes[KVMREG_VALUE_MAX];
	const char *digits;
	size_t n;

	KVMREG_NEED_ARG(text, "text");
	KVMREG_NEED_ARG(value, "value");
	if (size < 1 || size > KVMREG_VALUE_MAX)
		return kvmreg_set_error(-EINVAL,
					"kvmreg_value_parse: size %zu is not 1 to %d bytes",
					size, KVMREG_VALUE_MAX);
	digits = kvmreg_skip_prefix(text, "0x");
	if (!digits)
		digits = kvmreg_skip_prefix(text, "0X");
	if (!digits || !*digits)
		return kvmreg_set_error(-EINVAL,
					"value '%s' is not a hex number starting with 0x",
					text);
	n = strlen(digits);
	while (n > 2 * size && *digits == '0') {
		digits++;
		n--;
	}
	if (n > 2 * size)
		return kvmreg_set_error(-ERANGE,
					"value '%s' does not fit in %zu bytes",
					text, size);
	memset(bytes, 0, size);
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(digits[n - 1 - i]);

		if (d < 0)
			return kvmreg_set_error(-EINVAL,
						"value '%s': '%c' is not a hex digit",
						text, digits[n - 1 - i]);
		bytes[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
	}
	/* Only now: a bad digit leaves the caller's value as it was. */
	memcpy(value, bytes, size);
	return 0;
}
