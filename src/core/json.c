// SPDX-License-Identifier: MIT
/*
 * A state as JSON (docs/format.md, "JSON"), and a small strict JSON reader
 * for it: the library depends on libc only. The reader builds a tree of
 * the whole document first, because members may come in any order (the
 * registers may precede the arch that names them), then checks the tree
 * against the schema. Every error names the line and column, or the
 * register, that is wrong; nothing is half-built on failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "internal.h"
#include "state.h"

#define JSON_FORMAT_NAME "kvmreg-state"
#define JSON_FORMAT_VERSION 1
/* Deeper than the schema ever goes (3), shallow enough that recursion
 * cannot exhaust the stack on hostile input. */
#define MAX_DEPTH 32
/* A tree node costs some 60 bytes, so "[0,0,0,..." would cost thirty times
 * its length; the largest vCPU state is a few thousand registers of six
 * values each. */
#define MAX_VALUES (1u << 20)
/* The schema's objects have at most 7 members; the duplicate check is
 * quadratic, so a hostile object must stay small. */
#define MAX_MEMBERS 64

/* ---------------------------------------------------------------- */
/* Writer                                                           */

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	int err;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			b->err = -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		sb_add(b, big, (size_t)n);
		free(big);
	}
}

static void sb_string(struct sbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sb_printf(b, "\\u%04x", c);
		else
			sb_add(b, s, 1);
	}
	sb_puts(b, "\"");
}

/* kvmreg_id_name() into a buffer of any length; NULL if out of memory. */
static char *id_name(enum kvmreg_arch arch, uint64_t id)
{
	char small[128], *name;
	int n = kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, small, sizeof(small));

	if (n < 0)
		n = snprintf(small, sizeof(small), "0x%016" PRIx64, id);
	name = malloc((size_t)n + 1);
	if (!name)
		return NULL;
	if ((size_t)n < sizeof(small))
		memcpy(name, small, (size_t)n + 1);
	else if (kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name, (size_t)n + 1) < 0)
		snprintf(name, (size_t)n + 1, "0x%016" PRIx64, id);
	return name;
}

/* A capture's allowed values (docs/format.md), when it records any. */
static void json_allowed(struct sbuf *b, const struct kvmreg_state *s)
{
	char text[2 + 2 * 256 + 1];

	if (!kvmreg_state_allowed_count(s))
		return;
	sb_puts(b, ",\n  \"allowed\": [");
	for (size_t i = 0; i < s->allowed->count; i++) {
		const void *value, *mask;
		uint64_t id;
		char *name;

		kvmreg_state_at(s->allowed, i, &id, &value);
		kvmreg_state_allowed(s, id, NULL, &mask);
		name = id_name(s->arch, id);
		if (!name) {
			b->err = -ENOMEM;
			return;
		}
		sb_printf(b, "%s\n    {\"id\": \"0x%016" PRIx64 "\", \"name\": ",
			  i ? "," : "", id);
		sb_string(b, name);
		free(name);
		kvmreg_value_format(value, kvmreg_id_size(id), text, sizeof(text));
		sb_printf(b, ", \"value\": \"%s\"", text);
		kvmreg_value_format(mask, kvmreg_id_size(id), text, sizeof(text));
		sb_printf(b, ", \"mask\": \"%s\"}", text);
	}
	sb_puts(b, "\n  ]");
}

KVMREG_EXPORT int kvmreg_state_to_json(const struct kvmreg_state *s,
				       char **json)
{
	bool capture;
	struct sbuf b = { 0 };
	char value[2 + 2 * 256 + 1];

	KVMREG_NEED_ARG(s, "state");
	KVMREG_NEED_ARG(json, "json");
	capture = kvmreg_state_is_capture(s);
	if (s->arch == KVMREG_ARCH_NONE || s->arch >= KVMREG_ARCH_COUNT)
		return kvmreg_set_error(-EINVAL,
					"the state has no architecture (%d)",
					(int)s->arch);
	sb_printf(&b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n",
		  JSON_FORMAT_NAME, JSON_FORMAT_VERSION);
	sb_puts(&b, "  \"arch\": ");
	sb_string(&b, kvmreg_arch_name(s->arch));
	sb_puts(&b, ",\n  \"kernel\": ");
	sb_string(&b, s->kernel);
	sb_printf(&b, ",\n  \"capture\": %s,\n  \"registers\": [",
		  capture ? "true" : "false");
	for (size_t i = 0; i < s->count; i++) {
		const void *val;
		uint64_t id;
		char *name;

		kvmreg_state_at(s, i, &id, &val);
		if (!capture && !val) {
			free(b.p);
			return kvmreg_set_error(-EINVAL,
						"register 0x%016" PRIx64 " (entry %zu) has no value, but others have: a state has values for all its registers, or for none (a capture)",
						id, i);
		}
		name = id_name(s->arch, id);
		if (!name) {
			b.err = -ENOMEM;
			break;
		}
		sb_printf(&b, "%s\n    {\"id\": \"0x%016" PRIx64 "\", \"name\": ",
			  i ? "," : "", id);
		sb_string(&b, name);
		free(name);
		sb_printf(&b, ", \"size\": %zu", kvmreg_id_size(id));
		if (val) {
			kvmreg_value_format(val, kvmreg_id_size(id), value,
					    sizeof(value));
			sb_printf(&b, ", \"value\": \"%s\"", value);
		}
		if (kvmreg_id_is_volatile(s->arch, id))
			sb_puts(&b, ", \"volatile\": true");
		sb_puts(&b, "}");
	}
	sb_puts(&b, s->count ? "\n  ]" : "]");
	json_allowed(&b, s);
	sb_puts(&b, "\n}\n");
	if (b.err) {
		free(b.p);
		return kvmreg_set_error(b.err, "out of memory");
	}
	*json = b.p;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Reader: text to tree                                             */

enum jtype { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

static const char *const jtype_names[] = {
	[J_NULL] = "null", [J_BOOL] = "a boolean", [J_NUMBER] = "a number",
	[J_STRING] = "a string", [J_ARRAY] = "an array",
	[J_OBJECT] = "an object",
};

struct jnode {
	enum jtype type;
	bool boolean;
	size_t at;		/* offset in the input, for messages */
	char *text;		/* string (decoded) or number (as written) */
	size_t n;		/* items of an array or members of an object */
	size_t cap;
	struct jnode *items;
	char **keys;		/* of an object's members */
};

struct jparser {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	size_t values;
};

static void jfree(struct jnode *node)
{
	for (size_t i = 0; i < node->n; i++) {
		jfree(&node->items[i]);
		if (node->keys)
			free(node->keys[i]);
	}
	free(node->items);
	free(node->keys);
	free(node->text);
}

/* "line L, column C" of a byte offset (columns count bytes). */
static void where(const char *s, size_t at, char *buf, size_t len)
{
	size_t line = 1, col = 1;

	for (size_t i = 0; i < at; i++) {
		if (s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(buf, len, "line %zu, column %zu", line, col);
}

static int jerror(const struct jparser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int jerror(const struct jparser *p, size_t at, const char *fmt, ...)
{
	char loc[64], msg[256];
	va_list ap;

	where(p->s, at, loc, sizeof(loc));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kvmreg_set_error(-EINVAL, "JSON %s: %s", loc, msg);
}

static void skip_space(struct jparser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* What is at pos, for "expected X, found Y" messages. */
static const char *found(const struct jparser *p, char *buf, size_t len)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "the end of the input";
	c = (unsigned char)p->s[p->pos];
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

static int hex4(struct jparser *p, unsigned int *out)
{
	unsigned int v = 0;

	if (p->len - p->pos < 4)
		return jerror(p, p->pos, "\\u needs 4 hex digits");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos + (size_t)i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return jerror(p, p->pos + (size_t)i,
				      "\\u needs 4 hex digits");
		v = v << 4 | d;
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned int cp, min;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The string at pos (after its opening quote is checked), decoded. A
 * decoded string is never longer than its source. */
static int parse_string(struct jparser *p, char **out)
{
	size_t start = p->pos++, end = p->pos;
	size_t n = 0;
	char *buf;
	int err;

	/* Size the buffer by the raw string, not by the rest of the input:
	 * the tree keeps every string. */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return jerror(p, start, "string does not end");
	buf = malloc(end - start);
	if (!buf)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len) {
			err = jerror(p, start, "string does not end");
			goto fail;
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			err = jerror(p, p->pos,
				     "control character 0x%02x in a string (write it as \\u%04x)",
				     c, c);
			goto fail;
		}
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)p->s + p->pos,
					    p->len - p->pos);

			if (!k) {
				err = jerror(p, p->pos, "invalid UTF-8 in a string");
				goto fail;
			}
			memcpy(buf + n, p->s + p->pos, k);
			n += k;
			p->pos += k;
			continue;
		}
		p->pos++;
		if (c != '\\') {
			buf[n++] = (char)c;
			continue;
		}
		if (p->pos >= p->len) {
			err = jerror(p, start, "string does not end");
			goto fail;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/':
			buf[n++] = (char)c;
			break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'n': buf[n++] = '\n'; break;
		case 'r': buf[n++] = '\r'; break;
		case 't': buf[n++] = '\t'; break;
		case 'u': {
			size_t esc = p->pos - 2;
			unsigned int cp, lo;

			err = hex4(p, &cp);
			if (err)
				goto fail;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				err = jerror(p, esc, "lone low surrogate \\u%04x", cp);
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					err = jerror(p, esc,
						     "high surrogate \\u%04x without its low half",
						     cp);
					goto fail;
				}
				p->pos += 2;
				err = hex4(p, &lo);
				if (err)
					goto fail;
				if (lo < 0xdc00 || lo > 0xdfff) {
					err = jerror(p, esc,
						     "high surrogate \\u%04x followed by \\u%04x",
						     cp, lo);
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0) {
				err = jerror(p, esc, "\\u0000 in a string");
				goto fail;
			}
			n += put_utf8(buf + n, cp);
			break;
		}
		default:
			err = jerror(p, p->pos - 2, "unknown escape '\\%c'",
				     c > 0x20 && c < 0x7f ? c : '?');
			goto fail;
		}
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
fail:
	free(buf);
	return err;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(struct jparser *p, struct jnode *node)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && s[p->pos] == '0') {
		p->pos++;
	} else if (p->pos < p->len && is_digit(s[p->pos])) {
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	} else {
		return jerror(p, start, "malformed number");
	}
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return jerror(p, start, "malformed number");
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return jerror(p, start, "malformed number");
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	node->type = J_NUMBER;
	node->text = strndup(s + start, p->pos - start);
	return node->text ? 0 : kvmreg_set_error(-ENOMEM, "out of memory");
}

static int parse_value(struct jparser *p, struct jnode *node);

/* Room for one more item (and key) in an array or object node. */
static int grow(struct jnode *node, bool keys)
{
	size_t cap;
	void *items;

	if (node->n < node->cap)
		return 0;
	cap = node->cap ? node->cap * 2 : 8;
	items = realloc(node->items, cap * sizeof(*node->items));
	if (!items)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	node->items = items;
	if (keys) {
		void *k = realloc(node->keys, cap * sizeof(*node->keys));

		if (!k)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		node->keys = k;
	}
	node->cap = cap;
	return 0;
}

static int parse_container(struct jparser *p, struct jnode *node, bool object)
{
	char close = object ? '}' : ']', buf[16];
	int err;

	node->type = object ? J_OBJECT : J_ARRAY;
	if (++p->depth > MAX_DEPTH)
		return jerror(p, p->pos, "nested deeper than %d levels", MAX_DEPTH);
	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		struct jnode *item;
		char *key = NULL;

		err = grow(node, object);
		if (err)
			return err;
		if (object) {
			size_t key_at = p->pos;

			if (node->n == MAX_MEMBERS)
				return jerror(p, p->pos,
					      "an object with more than %d members",
					      MAX_MEMBERS);

			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jerror(p, p->pos,
					      "expected a member name in quotes, found %s",
					      found(p, buf, sizeof(buf)));
			err = parse_string(p, &key);
			if (err)
				return err;
			for (size_t i = 0; i < node->n; i++) {
				if (!strcmp(node->keys[i], key)) {
					err = jerror(p, key_at,
						     "member \"%s\" appears twice", key);
					free(key);
					return err;
				}
			}
			skip_space(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				err = jerror(p, p->pos,
					     "expected ':' after \"%s\", found %s",
					     key, found(p, buf, sizeof(buf)));
				free(key);
				return err;
			}
			p->pos++;
			skip_space(p);
		}
		item = &node->items[node->n];
		memset(item, 0, sizeof(*item));
		if (object)
			node->keys[node->n] = key;
		node->n++;
		err = parse_value(p, item);
		if (err)
			return err;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			skip_space(p);
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			p->depth--;
			return 0;
		}
		return jerror(p, p->pos, "expected ',' or '%c', found %s", close,
			      found(p, buf, sizeof(buf)));
	}
}

static int parse_literal(struct jparser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return jerror(p, p->pos, "expected a value");
	p->pos += n;
	return 0;
}

static int parse_value(struct jparser *p, struct jnode *node)
{
	char buf[16];

	node->at = p->pos;
	if (++p->values > MAX_VALUES)
		return jerror(p, p->pos, "more than %u values: not a register state",
			      MAX_VALUES);
	if (p->pos >= p->len)
		return jerror(p, p->pos, "expected a value, found the end of the input");
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, node, true);
	case '[':
		return parse_container(p, node, false);
	case '"':
		node->type = J_STRING;
		return parse_string(p, &node->text);
	case 't':
		node->type = J_BOOL;
		node->boolean = true;
		return parse_literal(p, "true");
	case 'f':
		node->type = J_BOOL;
		return parse_literal(p, "false");
	case 'n':
		node->type = J_NULL;
		return parse_literal(p, "null");
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p, node);
		return jerror(p, p->pos, "expected a value, found %s",
			      found(p, buf, sizeof(buf)));
	}
}

static int parse_document(const char *text, size_t len, struct jnode *root)
{
	struct jparser p = { .s = text, .len = len };
	char buf[16];
	int err;

	memset(root, 0, sizeof(*root));
	skip_space(&p);
	err = parse_value(&p, root);
	if (err)
		return err;
	skip_space(&p);
	if (p.pos != len)
		return jerror(&p, p.pos, "%s after the end of the document",
			      found(&p, buf, sizeof(buf)));
	return 0;
}

/* ---------------------------------------------------------------- */
/* Reader: tree to state                                            */

struct schema {
	const char *text;	/* the whole input, for line numbers */
	enum kvmreg_arch arch;
};

static int at_error(const struct schema *sc, const struct jnode *node,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int at_error(const struct schema *sc, const struct jnode *node,
		    const char *fmt, ...)
{
	char loc[64], msg[320];
	va_list ap;

	where(sc->text, node->at, loc, sizeof(loc));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kvmreg_set_error(-EINVAL, "JSON %s: %s", loc, msg);
}

/* The member key of obj, checked to be of type; NULL if absent. */
static int member(const struct schema *sc, const struct jnode *obj,
		  const char *what, const char *key, enum jtype type,
		  bool required, const struct jnode **out)
{
	*out = NULL;
	for (size_t i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key))
			continue;
		if (obj->items[i].type != type)
			return at_error(sc, &obj->items[i],
					"%s\"%s\" must be %s, not %s", what, key,
					jtype_names[type],
					jtype_names[obj->items[i].type]);
		*out = &obj->items[i];
		return 0;
	}
	if (required)
		return at_error(sc, obj, "%slacks \"%s\"", what, key);
	return 0;
}

/* Members other than the allowed ones are typos or a newer format: say so
 * rather than drop data silently. */
static int only_members(const struct schema *sc, const struct jnode *obj,
			const char *what, const char *const *allowed)
{
	for (size_t i = 0; i < obj->n; i++) {
		const char *const *a = allowed;

		while (*a && strcmp(*a, obj->keys[i]))
			a++;
		if (!*a)
			return at_error(sc, &obj->items[i],
					"%sunknown member \"%s\"", what,
					obj->keys[i]);
	}
	return 0;
}

static int whole_number(const struct schema *sc, const struct jnode *node,
			const char *what, uint64_t *out)
{
	if (node->text[0] == '-' || strpbrk(node->text, ".eE") ||
	    kvmreg_parse_u64(node->text, strlen(node->text), out))
		return at_error(sc, node, "%s must be a whole number, not %s",
				what, node->text);
	return 0;
}

static int read_register(const struct schema *sc, const struct jnode *reg,
			 size_t i, bool capture, struct kvmreg_state *s)
{
	static const char *const allowed[] = {
		"id", "name", "size", "value", "volatile", NULL
	};
	const struct jnode *id_node, *name, *size, *value, *vol;
	uint8_t bytes[256];
	char what[64];
	uint64_t id, n;
	int err;

	snprintf(what, sizeof(what), "registers[%zu]: ", i);
	if (reg->type != J_OBJECT)
		return at_error(sc, reg, "%smust be an object, not %s", what,
				jtype_names[reg->type]);
	err = only_members(sc, reg, what, allowed);
	if (!err)
		err = member(sc, reg, what, "id", J_STRING, true, &id_node);
	if (!err)
		err = member(sc, reg, what, "name", J_STRING, false, &name);
	if (!err)
		err = member(sc, reg, what, "size", J_NUMBER, false, &size);
	if (!err)
		err = member(sc, reg, what, "value", J_STRING, !capture, &value);
	if (!err)
		err = member(sc, reg, what, "volatile", J_BOOL, false, &vol);
	if (err)
		return err;
	if (kvmreg_parse_u64(id_node->text, strlen(id_node->text), &id))
		return at_error(sc, id_node, "%sid \"%s\" is not a number",
				what, id_node->text);
	snprintf(what, sizeof(what), "registers[%zu] (0x%016" PRIx64 "): ", i,
		 id);
	if (kvmreg_id_check(sc->arch, id))
		return at_error(sc, id_node, "%s%s", what, kvmreg_error());
	if (kvmreg_state_has(s, id))
		return at_error(sc, reg, "%sthe register appears twice", what);
	if (name) {
		uint64_t named;

		/* The id is authoritative: a name this library does not know
		 * (from a newer one) is fine, a name of another register is
		 * not. */
		if (!kvmreg_id_parse(sc->arch, name->text, &named) && named != id)
			return at_error(sc, name,
					"%sname \"%s\" is register 0x%016" PRIx64 ", not this id",
					what, name->text, named);
	}
	if (size) {
		err = whole_number(sc, size, "size", &n);
		if (err)
			return err;
		if (n != kvmreg_id_size(id))
			return at_error(sc, size,
					"%ssize %s disagrees with the id, which holds %zu bytes",
					what, size->text, kvmreg_id_size(id));
	}
	/* The volatile mark is the driver's opinion when the file was
	 * written: informative only, so a newer driver's marks never make an
	 * old file unreadable. */
	(void)vol;
	if (capture && value)
		return at_error(sc, value, "%sa capture has no values", what);
	if (value && kvmreg_value_parse(value->text, bytes, kvmreg_id_size(id)))
		return at_error(sc, value, "%s%s", what, kvmreg_error());
	err = kvmreg_state_set(s, id, value ? bytes : NULL, kvmreg_id_size(id));
	return err ? at_error(sc, reg, "%s%s", what, kvmreg_error()) : 0;
}

/* One record of "allowed": id, name (checked as for a register), value
 * and mask. */
static int read_allowed(const struct schema *sc, const struct jnode *rec,
			size_t i, struct kvmreg_state *s)
{
	static const char *const allowed[] = {
		"id", "name", "value", "mask", NULL
	};
	const struct jnode *id_node, *name, *value, *mask;
	uint8_t v[256], m[256];
	char what[64];
	uint64_t id, named;
	int err;

	snprintf(what, sizeof(what), "allowed[%zu]: ", i);
	if (rec->type != J_OBJECT)
		return at_error(sc, rec, "%smust be an object, not %s", what,
				jtype_names[rec->type]);
	err = only_members(sc, rec, what, allowed);
	if (!err)
		err = member(sc, rec, what, "id", J_STRING, true, &id_node);
	if (!err)
		err = member(sc, rec, what, "name", J_STRING, false, &name);
	if (!err)
		err = member(sc, rec, what, "value", J_STRING, true, &value);
	if (!err)
		err = member(sc, rec, what, "mask", J_STRING, true, &mask);
	if (err)
		return err;
	if (kvmreg_parse_u64(id_node->text, strlen(id_node->text), &id))
		return at_error(sc, id_node, "%sid \"%s\" is not a number",
				what, id_node->text);
	if (kvmreg_id_check(sc->arch, id))
		return at_error(sc, id_node, "%s%s", what, kvmreg_error());
	if (name && !kvmreg_id_parse(sc->arch, name->text, &named) &&
	    named != id)
		return at_error(sc, name, "%sname \"%s\" is another register",
				what, name->text);
	if (!kvmreg_state_allowed(s, id, NULL, NULL))
		return at_error(sc, rec, "%sregister 0x%016" PRIx64 " appears twice",
				what, id);
	if (kvmreg_value_parse(value->text, v, kvmreg_id_size(id)))
		return at_error(sc, value, "%s%s", what, kvmreg_error());
	if (kvmreg_value_parse(mask->text, m, kvmreg_id_size(id)))
		return at_error(sc, mask, "%s%s", what, kvmreg_error());
	err = kvmreg_state_set_allowed(s, id, v, m, kvmreg_id_size(id));
	return err ? at_error(sc, rec, "%s%s", what, kvmreg_error()) : 0;
}

static int read_state(const struct schema *sc0, const struct jnode *root,
		      struct kvmreg_state **out)
{
	static const char *const allowed[] = {
		"format", "version", "arch", "kernel", "capture", "registers",
		"allowed", NULL
	};
	const struct jnode *format, *version, *arch, *kernel, *capture, *regs;
	const struct jnode *allowed_values = NULL;
	struct schema sc = *sc0;
	struct kvmreg_state *s;
	uint64_t v;
	int err;

	if (root->type != J_OBJECT)
		return at_error(&sc, root, "the document must be an object, not %s",
				jtype_names[root->type]);
	err = member(&sc, root, "", "format", J_STRING, true, &format);
	if (!err && strcmp(format->text, JSON_FORMAT_NAME))
		err = at_error(&sc, format, "\"format\" is \"%s\", not \"%s\"",
			       format->text, JSON_FORMAT_NAME);
	if (!err)
		err = member(&sc, root, "", "version", J_NUMBER, true, &version);
	if (!err)
		err = whole_number(&sc, version, "\"version\"", &v);
	if (!err && v != JSON_FORMAT_VERSION)
		err = at_error(&sc, version,
			       "format version %s is not supported (this library reads version %d)",
			       version->text, JSON_FORMAT_VERSION);
	if (!err)
		err = only_members(&sc, root, "", allowed);
	if (!err)
		err = member(&sc, root, "", "arch", J_STRING, true, &arch);
	if (!err)
		err = member(&sc, root, "", "kernel", J_STRING, false, &kernel);
	if (!err)
		err = member(&sc, root, "", "capture", J_BOOL, true, &capture);
	if (!err)
		err = member(&sc, root, "", "registers", J_ARRAY, true, &regs);
	if (!err)
		err = member(&sc, root, "", "allowed", J_ARRAY, false,
			     &allowed_values);
	if (err)
		return err;
	sc.arch = kvmreg_arch_from_name(arch->text);
	if (sc.arch == KVMREG_ARCH_NONE)
		return at_error(&sc, arch, "unknown architecture \"%s\"",
				arch->text);
	/* What kvmreg_state_set_kernel() accepts, as the binary format. */
	if (kernel && kvmreg_kernel_release_check(kernel->text,
						  strlen(kernel->text)))
		return at_error(&sc, kernel, "%s", kvmreg_error());
	s = kvmreg_state_new(sc.arch);
	if (!s)
		return -ENOMEM;
	if (kernel)
		kvmreg_state_set_kernel(s, kernel->text);
	if (capture->boolean)
		s->flags |= KVMREG_STATE_F_CAPTURE;
	for (size_t i = 0; i < regs->n; i++) {
		err = read_register(&sc, &regs->items[i], i, capture->boolean, s);
		if (err) {
			kvmreg_state_free(s);
			return err;
		}
	}
	for (size_t i = 0; allowed_values && i < allowed_values->n; i++) {
		err = read_allowed(&sc, &allowed_values->items[i], i, s);
		if (err) {
			kvmreg_state_free(s);
			return err;
		}
	}
	*out = s;
	return 0;
}

KVMREG_EXPORT int kvmreg_state_from_json(const char *json, size_t len,
					 struct kvmreg_state **out)
{
	struct schema sc = { .text = json };
	struct jnode root;
	int err;

	KVMREG_NEED_ARG(json, "json");
	KVMREG_NEED_ARG(out, "out");
	err = parse_document(json, len, &root);
	if (!err)
		err = read_state(&sc, &root, out);
	jfree(&root);
	return err;
}
