// C helpers for the Imaging module: libpng and libjpeg report errors by longjmp, which Swift cannot catch,
// so every call into those libraries happens here, behind setjmp, and comes back as a status code and a
// message. Not API: only the Imaging module calls these.
#ifndef OODB_IMAGING_SHIMS_H
#define OODB_IMAGING_SHIMS_H

#include <stddef.h>
#include <stdint.h>

/// Status codes of every oodb_* call.
enum {
    OODB_OK = 0,
    OODB_ERR_CORRUPT = 1,      // the library refused the data (message says why)
    OODB_ERR_TRUNCATED = 2,    // the data ended early
    OODB_ERR_ZERO_SIZE = 3,    // width or height is zero
    OODB_ERR_TOO_LARGE = 4,    // width × height exceeds the caller's limit (checked before allocating)
    OODB_ERR_NO_MEMORY = 5,
    OODB_ERR_UNSUPPORTED = 6,  // a valid file this code does not handle (message says what)
};

/// What a decoder found and delivered.
typedef struct {
    uint32_t width;
    uint32_t height;
    int32_t channels;   // of the delivered samples: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    int32_t depth;      // of the delivered samples: 8, or 16 (native-endian uint16) when asked and stored so
    int32_t file_depth; // bit depth in the file (PNG: 1, 2, 4, 8, 16; JPEG: 8 or 12)
    int32_t file_color; // PNG colour type (0, 2, 3, 4, 6); JPEG: number of components
} oodb_image_info;

/// Decodes a PNG held in memory. Palette images become RGB (tRNS ignored, as Pillow's convert("RGB")),
/// grey at 1/2/4 bits is scaled to 8 bits, tRNS of grey/RGB images is ignored, no gamma is applied.
/// 16-bit samples: kept (native-endian uint16) when want16 != 0, else the high byte.
/// On OODB_OK *out is a malloc'd buffer of height × width × channels samples (free with oodb_free).
int oodb_png_decode(const uint8_t *data, size_t size, int want16, uint64_t max_pixels,
                    oodb_image_info *info, void **out, char *message, size_t message_size);

/// `oodb_png_decode` through libpng only (the fast path below skipped), with the same results.
int oodb_png_decode_libpng(const uint8_t *data, size_t size, int want16, uint64_t max_pixels,
                           oodb_image_info *info, void **out, char *message, size_t message_size);

/// The fast path of `oodb_png_decode` (PNGFast.c): 8-bit grey, grey+alpha, RGB or RGBA, not interlaced, every
/// chunk CRC valid, no critical chunk besides IHDR/IDAT/IEND, image data of exactly the right size. Returns 1
/// with *out and *info filled as `oodb_png_decode` would, or 0 (nothing allocated) for the libpng path to decide.
int oodb_png_decode_fast(const uint8_t *data, size_t size, int want16, uint64_t max_pixels, oodb_image_info *info,
                         void **out);

/// Encodes 8-bit interleaved samples (1 to 4 channels) as PNG with libdeflate at `level` (0…12) and the Sub
/// filter on every row (one IHDR, IDAT chunks of ≤ 2^30 bytes, IEND); RGB at level 1 goes through
/// `oodb_deflate_pixels3` instead (libdeflate if that declines). Returns 1 with *out a malloc'd buffer
/// of *out_size bytes (free with oodb_free), or 0 when out of memory or the arguments are invalid.
/// The zlib stream (RFC 1950/1951) of `size` bytes of filtered PNG rows (a filter byte + rowbytes each,
/// rowbytes a multiple of 3) into out (PNGDeflate.c): greedy matches to earlier identical 3-byte pixels, one
/// dynamic-Huffman block. Returns the stream's length, or 0 when it does not fit in `capacity` or the layout is off.
size_t oodb_deflate_pixels3(const uint8_t *raw, size_t size, size_t rowbytes, uint8_t *out, size_t capacity);

int oodb_png_encode_deflate(const uint8_t *samples, uint32_t width, uint32_t height, int channels, int level,
                            void **out, size_t *out_size);

/// Encodes 8-bit interleaved samples (1 to 4 channels) as PNG with the given zlib level (0…9), zlib
/// strategy (Z_* constant; −1 = zlib's default) and libpng filter set (PNG_FILTER_* bits; 0 = libpng's default).
/// On OODB_OK *out is a malloc'd buffer of *out_size bytes (free with oodb_free).
int oodb_png_encode(const uint8_t *samples, uint32_t width, uint32_t height, int channels,
                    int level, int strategy, int filters, void **out, size_t *out_size, char *message,
                    size_t message_size);

/// Decodes a JPEG held in memory (libjpeg defaults: ISLOW DCT, fancy upsampling, as Pillow).
/// Grey stays 1 channel; YCbCr/RGB become RGB; CMYK/YCCK are inverted (Adobe polarity, as Pillow) and
/// converted with Pillow's cmyk2rgb. A premature end of data is an error (OODB_ERR_TRUNCATED).
int oodb_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     oodb_image_info *info, void **out, char *message, size_t message_size);

/// Encodes 8-bit grey (1 channel) or RGB (3 channels) samples as baseline JPEG at quality 1…100 with
/// 4:2:0 chroma subsampling for RGB (Pillow's defaults).
int oodb_jpeg_encode(const uint8_t *samples, uint32_t width, uint32_t height, int channels, int quality,
                     void **out, size_t *out_size, char *message, size_t message_size);

void oodb_free(void *pointer);

#endif
