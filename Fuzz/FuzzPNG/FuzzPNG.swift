// libFuzzer entry point; built only by scripts/fuzz.sh (OODBENCH_FUZZ=1, --sanitize fuzzer --sanitize address).
// A thrown error is a clean refusal; the harness also checks that it is one line naming the input, as the CLI
// prints it. A crash, an ASan report, a hang over -timeout or memory over -rss_limit_mb is a finding.
import Foundation
import Imaging
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = fuzzInput(start, count)
    do {
        // A small pixel limit keeps each run fast; the limit itself is tested in ImagingTests.
        let image = try Image8(data: data, name: "fuzz.png", maxPixels: 1 << 22)
        precondition(image.width > 0 && image.height > 0)
    } catch {
        checkRefusal(error, names: "fuzz.png")
    }
    return 0
}
