#include "similarity/image_decode.hpp"

#include <algorithm>
#include <bit>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

// libjpeg's header needs stdio's FILE declared first.
#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

namespace triage::similarity {

namespace {

constexpr size_t kMaxWarnings = 8;            // keep the first few; a broken file can produce thousands
constexpr long kMaxJpegMemory = 768L << 20;   // libjpeg's own buffers, beside our pixels

void check_dimensions(uint64_t w, uint64_t h, const DecodeLimits& lim, const char* what) {
    if (w == 0 || h == 0) throw DecodeError(std::string(what) + ": zero width or height");
    if (w > lim.max_side || h > lim.max_side || w * h > lim.max_pixels)
        throw DecodeError(std::string(what) + ": " + std::to_string(w) + "x" + std::to_string(h) +
                          " pixels is more than the decoder accepts (" + std::to_string(lim.max_side) + " per side, " +
                          std::to_string(lim.max_pixels) + " in all)");
}

void allocate(DecodedImage& img, int w, int h, int channels) {
    img.width = w;
    img.height = h;
    img.channels = channels;
    img.pixels.assign(size_t(w) * size_t(h) * size_t(channels), 0);
}

void add_warning(DecodedImage& img, const std::string& w) {
    if (img.warnings.size() < kMaxWarnings) img.warnings.push_back(w);
}

// ---------------------------------------------------------------------------------------------
// JPEG. libjpeg reports fatal errors through error_exit, which must not return: it longjmps
// back into the small C-style functions below, whose frames hold nothing with a destructor.

struct JpegCtx {
    jpeg_decompress_struct cinfo;
    jpeg_error_mgr jerr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    char first_warning[JMSG_LENGTH_MAX];
    long warnings;
};

extern "C" void jpeg_fail(j_common_ptr c) {
    auto* ctx = reinterpret_cast<JpegCtx*>(c->client_data);
    c->err->format_message(c, ctx->message);
    std::longjmp(ctx->jump, 1);
}

extern "C" void jpeg_message(j_common_ptr c, int level) {
    if (level >= 0) return;   // trace messages
    auto* ctx = reinterpret_cast<JpegCtx*>(c->client_data);
    if (ctx->warnings++ == 0) c->err->format_message(c, ctx->first_warning);
}

bool jpeg_header(JpegCtx* ctx, const uint8_t* data, size_t size, uint32_t reduce_to) {
    if (setjmp(ctx->jump)) return false;
    jpeg_create_decompress(&ctx->cinfo);
    // A progressive JPEG keeps every coefficient in memory; with no backing store libjpeg-turbo
    // refuses (an error, not a crash) rather than go past this.
    ctx->cinfo.mem->max_memory_to_use = kMaxJpegMemory;
    jpeg_mem_src(&ctx->cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&ctx->cinfo, TRUE);
    auto& ci = ctx->cinfo;
    // Grey stays grey; CMYK cannot be converted by libjpeg and is converted below.
    if (ci.jpeg_color_space == JCS_GRAYSCALE) ci.out_color_space = JCS_GRAYSCALE;
    else if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) ci.out_color_space = JCS_CMYK;
    else ci.out_color_space = JCS_RGB;
    if (reduce_to)
        for (unsigned d : {8u, 4u, 2u})
            if (ci.image_width / d >= reduce_to && ci.image_height / d >= reduce_to) {
                ci.scale_num = 1;
                ci.scale_denom = d;
                break;
            }
    jpeg_calc_output_dimensions(&ci);   // output_width/height: what jpeg_pixels will write
    return true;
}

bool jpeg_pixels(JpegCtx* ctx, uint8_t* out, size_t row_bytes, uint8_t* cmyk_row) {
    if (setjmp(ctx->jump)) return false;
    auto& ci = ctx->cinfo;
    jpeg_start_decompress(&ci);
    while (ci.output_scanline < ci.output_height) {
        const bool cmyk = ci.out_color_space == JCS_CMYK;
        uint8_t* dst = out + size_t(ci.output_scanline) * row_bytes;
        JSAMPROW row = cmyk ? cmyk_row : dst;
        if (jpeg_read_scanlines(&ci, &row, 1) != 1) break;
        if (cmyk)
            // Adobe writes CMYK JPEGs inverted (0 = full ink), which is what nearly all are.
            for (JDIMENSION x = 0; x < ci.output_width; ++x) {
                const unsigned k = cmyk_row[4 * x + 3];
                for (int c = 0; c < 3; ++c) dst[3 * x + c] = static_cast<uint8_t>(cmyk_row[4 * x + c] * k / 255);
            }
    }
    jpeg_finish_decompress(&ci);
    return true;
}

DecodedImage decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& lim) {
    auto ctx = std::make_unique<JpegCtx>();
    std::memset(ctx.get(), 0, sizeof(JpegCtx));
    ctx->cinfo.err = jpeg_std_error(&ctx->jerr);
    ctx->jerr.error_exit = jpeg_fail;
    ctx->jerr.emit_message = jpeg_message;
    ctx->cinfo.client_data = ctx.get();
    struct Destroy {
        JpegCtx* c;
        ~Destroy() { jpeg_destroy_decompress(&c->cinfo); }
    } destroy{ctx.get()};

    if (!jpeg_header(ctx.get(), data, size, lim.reduce_to)) throw DecodeError(std::string("JPEG: ") + ctx->message);
    const auto& ci = ctx->cinfo;
    check_dimensions(ci.image_width, ci.image_height, lim, "JPEG");
    DecodedImage img;
    const int channels = ci.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    allocate(img, static_cast<int>(ci.output_width), static_cast<int>(ci.output_height), channels);
    std::vector<uint8_t> cmyk_row(ci.out_color_space == JCS_CMYK ? size_t(ci.output_width) * 4 : 0);
    const bool ok = jpeg_pixels(ctx.get(), img.pixels.data(), size_t(img.width) * channels, cmyk_row.data());
    if (!ok) {
        // Fatal only if nothing was decoded; otherwise the rows read so far stand, the rest black.
        if (ctx->cinfo.output_scanline == 0) throw DecodeError(std::string("JPEG: ") + ctx->message);
        add_warning(img, std::string("JPEG: ") + ctx->message + " (after row " +
                             std::to_string(ctx->cinfo.output_scanline) + ")");
    }
    if (ctx->warnings > 0)
        add_warning(img, "JPEG: " + std::to_string(ctx->warnings) + " warning(s), first: " + ctx->first_warning);
    return img;
}

// ---------------------------------------------------------------------------------------------
// PNG: the same discipline, libpng longjmps to png_jmpbuf.

struct PngCtx {
    png_structp png = nullptr;
    png_infop info = nullptr;
    const uint8_t* data = nullptr;
    size_t size = 0, pos = 0;
    char message[256] = {};
    char first_warning[256] = {};
    long warnings = 0;
    png_uint_32 width = 0, height = 0;
    int channels = 0;
    size_t rowbytes = 0;
};

extern "C" void png_fail(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<PngCtx*>(png_get_error_ptr(png));
    std::snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "error");
    png_longjmp(png, 1);
}

extern "C" void png_warn(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<PngCtx*>(png_get_error_ptr(png));
    if (ctx->warnings++ == 0) std::snprintf(ctx->first_warning, sizeof ctx->first_warning, "%s", msg ? msg : "");
}

extern "C" void png_read_mem(png_structp png, png_bytep out, png_size_t n) {
    auto* ctx = static_cast<PngCtx*>(png_get_io_ptr(png));
    if (n > ctx->size - ctx->pos) png_error(png, "truncated file (data ends early)");
    std::memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

bool png_header(PngCtx* ctx, uint32_t max_side) {
    if (setjmp(png_jmpbuf(ctx->png))) return false;
    png_set_read_fn(ctx->png, ctx, png_read_mem);
    png_set_user_limits(ctx->png, max_side, max_side);
    png_set_chunk_malloc_max(ctx->png, 16u << 20);   // text and ICC chunks: no more than 16 MiB each
    png_read_info(ctx->png, ctx->info);
    const int type = png_get_color_type(ctx->png, ctx->info);
    const int depth = png_get_bit_depth(ctx->png, ctx->info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(ctx->png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(ctx->png);
    if (depth == 16) png_set_strip_16(ctx->png);
    // Transparency is ignored: PDQ hashes the colour values as stored.
    // (palette expansion also turns a tRNS chunk into alpha, so strip it in every case).
    png_set_strip_alpha(ctx->png);
    png_set_interlace_handling(ctx->png);
    png_read_update_info(ctx->png, ctx->info);
    ctx->width = png_get_image_width(ctx->png, ctx->info);
    ctx->height = png_get_image_height(ctx->png, ctx->info);
    ctx->channels = png_get_channels(ctx->png, ctx->info);
    ctx->rowbytes = png_get_rowbytes(ctx->png, ctx->info);
    return true;
}

bool png_pixels(PngCtx* ctx, png_bytepp rows) {
    if (setjmp(png_jmpbuf(ctx->png))) return false;
    png_read_image(ctx->png, rows);
    png_read_end(ctx->png, nullptr);
    return true;
}

DecodedImage decode_png(const uint8_t* data, size_t size, const DecodeLimits& lim) {
    PngCtx ctx;
    ctx.data = data;
    ctx.size = size;
    ctx.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_fail, png_warn);
    if (!ctx.png) throw DecodeError("PNG: cannot create a decoder");
    ctx.info = png_create_info_struct(ctx.png);
    struct Destroy {
        PngCtx& c;
        ~Destroy() { png_destroy_read_struct(&c.png, c.info ? &c.info : nullptr, nullptr); }
    } destroy{ctx};
    if (!ctx.info) throw DecodeError("PNG: cannot create a decoder");

    if (!png_header(&ctx, lim.max_side)) throw DecodeError(std::string("PNG: ") + ctx.message);
    check_dimensions(ctx.width, ctx.height, lim, "PNG");
    if ((ctx.channels != 1 && ctx.channels != 3) || ctx.rowbytes != size_t(ctx.width) * ctx.channels)
        throw DecodeError("PNG: unexpected pixel layout after conversion");
    DecodedImage img;
    allocate(img, static_cast<int>(ctx.width), static_cast<int>(ctx.height), ctx.channels);
    std::vector<png_bytep> rows(ctx.height);
    for (png_uint_32 y = 0; y < ctx.height; ++y) rows[y] = img.pixels.data() + size_t(y) * ctx.rowbytes;
    if (!png_pixels(&ctx, rows.data())) {
        // png_read_end reads only trailing chunks: damage there leaves the picture whole.
        throw DecodeError(std::string("PNG: ") + ctx.message);
    }
    if (ctx.warnings > 0)
        add_warning(img, "PNG: " + std::to_string(ctx.warnings) + " warning(s), first: " + ctx.first_warning);
    return img;
}

// ---------------------------------------------------------------------------------------------
// GIF: the first frame, painted on the logical screen. giflib reports errors by return codes.

struct GifReader {
    const uint8_t* data;
    size_t size, pos;
};

extern "C" int gif_read_mem(GifFileType* gif, GifByteType* out, int n) {
    auto* r = static_cast<GifReader*>(gif->UserData);
    if (n <= 0) return 0;
    const size_t take = std::min(size_t(n), r->size - r->pos);
    std::memcpy(out, r->data + r->pos, take);
    r->pos += take;
    return static_cast<int>(take);
}

DecodedImage decode_gif(const uint8_t* data, size_t size, const DecodeLimits& lim) {
    GifReader reader{data, size, 0};
    int err = 0;
    GifFileType* gif = DGifOpen(&reader, gif_read_mem, &err);
    if (!gif) throw DecodeError(std::string("GIF: ") + GifErrorString(err));
    struct Close {
        GifFileType* g;
        ~Close() {
            int e = 0;
            DGifCloseFile(g, &e);
        }
    } close{gif};
    auto fail = [&](const char* what) {
        return DecodeError(std::string("GIF: ") + what + ": " + GifErrorString(gif->Error));
    };

    int transparent = -1;
    for (;;) {
        GifRecordType rec;
        if (DGifGetRecordType(gif, &rec) == GIF_ERROR) throw fail("reading the next record");
        if (rec == TERMINATE_RECORD_TYPE) throw DecodeError("GIF: no image in the file");
        if (rec == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType* ext = nullptr;
            if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR) throw fail("reading an extension");
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
                GraphicsControlBlock gcb;
                if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) transparent = gcb.TransparentColor;
            }
            while (ext)
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) throw fail("reading an extension");
            continue;
        }
        if (rec != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif) == GIF_ERROR) throw fail("reading the image descriptor");
        const GifImageDesc& d = gif->Image;
        if (d.Width <= 0 || d.Height <= 0) throw DecodeError("GIF: frame of zero size");
        const ColorMapObject* map = d.ColorMap ? d.ColorMap : gif->SColorMap;
        if (!map || !map->Colors || map->ColorCount <= 0) throw DecodeError("GIF: no colour table");
        // The logical screen; files with a zero or too small screen show the frame alone.
        const int sw = gif->SWidth >= d.Left + d.Width ? gif->SWidth : d.Left + d.Width;
        const int sh = gif->SHeight >= d.Top + d.Height ? gif->SHeight : d.Top + d.Height;
        check_dimensions(uint64_t(sw), uint64_t(sh), lim, "GIF");
        check_dimensions(uint64_t(d.Width), uint64_t(d.Height), lim, "GIF frame");
        DecodedImage img;
        allocate(img, sw, sh, 3);
        auto colour = [&](int index, uint8_t* px) {
            if (index < 0 || index >= map->ColorCount) index = 0;
            px[0] = map->Colors[index].Red;
            px[1] = map->Colors[index].Green;
            px[2] = map->Colors[index].Blue;
        };
        if (gif->SColorMap && gif->SBackGroundColor < gif->SColorMap->ColorCount) {
            const GifColorType bg = gif->SColorMap->Colors[gif->SBackGroundColor];
            for (size_t i = 0; i < img.pixels.size(); i += 3) {
                img.pixels[i] = bg.Red;
                img.pixels[i + 1] = bg.Green;
                img.pixels[i + 2] = bg.Blue;
            }
        }
        std::vector<GifPixelType> line(size_t(d.Width));
        // Interlaced frames store rows 0, 8, 16..., then 4, 12..., then 2, 6..., then 1, 3...
        static const int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
        int rows_read = 0;
        for (int pass = 0; pass < (d.Interlace ? 4 : 1); ++pass) {
            const int start = d.Interlace ? kStart[pass] : 0, step = d.Interlace ? kStep[pass] : 1;
            for (int y = start; y < d.Height; y += step) {
                if (DGifGetLine(gif, line.data(), d.Width) == GIF_ERROR) {
                    if (rows_read == 0) throw fail("reading pixels");
                    add_warning(img, "GIF: data ends after " + std::to_string(rows_read) + " of " +
                                         std::to_string(d.Height) + " rows: " + GifErrorString(gif->Error));
                    return img;
                }
                ++rows_read;
                uint8_t* row = img.pixels.data() + (size_t(d.Top + y) * sw + d.Left) * 3;
                for (int x = 0; x < d.Width; ++x)
                    if (line[x] != transparent) colour(line[x], row + 3 * size_t(x));
            }
        }
        return img;
    }
}

// ---------------------------------------------------------------------------------------------
// WebP: still images (lossy, lossless, with alpha); animations are refused.

DecodedImage decode_webp(const uint8_t* data, size_t size, const DecodeLimits& lim) {
    WebPBitstreamFeatures f;
    const VP8StatusCode st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK) throw DecodeError("WebP: cannot read the header (status " + std::to_string(st) + ")");
    if (f.has_animation) throw DecodeError("WebP: animated WebP is not decoded");
    check_dimensions(uint64_t(f.width), uint64_t(f.height), lim, "WebP");
    DecodedImage img;
    allocate(img, f.width, f.height, 3);
    if (!WebPDecodeRGBInto(data, size, img.pixels.data(), img.pixels.size(), f.width * 3))
        throw DecodeError("WebP: the bitstream is damaged or truncated");
    return img;
}

// ---------------------------------------------------------------------------------------------
// BMP, parsed here: Windows BITMAPINFOHEADER and later (40..124-byte headers) and OS/2 core
// (12-byte) headers; 1, 4, 8 bits with a palette, 16, 24 and 32 bits, BI_RGB and BI_BITFIELDS.
// RLE-compressed bitmaps are refused. Every read is checked against the buffer's end.

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

// Extracts a channel given by a bit mask and scales it to 0..255.
uint8_t from_mask(uint32_t v, uint32_t mask) {
    if (!mask) return 0;
    const int shift = std::countr_zero(mask);
    const uint32_t m = mask >> shift;
    const uint32_t bits = (v & mask) >> shift;
    return static_cast<uint8_t>(m == 255 ? bits : (uint64_t(bits) * 255 + m / 2) / m);
}

DecodedImage decode_bmp(const uint8_t* data, size_t size, const DecodeLimits& lim) {
    if (size < 26) throw DecodeError("BMP: file too short for its headers");
    const uint32_t pixel_offset = le32(data + 10);
    const uint32_t hdr = le32(data + 14);
    if (hdr != 12 && (hdr < 40 || hdr > 124)) throw DecodeError("BMP: unknown header size " + std::to_string(hdr));
    if (size < 14 + size_t(hdr)) throw DecodeError("BMP: file too short for its headers");
    const uint8_t* h = data + 14;
    int64_t w, ht;
    unsigned bpp, compression = 0, colours = 0;
    if (hdr == 12) {
        w = le16(h + 4);
        ht = static_cast<int16_t>(le16(h + 6));
        bpp = le16(h + 10);
    } else {
        w = static_cast<int32_t>(le32(h + 4));
        ht = static_cast<int32_t>(le32(h + 8));
        bpp = le16(h + 14);
        compression = le32(h + 16);
        colours = le32(h + 32);
    }
    const bool top_down = ht < 0;
    if (top_down) ht = -ht;
    if (w <= 0) throw DecodeError("BMP: width " + std::to_string(w));
    check_dimensions(uint64_t(w), uint64_t(ht), lim, "BMP");
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        throw DecodeError("BMP: unsupported bit depth " + std::to_string(bpp));
    // 0 BI_RGB, 3 BI_BITFIELDS, 6 BI_ALPHABITFIELDS; 1 and 2 are RLE, 4 and 5 embedded JPEG/PNG.
    if (compression != 0 && compression != 3 && compression != 6)
        throw DecodeError("BMP: unsupported compression " + std::to_string(compression));
    if (compression != 0 && bpp != 16 && bpp != 32) throw DecodeError("BMP: bit fields with " + std::to_string(bpp) + " bits");

    uint32_t rmask = 0, gmask = 0, bmask = 0;
    if (bpp == 16) rmask = 0x7c00, gmask = 0x03e0, bmask = 0x001f;
    if (bpp == 32) rmask = 0x00ff0000, gmask = 0x0000ff00, bmask = 0x000000ff;
    if (compression != 0) {
        // Masks follow a 40-byte header, or sit inside a larger one at the same place.
        if (size < 14 + 40 + 12) throw DecodeError("BMP: file too short for its colour masks");
        rmask = le32(data + 54);
        gmask = le32(data + 58);
        bmask = le32(data + 62);
    }

    std::vector<uint8_t> palette;   // RGB triples
    if (bpp <= 8) {
        const size_t entry = hdr == 12 ? 3 : 4;
        size_t n = colours ? colours : (1u << bpp);
        if (n > 256) n = 256;
        const size_t at = 14 + size_t(hdr);
        if (at > size) throw DecodeError("BMP: palette outside the file");
        n = std::min(n, (size - at) / entry);
        if (n == 0) throw DecodeError("BMP: no palette");
        palette.resize(n * 3);
        for (size_t i = 0; i < n; ++i) {
            palette[3 * i] = data[at + entry * i + 2];
            palette[3 * i + 1] = data[at + entry * i + 1];
            palette[3 * i + 2] = data[at + entry * i];
        }
    }

    const size_t stride = ((size_t(w) * bpp + 31) / 32) * 4;
    if (pixel_offset > size) throw DecodeError("BMP: pixel data offset beyond the end of the file");
    const size_t available_rows = (size - pixel_offset) / stride;
    DecodedImage img;
    allocate(img, static_cast<int>(w), static_cast<int>(ht), 3);
    const size_t rows = std::min<size_t>(available_rows, size_t(ht));
    if (rows == 0) throw DecodeError("BMP: no pixel data");
    if (rows < size_t(ht))
        add_warning(img, "BMP: pixel data ends after " + std::to_string(rows) + " of " + std::to_string(ht) + " rows");
    for (size_t r = 0; r < rows; ++r) {
        const uint8_t* src = data + pixel_offset + r * stride;
        const size_t y = top_down ? r : size_t(ht) - 1 - r;
        uint8_t* dst = img.pixels.data() + y * size_t(w) * 3;
        for (int64_t x = 0; x < w; ++x, dst += 3) {
            if (bpp <= 8) {
                const size_t bit = size_t(x) * bpp;
                const unsigned idx = (src[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
                const size_t i = idx * 3 < palette.size() ? idx * 3 : 0;
                std::memcpy(dst, &palette[i], 3);
            } else if (bpp == 24) {
                dst[0] = src[3 * x + 2];
                dst[1] = src[3 * x + 1];
                dst[2] = src[3 * x];
            } else {
                const uint32_t v = bpp == 16 ? le16(src + 2 * x) : le32(src + 4 * x);
                dst[0] = from_mask(v, rmask);
                dst[1] = from_mask(v, gmask);
                dst[2] = from_mask(v, bmask);
            }
        }
    }
    return img;
}

}  // namespace

ImageType sniff_image(const uint8_t* d, size_t n) {
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return ImageType::Jpeg;
    if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return ImageType::Png;
    if (n >= 6 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) return ImageType::Gif;
    if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) return ImageType::Webp;
    // "BM" alone is too common a start; also require a known DIB header size.
    if (n >= 18 && d[0] == 'B' && d[1] == 'M') {
        const uint32_t hdr = le32(d + 14);
        if (hdr == 12 || hdr == 40 || hdr == 52 || hdr == 56 || hdr == 64 || hdr == 108 || hdr == 124)
            return ImageType::Bmp;
    }
    return ImageType::None;
}

const char* image_type_name(ImageType t) {
    switch (t) {
        case ImageType::Jpeg: return "jpeg";
        case ImageType::Png: return "png";
        case ImageType::Gif: return "gif";
        case ImageType::Bmp: return "bmp";
        case ImageType::Webp: return "webp";
        case ImageType::None: break;
    }
    return "none";
}

DecodedImage decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
    switch (sniff_image(data, size)) {
        case ImageType::Jpeg: return decode_jpeg(data, size, limits);
        case ImageType::Png: return decode_png(data, size, limits);
        case ImageType::Gif: return decode_gif(data, size, limits);
        case ImageType::Webp: return decode_webp(data, size, limits);
        case ImageType::Bmp: return decode_bmp(data, size, limits);
        case ImageType::None: break;
    }
    throw DecodeError("not a JPEG, PNG, GIF, WebP or BMP image");
}

}  // namespace triage::similarity
