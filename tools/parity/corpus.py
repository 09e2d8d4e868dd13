#!/usr/bin/python3
"""Deterministic generator of test texts for renderer parity and benchmarks.

Every text is original, made from small built-in word lists and a seeded
random generator, so the same (kind, size, seed) always gives the same bytes.

  corpus.py kinds                              list the kinds of text
  corpus.py text KIND [--chars N] [--seed S]   one text on stdout
  corpus.py write DIR [--sizes ...] [--kinds ...] [--seed S]
                                               DIR/<kind>_<size>.txt for each pair
  corpus.py novel [--chars N] [--seed S] [--out FILE]
                                               novel-length English prose
"""
import argparse
import os
import random
import sys

# --- English vocabulary -----------------------------------------------------
# Word lists are grouped by part of speech so sentences read like prose and
# the word-length distribution (short function words, longer content words)
# looks like real English.

NAMES = ("Mara", "Tobias", "Ilse", "Corin", "Agnes", "Felix", "Noor", "Hollis", "Petra", "Emeric",
         "Juno", "Bastian", "Odile", "Rafe", "Signe", "Lucan", "Wren", "Ansel", "Delphine", "Kit")
PLACES = ("the harbour", "the old mill", "Greyford", "the station", "the orchard", "the lighthouse",
          "Marrow Street", "the archive", "the river bank", "the glasshouse", "Saltmarsh Lane",
          "the ferry landing", "the upper meadow", "the schoolhouse", "the market square")
ADJECTIVES = ("quiet", "narrow", "heavy", "bright", "cold", "unfamiliar", "patient", "crooked",
              "weathered", "pale", "restless", "ordinary", "distant", "careful", "hollow", "faded",
              "stubborn", "gentle", "enormous", "brittle", "luminous", "tired", "remarkable",
              "uncertain", "damp", "silver", "small", "long", "warm", "particular", "abandoned")
NOUNS = ("door", "window", "letter", "lamp", "road", "coat", "table", "garden", "morning", "voice",
         "staircase", "notebook", "bridge", "wind", "evening", "kitchen", "lantern", "photograph",
         "harbour", "chair", "clock", "field", "silence", "promise", "rumour", "ledger", "corridor",
         "envelope", "afternoon", "conversation", "handkerchief", "weather", "map", "key", "boat",
         "shadow", "ceiling", "suitcase", "telegram", "cupboard", "hill", "fence", "question")
VERBS = ("opened", "carried", "watched", "remembered", "folded", "followed", "crossed", "found",
         "noticed", "closed", "pulled", "described", "ignored", "repaired", "considered", "held",
         "studied", "answered", "lifted", "counted", "abandoned", "examined", "explained", "kept")
INTRANSITIVE = ("waited", "hesitated", "laughed", "listened", "walked on", "sat down", "shrugged",
                "looked away", "stood still", "went quiet", "smiled", "turned back", "sighed")
ADVERBS = ("slowly", "quietly", "again", "carefully", "at last", "without a word", "almost at once",
           "for a long time", "more or less", "deliberately", "somewhat reluctantly", "as usual")
PREPOSITIONS = ("across", "beside", "under", "behind", "towards", "along", "through", "beyond",
                "near", "against", "past", "around")
CONNECTIVES = ("but", "and", "because", "although", "while", "so", "until", "since")
OPENERS = ("Later that day", "In the end", "For a moment", "By the time the rain stopped",
           "Years afterwards", "Even then", "Before long", "On the third morning", "Still",
           "Somewhere below", "As it happened", "That winter")
SPEECH_VERBS = ("said", "asked", "whispered", "replied", "muttered", "called", "admitted", "insisted")
UTTERANCES = ("Where were you", "I never said that", "You should have told me", "It is later than you think",
              "Leave the lamp where it is", "Nobody comes here any more", "Do you still have the key",
              "We could try the ferry", "That was not the arrangement", "I kept every letter",
              "Is that what you want", "Tell me again", "It does not matter now", "Wait for me")


def pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def noun_phrase(rng):
    r = rng.random()
    if r < 0.35:
        return "the " + pick(rng, NOUNS)
    if r < 0.65:
        return "the " + pick(rng, ADJECTIVES) + " " + pick(rng, NOUNS)
    if r < 0.8:
        adjective = pick(rng, ADJECTIVES)
        return ("an " if adjective[0] in "aeiou" else "a ") + adjective + " " + pick(rng, NOUNS)
    if r < 0.9:
        return pick(rng, NAMES) + "'s " + pick(rng, NOUNS)
    return "the " + pick(rng, NOUNS) + " of " + noun_phrase(rng)


def clause(rng):
    subject = pick(rng, NAMES) if rng.random() < 0.6 else pick(rng, ("she", "he", "they", "nobody", "everyone"))
    r = rng.random()
    if r < 0.55:
        parts = [subject, pick(rng, VERBS), noun_phrase(rng)]
    elif r < 0.8:
        parts = [subject, pick(rng, INTRANSITIVE)]
    else:
        parts = [subject, pick(rng, VERBS), noun_phrase(rng), pick(rng, PREPOSITIONS), pick(rng, PLACES)]
    if rng.random() < 0.3:
        parts.append(pick(rng, ADVERBS))
    if rng.random() < 0.25:
        parts += [pick(rng, PREPOSITIONS), noun_phrase(rng)]
    return " ".join(parts)


def capitalise(s):
    return s[:1].upper() + s[1:]


def sentence(rng):
    r = rng.random()
    if r < 0.15:
        body = pick(rng, OPENERS) + ", " + clause(rng)
    elif r < 0.4:
        body = clause(rng) + ", " + pick(rng, CONNECTIVES) + " " + clause(rng)
    elif r < 0.5:
        body = clause(rng) + "; " + clause(rng)
    elif r < 0.56:
        body = clause(rng) + " (" + noun_phrase(rng) + ", " + str(rng.randrange(2, 1900)) + ")"
    elif r < 0.62:
        body = clause(rng) + " \u2014 " + noun_phrase(rng) + " \u2014 " + pick(rng, CONNECTIVES) + " " + clause(rng)
    else:
        body = clause(rng)
    end = "." if rng.random() < 0.9 else pick(rng, ("?", "!", "..."))
    return capitalise(body) + end


def paragraph(rng, sentences):
    return " ".join(sentence(rng) for _ in range(sentences))


def dialogue_line(rng, curly):
    q_open, q_close = ("\u201c", "\u201d") if curly else ('"', '"')
    words = pick(rng, UTTERANCES)
    r = rng.random()
    who = pick(rng, NAMES)
    if r < 0.4:
        mark = pick(rng, ("?", ",", "!"))
        return f"{q_open}{words}{mark}{q_close} {who} {pick(rng, SPEECH_VERBS)}."
    if r < 0.6:
        return f"{who} {pick(rng, SPEECH_VERBS)}, {q_open}{words}.{q_close}"
    if r < 0.8:
        return f"{q_open}{words}\u2014{q_close} {who} stopped. {q_open}No. {pick(rng, UTTERANCES)}?{q_close}"
    return f"\u2014 {words}, {who.lower() if rng.random() < 0.1 else who} {pick(rng, SPEECH_VERBS)}. {sentence(rng)}"


# --- text kinds -------------------------------------------------------------

def gen_prose(rng, chars):
    out, n = [], 0
    while n < chars:
        p = paragraph(rng, rng.randrange(2, 9))
        out.append(p)
        n += len(p) + 1
    return "\n".join(out) + "\n"


def gen_dialogue(rng, chars):
    out, n = [], 0
    curly = True
    while n < chars:
        if rng.random() < 0.2:
            curly = not curly
        line = dialogue_line(rng, curly) if rng.random() < 0.75 else paragraph(rng, rng.randrange(1, 4))
        out.append(line)
        n += len(line) + 1
    return "\n".join(out) + "\n"


CODE_IDENTS = ("count", "buffer", "offset", "page", "line_width", "total", "items", "result", "cursor",
               "width", "height", "glyphs", "config", "index", "value", "tokens", "span", "stack")


def code_block(rng):
    name = pick(rng, CODE_IDENTS)
    a, b = pick(rng, CODE_IDENTS), pick(rng, CODE_IDENTS)
    style = rng.randrange(3)
    if style == 0:  # Python, 4-space indentation, aligned comments
        return [
            f"def measure_{name}({a}, {b}=None):",
            f'    """Return the {name} of {a} & {b} (if any)."""',
            f"    total = 0",
            f"    for i, item in enumerate({a}):",
            f"        if item < {rng.randrange(2, 99)} and i > 0:     # keep small ones",
            f"            total += item * {rng.randrange(2, 9)}",
            f"        elif {b} is not None:",
            f"            total -= len({b})          # subtract the rest",
            f"    return total",
            "",
        ]
    if style == 1:  # C with tabs
        return [
            f"static int {name}_step(const char *{a}, size_t n)",
            "{",
            f"\tint {b} = 0;",
            f"\tfor (size_t i = 0; i < n; ++i) {{",
            f"\t\tif ({a}[i] == '<' || {a}[i] == '>')",
            f"\t\t\t{b} += {rng.randrange(1, 16)};\t/* markup */",
            f"\t\telse if ({a}[i] == '&')",
            f"\t\t\t{b} <<= 1;",
            "\t}",
            f"\treturn {b};",
            "}",
            "",
        ]
    return [  # a config table aligned with runs of spaces
        f"# {name} settings",
        f"{a:<14}= {rng.randrange(0, 1000):>6}    ; primary",
        f"{b:<14}= {rng.randrange(0, 1000):>6}    ; secondary",
        f"{name + '_max':<14}= {rng.randrange(1000, 99999):>6}    ; upper bound",
        f"path          = /var/lib/{name}/{a}/{b}.dat",
        "",
    ]


def gen_code(rng, chars):
    out, n = [], 0
    while n < chars:
        block = code_block(rng)
        out += block
        n += sum(len(x) + 1 for x in block)
    return "\n".join(out) + "\n"


def gen_lists(rng, chars):
    out, n, number = [], 0, 1
    while n < chars:
        r = rng.random()
        if r < 0.3:
            item = f"- {capitalise(noun_phrase(rng))}"
        elif r < 0.5:
            item = f"* {sentence(rng)}"
        elif r < 0.75:
            item = f"{number}. {sentence(rng)}"
            number += 1
        elif r < 0.85:
            item = f"   {pick(rng, 'abcdef')}) {capitalise(noun_phrase(rng))}"
        elif r < 0.93:
            item = f"\u2022 {paragraph(rng, rng.randrange(1, 4))}"
        else:
            item = ""
            number = 1
        out.append(item)
        n += len(item) + 1
    return "\n".join(out) + "\n"


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def long_word(rng):
    r = rng.random()
    if r < 0.4:
        path = "/".join("".join(pick(rng, LETTERS) for _ in range(rng.randrange(3, 14)))
                        for _ in range(rng.randrange(6, 20)))
        query = "&".join(f"{pick(rng, CODE_IDENTS)}={rng.randrange(10**6)}" for _ in range(rng.randrange(1, 6)))
        return f"https://example.org/{path}?{query}"
    if r < 0.7:
        return "".join(pick(rng, LETTERS) for _ in range(rng.randrange(60, 400)))
    if r < 0.85:
        return "-".join(pick(rng, NOUNS) for _ in range(rng.randrange(8, 40)))
    return "".join(pick(rng, "0123456789abcdef") for _ in range(rng.randrange(64, 256)))


def gen_longwords(rng, chars):
    out, n = [], 0
    while n < chars:
        words = []
        for _ in range(rng.randrange(1, 4)):
            words.append(sentence(rng))
            words.append(long_word(rng))
        line = " ".join(words)
        out.append(line)
        n += len(line) + 1
    return "\n".join(out) + "\n"


# Common Hanzi, all in U+4E00-U+9FFF.
HANZI = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家"
         "学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经"
         "头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向"
         "情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北"
         "少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数"
         "件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记"
         "边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每"
         "青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即"
         "求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片"
         "容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落")
HANZI_PUNCT_INNER = ("，", "，", "，", "、", "：", "；")


def hanzi_word(rng):
    return "".join(pick(rng, HANZI) for _ in range(rng.choice((1, 2, 2, 2, 3, 4))))


def hanzi_sentence(rng, english=False):
    parts = []
    for _ in range(rng.randrange(2, 6)):
        chunk = "".join(hanzi_word(rng) for _ in range(rng.randrange(2, 6)))
        if english and rng.random() < 0.5:
            token = pick(rng, (pick(rng, NOUNS), pick(rng, NAMES), f"{rng.randrange(1, 2030)}",
                               f"GPU {rng.randrange(2, 128)}", "Python 3", f"v{rng.randrange(1, 9)}.{rng.randrange(10)}",
                               "HTTP/2", "the quick fox", "JSON", f"{rng.randrange(1, 100)}%"))
            chunk = chunk + (" " if rng.random() < 0.6 else "") + token + (" " if rng.random() < 0.6 else "") + hanzi_word(rng)
        r = rng.random()
        if r < 0.1:
            chunk = "\u201c" + chunk + "\u201d"
        elif r < 0.18:
            chunk = chunk + "（" + hanzi_word(rng) + "）"
        parts.append(chunk)
    body = "".join(p + pick(rng, HANZI_PUNCT_INNER) for p in parts[:-1]) + parts[-1]
    return body + pick(rng, ("。", "。", "。", "！", "？"))


def gen_chinese(rng, chars, english=False):
    out, n = [], 0
    while n < chars:
        p = "".join(hanzi_sentence(rng, english) for _ in range(rng.randrange(1, 7)))
        if english and rng.random() < 0.25:
            p = sentence(rng) + " " + p
        out.append(p)
        n += len(p) + 1
    return "\n".join(out) + "\n"


def gen_mixed(rng, chars):
    return gen_chinese(rng, chars, english=True)


def special_line(rng):
    r = rng.random()
    if r < 0.15:
        return ""
    if r < 0.3:
        return "   " + sentence(rng) + "     " + sentence(rng)
    if r < 0.42:
        words = sentence(rng).split(" ")
        return " ".join(w[: len(w) // 2] + "\u00ad" + w[len(w) // 2:] if len(w) > 5 else w for w in words)
    if r < 0.52:
        words = sentence(rng).split(" ")
        return " ".join(w + "\u200b" if rng.random() < 0.4 else w for w in words)
    if r < 0.66:
        return f"if a < b && c > d then {noun_phrase(rng)} & {noun_phrase(rng)} <tag attr=\"x\">&amp;</tag>"
    if r < 0.74:
        return sentence(rng) + "\t" + sentence(rng) + "\t\t" + "end"
    if r < 0.8:
        return " " + sentence(rng) + " "
    if r < 0.86:
        return "  "
    return paragraph(rng, rng.randrange(1, 5))


def gen_special(rng, chars):
    out, n = [], 0
    while n < chars:
        line = special_line(rng)
        out.append(line)
        n += len(line) + 1
    return "\n".join(out) + "\n\n"


def gen_longpara(rng, chars):
    """Prose with very few newlines: paragraphs of several thousand characters."""
    out, n = [], 0
    while n < chars:
        p = paragraph(rng, rng.randrange(20, 60))
        out.append(p)
        n += len(p) + 1
    return "\n".join(out) + "\n"


KINDS = {
    "prose": gen_prose,
    "dialogue": gen_dialogue,
    "code": gen_code,
    "lists": gen_lists,
    "longwords": gen_longwords,
    "chinese": gen_chinese,
    "mixed": gen_mixed,
    "special": gen_special,
    "longpara": gen_longpara,
}
# Kinds that need a CJK font (they contain Hanzi).
CJK_KINDS = ("chinese", "mixed")
SIZES = {"tiny": 1500, "small": 12000, "medium": 40000}


def make_text(kind, chars, seed):
    # The kind is part of the seed so different kinds never share a stream.
    rng = random.Random(f"{seed}:{kind}:{chars}")
    return KINDS[kind](rng, chars)


def novel(chars, seed):
    """Chapters of prose and dialogue, one paragraph per source line."""
    rng = random.Random(f"{seed}:novel")
    out, n, chapter = [], 0, 1
    while n < chars:
        heading = f"Chapter {chapter}"
        block = [heading, ""]
        for _ in range(rng.randrange(25, 60)):
            if rng.random() < 0.3:
                block.append(dialogue_line(rng, True))
            else:
                block.append(paragraph(rng, rng.randrange(2, 9)))
        block.append("")
        out += block
        n += sum(len(x) + 1 for x in block)
        chapter += 1
    text = "\n".join(out)
    # Cut at a paragraph end so the text never stops mid-sentence.
    cut = text.rfind("\n", 0, chars)
    return text[:cut if cut > 0 else chars] + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("kinds")
    t = sub.add_parser("text")
    t.add_argument("kind", choices=sorted(KINDS))
    t.add_argument("--chars", type=int, default=SIZES["small"])
    t.add_argument("--seed", default="1")
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    w.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    w.add_argument("--seed", default="1")
    nv = sub.add_parser("novel")
    nv.add_argument("--chars", type=int, default=1_000_000)
    nv.add_argument("--seed", default="1")
    nv.add_argument("--out")
    args = ap.parse_args(argv)

    if args.cmd == "kinds":
        print("\n".join(KINDS))
    elif args.cmd == "text":
        sys.stdout.write(make_text(args.kind, args.chars, args.seed))
    elif args.cmd == "write":
        os.makedirs(args.dir, exist_ok=True)
        for kind in args.kinds:
            for size in args.sizes:
                write_atomic(os.path.join(args.dir, f"{kind}_{size}.txt"), make_text(kind, SIZES[size], args.seed))
    elif args.cmd == "novel":
        text = novel(args.chars, args.seed)
        if args.out:
            write_atomic(args.out, text)
        else:
            sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
