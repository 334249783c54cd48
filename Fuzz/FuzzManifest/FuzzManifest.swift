// libFuzzer entry point; built only by scripts/fuzz.sh (OODBENCH_FUZZ=1, --sanitize fuzzer --sanitize address).
// A thrown error is a clean refusal; the harness also checks that it is one line naming the input, as the CLI
// prints it. A crash, an ASan report, a hang over -timeout or memory over -rss_limit_mb is a finding.
import Foundation
@_spi(Fuzzing) import Datasets
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = fuzzInput(start, count)
    // The group must match its file name: name the input after its own "group" field when it has one, so the
    // mutations of a valid seed get past that check. Printable ASCII only: errors escape control characters
    // (DEL → \u{7F}), so another name would not appear verbatim in the refusal and a correct refusal would trap.
    var name = "fuzz"
    if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let group = object["group"] as? String, !group.isEmpty, !group.contains("/"), group.utf8.count < 200,
       group.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) {
        name = group
    }
    do {
        _ = try Manifest.parseGroup(data: data, file: "\(name).json")
    } catch {
        checkRefusal(error, names: "\(name).json")
    }
    return 0
}
