#include "tokens/model_image.h"

#include <cstring>
#include <optional>

namespace glyph::tokens {
namespace {

class ImageWriter {
public:
    template <class T>
    void put(T value) {
        out_.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    void put_string(std::string_view s) {
        put(uint32_t(s.size()));
        out_.append(s);
    }
    // A bulk section: its length, then its bytes from the next multiple of 8.
    void put_block(std::span<const std::byte> bytes) {
        put(uint64_t(bytes.size()));
        align();
        out_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    std::string take() {
        align();
        return std::move(out_);
    }

private:
    void align() { out_.resize((out_.size() + 7) / 8 * 8, '\0'); }
    std::string out_;
};

// Reads what ImageWriter wrote; every read is bounds-checked, and any
// failure makes ok() false for good (the image is then refused).
class ImageReader {
public:
    explicit ImageReader(std::string_view image) : image_(image) {}

    template <class T>
    T get() {
        T value{};
        if (!take(sizeof value)) return value;
        std::memcpy(&value, image_.data() + at_ - sizeof value, sizeof value);
        return value;
    }
    bool get_flag() { return get<uint8_t>() != 0; }
    std::string get_string() {
        const auto size = get<uint32_t>();
        if (!take(size)) return {};
        return std::string(image_.substr(at_ - size, size));
    }
    std::span<const std::byte> get_block() {
        const auto size = get<uint64_t>();
        at_ = (at_ + 7) / 8 * 8;
        if (!take(size)) return {};
        return {reinterpret_cast<const std::byte*>(image_.data() + at_ - size), size_t(size)};
    }
    void refuse() { ok_ = false; }
    bool ok() const { return ok_; }
    bool at_end() const { return (at_ + 7) / 8 * 8 == image_.size(); }

private:
    bool take(uint64_t n) {
        if (!ok_ || at_ > image_.size() || n > image_.size() - at_) {
            ok_ = false;
            return false;
        }
        at_ += size_t(n);
        return true;
    }
    std::string_view image_;
    size_t at_ = 0;
    bool ok_ = true;
};

}  // namespace

std::string encode_model_image(const Tokenizer::Model& model) {
    ImageWriter w;
    w.put(uint64_t(model.vocab_size));
    w.put(uint32_t(model.normalizers.size()));
    for (const NormalizeStep& step : model.normalizers) {
        w.put(uint8_t(step.kind));
        w.put(uint8_t(step.form));
        w.put_string(step.pattern);
        w.put_string(step.content);
    }
    w.put(uint32_t(model.steps.size()));
    for (const PreTokenizeStep& step : model.steps) {
        w.put(uint8_t(step.byte_level));
        w.put(uint8_t(step.add_prefix_space));
        w.put(uint8_t(step.keep_gaps));
        w.put(uint8_t(step.regex != nullptr));
        w.put_string(step.regex ? step.regex->source() : std::string());
        w.put(uint8_t(step.metaspace));
        w.put(uint8_t(step.prepend));
        w.put(uint8_t(step.split_at_replacement));
        w.put_string(step.replacement);
    }
    w.put(uint32_t(model.added.size()));
    for (const AddedTokenRule& token : model.added) {
        w.put(token.id);
        w.put(uint8_t(token.lstrip));
        w.put(uint8_t(token.rstrip));
        w.put_string(token.content);
    }
    w.put(uint8_t(model.char_level));
    w.put_block(std::as_bytes(std::span(model.byte_ids)));
    w.put(uint8_t(model.byte_fallback));
    w.put_block(std::as_bytes(std::span(model.fallback_ids)));
    w.put(model.unk_id);
    w.put(uint8_t(model.fuse_unk));
    w.put(uint8_t(model.cut_before_space_mark));
    w.put(uint32_t(model.joined_before_space_mark.size()));
    for (const std::string& code_point : model.joined_before_space_mark) w.put_string(code_point);
    w.put(uint64_t(model.merges.size()));
    w.put_block(model.merges.bytes());
    w.put(uint8_t(model.ignore_merges));
    if (model.has_word_table()) {
        w.put(uint64_t(model.vocab_by_bytes.size()));
        w.put_block(model.vocab_by_bytes.slot_bytes());
        w.put_block(std::as_bytes(std::span(model.vocab_by_bytes.key_bytes())));
    }
    return w.take();
}

std::shared_ptr<Tokenizer::Model> decode_model_image(std::shared_ptr<const void> owner, std::string_view image,
                                                     const std::string& path) {
    ImageReader r(image);
    auto model = std::make_shared<Tokenizer::Model>();
    model->path = path;
    model->image = std::move(owner);
    const auto vocab_size = r.get<uint64_t>();
    if (vocab_size == 0 || vocab_size > UINT32_MAX) return nullptr;
    model->vocab_size = size_t(vocab_size);
    const auto id_limit = uint32_t(vocab_size);

    for (auto n = r.get<uint32_t>(); r.ok() && n > 0; --n) {
        NormalizeStep step;
        const auto kind = r.get<uint8_t>();
        const auto form = r.get<uint8_t>();
        step.pattern = r.get_string();
        step.content = r.get_string();
        if (!r.ok() || kind > uint8_t(NormalizeStep::Kind::Prepend) || form > uint8_t(NormalForm::NFKD)) return nullptr;
        step.kind = NormalizeStep::Kind(kind);
        step.form = NormalForm(form);
        if (step.kind == NormalizeStep::Kind::Unicode) step.normalizer = &icu_normalizer(step.form);
        if (step.kind == NormalizeStep::Kind::Replace && step.pattern.empty()) return nullptr;
        model->normalizers.push_back(std::move(step));
    }
    for (auto n = r.get<uint32_t>(); r.ok() && n > 0; --n) {
        PreTokenizeStep step;
        step.byte_level = r.get_flag();
        step.add_prefix_space = r.get_flag();
        step.keep_gaps = r.get_flag();
        const bool has_regex = r.get_flag();
        const std::string pattern = r.get_string();
        step.metaspace = r.get_flag();
        const auto prepend = r.get<uint8_t>();
        step.split_at_replacement = r.get_flag();
        step.replacement = r.get_string();
        if (!r.ok() || prepend > uint8_t(PreTokenizeStep::Prepend::Never)) return nullptr;
        if (step.metaspace && (step.replacement.empty() || has_regex || step.byte_level)) return nullptr;
        step.prepend = PreTokenizeStep::Prepend(prepend);
        if (has_regex) step.regex = model->add_regex(pattern);
        model->steps.push_back(step);
    }
    for (auto n = r.get<uint32_t>(); r.ok() && n > 0; --n) {
        AddedTokenRule token;
        token.id = r.get<uint32_t>();
        token.lstrip = r.get_flag();
        token.rstrip = r.get_flag();
        token.content = r.get_string();
        if (token.id >= id_limit || token.content.empty()) r.refuse();
        model->added.push_back(std::move(token));
    }
    model->char_level = r.get_flag();
    const std::span<const std::byte> byte_ids = r.get_block();
    if (!r.ok() || byte_ids.size() != sizeof model->byte_ids) return nullptr;
    std::memcpy(model->byte_ids.data(), byte_ids.data(), byte_ids.size());
    for (uint32_t id : model->byte_ids)
        if (!model->char_level && id >= id_limit) return nullptr;
    model->byte_fallback = r.get_flag();
    const std::span<const std::byte> fallback_ids = r.get_block();
    if (!r.ok() || fallback_ids.size() != sizeof model->fallback_ids) return nullptr;
    std::memcpy(model->fallback_ids.data(), fallback_ids.data(), fallback_ids.size());
    for (uint32_t id : model->fallback_ids)
        if (id >= id_limit && id != Tokenizer::Model::kNoToken) return nullptr;
    model->unk_id = r.get<uint32_t>();
    if (model->unk_id >= id_limit && model->unk_id != Tokenizer::Model::kNoToken) return nullptr;
    model->fuse_unk = r.get_flag();
    model->cut_before_space_mark = r.get_flag();
    for (auto n = r.get<uint32_t>(); r.ok() && n > 0; --n) model->joined_before_space_mark.push_back(r.get_string());

    const auto merge_count = r.get<uint64_t>();
    const std::span<const std::byte> merge_slots = r.get_block();
    if (!r.ok()) return nullptr;
    std::optional<MergeTable> merges = MergeTable::view(merge_slots, size_t(merge_count), id_limit);
    if (!merges) return nullptr;
    model->merges = std::move(*merges);

    model->ignore_merges = r.get_flag();
    if (model->has_word_table()) {
        const auto word_count = r.get<uint64_t>();
        const std::span<const std::byte> slots = r.get_block();
        const std::span<const std::byte> keys = r.get_block();
        if (!r.ok()) return nullptr;
        std::optional<StringIdTable> words = StringIdTable::view(
            slots, {reinterpret_cast<const char*>(keys.data()), keys.size()}, size_t(word_count), id_limit);
        if (!words) return nullptr;
        model->vocab_by_bytes = std::move(*words);
    }
    if (!r.ok() || !r.at_end()) return nullptr;
    model->index_added_tokens();
    return model;
}

}  // namespace glyph::tokens
