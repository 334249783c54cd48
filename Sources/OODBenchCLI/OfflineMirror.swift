import Foundation

/// Where the CLI finds the offline mirror (`../shared/reference-data`): `$OODBENCH_MIRROR`, else a
/// `shared/reference-data` folder beside the current folder or beside one of the executable's ancestors (a
/// checkout's `.build/release/oodbench` finds the mirror laid next to the checkout).
enum OfflineMirror {
    /// The three texture-vs-shape datasets the mirror holds, with their full image counts.
    static let textureShape: [(name: String, images: Int)] = [("cue-conflict", 1280), ("edge", 160), ("silhouette", 160)]

    static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let fm = FileManager.default
        if let env = environment["OODBENCH_MIRROR"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        var candidates: [URL] = []
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)
        candidates.append(cwd.appendingPathComponent("../shared/reference-data"))
        candidates.append(cwd.appendingPathComponent("shared/reference-data"))
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 {
            exe.deleteLastPathComponent()
            candidates.append(exe.appendingPathComponent("../shared/reference-data"))
        }
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("texture-vs-shape").path) }?
            .standardizedFileURL
    }

    /// The stimulus folder of an offline dataset and the dataset's full image count.
    static func stimuli(_ dataset: String) throws -> (folder: URL, fullCount: Int) {
        guard let entry = textureShape.first(where: { $0.name == dataset }) else {
            throw CLIError("dataset \(dataset) is not in the offline mirror (available: "
                           + textureShape.map(\.name).joined(separator: ", ") + "); pass its folder with --stimuli")
        }
        guard let root = root() else {
            throw CLIError("offline mirror not found: set OODBENCH_MIRROR to the shared/reference-data folder")
        }
        return (root.appendingPathComponent("texture-vs-shape/\(dataset)", isDirectory: true), entry.images)
    }
}
