# Benchmarks (bench/*.c build through the rule in the Makefile).

# bench/firecracker counts every ioctl of its process, the library's too.
$(BUILD)/bench/firecracker: LDFLAGS += -Wl,--wrap=ioctl
