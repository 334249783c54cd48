import Foundation
import TestSupport
import XCTest

/// `distort`, `generate`, `evaluate`, `report` and `datasets fetch` writing to a full disk: each ends with exit status 1 and one
/// error line that says why (`No space left on device`, `File too large`), and leaves no partial file under a
/// final name. Two ways to fill the disk:
/// - a small tmpfs mounted for the child alone (`unshare -Urm`, a user and mount namespace; no root needed where
///   user namespaces are allowed): writes fail with ENOSPC;
/// - a file-size limit (`ulimit -f`, RLIMIT_FSIZE, with SIGXFSZ ignored): a write past the limit fails with EFBIG.
/// The tmpfs cases are skipped (with the reason) where namespaces are not allowed; the file-size cases always run.
/// After a failure, `generate` and `evaluate` are rerun without the limit on what was left: they must continue
/// (evaluate from the rows it had written) and end byte-identical to an unlimited run.
final class FullDiskTests: XCTestCase {
    enum Limit {
        /// A tmpfs of this many KiB as the output folder.
        case tmpfs(kib: Int)
        /// RLIMIT_FSIZE of this many KiB.
        case fileSize(kib: Int)

        var expectedReason: String {
            switch self {
            case .tmpfs: return "No space left on device"
            case .fileSize: return "File too large"
            }
        }
    }

    struct Outcome {
        let status: Int32
        let stderr: String
        /// Visible files of the limited folder after the run (relative path → bytes).
        let files: [String: Data]
        /// Hidden files left there.
        let hidden: [String]
        /// A copy of the limited folder (tmpfs) or the folder itself.
        let folder: URL
    }

    static let tmpfsProbe: String? = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-tmpfs-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return "no /usr/bin/unshare" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["-Urm", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs \"$1\"", "sh", dir.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return "unshare does not start: \(error)" }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? nil : "this system does not allow a tmpfs in a user namespace (unshare -Urm)"
    }()

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-fulldisk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs `oodbench` with `arguments(limited folder)` under `limit`; `prepare` fills the limited folder first.
    func run(_ limit: Limit, in work: URL, label: String, environment: [String: String] = [:],
             prepare: String = "", _ arguments: (URL) -> [String]) throws -> Outcome {
        guard Mirror.oodbenchIsBuilt else { throw XCTSkip("oodbench not built at \(Mirror.oodbenchBinary.path)") }
        let limited = work.appendingPathComponent("\(label)-limited"), copy = work.appendingPathComponent("\(label)-after")
        try FileManager.default.createDirectory(at: limited, withIntermediateDirectories: true)
        let process = Process()
        switch limit {
        case .tmpfs(let kib):
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-Urm", "sh", "-c", """
                dir=$1; copy=$2; size=$3; shift 3
                mount -t tmpfs -o size=$size tmpfs "$dir" || exit 125
                \(prepare)
                "$@"; rc=$?
                cp -a "$dir/." "$copy/"; exit $rc
                """, "sh", limited.path, copy.path, "\(kib)k", Mirror.oodbenchBinary.path] + arguments(limited)
        case .fileSize(let kib):
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", """
                dir=$1; kib=$2; shift 2
                \(prepare)
                ulimit -f "$kib"; trap '' XFSZ; exec "$@"
                """, "bash", limited.path, "\(kib)", Mirror.oodbenchBinary.path] + arguments(limited)
        }
        process.environment = KillHarness.environment(environment)
        let errURL = work.appendingPathComponent("\(label).stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try err.close()
        XCTAssertNotEqual(process.terminationStatus, 125, "\(label): the tmpfs could not be mounted")
        let folder: URL
        if case .tmpfs = limit { folder = copy } else { folder = limited }
        return Outcome(status: process.terminationStatus,
                       stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
                       files: try KillHarness.visibleFiles(folder), hidden: KillHarness.hiddenFiles(folder), folder: folder)
    }

    /// The limits a test runs under: the tmpfs (when allowed) and the file-size limit.
    func limits(tmpfs: Int, fileSize: Int) -> [Limit] {
        if let reason = Self.tmpfsProbe {
            print("full-disk test: tmpfs cases skipped: \(reason)")
            return [.fileSize(kib: fileSize)]
        }
        return [.tmpfs(kib: tmpfs), .fileSize(kib: fileSize)]
    }

    /// Exit status 1 and exactly one `Error:` line naming the reason, as the last line of stderr (progress lines
    /// may come before it).
    func assertOneErrorLine(_ outcome: Outcome, _ limit: Limit, mentioning path: String, _ label: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, 1, "\(label): \(outcome.stderr)", file: file, line: line)
        let lines = outcome.stderr.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r" }
        let errors = lines.filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(errors.count, 1, "\(label): \(outcome.stderr)", file: file, line: line)
        XCTAssertEqual(lines.last.map(String.init), errors.first.map(String.init), "\(label): \(outcome.stderr)", file: file, line: line)
        XCTAssertTrue(errors.first?.hasSuffix(limit.expectedReason) ?? false, "\(label): \(outcome.stderr)", file: file, line: line)
        XCTAssertTrue(errors.first?.contains(path) ?? false, "\(label): names \(path)? \(outcome.stderr)", file: file, line: line)
        XCTAssertFalse(outcome.stderr.contains("Usage:"), "\(label): \(outcome.stderr)", file: file, line: line)
    }

    func testDistortOnAFullDisk() throws {
        let input = Mirror.url("texture-vs-shape/edge/cat/cat1.png")
        guard FileManager.default.fileExists(atPath: input.path) else { throw XCTSkip("mirror not found") }
        let work = try scratch()
        for limit in limits(tmpfs: 4, fileSize: 4) {
            let label = "distort-\(limit)"
            let outcome = try run(limit, in: work, label: label) { dir in
                ["distort", "uniform-noise", "0.35", input.path, dir.appendingPathComponent("out.png").path, "--seed", "3"]
            }
            assertOneErrorLine(outcome, limit, mentioning: "out.png", label)
            XCTAssertEqual(outcome.files.count, 0, "\(label): \(outcome.files.keys.sorted())")
            XCTAssertEqual(outcome.hidden, [], label)
        }
    }

    func testReportOnAFullDiskKeepsTheOldReport() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("model-vs-human/raw-data/edge").path) else { throw XCTSkip("mirror not found") }
        let work = try scratch()
        // Results to report: the model-vs-human resnet50 CSVs of edge and silhouette, in a results folder.
        let results = work.appendingPathComponent("results/raw-data")
        for dataset in ["edge", "silhouette"] {
            let folder = Mirror.url("model-vs-human/raw-data-models/\(dataset)")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("\(dataset)_resnet50_") }
            XCTAssertEqual(names.count, 1, dataset)
            try FileManager.default.createDirectory(at: results.appendingPathComponent(dataset), withIntermediateDirectories: true)
            for name in names {
                try FileManager.default.copyItem(at: folder.appendingPathComponent(name),
                                                 to: results.appendingPathComponent("\(dataset)/\(name)"))
            }
        }
        for limit in limits(tmpfs: 64, fileSize: 64) {
            let label = "report-\(limit)"
            // An earlier report in the folder: replaced as a whole on success, left as it was on failure.
            let prepare = "mkdir -p \"$dir/rep/figures\" && printf old > \"$dir/rep/index.html\" && printf old > \"$dir/rep/figures/a.svg\""
            let outcome = try run(limit, in: work, label: label, prepare: prepare) { dir in
                ["report", results.deletingLastPathComponent().path, "--out", dir.appendingPathComponent("rep").path]
            }
            assertOneErrorLine(outcome, limit, mentioning: "rep", label)
            XCTAssertEqual(outcome.files, ["rep/index.html": Data("old".utf8), "rep/figures/a.svg": Data("old".utf8)], label)
            XCTAssertEqual(outcome.hidden, [], label)
        }
    }

    func testGenerateOnAFullDiskThenResumes() throws {
        let source = Mirror.url("texture-vs-shape/edge")
        guard FileManager.default.fileExists(atPath: source.path) else { throw XCTSkip("mirror not found") }
        let work = try scratch()
        let arguments = { (out: URL) in
            ["generate", "colour", "power-equalisation", "--source", source.path, "--per-condition", "1", "--seed", "7",
             "--jobs", "2", "--offline", "--out", out.path]
        }
        let reference = work.appendingPathComponent("reference")
        let whole = try Mirror.runOODBench(arguments(reference), environment: KillHarness.environment([:]))
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let expected = try KillHarness.visibleFiles(reference)
        XCTAssertEqual(expected.keys.filter { $0.hasSuffix(".png") }.count, 64)
        // tmpfs: 96 KiB hold generation.json and a few of the 4 KiB pages of colour's small PNGs; file-size
        // limit: colour's PNGs (~2.5 kB) fit in 8 KiB, power-equalisation's (~27 kB) do not.
        for limit in limits(tmpfs: 96, fileSize: 8) {
            let label = "generate-\(limit)"
            let outcome = try run(limit, in: work, label: label) { dir in arguments(dir.appendingPathComponent("gen")) }
            assertOneErrorLine(outcome, limit, mentioning: ".png", label)
            XCTAssertGreaterThan(outcome.files.count, 0, label)
            XCTAssertLessThan(outcome.files.count, expected.count, label)
            for (path, data) in outcome.files {
                XCTAssertNil(KillHarness.formatProblem(path, data), label)
                XCTAssertEqual(data, expected[String(path.dropFirst("gen/".count))], "\(label): \(path)")
            }
            XCTAssertEqual(outcome.hidden, [], label)
            // Space again: the rerun keeps what was written and makes the rest.
            let gen = outcome.folder.appendingPathComponent("gen")
            let rerun = try Mirror.runOODBench(arguments(gen), environment: KillHarness.environment([:]))
            XCTAssertEqual(rerun.status, 0, rerun.stderr)
            XCTAssertTrue(rerun.stdout.contains("kept"), rerun.stdout)
            XCTAssertTrue(try KillHarness.visibleFiles(gen) == expected, "\(label): the resumed run differs from an unlimited one")
        }
    }

    func testDatasetsFetchOnAFullDisk() throws {
        let vocab = Mirror.url("openai-clip/bpe_simple_vocab_16e6.txt.gz")
        guard FileManager.default.fileExists(atPath: vocab.path) else { throw XCTSkip("mirror not found") }
        let work = try scratch()
        // The CLIP vocabulary group (1.36 MB) served from loopback; the cache is the limited folder.
        let server = try LoopbackFileServer(files: ["bpe.gz": try Data(contentsOf: vocab),
                                                    "LICENSE": try Data(contentsOf: Mirror.url("openai-clip/LICENSE-openai-clip.txt"))],
                                            bytesPerSecond: 50_000_000)
        defer { server.stop() }
        var group = try JSONSerialization.jsonObject(with: Data(contentsOf: Mirror.packageRoot
            .appendingPathComponent("datasets-manifest/clip-bpe-vocab.json"))) as! [String: Any]
        group["files"] = (group["files"] as! [[String: Any]]).map { file -> [String: Any] in
            var f = file
            f["url"] = server.url((file["path"] as! String).hasPrefix("bpe") ? "bpe.gz" : "LICENSE").absoluteString
            return f
        }
        let manifest = work.appendingPathComponent("manifest"), mirror = work.appendingPathComponent("empty-mirror")
        for folder in [manifest, mirror] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try JSONSerialization.data(withJSONObject: group).write(to: manifest.appendingPathComponent("clip-bpe-vocab.json"))
        for limit in limits(tmpfs: 256, fileSize: 256) {
            let label = "fetch-\(limit)"
            let outcome = try run(limit, in: work, label: label, environment: ["OODBENCH_MANIFEST": manifest.path, "OODBENCH_MIRROR": mirror.path],
                                  prepare: "export OODBENCH_CACHE=\"$dir/cache\"") { _ in ["datasets", "fetch", "clip-bpe-vocab"] }
            assertOneErrorLine(outcome, limit, mentioning: "bpe_simple_vocab_16e6.txt.gz", label)
            print("full-disk \(label): \(outcome.stderr.split(separator: "\n").last ?? "")")
            XCTAssertEqual(outcome.files.keys.filter { $0.contains("bpe") }, [], label)
        }
    }

    func testEvaluateOnAFullDiskThenResumes() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path) else { throw XCTSkip("mirror not found") }
        let work = try scratch()
        let adapter = Mirror.fixture("external/echo_adapter.py").path
        let arguments = { (out: URL) in
            ["evaluate", "--model", "external:python3 \(adapter)", "--dataset", "edge", "--batch", "8", "--out", out.path]
        }
        let environment = ["OODBENCH_CACHE": work.appendingPathComponent("cache").path]
        let reference = work.appendingPathComponent("reference")
        let whole = try Mirror.runOODBench(arguments(reference), environment: KillHarness.environment(environment))
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let csv = "raw-data/edge/edge_echo-model_session-1.csv"
        let expected = try Data(contentsOf: reference.appendingPathComponent(csv))
        XCTAssertGreaterThan(expected.count, 4096, "the CSV must not fit the limit")
        for limit in limits(tmpfs: 4, fileSize: 4) {
            let label = "evaluate-\(limit)"
            let outcome = try run(limit, in: work, label: label, environment: environment) { dir in arguments(dir.appendingPathComponent("eval")) }
            assertOneErrorLine(outcome, limit, mentioning: "edge_echo-model_session-1.csv", label)
            XCTAssertEqual(outcome.files.count, 0, "\(label): \(outcome.files.keys.sorted())")
            // Space again: the rerun continues after the whole rows of the partial file (its last row was cut).
            let out = outcome.folder.appendingPathComponent("eval")
            let rerun = try Mirror.runOODBench(arguments(out), environment: KillHarness.environment(environment))
            XCTAssertEqual(rerun.status, 0, rerun.stderr)
            XCTAssertTrue(rerun.stderr.contains("edge: resuming after "), "\(label): \(rerun.stderr)")
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(csv)), expected, label)
            XCTAssertEqual(KillHarness.hiddenFiles(out), [], label)
        }
    }
}
