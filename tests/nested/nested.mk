# The nested stage: the real-KVM tests of tests/kvm, cross-built statically
# for aarch64 and riscv64, run against real KVM inside QEMU TCG guests (arm64
# in VHE and nVHE mode, riscv64 with the H extension). tests/nested/run does
# the work; this file holds the targets it builds in each cross build.

KVMREG_CACHE ?= /var/cache/kvmreg

# Test programs without sanitizers, for cross builds (static, no libasan).
PLAIN_DIR       := $(BUILD)/plain
PLAIN_KVM_TESTS := $(patsubst tests/kvm/%.c,$(PLAIN_DIR)/tests/kvm/%,$(KVM_SRCS))
NESTED_INIT     := $(PLAIN_DIR)/init

$(PLAIN_DIR)/tests/kvm/%: tests/kvm/%.c $(TEST_LIB_SRCS) $(TEST_HDRS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(TEST_LIB_SRCS) \
		$(STATIC_LIB) -lpthread

$(NESTED_INIT): tests/nested/init.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

.PHONY: nested-guest check-nested

# What one guest's initramfs holds; run with CC=<cross gcc> LDFLAGS=-static.
nested-guest: $(PLAIN_KVM_TESTS) $(CLI) $(NESTED_INIT)

# No $(MAKE) in this recipe: make would run it even under -n, which is how
# tests/run-check asks whether the stage exists.
check-nested:
	@BUILD="$(BUILD)" KVMREG_CACHE="$(KVMREG_CACHE)" tests/nested/run
