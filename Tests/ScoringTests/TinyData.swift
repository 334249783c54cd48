import Foundation
@testable import Scoring

/// Builds tiny raw-data folders in a temporary directory for hand-computed tests.
struct TinyData {
    let root: URL
    var results: URL { root.appendingPathComponent("results") }
    var humans: URL { root.appendingPathComponent("humans") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-tiny-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Writes `text` to `<base>/<dataset>/<name>` (creating folders).
    @discardableResult
    func write(_ text: String, base: URL, dataset: String, name: String) throws -> URL {
        let folder = base.appendingPathComponent(dataset)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Lines of a human CSV (LF, capital `Session` as in the parametric human files).
    static func human(_ subj: String, _ rows: [(response: String, category: String, condition: String, image: String)],
                      header: String = "subj,Session,trial,rt,object_response,category,condition,imagename") -> String {
        var s = header + "\n"
        for (i, r) in rows.enumerated() {
            s += "\(subj),1,\(i + 1),0.5,\(r.response),\(r.category),\(r.condition),\(r.image)\n"
        }
        return s
    }

    /// A model CSV exactly as RawDataWriter writes it (CRLF).
    static func model(_ subj: String, _ rows: [(response: String, category: String, condition: String, image: String)]) -> String {
        RawDataWriter.csv(rows.enumerated().map { i, r in
            RawDataRow(subj: subj, trial: i + 1, objectResponse: r.response, category: r.category,
                       condition: r.condition, imagename: r.image)
        })
    }

    /// The contrast example of ScoringTests: conditions c50 (included), c100 (excluded), c05 (no trials).
    /// Correctness in c50: subject-01 TTFF (one `na`), subject-02 TFFT, model TTTF.
    func writeContrast(modelName: String = "tiny_model") throws {
        func img(_ who: String, _ cond: String, _ k: Int) -> String { "000\(k)_cop_\(who)_\(cond)_cat_10_n0000000\(k)_\(k).png" }
        func rows(_ who: String, _ c50: [String], _ c100: [String]) -> [(String, String, String, String)] {
            c50.enumerated().map { ($1, "cat", "c50", img(who, "c50", $0)) }
                + c100.enumerated().map { ($1, "cat", "c100", img(who, "c100", $0 + 4)) }
        }
        try write(Self.human("subject-01", rows("s01", ["cat", "cat", "dog", "na"], ["cat", "cat", "cat", "cat"])),
                  base: humans, dataset: "contrast", name: "contrast_subject-01_session_1.csv")
        // subject-02's rows in a different order: pairing must go by image id.
        try write(Self.human("subject-02", rows("s02", ["cat", "dog", "dog", "cat"], ["na", "na", "na", "na"]).reversed()),
                  base: humans, dataset: "contrast", name: "contrast_subject-02_session_1.csv")
        try write(Self.model(modelName, rows("dnn", ["cat", "cat", "cat", "dog"], ["cat", "cat", "cat", "cat"])),
                  base: results.appendingPathComponent("raw-data"), dataset: "contrast",
                  name: RawDataWriter.fileName(dataset: "contrast", model: modelName))
    }

    /// A cue-conflict example with hand-counted shape and texture decisions.
    func writeCueConflict(modelName: String = "tiny_model") throws {
        let images = ["airplane1-bicycle2.png", "airplane1-bird2.png", "airplane1-airplane2.png", "bear1-cat2.png",
                      "bear1-car2.png"]
        let shape = ["airplane", "airplane", "airplane", "bear", "bear"]
        func rows(_ responses: [String], long: String?) -> [(String, String, String, String)] {
            images.indices.map { i in
                (responses[i], shape[i], long == nil ? "NaN" : "0",
                 long.map { "000\(i)_s5n_\($0)_0_\(shape[i])_00_\(images[i])" } ?? images[i])
            }
        }
        try write(Self.human("subject-01", rows(["airplane", "airplane", "airplane", "bear", "bear"], long: "s01"),
                             header: "subj,session,trial,rt,object_response,category,condition,imagename"),
                  base: humans, dataset: "cue-conflict", name: "cue-conflict_subject-01_session_1.csv")
        try write(Self.human("subject-02", rows(["airplane", "bird", "airplane", "dog", "car"], long: "s02"),
                             header: "subj,session,trial,rt,object_response,category,condition,imagename"),
                  base: humans, dataset: "cue-conflict", name: "cue-conflict_subject-02_session_1.csv")
        try write(Self.model(modelName, rows(["airplane", "bird", "airplane", "dog", "car"], long: nil)),
                  base: results.appendingPathComponent("raw-data"), dataset: "cue-conflict",
                  name: RawDataWriter.fileName(dataset: "cue-conflict", model: modelName))
    }
}
