// PNG fast paths through libdeflate (about twice zlib's speed both ways): decoding of 8-bit, non-interlaced,
// non-palette PNGs whose chunks are all well-formed, and encoding with the Sub filter. Anything else, and any
// anomaly (bad CRC, unexpected chunk, short or long image data, a bad filter byte), goes to the libpng path,
// which then gives its usual result or error message; the fast paths never report errors themselves.
#include "ImagingShims.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

// One (de)compressor per thread, made on first use (each is a few hundred KB; never freed).
static _Thread_local struct libdeflate_decompressor *thread_decompressor;
static _Thread_local struct libdeflate_compressor *thread_compressor;
static _Thread_local int thread_compressor_level = -1;

// The buffer of filtered rows (the decoder's inflated data, the encoder's input to deflate) and the encoder's
// deflate output, kept per thread for sizes up to RAW_KEEP_MAX (never freed, as the (de)compressors).
#define RAW_KEEP_MAX ((size_t)16 << 20)
static _Thread_local uint8_t *thread_raw;
static _Thread_local size_t thread_raw_capacity;

// Largest filtered image (bytes) for oodb_deflate_pixels3, whose per-thread token buffer is 4 bytes per byte.
#define PIXELS3_MAX ((size_t)4 << 20)

static _Thread_local uint8_t *thread_stream;
static _Thread_local size_t thread_stream_capacity;

static uint8_t *reserve(uint8_t **buffer, size_t *capacity, size_t size) {
    if (size > *capacity) {
        free(*buffer);
        *buffer = (uint8_t *)malloc(size);
        *capacity = *buffer ? size : 0;
    }
    return *buffer;
}

static uint8_t *thread_raw_reserve(size_t size) { return reserve(&thread_raw, &thread_raw_capacity, size); }

// The Paeth predictor without branches (p − a = b − c, p − b = a − c, p − c = a + b − 2c): conditional moves
// instead of unpredictable jumps on photographs.
static inline int paeth(int a, int b, int c) {
    const int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    const int bc = pb <= pc ? b : c;
    return (pa <= pb && pa <= pc) ? a : bc;
}

// Paeth rows for a fixed pixel size, so that the channels of a pixel are independent chains the compiler unrolls.
#define PAETH_ROW(BPP)                                                                                            \
    static void paeth_row_##BPP(const uint8_t *src, const uint8_t *prev, uint8_t *dst, size_t rowbytes) {       \
        for (size_t i = 0; i < BPP; i++) dst[i] = (uint8_t)(src[i] + prev[i]);                                \
        for (size_t i = BPP; i + BPP <= rowbytes; i += BPP) {                                                    \
            for (size_t k = 0; k < BPP; k++) {                                                                   \
                dst[i + k] = (uint8_t)(src[i + k] + paeth(dst[i + k - BPP], prev[i + k], prev[i + k - BPP]));   \
            }                                                                                                    \
        }                                                                                                        \
    }
PAETH_ROW(1)
PAETH_ROW(2)
PAETH_ROW(3)
PAETH_ROW(4)
#undef PAETH_ROW

#if defined(__SSE2__)
#include <emmintrin.h>
// Sub, Average and Paeth for 3- and 4-byte pixels with one pixel per SSE2 register (16-bit lanes): the left
// neighbour stays in a register instead of going through memory, and Paeth's choice is made with compares and
// masks instead of jumps. Per byte the arithmetic is the filter's definition, so the result equals the scalar code.
static inline __m128i px_load(const uint8_t *p, int bpp) {
    uint32_t v = 0;
    memcpy(&v, p, (size_t)bpp);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)v), _mm_setzero_si128());
}

static inline void px_store(uint8_t *p, __m128i v16, int bpp) {
    const uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(v16, v16));
    memcpy(p, &v, (size_t)bpp);
}

static inline __m128i abs16(__m128i x) { return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x)); }

static inline __m128i select16(__m128i mask, __m128i yes, __m128i no) {
    return _mm_or_si128(_mm_and_si128(mask, yes), _mm_andnot_si128(mask, no));
}

/// The Paeth predictor of a, b, c (16-bit lanes) added to the filtered pixel x, modulo 256.
static inline __m128i paeth_px(__m128i a, __m128i b, __m128i c, __m128i x) {
    const __m128i bc = _mm_sub_epi16(b, c), ac = _mm_sub_epi16(a, c);
    const __m128i pa = abs16(bc), pb = abs16(ac), pc = abs16(_mm_add_epi16(bc, ac));
    const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
    // a when pa is smallest, else b when pb ≤ pc, else c (the ties as the scalar predictor)
    const __m128i nearest = select16(_mm_cmpeq_epi16(smallest, pa), a, select16(_mm_cmpeq_epi16(smallest, pb), b, c));
    return _mm_and_si128(_mm_add_epi16(x, nearest), _mm_set1_epi16(0xff));
}

#define SIMD_ROWS(BPP)                                                                                           \
    static void sub_row_simd_##BPP(const uint8_t *src, uint8_t *dst, size_t rowbytes) {                       \
        const __m128i byte = _mm_set1_epi16(0xff);                                                            \
        __m128i a = _mm_setzero_si128();                                                                      \
        for (size_t i = 0; i + BPP <= rowbytes; i += BPP) {                                                   \
            a = _mm_and_si128(_mm_add_epi16(px_load(src + i, BPP), a), byte);                                 \
            px_store(dst + i, a, BPP);                                                                        \
        }                                                                                                     \
    }                                                                                                         \
    static void avg_row_simd_##BPP(const uint8_t *src, const uint8_t *prev, uint8_t *dst, size_t rowbytes) {  \
        const __m128i byte = _mm_set1_epi16(0xff);                                                            \
        __m128i a = _mm_setzero_si128();                                                                      \
        for (size_t i = 0; i + BPP <= rowbytes; i += BPP) {                                                   \
            const __m128i mean = _mm_srli_epi16(_mm_add_epi16(a, px_load(prev + i, BPP)), 1);                \
            a = _mm_and_si128(_mm_add_epi16(px_load(src + i, BPP), mean), byte);                              \
            px_store(dst + i, a, BPP);                                                                        \
        }                                                                                                     \
    }                                                                                                         \
    static void paeth_row_simd_##BPP(const uint8_t *src, const uint8_t *prev, uint8_t *dst, size_t rowbytes) { \
        const __m128i byte = _mm_set1_epi16(0xff);                                                            \
        __m128i a = _mm_setzero_si128(), c = _mm_setzero_si128(); /* first pixel: a = c = 0 picks b */        \
        for (size_t i = 0; i + BPP <= rowbytes; i += BPP) {                                                   \
            const __m128i b = px_load(prev + i, BPP);                                                         \
            const __m128i bc = _mm_sub_epi16(b, c), ac = _mm_sub_epi16(a, c);                                 \
            const __m128i pa = abs16(bc), pb = abs16(ac), pc = abs16(_mm_add_epi16(bc, ac));                  \
            const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));                                \
            /* a when pa is smallest, else b when pb ≤ pc, else c (the ties as the scalar predictor) */       \
            const __m128i nearest = select16(_mm_cmpeq_epi16(smallest, pa), a,                                \
                                             select16(_mm_cmpeq_epi16(smallest, pb), b, c));                  \
            a = _mm_and_si128(_mm_add_epi16(px_load(src + i, BPP), nearest), byte);                           \
            c = b;                                                                                            \
            px_store(dst + i, a, BPP);                                                                        \
        }                                                                                                     \
    }
SIMD_ROWS(3)
SIMD_ROWS(4)

// Two consecutive Paeth rows at once: pixel i of the second row needs pixels i − 1 and i of the first (its c and
// b) and its own pixel i − 1, so the two rows' dependency chains run side by side, one pixel apart.
#define PAETH_TWO_ROWS(BPP)                                                                                      \
    static void paeth_two_rows_simd_##BPP(const uint8_t *src0, const uint8_t *src1, const uint8_t *prev,      \
                                          uint8_t *dst0, uint8_t *dst1, size_t rowbytes) {                      \
        __m128i a0 = _mm_setzero_si128(), c0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();                 \
        for (size_t i = 0; i + BPP <= rowbytes; i += BPP) {                                                   \
            const __m128i b0 = px_load(prev + i, BPP);                                                        \
            const __m128i d0 = paeth_px(a0, b0, c0, px_load(src0 + i, BPP));                                  \
            px_store(dst0 + i, d0, BPP);                                                                      \
            const __m128i d1 = paeth_px(a1, d0, a0, px_load(src1 + i, BPP)); /* c: first row, pixel i − 1 */  \
            px_store(dst1 + i, d1, BPP);                                                                      \
            a0 = d0;                                                                                          \
            c0 = b0;                                                                                          \
            a1 = d1;                                                                                          \
        }                                                                                                     \
    }
PAETH_TWO_ROWS(3)
PAETH_TWO_ROWS(4)
#undef PAETH_TWO_ROWS
#undef SIMD_ROWS
#define HAVE_SIMD_ROWS 1
#else
#define HAVE_SIMD_ROWS 0
#endif

// Reverses the PNG filters of `height` rows (filter byte + rowbytes each) into `out` (rowbytes per row).
// Returns 0 on an unknown filter type.
static int unfilter(const uint8_t *raw, uint32_t height, size_t rowbytes, int bpp, uint8_t *out) {
    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *src = raw + (size_t)y * (rowbytes + 1);
        const uint8_t type = src[0];
        src++;
        uint8_t *dst = out + (size_t)y * rowbytes;
        size_t i;
#if HAVE_SIMD_ROWS
        if (type == 4 && prev && (bpp == 3 || bpp == 4) && y + 1 < height && src[rowbytes] == 4) {
            // This row and the next are Paeth rows (src + rowbytes is the next row's filter byte).
            if (bpp == 3) paeth_two_rows_simd_3(src, src + rowbytes + 1, prev, dst, dst + rowbytes, rowbytes);
            else paeth_two_rows_simd_4(src, src + rowbytes + 1, prev, dst, dst + rowbytes, rowbytes);
            prev = dst + rowbytes;
            y++;
            continue;
        }
#endif
        switch (type) {
        case 0:
            memcpy(dst, src, rowbytes);
            break;
        case 1:
#if HAVE_SIMD_ROWS
            if (bpp == 3) { sub_row_simd_3(src, dst, rowbytes); break; }
            if (bpp == 4) { sub_row_simd_4(src, dst, rowbytes); break; }
#endif
            for (i = 0; i < (size_t)bpp && i < rowbytes; i++) dst[i] = src[i];
            for (; i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + dst[i - bpp]);
            break;
        case 2:
            if (prev) {
                for (i = 0; i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + prev[i]);
            } else {
                memcpy(dst, src, rowbytes);
            }
            break;
        case 3:
#if HAVE_SIMD_ROWS
            if (prev && bpp == 3) { avg_row_simd_3(src, prev, dst, rowbytes); break; }
            if (prev && bpp == 4) { avg_row_simd_4(src, prev, dst, rowbytes); break; }
#endif
            if (prev) {
                for (i = 0; i < (size_t)bpp && i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + (prev[i] >> 1));
                for (; i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + (((unsigned)dst[i - bpp] + prev[i]) >> 1));
            } else {
                for (i = 0; i < (size_t)bpp && i < rowbytes; i++) dst[i] = src[i];
                for (; i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + (dst[i - bpp] >> 1));
            }
            break;
        case 4:
            if (prev) {  // rowbytes = width · bpp, width ≥ 1
#if HAVE_SIMD_ROWS
                if (bpp == 3) { paeth_row_simd_3(src, prev, dst, rowbytes); break; }
                if (bpp == 4) { paeth_row_simd_4(src, prev, dst, rowbytes); break; }
#endif
                switch (bpp) {
                case 1: paeth_row_1(src, prev, dst, rowbytes); break;
                case 2: paeth_row_2(src, prev, dst, rowbytes); break;
                case 3: paeth_row_3(src, prev, dst, rowbytes); break;
                default: paeth_row_4(src, prev, dst, rowbytes); break;
                }
            } else {  // above and upper-left are 0: Paeth picks the left neighbour
                for (i = 0; i < (size_t)bpp && i < rowbytes; i++) dst[i] = src[i];
                for (; i < rowbytes; i++) dst[i] = (uint8_t)(src[i] + dst[i - bpp]);
            }
            break;
        default:
            return 0;
        }
        prev = dst;
    }
    return 1;
}

int oodb_png_decode_fast(const uint8_t *data, size_t size, int want16, uint64_t max_pixels, oodb_image_info *info,
                         void **out) {
    *out = NULL;
    // Signature + IHDR (length 13) with a valid CRC.
    static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (size < 8 + 25 || memcmp(data, signature, 8) != 0 || memcmp(data + 8, "\0\0\0\x0dIHDR", 8) != 0) return 0;
    if (libdeflate_crc32(0, data + 12, 17) != be32(data + 29)) return 0;
    const uint32_t width = be32(data + 16), height = be32(data + 20);
    const int depth = data[24], colour = data[25];
    if (data[26] != 0 || data[27] != 0 || data[28] != 0) return 0;  // compression, filter method; interlaced
    if (depth != 8 || width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) return 0;
    if ((uint64_t)width * height > max_pixels) return 0;
    (void)want16;  // 8-bit files only: want16 does not change their result
    int channels;
    switch (colour) {
    case 0: channels = 1; break;
    case 4: channels = 2; break;
    case 2: channels = 3; break;
    case 6: channels = 4; break;
    default: return 0;  // palette (and invalid types): libpng
    }

    // Walk the chunks: CRCs valid, critical chunks only IHDR, consecutive IDATs, IEND; collect the IDAT spans.
    size_t pos = 8 + 25, idat_first = 0, idat_total = 0;
    int idat_count = 0, idat_done = 0, ended = 0;
    while (pos + 12 <= size) {
        const uint32_t length = be32(data + pos);
        if (length > 0x7fffffffu || (size_t)length > size - pos - 12) return 0;
        const uint8_t *type = data + pos + 4;
        if (libdeflate_crc32(0, type, (size_t)length + 4) != be32(data + pos + 8 + length)) return 0;
        if (memcmp(type, "IDAT", 4) == 0) {
            if (idat_done) return 0;
            if (idat_count == 0) idat_first = pos;
            idat_count++;
            idat_total += length;
        } else {
            if (idat_count > 0) idat_done = 1;
            if (memcmp(type, "IEND", 4) == 0) {
                ended = 1;
                break;
            }
            if (!(type[0] & 0x20)) return 0;  // another critical chunk (PLTE, …): libpng decides
        }
        pos += (size_t)length + 12;
    }
    if (!ended || idat_count == 0) return 0;

    // The zlib stream: in place when there is one IDAT, else gathered.
    uint8_t *gathered = NULL;
    const uint8_t *stream = data + idat_first + 8;
    if (idat_count > 1) {
        gathered = (uint8_t *)malloc(idat_total ? idat_total : 1);
        if (!gathered) return 0;
        size_t at = idat_first, filled = 0;
        for (int i = 0; i < idat_count; i++) {
            const uint32_t length = be32(data + at);
            memcpy(gathered + filled, data + at + 8, length);
            filled += length;
            at += (size_t)length + 12;
        }
        stream = gathered;
    }
    const size_t rowbytes = (size_t)width * (size_t)channels;
    const size_t raw_size = (rowbytes + 1) * (size_t)height;
    // The filtered rows go to a buffer kept per thread (up to 16 MiB): a fresh allocation of this size is mapped
    // anew by malloc each time, and its page faults cost about as much as the inflating.
    uint8_t *raw = raw_size <= RAW_KEEP_MAX ? thread_raw_reserve(raw_size) : (uint8_t *)malloc(raw_size);
    uint8_t *pixels = (uint8_t *)malloc(rowbytes * (size_t)height);
    if (!thread_decompressor) thread_decompressor = libdeflate_alloc_decompressor();
    int ok = raw && pixels && thread_decompressor &&
             libdeflate_zlib_decompress(thread_decompressor, stream, idat_total, raw, raw_size, NULL) ==
                 LIBDEFLATE_SUCCESS &&
             unfilter(raw, height, rowbytes, channels, pixels);
    free(gathered);
    if (raw_size > RAW_KEEP_MAX) free(raw);
    if (!ok) {
        free(pixels);
        return 0;
    }
    memset(info, 0, sizeof *info);
    info->width = width;
    info->height = height;
    info->file_depth = 8;
    info->file_color = colour;
    info->channels = channels;
    info->depth = 8;
    *out = pixels;
    return 1;
}

int oodb_png_encode_deflate(const uint8_t *samples, uint32_t width, uint32_t height, int channels, int level,
                            void **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    static const uint8_t types[5] = {0, 0, 4, 2, 6};
    if (channels < 1 || channels > 4 || width == 0 || height == 0 || level < 0 || level > 12) return 0;
    const size_t rowbytes = (size_t)width * (size_t)channels;
    const size_t raw_size = (rowbytes + 1) * (size_t)height;
    if (thread_compressor_level != level) {
        if (thread_compressor) libdeflate_free_compressor(thread_compressor);
        thread_compressor = libdeflate_alloc_compressor(level);
        thread_compressor_level = thread_compressor ? level : -1;
    }
    if (!thread_compressor) return 0;
    const size_t bound = libdeflate_zlib_compress_bound(thread_compressor, raw_size);
    const int keep = raw_size <= RAW_KEEP_MAX && bound <= RAW_KEEP_MAX;  // else one-off buffers
    uint8_t *raw = keep ? thread_raw_reserve(raw_size) : (uint8_t *)malloc(raw_size);
    uint8_t *stream = keep ? reserve(&thread_stream, &thread_stream_capacity, bound) : (uint8_t *)malloc(bound);
    if (!raw || !stream) {
        if (!keep) {
            free(raw);
            free(stream);
        }
        return 0;
    }
    // Sub filter on every row.
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *s = samples + (size_t)y * rowbytes;
        uint8_t *d = raw + (size_t)y * (rowbytes + 1);
        d[0] = 1;
        d++;
        size_t i = 0;
        for (; i < (size_t)channels && i < rowbytes; i++) d[i] = s[i];
        for (; i < rowbytes; i++) d[i] = (uint8_t)(s[i] - s[i - channels]);
    }
    // RGB at level 1 (PNGCompression.fast): the pixel-match writer, about a third faster than libdeflate 1.14's
    // level 1 on noisy pictures and a third smaller on stacked grey noise; libdeflate when it declines.
    size_t compressed = 0;
    if (channels == 3 && level == 1 && raw_size <= PIXELS3_MAX) {
        compressed = oodb_deflate_pixels3(raw, raw_size, rowbytes, stream, bound);
    }
    if (compressed == 0) compressed = libdeflate_zlib_compress(thread_compressor, raw, raw_size, stream, bound);
    // The stream is cut into IDAT chunks of at most 2^30 bytes: 12 bytes of framing per chunk.
    const size_t chunk_max = (size_t)1 << 30;
    uint8_t *png = compressed ? (uint8_t *)malloc(8 + 25 + compressed + 12 * (compressed / chunk_max + 1) + 12) : NULL;
    if (!keep) free(raw);
    if (!png) {
        if (!keep) free(stream);
        return 0;
    }
    static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    uint8_t *p = png;
    memcpy(p, signature, 8);
    p += 8;
    put_be32(p, 13);
    memcpy(p + 4, "IHDR", 4);
    put_be32(p + 8, width);
    put_be32(p + 12, height);
    p[16] = 8;
    p[17] = types[channels];
    p[18] = 0;
    p[19] = 0;
    p[20] = 0;
    put_be32(p + 21, libdeflate_crc32(0, p + 4, 17));
    p += 25;
    for (size_t at = 0; at < compressed; at += chunk_max) {
        const size_t length = compressed - at < chunk_max ? compressed - at : chunk_max;
        put_be32(p, (uint32_t)length);
        memcpy(p + 4, "IDAT", 4);
        memcpy(p + 8, stream + at, length);
        put_be32(p + 8 + length, libdeflate_crc32(0, p + 4, length + 4));
        p += length + 12;
    }
    put_be32(p, 0);
    memcpy(p + 4, "IEND", 4);
    put_be32(p + 8, libdeflate_crc32(0, p + 4, 4));
    p += 12;
    if (!keep) free(stream);
    *out = png;
    *out_size = (size_t)(p - png);
    return 1;
}
