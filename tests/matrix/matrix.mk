# The matrix stage (tests/matrix/run): states saved under one kernel and
# CPU model, restored under every other, in nested-KVM QEMU guests. This
# file holds what each cross build makes for those guests.

MATRIX_INIT := $(BUILD)/plain/matrix-init

$(MATRIX_INIT): tests/matrix/guest-init.c $(TEST_LIB_SRCS) $(TEST_HDRS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(TEST_LIB_SRCS) \
		$(STATIC_LIB) -lpthread

.PHONY: matrix-guest check-matrix

# The matrix guest's /init and the kvmreg CLI; run with CC=<cross gcc>
# LDFLAGS=-static.
matrix-guest: $(MATRIX_INIT) $(CLI)

# No $(MAKE) in the recipe, as check-nested: run-check asks with make -n.
check-matrix:
	@BUILD="$(BUILD)" KVMREG_CACHE="$(KVMREG_CACHE)" tests/matrix/run
