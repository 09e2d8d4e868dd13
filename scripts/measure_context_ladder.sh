#!/bin/bash
# Measures the OCR legibility (character error rate, glyph ocr, 2 pages
# sampled) of each rung of the proxy's context ladder, for en and zh; the
# results are the data in src/accounting/context_budget.cpp. Takes a few
# minutes on two cores.
#   scripts/measure_context_ladder.sh [build/glyph]
set -euo pipefail
cd "$(dirname "$0")/.."
glyph=${1:-build/glyph}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 40000 samples/novel_excerpt.txt > "$work/en.txt"
for _ in $(seq 10); do cat tests/data/zh_prose.txt; echo; done > "$work/zh.txt"
marker='newline-markup=<font color="#FF0000"> \n </font>'
run() {
    local rung="$1" lang="$2"; shift 2
    "$glyph" ocr "$work/$lang.txt" --preset "$lang" --sample 2 --threads 2 --json "$@" 2>/dev/null |
        python3 -c "import json,sys; j=json.load(sys.stdin); print('%-26s %s  CER %.4f  pages %d' % ('$rung', '$lang', j['cer'], j['page_count']))" || true
}
for lang in en zh; do
    run "preset" "$lang"
    run "8 pt font" "$lang" --set font-size=8 --set line-height=9
    run "newline marker" "$lang" --set "$marker"
    run "60 dpi" "$lang" --dpi 60
    run "60 dpi + newline marker" "$lang" --dpi 60 --set "$marker"
done
