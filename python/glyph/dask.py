"""Batch rendering on a Dask cluster (distributed), the same output as `glyph render --batch`.

    from distributed import Client
    import glyph.dask
    client = Client("tcp://scheduler:8786")          # or LocalCluster(...)
    report = glyph.dask.render_bag("dataset.jsonl", out="/shared/out", config={"dpi": 96})

The batch is cut into `partitions` shards (`glyph render --batch --shard I/N`):
a Dask bag of N partitions, each mapped to glyph.render_batch on one shard, so
every worker writes the same per-item folders the CLI writes and its own
results.shard-I-of-N.jsonl ledger. The input and OUT must be on a file system
the workers share. A rerun with the same N resumes: finished items are skipped.
"""

import os

import dask.bag

from . import Renderer

ITEMS_FILE = ".glyph-items.jsonl"


def _items_from_paths(paths, out):
    """Text files as a batch dataset (id = the path as given) in OUT, rewritten only when it changes."""
    import json
    rows = "".join(json.dumps({"unique_id": os.fspath(p), "context": open(p, encoding="utf-8").read()},
                              ensure_ascii=False) + "\n" for p in paths)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, ITEMS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == rows:
                return path
    except OSError:
        pass
    tmp = path + f".tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(rows)
    os.replace(tmp, path)
    return path


def _default_partitions():
    """One per worker thread of the current distributed client, else one per core."""
    try:
        from distributed import get_client
        return max(1, sum(get_client().nthreads().values()))
    except (ImportError, ValueError):
        return os.cpu_count() or 1


def render_bag(paths_or_jsonl, out, config=None, preset="auto", *, partitions=None, threads=1,
               id_field="unique_id", text_field="context", count=True, profile=None, tokenizer=None,
               **overrides):
    """Render a JSONL dataset (a path), or a list of text files (each an item whose id is its path),
    into OUT on the current Dask scheduler (a distributed Client when one is active).

    `config`, `preset` and `overrides` are glyph.Renderer's; `threads` is per partition (the cluster's
    threads give the parallelism). Returns the summed report (total, skipped, rendered, failed, pages),
    with results_paths and failures (every failed row, as in failures*.jsonl). Raises ConfigError for a
    bad config before anything is submitted.
    """
    out = os.fspath(out)
    if isinstance(paths_or_jsonl, (str, os.PathLike)):
        jsonl = os.path.abspath(os.fspath(paths_or_jsonl))
    else:
        jsonl = os.path.abspath(_items_from_paths(list(paths_or_jsonl), out))
    out = os.path.abspath(out)
    Renderer(config, preset, threads=threads, **overrides)  # a bad config fails here, not on the workers
    n = partitions or _default_partitions()

    def render_shard(index):
        renderer = Renderer(config, preset, threads=threads, **overrides)
        return renderer.render_batch(jsonl, out, shard=(index, n), id_field=id_field, text_field=text_field,
                                     count=count, profile=profile, tokenizer=tokenizer)

    reports = dask.bag.from_sequence(range(n), npartitions=n).map(render_shard).compute()
    total = {key: sum(r[key] for r in reports) for key in ("total", "skipped", "rendered", "failed", "pages")}
    total["results_paths"] = [r["results_path"] for r in reports]
    total["failures"] = sorted((f for r in reports for f in r["failures"]), key=lambda f: f["line"])
    return total


def read_results(out):
    """Every row of OUT's results.jsonl and results.shard-*.jsonl (a whole or a sharded batch)."""
    import json
    rows = []
    for name in sorted(os.listdir(out)):
        if name == "results.jsonl" or (name.startswith("results.shard-") and name.endswith(".jsonl")):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                rows.extend(json.loads(line) for line in f if line.strip())
    return rows


__all__ = ["render_bag", "read_results"]
