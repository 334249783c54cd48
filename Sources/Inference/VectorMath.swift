/// Eight-lane float vectors for the Swift kernels that stay in Swift (the causal 1-d convolution); the scan and
/// the transcendental epilogues are C kernels (Sources/CKernels/selective_scan.c).
typealias Vec8 = SIMD8<Float>

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}
