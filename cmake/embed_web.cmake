# Writes OUT, a C++ source holding every file of DIR (the web app) as bytes,
# so `glyph serve` needs no files next to the binary.
#   cmake -DDIR=web -DOUT=web_assets.cpp -P embed_web.cmake
file(GLOB files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
set(body "// Generated from web/ by cmake/embed_web.cmake.\n#include \"serve/web_assets.h\"\n\nnamespace glyph::serve {\n\nnamespace {\n")
set(table "")
set(i 0)
foreach(f ${files})
  file(READ ${DIR}/${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  # A trailing zero keeps an empty file a valid array; it is not counted.
  string(APPEND body "const unsigned char asset${i}[] = {${hex}0x00};\n")
  string(APPEND table "        {\"/${f}\", std::string_view(reinterpret_cast<const char*>(asset${i}), sizeof(asset${i}) - 1)},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\n}  // namespace\n\nstd::span<const WebAsset> web_assets() {\n    static const WebAsset assets[] = {\n${table}    };\n    return assets;\n}\n\n}  // namespace glyph::serve\n")
file(WRITE ${OUT}.tmp "${body}")
file(RENAME ${OUT}.tmp ${OUT})
