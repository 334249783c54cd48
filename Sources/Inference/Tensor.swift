/// A dense Float32 tensor: a shape and contiguous row-major (C order) storage.
///
/// Layout: for shape `[d0, d1, …, dn]` the element at index `(i0, i1, …, in)` is
/// `data[((i0 * d1 + i1) * d2 + i2) … * dn + in]` — the last dimension varies fastest, as in PyTorch's
/// contiguous tensors and safetensors files. A 0-d tensor (a scalar) has shape `[]` and one element.
/// Images are `[channels, height, width]` (planar), batches of images `[N, C, H, W]`, token sequences
/// `[tokens, width]`, Linear weights `[out, in]` (PyTorch convention).
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first.
    public var shape: [Int]
    /// The elements, row-major; `data.count == shape.reduce(1, *)`.
    public var data: [Float]

    /// Wraps `data`; traps if the count does not match the shape (a programmer error; readers validate first).
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(data.count == shape.reduce(1, *), "data count \(data.count) does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// The transpose of a 2-d tensor (`[r, c]` → `[c, r]`).
    public func transposed2D() -> Tensor {
        precondition(shape.count == 2, "transposed2D needs a 2-d tensor, got \(shape)")
        let r = shape[0], c = shape[1]
        var out = [Float](repeating: 0, count: r * c)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            }
        }
        return Tensor(shape: [c, r], data: out)
    }

    /// Rows `start..<end` of the outermost dimension.
    public func slice(rows range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let inner = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, data: Array(data[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }
}
