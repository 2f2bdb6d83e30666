# The kernel stage of `make check`: the LoongArch KVM_GET_REG_LIST series in
# kernel/patches/ applies to Linux 7.2, passes checkpatch --strict, builds
# with W=1, its selftest cross-builds, and the selftest's blessed lists are
# libkvmreg's LoongArch table (kernel/scripts/check-kernel says how). Needs
# root and the network to Debian's mirror on a cold cache
# ($KVMREG_CACHE, default /var/cache/kvmreg).

.PHONY: check-kernel check-kunit

check-kernel: $(STATIC_LIB)
	@mkdir -p $(BUILD)/results
	@kernel/scripts/check-kernel $(BUILD)/results/kernel.log $(STATIC_LIB)

# The series' KUnit suite, built into a LoongArch kernel and run under QEMU;
# the lists it prints are compared with the selftest's blessed lists and
# libkvmreg's table (kernel/scripts/check-kunit).
check-kunit: $(STATIC_LIB)
	@mkdir -p $(BUILD)/results
	@kernel/scripts/check-kunit $(BUILD)/results/kunit.log $(STATIC_LIB)
