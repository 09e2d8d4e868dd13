#!/usr/bin/env bash
# The install test: installs the build tree into a fresh prefix, builds
# tests/consumer against it twice (find_package(glyph), then pkg-config
# glyph-core), runs both, checks that the render-only program links no
# network, OCR or SQLite library, and that the installed CLI and the data
# lookup find the installed data files.
#   tests/consumer/run.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "consumer test: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install failed"; }
# The lookup must find the installed files, not the source tree's.
unset GLYPH_DATA_DIR GLYPH_TOKENIZER
# A shared-library build (BUILD_SHARED_LIBS=ON): the pkg-config program has no RPATH.
lib_dir=$(dirname "$(find "$prefix" -name 'libglyph_core.*' | head -n 1)")
export LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

check_program() {  # NAME BINARY
    local out
    out=$("$2") || fail "$1: the program failed"
    echo "$1: $out"
    [[ $out =~ ^glyph\ [0-9]+\.[0-9]+\.[0-9]+:\ [1-9][0-9]*\ page\(s\),\ page\ 1\ is\ [1-9][0-9]*x[1-9][0-9]*,\ [1-9][0-9]*\ PNG\ bytes$ ]] ||
        fail "$1: unexpected output"
    # Every library the program loads, those of a shared libglyph_core.so included.
    local loaded
    loaded=$(ldd "$2" | awk '{print $1}')
    grep -q '^libharfbuzz' <<<"$loaded" || fail "$1: ldd shows no HarfBuzz: $loaded"
    if grep -E 'curl|tesseract|lept|sqlite|zip|httplib|glyph_(tokens|vlm|ocr|eval|serve)' <<<"$loaded"; then
        fail "$1: a render-only program loads the libraries above"
    fi
}

# 1. CMake: find_package(glyph), target glyph::core.
cmake -S "$here" -B "$work/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "configuring the find_package consumer failed"; }
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "building the find_package consumer failed"; }
check_program find_package "$work/cmake/render_page"

# 2. pkg-config glyph-core, nothing else on the compile line.
pc_dir=$lib_dir/pkgconfig
[ -f "$pc_dir/glyph.pc" ] || fail "glyph.pc is not installed beside glyph-core.pc"
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs glyph-core) || fail "pkg-config glyph-core failed"
c++ -O1 -o "$work/pkg_config_render_page" "$here/render_page.cpp" $flags || fail "building with pkg-config failed: $flags"
check_program pkg-config "$work/pkg_config_render_page"
PKG_CONFIG_PATH=$pc_dir pkg-config --exists glyph || fail "pkg-config glyph (every stage) does not resolve"

# 3. The data lookup: GLYPH_DATA_DIR first; the installed CLI finds share/glyph beside it.
data=$prefix/share/glyph
[ -f "$data/samples/novel_excerpt.txt" ] || fail "samples/novel_excerpt.txt is not installed in $data"
found=$(GLYPH_DATA_DIR=$data "$work/cmake/render_page" samples/novel_excerpt.txt | sed -n 's/^data file [^:]*: //p')
[ "$found" = "$data/samples/novel_excerpt.txt" ] || fail "GLYPH_DATA_DIR=$data: find_data_file gave '$found'"
if [ -f "$data/models/tokenizer.json" ]; then
    json=$(echo "glyph as a library" | "$prefix/bin/glyph" tokenize - --json) || fail "the installed glyph tokenize failed"
    tokenizer=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["tokenizer"])' <<<"$json")
    [[ $tokenizer == "$data/models/tokenizer.json" || $tokenizer == */share/glyph/models/tokenizer.json ]] ||
        fail "the installed glyph read the tokenizer from $tokenizer, not from share/glyph"
    echo "installed glyph tokenize: $tokenizer"
else
    echo "models/tokenizer.json was not installed (run scripts/setup.sh): installed CLI check skipped"
fi
echo "consumer test: ok"
