// libFuzzer entry point; built only by scripts/fuzz.sh (OODBENCH_FUZZ=1, --sanitize fuzzer --sanitize address).
// A thrown error is a clean refusal; the harness also checks that it is one line naming the input, as the CLI
// prints it. A crash, an ASan report, a hang over -timeout or memory over -rss_limit_mb is a finding.
import Foundation
import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let archive = scratch.appendingPathComponent("fuzz.zip")
    let folder = scratch.appendingPathComponent("out", isDirectory: true)
    let data = count == 0 ? Data() : Data(bytes: start!, count: count)
    do { try data.write(to: archive) } catch { fatalError("cannot write \(archive.path): \(error)") }
    defer { try? FileManager.default.removeItem(at: folder) }
    do {
        let written = try ZipExtractor.extract(archive, into: folder)
        // Everything written must stay inside the folder.
        for path in written where path.hasPrefix("/") || path.split(separator: "/").contains("..") {
            fatalError("extracted outside the folder: \(path)")
        }
    } catch {
        // Refusals name the archive, or for file-system failures the path inside the folder.
        let text = String(describing: error)
        if text.contains("\n") || !(text.contains("fuzz.zip") || text.contains(folder.path)) {
            fatalError("refusal is not one line naming the archive: \(text)")
        }
    }
    return 0
}

/// A private scratch folder on tmpfs for the parsers that read files.
let scratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("oodbench-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()
