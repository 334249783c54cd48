import Foundation
import TestSupport
import XCTest

/// `--shard` on `evaluate` and `generate` run as parallel processes of the built binary, with the environment
/// Slurm job arrays and Kubernetes Indexed Jobs set, then `oodbench merge`: the result must be byte-identical
/// to one unsharded run. Also merge's refusals (missing, overlapping, other model, other dataset version).
final class ShardingCLITests: XCTestCase {
    struct Launch { let arguments: [String]; let environment: [String: String] }

    /// Runs the launches as simultaneous processes; fails on a non-zero exit.
    func runParallel(_ launches: [Launch], logs: URL) throws {
        let binary = Mirror.oodbenchBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("oodbench not built at \(binary.path)") }
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var base = ProcessInfo.processInfo.environment
        for key in base.keys where key.hasPrefix("SLURM_") || key == "JOB_COMPLETION_INDEX" || key == "OODBENCH_SHARD" {
            base[key] = nil
        }
        base["OODBENCH_MIRROR"] = Mirror.root.path
        base["OODBENCH_MANIFEST"] = Mirror.packageRoot.appendingPathComponent("datasets-manifest").path
        var running: [(Process, URL)] = []
        for (i, launch) in launches.enumerated() {
            let process = Process()
            process.executableURL = binary
            process.arguments = launch.arguments
            process.environment = base.merging(launch.environment) { $1 }
            let log = logs.appendingPathComponent("\(i).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            running.append((process, log))
        }
        for (process, log) in running {
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    /// The environment of shard i of n as each scheduler sets it: N=1 plain OODBENCH_SHARD, N=3 a Slurm array
    /// `--array=1-3` (ids from 1), N=7 a Kubernetes Indexed Job (index from 0, `--shard-count 7`).
    func schedulerLaunch(_ i: Int, of n: Int, _ arguments: [String]) -> Launch {
        switch n {
        case 3:
            return Launch(arguments: arguments + ["--shard", "auto"], environment: [
                "SLURM_ARRAY_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": "\(i + 1)", "SLURM_ARRAY_TASK_COUNT": "3",
                "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_STEP": "1",
                "SLURM_JOB_ID": "\(4243 + i)"])
        case 7:
            return Launch(arguments: arguments + ["--shard", "auto", "--shard-count", "7"],
                          environment: ["JOB_COMPLETION_INDEX": "\(i)", "HOSTNAME": "oodbench-\(i)-abcde"])
        default:
            return Launch(arguments: arguments + ["--shard", "auto"], environment: ["OODBENCH_SHARD": "\(i)/\(n)"])
        }
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Relative path → bytes of every regular file under `root`.
    func files(_ root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            result[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url)
        }
        return result
    }

    var clipModel: String { let m = Mirror.url("clip-fixtures/models").path; return "clip:\(m)/vit_gelu.safetensors@\(m)/vit_gelu.json" }

    func testShardedEvaluateMergesByteIdentically() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path),
              FileManager.default.fileExists(atPath: Mirror.url("clip-fixtures/models").path) else { throw XCTSkip("mirror not found") }
        let tmp = try scratch()
        // The tiny CLIP fixture: the default EfficientNet-Lite0 takes minutes per run in a debug build.
        let common = ["evaluate", "--model", clipModel, "--protocol", "direct16", "--dataset", "edge", "silhouette",
                      "--batch", "64", "--jobs", "1"]
        try runParallel([Launch(arguments: common + ["--out", tmp.appendingPathComponent("whole").path], environment: [:])],
                        logs: tmp.appendingPathComponent("logs-whole"))
        let whole = try files(tmp.appendingPathComponent("whole/raw-data"))
        XCTAssertEqual(whole.count, 2)
        for n in [1, 3, 7] {
            let shards = (0..<n).map { tmp.appendingPathComponent("n\(n)/shard\($0)") }
            try runParallel((0..<n).map { schedulerLaunch($0, of: n, common + ["--out", shards[$0].path]) },
                            logs: tmp.appendingPathComponent("logs-\(n)"))
            if n > 1 {
                let run = try String(contentsOf: shards[n - 1].appendingPathComponent("run.json"), encoding: .utf8)
                XCTAssertTrue(run.contains("\"shard\" : \"\(n - 1)/\(n)\""), run)
                XCTAssertTrue(FileManager.default.fileExists(atPath: shards[0].appendingPathComponent(
                    "raw-data/edge/edge_clip-vit-gelu-direct16_session-1.csv.shard-0-of-\(n)").path))
            }
            let merged = tmp.appendingPathComponent("n\(n)/merged")
            let r = try EmbedCommandTests.run(["merge"] + shards.reversed().map(\.path) + ["--out", merged.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try files(merged.appendingPathComponent("raw-data")), whole, "N = \(n)")
        }

        // report reads the shard folders directly (merged in memory): same tables as on the merged folder.
        let fromShards = try EmbedCommandTests.run(["report"] + (0..<3).map { tmp.appendingPathComponent("n3/shard\($0)").path }
                                                   + ["--out", tmp.appendingPathComponent("report-shards").path])
        XCTAssertEqual(fromShards.status, 0, fromShards.stderr)
        let fromMerged = try EmbedCommandTests.run(["report", tmp.appendingPathComponent("n3/merged").path,
                                                    "--out", tmp.appendingPathComponent("report-merged").path])
        XCTAssertEqual(fromMerged.status, 0, fromMerged.stderr)
        for table in ["accuracy.csv", "consistency.csv"] {
            XCTAssertEqual(try Data(contentsOf: tmp.appendingPathComponent("report-shards/\(table)")),
                           try Data(contentsOf: tmp.appendingPathComponent("report-merged/\(table)")), table)
        }

        // Refusals, each one line, nothing written.
        let three = (0..<3).map { tmp.appendingPathComponent("n3/shard\($0)").path }
        func refuse(_ folders: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let out = tmp.appendingPathComponent("refused-\(UUID().uuidString)")
            let r = try EmbedCommandTests.run(["merge"] + folders + ["--out", out.path])
            XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
            XCTAssertTrue(r.stderr.hasPrefix("Error: ") && r.stderr.contains(message), r.stderr, file: file, line: line)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr, file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), file: file, line: line)
        }
        try refuse([three[0], three[2]], "clip_vit-gelu_direct16 on edge: missing shard 1/3")
        let copy = tmp.appendingPathComponent("copy-of-shard1")
        try FileManager.default.copyItem(atPath: three[1], toPath: copy.path)
        try refuse(three + [copy.path], "overlapping shard 1/3 in")
        try refuse(three + [tmp.appendingPathComponent("n7/shard0").path], "shards of different splits")
        // Same model name, other weights: edit the copy's record as another checkpoint's run would read.
        let runURL = copy.appendingPathComponent("run.json")
        let original = try String(contentsOf: runURL, encoding: .utf8)
        try original.replacingOccurrences(of: "75e458f8660dd085e57c4ef192a2da57e738d8338389f886693bb7000836022f",
                                          with: String(repeating: "0", count: 64)).write(to: runURL, atomically: true, encoding: .utf8)
        try refuse([three[0], copy.path, three[2]], "shards of different models")
        // Same model, other stimuli (another version of the dataset).
        let record = try JSONSerialization.jsonObject(with: Data(original.utf8)) as! [String: Any]
        let edge = (record["datasets"] as! [[String: Any]]).first { $0["name"] as? String == "edge" }!
        try original.replacingOccurrences(of: edge["stimuli_sha256"] as! String, with: String(repeating: "1", count: 64))
            .write(to: runURL, atomically: true, encoding: .utf8)
        try refuse([three[0], copy.path, three[2]], "clip_vit-gelu_direct16 on edge: shards of different dataset versions")
    }

    func testShardedGenerateWritesTheFilesOfOneRun() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path) else { throw XCTSkip("mirror not found") }
        let tmp = try scratch()
        // The mirror's edge stimuli are a categories-layout source (16 folders × 10 PNGs).
        let common = ["generate", "contrast", "--source", Mirror.url("texture-vs-shape/edge").path, "--per-condition", "1",
                      "--seed", "7", "--jobs", "1", "--offline"]
        try runParallel([Launch(arguments: common + ["--out", tmp.appendingPathComponent("whole").path], environment: [:])],
                        logs: tmp.appendingPathComponent("logs-whole"))
        let whole = try files(tmp.appendingPathComponent("whole"))
        XCTAssertGreaterThan(whole.count, 16)
        for n in [1, 3, 7] {
            // All shards write into one shared folder, as on a shared volume.
            let out = tmp.appendingPathComponent("n\(n)")
            try runParallel((0..<n).map { schedulerLaunch($0, of: n, common + ["--out", out.path]) },
                            logs: tmp.appendingPathComponent("logs-\(n)"))
            let got = try files(out)
            XCTAssertEqual(Set(got.keys), Set(whole.keys), "N = \(n)")
            XCTAssertTrue(got == whole, "N = \(n): bytes differ")
        }
        // One shard alone writes only its own share.
        let alone = tmp.appendingPathComponent("alone")
        try runParallel([Launch(arguments: common + ["--out", alone.path, "--shard", "2/7"], environment: [:])],
                        logs: tmp.appendingPathComponent("logs-alone"))
        let images = whole.keys.filter { $0.hasSuffix(".png") }.count
        XCTAssertEqual(try files(alone).keys.filter { $0.hasSuffix(".png") }.count, (images - 2 + 6) / 7)
    }
}
