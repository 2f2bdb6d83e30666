# kvmreg: libkvmreg (static + shared, versioned symbols), the kvmreg CLI,
# tests, examples and benchmarks. `make` builds; `make check` tests all.

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

VERSION_MAJOR := 0
VERSION       := 0.1.0

# Target architecture of this build (cross builds: CC=aarch64-linux-gnu-gcc).
TARGET_MACHINE := $(shell $(CC) -dumpmachine)
TARGET_ARCH := $(firstword $(subst -, ,$(TARGET_MACHINE)))

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Isrc -Isrc/core
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
	install-headers install-lib install-man

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

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS) src/libkvmreg.map
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

$(BUILD)/kvmreg.pc: kvmreg.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

install: install-lib install-headers install-man
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
	install -m 644 include/kvmreg.h $(DESTDIR)$(INCDIR)/
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	for f in man/*.1; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man1/; done; true
	for f in man/*.3; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man3/; done; true

clean:
	rm -rf $(BUILD)

include tests/tests.mk
