/* SPDX-License-Identifier: MIT */
/*
 * The test harness every test program uses: unit tests, real-KVM tests here
 * and inside the nested QEMU guests. Each case prints one line,
 *   PASS <program>.<case>
 *   FAIL <program>.<case>: <file>:<line>: <what>
 *   SKIP <program>.<case>: <why>
 * and the program ends with "# <program>: N passed, N failed, N skipped".
 * tests/run-tests aggregates those lines into the closing summary.
 */
#ifndef KVMREG_TEST_HARNESS_H
#define KVMREG_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct h_case {
	const char *name;
	void (*fn)(void);
};

static int h_case_failed;
static const char *h_skip_why;
static char h_skip_buf[256] __attribute__((unused));

#define TEST(fn) static void fn(void)
#define CASE(fn) { #fn, fn }

static inline void h_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void h_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	h_case_failed = 1;
	printf("    %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* EXPECT records a failure and goes on; REQUIRE also leaves the case. */
#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond))						\
			h_fail_at(__FILE__, __LINE__, "expected " #cond	\
				  ": " __VA_ARGS__);			\
	} while (0)
#define REQUIRE(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			h_fail_at(__FILE__, __LINE__, "required " #cond	\
				  ": " __VA_ARGS__);			\
			return;						\
		}							\
	} while (0)
/* A call refused with err, and kvmreg_error() saying text. */
#define EXPECT_REFUSED(call, err, text)					\
	do {								\
		int h_r = (call);					\
		EXPECT(h_r == (err), "%s gave %d", #call, h_r);		\
		EXPECT(strstr(kvmreg_error(), text), "%s: %s", #call,	\
		       kvmreg_error());					\
	} while (0)
#define SKIP(...)							\
	do {								\
		snprintf(h_skip_buf, sizeof(h_skip_buf), __VA_ARGS__);	\
		h_skip_why = h_skip_buf;				\
		return;							\
	} while (0)

/*
 * For real-KVM tests: SKIP loudly where /dev/kvm is missing, but FAIL where
 * it must be there (CI=true, or KVMREG_REQUIRE_KVM=1 in the nested guests).
 */
#define NEED_KVM()							\
	do {								\
		int h_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);	\
		const char *h_ci = getenv("CI");			\
		const char *h_req = getenv("KVMREG_REQUIRE_KVM");	\
		if (h_fd >= 0) {					\
			close(h_fd);					\
			break;						\
		}							\
		if ((h_ci && !strcmp(h_ci, "true")) ||			\
		    (h_req && !strcmp(h_req, "1")))			\
			REQUIRE(h_fd >= 0, "/dev/kvm: %s",		\
				strerror(errno));			\
		SKIP("*** NO KVM *** /dev/kvm: %s", strerror(errno));	\
	} while (0)

static inline int h_run(const char *program, const struct h_case *cases,
			size_t n, int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		h_case_failed = 0;
		h_skip_why = NULL;
		cases[i].fn();
		if (h_case_failed) {
			printf("FAIL %s.%s\n", program, cases[i].name);
			failed++;
		} else if (h_skip_why) {
			printf("SKIP %s.%s: %s\n", program, cases[i].name,
			       h_skip_why);
			skipped++;
		} else {
			printf("PASS %s.%s\n", program, cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("# %s: %d passed, %d failed, %d skipped\n", program, passed,
	       failed, skipped);
	fflush(stdout);
	return failed ? 1 : 0;
}

#define TEST_MAIN(program, ...)						\
	int main(int argc, char **argv)					\
	{								\
		static const struct h_case h_cases[] = { __VA_ARGS__ };	\
		setvbuf(stdout, NULL, _IOLBF, 0);			\
		return h_run(program, h_cases,				\
			     sizeof(h_cases) / sizeof(h_cases[0]),	\
			     argc, argv);				\
	}

#endif /* KVMREG_TEST_HARNESS_H */
