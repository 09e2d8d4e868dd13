"""glyph: long texts as page images for vision-language models (the Glyph method).

    import glyph
    pages = glyph.render(open("book.txt").read())          # preset auto: zh for Chinese, else en
    pages[0].png                                             # the PNG bytes `glyph render` writes
    numpy.asarray(pages[0])                                  # the pixels, no copy
    glyph.render(text, dpi=96, font_size=10)                 # config keys, Python spelling
    r = glyph.Renderer({"dpi": 96, "font-size": 10})         # one config for many texts
    glyph.stats(text)["profiles"][0]["compression_ratio"]   # the numbers `glyph stats --json` prints

Rendering releases the GIL and runs on `threads` threads (0: all cores).
Errors are glyph.Error subclasses carrying the CLI's one-line messages; the
config ones are glyph.ConfigError, a ValueError. Batches: glyph.render_batch
(`glyph render --batch`, with its shards) and glyph.dask.render_bag.
"""

import os as _os

from . import _glyph
from ._errors import Cancelled, ConfigError, EncodeError, Error, InputError, TokenizerError, VisionTokenError

Page = _glyph.Page
__version__ = _glyph.__version__

__all__ = [
    "Page", "Renderer", "render", "render_batch", "stats", "count_tokens", "vision_tokens",
    "load_config", "validate_config", "preset", "presets", "profiles", "config_keys", "item_folder_name",
    "Error", "ConfigError", "InputError", "TokenizerError", "VisionTokenError", "EncodeError", "Cancelled",
]


def _config_keys(overrides):
    """Python keyword names (font_size) as Glyph's config keys (font-size)."""
    return {name.replace("_", "-"): value for name, value in overrides.items()}


def _to_pil(page):
    """The page as a PIL.Image (mode L or RGB); needs Pillow."""
    from PIL import Image
    import numpy
    return Image.fromarray(numpy.asarray(page), "L" if page.channels == 1 else "RGB")


Page.to_pil = _to_pil


class Renderer:
    """One render config for many texts.

    `config`: None (use `preset`), a dict of Glyph's config keys (on the
    reference defaults, as a config file would be), or the path of a Glyph
    config JSON file (`glyph render --config`). `preset`: "auto" (zh for
    Chinese texts, else en), "en", "zh" or "code". `overrides`: config keys
    in Python spelling (font_size=9, dpi=96), applied on top like `--set`.
    `threads`: threads per render (0: all cores). Raises ConfigError.
    """

    def __init__(self, config=None, preset="auto", *, threads=0, **overrides):
        self._native = _glyph.Renderer(preset, config, threads, _config_keys(overrides))

    def render(self, text, *, png=True):
        """Render `text` (str) into a list of Page. png=False skips the PNG encoding (pixels only)."""
        return self._native.render(text, png)

    def config(self, text=""):
        """The resolved config (Glyph's keys) this renderer uses for `text`."""
        return self._native.config(text)

    def stats(self, text, profiles=None, tokenizer=None):
        """What `glyph stats --json` reports for `text`: chars, text tokens, pages, vision tokens per profile."""
        return self._native.stats(text, list(profiles or []), _spec(tokenizer))

    def render_batch(self, jsonl, out, *, shard=None, id_field="unique_id", text_field="context", count=True,
                     profile=None, tokenizer=None):
        """`glyph render --batch JSONL --out OUT [--shard I/N]`: the same folders, results and failures files.

        Returns the report: total, skipped, rendered, failed, pages, results_path, failures_path, failures.
        """
        index, count_of = _shard(shard)
        return self._native.render_batch(_os.fspath(jsonl), _os.fspath(out), id_field, text_field, (index, count_of),
                                         count, profile or _glyph.default_profile_name(), _spec(tokenizer))


def _spec(tokenizer):
    return "" if tokenizer is None else _os.fspath(tokenizer)


def _shard(shard):
    """None, "I/N" or (I, N) as (I, N)."""
    if shard is None:
        return 0, 1
    if isinstance(shard, str):
        return _glyph.parse_shard(shard)
    index, count = shard
    return _glyph.parse_shard(f"{index}/{count}")


def render(text, preset="auto", config=None, *, threads=0, png=True, **overrides):
    """Render `text` into pages: a list of Page (number, width, height, text_span, png, to_pil()).

    See Renderer for `preset`, `config`, `threads` and `overrides` (font_size=9 is the key font-size).
    """
    return Renderer(config, preset, threads=threads, **overrides).render(text, png=png)


def stats(text, preset="auto", config=None, *, profiles=None, tokenizer=None, threads=0, **overrides):
    """The numbers `glyph stats --json` prints for `text` (profiles: names, or ["all"]; default glm-4.1v)."""
    return Renderer(config, preset, threads=threads, **overrides).stats(text, profiles, tokenizer)


def render_batch(jsonl, out, preset="auto", config=None, *, shard=None, threads=0, id_field="unique_id",
                 text_field="context", count=True, profile=None, tokenizer=None, **overrides):
    """`glyph render --batch`: see Renderer.render_batch."""
    return Renderer(config, preset, threads=threads, **overrides).render_batch(
        jsonl, out, shard=shard, id_field=id_field, text_field=text_field, count=count, profile=profile,
        tokenizer=tokenizer)


def count_tokens(text, tokenizer=None):
    """Text tokens of `text`: Qwen3's by default, or a tokenizer.json, a model folder or a name (gemma3, ...)."""
    return _glyph.count_tokens(text, _spec(tokenizer))


def vision_tokens(profile, width, height):
    """Context positions a width x height image costs under a VLM profile (markers included)."""
    return _glyph.vision_tokens(profile, width, height)


def load_config(path):
    """A Glyph config JSON file, checked, as the full config (dict); unknown keys are warnings."""
    return _glyph.load_config(_os.fspath(path))


def validate_config(config):
    """A dict of Glyph's config keys on the reference defaults, checked; returns the full config."""
    return _glyph.validate_config(config)


def preset(name):
    """A built-in config (en, zh, code) as a dict."""
    return _glyph.preset(name)


def presets():
    return _glyph.preset_names()


def profiles():
    """The vision-token profile names (glm-4.1v first)."""
    return _glyph.profile_names()


def config_keys():
    return _glyph.config_keys()


def item_folder_name(unique_id):
    """The folder a batch item with this id is rendered into."""
    return _glyph.item_folder_name(str(unique_id))
