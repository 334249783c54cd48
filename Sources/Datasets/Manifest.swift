import Foundation

/// One upstream file of a manifest group.
public struct AssetFile: Sendable, Equatable {
    /// Path relative to the group's mirror folder (and to its cache folder), e.g. `raw-data/colour/colour_subject-01_session_1.csv`.
    public let path: String
    /// Where the file is downloaded from.
    public let url: URL
    /// Size in bytes; nil for unpinned files.
    public let size: Int64?
    /// Lower-case hex sha256; nil for unpinned files.
    public let sha256: String?
    /// For release archives: the catalog dataset the archive holds.
    public let dataset: String?
}

/// One `datasets-manifest/<group>.json` file: an upstream asset group.
public struct AssetGroup: Sendable, Equatable {
    /// The group name (the JSON file's name without `.json`).
    public let name: String
    /// One line saying what the group holds.
    public let title: String
    /// The folder of `$OODBENCH_MIRROR` (and of the cache) holding the files; nil for release archives.
    public let mirror: String?
    /// Whether every file carries size and sha256.
    public let pinned: Bool
    /// Why the group is unpinned (nil when pinned).
    public let unpinnedReason: String?
    /// Upstream repositories with their commits or release tags, as `key=value` summaries.
    public let upstream: [String]
    /// Licence statement.
    public let license: String
    /// Citation.
    public let citation: String
    /// The files, in manifest order.
    public let files: [AssetFile]

    /// The file at `path`, or nil.
    public func file(_ path: String) -> AssetFile? { files.first { $0.path == path } }
}

/// The whole of `datasets-manifest/`: every asset group, validated on load.
public struct Manifest: Sendable {
    /// The groups, sorted by name.
    public let groups: [AssetGroup]
    /// The folder the manifest was read from.
    public let folder: URL

    /// The largest file a group may declare (1 TiB); a larger `size` is refused as a damaged manifest.
    public static let maxFileBytes: Int64 = 1 << 40

    /// The group called `name`; throws `.unknownName` listing the known groups.
    public func group(_ name: String) throws -> AssetGroup {
        guard let group = groups.first(where: { $0.name == name }) else {
            throw DatasetsError.unknownName(name, known: groups.map(\.name))
        }
        return group
    }

    /// Reads and validates every `*.json` file of `folder`.
    public static func load(folder: URL) throws -> Manifest {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw DatasetsError.badManifest(file: folder.path, problem: "cannot list the folder")
        }
        guard !names.isEmpty else { throw DatasetsError.badManifest(file: folder.path, problem: "no *.json group files") }
        let groups = try names.map { try parseGroup(at: folder.appendingPathComponent($0)) }
        return Manifest(groups: groups, folder: folder)
    }

    /// Finds `datasets-manifest/`: `$OODBENCH_MANIFEST`, then `./datasets-manifest`, then the folders above the
    /// running executable (a `.build/<config>/oodbench` inside a checkout), then the checkout this module was built from.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        var candidates: [URL] = []
        if let env = environment["OODBENCH_MANIFEST"], !env.isEmpty {
            let url = URL(fileURLWithPath: env, isDirectory: true)
            guard isDirectory(url) else { throw DatasetsError.manifestNotFound(searched: [url.path]) }
            return url
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("datasets-manifest"))
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var dir = exe.deletingLastPathComponent()
            for _ in 0..<6 {
                candidates.append(dir.appendingPathComponent("datasets-manifest"))
                dir.deleteLastPathComponent()
            }
        }
        var source = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { source.deleteLastPathComponent() }  // Sources/Datasets/Manifest.swift
        candidates.append(source.appendingPathComponent("datasets-manifest"))
        for candidate in candidates where isDirectory(candidate) { return candidate }
        throw DatasetsError.manifestNotFound(searched: candidates.map(\.path))
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    static func parseGroup(at url: URL) throws -> AssetGroup {
        guard let data = try? Data(contentsOf: url) else {
            throw DatasetsError.badManifest(file: url.path, problem: "cannot read the file")
        }
        return try parseGroup(data: data, url: url)
    }

    /// Parses one group file's bytes; `file` is its name (`<group>.json`), used for the name check and in errors.
    /// For the fuzz targets (scripts/fuzz.sh); the module reads groups with `load(folder:)`.
    @_spi(Fuzzing) public static func parseGroup(data: Data, file: String) throws -> AssetGroup {
        try parseGroup(data: data, url: URL(fileURLWithPath: file))
    }

    static func parseGroup(data: Data, url: URL) throws -> AssetGroup {
        let file = url.lastPathComponent
        func bad(_ problem: String) -> DatasetsError { .badManifest(file: url.path, problem: problem) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw bad("not a JSON object")
        }
        func string(_ key: String, in dict: [String: Any], at context: String = "") throws -> String {
            guard let value = dict[key] as? String, !value.isEmpty else {
                throw bad("\(context)missing or empty string field '\(key)'")
            }
            return value
        }
        guard let schema = root["schema"] as? Int, schema == 1 else { throw bad("field 'schema' must be 1") }
        let name = try string("group", in: root)
        guard name + ".json" == file else { throw bad("group '\(name)' does not match the file name") }
        let title = try string("title", in: root)
        let license = try string("license", in: root)
        let citation = try string("citation", in: root)
        guard let pinned = root["pinned"] as? Bool else { throw bad("missing boolean field 'pinned'") }
        var mirror: String? = nil
        if let value = root["mirror"], !(value is NSNull) {
            guard let folder = value as? String, isSafeRelativePath(folder), !folder.contains("/") else {
                throw bad("field 'mirror' must be a folder name")
            }
            mirror = folder
        }
        if pinned && mirror == nil { throw bad("a pinned group needs a 'mirror' folder") }
        let unpinnedReason = root["unpinned_reason"] as? String
        if !pinned && (unpinnedReason ?? "").isEmpty { throw bad("an unpinned group must say why ('unpinned_reason')") }
        guard let upstreamList = root["upstream"] as? [[String: Any]], !upstreamList.isEmpty else {
            throw bad("missing list 'upstream'")
        }
        var upstream: [String] = []
        for (index, entry) in upstreamList.enumerated() {
            let repo = try string("repository", in: entry, at: "upstream[\(index)]: ")
            if let commit = entry["commit"] as? String {
                guard isHex(commit, length: 40) else { throw bad("upstream[\(index)]: commit must be 40 hex digits") }
                upstream.append("\(repo)@\(commit)")
            } else if let release = entry["release"] as? String, !release.isEmpty {
                upstream.append("\(repo) release \(release)")
            } else {
                throw bad("upstream[\(index)]: needs a 'commit' or a 'release'")
            }
        }
        guard let fileList = root["files"] as? [[String: Any]], !fileList.isEmpty else { throw bad("missing list 'files'") }
        var seen = Set<String>()
        var files: [AssetFile] = []
        files.reserveCapacity(fileList.count)
        for (index, entry) in fileList.enumerated() {
            let context = "files[\(index)]: "
            let path = try string("path", in: entry, at: context)
            guard isSafeRelativePath(path) else { throw bad("\(context)path '\(path)' must be relative, without '..'") }
            guard seen.insert(path).inserted else { throw bad("\(context)duplicate path '\(path)'") }
            let urlText = try string("url", in: entry, at: context)
            guard let fileURL = URL(string: urlText), let scheme = fileURL.scheme?.lowercased(),
                  scheme == "https" || scheme == "http" else {
                throw bad("\(context)url '\(urlText)' is not an http(s) URL")
            }
            var size: Int64? = nil
            var sha: String? = nil
            if let number = entry["size"] as? Int {
                guard number >= 0, Int64(number) <= Manifest.maxFileBytes else {
                    throw bad("\(context)'\(path)' declares \(number) bytes, outside 0…\(Manifest.maxFileBytes) (the limit of 1 TiB)")
                }
                size = Int64(number)
            }
            if let digest = entry["sha256"] as? String { sha = digest }
            if pinned {
                guard let s = size, s >= 0 else { throw bad("\(context)'\(path)' needs a non-negative 'size'") }
                guard let d = sha, isHex(d, length: 64), d == d.lowercased() else {
                    throw bad("\(context)'\(path)' needs a lower-case hex 'sha256' of 64 digits")
                }
            }
            var dataset: String? = nil
            if let value = entry["dataset"] as? String {
                guard Catalog.dataset(named: value) != nil else { throw bad("\(context)unknown dataset '\(value)'") }
                dataset = value
            }
            if !pinned && dataset == nil { throw bad("\(context)an unpinned archive must name its 'dataset'") }
            files.append(AssetFile(path: path, url: fileURL, size: size, sha256: sha, dataset: dataset))
        }
        return AssetGroup(name: name, title: title, mirror: mirror, pinned: pinned, unpinnedReason: unpinnedReason,
                          upstream: upstream, license: license, citation: citation, files: files)
    }
}

/// True for a non-empty relative path whose components are all ordinary names (no `.`, `..`, empty, or NUL).
func isSafeRelativePath(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0"), !path.contains("\\") else { return false }
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
        if component.isEmpty || component == "." || component == ".." { return false }
    }
    return true
}

func isHex(_ text: String, length: Int) -> Bool {
    text.utf8.count == length && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
}
