import Datasets
import Foundation
import Models

/// Where the CLIP commands find their data: the BPE vocabulary, model-vs-human's class names and templates
/// (offline mirror: `openai-clip/`, `model-vs-human/`), and the zero-shot head cache.
enum CLIPResources {
    /// `explicit`, else an HF folder's `merges.txt`, else the pinned `bpe_simple_vocab_16e6.txt.gz` of the datasets
    /// manifest's `clip-bpe-vocab` group (offline mirror `openai-clip/`, then the cache, then a verified download).
    static func vocabulary(explicit: String?, spec: CLIPModelSpec?) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let spec {
            let merges = URL(fileURLWithPath: spec.source).appendingPathComponent("merges.txt")
            if FileManager.default.fileExists(atPath: merges.path) { return merges }
        }
        return try pinnedVocabulary()
    }

    static let vocabularyGroup = "clip-bpe-vocab"
    static let vocabularyFile = "bpe_simple_vocab_16e6.txt.gz"

    /// The CLIP vocabulary through `AssetResolver` (sha256-checked). The resolver's mirror is `$OODBENCH_MIRROR`, else
    /// the mirror `OfflineMirror` finds beside the checkout or the executable.
    static func pinnedVocabulary() throws -> URL {
        var environment = ProcessInfo.processInfo.environment
        if (environment["OODBENCH_MIRROR"] ?? "").isEmpty, let root = OfflineMirror.root() { environment["OODBENCH_MIRROR"] = root.path }
        do {
            return try AssetResolver.fromEnvironment(environment: environment).file(group: vocabularyGroup, path: vocabularyFile)
        } catch {
            throw CLIError("CLIP vocabulary: \(error) (pass --vocab bpe_simple_vocab_16e6.txt.gz, or set OODBENCH_MIRROR)")
        }
    }

    static func mirrorFromEnvironment() -> URL? {
        ProcessInfo.processInfo.environment["OODBENCH_MIRROR"].map { URL(fileURLWithPath: $0, isDirectory: true) }
    }

    /// Class names and the 80 templates of a protocol, from the mirror's model-vs-human JSON files.
    static func protocolData(_ p: ZeroShotProtocol) throws -> (classNames: [String], templates: [String]) {
        guard let root = OfflineMirror.root() ?? mirrorFromEnvironment() else {
            throw CLIError("offline mirror not found (model-vs-human class names and templates): set OODBENCH_MIRROR")
        }
        let mvh = root.appendingPathComponent("model-vs-human")
        func json(_ name: String) throws -> [String: Any] {
            guard let d = try? Data(contentsOf: mvh.appendingPathComponent(name)),
                  let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
                throw CLIError("\(mvh.appendingPathComponent(name).path): missing or not a JSON object")
            }
            return o
        }
        guard let templates = try json("clip-templates.json")["templates"] as? [String], templates.count == 80 else {
            throw CLIError("clip-templates.json: expected 80 templates")
        }
        switch p {
        case .imagenet1000:
            guard let names = try json("imagenet-classnames.json")["clip_names"] as? [String], names.count == 1000 else {
                throw CLIError("imagenet-classnames.json: expected 1000 clip_names")
            }
            return (names, templates)
        case .direct16:
            guard let cats = try json("categories16.json")["categories"] as? [[String: Any]] else {
                throw CLIError("categories16.json: no categories")
            }
            let names = cats.compactMap { $0["name"] as? String }
            guard names.count == 16 else { throw CLIError("categories16.json: expected 16 categories") }
            return (names, templates)
        }
    }

    /// `$OODBENCH_CACHE/zero-shot`, else `$XDG_CACHE_HOME/oodbench/zero-shot`, else `~/.cache/oodbench/zero-shot`.
    static var headCache: URL {
        let env = ProcessInfo.processInfo.environment
        if let c = env["OODBENCH_CACHE"], !c.isEmpty { return URL(fileURLWithPath: c).appendingPathComponent("zero-shot") }
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("oodbench/zero-shot")
    }
}
