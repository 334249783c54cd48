import Datasets
import Foundation
import Imaging
import Models
import Scoring
import XCTest

@testable import Evaluation

/// Sharded `Evaluator` runs and `ShardMerge` with the stand-in model (fast; the CLI test runs real processes).
final class ShardMergeTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("shard-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// Five images in loader order bear1, bear10, bear2, cat1, cat2 (byte order of names).
    func makeDataset() throws -> URL {
        let folder = root.appendingPathComponent("stimuli")
        for (category, name, value) in [("bear", "bear1.png", 1), ("bear", "bear2.png", 7), ("bear", "bear10.png", 2),
                                        ("cat", "cat1.png", 7), ("cat", "cat2.png", 15)] as [(String, String, UInt8)] {
            let dir = folder.appendingPathComponent(category)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var image = Image8(channels: 3, height: 4, width: 4)
            image.samples[0] = value
            try image.writePNG(to: dir.appendingPathComponent(name))
        }
        return folder
    }

    func runShard(_ shard: Shard, stimuli: [Stimulus], folder: String) throws -> URL {
        let out = root.appendingPathComponent(folder)
        let evaluator = Evaluator(model: FakeClassifier(), outputDirectory: out, batchSize: 2, jobs: 1)
        let result = try evaluator.run(dataset: "toy", stimuli: stimuli, shard: shard)
        var record = RunRecord(model: RunRecord.modelInfo(FakeClassifier(), spec: "fake"), batchSize: 2, versions: [:])
        record.record(RunRecord.DatasetEntry(name: "toy", stimuli: "s", images: result.images, subset: nil,
                                             stimuliSHA256: result.stimuliSHA256,
                                             csv: "raw-data/toy/" + result.csv.lastPathComponent, csvSHA256: result.csvSHA256,
                                             seconds: 1, imagesPerSecond: nil, finished: "t",
                                             shard: shard.isWhole ? nil : shard.description,
                                             datasetImages: shard.isWhole ? nil : stimuli.count))
        try record.write(to: out.appendingPathComponent("run.json"))
        return out
    }

    func testShardsKeepTrialNumbersAndMergeToTheWholeRun() throws {
        let stimuli = try Stimulus.list(folder: try makeDataset())
        let whole = try runShard(.whole, stimuli: stimuli, folder: "whole")
        let wholeCSV = try Data(contentsOf: whole.appendingPathComponent("raw-data/toy/toy_fake-model_session-1.csv"))
        let shards = try (0..<2).map { try runShard(try Shard(index: $0, count: 2), stimuli: stimuli, folder: "s\($0)") }
        // Shard 1 of 2 owns positions 1 and 3: trials 2 and 4 (bear10.png, cat1.png in loader order).
        let rows = try RawDataReader.rows(of: shards[1].appendingPathComponent("raw-data/toy/toy_fake-model_session-1.csv.shard-1-of-2"))
        XCTAssertEqual(rows.map(\.trial), [2, 4])
        XCTAssertEqual(rows.map(\.imagename), ["bear10.png", "cat1.png"])
        let merged = try ShardMerge.merge(runs: shards.reversed(), out: root.appendingPathComponent("merged"))
        XCTAssertEqual(merged.map(\.rows), [5])
        XCTAssertEqual(try Data(contentsOf: merged[0].csv), wholeCSV)
        let record = try XCTUnwrap(RunRecord.read(root.appendingPathComponent("merged/run.json")))
        XCTAssertNil(record.datasets[0].shard)
        XCTAssertEqual(record.datasets[0].images, 5)

        XCTAssertThrowsError(try ShardMerge.merge(runs: [shards[0]], out: root.appendingPathComponent("m2"))) {
            XCTAssertEqual("\($0)", "fake_model on toy: missing shard 1/2")
        }
        XCTAssertThrowsError(try ShardMerge.merge(runs: [shards[0], shards[1], shards[1]], out: root.appendingPathComponent("m3"))) {
            XCTAssertTrue("\($0)".contains("overlapping shard 1/2"), "\($0)")
        }
        // A shard CSV cut short (its last row removed, run.json updated to match) is not a complete dataset.
        let csv = shards[0].appendingPathComponent("raw-data/toy/toy_fake-model_session-1.csv.shard-0-of-2")
        let shortRows = Array(try RawDataReader.rows(of: csv).dropLast())
        try RawDataWriter.write(shortRows, to: csv)
        _ = try runShardRecordOnly(shards[0], csv: csv)
        XCTAssertThrowsError(try ShardMerge.merge(runs: shards, out: root.appendingPathComponent("m4"))) {
            XCTAssertEqual("\($0)", "fake_model on toy: the shards hold 4 trials, the dataset has 5 images")
        }
    }

    func runShardRecordOnly(_ folder: URL, csv: URL) throws -> RunRecord {
        var record = try XCTUnwrap(RunRecord.read(folder.appendingPathComponent("run.json")))
        let digest = try Evaluator(model: FakeClassifier(), outputDirectory: folder).fileHash(csv)
        record.datasets[0].csvSHA256 = digest
        record.datasets[0].images -= 1
        try record.write(to: folder.appendingPathComponent("run.json"))
        return record
    }
}
