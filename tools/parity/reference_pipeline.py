#!/usr/bin/python3
"""The reference page pipeline, run for real: reportlab -> PDF -> pdftoppm -> scale -> crop.

Glyph's model reads pages made this way, and `glyph render` (reference mode)
reproduces them without it. This script makes the real thing from a config
and a text, so the parity harness (parity.py) can compare pages, lines and
pixels. Both of Glyph's renderers are covered by two config keys:

  paragraph-lines  30 (default): Glyph's inference renderer cuts the text into
                   paragraphs of 30 source lines; 0: its evaluation renderers
                   (LongBench, MRCR, RULER) typeset the whole text as one.
  tab-spaces       0 (default): a tab is left to reportlab, which breaks words
                   at it; N: each tab becomes N no-break spaces (4 in the
                   evaluation renderers), once runs of spaces are no-break.

  reference_pipeline.py --config CFG.json --input TEXT.txt --out DIR
                        [--layout LINES.jsonl] [--set KEY=VALUE ...]

Writes DIR/page_001.png, ... and prints one JSON line (pages, sizes, seconds).
--layout writes one JSON object per text line of the PDF as pdftotext reads
it: page, y (pt from the top), x0, x1, words. Needs Debian's python3-reportlab,
python3-pil, python3-numpy and poppler-utils; run with /usr/bin/python3.
"""
import argparse
import html
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image
from reportlab.lib import colors, enums
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

Image.MAX_IMAGE_PIXELS = None

# Any alignment name reportlab's pipeline does not know means JUSTIFY.
ALIGN = {"LEFT": enums.TA_LEFT, "CENTER": enums.TA_CENTER, "RIGHT": enums.TA_RIGHT,
         "JUSTIFY": enums.TA_JUSTIFY}
NBSP = "&nbsp;"
CJK_IDEOGRAPH = re.compile("[\u4e00-\u9fff]")
TWO_OR_MORE_SPACES = re.compile(" {2,}")


class Settings:
    """The config's values with the pipeline's defaults for absent (or null) keys."""

    def __init__(self, config):
        def get(key, default):
            value = config.get(key)
            return default if value is None else value

        def color(key, default):
            return colors.HexColor(get(key, default))

        size = get("page-size", "595,842")
        self.page = tuple(float(v) for v in size.split(",")) if isinstance(size, str) else tuple(size)
        self.dpi = get("dpi", 72)
        self.margin_x = get("margin-x", 20)
        self.margin_y = get("margin-y", 20)
        self.font_path = config["font-path"]
        self.font_size = get("font-size", 9)
        self.leading = config.get("line-height") or self.font_size + 1
        self.font_color = color("font-color", "#000000")
        self.page_bg = color("page-bg-color", "#FFFFFF")
        self.para_bg = color("para-bg-color", "#FFFFFF")
        self.border_color = color("para-border-color", "#FFFFFF")
        self.alignment = ALIGN.get(get("alignment", "JUSTIFY"), enums.TA_JUSTIFY)
        self.scale = get("horizontal-scale", 1.0)
        self.first_indent = get("first-line-indent", 0)
        self.left_indent = get("left-indent", 0)
        self.right_indent = get("right-indent", 0)
        self.space_before = get("space-before", 0)
        self.space_after = get("space-after", 0)
        self.border_width = get("border-width", 0)
        self.border_padding = get("border-padding", 0)
        self.crop_width = get("auto-crop-width", False)
        self.crop_last = get("auto-crop-last-page", False)
        self.newline = get("newline-markup", "<br/>")
        self.paragraph_lines = int(get("paragraph-lines", 30))
        self.tab_spaces = int(get("tab-spaces", 0))


def paragraph_markup(text, s):
    """The text as the paragraphs' markup strings, prepared as Glyph's renderers do."""
    text = text.replace("\u00ad", "").replace("\u200b", "")
    marked = TWO_OR_MORE_SPACES.sub(lambda run: NBSP * len(run.group()), escape(text))
    if s.tab_spaces:
        marked = marked.replace("\t", NBSP * s.tab_spaces)
    source_lines = marked.split("\n")
    per_paragraph = s.paragraph_lines or len(source_lines)
    return [s.newline.join(source_lines[first:first + per_paragraph])
            for first in range(0, len(source_lines), per_paragraph)]


def paragraph_style(s, cjk):
    font = os.path.basename(s.font_path).split(".")[0]
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, s.font_path))
    return ParagraphStyle(
        name="GlyphPage", parent=getSampleStyleSheet()["Normal"], fontName=font, fontSize=s.font_size,
        leading=s.leading, textColor=s.font_color, backColor=s.para_bg, borderColor=s.border_color,
        borderWidth=s.border_width, borderPadding=s.border_padding, firstLineIndent=s.first_indent,
        leftIndent=s.left_indent, rightIndent=s.right_indent, alignment=s.alignment,
        spaceBefore=s.space_before, spaceAfter=s.space_after,
        # One ideograph anywhere switches the whole text to CJK wrapping.
        wordWrap="CJK" if cjk else None)


def typeset(text, s):
    """PDF bytes: every paragraph in one style, on pages painted in the background color."""
    style = paragraph_style(s, bool(CJK_IDEOGRAPH.search(text)))
    story = [Paragraph(markup, style) for markup in paragraph_markup(text, s)]

    def background(canvas, _doc):
        canvas.saveState()
        canvas.setFillColor(s.page_bg)
        canvas.rect(0, 0, s.page[0], s.page[1], stroke=0, fill=1)
        canvas.restoreState()

    pdf = io.BytesIO()
    SimpleDocTemplate(pdf, pagesize=s.page, leftMargin=s.margin_x, rightMargin=s.margin_x,
                      topMargin=s.margin_y, bottomMargin=s.margin_y).build(
        story, onFirstPage=background, onLaterPages=background)
    return pdf.getvalue()


def raster_files(pdf_path, dpi, folder):
    """pdftoppm's PPM pages, in page order."""
    subprocess.run(["pdftoppm", "-r", str(dpi), pdf_path, os.path.join(folder, "raster")], check=True)
    found = {}
    for name in os.listdir(folder):
        m = re.fullmatch(r"raster-(\d+)\.ppm", name)
        if m:
            found[int(m.group(1))] = os.path.join(folder, name)
    return [found[n] for n in sorted(found)]


def last_ink(mask, axis):
    """Index of the last row (axis=1) or column (axis=0) holding ink, or None."""
    hits = np.flatnonzero(mask.any(axis=axis))
    return int(hits[-1]) if hits.size else None


def finish(page, s, last_page):
    """Stretch the width by horizontal-scale (PIL bicubic), then crop to the ink plus margins."""
    if s.scale != 1.0:
        page = page.resize((int(page.width * s.scale), page.height), Image.Resampling.BICUBIC)
    crop_height = s.crop_last and last_page
    if not (s.crop_width or crop_height):
        return page
    gray = np.asarray(page.convert("L"), dtype=np.float64)
    # Ink: more than 5 levels away from the median of the top-left 2x2 pixels.
    ink = np.abs(gray - np.median(gray[:2, :2])) > 5
    width, height = page.width, page.height
    if s.crop_width:
        column = last_ink(ink, 0)
        if column is not None:
            width = min(width, column + 1 + s.margin_x)
    if crop_height:
        row = last_ink(ink, 1)
        if row is not None:
            # The pipeline keeps margin-y rows from the last ink row, that row included.
            height = min(height, row + s.margin_y)
    return page.crop((0, 0, width, height))


TAG = re.compile(r'<page\b|<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>|'
                 r"<word\b[^>]*>(.*?)</word>|</line>", re.S)


def pdf_lines(pdf_path):
    """Text lines of the PDF as pdftotext -bbox-layout reads them, sorted by page, y, x."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", pdf_path, "-"], check=True,
                         capture_output=True, text=True).stdout
    lines, page, current = [], 0, None
    for m in TAG.finditer(xml):
        token = m.group(0)
        if token.startswith("<page"):
            page += 1
        elif token.startswith("<line"):
            current = {"page": page, "y": float(m.group(2)), "x0": float(m.group(1)),
                       "x1": float(m.group(3)), "words": []}
        elif token == "</line>":
            lines.append(current)
            current = None
        elif current is not None:
            current["words"].append(html.unescape(m.group(4)))
    return sorted(lines, key=lambda line: (line["page"], line["y"], line["x0"]))


def render(text, config, out_dir, layout_path=None):
    s = Settings(config)
    started = time.perf_counter()
    pdf = typeset(text, s)
    typeset_done = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    sizes = []
    with tempfile.TemporaryDirectory() as scratch:
        pdf_path = os.path.join(scratch, "pages.pdf")
        with open(pdf_path, "wb") as fh:
            fh.write(pdf)
        rasters = raster_files(pdf_path, s.dpi, scratch)
        for number, path in enumerate(rasters, start=1):
            with Image.open(path) as raw:
                page = finish(raw.convert("RGB"), s, number == len(rasters))
            page.save(os.path.join(out_dir, f"page_{number:03d}.png"), "PNG")
            sizes.append([page.width, page.height])
        raster_done = time.perf_counter()
        if layout_path:
            with open(layout_path, "w", encoding="utf-8") as fh:
                for line in pdf_lines(pdf_path):
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {"pages": len(sizes), "sizes": sizes, "typeset_s": round(typeset_done - started, 4),
            "raster_s": round(raster_done - typeset_done, 4), "total_s": round(raster_done - started, 4)}


def read_config(path, sets):
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    for item in sets:
        key, _, value = item.partition("=")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    font = config.get("font-path")
    if font and not os.path.isabs(font):
        config["font-path"] = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), font))
    return config


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="Glyph config JSON (hyphenated keys)")
    ap.add_argument("--input", required=True, help="UTF-8 text file, or - for stdin")
    ap.add_argument("--out", required=True, help="folder for page_NNN.png")
    ap.add_argument("--layout", help="write the PDF's text lines here (JSON lines)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key (the value is JSON when it parses as JSON)")
    args = ap.parse_args(argv)
    config = read_config(args.config, args.set)
    if args.input == "-":
        text = sys.stdin.read()
    else:
        with open(args.input, encoding="utf-8") as fh:  # universal newlines, as the pipeline reads
            text = fh.read()
    print(json.dumps(render(text, config, args.out, args.layout)))


if __name__ == "__main__":
    main(sys.argv[1:])
