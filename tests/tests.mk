# Tests. Every test program is built with ASan + UBSan against a sanitized
# copy of the library, and prints harness lines (tests/harness.h).
# `make check` runs tests/run-check, which runs every stage below (each a
# make target of its own, so one can be rerun alone) and prints the summary.

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_DIR   := $(BUILD)/san
SAN_OBJS  := $(patsubst %.c,$(SAN_DIR)/obj/%.o,$(LIB_SRCS))
SAN_LIB   := $(SAN_DIR)/libkvmreg.a

TEST_LIB_SRCS := $(sort $(wildcard tests/lib/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
KVM_SRCS  := $(sort $(wildcard tests/kvm/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(SAN_DIR)/tests/unit/%,$(UNIT_SRCS))
KVM_TESTS  := $(patsubst tests/kvm/%.c,$(SAN_DIR)/tests/kvm/%,$(KVM_SRCS))
TEST_HDRS  := tests/harness.h $(wildcard tests/lib/*.h)

$(SAN_DIR)/obj/%.o: %.c $(LIB_HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(SAN_LIB): $(SAN_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(SAN_DIR)/tests/%: tests/%.c $(TEST_LIB_SRCS) $(TEST_HDRS) $(SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $< $(TEST_LIB_SRCS) \
		$(SAN_LIB) -lpthread

.PHONY: check check-unit check-kvm check-cli tests

tests: $(UNIT_TESTS) $(KVM_TESTS)

check:
	@tests/run-check

# Pure code: codecs, tables, formats; and no two files of src/ or tools/
# that need each other (tests/check-include-graph says what it counts).
check-unit: $(UNIT_TESTS) all
	@tests/run-programs unit $(UNIT_TESTS) tests/check-include-graph

# Real /dev/kvm on this host.
check-kvm: $(KVM_TESTS) all
	@tests/run-programs kvm $(KVM_TESTS)

# The CLI's contract, as a user meets it.
check-cli: all
	@tests/run-programs cli $(sort $(filter-out tests/cli/lib.sh,$(wildcard tests/cli/*.sh)))

-include tests/fuzz/fuzz.mk
-include tests/nested/nested.mk
-include kernel/kernel.mk
-include bench/bench.mk

# The man pages are written by hand; man/lint-pages fails when a public
# function has no page, a page documents another function, a .so link is
# broken or groff/mandoc warn.
check-unit: check-man-pages
.PHONY: check-man-pages
check-man-pages:
	@mkdir -p $(BUILD)/results; man/lint-pages > $(BUILD)/results/unit.man.out; st=$$?; \
	cat $(BUILD)/results/unit.man.out; cat $(BUILD)/results/unit.man.out >> $(BUILD)/results/unit.log; exit $$st
