// A small deflate (RFC 1951) writer for filtered PNG rows of 3-byte pixels, faster than libdeflate 1.14's level 1
// on the noisy pictures the distortions make: a greedy LZ77 whose only candidates are whole earlier pixels with the
// same three bytes (the last one seen, by a hash of the pixel), then one block with Huffman codes made for it.
// A stacked grey picture (three equal channels, the grey distortions' RGB output) is then stored at about a third
// of its literal cost (each pixel a short match to the last pixel of the same value), an RGB one mostly as
// literals. Every match is checked byte for byte, so the stream is valid for any input; only its size depends on
// the pictures being pixel-aligned. Returns 0 when the output does not fit (the caller then uses libdeflate).
#include "ImagingShims.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *p, *end;
    uint64_t bits;
    int count;
    int overflow;
} bit_writer;

// Appends the n low bits of v (n ≤ 32, count < 32 before the call).
static inline void put_bits(bit_writer *w, uint64_t v, int n) {
    w->bits |= v << w->count;
    w->count += n;
    if (w->count >= 32) {
        if (w->end - w->p >= 4) {
            const uint32_t word = (uint32_t)w->bits;
            w->p[0] = (uint8_t)word;
            w->p[1] = (uint8_t)(word >> 8);
            w->p[2] = (uint8_t)(word >> 16);
            w->p[3] = (uint8_t)(word >> 24);
            w->p += 4;
        } else {
            w->overflow = 1;
        }
        w->bits >>= 32;
        w->count -= 32;
    }
}

// Writes out whole bytes of the pending bits (count < 8 afterwards).
static void flush_bits_aligned(bit_writer *w) {
    while (w->count >= 8) {
        if (w->p < w->end) *w->p++ = (uint8_t)w->bits; else w->overflow = 1;
        w->bits >>= 8;
        w->count -= 8;
    }
}

static void flush_bits(bit_writer *w) {
    while (w->count > 0) {
        if (w->p < w->end) *w->p++ = (uint8_t)w->bits; else w->overflow = 1;
        w->bits >>= 8;
        w->count -= 8;
    }
    w->count = 0;
    w->bits = 0;
}

// Code lengths (≤ maxbits) of a Huffman code for freq[0…n), n ≤ 288; unused symbols get 0. At least two symbols
// get a length (a lone symbol is paired with a neighbour) so that every code is complete, as inflaters require.
static void huffman_lengths(const uint32_t *freq, int n, int maxbits, uint8_t *len) {
    int sym[288], m = 0;
    for (int i = 0; i < n; i++) {
        len[i] = 0;
        if (freq[i]) sym[m++] = i;
    }
    if (m == 0) {
        len[0] = len[1] = 1;
        return;
    }
    if (m == 1) {
        len[sym[0]] = 1;
        len[sym[0] == 0 ? 1 : 0] = 1;
        return;
    }
    // Insertion sort by frequency, ascending (n ≤ 288).
    for (int i = 1; i < m; i++) {
        const int s = sym[i];
        int j = i - 1;
        while (j >= 0 && freq[sym[j]] > freq[s]) {
            sym[j + 1] = sym[j];
            j--;
        }
        sym[j + 1] = s;
    }
    // Two-queue Huffman construction: leaves 0…m−1 (sorted), internal nodes m…2m−2 in order of creation.
    uint64_t weight[576];
    int parent[576], depth[576];
    for (int i = 0; i < m; i++) weight[i] = freq[sym[i]];
    int leaf = 0, inner = m, next = m;
    for (int k = 0; k < m - 1; k++) {
        int pick[2];
        for (int t = 0; t < 2; t++) {
            if (leaf < m && (inner >= next || weight[leaf] <= weight[inner])) pick[t] = leaf++;
            else pick[t] = inner++;
        }
        weight[next] = weight[pick[0]] + weight[pick[1]];
        parent[pick[0]] = parent[pick[1]] = next;
        next++;
    }
    depth[2 * m - 2] = 0;
    for (int j = 2 * m - 3; j >= 0; j--) depth[j] = depth[parent[j]] + 1;
    // Counts per length, lengths above maxbits folded in and the Kraft sum restored (miniz's method).
    int count[64] = {0};
    for (int i = 0; i < m; i++) count[depth[i] < 63 ? depth[i] : 63]++;
    for (int l = maxbits + 1; l < 64; l++) {
        count[maxbits] += count[l];
        count[l] = 0;
    }
    uint32_t total = 0;
    for (int l = maxbits; l > 0; l--) total += (uint32_t)count[l] << (maxbits - l);
    while (total != (1u << maxbits)) {
        count[maxbits]--;
        for (int l = maxbits - 1; l > 0; l--) {
            if (count[l]) {
                count[l]--;
                count[l + 1] += 2;
                break;
            }
        }
        total--;
    }
    // The rarest symbols get the longest codes.
    int i = 0;
    for (int l = maxbits; l > 0; l--) {
        for (int c = 0; c < count[l]; c++) len[sym[i++]] = (uint8_t)l;
    }
}

// Canonical codes (RFC 1951 §3.2.2), bit-reversed for the LSB-first writer.
static void canonical_codes(const uint8_t *len, int n, uint16_t *code) {
    int bl_count[16] = {0};
    for (int i = 0; i < n; i++) bl_count[len[i]]++;
    bl_count[0] = 0;
    int next_code[16] = {0}, c = 0;
    for (int bits = 1; bits < 16; bits++) {
        c = (c + bl_count[bits - 1]) << 1;
        next_code[bits] = c;
    }
    for (int i = 0; i < n; i++) {
        const int l = len[i];
        if (!l) {
            code[i] = 0;
            continue;
        }
        const int v = next_code[l]++;
        int r = 0;
        for (int b = 0; b < l; b++) r |= ((v >> b) & 1) << (l - 1 - b);
        code[i] = (uint16_t)r;
    }
}

static inline int floor_log2(uint32_t x) { return 31 - __builtin_clz(x); }

// Length symbol (257…285), extra bit count and value for a match length 3…258.
static inline void length_code(int length, int *symbol, int *nbits, int *extra) {
    if (length <= 10) {
        *symbol = 254 + length;
        *nbits = 0;
        *extra = 0;
    } else if (length == 258) {
        *symbol = 285;
        *nbits = 0;
        *extra = 0;
    } else {
        const int x = length - 3, nb = floor_log2((uint32_t)x), e = nb - 2;
        *symbol = 257 + 4 * (nb - 1) + ((x >> e) & 3);
        *nbits = e;
        *extra = x & ((1 << e) - 1);
    }
}

// Distance symbol (0…29), extra bit count and value for a distance 1…32768.
static inline void distance_code(int distance, int *symbol, int *nbits, int *extra) {
    if (distance <= 4) {
        *symbol = distance - 1;
        *nbits = 0;
        *extra = 0;
    } else {
        const int x = distance - 1, nb = floor_log2((uint32_t)x), e = nb - 1;
        *symbol = 2 * nb + ((x >> e) & 1);
        *nbits = e;
        *extra = x & ((1 << e) - 1);
    }
}

// Tokens: a literal byte b is b; a match is its length symbol (257…285) | length extra << 9 | distance symbol << 14
// | distance extra << 19 (9 + 5 + 5 + 13 bits).
#define HASH_BITS 12

static const uint8_t length_extra_bits[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                              3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t distance_extra_bits[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                                6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static _Thread_local uint32_t *thread_tokens;
static _Thread_local size_t thread_token_capacity;

size_t oodb_deflate_pixels3(const uint8_t *raw, size_t size, size_t rowbytes, uint8_t *out, size_t capacity) {
    if (size == 0 || rowbytes == 0 || size % (rowbytes + 1) != 0 || rowbytes % 3 != 0 || capacity < 16) return 0;
    if (size > thread_token_capacity) {
        free(thread_tokens);
        thread_tokens = (uint32_t *)malloc(size * sizeof(uint32_t));
        thread_token_capacity = thread_tokens ? size : 0;
        if (!thread_tokens) return 0;
    }
    uint32_t *tokens = thread_tokens;
    size_t ntok = 0;
    uint32_t lit_freq[286] = {0}, dist_freq[30] = {0}, extra_freq[2][256] = {{0}};
    // last[h]: 1 + the position of the last pixel with hash h (0: none).
    static _Thread_local uint32_t last[1u << HASH_BITS];
    memset(last, 0, sizeof last);
    const size_t rows = size / (rowbytes + 1);
    for (size_t y = 0; y < rows; y++) {
        const size_t start = y * (rowbytes + 1);
        tokens[ntok++] = raw[start];
        lit_freq[raw[start]]++;
        const size_t row_end = start + 1 + rowbytes;
        size_t p = start + 1;
        while (p < row_end) {
            const uint8_t b0 = raw[p], b1 = raw[p + 1], b2 = raw[p + 2];
            const uint32_t h = (((uint32_t)b0 * 2654435761u) ^ ((uint32_t)b1 * 40503u) ^ ((uint32_t)b2 << 4)) &
                               ((1u << HASH_BITS) - 1);
            const uint32_t candidate = last[h];
            last[h] = (uint32_t)p + 1;
            if (candidate && p - (candidate - 1) <= 32768) {
                const size_t c = candidate - 1;
                if (raw[c] == b0 && raw[c + 1] == b1 && raw[c + 2] == b2) {
                    // Extend by whole pixels inside this row (at most 258 bytes).
                    size_t length = 3;
                    while (length + 3 <= 258 && p + length + 3 <= row_end &&
                           raw[c + length] == raw[p + length] && raw[c + length + 1] == raw[p + length + 1] &&
                           raw[c + length + 2] == raw[p + length + 2]) {
                        length += 3;
                    }
                    int lsym, lbits, lextra, dsym, dbits, dextra;
                    length_code((int)length, &lsym, &lbits, &lextra);
                    distance_code((int)(p - c), &dsym, &dbits, &dextra);
                    tokens[ntok++] = (uint32_t)lsym | (uint32_t)lextra << 9 | (uint32_t)dsym << 14 |
                                     (uint32_t)dextra << 19;
                    lit_freq[lsym]++;
                    dist_freq[dsym]++;
                    p += length;
                    continue;
                }
            }
            tokens[ntok++] = b0;
            tokens[ntok++] = b1;
            tokens[ntok++] = b2;
            // Three tables, so that equal bytes in a row do not wait on each other's increments.
            lit_freq[b0]++;
            extra_freq[0][b1]++;
            extra_freq[1][b2]++;
            p += 3;
        }
    }
    for (int b = 0; b < 256; b++) lit_freq[b] += extra_freq[0][b] + extra_freq[1][b];
    lit_freq[256] = 1;

    uint8_t lit_len[286], dist_len[30], cl_len[19];
    uint16_t lit_code[286], dist_code[30], cl_code[19];
    huffman_lengths(lit_freq, 286, 15, lit_len);
    huffman_lengths(dist_freq, 30, 15, dist_len);
    int nlit = 286, ndist = 30;
    while (nlit > 257 && lit_len[nlit - 1] == 0) nlit--;
    while (ndist > 1 && dist_len[ndist - 1] == 0) ndist--;
    canonical_codes(lit_len, 286, lit_code);
    canonical_codes(dist_len, 30, dist_code);
    // Code lengths sent one by one (no run-length symbols): the code-length alphabet is 0…15 here.
    uint32_t cl_freq[19] = {0};
    for (int i = 0; i < nlit; i++) cl_freq[lit_len[i]]++;
    for (int i = 0; i < ndist; i++) cl_freq[dist_len[i]]++;
    huffman_lengths(cl_freq, 19, 7, cl_len);
    canonical_codes(cl_len, 19, cl_code);
    static const uint8_t cl_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int ncl = 19;
    while (ncl > 4 && cl_len[cl_order[ncl - 1]] == 0) ncl--;

    bit_writer w = {out, out + capacity, 0, 0, 0};
    put_bits(&w, 0x78, 8);  // zlib header: deflate, 32 KiB window, no dictionary, (0x7801 % 31 == 0)
    put_bits(&w, 0x01, 8);
    put_bits(&w, 1, 1);     // BFINAL
    put_bits(&w, 2, 2);     // BTYPE = dynamic Huffman
    put_bits(&w, (uint64_t)(nlit - 257), 5);
    put_bits(&w, (uint64_t)(ndist - 1), 5);
    put_bits(&w, (uint64_t)(ncl - 4), 4);
    for (int i = 0; i < ncl; i++) put_bits(&w, cl_len[cl_order[i]], 3);
    for (int i = 0; i < nlit; i++) put_bits(&w, cl_code[lit_len[i]], cl_len[lit_len[i]]);
    for (int i = 0; i < ndist; i++) put_bits(&w, cl_code[dist_len[i]], cl_len[dist_len[i]]);
    // The tokens, with a branch-free flush after each: at most 7 + 20 + 28 bits are pending, and 8 bytes are
    // always written (so the loop stops 8 bytes before the end of the buffer; the tail goes through put_bits).
    flush_bits_aligned(&w);
    size_t t = 0;
    // No branch on literal or match (unpredictable on noise): a literal's length-extra and distance fields are 0,
    // and the distance part is masked off.
    uint8_t lit_total[286], dist_total[30];
    for (int i = 0; i < 286; i++) lit_total[i] = (uint8_t)(lit_len[i] + (i > 256 ? length_extra_bits[i - 257] : 0));
    for (int i = 0; i < 30; i++) dist_total[i] = (uint8_t)(dist_len[i] + distance_extra_bits[i]);
    for (; t < ntok && w.end - w.p >= 16; t++) {
        const uint32_t token = tokens[t];
        const uint32_t lsym = token & 511, lextra = (token >> 9) & 31, dsym = (token >> 14) & 31, dextra = token >> 19;
        w.bits |= ((uint64_t)lit_code[lsym] | (uint64_t)lextra << lit_len[lsym]) << w.count;
        w.count += lit_total[lsym];
        const uint64_t is_match = (uint64_t)0 - (uint64_t)(lsym > 256);
        w.bits |= (((uint64_t)dist_code[dsym] | (uint64_t)dextra << dist_len[dsym]) & is_match) << w.count;
        w.count += (int)(dist_total[dsym] & (uint8_t)is_match);
        memcpy(w.p, &w.bits, 8);  // little-endian
        w.p += w.count >> 3;
        w.bits >>= w.count & ~7;  // count ≤ 7 + 20 + 28 < 64
        w.count &= 7;
    }
    for (; t < ntok && !w.overflow; t++) {
        const uint32_t token = tokens[t];
        const uint32_t lsym = token & 511;
        if (lsym < 256) {
            put_bits(&w, lit_code[lsym], lit_len[lsym]);
            continue;
        }
        const uint32_t lextra = (token >> 9) & 31, dsym = (token >> 14) & 31, dextra = token >> 19;
        put_bits(&w, lit_code[lsym], lit_len[lsym]);
        if (length_extra_bits[lsym - 257]) put_bits(&w, lextra, length_extra_bits[lsym - 257]);
        put_bits(&w, dist_code[dsym], dist_len[dsym]);
        if (distance_extra_bits[dsym]) put_bits(&w, dextra, distance_extra_bits[dsym]);
    }
    put_bits(&w, lit_code[256], lit_len[256]);
    flush_bits(&w);
    const uint32_t adler = libdeflate_adler32(1, raw, size);
    if (w.overflow || w.end - w.p < 4) return 0;
    w.p[0] = (uint8_t)(adler >> 24);
    w.p[1] = (uint8_t)(adler >> 16);
    w.p[2] = (uint8_t)(adler >> 8);
    w.p[3] = (uint8_t)adler;
    return (size_t)(w.p + 4 - out);
}
