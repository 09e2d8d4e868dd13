// Token ids back to text, for byte-level BPE tokenizers, as Hugging Face's
// decode(ids, skip_special_tokens) does: each id's spelling (an added token's
// content, else its vocabulary string), each spelling mapped back through
// the byte-level alphabet (a spelling with a code point outside it is taken
// as its own UTF-8, as the Rust ByteLevel decoder does), the bytes read as
// UTF-8 with U+FFFD for broken sequences. The compiled image holds no
// spellings, so the vocabulary is read from tokenizer.json on first use:
// only callers that decode (LongBench's prompt truncation) pay for it.
#include <fstream>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "glyph/tokenizer.h"
#include "tokens/byte_level.h"
#include "tokens/tokenizer_model.h"

namespace glyph {

namespace {

struct Spellings {
    std::vector<std::string> by_id;
    std::vector<bool> special;
};

Spellings read_spellings(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TokenizerError("tokenizer " + path + ": cannot be read to decode");
    std::stringstream ss;
    ss << in.rdbuf();
    const nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (!j.is_object()) throw TokenizerError("tokenizer " + path + ": not JSON");
    const auto decoder = j.find("decoder");
    if (decoder == j.end() || !decoder->is_object() || decoder->value("type", "") != "ByteLevel")
        throw TokenizerError("tokenizer " + path +
                             ": decoding is implemented for ByteLevel decoders (Qwen, Llama 3, GPT-4o, ...) only");
    Spellings s;
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
    return s;
}

}  // namespace

struct Tokenizer::Model::Decoding {
    std::once_flag once;
    Spellings spellings;
    std::exception_ptr error;
};

std::shared_ptr<Tokenizer::Model::Decoding> Tokenizer::Model::new_decoding() { return std::make_shared<Decoding>(); }

std::string Tokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const {
    Model::Decoding& d = *model_->decoding;
    std::call_once(d.once, [&] {
        try {
            d.spellings = read_spellings(model_->path);
        } catch (...) {
            d.error = std::current_exception();
        }
    });
    if (d.error) std::rethrow_exception(d.error);
    std::string bytes, token_bytes;
    for (const uint32_t id : ids) {
        if (id >= d.spellings.by_id.size()) throw TokenizerError("token id " + std::to_string(id) + " is not in the vocabulary");
        if (skip_special_tokens && d.spellings.special[id]) continue;
        const std::string& spelling = d.spellings.by_id[id];
        token_bytes.clear();
        if (tokens::decode_byte_level(spelling, token_bytes)) bytes += token_bytes;
        else bytes += spelling;
    }
    return repair_utf8(bytes);
}

}  // namespace glyph
