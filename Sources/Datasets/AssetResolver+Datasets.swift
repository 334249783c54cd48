import Foundation
import Imaging

/// The state of one pinned file, as `datasets verify` reports it.
public enum FileState: Sendable, Equatable {
    /// A verified copy at this location.
    case ok(URL)
    /// Neither the mirror nor the cache holds it.
    case missing
    /// A copy exists but its size or sha256 is wrong.
    case corrupt(DatasetsError)
}

/// Stimulus datasets (release archives, texture-vs-shape folders), whole-group fetches and verification.
extension AssetResolver {
    /// The group holding the release archives.
    static let archiveGroup = "model-vs-human-v0.1-stimuli"
    /// The group holding cue-conflict, edge and silhouette.
    static let textureGroup = "texture-vs-shape-stimuli"

    /// The state of every pinned file of every group (no download).
    public func verify() -> [(group: String, path: String, state: FileState)] {
        var out: [(String, String, FileState)] = []
        for group in manifest.groups where group.pinned {
            for asset in group.files {
                let state: FileState
                do {
                    if let url = try localCopy(asset, in: group) { state = .ok(url) } else { state = .missing }
                } catch let error as DatasetsError {
                    state = .corrupt(error)
                } catch {
                    state = .corrupt(.io(path: asset.path, problem: "\(error)"))
                }
                out.append((group.name, asset.path, state))
            }
        }
        return out
    }

    /// Makes everything that `name` stands for available locally: a manifest group (all its files), a dataset
    /// (its stimuli), or `all`. Returns one line per item done.
    public func fetch(_ name: String) throws -> [String] {
        if name == "all" {
            return try manifest.groups.flatMap { try fetch($0.name) }
        }
        if let group = manifest.groups.first(where: { $0.name == name }) {
            if !group.pinned {
                return try group.files.compactMap(\.dataset).map { dataset in
                    "\(dataset): \(try datasetFolder(dataset).path)"
                }
            }
            var fetched = 0
            for asset in group.files {
                if try localCopy(asset, in: group) == nil {
                    try download(asset, to: cachePath(asset, in: group), name: "\(group.name)/\(asset.path)")
                    fetched += 1
                }
            }
            return ["\(group.name): \(group.files.count) files verified (\(fetched) downloaded)"]
        }
        if Catalog.dataset(named: name) != nil {
            return ["\(name): \(try datasetFolder(name).path)"]
        }
        throw DatasetsError.unknownName(name, known: ["all"] + manifest.groups.map(\.name) + Catalog.all.map(\.name))
    }

    /// The human experiment's trial list of `spec` (`TrialPlanner.humanTrialList` of subject 1's raw-data file,
    /// fetched and checked if needed): what `generate` reproduces from ImageNet images.
    public func humanTrialList(for spec: DatasetSpec) throws -> [StimulusName] {
        let csv = try file(group: "model-vs-human-human-raw-data",
                           path: "raw-data/\(spec.name)/\(spec.name)_subject-01_session_1.csv")
        return try TrialPlanner.humanTrialList(csv: csv, spec: spec)
    }

    /// The folder of dataset `name` in model-vs-human layout (`<folder>/dnn/session-1/…` or `<folder>/<category>/…`),
    /// fetching and checking it if needed. With `allowSubset`, a texture-vs-shape folder that the mirror holds only
    /// in part (cue-conflict: 321 of 1,280) is returned as it is instead of being completed by downloads.
    public func datasetFolder(_ name: String, allowSubset: Bool = false) throws -> URL {
        let spec = try Catalog.require(name)
        switch spec.source {
        case .textureVsShape(let folder):
            return try textureFolder(folder, spec: spec, allowSubset: allowSubset)
        case .releaseArchive:
            return try releaseDataset(spec)
        }
    }

    private func textureFolder(_ folder: String, spec: DatasetSpec, allowSubset: Bool) throws -> URL {
        let group = try manifest.group(Self.textureGroup)
        let assets = group.files.filter { $0.path.hasPrefix(folder + "/") }
        if let mirror, let mirrorFolder = group.mirror {
            let root = mirror.appendingPathComponent(mirrorFolder).appendingPathComponent(folder)
            let present = assets.filter { FileManager.default.fileExists(atPath: root.deletingLastPathComponent().appendingPathComponent($0.path).path) }
            if present.count == assets.count || (allowSubset && !present.isEmpty) {
                for asset in present { _ = try localCopy(asset, in: group) }
                return root
            }
        }
        // Assemble the complete folder in the cache: copies of mirror files, downloads of the rest.
        for asset in assets {
            let target = cachePath(asset, in: group)
            if FileManager.default.fileExists(atPath: target.path) {
                try FileDigest.verify(target, size: asset.size, sha256: asset.sha256)
                continue
            }
            if let local = try localCopy(asset, in: group), local != target {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                // Copied under a hidden name, then renamed: a killed copy never leaves a partial file in place.
                let temp = Downloader.partialURL(for: target)
                try? FileManager.default.removeItem(at: temp)
                do {
                    try FileManager.default.copyItem(at: local, to: temp)
                    try FileManager.default.moveItem(at: temp, to: target)
                } catch {
                    try? FileManager.default.removeItem(at: temp)
                    throw DatasetsError.io(path: target.path, problem: "cannot copy from the mirror: \(ImagingError.reason(for: error))")
                }
            } else {
                try download(asset, to: target, name: "\(group.name)/\(asset.path)")
            }
        }
        let root = cache.appendingPathComponent(group.mirror ?? group.name).appendingPathComponent(folder)
        try DatasetChecker.check(root, spec)
        return root
    }

    private func releaseDataset(_ spec: DatasetSpec) throws -> URL {
        let fm = FileManager.default
        let datasets = cache.appendingPathComponent("datasets", isDirectory: true)
        let root = datasets.appendingPathComponent(spec.name, isDirectory: true)
        if fm.fileExists(atPath: root.path) {
            try DatasetChecker.check(root, spec)
            return root
        }
        let group = try manifest.group(Self.archiveGroup)
        guard let asset = group.files.first(where: { $0.dataset == spec.name }) else {
            throw DatasetsError.unknownFile(group: group.name, path: "\(spec.name).tar.gz")
        }
        let archive = cachePath(asset, in: group)
        if !fm.fileExists(atPath: archive.path) {
            try download(asset, to: archive, name: "\(group.name)/\(asset.path)")
        }
        let digest = try FileDigest.of(archive)
        let scratch = datasets.appendingPathComponent(".extract-\(spec.name)", isDirectory: true)
        try? fm.removeItem(at: scratch)
        try ArchiveExtractor.extract(archive, into: scratch)
        // The archives unpack to `<name>/dnn/session-1/…`; accept one rooted at `dnn/` too.
        var extracted = scratch.appendingPathComponent(spec.name)
        if !fm.fileExists(atPath: extracted.path) { extracted = scratch }
        do {
            try DatasetChecker.check(extracted, spec)
        } catch {
            try? fm.removeItem(at: scratch)
            throw error
        }
        // Unpinned upstream: record what was observed, so that it can be pinned later.
        let note = "{\"archive\": \"\(asset.url.absoluteString)\", \"size\": \(digest.size), \"sha256\": \"\(digest.sha256)\", \"pinned\": false}\n"
        try? Data(note.utf8).write(to: extracted.appendingPathComponent(".oodbench-archive.json"), options: .atomic)
        do { try fm.moveItem(at: extracted, to: root) } catch {
            throw DatasetsError.io(path: root.path, problem: "cannot move the extracted dataset into place")
        }
        try? fm.removeItem(at: scratch)
        try? fm.removeItem(at: archive)
        return root
    }
}
