"""Batches from Python: glyph.render_batch shards and glyph.dask.render_bag on a
real LocalCluster (2 worker processes) give what `glyph render --batch` gives:
the same pages byte for byte, the same manifests, the same result rows."""
import json
import os
from pathlib import Path

import pytest

import glyph
from conftest import run_cli


def write_dataset(path, sample, n=8):
    rows = [{"unique_id": f"doc-{i}", "context": sample[i * 2500:(i + 1) * 2500 + 1500]} for i in range(n)]
    rows[3]["config"] = {"dpi": 96}
    rows.append({"unique_id": 42, "context": "这是中文。" * 200})  # preset auto: zh for this item
    rows.append({"unique_id": "doc-1", "context": "a repeated id"})  # fails, in whichever shard it lands
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "{broken\n", encoding="utf-8")
    return len(rows) + 1


def folder_files(out):
    """Every file of every item folder, by relative path (the batch's ledgers aside); manifests without timings."""
    files = {}
    for root, _, names in os.walk(out):
        for name in names:
            rel = os.path.relpath(os.path.join(root, name), out)
            if os.sep not in rel:
                continue
            data = Path(root, name).read_bytes()
            if name == "manifest.json":
                manifest = json.loads(data)
                del manifest["timings_ms"]
                data = manifest
            files[rel] = data
    return files


def rows(path):
    return {json.dumps(json.loads(line), sort_keys=True) for line in Path(path).read_text().splitlines() if line}


@pytest.fixture(scope="module")
def cli_batch(cli, sample, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    data = tmp / "d.jsonl"
    total = write_dataset(data, sample)
    code, _, err = run_cli(cli, "render", "--batch", data, "--out", tmp / "out", check=False)
    assert code == 11, err  # the repeated id and the broken line fail, the rest renders
    return data, tmp / "out", total


def test_shards_from_python_are_the_cli_batch(cli_batch, tmp_path):
    data, expected, total = cli_batch
    out = tmp_path / "out"
    reports = [glyph.render_batch(data, out, shard=(i, 3), threads=1) for i in range(3)]
    assert sum(r["total"] for r in reports) == total
    assert sum(r["failed"] for r in reports) == 2
    assert folder_files(out) == folder_files(expected)
    assert set().union(*(rows(r["results_path"]) for r in reports)) == rows(expected / "results.jsonl")
    again = glyph.render_batch(data, out, shard="1/3")
    assert again["skipped"] == reports[1]["rendered"] and again["rendered"] == 0


def test_render_bag_on_a_local_cluster_is_the_cli_batch(cli_batch, tmp_path):
    distributed = pytest.importorskip("distributed")
    import glyph.dask
    data, expected, total = cli_batch
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        report = glyph.dask.render_bag(str(data), out=out)
        assert report["total"] == total and report["rendered"] == total - 2
        assert [f["line"] for f in report["failures"]] == [total - 1, total]
        assert len(report["results_paths"]) == 2
        resumed = glyph.dask.render_bag(str(data), out=out)
        assert resumed["skipped"] == total - 2 and resumed["rendered"] == 0
    assert folder_files(out) == folder_files(expected)
    got = {json.dumps(r, sort_keys=True) for r in glyph.dask.read_results(out)}
    assert got == rows(expected / "results.jsonl")


def test_render_bag_takes_text_files(cli, sample, tmp_path):
    distributed = pytest.importorskip("distributed")
    import glyph.dask
    paths = []
    for i in range(3):
        p = tmp_path / f"t{i}.txt"
        p.write_text(sample[i * 1000:(i + 1) * 1000 + 500], encoding="utf-8")
        paths.append(str(p))
    with distributed.Client(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=None):
        config = {"dpi": 96, "font-path": glyph.preset("en")["font-path"]}
        report = glyph.dask.render_bag(paths, out=tmp_path / "out", config=config, count=False)
    assert report["rendered"] == 3
    (tmp_path / "c.json").write_text(json.dumps(config))
    for p in paths:
        single = tmp_path / ("single-" + Path(p).stem)
        run_cli(cli, "render", p, "--out", single, "--no-count", "--config", tmp_path / "c.json")
        item = tmp_path / "out" / glyph.item_folder_name(p)
        assert (item / "page_001.png").read_bytes() == (single / "page_001.png").read_bytes()


def test_a_bad_config_fails_before_any_work(tmp_path):
    import glyph.dask
    with pytest.raises(glyph.ConfigError):
        glyph.dask.render_bag(tmp_path / "none.jsonl", out=tmp_path / "out", font_sise=3, partitions=2)
