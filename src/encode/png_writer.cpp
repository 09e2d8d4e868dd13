// Our own PNG container around a zlib stream from ISA-L's igzip (fast levels)
// or libdeflate (stored and dense levels).
//
// Why not libspng/libpng for writing: encoding is the floor under the whole
// renderer, and the measurement in ../shared/reference/NOTES.md (one 589x842
// gray page, filter none) gives libdeflate level 1 at 1.6 ms/page against
// 2.8 ms for libspng + zlib level 1. Why igzip for the default: on real text
// pages its level 1 deflates 2.6x faster than libdeflate's level 1 for ~10%
// more bytes (docs/benchmarks.md, "PNG encoding"). A PNG with one IDAT is
// four chunks, so the container costs a few dozen lines; deflate and CRC stay
// in the libraries.
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "encode/image_check.h"
#include "glyph/encode.h"

namespace glyph {
namespace {

constexpr int kMinLevel = 0;
constexpr int kMaxLevel = 12;  // libdeflate's range; zlib's 0..9 map onto it
// Levels 1..3 are igzip's levels 1..3; 0 (stored) and 4..12 are libdeflate's.
constexpr int kFirstIgzipLevel = 1, kLastIgzipLevel = ISAL_DEF_MAX_LEVEL;

bool uses_igzip(int level) { return level >= kFirstIgzipLevel && level <= kLastIgzipLevel; }

struct CompressorFree {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using CompressorPtr = std::unique_ptr<libdeflate_compressor, CompressorFree>;

// A compressor holds ~100 KB-1 MB of tables; allocating one per page would cost
// more than compressing a sparse text page, so each thread keeps one per level.
libdeflate_compressor* thread_compressor(int level) {
    thread_local std::array<CompressorPtr, kMaxLevel + 1> compressors;
    CompressorPtr& slot = compressors[size_t(level)];
    if (!slot) {
        slot.reset(libdeflate_alloc_compressor(level));
        if (!slot) throw EncodeError("PNG: cannot allocate a deflate compressor");
    }
    return slot.get();
}

// igzip's hash tables and token buffer for a level, at the size its header
// recommends; kept per thread for the same reason as the compressors.
std::vector<uint8_t>& thread_level_buffer(int level) {
    static constexpr size_t kSizes[kLastIgzipLevel + 1] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                                          ISAL_DEF_LVL3_DEFAULT};
    thread_local std::array<std::vector<uint8_t>, kLastIgzipLevel + 1> buffers;
    std::vector<uint8_t>& buffer = buffers[size_t(level)];
    if (buffer.empty()) buffer.resize(kSizes[level]);
    return buffer;
}

// igzip falls back to stored blocks when compressing would expand the data:
// at most the input plus 5 bytes per 64 KiB block, the zlib header and
// trailer, and one block header of slack.
size_t igzip_zlib_bound(size_t raw_size) { return raw_size + 5 * (raw_size / 65535 + 1) + 6 + ISAL_DEF_MAX_HDR_SIZE; }

// Deflates `raw` as a zlib stream into `out` (resized to fit the bound);
// returns the stream's size.
size_t zlib_compress(std::vector<uint8_t>& raw, int level, std::vector<uint8_t>& out) {
    if (!uses_igzip(level)) {
        libdeflate_compressor* compressor = thread_compressor(level);
        out.resize(libdeflate_zlib_compress_bound(compressor, raw.size()));
        const size_t size = libdeflate_zlib_compress(compressor, raw.data(), raw.size(), out.data(), out.size());
        if (size == 0) throw EncodeError("PNG: deflate output exceeded its bound");
        return size;
    }
    if (raw.size() > UINT32_MAX / 2) throw EncodeError("PNG: image too large for one deflate stream");
    out.resize(igzip_zlib_bound(raw.size()));
    std::vector<uint8_t>& level_buffer = thread_level_buffer(level);
    thread_local isal_zstream stream;  // 80 KB of state: too big for a worker's stack frame
    isal_deflate_stateless_init(&stream);
    stream.level = uint32_t(level);
    stream.level_buf = level_buffer.data();
    stream.level_buf_size = uint32_t(level_buffer.size());
    stream.gzip_flag = IGZIP_ZLIB;
    stream.end_of_stream = 1;
    stream.next_in = raw.data();
    stream.avail_in = uint32_t(raw.size());
    stream.next_out = out.data();
    stream.avail_out = uint32_t(out.size());
    const int rc = isal_deflate_stateless(&stream);
    if (rc != COMP_OK) throw EncodeError("PNG: igzip deflate failed (code " + std::to_string(rc) + ")");
    return stream.total_out;
}

void put_be32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

// Writes length, type, (data already in place after the type), CRC. `chunk`
// points at the length field; returns the byte after the CRC.
uint8_t* finish_chunk(uint8_t* chunk, const char type[4], size_t data_size) {
    put_be32(chunk, uint32_t(data_size));
    std::memcpy(chunk + 4, type, 4);
    uint32_t crc = libdeflate_crc32(0, chunk + 4, 4 + data_size);
    put_be32(chunk + 8 + data_size, crc);
    return chunk + 12 + data_size;
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& image, int level) {
    detail::check_image(image, "PNG");
    if (level < kMinLevel || level > kMaxLevel)
        throw EncodeError("PNG: compression level " + std::to_string(level) + " is out of range (" +
                          std::to_string(kMinLevel) + ".." + std::to_string(kMaxLevel) + ")");

    // Filter type 0 on every row: text pages are mostly flat white, where the
    // "none" filter already compresses well and costs nothing to compute.
    const size_t stride = image.stride();
    const size_t raw_size = (stride + 1) * size_t(image.height);
    thread_local std::vector<uint8_t> raw;
    raw.resize(raw_size);
    for (int y = 0; y < image.height; ++y) {
        uint8_t* out = raw.data() + size_t(y) * (stride + 1);
        out[0] = 0;
        std::memcpy(out + 1, image.row(y), stride);
    }

    // Deflate into a per-thread scratch buffer and copy out the exact size:
    // a fresh bound-sized vector per page would be zero-filled and page-faulted
    // in, which costs a third as much as the compression itself.
    thread_local std::vector<uint8_t> deflated;
    const size_t compressed = zlib_compress(raw, level, deflated);

    static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    constexpr size_t kIhdrSize = 13;
    std::vector<uint8_t> png(sizeof kSignature + (12 + kIhdrSize) + (12 + compressed) + 12);

    uint8_t* p = png.data();
    std::memcpy(p, kSignature, sizeof kSignature);
    p += sizeof kSignature;

    uint8_t* ihdr = p + 8;
    put_be32(ihdr, uint32_t(image.width));
    put_be32(ihdr + 4, uint32_t(image.height));
    ihdr[8] = 8;                            // bit depth
    ihdr[9] = image.channels == 1 ? 0 : 2;  // color type: gray or truecolor
    ihdr[10] = ihdr[11] = ihdr[12] = 0;     // deflate, adaptive filtering, no interlace
    p = finish_chunk(p, "IHDR", kIhdrSize);

    std::memcpy(p + 8, deflated.data(), compressed);
    p = finish_chunk(p, "IDAT", compressed);
    finish_chunk(p, "IEND", 0);
    return png;
}

}  // namespace glyph
