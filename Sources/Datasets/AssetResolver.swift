import Foundation

/// Finds pinned upstream files: in the offline mirror, in the cache, or by downloading them (unless offline).
///
/// Lookup order for `file(group:path:)`: `<mirror>/<group.mirror>/<path>`, then `<cache>/<group.mirror>/<path>`,
/// then a download into the cache. Every copy is checked against the manifest's size and sha256 before it is
/// returned (once per process and path); a mismatching mirror or cache copy is an error that names the file.
///
/// Settings from the environment (`fromEnvironment`): `OODBENCH_MIRROR` (a folder laid out like
/// `../shared/reference-data`; when unset, `../shared/reference-data` beside the checkout is used if it exists),
/// `OODBENCH_CACHE` (default `~/.cache/oodbench`), `OODBENCH_OFFLINE=1`, `OODBENCH_MANIFEST`.
public struct AssetResolver: Sendable {
    /// The manifest the files are pinned by.
    public let manifest: Manifest
    /// The offline mirror, if any.
    public let mirror: URL?
    /// The download cache (same layout as the mirror; stimulus datasets under `datasets/`).
    public let cache: URL
    /// Fail instead of reaching the network.
    public let offline: Bool
    /// Called a few times per second during transfers (on a background thread).
    public var progress: (@Sendable (TransferProgress) -> Void)?
    /// Download attempts per file and the per-request timeout (seconds).
    var attempts = 3
    var timeout: TimeInterval = 60

    /// A resolver over explicit folders; throws `.mirrorMissing` when `mirror` is given but does not exist.
    public init(manifest: Manifest, mirror: URL?, cache: URL, offline: Bool = false) throws {
        if let mirror {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: mirror.path, isDirectory: &isDir), isDir.boolValue else {
                throw DatasetsError.mirrorMissing(path: mirror.path)
            }
        }
        self.manifest = manifest
        self.mirror = mirror
        self.cache = cache
        self.offline = offline
    }

    /// A resolver configured from the environment (see the type's documentation); `offline` forces offline mode.
    public static func fromEnvironment(offline: Bool = false,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AssetResolver {
        let manifestFolder = try Manifest.locate(environment: environment)
        let manifest = try Manifest.load(folder: manifestFolder)
        var mirror: URL? = nil
        if let env = environment["OODBENCH_MIRROR"], !env.isEmpty {
            mirror = URL(fileURLWithPath: env, isDirectory: true)
        } else {
            let beside = manifestFolder.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("shared/reference-data", isDirectory: true)
            if FileManager.default.fileExists(atPath: beside.path) { mirror = beside }
        }
        let cache: URL
        if let env = environment["OODBENCH_CACHE"], !env.isEmpty {
            cache = URL(fileURLWithPath: env, isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
            cache = home.appendingPathComponent(".cache/oodbench", isDirectory: true)
        }
        let envOffline = ["1", "true", "yes"].contains((environment["OODBENCH_OFFLINE"] ?? "").lowercased())
        return try AssetResolver(manifest: manifest, mirror: mirror, cache: cache, offline: offline || envOffline)
    }

    /// The verified local file for `path` of manifest group `group`, downloading it into the cache if needed.
    ///
    /// This is the entry point other modules use, e.g.
    /// `try AssetResolver.fromEnvironment().file(group: "generalisation-humans-dnns", path: "code/x_gamma_function.npy")`.
    public func file(group: String, path: String) throws -> URL {
        let assetGroup = try manifest.group(group)
        guard let asset = assetGroup.file(path) else { throw DatasetsError.unknownFile(group: group, path: path) }
        return try resolve(asset, in: assetGroup)
    }

    /// The verified local file whose pinned sha256 is `sha256` (any group).
    public func file(sha256: String) throws -> URL {
        let digest = sha256.lowercased()
        for group in manifest.groups where group.pinned {
            if let asset = group.files.first(where: { $0.sha256 == digest }) { return try resolve(asset, in: group) }
        }
        throw DatasetsError.unknownDigest(sha256)
    }

    /// Where a pinned file lives locally right now, without downloading: the verified copy, or nil if absent.
    /// Throws when a copy exists but its size or sha256 is wrong.
    func localCopy(_ asset: AssetFile, in group: AssetGroup) throws -> URL? {
        for candidate in localCandidates(asset, in: group) where FileManager.default.fileExists(atPath: candidate.path) {
            try verifiedOnce(candidate, asset)
            return candidate
        }
        return nil
    }

    func localCandidates(_ asset: AssetFile, in group: AssetGroup) -> [URL] {
        guard let folder = group.mirror else { return [] }
        var out: [URL] = []
        if let mirror { out.append(mirror.appendingPathComponent(folder).appendingPathComponent(asset.path)) }
        out.append(cachePath(asset, in: group))
        return out
    }

    func cachePath(_ asset: AssetFile, in group: AssetGroup) -> URL {
        cache.appendingPathComponent(group.mirror ?? "downloads/\(group.name)").appendingPathComponent(asset.path)
    }

    func resolve(_ asset: AssetFile, in group: AssetGroup) throws -> URL {
        if let local = try localCopy(asset, in: group) { return local }
        let destination = cachePath(asset, in: group)
        try download(asset, to: destination, name: "\(group.name)/\(asset.path)")
        VerifiedPaths.shared.insert(destination.path)
        return destination
    }

    func download(_ asset: AssetFile, to destination: URL, name: String) throws {
        if offline { throw DatasetsError.offline(file: name, url: asset.url.absoluteString) }
        var downloader = Downloader()
        downloader.attempts = attempts
        downloader.timeout = timeout
        downloader.progress = progress
        try downloader.fetch(asset.url, to: destination, name: name, size: asset.size, sha256: asset.sha256)
    }

    private func verifiedOnce(_ url: URL, _ asset: AssetFile) throws {
        if VerifiedPaths.shared.contains(url.path) { return }
        try FileDigest.verify(url, size: asset.size, sha256: asset.sha256)
        VerifiedPaths.shared.insert(url.path)
    }
}

/// Files verified in this process, keyed by path and remembered with their size and modification time: a file
/// changed since (rewritten, truncated) is hashed again.
final class VerifiedPaths: @unchecked Sendable {
    static let shared = VerifiedPaths()
    private let lock = NSLock()
    private var stamps: [String: String] = [:]

    private static func stamp(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(size)@\(modified)"
    }

    func contains(_ path: String) -> Bool {
        guard let now = Self.stamp(path) else { return false }
        return lock.withLock { stamps[path] == now }
    }

    func insert(_ path: String) {
        guard let now = Self.stamp(path) else { return }
        lock.withLock { stamps[path] = now }
    }
}

extension AssetResolver {
    /// The mirror and cache paths where a pinned file may be (no check); for listings.
    public func candidatePaths(group: AssetGroup, file: AssetFile) -> [URL] { localCandidates(file, in: group) }
}
