#include "serve/pages_zip.h"

#include <zip.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace glyph::serve {

namespace {

[[noreturn]] void fail(const char* what, zip_error_t* error) {
    std::string message = std::string("cannot build the zip (") + what + "): " + zip_error_strerror(error);
    zip_error_fini(error);
    throw std::runtime_error(message);
}

void add_entry(zip_t* archive, const std::string& name, const std::string& data, bool store) {
    zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
    if (!source) fail("source", zip_get_error(archive));
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
        zip_source_free(source);
        fail("add", zip_get_error(archive));
    }
    if (store) zip_set_file_compression(archive, zip_uint64_t(index), ZIP_CM_STORE, 0);
}

}  // namespace

std::string zip_pages(const Segment& segment, const nlohmann::json& manifest) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    if (!buffer) fail("buffer", &error);
    zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    if (!archive) {
        zip_source_free(buffer);
        fail("open", &error);
    }
    // The buffer must outlive zip_close, which writes the archive into it.
    zip_source_keep(buffer);
    std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buffer, zip_source_free);

    const std::string manifest_text = manifest.dump(2);
    for (size_t i = 0; i < segment.pages.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "page_%03zu.png", i + 1);
        add_entry(archive, name, segment.pages[i].png, true);
    }
    add_entry(archive, "manifest.json", manifest_text, false);
    if (zip_close(archive) != 0) {
        zip_error_t* e = zip_get_error(archive);
        std::string message = std::string("cannot build the zip: ") + zip_error_strerror(e);
        zip_discard(archive);
        throw std::runtime_error(message);
    }

    if (zip_source_open(buffer) != 0) fail("reopen", zip_source_error(buffer));
    zip_source_seek(buffer, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(buffer);
    zip_source_seek(buffer, 0, SEEK_SET);
    std::string out(size_t(std::max<zip_int64_t>(size, 0)), '\0');
    const zip_int64_t got = zip_source_read(buffer, out.data(), out.size());
    zip_source_close(buffer);
    if (got != size) throw std::runtime_error("cannot build the zip: short read of the archive");
    return out;
}

}  // namespace glyph::serve
