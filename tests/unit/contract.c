// SPDX-License-Identifier: MIT
/*
 * The contract of include/kvmreg.h for the calls that need no vCPU
 * (issue 16): what a writer accepts its reader accepts (the kernel
 * release), NULL arguments refused by name and changing nothing, the
 * documented answers of accessors for NULL and invalid ids, unknown enum
 * values refused, and kvmreg_error() left alone by successes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

#define ARM64_X0 0x6030000000100000ULL
#define ARM64_PC 0x6030000000100040ULL

static struct kvmreg_state *arm64_state(void)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_ARM64);
	uint64_t v = 0x1000;

	if (s && (kvmreg_state_set(s, ARM64_X0, &v, 8) ||
		  kvmreg_state_set(s, ARM64_PC, &v, 8))) {
		kvmreg_state_free(s);
		return NULL;
	}
	return s;
}

/* Whatever release the state takes comes back from both formats. */
static int round_trips(const struct kvmreg_state *s)
{
	struct kvmreg_state *back = NULL;
	void *buf = NULL;
	char *json = NULL;
	size_t len;
	int ok = 0;

	if (kvmreg_state_encode(s, &buf, &len) ||
	    kvmreg_state_decode(buf, len, &back) ||
	    !t_states_identical(s, back))
		goto out;
	kvmreg_state_free(back);
	back = NULL;
	if (kvmreg_state_to_json(s, &json) ||
	    kvmreg_state_from_json(json, strlen(json), &back) ||
	    !t_states_identical(s, back))
		goto out;
	ok = 1;
out:
	if (!ok)
		printf("    round trip of release '%s': %s\n",
		       kvmreg_state_kernel(s), kvmreg_error());
	kvmreg_state_free(back);
	free(buf);
	free(json);
	return ok;
}

TEST(kernel_release_the_readers_would_refuse_is_refused)
{
	static const struct {
		const char *release;
		const char *says;
	} bad[] = {
		{ "6.1\n", "byte 0x0a at offset 3" },	/* as fgets gives it */
		{ "6.1\x7f", "byte 0x7f at offset 3" },
		{ "6.1-\xc3\xa9", "byte 0xc3 at offset 4" },	/* UTF-8 */
		{ "\t6.1", "byte 0x09 at offset 0" },
	};
	static const char every_printable[] =
		" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~";
	struct kvmreg_state *s = arm64_state();
	char long_release[KVMREG_KERNEL_RELEASE_MAX + 2];

	REQUIRE(s);
	REQUIRE(kvmreg_state_set_kernel(s, "6.18.0-1-amd64") == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT(kvmreg_state_set_kernel(s, bad[i].release) == -EINVAL,
		       "'%s' taken", bad[i].release);
		EXPECT(strstr(kvmreg_error(), bad[i].says), "%s", kvmreg_error());
		EXPECT(!strcmp(kvmreg_state_kernel(s), "6.18.0-1-amd64"),
		       "a refused release changed the state");
	}
	memset(long_release, 'k', sizeof(long_release) - 1);
	long_release[sizeof(long_release) - 1] = '\0';
	EXPECT(kvmreg_state_set_kernel(s, long_release) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "at most 64"), "%s", kvmreg_error());
	/* Every accepted kind survives: all of printable ASCII, the full
	 * length, the empty release. */
	EXPECT(kvmreg_state_set_kernel(s, every_printable) == 0);
	EXPECT(round_trips(s));
	long_release[KVMREG_KERNEL_RELEASE_MAX] = '\0';
	EXPECT(kvmreg_state_set_kernel(s, long_release) == 0);
	EXPECT(round_trips(s));
	EXPECT(kvmreg_state_set_kernel(s, "") == 0);
	EXPECT(round_trips(s));
	kvmreg_state_free(s);
}


TEST(null_arguments_are_refused_by_name)
{
	struct kvmreg_state *s = arm64_state();
	struct kvmreg_state *out = (struct kvmreg_state *)1;
	struct kvmreg_diff *d = (struct kvmreg_diff *)1;
	struct kvmreg_compat *c = (struct kvmreg_compat *)1;
	struct kvmreg_list *list = (struct kvmreg_list *)1;
	uint64_t v = 0, id = 0;
	void *buf = (void *)1;
	char *json = (char *)1;
	size_t len = 0;

	REQUIRE(s);
	EXPECT_REFUSED(kvmreg_state_set(NULL, ARM64_PC, &v, 8), -EINVAL, "kvmreg_state_set: state is NULL");
	EXPECT_REFUSED(kvmreg_state_at(NULL, 0, &id, NULL), -EINVAL, "kvmreg_state_at: state is NULL");
	EXPECT_REFUSED(kvmreg_state_set_kernel(NULL, "6.1"), -EINVAL, "kvmreg_state_set_kernel: state is NULL");
	EXPECT_REFUSED(kvmreg_state_set_kernel(s, NULL), -EINVAL, "kvmreg_state_set_kernel: release is NULL");
	EXPECT_REFUSED(kvmreg_state_encode(NULL, &buf, &len), -EINVAL, "kvmreg_state_encode: state is NULL");
	EXPECT_REFUSED(kvmreg_state_encode(s, NULL, &len), -EINVAL, "kvmreg_state_encode: buf is NULL");
	EXPECT_REFUSED(kvmreg_state_encode(s, &buf, NULL), -EINVAL, "kvmreg_state_encode: len is NULL");
	EXPECT_REFUSED(kvmreg_state_decode(NULL, 8, &out), -EINVAL, "kvmreg_state_decode: buf is NULL");
	EXPECT_REFUSED(kvmreg_state_decode("x", 1, NULL), -EINVAL, "kvmreg_state_decode: out is NULL");
	EXPECT_REFUSED(kvmreg_state_save_file(NULL, "/tmp/x"), -EINVAL, "kvmreg_state_save_file: state is NULL");
	EXPECT_REFUSED(kvmreg_state_save_file(s, NULL), -EINVAL, "kvmreg_state_save_file: path is NULL");
	EXPECT_REFUSED(kvmreg_state_load_file(NULL, &out), -EINVAL, "kvmreg_state_load_file: path is NULL");
	EXPECT_REFUSED(kvmreg_state_load_file("/nonexistent", NULL), -EINVAL, "kvmreg_state_load_file: out is NULL");
	EXPECT_REFUSED(kvmreg_state_to_json(NULL, &json), -EINVAL, "kvmreg_state_to_json: state is NULL");
	EXPECT_REFUSED(kvmreg_state_to_json(s, NULL), -EINVAL, "kvmreg_state_to_json: json is NULL");
	EXPECT_REFUSED(kvmreg_state_from_json(NULL, 2, &out), -EINVAL, "kvmreg_state_from_json: json is NULL");
	EXPECT_REFUSED(kvmreg_state_from_json("{}", 2, NULL), -EINVAL, "kvmreg_state_from_json: out is NULL");
	EXPECT_REFUSED(kvmreg_state_diff(NULL, s, 0, &d), -EINVAL, "kvmreg_state_diff: a is NULL");
	EXPECT_REFUSED(kvmreg_state_diff(s, NULL, 0, &d), -EINVAL, "kvmreg_state_diff: b is NULL");
	EXPECT_REFUSED(kvmreg_state_diff(s, s, 0, NULL), -EINVAL, "kvmreg_state_diff: out is NULL");
	EXPECT_REFUSED(kvmreg_state_diff(s, s, 0x80, &d), -EINVAL, "unknown diff flags 0x80");
	EXPECT_REFUSED(kvmreg_state_compat(NULL, s, &c), -EINVAL, "kvmreg_state_compat: state is NULL");
	EXPECT_REFUSED(kvmreg_state_compat(s, NULL, &c), -EINVAL, "kvmreg_state_compat: host is NULL");
	EXPECT_REFUSED(kvmreg_state_compat(s, s, NULL), -EINVAL, "kvmreg_state_compat: out is NULL");
	EXPECT_REFUSED(kvmreg_restore_order(NULL, &id), -EINVAL, "kvmreg_restore_order: state is NULL");
	EXPECT_REFUSED(kvmreg_restore_order(s, NULL), -EINVAL, "kvmreg_restore_order: ids is NULL");
	EXPECT_REFUSED(kvmreg_fallback_table(KVMREG_ARCH_ARM64, NULL, NULL), -EINVAL, "kvmreg_fallback_table: out is NULL");
	EXPECT_REFUSED(kvmreg_id_parse(KVMREG_ARCH_ARM64, NULL, &id), -EINVAL, "kvmreg_id_parse: name is NULL");
	EXPECT_REFUSED(kvmreg_id_parse(KVMREG_ARCH_ARM64, "MPIDR_EL1", NULL), -EINVAL, "kvmreg_id_parse: id is NULL");
	EXPECT_REFUSED(kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_PC, KVMREG_NAME_SHORT, NULL, 8), -EINVAL, "kvmreg_id_name: buf is NULL");
	EXPECT_REFUSED(kvmreg_value_format(NULL, 8, (char[32]){ 0 }, 32), -EINVAL, "kvmreg_value_format: value is NULL");
	EXPECT_REFUSED(kvmreg_value_parse(NULL, &v, 8), -EINVAL, "kvmreg_value_parse: text is NULL");
	EXPECT_REFUSED(kvmreg_value_parse("0x1", NULL, 8), -EINVAL, "kvmreg_value_parse: value is NULL");
	/* Outputs untouched by a call refused on its arguments. */
	EXPECT(out == (struct kvmreg_state *)1 && d == (struct kvmreg_diff *)1 &&
	       c == (struct kvmreg_compat *)1 && buf == (void *)1 &&
	       json == (char *)1 && list == (struct kvmreg_list *)1 && !id,
	       "an output changed");
	EXPECT(kvmreg_state_count(s) == 2, "the state changed");
	kvmreg_state_free(s);
}

TEST(accessors_answer_null_and_invalid_as_documented)
{
	char buf[64];

	EXPECT(kvmreg_state_count(NULL) == 0);
	EXPECT(kvmreg_state_arch(NULL) == KVMREG_ARCH_NONE);
	EXPECT(!strcmp(kvmreg_state_kernel(NULL), ""));
	EXPECT(kvmreg_state_get(NULL, ARM64_PC) == NULL);
	EXPECT(!kvmreg_state_is_capture(NULL));
	errno = 0;
	EXPECT(kvmreg_state_dup(NULL) == NULL && errno == EINVAL);
	errno = 0;
	EXPECT(kvmreg_state_new(KVMREG_ARCH_NONE) == NULL && errno == EINVAL);
	errno = 0;
	EXPECT(kvmreg_state_new((enum kvmreg_arch)99) == NULL && errno == EINVAL);
	EXPECT(strstr(kvmreg_error(), "99 is no architecture"), "%s", kvmreg_error());
	EXPECT(kvmreg_arch_from_name(NULL) == KVMREG_ARCH_NONE);
	EXPECT(!strcmp(kvmreg_arch_name((enum kvmreg_arch)99), "none"));
	for (uint64_t field = 9; field <= 15; field++)
		EXPECT(kvmreg_id_size(0x6000000000100000ULL | field << 52) == 0,
		       "size field %u", (unsigned int)field);
	EXPECT(kvmreg_id_size(0x6080000000100000ULL) == KVMREG_VALUE_MAX);
	EXPECT(!kvmreg_id_is_volatile(KVMREG_ARCH_ARM64, 0x6f00000000000000ULL));
	EXPECT(!strcmp(kvmreg_id_group(KVMREG_ARCH_ARM64, 0x4030000000100000ULL), "invalid"));
	EXPECT(!strcmp(kvmreg_diff_kind_name((enum kvmreg_diff_kind)77), "unknown"));
	EXPECT(!strcmp(kvmreg_compat_verdict_name((enum kvmreg_compat_verdict)77), "unknown"));
	EXPECT(!strcmp(kvmreg_source_name((enum kvmreg_source)77), "unknown"));
	/* Release functions take NULL. */
	kvmreg_state_free(NULL);
	kvmreg_list_free(NULL);
	kvmreg_diff_free(NULL);
	kvmreg_compat_free(NULL);
	/* snprintf-like: a NULL buffer of length 0 gives the length. */
	EXPECT(kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_PC, KVMREG_NAME_SHORT,
			      NULL, 0) > 0);
	EXPECT(kvmreg_value_format(&(uint64_t){ 1 }, 8, NULL, 0) == 18);
	EXPECT(kvmreg_value_format(&(uint64_t){ 1 }, 0, buf, sizeof(buf)) == -EINVAL);
	EXPECT(kvmreg_value_format(&(uint64_t){ 1 }, KVMREG_VALUE_MAX + 1, buf,
				   sizeof(buf)) == -EINVAL);
}

TEST(unknown_enum_values_are_refused)
{
	char buf[128];

	EXPECT(kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_PC, (enum kvmreg_name_style)2,
			      buf, sizeof(buf)) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "2 is no name style"), "%s", kvmreg_error());
	EXPECT(kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_PC, (enum kvmreg_name_style)-1,
			      buf, sizeof(buf)) == -EINVAL);
	EXPECT(kvmreg_id_name((enum kvmreg_arch)42, ARM64_PC, KVMREG_NAME_SHORT,
			      buf, sizeof(buf)) == -EINVAL);
	EXPECT(kvmreg_fallback_table((enum kvmreg_arch)42, NULL,
				     &(struct kvmreg_list *){ NULL }) == -EINVAL);
}

TEST(a_failed_parse_leaves_the_value)
{
	uint64_t v = 0x1122334455667788ULL;

	EXPECT(kvmreg_value_parse("0x12g4", &v, 8) == -EINVAL);
	EXPECT(v == 0x1122334455667788ULL, "value now 0x%llx",
	       (unsigned long long)v);
	EXPECT(kvmreg_value_parse("0x123456789abcdef01", &v, 8) == -ERANGE);
	EXPECT(v == 0x1122334455667788ULL);
	EXPECT(kvmreg_value_parse("0x1", &v, 0) == -EINVAL);
	EXPECT(kvmreg_value_parse("0xff", &v, 8) == 0 && v == 0xff);
}

TEST(successes_leave_the_last_error)
{
	struct kvmreg_state *s = arm64_state(), *back = NULL, *dup;
	struct kvmreg_diff *d = NULL;
	struct kvmreg_compat *c = NULL;
	struct kvmreg_list *list = NULL;
	char name[128], *json = NULL;
	uint64_t id, ids[2];
	void *buf = NULL;
	size_t len;

	REQUIRE(s);
	kvmreg_state_set_kernel(s, "\x01");
	REQUIRE(strstr(kvmreg_error(), "byte 0x01"));
#define KEPT(call)							\
	EXPECT((call) >= 0 && strstr(kvmreg_error(), "byte 0x01"),	\
	       #call " changed it to: %s", kvmreg_error())
	/* Names every architecture's parser tries before one takes it. */
	KEPT(kvmreg_id_parse(KVMREG_ARCH_NONE, "MPIDR_EL1", &id));
	KEPT(kvmreg_id_parse(KVMREG_ARCH_NONE, "IA32_EFER", &id));
	KEPT(kvmreg_id_parse(KVMREG_ARCH_NONE, "csr.CRMD", &id));
	KEPT(kvmreg_id_parse(KVMREG_ARCH_NONE, "sbi_ext.HSM", &id));
	KEPT(kvmreg_id_parse(KVMREG_ARCH_ARM64, "0x6030000000100040", &id));
	KEPT(kvmreg_id_name(KVMREG_ARCH_NONE, 0x603000000013ffffULL,
			    KVMREG_NAME_MACRO, name, sizeof(name)));
	KEPT(kvmreg_id_check(KVMREG_ARCH_ARM64, ARM64_PC));
	KEPT(kvmreg_state_encode(s, &buf, &len));
	KEPT(kvmreg_state_decode(buf, len, &back));
	kvmreg_state_free(back);
	KEPT(kvmreg_state_to_json(s, &json));
	KEPT(kvmreg_state_from_json(json, strlen(json), &back));
	KEPT(kvmreg_state_diff(s, back, 0, &d));
	KEPT(kvmreg_state_compat(s, back, &c));
	KEPT(kvmreg_restore_order(s, ids));
	KEPT(kvmreg_fallback_table(KVMREG_ARCH_LOONGARCH64, "pmu=4,lbt", &list));
	dup = kvmreg_state_dup(s);
	EXPECT(dup && strstr(kvmreg_error(), "byte 0x01"), "dup: %s", kvmreg_error());
#undef KEPT
	kvmreg_state_free(dup);
	kvmreg_list_free(list);
	kvmreg_diff_free(d);
	kvmreg_compat_free(c);
	kvmreg_state_free(back);
	kvmreg_state_free(s);
	free(buf);
	free(json);
}

/*
 * Threads: each sees only its own message; a state is read by several at
 * once; naming runs in all of them. Under ASan this catches shared
 * scratch buffers; the answers must be the single-threaded ones.
 */
struct reader {
	const struct kvmreg_state *shared;
	const char *want_json;
	int id;
	int ok;
};

static void *read_and_fail(void *arg)
{
	struct reader *r = arg;
	char release[16], want[48], name[128];
	uint64_t id;

	snprintf(release, sizeof(release), "t%d\n", r->id);
	snprintf(want, sizeof(want), "byte 0x0a at offset %zu",
		 strlen(release) - 1);
	r->ok = 1;
	for (int round = 0; round < 200 && r->ok; round++) {
		struct kvmreg_state *mine = kvmreg_state_new(KVMREG_ARCH_ARM64);
		char *json = NULL;

		r->ok = mine && kvmreg_state_set_kernel(mine, release) == -EINVAL;
		r->ok = r->ok && kvmreg_state_to_json(r->shared, &json) == 0 &&
			!strcmp(json, r->want_json);
		r->ok = r->ok && kvmreg_id_name(KVMREG_ARCH_ARM64, ARM64_PC,
						KVMREG_NAME_SHORT, name,
						sizeof(name)) > 0 &&
			!kvmreg_id_parse(KVMREG_ARCH_ARM64, name, &id) &&
			id == ARM64_PC;
		/* this thread's failure, whatever the others did since */
		r->ok = r->ok && strstr(kvmreg_error(), want);
		free(json);
		kvmreg_state_free(mine);
	}
	return NULL;
}

TEST(threads_keep_their_own_message_and_share_a_state)
{
	struct kvmreg_state *s = arm64_state();
	struct reader r[4];
	pthread_t t[4];
	char *want = NULL;

	REQUIRE(s && kvmreg_state_to_json(s, &want) == 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader){ .shared = s, .want_json = want,
					.id = 10 + i };
		REQUIRE(pthread_create(&t[i], NULL, read_and_fail, &r[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT(r[i].ok, "thread %d saw another's message or answer", i);
	}
	free(want);
	kvmreg_state_free(s);
}

TEST_MAIN("contract",
	  CASE(kernel_release_the_readers_would_refuse_is_refused),
	  CASE(null_arguments_are_refused_by_name),
	  CASE(accessors_answer_null_and_invalid_as_documented),
	  CASE(unknown_enum_values_are_refused),
	  CASE(a_failed_parse_leaves_the_value),
	  CASE(successes_leave_the_last_error),
	  CASE(threads_keep_their_own_message_and_share_a_state))
