# kvmreg: libkvmreg (static + shared, versioned symbols), the kvmreg CLI,
# tests, examples and benchmarks. `make` builds; `make check` tests all.

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/kvmreg

# The release. Its major.minor must equal KVMREG_VERSION_MAJOR/MINOR in
# include/kvmreg.h and the newest node of src/libkvmreg.map: the library
# does not build otherwise ($(BUILD)/version.ok).
VERSION       := 0.2.0
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))

# Target architecture of this build (cross builds: CC=aarch64-linux-gnu-gcc).
TARGET_MACHINE := $(shell $(CC) -dumpmachine)
TARGET_ARCH := $(firstword $(subst -, ,$(TARGET_MACHINE)))

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(CPPFLAGS) $(WARN) $(CFLAGS) -Iinclude -Isrc -Isrc/core
LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden

# One directory per architecture (src/arch/<arch>/). Its pure code (names,
# tables, ranks) builds everywhere; its host*.c files hold the ioctls that
# only run on that architecture, and build only for it.
CORE_SRCS := $(sort $(wildcard src/core/*.c))
is_host_src = $(filter host host_%,$(basename $(notdir $(1))))
ARCH_SRCS := $(sort $(foreach f,$(wildcard src/arch/*/*.c),\
	       $(if $(call is_host_src,$(f)),,$(f))))
# The one triplet-to-directory map: the compiler says aarch64, we say arm64.
HOST_ARCH := $(patsubst aarch64,arm64,$(TARGET_ARCH))
HOST_SRCS := $(sort $(wildcard src/arch/$(HOST_ARCH)/host.c src/arch/$(HOST_ARCH)/host_*.c))
LIB_SRCS  := $(CORE_SRCS) $(ARCH_SRCS) $(HOST_SRCS)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB_HDRS  := include/kvmreg.h $(wildcard src/core/*.h src/arch/*.h src/arch/*/*.h)

CLI_SRCS  := $(sort $(wildcard tools/*.c))
CLI_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

STATIC_LIB := $(BUILD)/libkvmreg.a
SHARED_LIB := $(BUILD)/libkvmreg.so.$(VERSION)
SONAME     := libkvmreg.so.$(VERSION_MAJOR)
CLI        := $(BUILD)/kvmreg

EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLES     := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))
BENCH_SRCS   := $(sort $(wildcard bench/*.c))
BENCHES      := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all lib cli examples bench run-bench clean check install \
	install-headers install-lib install-man install-doc ids-header

all: lib cli examples

lib: $(STATIC_LIB) $(SHARED_LIB)
cli: $(CLI)
examples: $(EXAMPLES)
bench: $(BENCHES)

# Every benchmark, one after the other; each prints its own ratios.
run-bench: $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

$(BUILD)/obj/%.o: %.c $(LIB_HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

# One version in three places, or no library.
$(BUILD)/version.ok: Makefile include/kvmreg.h src/libkvmreg.map
	@mkdir -p $(dir $@)
	@hdr=$$(sed -n 's/^#define KVMREG_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/kvmreg.h).$$(sed -n 's/^#define KVMREG_VERSION_MINOR \([0-9]*\)$$/\1/p' include/kvmreg.h); \
	map=$$(sed -n 's/^KVMREG_\([0-9][0-9.]*\) {.*/\1/p' src/libkvmreg.map | tail -n 1); \
	if [ "$$hdr" != "$(VERSION_MAJOR).$(VERSION_MINOR)" ] || [ "$$map" != "$$hdr" ]; then \
		echo "version mismatch: Makefile VERSION $(VERSION), include/kvmreg.h KVMREG_VERSION_* $$hdr, newest node of src/libkvmreg.map KVMREG_$$map" >&2; exit 1; fi
	@touch $@

$(STATIC_LIB): $(LIB_OBJS) $(BUILD)/version.ok
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

$(SHARED_LIB): $(LIB_OBJS) src/libkvmreg.map $(BUILD)/version.ok
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libkvmreg.map \
		$(LDFLAGS) -o $@ $(LIB_OBJS)
	ln -sf libkvmreg.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libkvmreg.so

$(CLI): $(CLI_OBJS) $(STATIC_LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC_LIB)

$(BUILD)/examples/%: examples/%.c $(STATIC_LIB) include/kvmreg.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC_LIB) -lpthread

$(BUILD)/bench/%: bench/%.c bench/bench.h $(STATIC_LIB) include/kvmreg.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC_LIB) -lpthread

# Written at every install: PREFIX may differ from the last one.
$(BUILD)/kvmreg.pc: kvmreg.pc.in Makefile FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# DESTDIR stages the install under a root (packaging): the files go to
# $(DESTDIR)$(PREFIX)/..., kvmreg.pc still says $(PREFIX); pkg-config
# finds them there with PKG_CONFIG_SYSROOT_DIR=$(DESTDIR) (README.md).
install: install-lib install-headers install-man install-doc
install-lib: lib cli $(BUILD)/kvmreg.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR)
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libkvmreg.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libkvmreg.so
	install -m 644 $(BUILD)/kvmreg.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/
install-headers:
	install -d $(DESTDIR)$(INCDIR)
	install -m 644 include/kvmreg.h include/kvmreg_ids.h $(DESTDIR)$(INCDIR)/
# The pages cite the design notes under /usr/share/doc/kvmreg: where
# DOCDIR puts them.
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	for f in man/*.[137]; do \
		sed 's|/usr/share/doc/kvmreg|$(DOCDIR)|g' $$f > $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/} && \
		chmod 644 $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/} || exit 1; done

# The design notes the man pages cite, where they say they are.
install-doc:
	install -d $(DESTDIR)$(DOCDIR)
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

# include/kvmreg_ids.h is generated from the drivers' own ids: rerun after
# a driver adds one (tests/unit/ids_header.c fails until then).
ids-header: $(STATIC_LIB)
	@mkdir -p $(BUILD)/gen
	$(CC) $(ALL_CFLAGS) -o $(BUILD)/gen/gen-kvmreg-ids include/gen-kvmreg-ids.c $(STATIC_LIB)
	$(BUILD)/gen/gen-kvmreg-ids > include/kvmreg_ids.h.tmp
	mv include/kvmreg_ids.h.tmp include/kvmreg_ids.h

clean:
	rm -rf $(BUILD)

.PHONY: FORCE
FORCE:

include tests/tests.mk

# The Debian packages, built, linted, unpacked into a throwaway root and
# used from there (tests/package/debian.sh); a stage of make check.
.PHONY: check-package
check-package:
	@tests/run-programs package tests/package/debian.sh

$(SAN_DIR)/tests/unit/ids_header: include/kvmreg_ids.h include/gen-kvmreg-ids.c
