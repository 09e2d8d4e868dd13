#!/usr/bin/python3
"""Parity harness: our renderer against the reference pipeline, case by case.

Each case is a generated text (tools/parity/corpus.py) and a config variant.
The reference pipeline (tools/parity/reference_pipeline.py: reportlab, then
pdftoppm, scale and crop, as Glyph's renderers do) and `glyph render` get the
same text, the same config file and the same font; the harness compares page
counts, page sizes, the lines (which words sit on which line of which page,
and where), and the pixels of every page.

  parity.py --glyph build-x/glyph [--subset smoke|full] [--seed S]
            [--work DIR] [--jobs N] [--markdown FILE] [--json FILE]
            [--min-identical PCT] [--max-page-mad MAD]
  parity.py --glyph build-x/glyph --texts FILE... [--variants V...]   your own texts
  parity.py --glyph build-x/glyph --minimize CASE   shrink a failing case's input
  parity.py --cross-check [--oracle FILE] [--subset ...]
            the reference pipeline against an independent oracle of Glyph's
            pipeline (default: ../shared/reference/glyph_reference.py beside
            the repository, when there): every page must be pixel-identical

Exit status: 0 on success, 1 when --min-identical is given and the share of
identical lines is below it or a page count differs (or, with --max-page-mad,
a page differs in size or in mean pixel difference; with --cross-check, any
difference), 77 when reportlab or poppler-utils are missing (or, with
--cross-check, the oracle is not there).
Needs /usr/bin/python3 with reportlab, PIL and numpy (Debian python3-reportlab,
python3-pil, python3-numpy) and poppler-utils.
"""
import argparse
import concurrent.futures
import difflib
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_REFERENCE = os.path.join(REPO, "tools", "parity", "reference_pipeline.py")
# Not part of the repository: an independent oracle, used only to cross-check ours.
DEFAULT_ORACLE = os.path.normpath(os.path.join(REPO, "..", "shared", "reference", "glyph_reference.py"))
SKIP = 77

# Glyph's published en/zh configs, with Debian's TrueType fonts (the reference
# pipeline's reportlab cannot load CFF fonts).
BASE = {
    "page-size": "595,842", "dpi": 72, "margin-x": 10, "margin-y": 10,
    "font-size": 9, "line-height": 10, "alignment": "LEFT",
    "font-color": "#000000", "page-bg-color": "#FFFFFF", "para-bg-color": "#FFFFFF",
    "para-border-color": "#FFFFFF", "horizontal-scale": 1.0,
    "first-line-indent": 0, "left-indent": 0, "right-indent": 0,
    "space-before": 0, "space-after": 0, "border-width": 0, "border-padding": 0,
    "auto-crop-width": True, "auto-crop-last-page": True, "newline-markup": "<br/>",
}
FONTS = {
    "en": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "zh": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
}
FONT_MARKER = '<font color="#FF0000">\\n</font>'
VARIANTS = {
    "72-left": {},
    "96-left": {"dpi": 96},
    "72-justify": {"alignment": "JUSTIFY"},
    "72-center": {"alignment": "CENTER"},
    "72-right": {"alignment": "RIGHT"},
    "72-fontnl": {"newline-markup": FONT_MARKER},
    "96-justify-fontnl": {"dpi": 96, "alignment": "JUSTIFY", "newline-markup": FONT_MARKER},
    # The paragraph-style keys at once: squeezed glyphs, indents, spacing,
    # a tinted paragraph box with a border.
    "72-styled": {"horizontal-scale": 0.9, "first-line-indent": 12, "left-indent": 6, "right-indent": 8,
                  "space-before": 3, "space-after": 2, "para-bg-color": "#F2F2F2",
                  "para-border-color": "#808080", "border-width": 1, "border-padding": 2},
    # Glyph's evaluation renderers (LongBench, MRCR, RULER): the whole text in
    # one paragraph, each tab four no-break spaces.
    "eval-72-left": {"paragraph-lines": 0, "tab-spaces": 4},
    "eval-96-justify": {"dpi": 96, "alignment": "JUSTIFY", "paragraph-lines": 0, "tab-spaces": 4},
    "eval-72-fontnl": {"newline-markup": FONT_MARKER, "paragraph-lines": 0, "tab-spaces": 4},
}

# Every kind at the two small sizes in every variant; the medium size (several
# pages, page breaks inside paragraphs) in the variants that change line breaks.
FULL = ([(k, s, v) for k in corpus.KINDS for s in ("tiny", "small") for v in VARIANTS] +
        [(k, "medium", v) for k in corpus.KINDS for v in ("72-left", "72-justify", "72-fontnl", "eval-72-left")])
# Under a minute in all: one case per kind, every variant at least once.
SMOKE = [
    ("prose", "small", "72-left"), ("dialogue", "tiny", "72-justify"), ("code", "tiny", "96-left"),
    ("lists", "tiny", "72-center"), ("longwords", "tiny", "72-right"), ("special", "tiny", "72-fontnl"),
    ("chinese", "tiny", "72-left"), ("mixed", "tiny", "96-justify-fontnl"), ("longpara", "tiny", "72-justify"),
    ("code", "tiny", "72-styled"),
    ("code", "small", "eval-72-left"), ("chinese", "tiny", "eval-72-left"), ("prose", "small", "eval-96-justify"),
    ("special", "tiny", "eval-72-fontnl"),
]


def case_name(kind, size, variant):
    return f"{kind}_{size}_{variant}"


def config_for(kind, variant):
    cfg = dict(BASE)
    cfg["font-path"] = FONTS["zh" if kind in corpus.CJK_KINDS else "en"]
    cfg.update(VARIANTS[variant])
    return cfg


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def run(cmd, timeout):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - t0


def file_digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def run_reference(script, ref_digest, text_path, cfg_path, cache_dir, extra_args=()):
    """Reference pages + layout, cached by (script, text, config, arguments) digest: it is slow."""
    h = hashlib.sha256()
    for part in (ref_digest, file_digest(text_path), file_digest(cfg_path), *extra_args):
        h.update(part.encode())
    out = os.path.join(cache_dir, h.hexdigest()[:24])
    if os.path.exists(os.path.join(out, "done.json")):
        with open(os.path.join(out, "done.json")) as fh:
            return out, json.load(fh)
    shutil.rmtree(out + ".tmp", ignore_errors=True)
    os.makedirs(out + ".tmp")
    proc, seconds = run(["/usr/bin/python3", script, "--config", cfg_path, "--input", text_path,
                         "--out", out + ".tmp", "--layout", os.path.join(out + ".tmp", "layout.jsonl"),
                         *extra_args], 1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(script)} failed on {text_path}: "
                           f"{proc.stderr.strip().splitlines()[-1:]}")
    info = {"seconds": round(seconds, 3), "report": json.loads(proc.stdout.strip().splitlines()[-1])}
    write_json(os.path.join(out + ".tmp", "done.json"), info)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(out + ".tmp", out)
    return out, info


def run_ours(glyph, text_path, cfg_path, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    layout = out_dir + ".layout.jsonl"
    proc, seconds = run([glyph, "render", text_path, "--config", cfg_path, "--out", out_dir,
                         "--layout", layout], 1800)
    info = {"seconds": round(seconds, 3), "exit": proc.returncode}
    if proc.returncode != 0:
        info["error"] = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
    return out_dir, layout, info


def read_lines(path):
    """Rendered lines keyed by (page, y): pdftotext may split one line at a wide gap."""
    rows = {}
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            r = json.loads(raw)
            words = [w for w in " ".join(r["words"]).replace("\xa0", " ").split()]
            if not words:
                continue
            key = (r["page"], round(r["y"], 2))
            rows.setdefault(key, []).append((r["x0"], r["x1"], words))
    lines = []
    for (page, y), parts in sorted(rows.items()):
        parts.sort(key=lambda p: p[0])
        words = [w for p in parts for w in p[2]]
        lines.append({"page": page, "y": y, "x0": parts[0][0], "x1": parts[-1][1], "words": words,
                      # Spacing is not layout: pdftotext splits CJK runs into words its own way.
                      "key": (page, "".join(words))})
    return lines


def compare_lines(ref_lines, our_lines):
    a = [line["key"] for line in ref_lines]
    b = [line["key"] for line in our_lines]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched, max_dy, max_dx, y_off, split_diff = 0, 0.0, 0.0, 0, 0
    examples = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            matched += i2 - i1
            for i, j in zip(range(i1, i2), range(j1, j2)):
                o, g = ref_lines[i], our_lines[j]
                dy = abs(o["y"] - g["y"])
                dx = max(abs(o["x0"] - g["x0"]), abs(o["x1"] - g["x1"]))
                max_dy, max_dx = max(max_dy, dy), max(max_dx, dx)
                y_off += dy > 0.05
                split_diff += o["words"] != g["words"]
        elif len(examples) < 6:
            examples.append({
                "reference": [{"page": x["page"], "y": x["y"], "text": " ".join(x["words"])} for x in ref_lines[i1:i2][:4]],
                "ours": [{"page": x["page"], "y": x["y"], "text": " ".join(x["words"])} for x in our_lines[j1:j2][:4]],
            })
    total = max(len(a), len(b))
    return {"ref_lines": len(a), "our_lines": len(b), "identical": matched,
            "identical_pct": 100.0 if total == 0 else round(100.0 * matched / total, 3),
            "y_off": y_off, "max_dy_pt": round(max_dy, 3), "max_dx_pt": round(max_dx, 3),
            "word_split_diff": split_diff, "examples": examples}


def page_files(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if n.startswith("page_") and n.endswith(".png"))


def write_diff_image(path, a, b):
    """Grey where the pages agree, red where only the reference has ink, blue where only ours has."""
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    ga = np.full((h, w), 255, np.int16)
    gb = np.full((h, w), 255, np.int16)
    ga[:a.shape[0], :a.shape[1]] = a.min(axis=2)
    gb[:b.shape[0], :b.shape[1]] = b.min(axis=2)
    out = np.stack([gb, np.minimum(ga, gb), ga], axis=2)
    Image.fromarray(out.astype(np.uint8)).save(path)


def compare_pixels(ref_pages, our_pages, diff_dir=None):
    """Per page: sizes, mean absolute difference (0-255), % of pixels off by >32 levels, and the
    count of pixels compared and of those within one level."""
    pages = []
    for number, (po, pg) in enumerate(zip(ref_pages, our_pages), start=1):
        with Image.open(po) as io_, Image.open(pg) as ig:
            a = np.asarray(io_.convert("RGB"), dtype=np.int16)
            b = np.asarray(ig.convert("RGB"), dtype=np.int16)
        h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        diff = np.abs(a[:h, :w] - b[:h, :w])
        if diff_dir and (a.shape != b.shape or diff.any()):
            write_diff_image(os.path.join(diff_dir, f"diff_{number:03d}.png"), a, b)
        pages.append({"page": number, "ref_size": [a.shape[1], a.shape[0]], "our_size": [b.shape[1], b.shape[0]],
                      "mad": round(float(diff.mean()), 3),
                      "off32_pct": round(100.0 * float((diff.max(axis=2) > 32).mean()), 3),
                      "px": int(h * w), "within1_px": int((diff.max(axis=2) <= 1).sum())})
    return pages


def case_files(args, kind, size, variant):
    """The case's folder, input text and config file, written if missing."""
    case_dir = os.path.join(args.work, "cases", case_name(kind, size, variant))
    os.makedirs(case_dir, exist_ok=True)
    text_path = os.path.join(case_dir, "input.txt")
    if not os.path.exists(text_path) or args.regenerate:
        corpus.write_atomic(text_path, corpus.make_text(kind, corpus.SIZES[size], args.seed))
    cfg_path = os.path.join(case_dir, "config.json")
    write_json(cfg_path, config_for(kind, variant))
    return case_dir, text_path, cfg_path


def warm_case(args, ref_digest, kind, size, variant):
    _, text_path, cfg_path = case_files(args, kind, size, variant)
    run_reference(args.reference, ref_digest, text_path, cfg_path, os.path.join(args.work, "reference-cache"))


def run_case(args, ref_digest, kind, size, variant):
    name = case_name(kind, size, variant)
    case_dir, text_path, cfg_path = case_files(args, kind, size, variant)
    return compare_case(args, ref_digest, name, text_path, cfg_path, case_dir) | {
        "kind": kind, "size": size, "variant": variant}


def has_cjk(text):
    return any(0x3000 <= ord(c) <= 0x30FF or 0x3400 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF for c in text)


def run_file_case(args, ref_digest, path, variant):
    """A case from a text file of the user's (not generated): en or zh font by its content."""
    base = os.path.basename(path)
    name = "file-" + "".join(c if c.isalnum() or c in ".-" else "_" for c in base) + "_" + variant
    case_dir = os.path.join(args.work, "files", name)
    os.makedirs(case_dir, exist_ok=True)
    text_path = os.path.join(case_dir, "input.txt")
    shutil.copyfile(path, text_path)
    with open(text_path, encoding="utf-8", errors="replace") as fh:
        cfg = dict(BASE, **{"font-path": FONTS["zh" if has_cjk(fh.read()) else "en"]})
    cfg.update(VARIANTS[variant])
    cfg_path = os.path.join(case_dir, "config.json")
    write_json(cfg_path, cfg)
    return compare_case(args, ref_digest, name, text_path, cfg_path, case_dir) | {
        "kind": "file", "size": base, "variant": variant}


def compare_case(args, ref_digest, name, text_path, cfg_path, case_dir):
    ref_dir, ref_info = run_reference(args.reference, ref_digest, text_path, cfg_path,
                                         os.path.join(args.work, "reference-cache"))
    our_dir, our_layout, our_info = run_ours(args.glyph, text_path, cfg_path, os.path.join(case_dir, "ours"))
    o_pages, g_pages = page_files(ref_dir), page_files(our_dir)
    lines = compare_lines(read_lines(os.path.join(ref_dir, "layout.jsonl")), read_lines(our_layout))
    for old in os.listdir(case_dir):
        if old.startswith("diff_") and old.endswith(".png"):
            os.remove(os.path.join(case_dir, old))
    pixels = compare_pixels(o_pages, g_pages, case_dir)
    with open(text_path, encoding="utf-8") as fh:
        chars = len(fh.read())
    return {"case": name, "chars": chars, "ref_pages": len(o_pages), "our_pages": len(g_pages),
            "pages_equal": len(o_pages) == len(g_pages) and our_info["exit"] == 0,
            "size_mismatch": [p["page"] for p in pixels if p["ref_size"] != p["our_size"]],
            "max_mad": max((p["mad"] for p in pixels), default=None),
            "max_off32_pct": max((p["off32_pct"] for p in pixels), default=None),
            "ref_s": ref_info["seconds"], "our_s": our_info["seconds"], "our_error": our_info.get("error"),
            "lines": lines, "pixels": pixels}


def fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def aggregate(results, field, title):
    """One row per value of `field` (kind or variant): lines, identical share, pixels."""
    groups = {}
    for r in results:
        groups.setdefault(r.get(field, "?"), []).append(r)
    out = [f"| {title} | cases | lines (reference) | identical lines | page count equal | pages of other size "
           "| mean MAD | max % px >32 | % px within 1 level |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, rs in groups.items():
        total = sum(max(r["lines"]["ref_lines"], r["lines"]["our_lines"]) for r in rs)
        same = sum(r["lines"]["identical"] for r in rs)
        mads = [p["mad"] for r in rs for p in r["pixels"]]
        px = sum(p["px"] for r in rs for p in r["pixels"])
        within1 = sum(p["within1_px"] for r in rs for p in r["pixels"])
        out.append(f"| {name} | {len(rs)} | {sum(r['lines']['ref_lines'] for r in rs)} "
                   f"| {100.0 * same / max(total, 1):.2f}% | {sum(r['pages_equal'] for r in rs)}/{len(rs)} "
                   f"| {sum(len(r['size_mismatch']) for r in rs)} | {sum(mads) / max(len(mads), 1):.3f} "
                   f"| {max((r['max_off32_pct'] or 0) for r in rs):.2f} | {100.0 * within1 / max(px, 1):.3f} |")
    return "\n".join(out) + "\n"


def markdown(results, seed):
    total = sum(max(r["lines"]["ref_lines"], r["lines"]["our_lines"]) for r in results)
    same = sum(r["lines"]["identical"] for r in results)
    page_diff = [r["case"] for r in results if not r["pages_equal"]]
    size_diff = sum(len(r["size_mismatch"]) for r in results)
    out = [f"Seed `{seed}`: {len(results)} cases, {total} lines, "
           f"**{100.0 * same / max(total, 1):.2f}% identical lines**, "
           f"page count differs in {len(page_diff)} case(s), page size differs on {size_diff} page(s).", "",
           aggregate(results, "kind", "kind"), aggregate(results, "variant", "variant"),
           "| case | chars | pages reference/ours | lines reference/ours | identical lines | max Δy pt | max Δx pt "
           "| pages of other size | max MAD | max % px >32 | reference s | ours s |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ln = r["lines"]
        flag = "" if r["pages_equal"] and ln["identical_pct"] >= 99.5 else " ⚠"
        out.append(f"| {r['case']}{flag} | {r['chars']} | {r['ref_pages']}/{r['our_pages']} "
                   f"| {ln['ref_lines']}/{ln['our_lines']} | {ln['identical_pct']:.2f}% | {ln['max_dy_pt']:.2f} "
                   f"| {ln['max_dx_pt']:.2f} | {len(r['size_mismatch'])} | {fmt(r['max_mad'])} "
                   f"| {fmt(r['max_off32_pct'])} | {r['ref_s']:.2f} | {r['our_s']:.2f} |")
    return "\n".join(out) + "\n", 100.0 * same / max(total, 1), page_diff


def ddmin(items, fails):
    """Drop chunks of items, then single items, while fails(remaining) stays true."""
    chunks = 2
    while len(items) >= 2:
        step = max(1, len(items) // chunks)
        for begin in range(0, len(items), step):
            rest = items[:begin] + items[begin + step:]
            if rest and fails(rest):
                items, chunks = rest, max(chunks - 1, 2)
                break
        else:
            if step == 1:
                break
            chunks = min(len(items), chunks * 2)
    return items


def minimize(args, ref_digest, name):
    """Delta-debug a failing case: fewest source lines, then fewest words per line."""
    kind, size, variant = parse_case(name)
    lines = corpus.make_text(kind, corpus.SIZES[size], args.seed).split("\n")
    work = os.path.join(args.work, "minimize", name)
    os.makedirs(work, exist_ok=True)
    cfg_path = os.path.join(work, "config.json")
    write_json(cfg_path, config_for(kind, variant))
    text_path = os.path.join(work, "input.txt")

    def check(subset):
        corpus.write_atomic(text_path, "\n".join(subset))
        return compare_case(args, ref_digest, name, text_path, cfg_path, work)

    def fails(subset):
        r = check(subset)
        if not r["pages_equal"] or r["lines"]["identical"] < max(r["lines"]["ref_lines"], r["lines"]["our_lines"]):
            return True
        if args.minimize_on == "pixels":
            return r["size_mismatch"] != [] or any(p["off32_pct"] > 0 for p in r["pixels"])
        return args.minimize_on == "positions" and (r["lines"]["max_dx_pt"] > 0.05 or r["lines"]["max_dy_pt"] > 0.05)

    if not fails(lines):
        print(f"{name}: no difference to minimize")
        return
    lines = ddmin(lines, fails)
    for i in range(len(lines)):
        words = ddmin(lines[i].split(" "), lambda w: fails(lines[:i] + [" ".join(w)] + lines[i + 1:]))
        lines[i] = " ".join(words)
    r = check(lines)
    print(json.dumps({"case": name, "config": config_for(kind, variant), "input": "\n".join(lines),
                      "lines": r["lines"], "pages": [r["ref_pages"], r["our_pages"]]}, ensure_ascii=False, indent=1))


def oracle_variant(cfg):
    """The oracle's --variant for a config, or None when the oracle has no such renderer."""
    shape = (cfg.get("paragraph-lines", 30), cfg.get("tab-spaces", 0))
    return {(30, 0): "inference", (0, 4): "eval"}.get(shape)


def same_pixels(path_a, path_b):
    with Image.open(path_a) as a, Image.open(path_b) as b:
        return a.size == b.size and np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def cross_check_case(args, ref_digest, oracle_digest, kind, size, variant):
    """Our reference pipeline against the oracle on one case: pages and layout must be identical."""
    name = case_name(kind, size, variant)
    _, text_path, cfg_path = case_files(args, kind, size, variant)
    with open(cfg_path, encoding="utf-8") as fh:
        which = oracle_variant(json.load(fh))
    if which is None:
        return None
    ref_dir, ref_info = run_reference(args.reference, ref_digest, text_path, cfg_path,
                                      os.path.join(args.work, "reference-cache"))
    orc_dir, orc_info = run_reference(args.oracle, oracle_digest, text_path, cfg_path,
                                      os.path.join(args.work, "oracle-cache"), ("--variant", which))
    ref_pages, orc_pages = page_files(ref_dir), page_files(orc_dir)
    with open(os.path.join(ref_dir, "layout.jsonl"), "rb") as a, open(os.path.join(orc_dir, "layout.jsonl"), "rb") as b:
        layout_equal = a.read() == b.read()
    identical = sum(same_pixels(o, r) for o, r in zip(orc_pages, ref_pages))
    return {"case": name, "oracle_variant": which, "oracle_pages": len(orc_pages), "ref_pages": len(ref_pages),
            "identical_pages": identical, "layout_equal": layout_equal,
            "ok": layout_equal and len(orc_pages) == len(ref_pages) == identical,
            "oracle_s": orc_info["seconds"], "ref_s": ref_info["seconds"]}


def cross_check(args, ref_digest, cases):
    if not os.path.exists(args.oracle):
        print(f"parity: SKIP, no oracle at {args.oracle} to cross-check the reference pipeline with")
        return SKIP
    oracle_digest = file_digest(args.oracle)
    os.makedirs(os.path.join(args.work, "oracle-cache"), exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = [r for r in pool.map(lambda c: cross_check_case(args, ref_digest, oracle_digest, *c), cases) if r]
    print("| case | oracle variant | pages oracle/reference | pixel-identical pages | layout identical "
          "| oracle s | reference s |\n|---|---|---:|---:|---|---:|---:|")
    for r in results:
        print(f"| {r['case']}{'' if r['ok'] else ' ⚠'} | {r['oracle_variant']} | {r['oracle_pages']}/{r['ref_pages']} "
              f"| {r['identical_pages']} | {'yes' if r['layout_equal'] else 'NO'} | {r['oracle_s']:.2f} "
              f"| {r['ref_s']:.2f} |")
    bad = [r["case"] for r in results if not r["ok"]]
    if bad:
        print(f"parity: FAIL, the reference pipeline differs from the oracle in {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"parity: the reference pipeline matches the oracle on all {len(results)} cases, page for page")
    return 0


def parse_case(name):
    for kind in corpus.KINDS:
        for size in corpus.SIZES:
            for variant in VARIANTS:
                if name == case_name(kind, size, variant):
                    return kind, size, variant
    raise SystemExit(f"parity: unknown case {name!r}; names look like prose_small_72-left")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--glyph", help="path to the built glyph CLI")
    ap.add_argument("--reference", default=DEFAULT_REFERENCE,
                    help="the reference pipeline script glyph is compared with")
    ap.add_argument("--oracle", default=DEFAULT_ORACLE,
                    help="with --cross-check: an independent oracle of Glyph's pipeline")
    ap.add_argument("--cross-check", action="store_true",
                    help="compare the reference pipeline with the oracle (pixel-identical pages, same layout)")
    ap.add_argument("--subset", choices=("smoke", "full"), default="smoke")
    ap.add_argument("--cases", nargs="+", help="case names (kind_size_variant) instead of a subset")
    ap.add_argument("--texts", nargs="+", metavar="FILE",
                    help="your own UTF-8 text files instead of generated cases, each in every --variants")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["72-left", "96-left", "72-justify"],
                    help="with --texts: the config variants to run")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--work", default=os.path.join(REPO, "build-parity"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--regenerate", action="store_true", help="rewrite the inputs even if present")
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--min-identical", type=float, help="fail below this %% of identical lines or on a page count difference")
    ap.add_argument("--max-page-mad", type=float,
                    help="also fail when a page's size differs or its mean absolute pixel difference exceeds this")
    ap.add_argument("--minimize", metavar="CASE")
    ap.add_argument("--minimize-on", choices=("lines", "pixels", "positions"), default="lines",
                    help="what counts as a difference while minimizing (lines always do)")
    ap.add_argument("--warm-cache", action="store_true",
                    help="only run the reference pipeline on the cases, filling its cache")
    args = ap.parse_args(argv)

    missing = [what for what, ok in (("reportlab (python3-reportlab)", importlib.util.find_spec("reportlab")),
                                     ("pdftoppm (poppler-utils)", shutil.which("pdftoppm")),
                                     ("pdftotext (poppler-utils)", shutil.which("pdftotext"))) if not ok]
    if missing:
        print(f"parity: SKIP, the reference pipeline needs {', '.join(missing)}")
        return SKIP
    if not (args.warm_cache or args.cross_check) and not (args.glyph and os.access(args.glyph, os.X_OK)):
        print(f"parity: the glyph CLI {args.glyph} is not an executable file", file=sys.stderr)
        return 2
    args.work = os.path.abspath(args.work)
    # The seed is part of the folder so inputs from another seed are never reused.
    args.work = os.path.join(args.work, f"seed-{args.seed}")
    os.makedirs(os.path.join(args.work, "reference-cache"), exist_ok=True)
    ref_digest = file_digest(args.reference)
    cases = [parse_case(c) for c in args.cases] if args.cases else (SMOKE if args.subset == "smoke" else FULL)
    if args.cross_check:
        return cross_check(args, ref_digest, cases)

    if args.warm_cache:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(lambda c: warm_case(args, ref_digest, *c), cases))
        return 0
    args.glyph = os.path.abspath(args.glyph)
    if args.minimize:
        minimize(args, ref_digest, args.minimize)
        return 0

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        if args.texts:
            jobs = [(path, v) for path in args.texts for v in args.variants]
            results = list(pool.map(lambda c: run_file_case(args, ref_digest, *c), jobs))
        else:
            results = list(pool.map(lambda c: run_case(args, ref_digest, *c), cases))

    table, identical_pct, page_diff = markdown(results, args.seed)
    print(table)
    for r in results:
        if r["our_error"]:
            print(f"{r['case']}: glyph render failed: {r['our_error']}")
        for ex in r["lines"]["examples"][:2]:
            print(f"{r['case']}: reference {json.dumps(ex['reference'], ensure_ascii=False)}\n"
                  f"{' ' * len(r['case'])}  ours   {json.dumps(ex['ours'], ensure_ascii=False)}")
    if args.markdown:
        with open(args.markdown + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(table)
        os.replace(args.markdown + ".tmp", args.markdown)
    if args.json:
        write_json(args.json, {"seed": args.seed, "identical_pct": round(identical_pct, 3),
                               "page_count_differs": page_diff, "cases": results})
    if args.min_identical is not None and (identical_pct < args.min_identical or page_diff):
        print(f"parity: FAIL, {identical_pct:.2f}% identical lines (need {args.min_identical}%), "
              f"page count differs in {page_diff or 'no case'}", file=sys.stderr)
        return 1
    if args.max_page_mad is not None:
        bad = [f"{r['case']} page {p['page']}" for r in results for p in r["pixels"]
               if p["ref_size"] != p["our_size"] or p["mad"] > args.max_page_mad]
        if bad:
            print(f"parity: FAIL, pages differ in size or by more than MAD {args.max_page_mad}: {', '.join(bad)}",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
