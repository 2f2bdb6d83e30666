// SPDX-License-Identifier: MIT
/* Name tables for the arches whose ids are a flat list: see flat_names.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arch/common/flat_names.h"
#include "arch/common/kvm_common.h"
#include "internal.h"

#define FLAT_RESERVED_MASK 0x000fffff00000000ULL

static uint64_t number_of(uint64_t id)
{
	return id & ~KVM_REG_SIZE_MASK;
}

static unsigned int bits_of(uint64_t id)
{
	return 8u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static const struct kvmreg_flat_reg *find_reg(const struct kvmreg_flat_arch *a,
					      uint64_t id)
{
	for (size_t i = 0; i < a->n_regs; i++)
		if (a->regs[i].id == id)
			return &a->regs[i];
	return NULL;
}

static const struct kvmreg_flat_family *
find_family(const struct kvmreg_flat_arch *a, uint64_t id, unsigned int *n)
{
	for (size_t i = 0; i < a->n_families; i++) {
		const struct kvmreg_flat_family *f = &a->families[i];

		if (id >= f->first && id - f->first < f->count) {
			*n = (unsigned int)(id - f->first);
			return f;
		}
	}
	return NULL;
}

/* The short form of a macro name: arch prefix off, lowercased. */
static void short_of(const struct kvmreg_flat_arch *a, const char *macro,
		     char *buf, size_t len)
{
	const char *s = macro + strlen(a->macro_prefix);
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' :
				s[i]);
	buf[i] = '\0';
}

static bool ends_in_digit(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] >= '0' && s[n - 1] <= '9';
}

int kvmreg_flat_name(const struct kvmreg_flat_arch *a, uint64_t id,
		     enum kvmreg_name_style style, char *buf, size_t len)
{
	const struct kvmreg_flat_reg *r = find_reg(a, id);
	const struct kvmreg_flat_family *f;
	char stem[64];
	unsigned int n;

	if (r) {
		if (style == KVMREG_NAME_MACRO)
			return snprintf(buf, len, "%s", r->macro);
		short_of(a, r->macro, stem, sizeof(stem));
		return snprintf(buf, len, "%s", stem);
	}
	f = find_family(a, id, &n);
	if (!f)
		return 0;
	if (style == KVMREG_NAME_MACRO)
		return snprintf(buf, len, f->spelled_out ? "%s%u" : "%s(%u)",
				f->macro, n);
	short_of(a, f->macro, stem, sizeof(stem));
	return snprintf(buf, len, "%s%s%u", stem, ends_in_digit(stem) ? "_" : "",
			n);
}

/* A decimal number spanning all of s, below limit. */
static int decimal(const char *s, unsigned int limit, unsigned int *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 6)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v >= limit)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

static int parse_macro(const struct kvmreg_flat_arch *a, const char *name,
		       uint64_t *id)
{
	for (size_t i = 0; i < a->n_regs; i++) {
		if (!strcmp(name, a->regs[i].macro)) {
			*id = a->regs[i].id;
			return 0;
		}
	}
	for (size_t i = 0; i < a->n_families; i++) {
		const struct kvmreg_flat_family *f = &a->families[i];
		size_t m = strlen(f->macro);
		char arg[16];
		const char *s = name + m;
		size_t k = 0;
		unsigned int n;
		int err;

		if (strncmp(name, f->macro, m))
			continue;
		/* STEM(n), or STEMn as the uapi spells a few (FPR0, FPR31) */
		if (*s == '(') {
			for (s++; *s == ' '; s++)
				;
			while (*s >= '0' && *s <= '9' && k + 1 < sizeof(arg))
				arg[k++] = *s++;
			while (*s == ' ')
				s++;
			if (*s != ')' || s[1])
				continue;
		} else {
			while (*s && k + 1 < sizeof(arg))
				arg[k++] = *s++;
			if (*s)
				continue;
		}
		arg[k] = '\0';
		err = decimal(arg, f->count, &n);
		if (err == -ERANGE)
			return kvmreg_set_error(-EINVAL,
						"'%s': %s takes 0..%u",
						name, f->macro, f->count - 1);
		if (err)
			continue;
		*id = f->first + n;
		return 0;
	}
	return kvmreg_set_error(-EINVAL,
				"'%s' names no %s register macro of Linux 7.2",
				name, a->name);
}

int kvmreg_flat_parse(const struct kvmreg_flat_arch *a, const char *name,
		      uint64_t *id)
{
	char stem[64];

	if (!strncmp(name, a->macro_prefix, strlen(a->macro_prefix)))
		return parse_macro(a, name, id);
	for (size_t i = 0; i < a->n_regs; i++) {
		short_of(a, a->regs[i].macro, stem, sizeof(stem));
		if (!strcasecmp(name, stem)) {
			*id = a->regs[i].id;
			return 0;
		}
	}
	for (size_t i = 0; i < a->n_families; i++) {
		const struct kvmreg_flat_family *f = &a->families[i];
		size_t m;
		const char *rest;
		unsigned int n;
		int err;

		short_of(a, f->macro, stem, sizeof(stem));
		m = strlen(stem);
		if (strncasecmp(name, stem, m))
			continue;
		rest = name + m;
		if (ends_in_digit(stem) && *rest++ != '_')
			continue;
		err = decimal(rest, f->count, &n);
		if (err == -ERANGE)
			return kvmreg_set_error(-EINVAL,
						"'%s': %s registers are %s%s0..%u",
						name, a->name, stem,
						ends_in_digit(stem) ? "_" : "",
						f->count - 1);
		if (err)
			continue;
		*id = f->first + n;
		return 0;
	}
	return -ENOENT;
}

const char *kvmreg_flat_group(const struct kvmreg_flat_arch *a, uint64_t id)
{
	const struct kvmreg_flat_reg *r = find_reg(a, id);
	const struct kvmreg_flat_family *f;
	unsigned int n;

	if (r)
		return r->group;
	f = find_family(a, id, &n);
	return f ? f->group : NULL;
}

bool kvmreg_flat_is_volatile(const struct kvmreg_flat_arch *a, uint64_t id)
{
	const struct kvmreg_flat_reg *r = find_reg(a, id);
	const struct kvmreg_flat_family *f;
	unsigned int n;

	if (r)
		return r->is_volatile;
	f = find_family(a, id, &n);
	return f && f->is_volatile;
}

int kvmreg_flat_known_ids(const struct kvmreg_flat_arch *a,
			  struct kvmreg_idvec *out)
{
	int err = 0;

	for (size_t i = 0; i < a->n_regs && !err; i++)
		err = kvmreg_idvec_push(out, a->regs[i].id);
	for (size_t i = 0; i < a->n_families && !err; i++)
		for (unsigned int n = 0; n < a->families[i].count && !err; n++)
			err = kvmreg_idvec_push(out, a->families[i].first + n);
	return err;
}

int kvmreg_flat_check(const struct kvmreg_flat_arch *a, uint64_t id)
{
	char sizes[256];
	size_t pos = 0;
	unsigned int n;

	if (id & FLAT_RESERVED_MASK)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 51..32 are reserved in %s ids and must be zero",
					id, a->name);
	if (find_reg(a, id) || find_family(a, id, &n))
		return 0;
	/* Same number, other size: which ones the kernel has. */
	for (size_t i = 0; i < a->n_regs; i++)
		if (number_of(a->regs[i].id) == number_of(id))
			kvmreg_appendf(sizes, sizeof(sizes), &pos, "%s%s is U%u",
				       pos ? ", " : "", a->regs[i].macro,
				       bits_of(a->regs[i].id));
	for (size_t i = 0; i < a->n_families; i++) {
		const struct kvmreg_flat_family *f = &a->families[i];
		uint64_t first = number_of(f->first);

		if (number_of(id) >= first && number_of(id) - first < f->count)
			kvmreg_appendf(sizes, sizeof(sizes), &pos,
				       f->spelled_out ? "%s%s%u is U%u" :
				       "%s%s(%u) is U%u", pos ? ", " : "",
				       f->macro,
				       (unsigned int)(number_of(id) - first),
				       bits_of(f->first));
	}
	if (pos)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": wrong size U%u for this %s register (%s)",
					id, bits_of(id), a->name, sizes);
	return 0;
}
