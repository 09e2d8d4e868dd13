#!/usr/bin/env bash
# Runs every test: installs and builds what is missing, runs the core tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer, then CTest.
#   scripts/test.sh            everything
#   GLYPH_SKIP_SANITIZE=1 scripts/test.sh   skip the sanitizer pass
#   GLYPH_SKIP_FUZZ=1 scripts/test.sh       skip the fuzz step
#   GLYPH_FUZZ_SECONDS=N scripts/test.sh    seconds per fuzz target (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-sample
build_dir=${GLYPH_BUILD_DIR:-build}

if [ "${GLYPH_SKIP_SANITIZE:-0}" != 1 ]; then
  # The renderer, codecs, tokenizer, eval readers, server and VLM client take untrusted input:
  # run their tests with ASan/UBSan (a separate build; only these programs are built there).
  sanitized=(render_test shaping_test encode_test tokenizer_test tokenizer_cache_test vision_tokens_test eval_score_test serve_test serve_proxy_test
             vlm_client_test)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLYPH_SANITIZE=ON \
        -DGLYPH_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)" --target "${sanitized[@]}"
  for t in "${sanitized[@]}"; do
    echo "== $t (ASan+UBSan)"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "build-asan/tests/$t" --gtest_brief=1
  done
fi

if [ "${GLYPH_SKIP_FUZZ:-0}" != 1 ]; then
  # The parsers and the layout under libFuzzer with ASan/UBSan (fuzz/, clang):
  # 6 targets x 20 s = 120 s of fuzzing after the instrumented build. Each
  # starts from its in-tree corpus (fuzz/corpus/NAME); new inputs go to
  # build-fuzz/corpus/NAME. A crash fails the run and leaves the input in
  # build-fuzz/crash-TARGET-*: add it to the target's test as a regression case.
  fuzz_targets=(config policy sse tokenizer batch layout)
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DGLYPH_FUZZ=ON -DGLYPH_BUILD_TESTS=OFF -DGLYPH_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target "${fuzz_targets[@]/#/fuzz_}"
  for t in "${fuzz_targets[@]}"; do
    echo "== fuzz_$t (libFuzzer, ${GLYPH_FUZZ_SECONDS:-20} s)"
    mkdir -p "build-fuzz/corpus/$t"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "build-fuzz/fuzz/fuzz_$t" \
      -max_total_time="${GLYPH_FUZZ_SECONDS:-20}" -timeout=30 -rss_limit_mb=4096 -max_len=4096 \
      -artifact_prefix="build-fuzz/crash-$t-" "build-fuzz/corpus/$t" "fuzz/corpus/$t"
  done
fi

# Soak tests (label soak) assert timings under load: run them on their own.
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" -LE soak
