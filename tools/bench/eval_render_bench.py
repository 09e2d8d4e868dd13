#!/usr/bin/python3
"""Evaluation-renderer benchmark: long items rendered as Glyph's evaluation
scripts render a context (the whole text one paragraph, tabs as 4 no-break
spaces: config keys paragraph-lines 0, tab-spaces 4), English and Chinese,
printed as markdown for docs/benchmarks.md (## Evaluation renderer).

  eval_render_bench.py --build BUILD_DIR [--tokens 128000] [--reference-chars 200000]
                       [--seed 1] [--work DIR] [--no-reference]

Two tables. Side by side on the same item of --reference-chars characters:
the reference pipeline (tools/parity/reference_pipeline.py; reportlab
re-wraps the rest of a one-paragraph text on every page, so its time grows
with the square of the length) and `glyph render`. Then glyph alone on items
of --tokens Qwen3 tokens (counted with `glyph tokenize`). Wall and CPU seconds
come from /usr/bin/time; layout ms from glyph's manifest.json; the
reference's typeset (reportlab) seconds from its own report.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import corpus  # noqa: E402
import parity  # noqa: E402
from render_bench import timed  # noqa: E402

LANGUAGES = {"en": "prose", "zh": "chinese"}  # corpus kind per language
VARIANT = "eval-72-left"


def token_count(glyph, path):
    proc = subprocess.run([glyph, "tokenize", path, "--json"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["tokens"]


def item_of_chars(work, kind, chars, seed):
    path = os.path.join(work, f"{kind}_{chars}_{seed}.txt")
    if not os.path.exists(path):
        corpus.write_atomic(path, corpus.make_text(kind, chars, seed))
    return path


def item_of_tokens(glyph, work, kind, tokens, seed):
    """A generated text of about `tokens` tokens (within 1%), and its exact count."""
    chars = tokens * 4 if kind == "prose" else tokens
    for _ in range(6):
        path = item_of_chars(work, kind, chars, seed)
        count = token_count(glyph, path)
        if abs(count - tokens) <= tokens // 100:
            return path, count
        chars = int(chars * tokens / count)
    return path, count


def glyph_run(glyph, text, cfg, out, log):
    subprocess.run(["rm", "-rf", out], check=True)
    seconds, cpu, rss, _ = timed([glyph, "render", text, "--config", cfg, "--out", out, "--threads", "1",
                                  "--no-count"], log)
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as fh:
        layout_ms = json.load(fh).get("timings_ms", {}).get("layout", 0)
    return {"seconds": seconds, "cpu": cpu, "rss_mib": rss, "pages": len(parity.page_files(out)),
            "layout_ms": layout_ms}


def reference_run(text, cfg, out, log):
    subprocess.run(["rm", "-rf", out], check=True)
    seconds, cpu, rss, stdout = timed(["/usr/bin/python3", parity.DEFAULT_REFERENCE, "--config", cfg,
                                       "--input", text, "--out", out], log)
    report = json.loads(stdout.strip().splitlines()[-1])
    return {"seconds": seconds, "cpu": cpu, "rss_mib": rss, "pages": report["pages"],
            "typeset_s": report["typeset_s"]}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="build folder holding glyph")
    ap.add_argument("--tokens", type=int, default=128_000, help="size of glyph's long items, in Qwen3 tokens")
    ap.add_argument("--reference-chars", type=int, default=200_000,
                    help="size of the item timed with both renderers, in characters")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--work", default=os.path.join(parity.REPO, "build-bench", "eval"))
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args(argv)

    glyph = os.path.abspath(os.path.join(args.build, "glyph"))
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    configs = {}
    for lang, kind in LANGUAGES.items():
        configs[lang] = os.path.join(work, f"{lang}.json")
        parity.write_json(configs[lang], parity.config_for(kind, VARIANT))

    print(f"Config: parity variant `{VARIANT}` (Glyph's en/zh config, 72 dpi, paragraph-lines 0, "
          f"tab-spaces 4); glyph with `--threads 1 --no-count`; {os.cpu_count()} cores.\n")
    if not args.no_reference:
        print(f"Same item, both renderers ({args.reference_chars:,} characters of "
              f"`corpus.py text KIND --seed {args.seed}`):\n")
        print("| item | renderer | wall s | CPU s | typeset / layout s | pages | peak RSS MiB "
              "| speed-up (wall) | (CPU) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for lang, kind in LANGUAGES.items():
            text = item_of_chars(work, kind, args.reference_chars, args.seed)
            ref = reference_run(text, configs[lang], os.path.join(work, f"ref_{lang}"),
                                os.path.join(work, f"ref_{lang}.log"))
            ours = glyph_run(glyph, text, configs[lang], os.path.join(work, f"glyph_{lang}_same"),
                             os.path.join(work, f"glyph_{lang}_same.log"))
            if ours["pages"] != ref["pages"]:
                raise SystemExit(f"eval_render_bench: {lang}: {ours['pages']} pages from glyph, "
                                 f"{ref['pages']} from the reference")
            label = f"{lang} {kind}"
            print(f"| {label} | reference pipeline | {ref['seconds']:.2f} | {ref['cpu']:.2f} "
                  f"| {ref['typeset_s']:.2f} | {ref['pages']} | {ref['rss_mib']:.0f} | 1.0x | 1.0x |")
            print(f"| {label} | glyph render | {ours['seconds']:.3f} | {ours['cpu']:.3f} "
                  f"| {ours['layout_ms'] / 1000:.3f} | {ours['pages']} | {ours['rss_mib']:.0f} "
                  f"| {ref['seconds'] / ours['seconds']:.0f}x | {ref['cpu'] / ours['cpu']:.0f}x |")

    print(f"\nglyph on items of about {args.tokens:,} Qwen3 tokens:\n")
    print("| item | characters | tokens | wall s | CPU s | layout ms | pages | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for lang, kind in LANGUAGES.items():
        text, tokens = item_of_tokens(glyph, work, kind, args.tokens, args.seed)
        with open(text, encoding="utf-8") as fh:
            chars = len(fh.read())
        ours = glyph_run(glyph, text, configs[lang], os.path.join(work, f"glyph_{lang}_tokens"),
                         os.path.join(work, f"glyph_{lang}_tokens.log"))
        print(f"| {lang} {kind} | {chars:,} | {tokens:,} | {ours['seconds']:.3f} | {ours['cpu']:.3f} "
              f"| {ours['layout_ms']:.0f} | {ours['pages']} | {ours['rss_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
