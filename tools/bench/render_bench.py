#!/usr/bin/python3
"""Renderer benchmark: one novel-length text through the reference pipeline and
through `glyph render`, side by side in one run, printed as markdown for
docs/benchmarks.md (## Renderer).

  render_bench.py --build BUILD_DIR [--chars 1000000] [--seed 1] [--input FILE]
                  [--work DIR] [--oracle FILE] [--no-reference] [--no-floor] [--no-batch]

The reference is the repository's tools/parity/reference_pipeline.py
(reportlab -> PDF -> pdftoppm -> PIL crop); --oracle times another
implementation of that pipeline with the same command line instead (such as
the project's glyph_reference.py). Measures wall seconds, pages/s,
characters/s and peak memory (/usr/bin/time -v) for the reference, glyph
with 1 thread and with every core, reads glyph's own
layout / raster / encode split from manifest.json, runs BUILD_DIR/render_bench
(Google Benchmark) on the same text for the encode-only floor per page, and
times batch mode (`glyph render --batch`) with 1 and 2 threads. --input
takes a real text instead of the generated novel (its first --chars
characters); batch mode needs the novel's chapters, so --input implies
--no-batch.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import corpus  # noqa: E402
import parity  # noqa: E402

REPO = parity.REPO


def timed(cmd, log):
    """Runs cmd under /usr/bin/time -v: (wall seconds, CPU seconds, peak RSS
    in MiB, stdout). The wall clock is read around it and the CPU time comes
    from wait4, so both keep their milliseconds (time's own figures are
    rounded to 10 ms, a tenth of a 2-thread run); the peak RSS is time's,
    which measures the command itself, not the benchmark's forked copy."""
    with open(log + ".out", "w+", encoding="utf-8") as out, open(log + ".err", "w+", encoding="utf-8") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(" ".join(cmd) + "\n" + stdout + stderr)
    os.remove(log + ".out")
    os.remove(log + ".err")
    if proc.returncode != 0:
        raise SystemExit(f"render_bench: {cmd[0]} failed ({proc.returncode}), see {log}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))
    return seconds, usage.ru_utime + usage.ru_stime, rss_kb / 1024.0, stdout


def count_pages(folder):
    return len(parity.page_files(folder))


def glyph_run(glyph, text_path, cfg_path, out, threads, work, label, count):
    # --no-count: the renderer alone (token counting loads an 11 MB tokenizer.json).
    seconds, cpu, rss, _ = timed([glyph, "render", text_path, "--config", cfg_path, "--out", out,
                                  "--threads", str(threads)] + ([] if count else ["--no-count"]),
                                 os.path.join(work, label + ".log"))
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    return {"label": label, "threads": threads, "count": count, "seconds": seconds, "cpu": cpu, "rss_mib": rss,
            "pages": count_pages(out), "timings_ms": manifest.get("timings_ms", {})}


def floor_run(build, text_path, work):
    """Google Benchmark on the same text: render in memory, encode only, deflate only."""
    binary = next((b for b in (os.path.join(build, "bench", "render_bench"), os.path.join(build, "render_bench"))
                   if os.access(b, os.X_OK)), None)
    if not binary:
        return None
    env = dict(os.environ, GLYPH_BENCH_TEXT=text_path)
    proc = subprocess.run([binary, "--benchmark_format=json", "--benchmark_filter=-BM_EncodePagesAtLevel"],
                          capture_output=True, text=True, env=env)
    with open(os.path.join(work, "render_bench.json"), "w", encoding="utf-8") as fh:
        fh.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"render_bench: {binary} failed, see {work}/render_bench.json")
    out = {}
    for b in json.loads(proc.stdout)["benchmarks"]:
        out[b["name"].split("/")[0]] = 1000.0 / b["pages_per_s"]  # ms per page
    return out


def batch_run(glyph, text_path, cfg_path, work, threads):
    """The novel cut into chapter-sized items, rendered by one batch command."""
    items = os.path.join(work, "batch_items.jsonl")
    if not os.path.exists(items):
        with open(text_path, encoding="utf-8") as fh:
            chapters = [c for c in re.split(r"\n(?=Chapter \d+\n)", fh.read()) if c.strip()]
        with open(items + ".tmp", "w", encoding="utf-8") as fh:
            for n, chapter in enumerate(chapters, start=1):
                fh.write(json.dumps({"unique_id": f"chapter-{n:03d}", "context": chapter}) + "\n")
        os.replace(items + ".tmp", items)
    out = os.path.join(work, f"batch_t{threads}")
    subprocess.run(["rm", "-rf", out], check=True)
    seconds, cpu, rss, _ = timed([glyph, "render", "--batch", items, "--config", cfg_path, "--out", out,
                             "--threads", str(threads), "--no-count"], os.path.join(work, f"batch_t{threads}.log"))
    pages = sum(1 for _, _, files in os.walk(out) for f in files if f.startswith("page_") and f.endswith(".png"))
    return {"threads": threads, "seconds": seconds, "cpu": cpu, "rss_mib": rss, "pages": pages}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="build folder holding glyph and render_bench")
    ap.add_argument("--oracle", help="time this reference implementation instead of the repository's pipeline")
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--input", help="a real UTF-8 text instead of the generated novel (its first --chars characters)")
    ap.add_argument("--work", default=os.path.join(REPO, "build-bench"))
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each glyph command; the fastest is shown")
    args = ap.parse_args(argv)
    if args.input:
        args.no_batch = True

    glyph = os.path.abspath(os.path.join(args.build, "glyph"))
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if args.input:
        with open(args.input, encoding="utf-8") as fh:
            real = fh.read(args.chars)
        text_path = os.path.join(work, f"input_{len(real)}.txt")
        corpus.write_atomic(text_path, real)
        what = f"`{args.input}`, its first {len(real):,} characters"
    else:
        text_path = os.path.join(work, f"novel_{args.chars}_{args.seed}.txt")
        if not os.path.exists(text_path):
            corpus.write_atomic(text_path, corpus.novel(args.chars, args.seed))
        what = f"generated English prose (`tools/parity/corpus.py novel --chars {args.chars} --seed {args.seed}`)"
    with open(text_path, encoding="utf-8") as fh:
        chars = len(fh.read())
    cfg_path = os.path.join(work, "en.json")
    parity.write_json(cfg_path, parity.config_for("prose", "72-left"))
    cores = os.cpu_count() or 1

    rows = []
    if not args.no_reference:
        out = os.path.join(work, "reference")
        subprocess.run(["rm", "-rf", out], check=True)
        script = args.oracle or parity.DEFAULT_REFERENCE
        seconds, cpu, rss, _ = timed(["/usr/bin/python3", script, "--config", cfg_path, "--input", text_path,
                                 "--out", out], os.path.join(work, "reference.log"))
        name = "oracle " + os.path.basename(script) if args.oracle else "reference pipeline"
        rows.append({"label": f"{name} (reportlab + pdftoppm + PIL)", "threads": 1, "seconds": seconds,
                     "cpu": cpu, "rss_mib": rss, "pages": count_pages(out), "timings_ms": {}})
    # Best of --repeat runs each (fewest wall seconds), with and without token
    # counting. The commands take turns, so that a slow spell of a noisy
    # machine falls on all of them rather than on one.
    commands = [(count, threads) for count in (False, True) for threads in sorted({1, cores})]
    best = {}
    for _ in range(args.repeat):
        for count, threads in commands:
            label = f"glyph_t{threads}" + ("_count" if count else "")
            r = glyph_run(glyph, text_path, cfg_path, os.path.join(work, label), threads, work, label, count)
            if (count, threads) not in best or r["seconds"] < best[(count, threads)]["seconds"]:
                best[(count, threads)] = r
    runs = []
    for count, threads in commands:
        best[(count, threads)]["label"] = f"glyph render --threads {threads}" + ("" if count else " --no-count")
        runs.append(best[(count, threads)])
    rows += runs
    base = rows[0] if not args.no_reference else None

    print(f"Text: {chars:,} characters of {what}, en config "
          f"(DejaVu Sans 9/10 pt, 72 dpi, auto-crop), {cores} cores.\n")
    print("| renderer | threads | wall s | CPU s | pages | pages/s | chars/s | peak RSS MiB "
          "| speed-up vs reference (wall) | (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        wall = f"{base['seconds'] / r['seconds']:.1f}x" if base else "—"
        cpu = f"{base['cpu'] / r['cpu']:.1f}x" if base else "—"
        print(f"| {r['label']} | {r['threads']} | {r['seconds']:.3f} | {r['cpu']:.3f} | {r['pages']} "
              f"| {r['pages'] / r['seconds']:.1f} | {chars / r['seconds']:,.0f} | {r['rss_mib']:.0f} | {wall} | {cpu} |")

    if cores > 1:
        print()
        for count in (False, True):
            one, many = (next(r for r in runs if r["count"] == count and r["threads"] == t) for t in (1, cores))
            print(f"- `--threads {cores}` against `--threads 1`{' with token counting' if count else ', --no-count'}: "
                  f"{one['seconds'] / many['seconds']:.2f}x wall")

    print("\nWhere glyph's time goes (manifest.json `timings_ms`: the raster phase's wall time includes the "
          "pages' encoding and writing, which `encode` sums over the threads doing it):\n")
    print("| run | layout ms | raster phase ms (wall) | encode + write ms (summed) | wall ms/page | CPU ms/page |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in runs:
        t, p = r["timings_ms"], max(r["pages"], 1)
        print(f"| {r['label'][len('glyph render '):]} | {t.get('layout', 0):.0f} | {t.get('raster', 0):.0f} "
              f"| {t.get('encode', 0):.0f} ({t.get('encode', 0) / p:.2f}/page) "
              f"| {1000 * r['seconds'] / p:.2f} | {1000 * r['cpu'] / p:.2f} |")

    if not args.no_floor:
        floor = floor_run(args.build, text_path, work)
        if floor:
            p = max(runs[0]["pages"], 1)
            wall, cpu = 1000 * runs[0]["seconds"] / p, 1000 * runs[0]["cpu"] / p
            enc = floor["BM_EncodePages"]
            print("\nEncode-only floor on the same pages (`render_bench`, Google Benchmark, 1 thread, CPU ms per "
                  "page), against the whole `glyph render --threads 1` run per page:\n")
            print("| layout + raster in memory | layout alone | raster alone | PNG encode only (glyph) "
                  "| ISA-L igzip level 1 alone "
                  "| libdeflate level 1 alone | full run, CPU | full run, wall | full / encode-only (CPU) | (wall) |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            print(f"| {floor.get('BM_RenderText', 0):.2f} | {floor.get('BM_LayoutText', 0):.2f} "
                  f"| {floor.get('BM_RasterPages', 0):.2f} | {enc:.2f} | {floor.get('BM_IgzipRows', 0):.2f} "
                  f"| {floor.get('BM_DeflateRows', 0):.2f} "
                  f"| {cpu:.2f} | {wall:.2f} | {cpu / enc:.2f}x | {wall / enc:.2f}x |")

    if not args.no_batch:
        b1 = batch_run(glyph, text_path, cfg_path, work, 1)
        b2 = batch_run(glyph, text_path, cfg_path, work, 2)
        print("\nBatch mode (`glyph render --batch`, the novel as one item per chapter):\n")
        print("| threads | wall s | CPU s | pages | pages/s | peak RSS MiB | scaling (wall) |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for b in (b1, b2):
            print(f"| {b['threads']} | {b['seconds']:.2f} | {b['cpu']:.2f} | {b['pages']} | {b['pages'] / b['seconds']:.1f} "
                  f"| {b['rss_mib']:.0f} | {b1['seconds'] / b['seconds']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
