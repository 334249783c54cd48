import Foundation
import Inference

/// A CLIP-Mamba model (Huang, Shen, Yang 2024; specs/clip-mamba.md §6.5): a VMamba or SiMBA image tower,
/// `image_projection` (stored `[in, out]`), and optionally the OpenAI-CLIP text tower (QuickGELU, width 512).
///
/// Loaded from a mamba-clip training checkpoint (`.pt` zip; `module.` prefix stripped), a safetensors copy of it,
/// or a backbone-only safetensors file (keys as under `visual_e.`; no projection, no text tower: only features).
/// The EMA half (`*_e` keys, what the paper's zero-shot numbers use) is the default. Immutable after loading;
/// the encode methods may be called concurrently.
public final class MambaCLIPModel: Sendable {
    /// Which half of a checkpoint to use.
    public enum Half: String, Sendable, CaseIterable { case ema, online }

    /// The image tower architecture.
    public enum Architecture: Sendable, Equatable {
        case vmamba(VMambaConfig)
        case simba(SiMBAConfig)

        /// The four named CLIP-Mamba towers: `vmamba-t220`, `vmamba-s`, `vmamba-b`, `simba-l`.
        public static func named(_ name: String) -> Architecture? {
            switch name.lowercased() {
            case "vmamba-t220": return .vmamba(.t220)
            case "vmamba-s": return .vmamba(.small)
            case "vmamba-b": return .vmamba(.base)
            case "simba-l": return .simba(.large)
            default: return nil
            }
        }

        /// From an ARCH JSON file: `{"kind": "vmamba" | "simba", "config": {…upstream constructor arguments…}}`
        /// (clip-mamba-fixtures/README.md). Also returns `transformer_heads` if the object carries one (for
        /// text towers narrower than 64 per head).
        public static func fromJSON(_ data: Data, file: String) throws -> (Architecture, textHeads: Int?) {
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelsError.invalidFile(file: file, reason: "not a JSON object")
            }
            guard let kind = obj["kind"] as? String, let cfg = obj["config"] as? [String: Any] else {
                throw ModelsError.invalidFile(file: file, reason: "needs \"kind\" (vmamba or simba) and \"config\"")
            }
            let heads = obj["transformer_heads"] as? Int ?? cfg["transformer_heads"] as? Int
            switch kind {
            case "vmamba": return (.vmamba(try VMambaConfig(upstream: (cfg["vision"] as? [String: Any]) ?? cfg, file: file)), heads)
            case "simba": return (.simba(try SiMBAConfig(upstream: cfg, file: file)), heads)
            default: throw ModelsError.invalidFile(file: file, reason: "kind '\(kind)' is not vmamba or simba")
            }
        }

        /// Feature width of the tower.
        public var featureWidth: Int {
            switch self {
            case .vmamba(let c): return c.featureWidth
            case .simba(let c): return c.featureWidth
            }
        }

        /// Tower parameters counted from the configuration.
        public var parameterCount: Int {
            switch self {
            case .vmamba(let c): return c.parameterCount
            case .simba(let c): return c.parameterCount
            }
        }
    }

    enum Tower: Sendable {
        case vmamba(VMambaTower)
        case simba(SiMBATower)

        /// The tower behind either case.
        var network: any MambaImageTower {
            switch self {
            case .vmamba(let t): return t
            case .simba(let t): return t
            }
        }
    }

    public let architecture: Architecture
    public let half: Half
    let tower: Tower
    /// `[featureWidth, embedDim]` or nil for a backbone-only file.
    let imageProjection: [Float]?
    let text: CLIPTextTransformer?
    public let embedDim: Int?
    /// Where the weights came from (for `run.json`).
    public let file: String

    /// Builds the model from tensors with mamba-clip names (`visual_e.*`, `image_projection_e`, `transformer_e.*`,
    /// … after stripping `module.`) or backbone names (`patch_embed.0.weight`, …). Every tensor of the chosen
    /// half must be used; the other half is ignored.
    public init(architecture: Architecture, tensors raw: [String: Tensor], half: Half = .ema, textHeads: Int? = nil,
                file: String) throws {
        self.architecture = architecture
        self.half = half
        self.file = file
        var t: [String: Tensor] = [:]
        for (k, v) in raw { t[k.hasPrefix("module.") ? String(k.dropFirst(7)) : k] = v }
        let sfx = half == .ema ? "_e" : ""
        let visualPrefix = "visual\(sfx)."
        let backboneOnly = !t.keys.contains { $0.hasPrefix("visual.") || $0.hasPrefix("visual_e.") }
        var visual: [String: Tensor] = [:]
        var rest: [String: Tensor] = [:]
        for (k, v) in t {
            if backboneOnly { visual[k] = v }
            else if k.hasPrefix(visualPrefix) { visual[String(k.dropFirst(visualPrefix.count))] = v }
            else { rest[k] = v }
        }
        var vbag = WeightBag(file: file, tensors: visual)
        switch architecture {
        case .vmamba(let c): tower = .vmamba(try VMambaTower(config: c, bag: &vbag))
        case .simba(let c): tower = .simba(try SiMBATower(config: c, bag: &vbag))
        }
        try vbag.finish { $0.hasSuffix("num_batches_tracked") }
        let fw = architecture.featureWidth
        if backboneOnly {
            imageProjection = nil; text = nil; embedDim = nil
            return
        }
        // Text tower and projections of the chosen half, renamed to the plain CLIP names the text tower reads.
        var plain: [String: Tensor] = [:]
        for (k, v) in rest {
            let first = k.split(separator: ".", maxSplits: 1).first.map(String.init) ?? k
            let tail = k.dropFirst(first.count)
            if half == .ema {
                guard first.hasSuffix("_e") else { continue }
                plain[String(first.dropLast(2)) + tail] = v
            } else {
                guard !first.hasSuffix("_e") else { continue }
                plain[k] = v
            }
        }
        var bag = WeightBag(file: file, tensors: plain)
        let projShape = try bag.shape("image_projection")
        guard projShape.count == 2, projShape[0] == fw else {
            throw ModelsError.shapeMismatch(file: file, tensor: "image_projection\(sfx)", expected: [fw, projShape.last ?? 0], got: projShape)
        }
        let e = projShape[1]
        imageProjection = try bag.take("image_projection", [fw, e])
        embedDim = e
        if bag.has("token_embedding.weight") {
            let emb = try bag.shape("token_embedding.weight"), pos = try bag.shape("positional_embedding")
            guard emb.count == 2, pos.count == 2 else {
                throw ModelsError.invalidFile(file: file, reason: "token_embedding\(sfx)/positional_embedding\(sfx) are not matrices")
            }
            let width = emb[1]
            var layers = 0
            while bag.has("transformer.resblocks.\(layers).ln_1.weight") { layers += 1 }
            let heads = textHeads ?? max(1, width / 64)
            guard width % heads == 0 else {
                throw ModelsError.invalidFile(file: file, reason: "text width \(width) is not divisible by \(heads) heads")
            }
            let cfg = CLIPConfig(embedDim: e, imageSize: 224, vision: .vit(width: fw, layers: 0, heads: 1, patch: 1),
                                 textWidth: width, textHeads: heads, textLayers: layers, contextLength: pos[0],
                                 vocabSize: emb[0], activation: .quickGELU, source: "mamba-clip")
            text = try CLIPTextTransformer(config: cfg, bag: &bag)
        } else {
            text = nil
        }
        try bag.finish { $0 == "logit_scale" }
    }

    /// Loads a `.pt` zip checkpoint (mamba-clip `main.py`: a dict whose `state_dict` holds `module.*`) or a
    /// safetensors file, reading only the tensors of the chosen half.
    public convenience init(architecture: Architecture, url: URL, half: Half = .ema, textHeads: Int? = nil) throws {
        let name = url.lastPathComponent
        let head = (try? FileHandle(forReadingFrom: url)).flatMap { h -> Data? in
            defer { try? h.close() }
            return try? h.read(upToCount: 4)
        }
        guard let head else { throw ModelsError.weightsNotFound(model: "mamba-clip", hint: "cannot read \(url.path)") }
        let other = half == .ema ? Half.online : Half.ema
        let skip = { (k: String) -> Bool in
            let s = k.hasPrefix("module.") ? String(k.dropFirst(7)) : k
            let first = s.split(separator: ".", maxSplits: 1).first.map(String.init) ?? s
            if first == "logit_scale" { return false }
            return other == .ema ? first.hasSuffix("_e") : (!first.hasSuffix("_e") && ["visual", "image_projection", "transformer",
                "token_embedding", "positional_embedding", "ln_final", "text_projection"].contains(first))
        }
        var tensors: [String: Tensor]
        do {
            if head.starts(with: [0x50, 0x4B]) {       // "PK": a PyTorch zip checkpoint
                tensors = try TorchCheckpoint(url: url).loadStateDict(include: { !skip($0) })
            } else {
                tensors = try SafetensorsFile(url: url).floatTensors().filter { !skip($0.key) }
            }
        } catch let e as InferenceError {
            throw ModelsError.invalidFile(file: name, reason: "\(e)")
        }
        try self.init(architecture: architecture, tensors: tensors, half: half, textHeads: textHeads, file: name)
    }

    /// Tower output width.
    public var featureWidth: Int { architecture.featureWidth }

    /// Whether the text tower is loaded (needed for zero-shot).
    public var hasTextTower: Bool { text != nil }

    /// Backbone features `[count, featureWidth]` of normalised images `[count, 3, h, w]` (planar, back to back).
    ///
    /// Whole rounds of one image per core run data-parallel: each core takes its share of the images through the
    /// tower alone (`runSerially`, OpenBLAS at one thread for the duration), in groups of up to `groupSize`
    /// images whose token rows are stacked for every sgemm. This spares the per-layer fork/join and BLAS thread
    /// hand-offs that dominate these towers' many small GEMMs, and packs each weight once per group. The images
    /// left over (fewer than the cores) run with every layer split over the cores.
    public func features(_ pixels: [Float], count: Int, height: Int, width: Int) -> [Float] {
        precondition(pixels.count == count * 3 * height * width, "pixel count does not match \(count) images of \(height)×\(width)")
        let fw = featureWidth, per = 3 * height * width
        let tower = self.tower
        var out = [Float](repeating: 0, count: count * fw)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let parallel = cores > 1 && !isRunningSerially ? count / cores * cores : 0
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                nonisolated(unsafe) let src = p.baseAddress!, dst = o.baseAddress!
                let run: @Sendable (Int, Int) -> Void = { first, n in
                    tower.network.forward(src + first * per, images: n, height: height, width: width, out: dst + first * fw)
                }
                if parallel > 0 {
                    let blasThreads = BLASInfo.threads
                    BLASInfo.setThreads(1)
                    defer { BLASInfo.setThreads(blasThreads) }
                    let share = parallel / cores, group = Self.groupSize
                    DispatchQueue.concurrentPerform(iterations: cores) { worker in
                        runSerially {
                            for first in stride(from: worker * share, to: (worker + 1) * share, by: group) {
                                run(first, Swift.min(group, (worker + 1) * share - first))
                            }
                        }
                    }
                }
                for i in parallel..<count { run(i, 1) }
            }
        }
        return out
    }

    /// Most images one core runs together (their activations: about 25 MB per image for VMamba-S and 36 MB for
    /// SiMBA-L at 224 px).
    static let groupSize = 4

    /// Image embeddings `[count, embedDim]` (features · image_projection, not normalised). Throws for a
    /// backbone-only model.
    public func encodeImages(_ pixels: [Float], count: Int, height: Int, width: Int) throws -> [Float] {
        guard let proj = imageProjection, let e = embedDim else {
            throw ModelsError.invalidFile(file: file, reason: "backbone-only weights have no image_projection; use features")
        }
        let f = features(pixels, count: count, height: height, width: width)
        var out = [Float](repeating: 0, count: count * e)
        if count > 0 {
            gemm(m: count, n: e, k: featureWidth, a: f, lda: featureWidth, b: proj, ldb: e, c: &out, ldc: e)
        }
        return out
    }

    /// Text embeddings `[rows, embedDim]` of 77-id rows (see `MambaCLIPTokenizer`).
    public func encodeTexts(_ tokens: [[Int32]]) throws -> [Float] {
        guard let text, let e = embedDim else {
            throw ModelsError.invalidFile(file: file, reason: "the weights hold no text tower")
        }
        for (i, row) in tokens.enumerated() {
            guard row.count == text.contextLength else {
                throw ModelsError.invalidFile(file: "tokens", reason: "row \(i) has \(row.count) ids, expected \(text.contextLength)")
            }
            if let bad = row.first(where: { $0 < 0 || Int($0) >= text.vocabSize }) {
                throw ModelsError.invalidFile(file: "tokens", reason: "row \(i) holds id \(bad) outside the vocabulary of \(text.vocabSize)")
            }
        }
        var out = [Float](repeating: 0, count: tokens.count * e)
        if !tokens.isEmpty { out.withUnsafeMutableBufferPointer { text.forward(tokens, out: $0.baseAddress!) } }
        return out
    }

    /// Multiply-adds per image at `h × w` as the implementation counts them, and the part in the scan.
    public func multiplyAdds(height: Int, width: Int) -> (total: Int, scan: Int) {
        tower.network.multiplyAdds(height: height, width: width)
    }
}

/// mamba-clip's tokenizer behaviour (`tokenizer.py`, the OpenAI simple tokenizer): `[SOT] + ids + [EOT]` cut to
/// the first 77 ids WITHOUT re-inserting EOT (specs/clip-mamba.md §6.5.5), zero-padded.
public struct MambaCLIPTokenizer: Sendable {
    public let base: CLIPTokenizer
    public init(base: CLIPTokenizer) { self.base = base }

    public func tokenize(_ text: String) -> [Int32] {
        var row = [CLIPTokenizer.startOfText] + base.encode(text) + [CLIPTokenizer.endOfText]
        if row.count > CLIPTokenizer.contextLength { row = Array(row.prefix(CLIPTokenizer.contextLength)) }
        return row + [Int32](repeating: 0, count: CLIPTokenizer.contextLength - row.count)
    }
}
