import Foundation
import TestSupport
import XCTest

/// `evaluate`, `generate` and `datasets fetch` killed with SIGKILL at random moments and restarted until they
/// finish: the final files must be byte-identical to an uninterrupted run, and after every kill each visible file
/// (no path component starting with a dot) must be complete — identical to the uninterrupted run's file of that
/// name and well-formed (PNGs decode, CSVs have the header and whole rows, JSON parses).
///
/// Kill times: an uninterrupted run is timed first (T); every start is then killed after a delay drawn uniformly
/// from [0, T) by a seeded generator (`OODBENCH_KILL_SEED` replays another schedule). A restarted run has less
/// left to do, so successive kills land later and later in the work; when a start finishes by itself its files
/// are compared with the reference and a fresh series begins, until at least `OODBENCH_KILL_COUNT` (default 20)
/// kills have happened.
///
/// run.json is compared without its run-specific fields: per dataset `seconds`, `images_per_second` and
/// `finished` (a timestamp); everything else (model, weights hash, versions, stimuli and CSV hashes) must match.
final class KillTests: XCTestCase {
    static var seed: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["OODBENCH_KILL_SEED"] ?? "") ?? 20_261_125
    }
    static var killCount: Int {
        Int(ProcessInfo.processInfo.environment["OODBENCH_KILL_COUNT"] ?? "") ?? 20
    }

    /// What one command's campaign needs.
    struct Campaign {
        let name: String
        /// The command line for a run writing under `dir`.
        let arguments: (URL) -> [String]
        /// Extra environment for a run writing under `dir`.
        var environment: (URL) -> [String: String] = { _ in [:] }
        /// The folders scanned and compared, relative to `dir`.
        let roots: [String]
        /// The CSV header every CSV must start with (nil: any consistent header).
        var csvHeader: String? = nil
    }

    /// The figures of one campaign.
    struct Figures: CustomStringConvertible {
        var name = ""
        var uninterrupted = 0.0
        var kills = 0
        var series = 0
        var starts = 0
        var differences = 0
        var partialFiles = 0
        var hiddenLeftovers = 0
        var hiddenExamples: [String] = []
        var visibleChecks = 0
        var resumableChecks = 0
        var seconds = 0.0
        var description: String {
            String(format: "%@: %d kills in %d series (%d starts), uninterrupted run %.2f s; %d differences, "
                   + "%d partial files (%d visible files and %d resumable .partial files checked after kills); "
                   + "%d hidden scratch files left by kills%@; %.1f s", name, kills, series, starts, uninterrupted,
                   differences, partialFiles, visibleChecks, resumableChecks, hiddenLeftovers,
                   hiddenExamples.isEmpty ? "" : " (e.g. " + hiddenExamples.joined(separator: ", ") + ")", seconds)
        }
    }

    func scratch(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-kill-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// run.json without its run-specific fields (see the type's documentation), as canonical JSON.
    static func normalisedRunRecord(_ data: Data) -> [String: Data]? {
        guard var record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let datasets = record["datasets"] as? [[String: Any]] else { return nil }
        var result: [String: Data] = [:]
        for var entry in datasets {
            for key in ["seconds", "images_per_second", "finished"] { entry[key] = nil }
            guard let name = entry["name"] as? String,
                  let bytes = try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]) else { return nil }
            result["dataset " + name] = bytes
        }
        record["datasets"] = nil
        result["record"] = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        return result
    }

    /// Compares the visible files of `dir`'s roots with the reference. With `complete`, every reference file
    /// must be there; otherwise the files present must each be the reference's (run.json: its entries so far).
    /// Returns (differences, partial files) as messages.
    func compare(_ dir: URL, with reference: [String: Data], campaign: Campaign, complete: Bool,
                 checked: inout Int, resumable: inout Int) throws -> (differences: [String], partial: [String]) {
        var found: [String: Data] = [:]
        for root in campaign.roots {
            for (path, data) in try KillHarness.visibleFiles(dir.appendingPathComponent(root)) { found[root + "/" + path] = data }
        }
        var differences: [String] = [], partial: [String] = []
        // What a restart resumes from: a hidden `.<name>.partial` (evaluate's rows, a download) must hold a prefix
        // of the finished file's bytes, or the resumed output would be wrong.
        for root in campaign.roots {
            for hidden in KillHarness.hiddenFiles(dir.appendingPathComponent(root)) {
                let name = (hidden as NSString).lastPathComponent
                guard name.hasPrefix("."), name.hasSuffix(".partial") else { continue }
                let folder = (hidden as NSString).deletingLastPathComponent
                let final = root + "/" + (folder.isEmpty ? "" : folder + "/") + String(name.dropFirst().dropLast(".partial".count))
                let data = try Data(contentsOf: dir.appendingPathComponent(root).appendingPathComponent(hidden))
                resumable += 1
                guard let expected = reference[final], expected.starts(with: data) else {
                    partial.append("\(root)/\(hidden): not a prefix of the finished \(final) (\(data.count) bytes)")
                    continue
                }
            }
        }
        for (path, data) in found.sorted(by: { $0.key < $1.key }) {
            checked += 1
            if let problem = KillHarness.formatProblem(path, data, csvHeader: campaign.csvHeader) {
                partial.append(problem)
                continue
            }
            guard let expected = reference[path] else {
                partial.append("\(path): not a file of the uninterrupted run")
                continue
            }
            if path.hasSuffix("run.json") {
                guard let got = Self.normalisedRunRecord(data), let want = Self.normalisedRunRecord(expected) else {
                    partial.append("\(path): not a run record")
                    continue
                }
                for (key, value) in got where want[key] != value {
                    let message = "\(path): \(key) differs: \(String(decoding: value, as: UTF8.self))"
                    if complete { differences.append(message) } else { partial.append(message) }
                }
                if complete && Set(got.keys) != Set(want.keys) {
                    differences.append("\(path): entries \(got.keys.sorted()) instead of \(want.keys.sorted())")
                }
            } else if data != expected {
                let message = "\(path): \(data.count) bytes differ from the uninterrupted run's \(expected.count)"
                if complete { differences.append(message) } else { partial.append(message) }
            }
        }
        if complete {
            for path in reference.keys.sorted() where found[path] == nil { differences.append("\(path): missing") }
        }
        return (differences, partial)
    }

    /// Runs the campaign (see the type's documentation) and returns its figures; failures are XCTest failures.
    func runCampaign(_ campaign: Campaign, in work: URL) throws -> Figures {
        let started = Date()
        var figures = Figures(name: campaign.name)
        let log = work.appendingPathComponent("\(campaign.name).log")

        // 1. The uninterrupted reference run.
        let referenceDir = work.appendingPathComponent("reference")
        let (outcome, seconds) = try KillHarness.run(campaign.arguments(referenceDir),
                                                     environment: campaign.environment(referenceDir), log: log)
        guard outcome == .exited(0) else {
            XCTFail("\(campaign.name): uninterrupted run ended \(outcome); log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            return figures
        }
        figures.uninterrupted = seconds
        var reference: [String: Data] = [:]
        for root in campaign.roots {
            for (path, data) in try KillHarness.visibleFiles(referenceDir.appendingPathComponent(root)) { reference[root + "/" + path] = data }
        }
        XCTAssertFalse(reference.isEmpty, "\(campaign.name): the uninterrupted run wrote nothing")

        // 2. Series of killed and restarted runs.
        var random = SplitMix64(seed: Self.seed ^ UInt64(campaign.name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        while figures.kills < Self.killCount {
            figures.series += 1
            let dir = work.appendingPathComponent("series-\(figures.series)")
            var startsInSeries = 0
            while true {
                startsInSeries += 1
                figures.starts += 1
                guard startsInSeries <= 200 else {
                    XCTFail("\(campaign.name): series \(figures.series) did not finish in 200 starts")
                    return figures
                }
                // Once enough kills have happened, the current series is left to finish.
                let delay = random.uniform(seconds)
                let (outcome, _) = try KillHarness.run(campaign.arguments(dir), environment: campaign.environment(dir),
                                                       killAfter: figures.kills < Self.killCount ? delay : nil, log: log)
                switch outcome {
                case .killed:
                    figures.kills += 1
                    let (_, partial) = try compare(dir, with: reference, campaign: campaign, complete: false,
                                                   checked: &figures.visibleChecks, resumable: &figures.resumableChecks)
                    figures.partialFiles += partial.count
                    for p in partial { XCTFail("\(campaign.name): after kill \(figures.kills) at \(String(format: "%.3f", delay)) s: \(p)") }
                    continue
                case .exited(0):
                    var ignored = 0, alsoIgnored = 0
                    let (differences, partial) = try compare(dir, with: reference, campaign: campaign, complete: true,
                                                             checked: &ignored, resumable: &alsoIgnored)
                    figures.differences += differences.count + partial.count
                    for d in differences + partial { XCTFail("\(campaign.name): series \(figures.series) final: \(d)") }
                case .exited(let status):
                    XCTFail("\(campaign.name): a restart exited \(status); log:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                    return figures
                }
                break
            }
            for root in campaign.roots {
                let hidden = KillHarness.hiddenFiles(dir.appendingPathComponent(root))
                figures.hiddenLeftovers += hidden.count
                figures.hiddenExamples += hidden.prefix(3 - min(3, figures.hiddenExamples.count)).map { root + "/" + $0 }
            }
            try? FileManager.default.removeItem(at: dir)
        }
        figures.seconds = Date().timeIntervalSince(started)
        print("kill test \(figures)")
        return figures
    }

    /// The scan after a kill must be able to fail: a cut PNG, a CSV with a torn row, a cut JSON file, a file of the
    /// right format but other bytes, one the uninterrupted run does not have, and a `.partial` file that is not a
    /// prefix of the finished file are each reported; other hidden files are not looked at.
    func testTheScanSeesPartialFiles() throws {
        let png = try Data(contentsOf: Mirror.url("texture-vs-shape/edge/cat/cat1.png"))
        let header = "subj,session,trial,rt,object_response,category,condition,imagename"
        let csv = Data((header + "\r\nm,1,1,NaN,cat,cat,0,a.png\r\nm,1,2,NaN,dog,dog,0,b.png\r\n").utf8)
        let json = Data(#"{"datasets": [{"name": "edge", "seconds": 1.5, "finished": "2026-01-01T00:00:00Z", "csv_sha256": "ab"}], "batch_size": 1}"#.utf8)
        let reference = ["out/a.png": png, "out/b.csv": csv, "out/run.json": json, "out/c.png": png]
        let dir = try scratch("scan")
        func write(_ files: [String: Data]) throws {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("out"))
            for (path, data) in files {
                let url = dir.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
            }
        }
        let campaign = Campaign(name: "scan", arguments: { _ in [] }, roots: ["out"], csvHeader: header)
        var checked = 0, resumable = 0
        // The reference itself, a subset, a later timestamp and hidden junk pass.
        let later = Data(#"{"datasets": [{"name": "edge", "seconds": 9, "finished": "2027-01-01T00:00:00Z", "csv_sha256": "ab"}], "batch_size": 1}"#.utf8)
        try write(["out/a.png": png, "out/run.json": later, "out/.dat.nosync1.x": Data([1]), "out/.b.csv.partial": csv.prefix(9)])
        XCTAssertEqual(try compare(dir, with: reference, campaign: campaign, complete: false, checked: &checked, resumable: &resumable).partial, [])
        try write(reference)
        XCTAssertEqual(try compare(dir, with: reference, campaign: campaign, complete: true, checked: &checked, resumable: &resumable).differences, [])
        // Each damage is seen.
        let damaged: [(String, Data)] = [
            ("out/a.png", png.prefix(png.count - 100)),
            ("out/b.csv", csv.prefix(csv.count - 5)),
            ("out/b.csv", Data((header + "\r\nm,1,1,NaN,cat,cat,0,a.png\r\nm,1,2,NaN\r\n").utf8)),
            ("out/run.json", json.prefix(40)),
            ("out/run.json", Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: "ab", with: "cd").utf8)),
            ("out/c.png", Data(try Data(contentsOf: Mirror.url("texture-vs-shape/edge/dog/dog1.png")))),
            ("out/d.png", png),
            ("out/.b.csv.partial", Data((header + "\r\nm,1,1,NaN,dog").utf8)),
        ]
        for (path, data) in damaged {
            try write(["out/a.png": png].merging([path: data]) { $1 })
            let found = try compare(dir, with: reference, campaign: campaign, complete: false, checked: &checked, resumable: &resumable).partial
            XCTAssertEqual(found.count, 1, "\(path): \(found)")
        }
        try write(["out/a.png": png])
        XCTAssertEqual(try compare(dir, with: reference, campaign: campaign, complete: true, checked: &checked, resumable: &resumable).differences.count, 3)
    }

    // MARK: The three commands

    func testEvaluateSurvivesKills() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path),
              FileManager.default.fileExists(atPath: "/usr/bin/python3") else { throw XCTSkip("mirror or python3 not found") }
        let work = try scratch("evaluate")
        let adapter = Mirror.fixture("external/echo_adapter.py").path
        // The standard-library echo model of the external protocol (the tiny CLIP fixture classifies ~50
        // images/s in a debug build, too slow for dozens of restarts) on the mirror's three datasets (641 images),
        // so that kills land inside each dataset and between them; one image per batch, so that kills land
        // between the appends to the partial file.
        let campaign = Campaign(
            name: "evaluate",
            arguments: { dir in ["evaluate", "--model", "external:python3 \(adapter)",
                                 "--dataset", "cue-conflict", "edge", "silhouette", "--batch", "1", "--jobs", "1", "--out", dir.appendingPathComponent("out").path] },
            environment: { dir in ["OODBENCH_CACHE": dir.appendingPathComponent("cache").path] },
            roots: ["out"],
            csvHeader: "subj,session,trial,rt,object_response,category,condition,imagename")
        let figures = try runCampaign(campaign, in: work)
        XCTAssertGreaterThanOrEqual(figures.kills, Self.killCount)
        XCTAssertEqual(figures.differences, 0)
        XCTAssertEqual(figures.partialFiles, 0)
    }

    func testGenerateSurvivesKills() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path) else { throw XCTSkip("mirror not found") }
        let work = try scratch("generate")
        // Two parametric datasets with few conditions (colour: greyscale; power-equalisation: Fourier, with the
        // mirror's data tables), one image per category and condition from the mirror's edge stimuli (a
        // categories-layout source): 64 PNGs; two workers, so that kills land while two files are being written.
        let campaign = Campaign(
            name: "generate",
            arguments: { dir in ["generate", "colour", "power-equalisation", "--source", Mirror.url("texture-vs-shape/edge").path,
                                 "--per-condition", "1", "--seed", "7", "--jobs", "2", "--offline",
                                 "--out", dir.appendingPathComponent("out").path] },
            roots: ["out"])
        let figures = try runCampaign(campaign, in: work)
        XCTAssertGreaterThanOrEqual(figures.kills, Self.killCount)
        XCTAssertEqual(figures.differences, 0)
        XCTAssertEqual(figures.partialFiles, 0)
    }

    func testDatasetsFetchSurvivesKills() throws {
        guard FileManager.default.fileExists(atPath: Mirror.url("texture-vs-shape/edge").path),
              FileManager.default.fileExists(atPath: Mirror.url("openai-clip").path) else { throw XCTSkip("mirror not found") }
        let work = try scratch("fetch")
        // Two pinned groups of the real manifest, their URLs pointed at a loopback server sending ~1.5 MB/s: the
        // CLIP vocabulary (1.36 MB, so that kills land mid-transfer and restarts resume with Range requests) and
        // the 160 edge stimuli of texture-vs-shape (`fetch edge` assembles and checks the dataset folder).
        let manifestDir = work.appendingPathComponent("manifest")
        try FileManager.default.createDirectory(at: manifestDir, withIntermediateDirectories: true)
        var served: [String: Data] = [:], expected: [String: Data] = [:]
        let sources: [(group: String, prefix: String)] = [("clip-bpe-vocab", ""), ("texture-vs-shape-stimuli", "edge/")]
        var groups: [String: [String: Any]] = [:]
        for (name, prefix) in sources {
            var group = try JSONSerialization.jsonObject(with: Data(contentsOf: Mirror.packageRoot
                .appendingPathComponent("datasets-manifest/\(name).json"))) as! [String: Any]
            let folder = group["mirror"] as! String
            let files = (group["files"] as! [[String: Any]]).filter { ($0["path"] as! String).hasPrefix(prefix) }
            for file in files {
                let path = file["path"] as! String
                let bytes = try Data(contentsOf: Mirror.url("\(folder)/\(path)"))
                served["\(folder)/\(path)"] = bytes
                expected["cache/\(folder)/\(path)"] = bytes
            }
            group["files"] = files
            groups[name] = group
        }
        let server = try LoopbackFileServer(files: served, bytesPerSecond: 1_500_000)
        defer { server.stop() }
        for (name, var group) in groups {
            let folder = group["mirror"] as! String
            group["files"] = (group["files"] as! [[String: Any]]).map { file -> [String: Any] in
                var f = file
                f["url"] = server.url("\(folder)/\(file["path"] as! String)").absoluteString
                return f
            }
            try JSONSerialization.data(withJSONObject: group, options: [.prettyPrinted, .sortedKeys])
                .write(to: manifestDir.appendingPathComponent("\(name).json"))
        }
        let emptyMirror = work.appendingPathComponent("empty-mirror")
        try FileManager.default.createDirectory(at: emptyMirror, withIntermediateDirectories: true)

        let campaign = Campaign(
            name: "datasets fetch",
            arguments: { _ in ["datasets", "fetch", "clip-bpe-vocab", "edge"] },
            environment: { dir in ["OODBENCH_CACHE": dir.appendingPathComponent("cache").path,
                                   "OODBENCH_MIRROR": emptyMirror.path, "OODBENCH_MANIFEST": manifestDir.path] },
            roots: ["cache"])
        let figures = try runCampaign(campaign, in: work)
        XCTAssertGreaterThanOrEqual(figures.kills, Self.killCount)
        XCTAssertEqual(figures.differences, 0)
        XCTAssertEqual(figures.partialFiles, 0)
        // The reference run's files are exactly the served bytes, at the cache paths of the groups' mirror folders.
        var reference: [String: Data] = [:]
        for (path, data) in try KillHarness.visibleFiles(work.appendingPathComponent("reference/cache")) { reference["cache/" + path] = data }
        XCTAssertEqual(Set(reference.keys), Set(expected.keys))
        XCTAssertTrue(reference == expected, "the fetched files are not the served ones")
        XCTAssertGreaterThan(server.requests.filter { $0.range != nil }.count, 0, "no restart resumed a transfer with a Range request")
    }
}
