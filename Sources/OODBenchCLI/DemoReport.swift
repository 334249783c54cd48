import Foundation
import Reports
import Scoring

/// The demo's scoring and report: two scorings of the same raw data.
///
/// - Main page (`OUT/index.html`): humans and the seven reference models on their complete data (17 datasets, so
///   their numbers are the published ones), plus the new model on the datasets it has complete (edge, silhouette).
/// - `OUT/cue-conflict-subset/`: cue-conflict restricted to the stimuli present (321 of 1,280 offline) for every
///   decision maker, labelled "subset" — the new model's shape bias next to the reference models' on the same images.
///
/// Added to the main page: the new model's headline figures with its rank among the reference models, a link to the
/// subset report, and the distortion gallery.
struct DemoReport {
    let model: String
    let data: DemoData
    let modelResults: URL
    let work: URL
    let evaluation: [EvaluateCommand.Summary]

    struct Written {
        var lines: [String]
    }

    func write(to out: URL, gallery: (folder: URL, sheets: [DemoGallery.Sheet])) throws -> Written {
        let fm = FileManager.default
        let cue = data.stimuli["cue-conflict"]!
        let subsetCount = try RawDataReader.rows(of: modelCSV("cue-conflict")).count
        let isSubset = subsetCount < cue.fullCount

        // Main scoring: complete datasets only.
        let full = work.appendingPathComponent("scoring/full", isDirectory: true)
        try? fm.removeItem(at: full)
        var completeDatasets = ["edge", "silhouette"]
        if !isSubset { completeDatasets.append("cue-conflict") }
        for dataset in completeDatasets {
            try copy(modelCSV(dataset), into: full.appendingPathComponent("raw-data/\(dataset)"))
        }
        let fullSet = try RawDataSet.load(results: [full, data.referenceModels], humans: data.humans)
        let fullResult = Scorer.score(fullSet)

        // Subset scoring: cue-conflict, every decision maker restricted to the present images.
        let subset = work.appendingPathComponent("scoring/cue-conflict-subset", isDirectory: true)
        try? fm.removeItem(at: subset)
        let ids = Set(try RawDataReader.rows(of: modelCSV("cue-conflict")).map { StimulusName.imageID($0.imagename) })
        let subsetModels = subset.appendingPathComponent("models/raw-data/cue-conflict", isDirectory: true)
        let subsetHumans = subset.appendingPathComponent("humans/raw-data/cue-conflict", isDirectory: true)
        try copy(modelCSV("cue-conflict"), into: subsetModels)
        try restrict(folder: data.referenceModels.appendingPathComponent("cue-conflict"), to: ids, into: subsetModels)
        try restrict(folder: data.humans.appendingPathComponent("cue-conflict"), to: ids, into: subsetHumans)
        let subsetSet = try RawDataSet.load(results: [subset.appendingPathComponent("models")],
                                            humans: subset.appendingPathComponent("humans"))
        let subsetResult = Scorer.score(subsetSet)

        // Reports: main page first (it replaces OUT), then the subset report and the gallery inside it.
        try Report.write(fullResult, inputs: fullSet.files, toolVersion: OODBench.version, to: out)
        let subsetFolder = out.appendingPathComponent("cue-conflict-subset", isDirectory: true)
        try Report.write(subsetResult, inputs: subsetSet.files, toolVersion: OODBench.version, to: subsetFolder)
        try fm.copyItem(at: gallery.folder, to: out.appendingPathComponent("gallery", isDirectory: true))

        // Headline figures and ranks among the reference models.
        let referenceNames = fullSet.models.filter { $0 != model }
        func accuracy(_ dataset: String, _ dm: String) -> Double? { fullResult.perDataset[dm]?[dataset]?.oodAccuracy }
        func rank(_ value: Double?, among others: [Double?]) -> String {
            guard let value else { return "n/a" }
            let known = others.compactMap { $0 }
            return "\(1 + known.filter { $0 > value }.count) of \(known.count + 1)"
        }
        let shape = subsetResult.shapeBias[model]?.overall
        let label = isSubset ? "cue-conflict subset \(subsetCount)/\(cue.fullCount)" : "cue-conflict"
        var rows: [[String]] = [["metric", "value", "rank among reference models (1 = highest)", "data"]]
        for dataset in ["edge", "silhouette"] {
            rows.append(["\(dataset) accuracy", Self.f(accuracy(dataset, model)),
                         rank(accuracy(dataset, model), among: referenceNames.map { accuracy(dataset, $0) }),
                         "\(dataset) complete (160 images)"])
        }
        rows.append(["shape bias", Self.f(shape),
                     rank(shape, among: referenceNames.map { subsetResult.shapeBias[$0]?.overall }), label])
        rows.append(["cue-conflict accuracy", Self.f(subsetResult.perDataset[model]?["cue-conflict"]?.oodAccuracy),
                     rank(subsetResult.perDataset[model]?["cue-conflict"]?.oodAccuracy,
                          among: referenceNames.map { subsetResult.perDataset[$0]?["cue-conflict"]?.oodAccuracy }), label])
        var reference: [[String]] = [["decision maker", "edge accuracy", "silhouette accuracy",
                                      "shape bias (\(label))", "shape bias (complete cue-conflict)"]]
        for dm in [model] + referenceNames + [BenchmarkResult.humans] {
            reference.append([dm, Self.f(accuracy("edge", dm)), Self.f(accuracy("silhouette", dm)),
                              Self.f(subsetResult.shapeBias[dm]?.overall), Self.f(fullResult.shapeBias[dm]?.overall)])
        }
        let csv = rows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let referenceCSV = reference.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try Data(csv.utf8).write(to: out.appendingPathComponent("\(model).csv"), options: .atomic)
        try Data(referenceCSV.utf8).write(to: out.appendingPathComponent("demo-comparison.csv"), options: .atomic)

        // The page: a demo section after <body>, the gallery before </body>.
        let page = out.appendingPathComponent("index.html")
        var html = try String(contentsOf: page, encoding: .utf8)
        var section = "<section id=\"demo\"><h2>oodbench demo: \(DemoGallery.escape(model))</h2>\n"
        section += "<p>\(DemoGallery.escape(model)) evaluated natively on edge, silhouette and \(DemoGallery.escape(label)); "
            + "the reference models' and humans' numbers below come from their published raw data. "
            + (isSubset ? "cue-conflict is scored as a labelled subset (humans and reference models restricted to the same "
                + "\(subsetCount) images): <a href=\"cue-conflict-subset/index.html\">subset report</a>. " : "")
            + "Tables: <a href=\"\(model).csv\">\(model).csv</a>, <a href=\"demo-comparison.csv\">demo-comparison.csv</a>.</p>\n"
        section += Self.table(rows) + Self.table(reference) + "</section>\n"
        let gallerySection = DemoGallery.html(gallery.sheets, photos: data.photos.map(\.name), folder: "gallery")
        if let body = html.range(of: "<body[^>]*>", options: .regularExpression) {
            html.insert(contentsOf: section, at: body.upperBound)
        } else {
            html = section + html
        }
        if let end = html.range(of: "</body>", options: .backwards) {
            html.insert(contentsOf: gallerySection, at: end.lowerBound)
        } else {
            html += gallerySection
        }
        try Data(html.utf8).write(to: page, options: .atomic)

        var lines = rows.dropFirst().map { "\($0[0]): \($0[1]) (rank \($0[2]); \($0[3]))" }
        lines.append("subset report: \(subsetFolder.appendingPathComponent("index.html").path)")
        return Written(lines: lines)
    }

    func modelCSV(_ dataset: String) -> URL {
        modelResults.appendingPathComponent("raw-data/\(dataset)")
            .appendingPathComponent(RawDataWriter.fileName(dataset: dataset, model: model))
    }

    func copy(_ file: URL, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
    }

    /// Writes each CSV of `folder` into `target` keeping only the rows whose image id is in `ids`.
    func restrict(folder: URL, to ids: Set<String>, into target: URL) throws {
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".csv") {
            let rows = try RawDataReader.rows(of: folder.appendingPathComponent(name))
            try RawDataWriter.write(rows.filter { ids.contains(StimulusName.imageID($0.imagename)) },
                                    to: target.appendingPathComponent(name))
        }
    }

    static func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }

    static func table(_ rows: [[String]]) -> String {
        var out = "<table><thead><tr>" + rows[0].map { "<th>\(DemoGallery.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for r in rows.dropFirst() { out += "<tr>" + r.map { "<td>\(DemoGallery.escape($0))</td>" }.joined() + "</tr>\n" }
        return out + "</tbody></table>\n"
    }
}
