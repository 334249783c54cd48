import CKernels

/// Warping and synthesis (specs/eidolon.md §6–§7) on the centre 256 × 256 of the 512 × 512 plane.
///
/// Level by level, each centre pixel (i, j) reads D_k at row trunc(clamp(Fx·reach + i, 0, 511)) and column
/// trunc(clamp(Fy·reach + j, 0, 511)) — nearest neighbour, the product first, then the integer index added as a
/// double — and the reads are summed from zero in level order. The output is that sum clipped to [0, 255] and
/// truncated to 8 bits. Fields, levels and the sum are **transposed** (column-major), as the blur produces them;
/// `output` and `rowMajorSum` give row-major planes.
final class EidolonSynthesis {
    /// The float synthesis plane E (centre), before clipping.
    let sum: UnsafeMutablePointer<Double>

    init() {
        sum = .allocate(capacity: EidolonFields.centreCount)
        sum.initialize(repeating: 0, count: EidolonFields.centreCount)
    }

    deinit { sum.deallocate() }

    func reset() {
        sum.update(repeating: 0, count: EidolonFields.centreCount)
    }

    /// E += D_k warped by the fields × reach (all transposed; CKernels, AVX2 gathers where available).
    func accumulate(level: UnsafePointer<Double>, fieldX: UnsafePointer<Double>, fieldY: UnsafePointer<Double>,
                    reach: Double) {
        ck_eidolon_warp_accumulate(level, fieldX, fieldY, reach, sum)
    }

    /// E += D_k unwarped (reach 0: every displacement × 0 + index is the index itself).
    func accumulateUnwarped(level: UnsafePointer<Double>) {
        let centre = EidolonFields.centre, offset = EidolonFields.offset, side = EidolonBlur.side
        for cj in 0..<centre {
            let column = level + (cj + offset) * side + offset
            let out = sum + cj * centre
            for ci in 0..<centre { out[ci] += column[ci] }
        }
    }

    /// The 256 × 256 output, row-major: E clipped to [0, 255], truncated.
    func output() -> [UInt8] {
        let centre = EidolonFields.centre
        var out = [UInt8](repeating: 0, count: EidolonFields.centreCount)
        out.withUnsafeMutableBufferPointer { o in
            for cj in 0..<centre {
                for ci in 0..<centre {
                    let v = sum[cj * centre + ci]
                    o[ci * centre + cj] = UInt8(v < 0 ? 0 : (v > 255 ? 255 : v))
                }
            }
        }
        return out
    }
}
