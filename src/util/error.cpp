#include "glyph/error.h"

namespace glyph {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Config: return "config";
        case ErrorKind::Input: return "input";
        case ErrorKind::Tokenizer: return "tokenizer";
        case ErrorKind::VisionTokens: return "vision_tokens";
        case ErrorKind::Encode: return "encode";
        case ErrorKind::Io: return "io";
        case ErrorKind::Endpoint: return "endpoint";
        case ErrorKind::Serve: return "serve";
        case ErrorKind::Eval: return "eval";
        case ErrorKind::Cancelled: return "cancelled";
    }
    return "unknown";
}

bool is_usage_error(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Config:
        case ErrorKind::Input:
        case ErrorKind::Tokenizer:
        case ErrorKind::VisionTokens: return true;
        default: return false;
    }
}

}  // namespace glyph
