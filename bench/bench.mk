# Benchmarks (bench/*.c build through the rule in the Makefile).

# bench/firecracker counts every ioctl of its process, the library's too.
$(BUILD)/bench/firecracker: LDFLAGS += -Wl,--wrap=ioctl

# `make bench` builds every benchmark and prints the comparison with
# Firecracker's sequence: wall clock, then callgrind instruction counts
# (steady on a shared machine). `make run-bench` runs all of them.
bench:
	$(BUILD)/bench/firecracker
	bench/callgrind-firecracker $(BUILD)/bench/firecracker
