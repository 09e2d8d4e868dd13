// Unicode normalization (src/util/normalize): byte-identical to ICU's
// normalizeUTF8 for NFC, NFD, NFKC and NFKD on thousands of random strings
// mixing starters, combining marks of many classes, Hangul, composition
// exclusions, singletons and long runs of marks; and linear enough that
// megabytes of marks out of canonical order (minutes in ICU alone) finish at once.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "util/normalize.h"

namespace {

std::string utf8(const std::u32string& text) {
    std::string out;
    for (char32_t c : text) icu::UnicodeString(UChar32(c)).toUTF8String(out);
    return out;
}

std::string icu_normalized(const icu::Normalizer2& form, const std::string& text) {
    std::string out;
    icu::StringByteSink<std::string> sink(&out);
    UErrorCode status = U_ZERO_ERROR;
    form.normalizeUTF8(0, icu::StringPiece(text.data(), int32_t(text.size())), sink, nullptr, status);
    EXPECT_TRUE(U_SUCCESS(status));
    return out;
}

// What glyph::normalize_utf8 makes of `text`: the input itself when it
// reports the text already normalized.
std::string ours(const icu::Normalizer2& form, const std::string& text) {
    std::string out;
    UErrorCode status = U_ZERO_ERROR;
    const bool changed = glyph::normalize_utf8(form, text, out, status);
    EXPECT_TRUE(U_SUCCESS(status));
    return changed ? out : text;
}

struct Form {
    const char* name;
    const icu::Normalizer2* normalizer;
};

std::vector<Form> forms() {
    UErrorCode status = U_ZERO_ERROR;
    std::vector<Form> all = {{"NFC", icu::Normalizer2::getNFCInstance(status)},
                             {"NFD", icu::Normalizer2::getNFDInstance(status)},
                             {"NFKC", icu::Normalizer2::getNFKCInstance(status)},
                             {"NFKD", icu::Normalizer2::getNFKDInstance(status)}};
    EXPECT_TRUE(U_SUCCESS(status));
    return all;
}

// Starters, among them ones that decompose, compose, or are excluded from composition.
const std::u32string kStarters =
    U"aAeEoOsuwxyz .,1"           // ASCII
    U"\u00C0\u00C5\u00E9\u00A8"   // precomposed Latin, a compatibility spacing diaeresis
    U"\u1E69\u1E0B\u01D5\u1FC1"   // two-mark decompositions, Greek with dialytika and perispomeni
    U"\u212B\u2126\u0958\u2ADC"   // singletons and composition exclusions
    U"\uFB01\uFDFA\u3300\u00BD"   // compatibility ligatures, squared word, fraction
    U"\u1100\u1112\uAC00\uAC01\uD7A3"  // Hangul L jamo, LV and LVT syllables
    U"\u0915\u0B47\u0DD9\u1025"   // letters a following vowel sign composes with
    U"\u4E2D\u3042\u304B\u30AB"   // CJK, kana that take voicing marks
    U"\U0001D15E\U00010000";      // supplementary: a musical note with a decomposition

// Characters with no normalization boundary before them: marks of many
// combining classes, marks that decompose, ccc-0 characters that compose
// backwards (vowel signs, Hangul V and T jamo) or decompose into marks.
const std::u32string kNonStarters =
    U"\u0301\u0300\u0308\u0342\u0345\u0316\u0323\u0327\u0328\u031B\u0334\u0338"  // 230 220 202 216 240 1 ...
    U"\u0340\u0341\u0343\u0344"                  // singletons and a two-mark decomposition
    U"\u05B0\u05B4\u05BC\u05C1\u0E38\u0E48"      // Hebrew and Thai classes 10-107
    U"\u0F71\u0F72\u0F73\u0F74\u0F75\u0F80\u0F81\u0F77"  // Tibetan 129/130/132, ccc-0 ones that decompose into them
    U"\u093C\u094D\u0B3E\u0B56\u0B57\u0DCA\u0DCF\u102E"  // nukta, virama, vowel signs that compose backwards
    U"\u1161\u1175\u11A8\u11C2"                  // Hangul V and T jamo
    U"\u3099\u309A\u20D2\u20E1\uFE20"            // kana voicing (ccc 8), enclosing and half marks
    U"\U0001D165\U0001D16D\U0001D172";           // supplementary marks (216, 226, 216)

std::u32string random_text(std::mt19937& rng) {
    std::u32string text;
    const int blocks = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int b = 0; b < blocks; ++b) {
        const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
        if (kind < 4) {
            text += kStarters[std::uniform_int_distribution<size_t>(0, kStarters.size() - 1)(rng)];
        } else if (kind < 9) {
            // Runs long enough, often, to go past the length ICU is left alone with.
            const int run = std::uniform_int_distribution<int>(0, kind == 8 ? 300 : 12)(rng);
            for (int i = 0; i < run; ++i)
                text += kNonStarters[std::uniform_int_distribution<size_t>(0, kNonStarters.size() - 1)(rng)];
        } else {
            char32_t c;
            do c = std::uniform_int_distribution<char32_t>(0x80, 0x10FFFF)(rng);
            while (c >= 0xD800 && c <= 0xDFFF);
            text += c;
        }
    }
    return text;
}

TEST(Normalize, IdenticalToIcuOnRandomStrings) {
    std::mt19937 rng(20251017);
    for (int i = 0; i < 6000; ++i) {
        const std::string text = utf8(random_text(rng));
        for (const Form& form : forms())
            ASSERT_EQ(ours(*form.normalizer, text), icu_normalized(*form.normalizer, text))
                << form.name << " on string " << i;
    }
}

TEST(Normalize, IdenticalToIcuOnLongRunsOfMarks) {
    const std::vector<std::u32string> marks = {U"\u0301\u0316", U"\u0F73", U"\u0F71\u0F72", U"\u0345\u0301\u0316\u05B0",
                                               U"\u0344\u0327", U"\U0001D165\u0301", U"\u3099\u0301"};
    const std::vector<std::u32string> bases = {U"", U"a", U"\u1E69", U"\u212B", U"\u0B47", U"\uAC00", U"\u1100"};
    for (const std::u32string& base : bases) {
        for (const std::u32string& unit : marks) {
            for (size_t length : {63, 64, 65, 200, 1500}) {
                std::u32string text = base;
                while (text.size() < length) text += unit;
                text += U"b\u0301";
                const std::string bytes = utf8(text);
                for (const Form& form : forms())
                    ASSERT_EQ(ours(*form.normalizer, bytes), icu_normalized(*form.normalizer, bytes))
                        << form.name << ", " << length << " code points";
            }
        }
    }
}

TEST(Normalize, RangesTakenAsBoundariesAreBoundariesInEveryForm) {
    for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
        if (!glyph::always_starts_segment(c)) continue;
        for (const Form& form : forms()) ASSERT_TRUE(form.normalizer->hasBoundaryBefore(c)) << form.name << " U+" << std::hex << c;
    }
}

TEST(Normalize, ReportsNormalizedTextAsUnchanged) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2& nfc = *icu::Normalizer2::getNFCInstance(status);
    std::string out = "untouched";
    EXPECT_FALSE(glyph::normalize_utf8(nfc, "caf\u00E9 \u4E2D\u6587", out, status));
    EXPECT_EQ(out, "untouched");
    EXPECT_TRUE(glyph::normalize_utf8(nfc, "cafe\u0301", out, status));
    EXPECT_EQ(out, "caf\u00E9");
}

// 2 MB of alternating combining classes after one letter: ICU alone takes
// tens of minutes on this. Canonical order puts the 220s first, then the
// letter composes with the first 230 (acute), which no 230 blocks.
TEST(Normalize, MegabytesOfMarksOutOfOrder) {
    constexpr size_t kPairs = 500000;
    std::u32string text = U"a";
    for (size_t i = 0; i < kPairs; ++i) text += U"\u0301\u0316";
    const std::string bytes = utf8(text);
    std::u32string expected = U"\u00E1";
    expected.append(kPairs, U'\u0316');
    expected.append(kPairs - 1, U'\u0301');

    UErrorCode status = U_ZERO_ERROR;
    EXPECT_EQ(ours(*icu::Normalizer2::getNFCInstance(status), bytes), utf8(expected));
    std::u32string decomposed = U"a";
    decomposed.append(kPairs, U'\u0316');
    decomposed.append(kPairs, U'\u0301');
    EXPECT_EQ(ours(*icu::Normalizer2::getNFKDInstance(status), bytes), utf8(decomposed));
    // A ccc-0 character that decomposes into two marks of different classes.
    const std::string tibetan = utf8(std::u32string(700000, U'\u0F73'));
    std::u32string tibetan_nfd;
    tibetan_nfd.append(700000, U'\u0F71');
    tibetan_nfd.append(700000, U'\u0F72');
    EXPECT_EQ(ours(*icu::Normalizer2::getNFCInstance(status), tibetan), utf8(tibetan_nfd));
}

}  // namespace
