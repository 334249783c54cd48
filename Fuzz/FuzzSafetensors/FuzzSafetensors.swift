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
        let file = try SafetensorsFile(data: data, file: "fuzz.safetensors")
        for name in file.names {
            guard let entry = file.entry(name) else { fatalError("listed name \(name) has no entry") }
            if [.float32, .float16, .bfloat16, .float64].contains(entry.dtype) {
                _ = try file.tensor(name)
            } else {
                do { _ = try file.int32s(name) } catch { checkRefusal(error, names: "fuzz.safetensors") }
            }
        }
    } catch {
        checkRefusal(error, names: "fuzz.safetensors")
    }
    return 0
}
