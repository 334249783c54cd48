// libFuzzer entry point; built only by scripts/fuzz.sh (OODBENCH_FUZZ=1, --sanitize fuzzer --sanitize address).
// A thrown error is a clean refusal; the harness also checks that it is one line naming the input, as the CLI
// prints it. A crash, an ASan report, a hang over -timeout or memory over -rss_limit_mb is a finding.
import Foundation
import Inference
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = fuzzInput(start, count)
    do {
        // Through a file on tmpfs, as OODBench opens checkpoints. (ZIPFoundation's memory-backed archive traps on
        // malformed input — a range check in its MemoryFile — so OODBench does not offer an in-memory reader.)
        let url = scratch.appendingPathComponent("fuzz.pt")
        do { try data.write(to: url) } catch { fatalError("cannot write \(url.path): \(error)") }
        let checkpoint = try TorchCheckpoint(url: url)
        _ = try checkpoint.loadStateDict()
    } catch {
        checkRefusal(error, names: "fuzz.pt")
    }
    return 0
}
