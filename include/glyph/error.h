// The one error base of the library: every exception glyph throws on purpose
// is a glyph::Error whose kind() says which part of the work failed, so a
// caller can tell a user's mistake (a bad config, unusable input) from a
// runtime failure with one catch. The message is always one line naming what
// is wrong and what is allowed.
#pragma once

#include <stdexcept>
#include <string>

namespace glyph {

enum class ErrorKind {
    Config,        // a config key or value, a preset, a font the config names
    Input,         // text or a file the caller gave that cannot be read or used
    Tokenizer,     // a tokenizer file or name
    VisionTokens,  // a vision-token profile, or an image size it cannot price
    Encode,        // an image format, level, or image data that cannot be coded
    Io,            // a file or folder that cannot be written
    Endpoint,      // a VLM endpoint failed (vlm::VlmError says how)
    Serve,         // a server option or a request's policy
    Eval,          // a benchmark data, prediction or run file
    Cancelled,     // the caller's stop flag was set
};

// "config", "input", "tokenizer", "vision_tokens", "encode", "io",
// "endpoint", "serve", "eval", "cancelled".
const char* error_kind_name(ErrorKind kind);

// True for the kinds that are the caller's own mistake, found before or
// while reading what it gave (config, input, tokenizer, vision_tokens): the
// CLI exits 2 for them.
bool is_usage_error(ErrorKind kind);

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

private:
    ErrorKind kind_;
};

// A user error in a config: the message names the key, the value and what is allowed.
struct ConfigError : Error {
    explicit ConfigError(const std::string& message) : Error(ErrorKind::Config, message) {}
};

// Input that cannot be read or rendered (a missing file, invalid UTF-8): one
// line naming the problem.
struct InputError : Error {
    explicit InputError(const std::string& message) : Error(ErrorKind::Input, message) {}
};

// A file or folder that cannot be created or written (disk full, no
// permission): names the path and the system's reason.
struct IoError : Error {
    explicit IoError(const std::string& message) : Error(ErrorKind::Io, message) {}
};

}  // namespace glyph
