/// The correlation loops of scipy's `gaussian_filter` for a symmetric kernel (specs/distortions.md §3.0.1 step 5).
///
/// Per output sample: acc = L[i]·w(0); then for k = r, r−1, …, 1: acc = acc + (L[i−k] + L[i+k])·w(k) — one addition
/// of the two samples, one multiplication, one addition, never fused. The loops run over whole rows so that
/// neighbouring output samples (independent chains) fill the vector lanes; the order within a chain is untouched.
enum GaussianFilter {
    /// Filters along axis 0: `padded` holds `rows + 2r` rows of `columns` values (r rows of padding above and
    /// below); `out` receives `rows × columns`.
    static func verticalPass(_ padded: UnsafePointer<Double>, rows: Int, columns: Int,
                             half: UnsafePointer<Double>, radius r: Int, out: UnsafeMutablePointer<Double>) {
        let w0 = half[0]
        let blocked = columns - columns % 8
        for i in 0..<rows {
            let centre = padded + (i + r) * columns
            let o = out + i * columns
            // Eight columns at a time, accumulators in registers through the whole chain.
            var x = 0
            while x < blocked {
                var a0 = centre[x] * w0, a1 = centre[x + 1] * w0, a2 = centre[x + 2] * w0, a3 = centre[x + 3] * w0
                var a4 = centre[x + 4] * w0, a5 = centre[x + 5] * w0, a6 = centre[x + 6] * w0
                var a7 = centre[x + 7] * w0
                var k = r
                while k >= 1 {
                    let up = centre - k * columns + x, down = centre + k * columns + x
                    let wk = half[k]
                    a0 = a0 + (up[0] + down[0]) * wk
                    a1 = a1 + (up[1] + down[1]) * wk
                    a2 = a2 + (up[2] + down[2]) * wk
                    a3 = a3 + (up[3] + down[3]) * wk
                    a4 = a4 + (up[4] + down[4]) * wk
                    a5 = a5 + (up[5] + down[5]) * wk
                    a6 = a6 + (up[6] + down[6]) * wk
                    a7 = a7 + (up[7] + down[7]) * wk
                    k -= 1
                }
                o[x] = a0; o[x + 1] = a1; o[x + 2] = a2; o[x + 3] = a3
                o[x + 4] = a4; o[x + 5] = a5; o[x + 6] = a6; o[x + 7] = a7
                x += 8
            }
            while x < columns {
                var acc = centre[x] * w0
                var k = r
                while k >= 1 {
                    acc = acc + (centre[x - k * columns] + centre[x + k * columns]) * half[k]
                    k -= 1
                }
                o[x] = acc
                x += 1
            }
        }
    }

    /// `count` copies of `value` from `p`.
    @inline(__always)
    static func fill(_ p: UnsafeMutablePointer<Double>, count: Int, value: Double) {
        for i in 0..<count { p[i] = value }
    }

    /// `out[c][r] = a[r][c]` for a `rows × columns` matrix `a` (out is `columns × rows`), in 8 × 8 tiles.
    static func transpose(_ a: UnsafePointer<Double>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>) {
        let tile = 8
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 + tile, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 { out[c * rows + r] = a[r * columns + c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
