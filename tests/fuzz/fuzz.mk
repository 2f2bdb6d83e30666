# Fuzzing: libFuzzer targets for the snapshot reader, the JSON reader,
# the name codecs of every architecture and the writer/reader properties of
# states built through the public calls (property), built with clang under
# ASan and UBSan straight from the library sources (not the gcc objects).
# `make check-fuzz` runs each for FUZZ_SECONDS on the committed corpus
# (tests/fuzz/corpus/<target>/, seeded by `make fuzz-corpus`, grown and
# minimised by `make fuzz-long`).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 25
FUZZ_TARGETS := snapshot json id_parse property
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -Iinclude -Isrc -Isrc/core
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

# Objects made by a pattern rule only are intermediate to make: keep them.
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c $(LIB_HDRS) Makefile tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS)

.PHONY: check-fuzz fuzz fuzz-corpus

fuzz: $(FUZZ_BINS)

check-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run-fuzz $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Regenerate the committed seeds after a format or driver table change.
$(BUILD)/fuzz/make_corpus: tests/fuzz/make_corpus.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STATIC_LIB)

fuzz-corpus: $(BUILD)/fuzz/make_corpus
	rm -rf tests/fuzz/corpus
	$(BUILD)/fuzz/make_corpus tests/fuzz/corpus

# The long campaign: FUZZ_MINUTES per target (FUZZ_LONG_TARGETS, one after
# the other), then the corpus merged back into
# tests/fuzz/corpus/<target>/ minimised (-merge=1). Executions and findings
# per target go to $(BUILD)/results/fuzz-long.log.
FUZZ_MINUTES      ?= 10
FUZZ_LONG_TARGETS ?= snapshot json property
.PHONY: fuzz-long
fuzz-long: $(FUZZ_BINS)
	@tests/fuzz/run-fuzz-long $(FUZZ_DIR) $(FUZZ_MINUTES) $(FUZZ_LONG_TARGETS)
