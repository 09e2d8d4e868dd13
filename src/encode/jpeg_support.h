// libjpeg error handling shared by the JPEG encoder and decoder: errors jump
// back to the caller with the message kept; nothing is printed to stderr.
#pragma once

// jpeglib.h needs FILE and size_t declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>

namespace glyph::detail {

struct JpegErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool truncated = false;  // the decoder hit the end of the data early
};

// Installs the handlers on `err` and returns the libjpeg error struct.
jpeg_error_mgr* install_jpeg_errors(JpegErrorManager& err);

}  // namespace glyph::detail
