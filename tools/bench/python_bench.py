#!/usr/bin/python3
"""Python module benchmark, printed as markdown for docs/benchmarks.md (## Python):

1. glyph.render from Python against `glyph render` on the same text, 1 and
   2 threads (pages encoded to PNG in both; the CLI also writes them).
2. glyph.dask.render_bag on a LocalCluster with 1 and with 2 worker processes
   (one thread each) on the same dataset, into fresh folders, beside
   `glyph render --batch --threads 1` and `--threads 2`: what two cores give here.

  python_bench.py --build BUILD_DIR [--chars 300000] [--items 48] [--repeat 5]

Each figure is the fastest of --repeat runs (the machine is shared).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import corpus  # noqa: E402


def best(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--chars", type=int, default=300000)
    ap.add_argument("--items", type=int, default=48)
    ap.add_argument("--item-chars", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(os.path.abspath(a.build), "python"))
    import glyph
    import glyph.dask
    import distributed

    cli = os.path.join(a.build, "glyph")
    work = tempfile.mkdtemp(prefix="glyph-pybench-")
    text = corpus.novel(a.chars, 1)
    src = os.path.join(work, "novel.txt")
    with open(src, "w", encoding="utf-8") as f:
        f.write(text)
    pages = len(glyph.render(text, preset="en", threads=1, png=False))
    print(f"Text: {len(text):,} characters (`corpus.novel`, seed 1), {pages} pages, preset en.\n")
    print("| threads | glyph render (CLI, --no-count) | glyph.render (Python) | Python, PNGs written to files "
          "| Python / CLI throughput |")
    print("| --- | --- | --- | --- | --- |")

    def render_and_write(threads):
        for page in glyph.render(text, preset="en", threads=threads):
            with open(os.path.join(work, f"py_{page.number:03d}.png"), "wb") as f:
                f.write(page.png)

    for threads in (1, 2):
        out = os.path.join(work, f"cli{threads}")
        cli_s = best(a.repeat, lambda: subprocess.run(
            [cli, "render", src, "--preset", "en", "--no-count", "--threads", str(threads), "--out", out],
            check=True, capture_output=True))
        py_s = best(a.repeat, lambda: glyph.render(text, preset="en", threads=threads))
        written_s = best(a.repeat, lambda: render_and_write(threads))
        print(f"| {threads} | {cli_s:.3f} s ({pages / cli_s:.0f} pages/s) | {py_s:.3f} s ({pages / py_s:.0f} pages/s) "
              f"| {written_s:.3f} s ({pages / written_s:.0f} pages/s) | {cli_s / py_s:.2f}x, {cli_s / written_s:.2f}x |")

    data = os.path.join(work, "items.jsonl")
    with open(data, "w", encoding="utf-8") as f:
        for i in range(a.items):
            f.write(json.dumps({"unique_id": f"doc-{i}", "context": corpus.novel(a.item_chars, i + 2)}) + "\n")
    print(f"\nDataset: {a.items} items of {a.item_chars:,} characters, preset auto, with token counting.\n")
    print("| run | wall | items/s | speed-up |")
    print("| --- | --- | --- | --- |")
    base = None
    for threads in (1, 2):
        runs = iter(range(a.repeat))
        s = best(a.repeat, lambda: subprocess.run(
            [cli, "render", "--batch", data, "--threads", str(threads), "--out",
             os.path.join(work, f"batch{threads}-{next(runs)}")], check=True, capture_output=True))
        base = base or s
        print(f"| glyph render --batch --threads {threads} (CLI) | {s:.2f} s | {a.items / s:.1f} | {base / s:.2f}x |")
    base = None
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            client.run(lambda: __import__("glyph").count_tokens("warm"))  # imports and the tokenizer load once
            runs = iter(range(a.repeat))
            s = best(a.repeat, lambda: glyph.dask.render_bag(data, out=os.path.join(work, f"dask{workers}-{next(runs)}"),
                                                             partitions=workers))
        base = base or s
        print(f"| glyph.dask.render_bag, {workers} worker process{'es' if workers > 1 else ''} | {s:.2f} s "
              f"| {a.items / s:.1f} | {base / s:.2f}x |")
    print(f"\n(work folder {work})")


if __name__ == "__main__":
    main()
