// The advisor's round trip: one chat request per generation through the
// project's OpenAI client, every outcome recorded as DIR/advice-GEN.json,
// and replay from such records instead of the endpoint.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "glyph/config.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "glyph/search_advisor.h"
#include "glyph/vlm.h"
#include "util/jsonl_files.h"
#include "util/utf8.h"

namespace glyph::search {
namespace {

constexpr size_t kMaxPromptFileBytes = size_t(1) << 20;
// A record holds the prompt and the reply (each bounded) and a little more.
constexpr size_t kMaxRecordBytes = size_t(16) << 20;

// Reads a whole file of at most `limit` bytes; throws std::runtime_error.
std::string read_bounded(const std::string& path, size_t limit, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read " + what + " " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(what + " " + path + " is not a regular file");
    if (size_t(st.st_size) > limit)
        throw std::runtime_error(what + " " + path + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                                 std::to_string(limit) + " allowed");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error("cannot read " + what + " " + path);
    return text.str();
}

// Invalid UTF-8 becomes U+FFFD at once, so that what is parsed is exactly
// what is recorded (and replayed).
std::string valid_utf8(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const size_t start = i;
        char32_t cp;
        if (try_decode_utf8(s, i, cp)) {
            out.append(s, start, i - start);
        } else {
            append_utf8(out, 0xFFFD);
            ++i;
        }
    }
    return out;
}

// A record file, checked; throws std::runtime_error naming what is wrong.
nlohmann::json read_record(const std::string& path, int generation) {
    const nlohmann::json j = [&] {
        const std::string text = read_bounded(path, kMaxRecordBytes, "advice record");
        try {
            return parse_json_bounded(text, 8);
        } catch (const std::exception& e) {
            throw std::runtime_error("advice record " + path + " is not valid JSON: " + e.what());
        }
    }();
    const bool ok = j.is_object() && j.contains("generation") && j["generation"].is_number_integer() &&
                    j.contains("prompt") && j["prompt"].is_string() && j.contains("reply") &&
                    (j["reply"].is_string() || j["reply"].is_null()) && j.contains("error") &&
                    (j["error"].is_string() || j["error"].is_null()) && (j["reply"].is_null() != j["error"].is_null());
    if (!ok)
        throw std::runtime_error("advice record " + path +
                                 " lacks its fields (generation, prompt, and either reply or error)");
    if (j["generation"].get<long long>() != generation)
        throw std::runtime_error("advice record " + path + " is for generation " + j["generation"].dump() + ", not " +
                                 std::to_string(generation));
    return j;
}

AdvisorReply reply_from_record(const nlohmann::json& record) {
    AdvisorReply reply;
    if (record["error"].is_string()) {
        reply.failed = true;
        reply.error = record["error"].get<std::string>();
    } else {
        reply = parse_advice(record["reply"].get<std::string>());
    }
    reply.replayed = true;
    return reply;
}

bool same_folder(const std::string& a, const std::string& b) {
    std::error_code ec;
    return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

std::string advice_record_path(const std::string& dir, int generation) {
    return dir + "/advice-" + std::to_string(generation) + ".json";
}

Advisor::Advisor(AdvisorOptions o) : options_(std::move(o)) {
    if (!(options_.timeout_s > 0))
        throw ConfigError("the advisor's timeout must be a positive number of seconds, not " +
                          std::to_string(options_.timeout_s));
    if (options_.retries < 0 || options_.retries > 20)
        throw ConfigError("the advisor's retries must be 0 to 20, not " + std::to_string(options_.retries));
    const std::string path = options_.prompt_path.empty() ? default_advisor_prompt_path() : options_.prompt_path;
    try {
        template_ = read_bounded(path, kMaxPromptFileBytes, "advisor prompt");
    } catch (const std::runtime_error& e) {
        throw InputError(e.what());
    }
    check_prompt_template(template_, "advisor prompt " + path);
    if (!options_.replay_dir.empty()) {
        if (!std::filesystem::is_directory(options_.replay_dir))
            throw InputError("the advice replay folder " + options_.replay_dir + " does not exist");
        return;
    }
    if (options_.url.empty())
        throw ConfigError("the advisor needs an OpenAI-compatible endpoint URL, or a folder of recorded advice to replay");
    if (options_.model.empty()) throw ConfigError("the advisor needs a model name (the id its server serves)");
    vlm::ClientOptions c;
    c.endpoint = options_.url;
    c.api_key = options_.api_key;
    c.connect_timeout_s = std::min(10.0, options_.timeout_s);
    c.read_timeout_s = options_.timeout_s;
    c.retry.max_retries = options_.retries;
    c.max_concurrent = 1;
    c.cancel = options_.cancel;
    try {
        client_ = std::make_unique<vlm::Client>(std::move(c));
    } catch (const vlm::VlmError& e) {
        throw ConfigError(std::string("advisor endpoint: ") + e.what());
    }
}

Advisor::~Advisor() = default;

std::string Advisor::prompt_for(const AdvisorRequest& r) const { return fill_prompt(template_, r); }

AdvisorReply Advisor::advise(const AdvisorRequest& r) {
    try {
        const std::string prompt = prompt_for(r);
        if (!options_.replay_dir.empty()) return replay(r, prompt);
        if (!options_.record_dir.empty()) {
            // A resumed run asks again for the generation it was killed in:
            // the answer it got then is the one the uninterrupted run used.
            const std::string path = advice_record_path(options_.record_dir, r.generation);
            std::error_code ec;
            if (std::filesystem::exists(path, ec)) {
                try {
                    const nlohmann::json record = read_record(path, r.generation);
                    if (record["prompt"] == prompt && record.value("model", "") == options_.model)
                        return reply_from_record(record);
                } catch (const std::exception&) {
                    // unreadable: asked anew and recorded over
                }
            }
        }
        AdvisorReply reply = ask(prompt);
        // An interrupted request is not an outcome: the resumed run asks again.
        if (!(options_.cancel && options_.cancel->load())) record(reply, r, prompt);
        return reply;
    } catch (const std::exception& e) {
        AdvisorReply failed;
        failed.failed = true;
        failed.error = e.what();
        return failed;
    } catch (...) {
        AdvisorReply failed;
        failed.failed = true;
        failed.error = "the advisor failed for an unknown reason";
        return failed;
    }
}

AdvisorReply Advisor::replay(const AdvisorRequest& r, const std::string& prompt) {
    const std::string path = advice_record_path(options_.replay_dir, r.generation);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        AdvisorReply missing;
        missing.failed = true;
        missing.error = "no recorded advice for generation " + std::to_string(r.generation) + " (" + path +
                        " is missing); the replay goes on without advice";
        return missing;
    }
    AdvisorReply reply = reply_from_record(read_record(path, r.generation));
    // The replaying run's folder then holds its advice too, with the prompt it built.
    if (!options_.record_dir.empty() && !same_folder(options_.record_dir, options_.replay_dir)) record(reply, r, prompt);
    return reply;
}

AdvisorReply Advisor::ask(const std::string& prompt) {
    vlm::ChatRequest request;
    request.model = options_.model;
    request.stream = false;
    if (options_.max_tokens > 0) request.sampling.max_tokens = options_.max_tokens;
    request.sampling.temperature = options_.temperature;
    request.messages.push_back({"user", {vlm::ContentPart::text(prompt)}});
    try {
        const vlm::ChatResponse response = client_->chat(request);
        return parse_advice(valid_utf8(response.content));
    } catch (const vlm::VlmError& e) {
        AdvisorReply failed;
        failed.failed = true;
        failed.error = e.what();
        return failed;
    }
}

void Advisor::record(AdvisorReply& reply, const AdvisorRequest& r, const std::string& prompt) {
    if (options_.record_dir.empty()) return;
    nlohmann::ordered_json j;
    j["generation"] = r.generation;
    j["url"] = options_.url;
    j["model"] = options_.model;
    j["wanted"] = r.wanted;
    j["prompt"] = prompt;
    // A reply that came back is recorded as text even when it could not be
    // parsed (replay parses it again); a request that got none records its
    // error (parse failures always count the reply as malformed).
    const bool transport_failure = reply.failed && reply.malformed == 0;
    j["reply"] = transport_failure ? nlohmann::ordered_json() : nlohmann::ordered_json(reply.raw_reply);
    j["error"] = transport_failure ? nlohmann::ordered_json(reply.error) : nlohmann::ordered_json();
    try {
        std::filesystem::create_directories(options_.record_dir);
        const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        write_file_durable(advice_record_path(options_.record_dir, r.generation), text.data(), text.size());
    } catch (const std::exception& e) {
        reply.record_error = e.what();
    }
}

}  // namespace glyph::search
