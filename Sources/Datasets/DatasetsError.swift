import ErrorText
import Foundation

/// Every failure of the Datasets module: each case names the file (or URL) and the problem in one line.
public enum DatasetsError: Error, CustomStringConvertible, Equatable {
    /// A manifest file could not be read or is not valid: `file`, what is wrong.
    case badManifest(file: String, problem: String)
    /// No manifest folder was found; `searched` lists where we looked.
    case manifestNotFound(searched: [String])
    /// A group or dataset name that the manifest or catalog does not know.
    case unknownName(String, known: [String])
    /// A path that no group of the manifest lists.
    case unknownFile(group: String, path: String)
    /// No pinned file has this sha256.
    case unknownDigest(String)
    /// `$OODBENCH_MIRROR` names a folder that does not exist.
    case mirrorMissing(path: String)
    /// A local copy (mirror or cache) or a download whose bytes do not match the manifest.
    case checksumMismatch(file: String, expected: String, got: String)
    /// A file whose size does not match the manifest (a truncated download, a cut-off copy).
    case sizeMismatch(file: String, expected: Int64, got: Int64)
    /// Offline mode, and the file is in neither the mirror nor the cache.
    case offline(file: String, url: String)
    /// A network failure, an HTTP status other than 200/206, or a transfer cut short.
    case download(url: String, problem: String)
    /// An archive that cannot be extracted safely or is malformed.
    case badArchive(file: String, problem: String)
    /// An extracted or generated dataset whose file names or counts differ from the catalog.
    case datasetMismatch(folder: String, problem: String)
    /// Generation input problems: missing source images, unreadable folders, a mismatching resume state.
    case badSource(path: String, problem: String)
    /// A file system operation failed.
    case io(path: String, problem: String)
    /// An image could not be made (decode, distortion or encode failed).
    case render(file: String, problem: String)
    /// A `--shard` value (or scheduler environment) that names no valid shard.
    case badShard(spec: String, problem: String)

    /// One line naming the file and the problem (control characters from the input escaped).
    public var description: String { ErrorText.oneLine(message) }

    private var message: String {
        switch self {
        case let .badManifest(file, problem): return "\(file): invalid manifest: \(problem)"
        case let .manifestNotFound(searched):
            return "datasets-manifest/ not found (looked in \(searched.joined(separator: ", "))); set OODBENCH_MANIFEST to its folder"
        case let .unknownName(name, known): return "unknown name '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownFile(group, path): return "\(path): not listed in manifest group \(group)"
        case let .unknownDigest(digest): return "no pinned file has sha256 \(digest)"
        case let .mirrorMissing(path): return "\(path): OODBENCH_MIRROR folder does not exist"
        case let .checksumMismatch(file, expected, got): return "\(file): sha256 mismatch (expected \(expected), got \(got))"
        case let .sizeMismatch(file, expected, got): return "\(file): size mismatch (expected \(expected) bytes, got \(got))"
        case let .offline(file, url):
            return "\(file): not in the mirror or the cache, and offline mode forbids downloading it from \(url)"
        case let .download(url, problem): return "\(url): download failed: \(problem)"
        case let .badArchive(file, problem): return "\(file): refused archive: \(problem)"
        case let .datasetMismatch(folder, problem): return "\(folder): \(problem)"
        case let .badSource(path, problem): return "\(path): \(problem)"
        case let .io(path, problem): return "\(path): \(problem)"
        case let .render(file, problem): return "\(file): \(problem)"
        case let .badShard(spec, problem): return "shard \(spec): \(problem)"
        }
    }
}
