// libFuzzer entry point; built only by scripts/fuzz.sh (OODBENCH_FUZZ=1, --sanitize fuzzer --sanitize address).
// A thrown error is a clean refusal; the harness also checks that it is one line naming the input, as the CLI
// prints it. A crash, an ASan report, a hang over -timeout or memory over -rss_limit_mb is a finding.
import Foundation
import Inference
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    do {
        // The default unpickler, as TorchCheckpoint uses it (torch storages, _rebuild_tensor_v2, OrderedDict).
        let value = try Unpickler(file: "fuzz.pkl").load(bytes).value
        _ = try TorchCheckpoint.stateDictReferences(value, file: "fuzz.pkl")
    } catch {
        checkRefusal(error, names: "fuzz.pkl")
    }
    return 0
}
