// Whole-or-nothing file output: every file glyph writes (pages, manifests,
// ledgers, caches) goes through a temporary name beside it and a rename, so a
// half-written file never looks complete.
#pragma once

#include <cstddef>
#include <string>

namespace glyph {

// Write bytes to path through a temporary name and rename. Throws IoError
// naming the path and the system's reason.
void write_file_atomic(const std::string& path, const void* data, size_t size);
// The same, and durable: the temporary file is fsynced before the rename and
// the folder after it, so a crash or power loss leaves the old file or the new
// one, whole.
void write_file_durable(const std::string& path, const void* data, size_t size);
// fsync the folder holding `path` (makes a rename or a new file durable).
void sync_folder_of(const std::string& path);

}  // namespace glyph
