#!/usr/bin/env bash
# Runs every test: installs and builds what is missing, runs the core tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer, then CTest.
#   scripts/test.sh            everything
#   GLYPH_SKIP_SANITIZE=1 scripts/test.sh   skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-sample
build_dir=${GLYPH_BUILD_DIR:-build}

if [ "${GLYPH_SKIP_SANITIZE:-0}" != 1 ]; then
  # The renderer, codecs, tokenizer, server and VLM client take untrusted input: run their tests
  # with ASan/UBSan (a separate build; only these programs are built there).
  sanitized=(render_test shaping_test encode_test tokenizer_test vision_tokens_test serve_test vlm_client_test)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLYPH_SANITIZE=ON \
        -DGLYPH_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)" --target "${sanitized[@]}"
  for t in "${sanitized[@]}"; do
    echo "== $t (ASan+UBSan)"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "build-asan/tests/$t" --gtest_brief=1
  done
fi

# Soak tests (label soak) assert timings under load: run them on their own.
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" -LE soak
