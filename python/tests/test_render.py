"""glyph.render and friends against the CLI: the same PNG bytes, the same
numbers, the same one-line errors."""
import json
import threading

import numpy
import pytest

import glyph
from conftest import decode_png, run_cli


def cli_pages(cli, tmp_path, text, *flags):
    src = tmp_path / "in.txt"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_cli(cli, "render", src, "--out", out, "--no-count", *flags)
    manifest = json.loads((out / "manifest.json").read_text())
    return [(out / p["file"]).read_bytes() for p in manifest["pages"]], manifest


def test_pages_are_the_cli_pages(cli, sample, tmp_path):
    pages = glyph.render(sample)
    cli_png, manifest = cli_pages(cli, tmp_path, sample)
    assert len(pages) == manifest["page_count"] > 1
    for page, png, meta in zip(pages, cli_png, manifest["pages"]):
        assert page.png == png, f"page {page.number} differs from glyph render's"
        assert (page.width, page.height) == (meta["width"], meta["height"])
        assert page.byte_span == (meta["text_begin"], meta["text_end"])
        image = decode_png(page.png)
        assert image.size == (page.width, page.height)
        pixels = numpy.asarray(page)
        assert pixels.shape == (page.height, page.width)
        assert numpy.array_equal(pixels, numpy.asarray(image)), "the buffer is the decoded PNG"
        assert numpy.array_equal(numpy.asarray(page.to_pil()), pixels)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))


def test_text_span_indexes_the_python_string(sample):
    pages = glyph.render(sample)
    assert pages[0].text_span[0] == 0 and pages[-1].text_span[1] == len(sample)
    for a, b in zip(pages, pages[1:]):
        assert a.text_span[1] <= b.text_span[0]
    begin, end = pages[1].text_span
    b0, b1 = pages[1].byte_span
    assert sample[begin:end] == sample.encode("utf-8")[b0:b1].decode("utf-8")


def test_buffer_is_not_a_copy(sample):
    page = glyph.render(sample[:2000])[0]
    a, b = numpy.asarray(page), numpy.asarray(page)
    assert not a.flags.writeable
    assert a.__array_interface__["data"][0] == b.__array_interface__["data"][0]


def test_overrides_are_the_cli_set_flags(cli, sample, tmp_path):
    text = sample[:6000]
    pages = glyph.render(text, preset="en", font_size=10, alignment="JUSTIFY", dpi=96)
    cli_png, _ = cli_pages(cli, tmp_path, text, "--preset", "en", "--set", "font-size=10", "--set",
                           "alignment=JUSTIFY", "--dpi", "96")
    assert [p.png for p in pages] == cli_png


def test_config_dict_is_a_config_file(cli, sample, tmp_path):
    text = sample[:6000]
    config = {"dpi": 96, "font-size": 10, "margin-x": 30, "auto-crop-width": True,
              "font-path": glyph.preset("en")["font-path"]}
    (tmp_path / "c.json").write_text(json.dumps(config))
    cli_png, _ = cli_pages(cli, tmp_path, text, "--config", tmp_path / "c.json", "--set", "line-height=12")
    assert [p.png for p in glyph.render(text, config=config, line_height=12)] == cli_png
    assert [p.png for p in glyph.render(text, config=tmp_path / "c.json", line_height=12)] == cli_png


def test_renderer_serves_many_texts_on_threads(sample):
    renderer = glyph.Renderer(preset="en", threads=1)
    texts = [sample[i * 3000:(i + 1) * 3000] for i in range(6)]
    expected = [[p.png for p in renderer.render(t)] for t in texts]
    got = [None] * len(texts)

    def work(i):
        got[i] = [p.png for p in renderer.render(texts[i])]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected
    assert renderer.config()["font-path"].endswith("DejaVuSans.ttf")


def test_auto_preset_picks_zh_for_chinese():
    chinese = "这是一个测试。" * 50
    assert glyph.Renderer().config(chinese)["font-path"] == glyph.preset("zh")["font-path"]
    assert glyph.Renderer().config("plain English")["font-path"] == glyph.preset("en")["font-path"]


def cli_error(cli, tmp_path, *flags):
    (tmp_path / "x.txt").write_text("x")
    code, _, err = run_cli(cli, "render", tmp_path / "x.txt", "--out", tmp_path / "o", *flags, check=False)
    assert code == 2
    return err.strip().removeprefix("glyph: error: ")


def test_errors_are_the_cli_one_line_errors(cli, tmp_path):
    with pytest.raises(glyph.ConfigError) as bad_value:
        glyph.render("x", dpi=-1)
    assert str(bad_value.value) == cli_error(cli, tmp_path, "--set", "dpi=-1")
    assert isinstance(bad_value.value, ValueError) and isinstance(bad_value.value, glyph.Error)
    with pytest.raises(glyph.ConfigError) as typo:
        glyph.render("x", font_sise=9)
    assert str(typo.value) == cli_error(cli, tmp_path, "--set", "font-sise=9").removeprefix("--set: ")
    assert "did you mean \"font-size\"" in str(typo.value)
    with pytest.raises(glyph.ConfigError, match="unknown preset|preset"):
        glyph.Renderer(preset="nope")
    with pytest.raises(glyph.ConfigError):
        glyph.validate_config({"dpi": "high"})
    with pytest.raises(glyph.ConfigError, match="cannot read config file"):
        glyph.load_config(tmp_path / "missing.json")
    with pytest.raises(glyph.VisionTokenError):
        glyph.vision_tokens("no-such-vlm", 100, 100)


def test_config_files_load_and_validate(tmp_path):
    font = glyph.preset("en")["font-path"]
    (tmp_path / "c.json").write_text(json.dumps({"dpi": 96, "font-path": font, "bookkeeping": 1}))
    with pytest.warns(UserWarning, match="bookkeeping"):
        cfg = glyph.load_config(tmp_path / "c.json")
    assert cfg["dpi"] == 96
    assert glyph.validate_config({"font-size": 12, "font-path": font})["line-height"] in (0, 0.0, 13, 13.0)
    assert "font-size" in glyph.config_keys()
    assert glyph.presets() == ["en", "zh", "code"]
    assert glyph.profiles()[0] == "glm-4.1v"


def test_counts_are_the_cli_counts(cli, sample, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text(sample, encoding="utf-8")
    _, out, _ = run_cli(cli, "stats", src, "--json", "--profile", "glm-4.1v", "--profile", "qwen2.5-vl")
    expected = json.loads(out)
    got = glyph.stats(sample, profiles=["glm-4.1v", "qwen2.5-vl"])
    for key in ("chars", "bytes", "text_tokens", "page_count", "profiles", "pages", "config"):
        assert got[key] == expected[key], key
    assert glyph.count_tokens(sample) == expected["text_tokens"]
    first = expected["pages"][0]
    assert glyph.vision_tokens("glm-4.1v", first["width"], first["height"]) == first["vision_tokens"]["glm-4.1v"]


def test_png_false_keeps_pixels_only(sample):
    page = glyph.render(sample[:1000], png=False)[0]
    assert numpy.asarray(page).shape == (page.height, page.width)
    with pytest.raises(glyph.ConfigError, match="png=False"):
        page.png
