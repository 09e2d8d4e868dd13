// Token ids back to text as Hugging Face's decode(ids, skip_special_tokens)
// does: each id's spelling (an added token's content, else its vocabulary
// string), special tokens dropped when asked, then the tokenizer.json's
// decoder chain over the list of spellings, then the pieces joined. The
// decoders are those of byte-level files (ByteLevel) and of SentencePiece-style
// ones (Metaspace; Replace, ByteFallback, Fuse and Strip in a Sequence, as
// Llama 2's). The compiled image holds no spellings, so the vocabulary and
// decoder are read from tokenizer.json on first use: only callers that decode
// (LongBench's prompt truncation) pay for it.
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "glyph/tokenizer.h"
#include "tokens/byte_level.h"
#include "tokens/step_settings.h"
#include "tokens/tokenizer_model.h"
#include "tokens/utf8_scan.h"

namespace glyph {

namespace {

using nlohmann::json;

struct Spellings {
    std::vector<std::string> by_id;
    std::vector<bool> special;
};

// One decoder of the chain, as Hugging Face's tokenizers applies it to the
// list of token strings.
struct DecodeStep {
    enum class Kind : uint8_t { ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip };
    Kind kind = Kind::Fuse;
    std::string pattern;  // Replace: this literal ...
    std::string content;  // ... becomes this; Strip: the code point removed; Metaspace: the mark
    size_t start = 0, stop = 0;    // Strip: at most this many from the front / back of each token
    bool drop_first_marks = false;  // Metaspace: the first token's marks vanish (prepend_scheme not never)
};

using Tokens = std::vector<std::string>;

// All tokens as one: their bytes through the byte-level alphabet (a spelling
// outside it counts as its own UTF-8), read with U+FFFD for broken sequences.
void decode_byte_level(Tokens& tokens) {
    std::string bytes, token_bytes;
    for (const std::string& token : tokens) {
        token_bytes.clear();
        if (tokens::decode_byte_level(token, token_bytes)) bytes += token_bytes;
        else bytes += token;
    }
    tokens.assign(1, repair_utf8(bytes));
}

void decode_metaspace(const DecodeStep& step, Tokens& tokens) {
    for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = replace_all(tokens[i], step.content, i == 0 && step.drop_first_marks ? "" : " ");
}

// <0xXX> tokens in a row become their bytes: one token when they form valid
// UTF-8, else one U+FFFD per byte (as the Rust decoder does).
void decode_byte_fallback(Tokens& tokens) {
    Tokens out;
    std::string bytes;
    size_t byte_count = 0;
    const auto flush = [&] {
        if (byte_count == 0) return;
        if (tokens::valid_utf8_prefix(bytes, 0) == bytes.size()) out.push_back(bytes);
        else
            for (size_t i = 0; i < byte_count; ++i) out.emplace_back("\xEF\xBF\xBD");
        bytes.clear();
        byte_count = 0;
    };
    for (std::string& token : tokens) {
        if (token.size() == 6 && token.starts_with("<0x") && token.back() == '>' && std::isxdigit(uint8_t(token[3])) &&
            std::isxdigit(uint8_t(token[4]))) {
            bytes.push_back(char(std::stoi(token.substr(3, 2), nullptr, 16)));
            ++byte_count;
            continue;
        }
        flush();
        out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
}

void decode_strip(const DecodeStep& step, Tokens& tokens) {
    for (std::string& token : tokens) {
        size_t begin = 0, end = token.size();
        for (size_t n = 0; n < step.start && token.compare(begin, step.content.size(), step.content) == 0; ++n)
            begin += step.content.size();
        for (size_t n = 0; n < step.stop && end >= begin + step.content.size() &&
                           token.compare(end - step.content.size(), step.content.size(), step.content) == 0;
             ++n)
            end -= step.content.size();
        token = token.substr(begin, end - begin);
    }
}

void apply(const DecodeStep& step, Tokens& tokens) {
    switch (step.kind) {
        case DecodeStep::Kind::ByteLevel: decode_byte_level(tokens); return;
        case DecodeStep::Kind::Metaspace: decode_metaspace(step, tokens); return;
        case DecodeStep::Kind::Replace:
            for (std::string& token : tokens) token = replace_all(token, step.pattern, step.content);
            return;
        case DecodeStep::Kind::ByteFallback: decode_byte_fallback(tokens); return;
        case DecodeStep::Kind::Fuse: {
            std::string all;
            for (const std::string& token : tokens) all += token;
            tokens.assign(1, std::move(all));
            return;
        }
        case DecodeStep::Kind::Strip: decode_strip(step, tokens); return;
    }
}

class DecoderReader {
public:
    explicit DecoderReader(const std::string& path) : path_(path) {}

    std::vector<DecodeStep> read(const json& decoder) {
        if (decoder.is_null()) fail("has no \"decoder\"; " + std::string(kSupported));
        add(decoder);
        return std::move(steps_);
    }

private:
    static constexpr const char* kSupported =
        "decoding supports the decoders ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip and Sequence of these";

    [[noreturn]] void fail(const std::string& what) const { throw TokenizerError("tokenizer " + path_ + ": " + what); }

    static bool one_code_point(const std::string& s) {
        return !s.empty() && tokens::utf8_sequence_length(s, 0) == s.size();
    }

    void add(const json& j) {
        if (!j.is_object()) fail("a decoder is not an object");
        const std::string type = j.value("type", std::string("(none)"));
        DecodeStep step;
        if (type == "Sequence") {
            auto list = j.find("decoders");
            if (list == j.end() || !list->is_array()) fail("Sequence decoder has no \"decoders\" list");
            for (const json& item : *list) add(item);
            return;
        } else if (type == "ByteLevel") {
            step.kind = DecodeStep::Kind::ByteLevel;
        } else if (type == "Metaspace") {
            step.kind = DecodeStep::Kind::Metaspace;
            MetaspaceRule rule;
            if (const std::string why = read_metaspace_rule(j, "Metaspace decoder", rule); !why.empty()) fail(why);
            step.content = std::move(rule.replacement);
            step.drop_first_marks = rule.prepend != PreTokenizeStep::Prepend::Never;
        } else if (type == "Replace") {
            step.kind = DecodeStep::Kind::Replace;
            ReplaceRule rule;
            if (const std::string why = read_replace_rule(j, "Replace decoder", rule); !why.empty()) fail(why);
            step.pattern = std::move(rule.pattern);
            step.content = std::move(rule.content);
        } else if (type == "ByteFallback") {
            step.kind = DecodeStep::Kind::ByteFallback;
        } else if (type == "Fuse") {
            step.kind = DecodeStep::Kind::Fuse;
        } else if (type == "Strip") {
            step.kind = DecodeStep::Kind::Strip;
            auto content = j.find("content");
            auto start = j.find("start");
            auto stop = j.find("stop");
            if (content == j.end() || !content->is_string() || !one_code_point(content->get<std::string>()))
                fail("Strip decoder: \"content\" must be a string of one character");
            if (start == j.end() || !start->is_number_unsigned() || stop == j.end() || !stop->is_number_unsigned())
                fail("Strip decoder: \"start\" and \"stop\" must be counts");
            step.content = content->get<std::string>();
            step.start = start->get<size_t>();
            step.stop = stop->get<size_t>();
        } else {
            fail("decoder " + type + " is not supported (" + kSupported + ")");
        }
        steps_.push_back(std::move(step));
    }

    const std::string& path_;
    std::vector<DecodeStep> steps_;
};

struct Decoder {
    Spellings spellings;
    std::vector<DecodeStep> steps;
};

Decoder read_decoder(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TokenizerError("tokenizer " + path + ": cannot be read to decode");
    std::stringstream ss;
    ss << in.rdbuf();
    const json j = json::parse(ss.str(), nullptr, false);
    if (!j.is_object()) throw TokenizerError("tokenizer " + path + ": not JSON");
    Decoder d;
    d.steps = DecoderReader(path).read(j.contains("decoder") ? j["decoder"] : json());
    Spellings& s = d.spellings;
    auto put = [&](uint64_t id, std::string spelling, bool special) {
        if (id >= (uint64_t(1) << 24)) throw TokenizerError("tokenizer " + path + ": token id " + std::to_string(id) + " is out of range");
        if (id >= s.by_id.size()) {
            s.by_id.resize(id + 1);
            s.special.resize(id + 1);
        }
        s.by_id[id] = std::move(spelling);
        s.special[id] = special;
    };
    const auto model = j.find("model");
    if (model != j.end() && model->is_object() && model->contains("vocab") && (*model)["vocab"].is_object())
        for (const auto& [spelling, id] : (*model)["vocab"].items())
            if (id.is_number_unsigned()) put(id.get<uint64_t>(), spelling, false);
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
        for (const auto& t : j["added_tokens"])
            if (t.is_object() && t.contains("id") && t["id"].is_number_unsigned() && t.contains("content") &&
                t["content"].is_string())
                put(t["id"].get<uint64_t>(), t["content"].get<std::string>(), t.value("special", false));
    return d;
}

}  // namespace

struct Tokenizer::Model::Decoding {
    std::once_flag once;
    Decoder decoder;
    std::exception_ptr error;
};

std::shared_ptr<Tokenizer::Model::Decoding> Tokenizer::Model::new_decoding() { return std::make_shared<Decoding>(); }

std::string Tokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const {
    Model::Decoding& d = *model_->decoding;
    std::call_once(d.once, [&] {
        try {
            d.decoder = read_decoder(model_->path);
        } catch (...) {
            d.error = std::current_exception();
        }
    });
    if (d.error) std::rethrow_exception(d.error);
    const Spellings& spellings = d.decoder.spellings;
    Tokens tokens;
    tokens.reserve(ids.size());
    for (const uint32_t id : ids) {
        if (id >= spellings.by_id.size()) throw TokenizerError("token id " + std::to_string(id) + " is not in the vocabulary");
        if (skip_special_tokens && spellings.special[id]) continue;
        tokens.push_back(spellings.by_id[id]);
    }
    for (const DecodeStep& step : d.decoder.steps) apply(step, tokens);
    std::string text;
    for (const std::string& token : tokens) text += token;
    return repair_utf8(text);
}

}  // namespace glyph
