#include "ImagingShims.h"

#include <assert.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>

static void set_message(char *message, size_t message_size, const char *text) {
    if (message && message_size > 0) {
        snprintf(message, message_size, "%s", text);
    }
}

void oodb_free(void *pointer) { free(pointer); }

/* ------------------------------------------------------------------------------------------------ PNG */

static uint32_t crc32_of(const uint8_t *bytes, size_t count) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < count; i++) {
        crc ^= bytes[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    char message[256];
} png_reader;

static void png_read_memory(png_structp png, png_bytep out, png_size_t length) {
    png_reader *reader = (png_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        reader->truncated = 1;
        png_error(png, "data ends early");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static void png_error_fn(png_structp png, png_const_charp text) {
    png_reader *reader = (png_reader *)png_get_error_ptr(png);
    if (reader) {
        snprintf(reader->message, sizeof reader->message, "%s", text);
    }
    png_longjmp(png, 1);
}

static void png_warning_fn(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

int oodb_png_decode(const uint8_t *data, size_t size, int want16, uint64_t max_pixels,
                    oodb_image_info *info, void **out, char *message, size_t message_size) {
    if (oodb_png_decode_fast(data, size, want16, max_pixels, info, out)) return OODB_OK;
    return oodb_png_decode_libpng(data, size, want16, max_pixels, info, out, message, message_size);
}

int oodb_png_decode_libpng(const uint8_t *data, size_t size, int want16, uint64_t max_pixels,
                           oodb_image_info *info, void **out, char *message, size_t message_size) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_message(message, message_size, "not a PNG signature");
        return OODB_ERR_CORRUPT;
    }
    // Size checks straight from IHDR (the first chunk), before libpng reads further or allocates anything.
    if (size >= 33 && memcmp(data + 8, "\0\0\0\x0dIHDR", 8) == 0 &&
        crc32_of(data + 12, 17) == (((uint32_t)data[29] << 24) | ((uint32_t)data[30] << 16) |
                                    ((uint32_t)data[31] << 8) | data[32])) {
        uint32_t w = ((uint32_t)data[16] << 24) | ((uint32_t)data[17] << 16) | ((uint32_t)data[18] << 8) | data[19];
        uint32_t h = ((uint32_t)data[20] << 24) | ((uint32_t)data[21] << 16) | ((uint32_t)data[22] << 8) | data[23];
        info->width = w;
        info->height = h;
        if (w == 0 || h == 0) {
            set_message(message, message_size, "zero-sized image");
            return OODB_ERR_ZERO_SIZE;
        }
        if ((uint64_t)w * (uint64_t)h > max_pixels) {
            set_message(message, message_size, "too many pixels");
            return OODB_ERR_TOO_LARGE;
        }
    }
    png_reader reader = {data, size, 8, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_error_fn, png_warning_fn);
    if (!png) {
        set_message(message, message_size, "libpng could not start");
        return OODB_ERR_NO_MEMORY;
    }
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_message(message, message_size, "libpng could not start");
        return OODB_ERR_NO_MEMORY;
    }
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile int status = OODB_OK;
    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &pinfo, NULL);
        if (status == OODB_OK) {
            status = reader.truncated ? OODB_ERR_TRUNCATED : OODB_ERR_CORRUPT;
            set_message(message, message_size, reader.message[0] ? reader.message : "libpng error");
        }
        return status;
    }
    png_set_read_fn(png, &reader, png_read_memory);
    png_set_sig_bytes(png, 8);
    // Our own pixel limit applies, not libpng's default of 1,000,000 pixels per side.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, pinfo);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, pinfo, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    info->width = width;
    info->height = height;
    info->file_depth = bit_depth;
    info->file_color = color_type;
    if (width == 0 || height == 0) {
        status = OODB_ERR_ZERO_SIZE;
        set_message(message, message_size, "zero-sized image");
        png_error(png, "zero-sized image");
    }
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        status = OODB_ERR_TOO_LARGE;
        set_message(message, message_size, "too many pixels");
        png_error(png, "too many pixels");
    }

    int channels;
    int depth = 8;
    int palette = 0;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: channels = 2; break;
    case PNG_COLOR_TYPE_RGB: channels = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: channels = 4; break;
    case PNG_COLOR_TYPE_PALETTE: channels = 1; palette = 1; break;
    default:
        status = OODB_ERR_UNSUPPORTED;
        set_message(message, message_size, "unknown PNG colour type");
        png_error(png, "unknown colour type");
        return OODB_ERR_UNSUPPORTED;  // not reached
    }
    if (palette) {
        if (bit_depth < 8) png_set_packing(png);  // one index per byte
    } else if (bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);      // scales 0…2^n−1 to 0…255 (as Pillow's L;2, L;4, 1)
    } else if (bit_depth == 16) {
        if (want16) {
            const int one = 1;
            if (*(const char *)&one == 1) png_set_swap(png);  // big-endian file samples → native
            depth = 16;
        } else {
            png_set_strip_16(png);                // high byte (as Pillow's RGB;16B, RGBA;16B)
        }
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    if ((int)png_get_channels(png, pinfo) != channels || (int)png_get_bit_depth(png, pinfo) != depth) {
        status = OODB_ERR_UNSUPPORTED;
        set_message(message, message_size, "unexpected libpng transform result");
        png_error(png, "unexpected transform result");
    }
    size_t rowbytes = png_get_rowbytes(png, pinfo);
    if (rowbytes != (size_t)width * (size_t)channels * (size_t)(depth / 8)) {
        status = OODB_ERR_UNSUPPORTED;
        set_message(message, message_size, "unexpected libpng row size");
        png_error(png, "unexpected row size");
    }
    size_t out_channels = palette ? 3 : (size_t)channels;
    size_t decoded_bytes = rowbytes * (size_t)height;
    size_t out_bytes = (size_t)width * (size_t)height * out_channels * (size_t)(depth / 8);
    // A palette image is decoded to indices in the buffer's last third, then expanded forwards in place.
    buffer = (uint8_t *)malloc(out_bytes > decoded_bytes ? out_bytes : decoded_bytes);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!buffer || !rows) {
        status = OODB_ERR_NO_MEMORY;
        set_message(message, message_size, "out of memory");
        png_error(png, "out of memory");
    }
    uint8_t *indices = palette ? buffer + (out_bytes - decoded_bytes) : buffer;
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = indices + (size_t)y * rowbytes;
    }
    png_read_image(png, rows);

    if (palette) {
        png_colorp entries = NULL;
        int count = 0;
        uint8_t table[256 * 3];
        memset(table, 0, sizeof table);  // indices beyond the palette read as black
        if (png_get_PLTE(png, pinfo, &entries, &count) == PNG_INFO_PLTE && entries) {
            for (int i = 0; i < count && i < 256; i++) {
                table[3 * i + 0] = entries[i].red;
                table[3 * i + 1] = entries[i].green;
                table[3 * i + 2] = entries[i].blue;
            }
        }
        // Forward expansion is safe: index i sits at out_bytes − decoded_bytes + i ≥ 3i + 2 for every i
        // written before it is read (out_bytes = 3 · decoded_bytes).
        size_t n = decoded_bytes;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *entry = table + 3 * (size_t)indices[i];
            uint8_t r = entry[0], g = entry[1], b = entry[2];
            buffer[3 * i + 0] = r;
            buffer[3 * i + 1] = g;
            buffer[3 * i + 2] = b;
        }
    }
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &pinfo, NULL);
    info->channels = (int32_t)out_channels;
    info->depth = depth;
    *out = buffer;
    return OODB_OK;
}

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
    char message[256];
} png_writer;

static void png_write_memory(png_structp png, png_bytep bytes, png_size_t length) {
    png_writer *writer = (png_writer *)png_get_io_ptr(png);
    if (writer->size + length > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (capacity < writer->size + length) capacity *= 2;
        uint8_t *grown = (uint8_t *)realloc(writer->data, capacity);
        if (!grown) {
            writer->failed = 1;
            png_error(png, "out of memory");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, length);
    writer->size += length;
}

static void png_flush_memory(png_structp png) { (void)png; }

static void png_write_error_fn(png_structp png, png_const_charp text) {
    png_writer *writer = (png_writer *)png_get_error_ptr(png);
    if (writer) snprintf(writer->message, sizeof writer->message, "%s", text);
    png_longjmp(png, 1);
}

int oodb_png_encode(const uint8_t *samples, uint32_t width, uint32_t height, int channels,
                    int level, int strategy, int filters, void **out, size_t *out_size, char *message,
                    size_t message_size) {
    *out = NULL;
    *out_size = 0;
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width == 0 || height == 0) {
        set_message(message, message_size, "bad image shape");
        return OODB_ERR_UNSUPPORTED;
    }
    png_writer writer = {NULL, 0, 0, 0, {0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, png_write_error_fn, png_warning_fn);
    if (!png) return OODB_ERR_NO_MEMORY;
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_write_struct(&png, NULL);
        return OODB_ERR_NO_MEMORY;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(writer.data);
        png_destroy_write_struct(&png, &pinfo);
        set_message(message, message_size, writer.message[0] ? writer.message : "libpng error");
        return writer.failed ? OODB_ERR_NO_MEMORY : OODB_ERR_CORRUPT;
    }
    png_set_write_fn(png, &writer, png_write_memory, png_flush_memory);
    png_set_compression_level(png, level);
    if (strategy >= 0) png_set_compression_strategy(png, strategy);
    if (filters) png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(png, pinfo, width, height, 8, types[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, pinfo);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) {
        writer.failed = 1;
        png_error(png, "out of memory");
    }
    size_t stride = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(samples + (size_t)y * stride);
    png_write_image(png, rows);
    png_write_end(png, pinfo);
    free(rows);
    png_destroy_write_struct(&png, &pinfo);
    *out = writer.data;
    *out_size = writer.size;
    return OODB_OK;
}

/* ----------------------------------------------------------------------------------------------- JPEG */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int premature_end;
} jpeg_error_state;

static void jpeg_error_exit_fn(j_common_ptr cinfo) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    longjmp(state->jump, 1);
}

static void jpeg_emit_message_fn(j_common_ptr cinfo, int level) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    if (level < 0) {
        // libjpeg pads missing data with an EOI marker and only warns; Pillow calls that a truncated file.
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) state->premature_end = 1;
        cinfo->err->num_warnings++;
    }
}

static void jpeg_message_text(j_common_ptr cinfo, char *message, size_t message_size) {
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    set_message(message, message_size, text);
}

#define MULDIV255(a, b, tmp) (tmp = (a) * (b) + 128, ((((tmp) >> 8) + (tmp)) >> 8))

int oodb_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                     oodb_image_info *info, void **out, char *message, size_t message_size) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        set_message(message, message_size, "not a JPEG signature");
        return OODB_ERR_CORRUPT;
    }
    struct jpeg_decompress_struct cinfo;
    jpeg_error_state err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_error_exit_fn;
    err.pub.emit_message = jpeg_emit_message_fn;
    err.premature_end = 0;
    uint8_t *volatile buffer = NULL;
    volatile int status = OODB_OK;
    if (setjmp(err.jump)) {
        if (status == OODB_OK) {
            status = err.premature_end ? OODB_ERR_TRUNCATED : OODB_ERR_CORRUPT;
            jpeg_message_text((j_common_ptr)&cinfo, message, message_size);
            if (err.premature_end) set_message(message, message_size, "Premature end of JPEG file");
        }
        free(buffer);
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->file_depth = cinfo.data_precision;
    info->file_color = cinfo.num_components;
    if (err.premature_end) {
        status = OODB_ERR_TRUNCATED;
        set_message(message, message_size, "Premature end of JPEG file");
        longjmp(err.jump, 1);
    }
    if (cinfo.image_width == 0 || cinfo.image_height == 0) {
        status = OODB_ERR_ZERO_SIZE;
        set_message(message, message_size, "zero-sized image");
        longjmp(err.jump, 1);
    }
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        status = OODB_ERR_TOO_LARGE;
        set_message(message, message_size, "too many pixels");
        longjmp(err.jump, 1);
    }
    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; cmyk = 1; break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    jpeg_start_decompress(&cinfo);
    int components = cinfo.output_components;
    int channels = cmyk ? 3 : components;
    if ((cmyk && components != 4) || (!cmyk && components != 1 && components != 3)) {
        status = OODB_ERR_UNSUPPORTED;
        set_message(message, message_size, "unsupported JPEG colour layout");
        longjmp(err.jump, 1);
    }
    size_t width = cinfo.output_width, height = cinfo.output_height;
    size_t stride = width * (size_t)components;
    // CMYK rows are decoded 4 samples wide into the buffer's tail row space, then converted in place.
    buffer = (uint8_t *)malloc(width * height * (size_t)channels + (cmyk ? stride : 0));
    if (!buffer) {
        status = OODB_ERR_NO_MEMORY;
        set_message(message, message_size, "out of memory");
        longjmp(err.jump, 1);
    }
    uint8_t *scratch = cmyk ? buffer + width * height * 3 : NULL;
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW row = cmyk ? scratch : buffer + y * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (cmyk) {
            uint8_t *dst = buffer + y * width * 3;
            for (size_t x = 0; x < width; x++) {
                // Pillow reads 4-component JPEGs as "CMYK;I" (inverted), then convert("RGB") = cmyk2rgb.
                int c = 255 - scratch[4 * x + 0], m = 255 - scratch[4 * x + 1];
                int yy = 255 - scratch[4 * x + 2], k = 255 - scratch[4 * x + 3];
                int nk = 255 - k, tmp, v;
                v = nk - MULDIV255(c, nk, tmp); dst[3 * x + 0] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                v = nk - MULDIV255(m, nk, tmp); dst[3 * x + 1] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                v = nk - MULDIV255(yy, nk, tmp); dst[3 * x + 2] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    if (err.premature_end) {
        status = OODB_ERR_TRUNCATED;
        set_message(message, message_size, "Premature end of JPEG file");
        longjmp(err.jump, 1);
    }
    jpeg_abort_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    info->channels = channels;
    info->depth = 8;
    *out = buffer;
    return OODB_OK;
}

int oodb_jpeg_encode(const uint8_t *samples, uint32_t width, uint32_t height, int channels, int quality,
                     void **out, size_t *out_size, char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > 65500 || height > 65500) {
        set_message(message, message_size, "JPEG needs a grey or RGB image of 1…65500 pixels per side");
        return OODB_ERR_UNSUPPORTED;
    }
    struct jpeg_compress_struct cinfo;
    jpeg_error_state err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_error_exit_fn;
    err.pub.emit_message = jpeg_emit_message_fn;
    err.premature_end = 0;
    // jpeg_mem_dest writes the (malloc'd, growing) buffer's address here; kept in memory across longjmp.
    static_assert(sizeof(unsigned char *) == sizeof(void *), "pointer size");
    unsigned char *volatile destination = NULL;
    unsigned long buffer_size = 0;
    if (setjmp(err.jump)) {
        jpeg_message_text((j_common_ptr)&cinfo, message, message_size);
        jpeg_destroy_compress(&cinfo);
        free(destination);
        return OODB_ERR_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&destination, &buffer_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(samples + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = destination;
    *out_size = buffer_size;
    return OODB_OK;
}
