#!/usr/bin/env python3
"""The paragraphs of HTML pages as plain text, one paragraph a line.

Takes every <p> inside <main> that is not inside a <pre> code block, folds
its whitespace and unescapes its entities. Used to make held-out English
prose for `glyph search` from HTML books found on a machine (docs/search.md):

    python3 tools/bench/html_paragraphs.py CHAPTER.html ... > prose.txt
"""
import html.parser
import sys


class Paragraphs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.in_pre = 0
        self.in_p = False
        self.parts = []
        self.paragraphs = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.in_main += 1
        elif tag == "pre":
            self.in_pre += 1
        elif tag == "p" and self.in_main and not self.in_pre:
            self.in_p = True
            self.parts = []

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main -= 1
        elif tag == "pre":
            self.in_pre -= 1
        elif tag == "p" and self.in_p:
            self.in_p = False
            text = " ".join("".join(self.parts).split())
            if text:
                self.paragraphs.append(text)

    def handle_data(self, data):
        if self.in_p and not self.in_pre:
            self.parts.append(data)


def main():
    out = []
    for path in sys.argv[1:]:
        parser = Paragraphs()
        with open(path, encoding="utf-8") as f:
            parser.feed(f.read())
        out.extend(parser.paragraphs)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
