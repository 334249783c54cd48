// What every libFuzzer target under Fuzz/ shares: the input as Data, the one-line refusal check, a scratch folder
// on tmpfs, and the harness of the archive extractors. Built only by scripts/fuzz.sh (OODBENCH_FUZZ=1).
import Foundation

/// libFuzzer's input as `Data` (libFuzzer passes a null pointer for the empty input).
public func fuzzInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Data {
    guard let start, count > 0 else { return Data() }
    return Data(bytes: start, count: count)
}

/// Traps unless `error` describes itself in one line that names one of `names` (the house rule for every refusal,
/// as the CLI prints it). A thrown error is a clean refusal; a trap is a finding.
public func checkRefusal(_ error: Error, names: String...) {
    let text = String(describing: error)
    if text.contains("\n") || !names.contains(where: { text.contains($0) }) {
        fatalError("refusal is not one line naming \(names.joined(separator: " or ")): \(text)")
    }
}

/// A private scratch folder on tmpfs for the parsers that read files.
public let scratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("oodbench-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Writes `data` to `scratch/<archiveName>` and extracts it into a fresh folder with `extract`: everything written
/// must stay inside the folder, and a refusal must name the archive (or, for file-system failures, the folder).
public func fuzzExtractor(_ data: Data, archiveName: String, extract: (URL, URL) throws -> [String]) {
    let archive = scratch.appendingPathComponent(archiveName)
    let folder = scratch.appendingPathComponent("out", isDirectory: true)
    do { try data.write(to: archive) } catch { fatalError("cannot write \(archive.path): \(error)") }
    defer { try? FileManager.default.removeItem(at: folder) }
    do {
        let written = try extract(archive, folder)
        for path in written where path.hasPrefix("/") || path.split(separator: "/").contains("..") {
            fatalError("extracted outside the folder: \(path)")
        }
    } catch {
        checkRefusal(error, names: archiveName, folder.path)
    }
}
