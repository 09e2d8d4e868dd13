// The search's LLM advisor: each generation, an OpenAI-compatible chat model
// reads the search space, the constraints and a compact table of the scored
// configs, and proposes new configs with a one-line rationale each. Replies
// are parsed leniently but bounded, never validated against the space (the
// genetic search does that), and recorded so that a run replays exactly.
// docs/search-advisor.md describes the prompt, the reply format and the
// failure contract.
//
//   glyph::search::AdvisorOptions o;
//   o.url = "http://127.0.0.1:8000/v1"; o.model = "Qwen/Qwen3-8B";
//   o.record_dir = out + "/advice";
//   glyph::search::Advisor advisor(o);          // throws ConfigError/InputError
//   AdvisorReply r = advisor.advise(request);   // never throws
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glyph::vlm {
class Client;
}

namespace glyph::search {

struct ScoredConfig {
    std::string config_json;  // a glyph config as a JSON object
    double score = 0;
    double compression = 0;
    bool feasible = true;  // false: it missed the fitness rule's floor
};

struct AdvisorRequest {
    std::string space_json;             // the search space file's text
    std::string constraints;            // the constraints, one per line, in words
    std::vector<ScoredConfig> history;  // best first, at most ~40 rows (caller trims)
    int wanted = 0;                     // how many proposals
    int generation = 0;
    std::string fitness_rule;  // e.g. "maximize compression subject to CER <= 0.5%"
};

struct Proposal {
    std::string config_json;  // the proposed config object, compact JSON
    std::string rationale;    // one line ("" when the advisor gave none)
};

struct AdvisorReply {
    std::vector<Proposal> proposals;  // parsed, NOT validated against the space (the GA does that)
    // Proposals that could not be parsed, plus 1 for a reply that held no
    // usable JSON at all (that reply also sets `failed`).
    int malformed = 0;
    bool failed = false;  // unreachable, timeout, non-JSON...: the GA goes on without advice
    std::string error;    // one line, when failed
    std::string raw_reply;  // the reply's text as recorded ("" when the request itself failed)
    bool replayed = false;  // read from a recording (replay, or a resumed run's own record)
    std::string record_error;  // one line, when the reply could not be recorded
};

struct AdvisorOptions {
    std::string url;  // chat endpoint: "http://host:8000/v1" or the full .../chat/completions
    std::string model;
    std::string api_key;  // "" sends no Authorization header
    double timeout_s = 60;  // longest wait for the reply (it is not streamed)
    std::string prompt_path;  // "" = the bundled share/search/advisor-prompt.md
    std::string record_dir;   // "" = no recording
    std::string replay_dir;   // set: read recorded replies, never call the endpoint
    int retries = 3;          // for HTTP 429/5xx and dropped connections, as for `glyph ask`
    int max_tokens = 0;       // 0 = the server's default
    std::optional<double> temperature;
    const std::atomic<bool>* cancel = nullptr;  // raised: the pending request fails at once
};

class Advisor {
public:
    // Loads and checks the prompt; checks the URL and model unless replaying.
    // Throws ConfigError (bad URL, no model, bad prompt placeholders) or
    // InputError (prompt file unreadable).
    explicit Advisor(AdvisorOptions o);
    ~Advisor();
    Advisor(const Advisor&) = delete;
    Advisor& operator=(const Advisor&) = delete;

    // Asks once for request.generation. With replay_dir, reads
    // advice-GEN.json from there instead. Without it, a record in
    // record_dir made for the very same prompt (a resumed run asking again)
    // is read back instead of asking twice. Never throws.
    AdvisorReply advise(const AdvisorRequest& r);

    // The exact text sent for `r` (the prompt file with its placeholders filled).
    std::string prompt_for(const AdvisorRequest& r) const;

private:
    AdvisorReply replay(const AdvisorRequest& r, const std::string& prompt);
    AdvisorReply ask(const std::string& prompt);
    void record(AdvisorReply& reply, const AdvisorRequest& r, const std::string& prompt);

    AdvisorOptions options_;
    std::string template_;
    std::unique_ptr<vlm::Client> client_;  // null when replaying
};

// ---- the pieces, for tests and for the search's log --------------------------

// The bundled prompt, share/search/advisor-prompt.md, found through
// glyph/data_path.h's lookup; ConfigError when no data folder has it.
std::string default_advisor_prompt_path();

// The placeholders a prompt file may hold; {{history}} and {{wanted}} are
// required. Throws ConfigError naming an unknown or missing placeholder.
void check_prompt_template(const std::string& template_text, const std::string& where);

// The prompt file's text with {{space}}, {{constraints}}, {{history}},
// {{rows}}, {{wanted}}, {{generation}} and {{fitness_rule}} filled in.
std::string fill_prompt(const std::string& template_text, const AdvisorRequest& r);

// The compact table of scored configs: the best row's config in full, the
// others as the key=value pairs where they differ from it.
std::string history_table(const std::vector<ScoredConfig>& history);

// Reads an advisor's reply text: the JSON object {"proposals": [...]} alone,
// inside a ```json fence, or with text around it. Every well-formed
// proposal is kept, even beyond the number asked for (the search takes
// its share from them, in order, after dropping duplicates), up to
// kMaxProposals looked at.
AdvisorReply parse_advice(std::string_view reply);

// DIR/advice-GEN.json.
std::string advice_record_path(const std::string& dir, int generation);

// Bounds on what is read from an advisor.
inline constexpr size_t kMaxAdviceBytes = size_t(1) << 20;  // a longer reply is not parsed
inline constexpr int kMaxAdviceDepth = 32;                 // JSON nesting
inline constexpr int kMaxProposals = 256;
inline constexpr size_t kMaxRationaleChars = 300;

}  // namespace glyph::search
