/// numpy's pairwise summation of a contiguous float64 array (specs/distortions.md §1.6), bit for bit:
/// blocks of at most 128 with eight partial sums, halves split at a multiple of 8.
@inline(__always)
func pairwiseSum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    if n < 8 {
        var s = 0.0
        for i in 0..<n { s += a[i] }
        return s
    }
    if n <= 128 {
        var p0 = a[0], p1 = a[1], p2 = a[2], p3 = a[3], p4 = a[4], p5 = a[5], p6 = a[6], p7 = a[7]
        var i = 8
        let end = n - n % 8
        while i < end {
            p0 += a[i]; p1 += a[i + 1]; p2 += a[i + 2]; p3 += a[i + 3]
            p4 += a[i + 4]; p5 += a[i + 5]; p6 += a[i + 6]; p7 += a[i + 7]
            i += 8
        }
        var s = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
        while i < n { s += a[i]; i += 1 }
        return s
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(a, half) + pairwiseSum(a + half, n - half)
}
