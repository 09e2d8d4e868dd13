// Whole-or-nothing file output: every file glyph writes where a reader may
// see it (manifests, ledgers, caches, outputs) goes through a temporary name
// beside it and a rename, so a half-written file never looks complete. Pages
// go straight into their render's staging folder, which is swapped in whole.
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
// Write bytes to a new file at path, which must not exist, without the
// temporary name: for a folder no reader sees until it is complete, such as
// a render's staging folder (page_writer.h), where a rename per file would
// only cost time. A failed write removes what it left. Throws IoError.
void write_new_file(const std::string& path, const void* data, size_t size);
// fsync the folder holding `path` (makes a rename or a new file durable).
void sync_folder_of(const std::string& path);

}  // namespace glyph
