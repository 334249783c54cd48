import Foundation
import Imaging
import Inference

/// A model in another process, any framework: `--model external:COMMAND` (docs/external-protocol.md).
///
/// OODBench starts COMMAND (`/bin/sh -c 'exec COMMAND'`) and speaks protocol version 1 over its stdin/stdout,
/// one JSON object per line: the child's handshake (model name, label space `imagenet1000` | `categories16` |
/// `embeddings`, input form `paths` | `tensor`), then `classify` requests with batch ids, answered with
/// `probabilities`, `logits` (softmaxed here) or `embeddings` (for the `embeddings` label space: image
/// embeddings, scored by a zero-shot head built here from the child's `embed_texts` answers). Any failure —
/// exit, hang past `timeout`, malformed JSON, wrong batch id, wrong row or class count, an `error` answer —
/// throws `ModelsError.external` quoting the child's last stderr lines, and the model stays failed.
public final class ExternalModel: StimulusFileClassifier, @unchecked Sendable {
    /// The protocol version this build speaks.
    public static let protocolVersion = 1
    /// The spec prefix: `external:COMMAND`.
    public static let specPrefix = "external:"

    /// How the child wants its images.
    public enum Input: Sendable, Equatable {
        /// Absolute file paths of the stimuli, as stored (the child decodes and preprocesses).
        case paths
        /// A raw little-endian float32 `[N, 3, size, size]` file preprocessed here: shorter side resized to
        /// `size` (Pillow-exact bicubic), centre crop, RGB, `(x/255 − mean) / std` per channel.
        case tensor(size: Int, mean: [Float], std: [Float])
    }

    public let name: String
    public let labelSpace: LabelSpace
    public let command: String
    public let input: Input
    /// The label space the child declared (`embeddings` included).
    public let declaredLabelSpace: String
    /// Built from the child's text embeddings when it declared `embeddings`.
    public let head: ZeroShotHead?
    public let runInfo: [String: String]
    /// Seconds to wait for each answer (the handshake included).
    public let timeout: Double

    private let child: ExternalProcess
    private let lock = NSLock()
    private var nextID = 1
    private var failed: ModelsError?
    private let scratch: URL

    public var readsFiles: Bool { input == .paths }

    public var preprocessing: String {
        switch input {
        case .paths: return "external: the model reads the stimulus files and preprocesses them itself"
        case .tensor(let size, let mean, let std):
            return "resize shorter side to \(size) with Pillow BICUBIC, centre crop \(size), RGB, (x/255 - mean)/std "
                + "with mean \(mean) and std \(std); sent as little-endian float32 [N,3,\(size),\(size)]"
        }
    }

    /// Parses `external:COMMAND`; nil for other specs.
    public static func command(fromSpec spec: String) -> String? {
        guard spec.hasPrefix(specPrefix) else { return nil }
        let c = spec.dropFirst(specPrefix.count).trimmingCharacters(in: .whitespaces)
        return c.isEmpty ? nil : c
    }

    /// Starts COMMAND and reads its handshake; for an `embeddings` model also builds the zero-shot head.
    /// - Parameters:
    ///   - zeroShot: the protocol of the head for `embeddings` models (ignored otherwise).
    ///   - promptData: class names and templates of that protocol; called only for `embeddings` models.
    ///   - textBatch: prompts per `embed_texts` request.
    ///   - echoStderr: copy the child's stderr lines to ours (prefixed `[external]`).
    public init(command: String, zeroShot: ZeroShotProtocol = .imagenet1000, timeout: Double = 600,
                promptData: () throws -> (classNames: [String], templates: [String]) = { ([], []) },
                textBatch: Int = 1000, echoStderr: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws {
        precondition(timeout > 0 && textBatch > 0)
        self.command = command
        self.timeout = timeout
        let child = try ExternalProcess(command: command, echoStderr: echoStderr)
        self.child = child
        var requestID = 1
        // Tensor batches (0.6 MB per 224-px image) go to memory-backed /dev/shm when there is one: on disk the write
        // alone cost about 6 ms per image. The file is private to this run and the child.
        var isDir: ObjCBool = false
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        let base = FileManager.default.fileExists(atPath: shm.path, isDirectory: &isDir) && isDir.boolValue
            && FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        scratch = base.appendingPathComponent("oodbench-external-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")

        do {
            // 1. Handshake.
            let hello = try Self.object(try child.receive(timeout: timeout), child: child, what: "handshake")
            guard let version = hello["oodbench_protocol"] as? Int else {
                throw child.failure("the handshake has no integer oodbench_protocol (first line: \(Self.excerpt(hello)))")
            }
            guard version == Self.protocolVersion else {
                throw child.failure("speaks protocol version \(version); this OODBench speaks \(Self.protocolVersion)")
            }
            guard let model = hello["model"] as? String, !model.isEmpty,
                  model.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw child.failure("the handshake's model must be a non-empty name of letters, digits, _ - . (got \(hello["model"] ?? "nothing"))")
            }
            guard let space = hello["label_space"] as? String, ["imagenet1000", "categories16", "embeddings"].contains(space) else {
                throw child.failure("label_space must be imagenet1000, categories16 or embeddings (got \(hello["label_space"] ?? "nothing"))")
            }
            declaredLabelSpace = space
            switch hello["input"] {
            case nil: input = .paths
            case let form as String where form == "paths": input = .paths
            case let form as [String: Any] where form["form"] as? String == "tensor":
                guard let size = Self.int(form["size"]), (1...4096).contains(size) else {
                    throw child.failure("input.size must be an integer from 1 to 4096")
                }
                let mean = (form["mean"].flatMap(Self.floats)) ?? CLIPPreprocessing.mean
                let std = (form["std"].flatMap(Self.floats)) ?? CLIPPreprocessing.std
                guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
                    throw child.failure("input.mean and input.std must be 3 numbers (std positive)")
                }
                input = .tensor(size: size, mean: mean, std: std)
            default:
                throw child.failure("input must be \"paths\" or {\"form\": \"tensor\", \"size\": …}")
            }
            var info: [String: String] = ["external_command": command, "external_protocol": String(version),
                                          "external_label_space": space,
                                          "external_input": input == .paths ? "paths" : "tensor"]
            for (k, v) in (hello["info"] as? [String: Any]) ?? [:] { info["model_" + k] = "\(v)" }

            // 2. The zero-shot head for embedding models.
            if space == "embeddings" {
                let (names, templates) = try promptData()
                guard !names.isEmpty, !templates.isEmpty else {
                    throw child.failure("an embeddings model needs class names and templates (the offline mirror)")
                }
                let prompts = names.flatMap { n in templates.map { $0.replacingOccurrences(of: "{}", with: n) } }
                var rows: [Float] = []
                var dim = 0
                var start = 0
                while start < prompts.count {
                    let end = min(start + textBatch, prompts.count)
                    let id = requestID; requestID += 1
                    try child.send(try JSONSerialization.data(withJSONObject: [
                        "type": "embed_texts", "id": id, "texts": Array(prompts[start..<end])] as [String: Any]))
                    let (values, width) = try Self.answer(child: child, id: id, rows: end - start, key: "embeddings",
                                                          width: dim == 0 ? nil : dim, timeout: timeout)
                    dim = width; rows += values
                    start = end
                    progress?(end, prompts.count)
                }
                head = ZeroShotHead(promptEmbeddings: rows, classCount: names.count, templatesPerClass: templates.count, embedDim: dim)
                labelSpace = zeroShot.labelSpace
                name = model + (zeroShot == .direct16 ? "_direct16" : "")
                info["zero_shot_protocol"] = zeroShot.rawValue
                info["zero_shot_templates"] = String(templates.count)
                info["zero_shot_classes"] = String(names.count)
                info["embed_dim"] = String(dim)
                info["logit_scale"] = "100"
            } else {
                head = nil
                labelSpace = space == "imagenet1000" ? .imagenet1000 : .categories16
                name = model
            }
            runInfo = info
            nextID = requestID
        } catch {
            child.terminate()  // a failed start leaves no process behind
            throw error
        }
    }

    deinit {
        child.shutdown()
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Closes the child's stdin and waits for it to exit (killing it after a grace period).
    public func close() { child.shutdown() }

    public func classify(files: [URL]) throws -> [[Float]] {
        try request(count: files.count) { id in
            ["type": "classify", "id": id, "paths": files.map { $0.standardizedFileURL.path }]
        }
    }

    public func classify(_ images: [Image8]) throws -> [[Float]] {
        guard case .tensor(let size, let mean, let std) = input else {
            throw ModelsError.external(command: command, reason: "this model reads files; it cannot take decoded images", stderr: [])
        }
        let plane = size * size, per = 3 * plane
        var tensor = [Float](repeating: 0, count: images.count * per)
        for (n, image) in images.enumerated() {
            guard image.width > 0, image.height > 0, (1...4).contains(image.channels) else {
                throw ModelsError.unsupportedImage(index: n, reason: "\(image.channels) channels")
            }
            let rgb = CLIPPreprocessing.evaluationCrop(image, resolution: size)
            for c in 0..<3 {
                let m = mean[c], s = std[c], base = n * per + c * plane
                for i in 0..<plane { tensor[base + i] = (Float(rgb.samples[i * 3 + c]) / 255 - m) / s }
            }
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let file = scratch.appendingPathComponent("batch.f32")
        let data = tensor.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian on every supported host
        // Not atomic: the child opens the file only after the request line, which is sent once the write returned.
        do { try data.write(to: file) } catch {
            throw ModelsError.external(command: command, reason: "cannot write \(file.path): \(error.localizedDescription)", stderr: [])
        }
        defer { try? FileManager.default.removeItem(at: file) }
        return try request(count: images.count) { id in
            ["type": "classify", "id": id,
             "tensor": ["path": file.path, "shape": [images.count, 3, size, size], "dtype": "float32-le"] as [String: Any]]
        }
    }

    /// Sends one classify request and turns the answer into probabilities.
    private func request(count: Int, _ message: (Int) -> [String: Any]) throws -> [[Float]] {
        lock.lock(); defer { lock.unlock() }
        if let failed { throw failed }
        do {
            let id = nextID; nextID += 1
            try child.send(try JSONSerialization.data(withJSONObject: message(id)))
            if let head {
                let (values, _) = try Self.answer(child: child, id: id, rows: count, key: "embeddings",
                                                  width: head.embedDim, timeout: timeout)
                let p = head.probabilities(imageFeatures: values, count: count)
                let k = head.classCount
                return (0..<count).map { Array(p[($0 * k)..<(($0 + 1) * k)]) }
            }
            let k = labelSpace.classCount
            let (answerValues, _, key) = try Self.answer(child: child, id: id, rows: count,
                                                   keys: ["probabilities", "logits"], width: k, timeout: timeout)
            var values = answerValues
            if key == "logits" {
                values.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: count, width: k) }
            } else {
                for r in 0..<count {
                    var sum: Float = 0
                    for j in 0..<k {
                        let v = values[r * k + j]
                        guard v >= 0 && v <= 1 else { throw child.failure("batch \(id): probability \(v) outside [0, 1] in row \(r)") }
                        sum += v
                    }
                    guard abs(sum - 1) <= 1e-3 else { throw child.failure("batch \(id): probabilities of row \(r) sum to \(sum), not 1") }
                }
            }
            return (0..<count).map { Array(values[($0 * k)..<(($0 + 1) * k)]) }
        } catch let e as ModelsError {
            failed = e
            child.terminate()
            throw e
        } catch {
            let e = child.failure("\(error)")
            failed = e
            child.terminate()
            throw e
        }
    }

    // MARK: answers

    private static func answer(child: ExternalProcess, id: Int, rows: Int, key: String, width: Int?,
                               timeout: Double) throws -> ([Float], Int) {
        let (v, w, _) = try answer(child: child, id: id, rows: rows, keys: [key], width: width, timeout: timeout)
        return (v, w)
    }

    /// Reads the answer to request `id`: `rows` rows of `width` (or any common width when nil) finite numbers
    /// under one of `keys`. Returns the flat values, the width and the key found.
    private static func answer(child: ExternalProcess, id: Int, rows: Int, keys: [String], width: Int?,
                               timeout: Double) throws -> ([Float], Int, String) {
        let line = try child.receive(timeout: timeout)
        if let a = ExternalAnswerParser.parse(line), a.id == id, keys.contains(a.key), a.rows == rows,
           width == nil || a.width == width, a.width > 0, a.values.allSatisfy(\.isFinite) {
            return (a.values, a.width, a.key)
        }
        let o = try object(line, child: child, what: "answer to batch \(id)")
        guard let got = int(o["id"]) else { throw child.failure("the answer to batch \(id) has no integer id: \(excerpt(o))") }
        if let message = o["error"] { throw child.failure("batch \(got): the model reported an error: \(message)") }
        guard got == id else { throw child.failure("answered batch \(got) while batch \(id) was expected") }
        guard let key = keys.first(where: { o[$0] != nil }), let table = o[key] as? [Any] else {
            throw child.failure("the answer to batch \(id) has no \(keys.joined(separator: " or ")) array: \(excerpt(o))")
        }
        guard table.count == rows else { throw child.failure("batch \(id): \(table.count) rows of \(key) for \(rows) images") }
        var values: [Float] = []
        var w = width ?? -1
        for (r, row) in table.enumerated() {
            guard let row = row as? [Any], let f = floats(row) else {
                throw child.failure("batch \(id): row \(r) of \(key) is not an array of numbers")
            }
            if w < 0 { w = f.count; values.reserveCapacity(rows * w) }
            guard f.count == w, w > 0 else {
                throw child.failure("batch \(id): row \(r) has \(f.count) \(key) values, expected \(w)"
                                    + (width != nil && key != "embeddings" ? " (one per class of the declared label space)" : ""))
            }
            guard f.allSatisfy(\.isFinite) else { throw child.failure("batch \(id): row \(r) has a non-finite value") }
            values += f
        }
        return (values, w, key)
    }

    private static func object(_ line: Data, child: ExternalProcess, what: String) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw child.failure("the \(what) is not a JSON object: \(String(decoding: line.prefix(120), as: UTF8.self))")
        }
        return o
    }

    static func int(_ v: Any?) -> Int? {
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        return nil
    }

    static func floats(_ v: Any) -> [Float]? {
        if let d = v as? [Double] { return d.map(Float.init) }
        guard let a = v as? [Any] else { return nil }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for x in a {
            if let d = x as? Double { out.append(Float(d)) } else if let i = x as? Int { out.append(Float(i)) } else { return nil }
        }
        return out
    }

    static func excerpt(_ o: [String: Any]) -> String {
        let d = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
        return String(decoding: d.prefix(120), as: UTF8.self)
    }
}
