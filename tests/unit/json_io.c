// SPDX-License-Identifier: MIT
/* JSON export and import: exact round trips, and the reader's refusal of
 * every malformed document with a message that says where. */
#include <inttypes.h>
#include <stdint.h>

#include "file.h"
#include "harness.h"
#include "lib/testutil.h"
#include "kvmreg.h"
#include "state.h"

#define ARM64_X0	0x6030000000100000ULL
#define ARM64_PC	0x6030000000100040ULL
#define ARM64_V0	0x6040000000100054ULL	/* U128 */
#define ARM64_FPSR	0x60200000001000d4ULL	/* U32 */
#define RISCV_PC	0x8030000002000000ULL	/* core regs.pc */

static struct kvmreg_state *sample(void)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_ARM64);
	uint8_t v[16];

	for (int i = 0; i < 16; i++)
		v[i] = (uint8_t)(0xf0 - 7 * i);
	if (!s || kvmreg_state_set_kernel(s, "6.18.0-1-amd64") ||
	    kvmreg_state_set(s, ARM64_PC, (uint8_t[8]){ 0x00, 0x10, 0, 0, 0, 0, 0, 0 }, 8) ||
	    kvmreg_state_set(s, ARM64_V0, v, 16) ||
	    kvmreg_state_set(s, ARM64_FPSR, (uint8_t[4]){ 0xef, 0xbe, 0xad, 0xde }, 4) ||
	    kvmreg_state_set(s, ARM64_X0, (uint8_t[8]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8)) {
		kvmreg_state_free(s);
		return NULL;
	}
	return s;
}

/* from_json must fail, leave *out as it was, and say needle. */
static int rejects(const char *json, const char *needle)
{
	struct kvmreg_state *out = (struct kvmreg_state *)1;
	int err = kvmreg_state_from_json(json, strlen(json), &out);

	if (err >= 0 || out != (struct kvmreg_state *)1) {
		printf("    accepted: %s\n", json);
		kvmreg_state_free(err >= 0 ? out : NULL);
		return 0;
	}
	if (!strstr(kvmreg_error(), needle)) {
		printf("    message '%s' lacks '%s'\n", kvmreg_error(), needle);
		return 0;
	}
	return 1;
}

static struct kvmreg_state *accepts(const char *json)
{
	struct kvmreg_state *out = NULL;

	if (kvmreg_state_from_json(json, strlen(json), &out)) {
		printf("    rejected: %s\n    %s\n", json, kvmreg_error());
		return NULL;
	}
	return out;
}

/* A one-register arm64 document with the register object reg. */
static const char *doc(char *buf, size_t len, const char *capture,
		       const char *reg)
{
	snprintf(buf, len,
		 "{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		 "\"kernel\": \"6.1\", \"capture\": %s, \"registers\": [%s]}",
		 capture, reg);
	return buf;
}

TEST(round_trip_exact)
{
	struct kvmreg_state *s = sample(), *back;
	char *json, *again;

	REQUIRE(s);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0, "%s", kvmreg_error());
	back = accepts(json);
	REQUIRE(back);
	EXPECT(t_states_identical(s, back));
	REQUIRE(kvmreg_state_to_json(back, &again) == 0);
	EXPECT(!strcmp(json, again), "second export differs:\n%s\n%s", json,
	       again);
	free(again);
	free(json);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
}

TEST(export_content)
{
	struct kvmreg_state *s = sample();
	char *json;

	REQUIRE(s);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	EXPECT(strstr(json, "\"format\": \"kvmreg-state\""));
	EXPECT(strstr(json, "\"arch\": \"arm64\""));
	EXPECT(strstr(json, "\"kernel\": \"6.18.0-1-amd64\""));
	EXPECT(strstr(json, "\"capture\": false"));
	EXPECT(strstr(json, "\"id\": \"0x6030000000100040\""));
	/* Values as little-endian numbers, full width. */
	EXPECT(strstr(json, "\"value\": \"0x0000000000001000\""), "%s", json);
	EXPECT(strstr(json, "\"value\": \"0xdeadbeef\""), "%s", json);
	EXPECT(strstr(json, "\"size\": 16"));
	EXPECT(strstr(json, "\"name\": "));
	free(json);
	kvmreg_state_free(s);
}

TEST(round_trip_capture_and_empty)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_RISCV64), *back;
	char *json;

	REQUIRE(s);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	EXPECT(strstr(json, "\"registers\": []"), "%s", json);
	back = accepts(json);
	EXPECT(back && t_states_identical(s, back));
	kvmreg_state_free(back);
	free(json);

	s->flags |= KVMREG_STATE_F_CAPTURE;
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	back = accepts(json);
	EXPECT(back && kvmreg_state_is_capture(back));
	kvmreg_state_free(back);
	free(json);

	REQUIRE(kvmreg_state_set(s, RISCV_PC, NULL, 8) == 0);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	EXPECT(strstr(json, "\"capture\": true"));
	EXPECT(!strstr(json, "\"value\""), "%s", json);
	back = accepts(json);
	EXPECT(back && t_states_identical(s, back));
	EXPECT(back && kvmreg_state_get(back, RISCV_PC) == NULL);
	kvmreg_state_free(back);
	free(json);
	kvmreg_state_free(s);
}

TEST(json_and_binary_agree)
{
	struct kvmreg_state *s = sample(), *from_json, *from_bin = NULL;
	void *buf;
	size_t len;
	char *json;

	REQUIRE(s);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	from_json = accepts(json);
	REQUIRE(from_json);
	REQUIRE(kvmreg_state_encode(from_json, &buf, &len) == 0);
	REQUIRE(kvmreg_state_decode(buf, len, &from_bin) == 0);
	EXPECT(t_states_identical(s, from_bin));
	free(buf);
	free(json);
	kvmreg_state_free(from_bin);
	kvmreg_state_free(from_json);
	kvmreg_state_free(s);
}

TEST(hand_written_forms)
{
	/* Members in any order, registers before arch, no name, a short
	 * value zero-extended, upper-case hex, escapes in a name. */
	const char *json =
		"  {\"registers\": [ {\"value\": \"0X1\", \"id\": \"0x6030000000100040\"},\n"
		"    {\"id\": \"0x6020000000100\\u0030d4\", \"value\": \"0xABCD\", \"name\": \"not\\/known\\u00e9\\ud83d\\ude00\"} ],\n"
		" \"capture\" : false , \"kernel\":\"\", \"arch\":\"aarch64\",\n"
		" \"version\": 1, \"format\": \"kvmreg-state\"}\r\n";
	struct kvmreg_state *s = accepts(json);
	const uint8_t *v;

	REQUIRE(s);
	EXPECT(kvmreg_state_arch(s) == KVMREG_ARCH_ARM64);
	EXPECT(kvmreg_state_count(s) == 2);
	v = kvmreg_state_get(s, ARM64_PC);
	EXPECT(v && v[0] == 1 && v[1] == 0 && v[7] == 0);
	v = kvmreg_state_get(s, ARM64_FPSR);
	EXPECT(v && v[0] == 0xcd && v[1] == 0xab && v[3] == 0);
	kvmreg_state_free(s);
}

TEST(name_must_agree_with_id)
{
	char buf[512], name[160];

	/* The name kvmreg_id_name() gives x0, put on pc. */
	REQUIRE(kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_X0, KVMREG_NAME_SHORT,
			       name, sizeof(name)) > 0);
	snprintf(buf, sizeof(buf),
		 "{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		 "\"kernel\": \"\", \"capture\": true, \"registers\": "
		 "[{\"id\": \"0x6030000000100040\", \"name\": \"%s\"}]}", name);
	EXPECT(rejects(buf, "is register 0x6030000000100000, not this id"));
	EXPECT(rejects(doc(buf, sizeof(buf), "true",
			   "{\"id\": \"0x6030000000100040\", \"name\": \"0x6030000000100000\"}"),
		       "not this id"));
}

TEST(schema_errors)
{
	char b[640];
	const char *pc = "\"id\": \"0x6030000000100040\"";
	char r[256];

	EXPECT(rejects("[]", "the document must be an object, not an array"));
	EXPECT(rejects("{\"format\": \"other\"}", "\"format\" is \"other\""));
	EXPECT(rejects("{\"format\": \"kvmreg-state\"}", "lacks \"version\""));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 2}",
		       "format version 2 is not supported"));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 1.5}",
		       "whole number"));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"vax\", "
		       "\"kernel\": \"\", \"capture\": true, \"registers\": []}",
		       "unknown architecture \"vax\""));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		       "\"kernel\": \"\", \"capture\": true, \"registers\": [], \"extra\": 1}",
		       "unknown member \"extra\""));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		       "\"kernel\": \"\", \"capture\": \"yes\", \"registers\": []}",
		       "\"capture\" must be a boolean, not a string"));
	EXPECT(rejects("{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		       "\"kernel\": \"a\\tb\", \"capture\": true, \"registers\": []}",
		       "printable ASCII"));

	EXPECT(rejects(doc(b, sizeof(b), "false", "7"),
		       "registers[0]: must be an object, not a number"));
	EXPECT(rejects(doc(b, sizeof(b), "false", "{\"value\": \"0x1\"}"),
		       "registers[0]: lacks \"id\""));
	EXPECT(rejects(doc(b, sizeof(b), "false",
			   "{\"id\": 6931039826524241984, \"value\": \"0x1\"}"),
		       "\"id\" must be a string"));
	EXPECT(rejects(doc(b, sizeof(b), "false", "{\"id\": \"pc\", \"value\": \"0x1\"}"),
		       "id \"pc\" is not a number"));
	EXPECT(rejects(doc(b, sizeof(b), "false",
			   "{\"id\": \"0x2030000000000010\", \"value\": \"0x1\"}"),
		       "registers[0] (0x2030000000000010)"));
	snprintf(r, sizeof(r), "{%s}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r),
		       "registers[0]: lacks \"value\""));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\"}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "true", r), "a capture has no values"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x10000000000000000\"}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r), "does not fit in 8 bytes"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x12g4\"}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r), "not a hex digit"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"12\"}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r), "starting with 0x"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\", \"size\": 4}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r),
		       "size 4 disagrees with the id, which holds 8 bytes"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\", \"size\": -8}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r), "whole number"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\", \"colour\": 1}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r),
		       "registers[0]: unknown member \"colour\""));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\"}, {%s, \"value\": \"0x2\"}",
		 pc, pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r),
		       "registers[1] (0x6030000000100040): the register appears twice"));
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\", \"volatile\": \"no\"}", pc);
	EXPECT(rejects(doc(b, sizeof(b), "false", r), "must be a boolean"));
	/* volatile is informative: either value is accepted. */
	snprintf(r, sizeof(r), "{%s, \"value\": \"0x1\", \"volatile\": true}", pc);
	kvmreg_state_free(accepts(doc(b, sizeof(b), "false", r)));
}

TEST(syntax_errors_say_where)
{
	EXPECT(rejects("", "line 1, column 1: expected a value, found the end"));
	EXPECT(rejects("{\n\n  \"a\" 1}", "line 3, column 7: expected ':' after \"a\""));
	EXPECT(rejects("{\"a\": 1,}", "expected a member name in quotes, found '}'"));
	EXPECT(rejects("{\"a\": 1 \"b\": 2}", "expected ',' or '}', found '\"'"));
	EXPECT(rejects("[1, 2", "expected ',' or ']', found the end of the input"));
	EXPECT(rejects("{\"a\": 1, \"a\": 2}", "member \"a\" appears twice"));
	EXPECT(rejects("{} x", "'x' after the end of the document"));
	EXPECT(rejects("{\"a\": tru}", "expected a value"));
	EXPECT(rejects("{\"a\": nul}", "expected a value"));
	EXPECT(rejects("{\"a\": 01}", "expected ',' or '}'"));
	EXPECT(rejects("{\"a\": -}", "malformed number"));
	EXPECT(rejects("{\"a\": 1.}", "malformed number"));
	EXPECT(rejects("{\"a\": 1e}", "malformed number"));
	EXPECT(rejects("{\"a\": +1}", "expected a value, found '+'"));
	EXPECT(rejects("{\"a\": \"abc}", "string does not end"));
	EXPECT(rejects("{\"a\": \"a\nb\"}", "control character 0x0a"));
	EXPECT(rejects("{\"a\": \"\\x\"}", "unknown escape '\\x'"));
	EXPECT(rejects("{\"a\": \"\\u12\"}", "\\u needs 4 hex digits"));
	EXPECT(rejects("{\"a\": \"\\u0000\"}", "\\u0000 in a string"));
	EXPECT(rejects("{\"a\": \"\\ud800\"}", "without its low half"));
	EXPECT(rejects("{\"a\": \"\\ud800\\u0041\"}", "followed by \\u0041"));
	EXPECT(rejects("{\"a\": \"\\udc00\"}", "lone low surrogate"));
	EXPECT(rejects("{\"a\": \"\xc3\"}", "invalid UTF-8"));
	EXPECT(rejects("{\"a\": \"\xc0\xaf\"}", "invalid UTF-8"));	/* overlong */
	EXPECT(rejects("{\"a\": \"\xed\xa0\x80\"}", "invalid UTF-8"));	/* surrogate */
	EXPECT(rejects("{\"a\": \"\xf4\x90\x80\x80\"}", "invalid UTF-8"));
	EXPECT(rejects("{\"a\": \xff}", "found byte 0xff"));
}

TEST(size_is_bounded)
{
	size_t n = (1u << 20) + 8;
	char *big = malloc(2 * n + 2);

	REQUIRE(big);
	big[0] = '[';
	for (size_t i = 0; i < n; i++) {
		big[1 + 2 * i] = '0';
		big[2 + 2 * i] = ',';
	}
	big[2 * n] = ']';
	big[2 * n + 1] = '\0';
	EXPECT(rejects(big, "more than 1048576 values"));
	strcpy(big, "{");
	for (int i = 0; i < 65; i++)
		sprintf(big + strlen(big), "%s\"k%d\": 0", i ? ", " : "", i);
	strcat(big, "}");
	EXPECT(rejects(big, "an object with more than 64 members"));
	free(big);
}

TEST(kernel_may_be_left_out)
{
	struct kvmreg_state *s = accepts(
		"{\"format\": \"kvmreg-state\", \"version\": 1, \"arch\": \"arm64\", "
		"\"capture\": true, \"registers\": []}");

	EXPECT(s && !strcmp(kvmreg_state_kernel(s), ""));
	kvmreg_state_free(s);
}

TEST(nesting_is_bounded)
{
	char deep[4096];

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	EXPECT(rejects(deep, "nested deeper than 32 levels"));
	memset(deep, 0, sizeof(deep));
	for (int i = 0; i < 600; i++)
		strcat(deep, "{\"a\":");
	EXPECT(rejects(deep, "nested deeper"));
}

TEST(every_truncation_rejected)
{
	struct kvmreg_state *s = sample();
	char *json;
	size_t len;

	REQUIRE(s);
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	len = strlen(json);
	/* Every prefix short of the closing brace is incomplete. */
	for (size_t n = 0; n + 2 < len; n++) {
		struct kvmreg_state *out = (struct kvmreg_state *)1;
		char *cut = malloc(n ? n : 1);

		memcpy(cut, json, n);
		EXPECT(kvmreg_state_from_json(cut, n, &out) < 0 &&
		       out == (struct kvmreg_state *)1,
		       "a prefix of %zu bytes was accepted", n);
		EXPECT(strstr(kvmreg_error(), "JSON line"), "%s", kvmreg_error());
		free(cut);
	}
	free(json);
	kvmreg_state_free(s);
}

TEST(embedded_nul_rejected)
{
	const char json[] = "{\"format\": \"kvmreg-state\"\0}";
	struct kvmreg_state *out = (struct kvmreg_state *)1;

	EXPECT(kvmreg_state_from_json(json, sizeof(json) - 1, &out) < 0 &&
	       out == (struct kvmreg_state *)1);
	EXPECT(strstr(kvmreg_error(), "byte 0x00"), "%s", kvmreg_error());
}

TEST(volatile_marked_on_export)
{
	/* Candidates the drivers mark volatile: the arm64 virtual counter,
	 * riscv's time CSR, loongarch's counter. */
	static const uint64_t candidates[] = {
		0x603000000013df1aULL,	/* arm64 KVM_REG_ARM_TIMER_CNT */
		0x603000000013df02ULL,	/* arm64 CNTVCT_EL0 */
		0x8030000004000001ULL,	/* riscv timer.time */
		0x9030000000020000ULL,	/* loongarch counter */
	};
	struct kvmreg_state *s;
	uint64_t id = 0;
	char *json;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (kvmreg_id_is_volatile(kvmreg_arch_of_id(candidates[i]),
					  candidates[i]))
			id = candidates[i];
	if (!id)
		SKIP("no driver marks a volatile register yet");
	s = kvmreg_state_new(kvmreg_arch_of_id(id));
	REQUIRE(kvmreg_state_set(s, id, (uint8_t[8]){ 1 }, 8) == 0,
		"%s", kvmreg_error());
	REQUIRE(kvmreg_state_to_json(s, &json) == 0);
	EXPECT(strstr(json, "\"volatile\": true"), "%s", json);
	free(json);
	kvmreg_state_free(s);
}

TEST_MAIN("json_io",
	  CASE(round_trip_exact),
	  CASE(export_content),
	  CASE(round_trip_capture_and_empty),
	  CASE(json_and_binary_agree),
	  CASE(hand_written_forms),
	  CASE(name_must_agree_with_id),
	  CASE(schema_errors),
	  CASE(syntax_errors_say_where),
	  CASE(size_is_bounded),
	  CASE(kernel_may_be_left_out),
	  CASE(nesting_is_bounded),
	  CASE(every_truncation_rejected),
	  CASE(embedded_nul_rejected),
	  CASE(volatile_marked_on_export))
