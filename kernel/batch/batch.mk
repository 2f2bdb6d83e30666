# The batch ONE_REG series (kernel/batch/): stage "batch" of `make check`.
# kernel/batch/scripts/check-batch says what it checks; the kernels it
# builds are the ones the nested stage boots as arm64-batch and
# riscv64-batch. Needs root on a cold cache (host packages, the sid
# chroot's linux-source-7.2).

.PHONY: check-batch

check-batch:
	@mkdir -p $(BUILD)/results
	@kernel/batch/scripts/check-batch $(BUILD)/results/batch.log
