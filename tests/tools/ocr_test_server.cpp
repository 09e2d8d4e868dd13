// ocr_test_server: a TEST INSTRUMENT, not a VLM. It speaks the OpenAI chat
// protocol on 127.0.0.1, reads the page images it receives with Tesseract,
// and answers needle questions ("What is the special magic number for X?",
// and RULER's niah phrasings) from what it read, which proves the pages carry the text legibly. On
// request it misbehaves in the ways real servers do, so that clients can be
// tested against each failure (see docs/ask.md, "The OCR test server").
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>
#include <unordered_map>

#include "glyph/encode.h"
#include "glyph/needles.h"
#include "glyph/ocr.h"
#include "glyph/tokenizer.h"
#include "glyph/vision_tokens.h"

namespace {

using nlohmann::json;

// A request that does not have the documented OpenAI shape.
struct BadRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---- faults -------------------------------------------------------------------

// "NAME[:ARG[:ARG2]][xN|%P]": from the model name "test-fault/<spec>" or the
// X-Test-Fault header. xN: only the first N requests carrying this exact spec
// fail; later ones are served normally (what a retry needs to succeed).
// %P: P percent of them fail, spread evenly (an unreliable server).
struct Fault {
    std::string spec, name, arg, arg2;
    int times = -1;    // -1: every request
    int percent = -1;  // -1: not a share
};

Fault parse_fault(const std::string& spec) {
    Fault f;
    f.spec = spec;
    std::string body = spec;
    static const std::regex times_re("^(.*)x([0-9]+)$"), percent_re("^(.*)%([0-9]{1,2})$");
    std::smatch m;
    if (std::regex_match(spec, m, times_re)) {
        body = m[1];
        f.times = std::stoi(m[2]);
    } else if (std::regex_match(spec, m, percent_re)) {
        body = m[1];
        f.percent = std::stoi(m[2]);
    }
    const size_t c1 = body.find(':');
    f.name = body.substr(0, c1);
    if (c1 != std::string::npos) {
        const size_t c2 = body.find(':', c1 + 1);
        f.arg = body.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
        if (c2 != std::string::npos) f.arg2 = body.substr(c2 + 1);
    }
    static const std::set<std::string> known = {"slow",  "status",        "drop",     "truncate",  "cut",
                                                "stall", "malformed-sse", "non-json", "no-choices"};
    if (!known.count(f.name))
        throw BadRequest("unknown test fault '" + spec +
                         "' (known: slow:SECONDS, status:CODE[:RETRY_AFTER], drop, truncate, cut, stall:SECONDS, "
                         "malformed-sse, non-json, no-choices; suffix xN for the first N requests only, %P for P percent of them)");
    auto number = [&](const std::string& s) {
        if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos)
            throw BadRequest("test fault '" + spec + "': '" + s + "' is not a number");
        return s;
    };
    if (f.name == "slow" || f.name == "stall") number(f.arg);
    if (f.name == "status") {
        number(f.arg);
        if (!f.arg2.empty()) number(f.arg2);
    }
    return f;
}

class FaultLog {
public:
    bool fires(const Fault& f) {
        std::lock_guard lock(mutex_);
        const int n = ++seen_[f.spec];
        if (f.percent >= 0) return n * f.percent / 100 > (n - 1) * f.percent / 100;
        return f.times < 0 || n <= f.times;
    }

private:
    std::mutex mutex_;
    std::map<std::string, int> seen_;
};

// ---- reading pages ----------------------------------------------------------------

// Tesseract engines are per thread and slow to start, so the same few
// threads read every page of every request.
class OcrPool {
public:
    OcrPool(int threads, glyph::OcrOptions options) : options_(std::move(options)) {
        for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    ~OcrPool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
    }

    // Texts in page order; the first OCR failure is rethrown.
    std::vector<std::string> read(const std::vector<const glyph::Image*>& pages) {
        struct Batch {
            std::vector<std::string> texts;
            std::exception_ptr error;
            size_t left;
            std::mutex m;
            std::condition_variable done;
        } batch;
        batch.texts.resize(pages.size());
        batch.left = pages.size();
        {
            std::lock_guard lock(mutex_);
            for (size_t i = 0; i < pages.size(); ++i)
                queue_.push_back([&batch, &pages, i, this] {
                    std::string text;
                    std::exception_ptr error;
                    try {
                        text = glyph::ocr_image(*pages[i], options_);
                    } catch (...) {
                        error = std::current_exception();
                    }
                    std::lock_guard l(batch.m);
                    batch.texts[i] = std::move(text);
                    if (error && !batch.error) batch.error = error;
                    if (--batch.left == 0) batch.done.notify_all();
                });
        }
        cv_.notify_all();
        std::unique_lock l(batch.m);
        batch.done.wait(l, [&] { return batch.left == 0; });
        if (batch.error) std::rethrow_exception(batch.error);
        return std::move(batch.texts);
    }

private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    glyph::OcrOptions options_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
};

// What was read from each image, by the image's bytes: the same document
// asked several questions is read once.
class PageTexts {
public:
    explicit PageTexts(OcrPool& pool) : pool_(pool) {}

    std::string read(const std::vector<std::string>& encoded) {
        std::vector<std::string> texts(encoded.size());
        std::vector<glyph::Image> decoded;
        std::vector<size_t> missing;
        {
            std::lock_guard lock(mutex_);
            for (size_t i = 0; i < encoded.size(); ++i) {
                auto it = cache_.find(encoded[i]);
                if (it != cache_.end()) texts[i] = it->second;
                else missing.push_back(i);
            }
        }
        decoded.reserve(missing.size());
        for (size_t i : missing) {
            try {
                decoded.push_back(glyph::decode_image(reinterpret_cast<const uint8_t*>(encoded[i].data()),
                                                      encoded[i].size()));
            } catch (const std::exception& e) {
                throw BadRequest("image " + std::to_string(i + 1) + " cannot be decoded: " + e.what());
            }
        }
        std::vector<const glyph::Image*> pages;
        for (const auto& img : decoded) pages.push_back(&img);
        const std::vector<std::string> read = pool_.read(pages);
        {
            std::lock_guard lock(mutex_);
            for (size_t k = 0; k < missing.size(); ++k) {
                texts[missing[k]] = read[k];
                cache_[encoded[missing[k]]] = read[k];
            }
        }
        std::string all;
        for (const auto& t : texts) all += t + "\n";
        return all;
    }

private:
    OcrPool& pool_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> cache_;
};

// ---- the request ----------------------------------------------------------------

struct Parsed {
    std::string model;
    bool stream = false;
    bool include_usage = false;
    std::vector<std::string> images;  // decoded base64 payloads, in order
    std::vector<std::pair<int64_t, int64_t>> image_sizes;
    std::string text;                 // every text part, in order
    std::string question;
};

// The base64 payload of "data:image/(png|jpeg|webp);base64,...". Checked by
// hand: std::regex recurses per character and overflows the stack on pages.
std::optional<std::string_view> data_url_payload(std::string_view url) {
    std::string_view rest = url;
    if (rest.rfind("data:image/", 0) != 0) return std::nullopt;
    rest.remove_prefix(11);
    bool known = false;
    for (std::string_view type : {"png", "jpeg", "webp"})
        if (rest.rfind(std::string(type) + ";base64,", 0) == 0) {
            rest.remove_prefix(type.size() + 8);
            known = true;
        }
    if (!known || rest.empty()) return std::nullopt;
    size_t padding = 0;
    for (char c : rest) {
        const bool alphabet = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
        if (c == '=') ++padding;
        else if (!alphabet || padding) return std::nullopt;
    }
    if (padding > 2) return std::nullopt;
    return rest;
}

void expect(bool ok, const std::string& what) {
    if (!ok) throw BadRequest(what);
}

// Validates the shape the OpenAI chat API documents, as vLLM would, and
// pulls out images, text and question.
Parsed parse_request(const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    expect(!j.is_discarded(), "the body is not JSON");
    expect(j.is_object(), "the body is not a JSON object");
    expect(j.contains("model") && j["model"].is_string() && !j["model"].get<std::string>().empty(),
           "'model' must be a non-empty string");
    expect(j.contains("messages") && j["messages"].is_array() && !j["messages"].empty(),
           "'messages' must be a non-empty array");
    Parsed p;
    p.model = j["model"];
    auto optional_type = [&](const char* key, bool ok, const char* what) {
        if (j.contains(key)) expect(ok, std::string("'") + key + "' must be " + what);
    };
    optional_type("stream", j.contains("stream") && j["stream"].is_boolean(), "a boolean");
    optional_type("max_tokens", j.contains("max_tokens") && j["max_tokens"].is_number_integer() && j["max_tokens"] > 0,
                  "a positive integer");
    optional_type("temperature", j.contains("temperature") && j["temperature"].is_number() && j["temperature"] >= 0,
                  "a number >= 0");
    optional_type("top_p", j.contains("top_p") && j["top_p"].is_number() && j["top_p"] > 0 && j["top_p"] <= 1,
                  "a number in (0, 1]");
    optional_type("top_k", j.contains("top_k") && j["top_k"].is_number_integer(), "an integer");
    if (j.contains("stop_token_ids")) {
        expect(j["stop_token_ids"].is_array(), "'stop_token_ids' must be an array of integers");
        for (const auto& id : j["stop_token_ids"]) expect(id.is_number_integer(), "'stop_token_ids' must hold integers");
    }
    optional_type("stream_options", j.contains("stream_options") && j["stream_options"].is_object(), "an object");
    p.stream = j.value("stream", false);
    p.include_usage = p.stream && j.contains("stream_options") && j["stream_options"].value("include_usage", false);

    std::string last_user_text;
    for (size_t i = 0; i < j["messages"].size(); ++i) {
        const json& m = j["messages"][i];
        const std::string where = "messages[" + std::to_string(i) + "]";
        expect(m.is_object(), where + " must be an object");
        expect(m.contains("role") && m["role"].is_string(), where + ".role must be a string");
        const std::string role = m["role"];
        expect(role == "system" || role == "user" || role == "assistant",
               where + ".role '" + role + "' is not system, user or assistant");
        expect(m.contains("content"), where + " has no content");
        const json& content = m["content"];
        if (content.is_string()) {
            p.text += content.get<std::string>() + "\n";
            if (role == "user") last_user_text = content;
            continue;
        }
        expect(content.is_array() && !content.empty(), where + ".content must be a string or a non-empty array");
        for (size_t k = 0; k < content.size(); ++k) {
            const json& part = content[k];
            const std::string pw = where + ".content[" + std::to_string(k) + "]";
            expect(part.is_object() && part.contains("type") && part["type"].is_string(), pw + ".type is missing");
            const std::string type = part["type"];
            if (type == "text") {
                expect(part.contains("text") && part["text"].is_string(), pw + ".text must be a string");
                p.text += part["text"].get<std::string>() + "\n";
                if (role == "user") last_user_text = part["text"];
            } else if (type == "image_url") {
                expect(role == "user", pw + ": images are only allowed in user messages");
                expect(part.contains("image_url") && part["image_url"].is_object() &&
                           part["image_url"].contains("url") && part["image_url"]["url"].is_string(),
                       pw + ".image_url.url must be a string");
                const std::string url = part["image_url"]["url"];
                const std::optional<std::string_view> payload = data_url_payload(url);
                expect(payload.has_value(), pw + ": the test server only takes data:image/(png|jpeg|webp);base64 URLs");
                try {
                    const auto bytes = glyph::base64_decode(*payload);
                    p.images.emplace_back(bytes.begin(), bytes.end());
                } catch (const std::exception& e) {
                    throw BadRequest(pw + ": bad base64: " + e.what());
                }
            } else {
                throw BadRequest(pw + ".type '" + type + "' is not text or image_url");
            }
        }
    }
    expect(!last_user_text.empty(), "no user message carries text (the question)");
    // A text-only request carries the document and the question in one
    // message; the question is its last paragraph, or the last line that asks
    // for a needle (prompt templates end in "Answer:").
    const size_t split = last_user_text.rfind("\n\n");
    p.question = split == std::string::npos ? last_user_text : last_user_text.substr(split + 2);
    for (size_t end = last_user_text.size(); end > 0;) {
        const size_t nl = last_user_text.rfind('\n', end - 1);
        const size_t begin = nl == std::string::npos ? 0 : nl + 1;
        const std::string line = last_user_text.substr(begin, end - begin);
        if (glyph::parse_needle_question(line)) {
            p.question = line;
            break;
        }
        if (nl == std::string::npos) break;
        end = nl;
    }
    return p;
}

// ---- answering --------------------------------------------------------------------

// What was found for each key asked, in the answer's own words: every value
// appears verbatim, so RULER's string_match_all scores a full find as 100.
std::string needle_reply(const glyph::NeedleQuestion& q, const std::string& source) {
    const std::string kind = glyph::needle_kind_name(q.kind);
    std::vector<std::string> found, missing;
    std::string keys;
    for (size_t i = 0; i < q.keys.size(); ++i) {
        const auto values = glyph::find_needle_values(source, q.keys[i], q.kind, q.all_values);
        if (values.empty()) missing.push_back(q.keys[i]);
        found.insert(found.end(), values.begin(), values.end());
        keys += (i ? (i + 1 == q.keys.size() ? ", and " : ", ") : "") + q.keys[i];
    }
    auto listed = [](const std::vector<std::string>& items) {
        std::string out;
        for (size_t i = 0; i < items.size(); ++i) out += (i ? (i + 1 == items.size() ? " and " : ", ") : "") + items[i];
        return out;
    };
    if (found.empty()) return "I could not find the special magic " + kind + " for " + keys + " in the document.";
    std::string reply = found.size() == 1 && q.keys.size() == 1
                            ? "The special magic " + kind + " for " + keys + " is " + found[0] + "."
                            : "The special magic " + kind + "s for " + keys + " are " + listed(found) + ".";
    if (!missing.empty()) reply += " I could not find any for " + listed(missing) + ".";
    return reply;
}

struct Answer {
    std::string thinking;
    std::string content;
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
};

class Instrument {
public:
    Instrument(OcrPool& pool, const glyph::Tokenizer* tokenizer, int token_delay_ms)
        : pages_(pool), tokenizer_(tokenizer), token_delay_ms_(token_delay_ms) {}

    Answer answer(const Parsed& p) {
        Answer a;
        std::string source;
        if (!p.images.empty()) {
            source = pages_.read(p.images);
            a.thinking = "Read " + std::to_string(p.images.size()) + " page image(s) with Tesseract (" +
                         std::to_string(source.size()) + " characters).";
            const auto& profile = glyph::find_profile("glm-4.1v");
            for (const auto& bytes : p.images) {
                const glyph::Image img =
                    glyph::decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
                a.prompt_tokens += profile.per_image_total(img.width, img.height);
            }
        } else {
            source = p.text;
            a.thinking = "Read the text (" + std::to_string(source.size()) + " characters).";
        }
        if (tokenizer_) a.prompt_tokens += int64_t(tokenizer_->count(p.text));
        if (auto q = glyph::parse_needle_question(p.question)) a.content = needle_reply(*q, source);
        else
            a.content = "This test server only answers questions of the form \"What is the special magic number "
                        "for X?\" (or RULER's \"What are all the special magic numbers for X mentioned in the "
                        "provided text?\"); it read " + std::to_string(source.size()) + " characters.";
        a.completion_tokens = tokenizer_ ? int64_t(tokenizer_->count(a.content)) : 0;
        return a;
    }

    int token_delay_ms() const { return token_delay_ms_; }

private:
    PageTexts pages_;
    const glyph::Tokenizer* tokenizer_;
    int token_delay_ms_;
};

json error_body(const std::string& message, const std::string& type) {
    return {{"error", {{"message", message}, {"type", type}}}};
}

json usage_json(const Answer& a) {
    return {{"prompt_tokens", a.prompt_tokens},
            {"completion_tokens", a.completion_tokens},
            {"total_tokens", a.prompt_tokens + a.completion_tokens}};
}

json chunk(const std::string& model, const json& delta, const json& finish = nullptr) {
    return {{"id", "chatcmpl-ocr-test"},
            {"object", "chat.completion.chunk"},
            {"created", std::time(nullptr)},
            {"model", model},
            {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
}

std::string event(const json& j) { return "data: " + j.dump() + "\n\n"; }

// The answer cut in word-sized deltas, the way a model streams tokens.
std::vector<std::string> word_pieces(const std::string& text) {
    std::vector<std::string> pieces;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find(' ', i + 1);
        if (j == std::string::npos) j = text.size();
        pieces.push_back(text.substr(i, j - i));
        i = j;
    }
    return pieces;
}

// What goes wrong after the third word: Truncate ends the body cleanly but
// early, Cut closes the connection mid-body, Stall goes silent for
// `stall_s` and then finishes, Malformed sends an event that is not JSON.
enum class StreamFault { None, Truncate, Cut, Stall, Malformed };

void stream_answer(httplib::Response& res, const std::string& model, const Answer& a, bool include_usage,
                   StreamFault fault, double stall_s, int delay_ms) {
    res.set_chunked_content_provider("text/event-stream", [=](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& e) {
            if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            return sink.write(e.data(), e.size());
        };
        if (!send(event(chunk(model, {{"role", "assistant"}, {"content", ""}})))) return false;
        for (const auto& piece : word_pieces(a.thinking))
            if (!send(event(chunk(model, {{"reasoning_content", piece}})))) return false;
        const auto pieces = word_pieces(a.content);
        for (size_t i = 0; i < pieces.size(); ++i) {
            if (fault == StreamFault::Stall && i == 3) std::this_thread::sleep_for(std::chrono::duration<double>(stall_s));
            if (fault == StreamFault::Cut && i == 3) return false;  // httplib closes without the last chunk
            if ((fault == StreamFault::Truncate || fault == StreamFault::Malformed) && i == 3) {
                if (fault == StreamFault::Malformed) {
                    send("data: {\"choices\": [{\"delta\": {\"content\": \n\n");
                    send("data: [DONE]\n\n");
                }
                sink.done();
                return true;
            }
            if (!send(event(chunk(model, {{"content", pieces[i]}})))) return false;
        }
        send(event(chunk(model, json::object(), "stop")));
        if (include_usage)
            send(event({{"id", "chatcmpl-ocr-test"},
                        {"object", "chat.completion.chunk"},
                        {"model", model},
                        {"choices", json::array()},
                        {"usage", usage_json(a)}}));
        send("data: [DONE]\n\n");
        sink.done();
        return true;
    });
}

void handle_chat(const httplib::Request& req, httplib::Response& res, Instrument& instrument, FaultLog& faults) {
    Parsed p;
    try {
        p = parse_request(req.body);
    } catch (const BadRequest& e) {
        res.status = 400;
        res.set_content(error_body(e.what(), "invalid_request_error").dump(), "application/json");
        return;
    }
    std::string spec = req.get_header_value("X-Test-Fault");
    const std::string prefix = "test-fault/";
    if (spec.empty() && p.model.rfind(prefix, 0) == 0) spec = p.model.substr(prefix.size());
    std::optional<Fault> fault;
    if (!spec.empty()) {
        try {
            Fault f = parse_fault(spec);
            if (faults.fires(f)) fault = f;
        } catch (const BadRequest& e) {
            res.status = 400;
            res.set_content(error_body(e.what(), "invalid_request_error").dump(), "application/json");
            return;
        }
    }
    StreamFault stream_fault = StreamFault::None;
    double stall_s = 0;
    if (fault) {
        const std::string& n = fault->name;
        std::fprintf(stderr, "ocr_test_server: injecting fault %s\n", fault->spec.c_str());
        if (n == "slow") {
            std::this_thread::sleep_for(std::chrono::duration<double>(std::stod(fault->arg)));
        } else if (n == "status") {
            res.status = std::stoi(fault->arg);
            if (!fault->arg2.empty()) res.set_header("Retry-After", fault->arg2);
            else if (res.status == 429) res.set_header("Retry-After", "1");
            res.set_content(error_body("injected test fault: HTTP " + fault->arg, "server_error").dump(),
                            "application/json");
            return;
        } else if (n == "drop") {
            // Headers go out, then the connection closes before any body byte.
            res.set_content_provider(1024, "application/json",
                                     [](size_t, size_t, httplib::DataSink&) { return false; });
            return;
        } else if (n == "non-json") {
            res.set_content("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
            return;
        } else if (n == "no-choices") {
            res.set_content(json({{"id", "chatcmpl-ocr-test"}, {"object", "chat.completion"}, {"model", p.model},
                                  {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}}})
                                .dump(),
                            "application/json");
            return;
        } else if (n == "truncate" || n == "cut" || n == "stall" || n == "malformed-sse") {
            if (!p.stream) {
                res.status = 400;
                res.set_content(error_body("fault " + n + " needs a streaming request", "invalid_request_error").dump(),
                                "application/json");
                return;
            }
            stream_fault = n == "truncate" ? StreamFault::Truncate
                           : n == "cut"    ? StreamFault::Cut
                           : n == "stall"  ? StreamFault::Stall
                                           : StreamFault::Malformed;
            if (n == "stall") stall_s = std::stod(fault->arg);
        }
    }
    Answer a;
    if (stream_fault != StreamFault::None) {
        a.content = "The special magic number for the document is being read.";
    } else {
        try {
            a = instrument.answer(p);
        } catch (const BadRequest& e) {
            res.status = 400;
            res.set_content(error_body(e.what(), "invalid_request_error").dump(), "application/json");
            return;
        } catch (const std::exception& e) {
            res.status = 500;
            res.set_content(error_body(std::string("OCR failed: ") + e.what(), "server_error").dump(),
                            "application/json");
            return;
        }
    }
    if (p.stream) {
        stream_answer(res, p.model, a, p.include_usage, stream_fault, stall_s, instrument.token_delay_ms());
        return;
    }
    json message = {{"role", "assistant"}, {"content", a.content}, {"reasoning_content", a.thinking}};
    res.set_content(json({{"id", "chatcmpl-ocr-test"},
                          {"object", "chat.completion"},
                          {"created", std::time(nullptr)},
                          {"model", p.model},
                          {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", "stop"}}}},
                          {"usage", usage_json(a)}})
                        .dump(),
                    "application/json");
}

}  // namespace

int main(int argc, char** argv) {
    glyph::limit_tesseract_threads(argv);
    CLI::App app{"ocr_test_server: a test instrument speaking the OpenAI chat protocol; it reads page images "
                 "with Tesseract and answers needle questions. Not a VLM."};
    std::string host = "127.0.0.1", language = "eng", tokenizer_path;
    int port = 0, threads = int(std::max(1u, std::thread::hardware_concurrency())), token_delay_ms = 0;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port; 0 picks a free one (printed on stdout)")->capture_default_str();
    app.add_option("--lang", language, "Tesseract language(s), e.g. eng, chi_sim, eng+chi_sim")->capture_default_str();
    app.add_option("--ocr-threads", threads, "pages read in parallel")->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--token-delay-ms", token_delay_ms, "pause before each streamed delta")
        ->check(CLI::Range(0, 10000))->capture_default_str();
    app.add_option("--tokenizer", tokenizer_path, "tokenizer.json for usage counts (default: glyph's)");
    CLI11_PARSE(app, argc, argv);

    std::optional<glyph::Tokenizer> tokenizer;
    try {
        tokenizer = glyph::Tokenizer::load(tokenizer_path.empty() ? glyph::default_tokenizer_path() : tokenizer_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ocr_test_server: no tokenizer (%s); usage will count image tokens only\n", e.what());
    }
    glyph::OcrOptions ocr;
    ocr.language = language;
    OcrPool pool(threads, ocr);
    Instrument instrument(pool, tokenizer ? &*tokenizer : nullptr, token_delay_ms);
    FaultLog faults;

    httplib::Server server;
    server.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
        handle_chat(req, res, instrument, faults);
    });
    server.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(json({{"object", "list"},
                              {"data", {{{"id", "ocr-test-server"}, {"object", "model"}, {"owned_by", "glyph-tests"}}}}})
                            .dump(),
                        "application/json");
    });
    const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
        std::fprintf(stderr, "ocr_test_server: cannot listen on %s:%d\n", host.c_str(), port);
        return 1;
    }
    std::printf("ocr_test_server listening on http://%s:%d/v1\n", host.c_str(), bound);
    std::fflush(stdout);
    return server.listen_after_bind() ? 0 : 1;
}
