// SPDX-License-Identifier: MIT
/*
 * /init of the nested-KVM guests: the whole userspace of an arm64 or riscv64
 * QEMU guest whose kernel offers real KVM. It mounts what the tests need,
 * loads the KVM modules where KVM is not built in, runs every test program
 * in /tests and a set of kvmreg commands against the guest's /dev/kvm,
 * checks the kernel log for warnings and powers off.
 *
 * The host reads the serial console, so every line meant for it starts with
 * MARK: kernel messages can land on the same console and are ignored. The
 * last line is the summary the host requires; a boot that never prints it
 * (panic, hang, crash of /init) fails on the host.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "@@kvmreg "
#define TESTS_DIR "/tests"
#define MODULES_LIST "/modules/order"
#define CLI_PATH "/bin/kvmreg"
/* A test program that runs longer is killed and counted as failed, well
 * before the host gives up on the whole boot (tests/nested/boot). */
#define PROGRAM_TIMEOUT_S 120

static int passed, failed, skipped, programs;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* One write per line keeps it whole against other console writers. */
	dprintf(STDOUT_FILENO, MARK "%.*s\n", n, line);
}

static void count_line(const char *line)
{
	if (!strncmp(line, "PASS ", 5))
		passed++;
	else if (!strncmp(line, "FAIL ", 5))
		failed++;
	else if (!strncmp(line, "SKIP ", 5))
		skipped++;
}

/* A harness line of the guest's own checks (group "init" or "cli"),
 * counted like the programs'. */
static void result(const char *group, int ok, const char *name,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void result(const char *group, int ok, const char *name,
		   const char *fmt, ...)
{
	char why[512] = "";
	char line[700];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	snprintf(line, sizeof(line), "%s %s.%s%s%s", ok ? "PASS" : "FAIL",
		 group, name, why[0] ? ": " : "", why);
	count_line(line);
	say("%s", line);
}

static void mount_or_say(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		say("mount %s on %s: %s", type, dir, strerror(errno));
}

/* The archive has no /dev/console, so the kernel gave us no stdio. */
static void console_stdio(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static int load_modules(void)
{
	char name[256];
	FILE *order = fopen(MODULES_LIST, "r");
	int ok = 1;

	if (!order)
		return 1;	/* nothing to load: KVM is built in */
	while (fgets(name, sizeof(name), order)) {
		char path[300];
		int fd;

		name[strcspn(name, "\n")] = '\0';
		if (!name[0])
			continue;
		snprintf(path, sizeof(path), "/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			if (errno != EEXIST) {
				result("init", 0, "load_modules", "%s: %s", path,
				       strerror(errno));
				ok = 0;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(order);
	if (ok)
		result("init", 1, "load_modules", NULL);
	return ok;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Relay one program's output line by line, counting its harness lines. */
static void run_program(const char *name)
{
	char path[300], buf[4096], summary[300];
	size_t have = 0;
	int pipefd[2], status = 0, saw_summary = 0, timed_out = 0;
	double start = now_s();
	pid_t pid;

	snprintf(path, sizeof(path), TESTS_DIR "/%s", name);
	snprintf(summary, sizeof(summary), "# %s: ", name);
	if (pipe2(pipefd, O_CLOEXEC)) {
		result("init", 0, name, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		result("init", 0, name, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execl(path, path, (char *)NULL);
		dprintf(STDOUT_FILENO, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	programs++;
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		double left = PROGRAM_TIMEOUT_S - (now_s() - start);
		ssize_t n;
		char *nl;

		if (left <= 0) {
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = read(pipefd[0], buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) || have == sizeof(buf) - 1) {
			size_t len = nl ? (size_t)(nl - buf) : have;

			buf[len] = '\0';
			say("%s", buf);
			count_line(buf);
			if (!strncmp(buf, summary, strlen(summary)))
				saw_summary = 1;
			len += nl ? 1 : 0;
			memmove(buf, buf + len, have - len + 1);
			have -= len;
		}
	}
	if (have) {
		say("%s", buf);
		count_line(buf);
	}
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	if (timed_out)
		result("init", 0, name, "killed after %d s", PROGRAM_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		result("init", 0, name, "killed by signal %d (%s)",
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!saw_summary)
		result("init", 0, name, "exited %d before its summary line",
		       WEXITSTATUS(status));
	say("# %s took %.1f s", name, now_s() - start);
}

/*
 * The CLI as a user runs it, on the guest's KVM: each check is a command
 * line, the exit status it must have and the fewest lines it must print.
 * Failures show the command's last output lines.
 */
struct cli_check {
	const char *name;
	const char *argv[6];
	int exit_status;
	int min_lines;
};

static const struct cli_check cli_checks[] = {
	{ "list", { "list" }, 0, 100 },
	{ "list_fallback", { "list", "--fallback" }, 0, 50 },
#ifdef __aarch64__
	{ "list_sve", { "list", "--sve" }, 0, 100 },
	{ "save_sve", { "save", "--sve", "/tmp/sve.kvmreg" }, 0, 0 },
	{ "compat_sve_state_on_plain_vcpu",
	  { "compat", "/tmp/sve.kvmreg" }, 3, 1 },
#endif
	{ "save", { "save", "/tmp/a.kvmreg" }, 0, 0 },
	{ "save_again", { "save", "/tmp/b.kvmreg" }, 0, 0 },
	{ "show", { "show", "/tmp/a.kvmreg" }, 0, 100 },
	{ "diff_ignore_volatile",
	  { "diff", "--ignore-volatile", "/tmp/a.kvmreg", "/tmp/b.kvmreg" },
	  0, 0 },
	{ "capture", { "capture", "/tmp/host.capture" }, 0, 0 },
	{ "compat", { "compat", "/tmp/a.kvmreg", "/tmp/host.capture" }, 0, 0 },
	{ "order", { "order" }, 0, 100 },
	/* list grouped and filtered, get and set, on this arch's names */
	{ "list_group_core", { "list", "--group", "core" }, 0, 30 },
	{ "list_glob", { "list", "core.*" }, 0, 30 },
	{ "get_pc", { "get", "core.pc" }, 0, 1 },
	{ "set_pc", { "set", "core.pc=0x1000" }, 0, 1 },
#ifdef __aarch64__
	{ "list_general_registers_first",
	  { "list", "--no-values", "MPIDR_EL1", "core.pc" }, 0, 5 },
#else
	{ "list_general_registers_first",
	  { "list", "--no-values", "csr.sstatus", "core.pc" }, 0, 5 },
#endif
};

/* What some checks' output (its last 1 KiB) must hold, in this order. */
static const struct {
	const char *check;
	const char *want[3];
} cli_wants[] = {
	{ "set_pc", { "core.pc = 0x0000000000001000 (was " } },
#ifdef __aarch64__
	{ "list_general_registers_first",
	  { "\ncore: 1 register\n", "\nsysreg: 1 register\n" } },
#else
	{ "list_general_registers_first",
	  { "\ncore: 1 register\n", "\ncsr: 1 register\n" } },
#endif
};

/* Whether out holds what cli_wants asks of the check, in order. */
static int holds_in_order(const char *out, const char *check)
{
	const char *const *want = NULL;

	for (size_t i = 0; i < sizeof(cli_wants) / sizeof(cli_wants[0]); i++)
		if (!strcmp(cli_wants[i].check, check))
			want = cli_wants[i].want;
	for (size_t i = 0; want && i < 3 && want[i]; i++) {
		out = strstr(out, want[i]);
		if (!out)
			return 0;
		out += strlen(want[i]);
	}
	return 1;
}

static void run_cli_check(const struct cli_check *c)
{
	const char *argv[8] = { CLI_PATH };
	char buf[4096], tail[1024] = "";
	int pipefd[2], status = 0, lines = 0, wanted;
	size_t tail_len = 0;
	pid_t pid;
	ssize_t n;

	for (size_t i = 0; i < 6 && c->argv[i]; i++)
		argv[i + 1] = c->argv[i];
	if (pipe2(pipefd, O_CLOEXEC)) {
		result("cli", 0, c->name, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(CLI_PATH, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			lines += buf[i] == '\n';
			/* Keep the last bytes for a failure's report. */
			if (tail_len == sizeof(tail) - 1) {
				memmove(tail, tail + 1, tail_len - 1);
				tail_len--;
			}
			tail[tail_len++] = buf[i];
		}
	}
	tail[tail_len] = '\0';
	wanted = holds_in_order(tail, c->name);
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		result("cli", 0, c->name, "could not run " CLI_PATH);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == c->exit_status &&
	    lines >= c->min_lines && wanted) {
		result("cli", 1, c->name, "%d lines", lines);
		return;
	}
	for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n"))
		say("    | %s", line);
	result("cli", 0, c->name,
	       "kvmreg %s ...: %s %d (want %d), %d lines (want >= %d)%s",
	       c->argv[0], WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	       c->exit_status, lines, c->min_lines,
	       wanted ? "" : ", not the lines wanted");
}

static void run_cli_checks(void)
{
	if (access(CLI_PATH, X_OK))
		return;
	for (size_t i = 0; i < sizeof(cli_checks) / sizeof(cli_checks[0]); i++)
		run_cli_check(&cli_checks[i]);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_program(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* A kernel that warned while the tests ran has a bug, or we tripped one. */
static void check_kernel_log(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log, *line, *save = NULL;
	int n, bad = 0;

	if (size <= 0)
		size = 1 << 20;
	log = malloc(size + 1);
	if (!log)
		return;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, size);
	if (n < 0) {
		result("init", 0, "kernel_log_clean", "klogctl: %s",
		       strerror(errno));
		free(log);
		return;
	}
	log[n] = '\0';
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Which KVM we got (VHE, nVHE, ...): for the host to check. */
		if (strstr(line, "kvm ["))
			say("# kernel: %s", line);
		if (strstr(line, "WARNING:") || strstr(line, "BUG:") ||
		    strstr(line, "Oops")) {
			say("kernel: %s", line);
			bad++;
		}
	}
	free(log);
	if (bad)
		result("init", 0, "kernel_log_clean",
		       "%d warning line(s) above", bad);
	else
		result("init", 1, "kernel_log_clean", NULL);
}

static void boot_name(char *out, size_t len)
{
	char cmdline[2048] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	const char *p;

	snprintf(out, len, "unnamed");
	if (!f)
		return;
	if (!fgets(cmdline, sizeof(cmdline), f))
		cmdline[0] = '\0';
	fclose(f);
	p = strstr(cmdline, "kvmreg_boot=");
	if (p) {
		p += strlen("kvmreg_boot=");
		snprintf(out, len, "%.*s", (int)strcspn(p, " \n"), p);
	}
}

int main(void)
{
	struct dirent **list = NULL;
	char name[64];
	double start;
	int n;

	mount_or_say("proc", "/proc", "proc");
	mount_or_say("sysfs", "/sys", "sysfs");
	mount_or_say("devtmpfs", "/dev", "devtmpfs");
	console_stdio();
	mount_or_say("tmpfs", "/tmp", "tmpfs");
	/* These guests must have KVM: NEED_KVM() fails instead of skipping. */
	setenv("KVMREG_REQUIRE_KVM", "1", 1);
	setenv("PATH", "/bin", 1);
	setenv("TMPDIR", "/tmp", 1);
	start = now_s();
	boot_name(name, sizeof(name));
	say("BEGIN boot=%s", name);

	if (load_modules()) {
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			result("init", 0, "dev_kvm", "/dev/kvm: %s",
			       strerror(errno));
		else
			result("init", 1, "dev_kvm", NULL);
		if (fd >= 0)
			close(fd);
	}

	n = scandir(TESTS_DIR, &list, is_program, by_name);
	if (n <= 0)
		result("init", 0, "programs", "no test programs in " TESTS_DIR);
	for (int i = 0; i < n; i++) {
		run_program(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	run_cli_checks();
	check_kernel_log();

	say("END boot=%s programs=%d passed=%d failed=%d skipped=%d "
	    "seconds=%.1f", name, programs, passed, failed, skipped,
	    now_s() - start);
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached if power-off failed: the host times out loudly. */
	for (;;)
		pause();
}
