import Datasets
import XCTest

/// `Shard`: parsing, the schedulers' environments, and the partition (disjoint, complete, order-only).
final class ShardTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try Shard(parsing: "2/7"), try Shard(index: 2, count: 7))
        XCTAssertEqual(try Shard(parsing: "0/1"), .whole)
        for bad in ["7/7", "-1/3", "1/0", "1", "a/3", "1/3/4", ""] {
            XCTAssertThrowsError(try Shard(parsing: bad), bad)
        }
        XCTAssertEqual(try Shard(parsing: "3/5").tag, "shard-3-of-5")
        XCTAssertEqual("\(try Shard(parsing: "3/5"))", "3/5")
    }

    func testPartitionIsDisjointCompleteAndByPosition() throws {
        for n in [1, 2, 3, 7] {
            for total in [0, 1, 5, 160, 161] {
                var owner = [Int](repeating: -1, count: total)
                for i in 0..<n {
                    let shard = try Shard(index: i, count: n)
                    for p in shard.positions(of: total) {
                        XCTAssertEqual(owner[p], -1, "position \(p) in two shards")
                        owner[p] = i
                        XCTAssertTrue(shard.owns(p))
                    }
                    // Hand-computed sizes: ceil((total - i) / n).
                    XCTAssertEqual(Array(shard.positions(of: total)).count, max(0, (total - i + n - 1) / n))
                }
                XCTAssertFalse(owner.contains(-1), "n=\(n) total=\(total): a position in no shard")
            }
        }
        XCTAssertEqual(try Shard(index: 1, count: 3).select(Array("abcdefgh")), ["b", "e", "h"])
    }

    func testSlurmArray() throws {
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3",
                                                  "SLURM_ARRAY_TASK_MIN": "0"]), try Shard(index: 2, count: 3))
        // --array=1-4 numbers tasks from 1.
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4",
                                                  "SLURM_ARRAY_TASK_MIN": "1"]), try Shard(index: 0, count: 4))
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1"]))
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"], count: 3))
    }

    func testKubernetesIndexedJobNeedsACount() throws {
        XCTAssertEqual(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "6"], count: 7), try Shard(index: 6, count: 7))
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "6"]))
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "7"], count: 7))
    }

    func testPlainVariableAndResolve() throws {
        XCTAssertEqual(try Shard.fromEnvironment(["OODBENCH_SHARD": "1/2", "SLURM_ARRAY_TASK_ID": "0"]), try Shard(index: 1, count: 2))
        XCTAssertThrowsError(try Shard.fromEnvironment([:]))
        XCTAssertEqual(try Shard.resolve(nil, count: nil, environment: ["OODBENCH_SHARD": "1/2"]), .whole)
        XCTAssertEqual(try Shard.resolve("auto", count: nil, environment: ["OODBENCH_SHARD": "1/2"]), try Shard(index: 1, count: 2))
        XCTAssertEqual(try Shard.resolve("0/3", count: nil, environment: [:]), try Shard(index: 0, count: 3))
        XCTAssertThrowsError(try Shard.resolve("0/3", count: 4, environment: [:]))
        XCTAssertThrowsError(try Shard.resolve(nil, count: 4, environment: [:]))
    }

    func testCodableAsText() throws {
        let data = try JSONEncoder().encode([try Shard(index: 2, count: 5)])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["2\/5"]"#)
        XCTAssertEqual(try JSONDecoder().decode([Shard].self, from: data), [try Shard(index: 2, count: 5)])
    }
}
