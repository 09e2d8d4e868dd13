// Where glyph finds the data files it ships (models/tokenizer.json, the sample
// text, npm tokenizers): one lookup, so that an installed glyph and a build
// tree find their files the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glyph {

// The folders searched, in order:
//   1. $GLYPH_DATA_DIR, when set;
//   2. share/glyph under the install prefix glyph was configured with;
//   3. share/glyph beside the running program (<program dir>/../share/glyph),
//      for an installed tree that was moved;
//   4. the source tree the library was built from, when it still exists.
std::vector<std::string> data_dirs();

// The path of `relative` (e.g. "models/tokenizer.json") in the first folder
// of data_dirs() that has it as a regular file, or "" when none has it.
std::string find_data_file(std::string_view relative);

// The folders of data_dirs() as one line for error messages ("A, B, C").
std::string data_dirs_line();

}  // namespace glyph
