// SPDX-License-Identifier: MIT
/*
 * /init of a matrix guest (tests/matrix/run): a QEMU TCG machine whose
 * kernel's KVM runs the small guest program of tests/lib/guest.c.
 *
 * kvmreg_matrix=save: capture a vCPU set up as a VMM does (what compat
 * and adapt check against), run the program straight through (the
 * expected output), run it again to a checkpoint and save registers and
 * RAM there. The files go to the host over the console, base64.
 *
 * kvmreg_matrix=restore: every state under /states/<node>/ (and the
 * adapted copy the host made for this machine) goes into a VM of its own
 * here with kvmreg_restore_fresh(), which then runs the program to its
 * end: the outcome is "refused: <why>", "equal" or "differs: <how>".
 *
 * Every line for the host starts with "@@kvmreg " (tests/nested/boot).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmreg.h"
#include "lib/guest.h"

#define STEPS		16
#define CHECKPOINT	8	/* steps run before the save */
#define PAGE		4096u

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("@@kvmreg ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int failures;

static void fail(const char *what, const char *why)
{
	say("FAIL matrix.%s: %s", what, why);
	failures++;
}

static void setup_system(void)
{
	int fd;

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
}

static void load_modules(void)
{
	char name[256];
	FILE *order = fopen("/modules/order", "r");

	while (order && fgets(name, sizeof(name), order)) {
		char path[300];
		int fd;

		name[strcspn(name, "\n")] = '\0';
		snprintf(path, sizeof(path), "/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) &&
			       errno != EEXIST))
			say("# module %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (order)
		fclose(order);
}

/* The kernel's KVM lines, for the boot script's mode check. */
static void kernel_kvm_lines(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line;

	if (len <= 0 || !(buf = malloc((size_t)len + 1)))
		return;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	buf[len > 0 ? len : 0] = '\0';
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		const char *k = strstr(line, "kvm [");

		if (k)
			say("# kernel: %s", k);
	}
	free(buf);
}

static char cmdline_value(const char *key, char *out, size_t len)
{
	char cmdline[2048] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	const char *p;

	out[0] = '\0';
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	p = strstr(cmdline, key);
	if (p) {
		p += strlen(key);
		snprintf(out, len, "%.*s", (int)strcspn(p, " \n"), p);
	}
	return out[0];
}

/* ------------------------------------------------------------------ */
/* Files to the host: "FILE name size", base64 lines, "ENDFILE name"    */

static void send_file(const char *name, const uint8_t *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t pos = 0;

	say("FILE %s %zu", name, n);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		v |= i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0;
		v |= i + 2 < n ? p[i + 2] : 0;
		line[pos++] = b64[v >> 18 & 63];
		line[pos++] = b64[v >> 12 & 63];
		line[pos++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		line[pos++] = i + 2 < n ? b64[v & 63] : '=';
		if (pos >= 76 || i + 3 >= n) {
			line[pos] = '\0';
			say("B %s", line);
			pos = 0;
		}
	}
	say("ENDFILE %s", name);
}

static void send_state(const char *name, const struct kvmreg_state *s)
{
	void *buf;
	size_t len;

	if (kvmreg_state_encode(s, &buf, &len)) {
		fail(name, kvmreg_error());
		return;
	}
	send_file(name, buf, len);
	free(buf);
}

/* RAM as its non-zero pages: (u32 page number, 4096 bytes) each. */
static void send_ram(const uint8_t *ram)
{
	uint8_t *out = malloc(GUEST_RAM_SIZE + GUEST_RAM_SIZE / PAGE * 4);
	size_t n = 0;
	static const uint8_t zero[PAGE];

	if (!out) {
		fail("ram", "out of memory");
		return;
	}
	for (uint32_t pg = 0; pg < GUEST_RAM_SIZE / PAGE; pg++) {
		if (!memcmp(ram + (size_t)pg * PAGE, zero, PAGE))
			continue;
		memcpy(out + n, &pg, 4);
		memcpy(out + n + 4, ram + (size_t)pg * PAGE, PAGE);
		n += 4 + PAGE;
	}
	send_file("ram.bin", out, n);
	free(out);
}

static int load_ram(const char *path, uint8_t *ram)
{
	FILE *f = fopen(path, "rb");
	uint32_t pg;

	if (!f)
		return -errno;
	memset(ram, 0, GUEST_RAM_SIZE);
	while (fread(&pg, 4, 1, f) == 1) {
		if (pg >= GUEST_RAM_SIZE / PAGE ||
		    fread(ram + (size_t)pg * PAGE, PAGE, 1, f) != 1) {
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The program                                                         */

struct trace {
	uint64_t value[STEPS + 1];	/* each step's value, then the result */
	size_t n;
	int done;
};

/* Run until done or `steps` more step writes; 0 or -errno with why. */
static int run(struct guest_vm *vm, struct trace *t, size_t steps, char *why,
	       size_t len)
{
	struct guest_mmio mmio;

	while (!t->done && steps--) {
		int err = guest_run(vm, &mmio, why, len);

		if (err)
			return err;
		if (t->n > STEPS) {
			snprintf(why, len, "more than %d writes", STEPS + 1);
			return -EIO;
		}
		t->value[t->n++] = mmio.data;
		if (mmio.addr == GUEST_MMIO_DONE)
			t->done = 1;
		else if (mmio.addr != GUEST_MMIO_STEP) {
			snprintf(why, len, "MMIO write to 0x%" PRIx64, mmio.addr);
			return -EIO;
		}
	}
	return 0;
}

/* The flags of a VMM that gives the guest what this host has (SVE). */
static unsigned int vm_flags(void)
{
#if defined(__aarch64__)
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int sve = fd >= 0 && ioctl(fd, 0xae03 /* KVM_CHECK_EXTENSION */,
				   170 /* KVM_CAP_ARM_SVE */) > 0;

	if (fd >= 0)
		close(fd);
	return sve ? GUEST_ARM64_SVE : 0;
#else
	return 0;
#endif
}

static int start(struct guest_vm *vm, unsigned int flags, const char *what)
{
	const char *step = "";
	int err = guest_vm_create(vm, flags, &step);

	if (err) {
		char why[256];

		snprintf(why, sizeof(why), "creating the VM: %s: %s", step,
			 strerror(-err));
		fail(what, why);
	}
	return err;
}

static void save_mode(unsigned int flags)
{
	struct guest_vm vm;
	struct kvmreg_state *cap = NULL;
	struct guest_snapshot snap;
	struct trace full = { .n = 0 }, part = { .n = 0 };
	char why[256] = "", text[64 * (STEPS + 2)];
	size_t pos = 0;

	if (start(&vm, flags, "capture"))
		return;
	if (kvmreg_capture(vm.vcpu, &cap))
		fail("capture", kvmreg_error());
	else
		send_state("capture.kvmreg", cap);
	kvmreg_state_free(cap);
	guest_vm_destroy(&vm);

	if (start(&vm, flags, "straight_run"))
		return;
	if (guest_load_program(&vm, STEPS) ||
	    run(&vm, &full, STEPS + 1, why, sizeof(why)) || !full.done) {
		fail("straight_run", why[0] ? why : "the program did not finish");
		guest_vm_destroy(&vm);
		return;
	}
	guest_vm_destroy(&vm);
	/* What a restore at the checkpoint must print from there on. */
	for (size_t i = CHECKPOINT; i < full.n; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
					"%016" PRIx64 "\n", full.value[i]);
	send_file("expect", (const uint8_t *)text, pos);

	if (start(&vm, flags, "checkpoint"))
		return;
	if (guest_load_program(&vm, STEPS) ||
	    run(&vm, &part, CHECKPOINT, why, sizeof(why)) ||
	    guest_snapshot_take(&vm, &snap, why, sizeof(why))) {
		fail("checkpoint", why);
		guest_vm_destroy(&vm);
		return;
	}
	send_state("state.kvmreg", snap.regs);
	send_ram(snap.ram);
	say("PASS matrix.save: %zu registers at step %d of %d",
	    kvmreg_state_count(snap.regs), CHECKPOINT, STEPS);
	guest_snapshot_free(&snap);
	guest_vm_destroy(&vm);
}

/* One state into a fresh VM here, run to the end, compared. */
static void restore_one(const char *node, const char *dir, const char *file,
			unsigned int flags)
{
	char path[512], why[256] = "", got[64 * (STEPS + 2)], want[64 * (STEPS + 2)];
	struct kvmreg_state *state = NULL;
	struct trace t = { .n = 0 };
	struct guest_vm vm;
	size_t pos = 0, wn;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (access(path, F_OK))
		return;		/* no adapted copy: adapt refused */
	if (kvmreg_state_load_file(path, &state)) {
		say("RESULT %s %s error %s", node, file, kvmreg_error());
		return;
	}
	if (start(&vm, flags, "restore_vm")) {
		kvmreg_state_free(state);
		return;
	}
	snprintf(path, sizeof(path), "%s/ram.bin", dir);
	if (load_ram(path, vm.ram)) {
		say("RESULT %s %s error cannot read %s", node, file, path);
		goto out;
	}
	if (kvmreg_restore_fresh(vm.vcpu, state)) {
		say("RESULT %s %s refused %s", node, file, kvmreg_error());
		goto out;
	}
	if (run(&vm, &t, STEPS + 1, why, sizeof(why)) || !t.done) {
		say("RESULT %s %s differs the program did not finish: %s",
		    node, file, why[0] ? why : "no result");
		goto out;
	}
	for (size_t i = 0; i < t.n; i++)
		pos += (size_t)snprintf(got + pos, sizeof(got) - pos,
					"%016" PRIx64 "\n", t.value[i]);
	snprintf(path, sizeof(path), "%s/expect", dir);
	f = fopen(path, "r");
	wn = f ? fread(want, 1, sizeof(want) - 1, f) : 0;
	if (f)
		fclose(f);
	want[wn] = '\0';
	if (!strcmp(want, got))
		say("RESULT %s %s equal", node, file);
	else
		say("RESULT %s %s differs its %zu values after the checkpoint are not the straight run's",
		    node, file, t.n);
out:
	guest_vm_destroy(&vm);
	kvmreg_state_free(state);
}

static int is_dir(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void restore_mode(unsigned int flags)
{
	struct dirent **list = NULL;
	int n = scandir("/states", &list, is_dir, alphasort);

	if (n <= 0) {
		fail("restore", "no states under /states");
		return;
	}
	for (int i = 0; i < n; i++) {
		char dir[300];

		snprintf(dir, sizeof(dir), "/states/%s", list[i]->d_name);
		restore_one(list[i]->d_name, dir, "state.kvmreg", flags);
		restore_one(list[i]->d_name, dir, "adapted.kvmreg", flags);
		free(list[i]);
	}
	free(list);
	say("PASS matrix.restore: %d states", n);
}

int main(void)
{
	char mode[32], name[64];
	unsigned int flags;

	setup_system();
	load_modules();
	cmdline_value("kvmreg_boot=", name, sizeof(name));
	cmdline_value("kvmreg_matrix=", mode, sizeof(mode));
	say("BEGIN boot=%s mode=%s", name, mode);
	kernel_kvm_lines();
	if (access("/dev/kvm", R_OK | W_OK)) {
		fail("dev_kvm", strerror(errno));
	} else {
		flags = vm_flags();
		say("# vm flags 0x%x", flags);
		if (!strcmp(mode, "save"))
			save_mode(flags);
		else if (!strcmp(mode, "restore"))
			restore_mode(flags);
		else
			fail("mode", "kvmreg_matrix= is neither save nor restore");
	}
	say("END boot=%s programs=1 passed=%d failed=%d skipped=0 ", name,
	    failures ? 0 : 1, failures);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
