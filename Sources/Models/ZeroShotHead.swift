import Foundation
import Inference

/// The zero-shot protocols OODBench knows (specs/clip.md §5, specs/metrics.md §4).
public enum ZeroShotProtocol: String, Sendable, CaseIterable, Codable {
    /// model-vs-human's protocol (the default): 80 templates × 1000 ImageNet class names, softmax over
    /// 1000 classes; `Evaluation` averages the probabilities over each category's ImageNet indices.
    case imagenet1000
    /// A DIFFERENT protocol, labelled as such everywhere: 80 templates × the 16 category names, softmax over 16.
    case direct16

    public var labelSpace: LabelSpace { self == .imagenet1000 ? .imagenet1000 : .categories16 }
}

/// A zero-shot classifier matrix: one L2-normalised text embedding per class, each the renormalised mean of
/// the normalised embeddings of the class name in every template (§5 steps 1–2). Logits are
/// 100 · ⟨image/‖image‖, class⟩; probabilities their softmax.
public struct ZeroShotHead: Sendable, Equatable {
    /// `[classCount, embedDim]` row-major, rows of unit length.
    public let classifier: [Float]
    public let classCount: Int
    public let embedDim: Int
    /// The scale of the logits (100, the OpenAI convention used by model-vs-human).
    public static let logitScale: Float = 100

    public init(classifier: [Float], classCount: Int, embedDim: Int) {
        precondition(classifier.count == classCount * embedDim)
        self.classifier = classifier; self.classCount = classCount; self.embedDim = embedDim
    }

    /// Encodes `classNames × templates` (`{}` replaced by the name, Python `str.format` for one slot) with the
    /// model's text tower in batches of `batch` prompts. `progress(done, total)` is called after each batch.
    ///
    /// With `sharePrefixes` (the default) each template's prompts go through `CLIPModel.encodeTextsSharingPrefix`:
    /// their common token prefix (`<SOT> a bad photo of a`) runs once per template and only the class name, the
    /// template's tail and EOT run per prompt (about 4.3 of 9.6 tokens for model-vs-human's 80,000 prompts).
    /// Those suffixes run in batches of about `8 · batch` tokens (the size of a plain batch of `batch` prompts of
    /// 8 tokens). Without it every prompt runs in full (`encodeTexts`). Both give the same classifier up to float rounding
    /// (the prompt embeddings agree within 1e-5 relative); the per-class sums run in template order either way.
    public static func build(model: CLIPModel, tokenizer: CLIPTokenizer, classNames: [String], templates: [String],
                             batch: Int = 256, sharePrefixes: Bool = true,
                             progress: ((Int, Int) -> Void)? = nil) throws -> ZeroShotHead {
        let e = model.embedDim, k = classNames.count, t = templates.count
        precondition(batch > 0 && t > 0)
        if sharePrefixes {
            // groups of whole templates (about 16 batches of prompts, all templates for few classes), template-major
            var cls = [Float](repeating: 0, count: k * e)
            let templatesPerGroup = max(1, (16 * batch) / max(k, 1))
            for first in stride(from: 0, to: t, by: templatesPerGroup) {
                let last = min(first + templatesPerGroup, t)
                var rows: [[Int32]] = [], groups: [Int] = []
                for ti in first..<last {
                    for name in classNames {
                        rows.append(tokenizer.tokenize(templates[ti].replacingOccurrences(of: "{}", with: name)).ids); groups.append(ti)
                    }
                }
                let feats = try model.encodeTextsSharingPrefix(rows, groups: groups, batchTokens: 8 * batch)
                for ti in first..<last {
                    for c in 0..<k { addNormalised(feats, row: ((ti - first) * k + c) * e, into: &cls, at: c * e, count: e) }
                }
                progress?(last * k, k * t)
            }
            return finish(cls, classCount: k, templates: t, embedDim: e)
        }
        var prompts: [[Int32]] = []
        prompts.reserveCapacity(k * t)
        for name in classNames {
            for tpl in templates { prompts.append(tokenizer.tokenize(tpl.replacingOccurrences(of: "{}", with: name)).ids) }
        }
        var cls = [Float](repeating: 0, count: k * e)
        // Groups of whole classes (about 16 batches of prompts) are encoded shortest prompts first, so that a batch
        // runs only as many positions as its longest prompt needs; features are then summed in prompt order.
        let classesPerGroup = max(1, (16 * batch) / t)
        var groupStart = 0
        while groupStart < k {
            let groupEnd = min(groupStart + classesPerGroup, k)
            let first = groupStart * t, count = (groupEnd - groupStart) * t
            let order = (first..<(first + count)).sorted {
                let a = CLIPTextTransformer.eotIndex(prompts[$0]), b = CLIPTextTransformer.eotIndex(prompts[$1])
                return a != b ? a < b : $0 < $1
            }
            var feats = [Float](repeating: 0, count: count * e)
            var start = 0
            while start < count {
                let end = min(start + batch, count)
                let f = try model.encodeTexts(order[start..<end].map { prompts[$0] })
                for (j, p) in order[start..<end].enumerated() {
                    for q in 0..<e { feats[(p - first) * e + q] = f[j * e + q] }
                }
                start = end
                progress?(first + end, prompts.count)
            }
            for p in first..<(first + count) { addNormalised(feats, row: (p - first) * e, into: &cls, at: (p / t) * e, count: e) }
            groupStart = groupEnd
        }
        return finish(cls, classCount: k, templates: t, embedDim: e)
    }

    /// `sum[at ..< at + count] += f[row ..< row + count] / ‖f[row ..< row + count]‖` (§5 step 1).
    private static func addNormalised(_ f: [Float], row: Int, into sum: inout [Float], at: Int, count e: Int) {
        var norm: Float = 0
        for j in 0..<e { norm += f[row + j] * f[row + j] }
        let inv = 1 / norm.squareRoot()
        for j in 0..<e { sum[at + j] += f[row + j] * inv }
    }

    /// The head from per-class sums of `t` normalised prompt embeddings: mean, renormalised (§5 step 2).
    private static func finish(_ sums: [Float], classCount k: Int, templates t: Int, embedDim e: Int) -> ZeroShotHead {
        var cls = sums
        for c in 0..<k {
            var norm: Float = 0
            for j in 0..<e { let v = cls[c * e + j] / Float(t); cls[c * e + j] = v; norm += v * v }
            let inv = 1 / norm.squareRoot()
            for j in 0..<e { cls[c * e + j] *= inv }
        }
        return ZeroShotHead(classifier: cls, classCount: k, embedDim: e)
    }

    /// Logits `[n, classCount]` for image features `[n, embedDim]` (not yet normalised).
    public func logits(imageFeatures f: [Float], count n: Int) -> [Float] {
        precondition(f.count == n * embedDim)
        var normed = f
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<embedDim { s += f[i * embedDim + j] * f[i * embedDim + j] }
            let inv = 1 / s.squareRoot()
            for j in 0..<embedDim { normed[i * embedDim + j] *= inv }
        }
        var out = [Float](repeating: 0, count: n * classCount)
        guard n > 0 else { return out }
        gemm(transB: true, m: n, n: classCount, k: embedDim, alpha: Self.logitScale, a: normed, lda: embedDim,
             b: classifier, ldb: embedDim, c: &out, ldc: classCount)
        return out
    }

    /// Softmax of `logits` per image: `[n, classCount]`.
    public func probabilities(imageFeatures f: [Float], count n: Int) -> [Float] {
        var l = logits(imageFeatures: f, count: n)
        softmaxRows(&l, rows: n, width: classCount)
        return l
    }

    // MARK: cache file: "OODBZSH1", UInt32 classCount, UInt32 embedDim, Float32 LE data

    /// The cache file bytes.
    public func serialized() -> Data {
        var d = Data("OODBZSH1".utf8)
        var k = UInt32(classCount).littleEndian, e = UInt32(embedDim).littleEndian
        d.append(Data(bytes: &k, count: 4)); d.append(Data(bytes: &e, count: 4))
        classifier.withUnsafeBufferPointer { d.append(Data(buffer: $0)) }
        return d
    }

    /// Reads `serialized()` bytes; nil when they are not a complete cache file of the expected size.
    public init?(serialized d: Data, expectedClasses: Int, embedDim expectedE: Int) {
        guard d.count == 16 + expectedClasses * expectedE * 4, d.prefix(8) == Data("OODBZSH1".utf8) else { return nil }
        let k = d[8..<12].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let e = d[12..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        guard Int(k) == expectedClasses, Int(e) == expectedE else { return nil }
        let floats = d[16...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        self.init(classifier: floats, classCount: expectedClasses, embedDim: expectedE)
    }
}
