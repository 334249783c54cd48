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
        let checkpoint = try LegacyTorchCheckpoint(data: data, file: "fuzz.pth")
        for name in checkpoint.names { _ = try checkpoint.tensor(name) }
    } catch {
        checkRefusal(error, names: "fuzz.pth")
    }
    return 0
}
