import Dispatch
import Distortions
import Foundation
import Imaging

/// The demo's stimulus overview (like model-vs-human's figure of example stimuli): every parametric distortion
/// at every level applied to the sample photographs, one contact sheet per distortion (rows: photographs,
/// columns: conditions in the experiment's order, each tile the 224 × 224 stimulus halved to 112 × 112).
struct DemoGallery {
    struct Sheet {
        let distortion: String
        let conditions: [String]
        let file: String
    }

    static let tile = 112
    static let gap = 4

    let photos: [(name: String, image: Image8)]
    let tables: DistortionTables?
    /// Photographs (the first ones) shown for the eidolons, whose synthesis costs far more than the others.
    static let eidolonPhotos = 2

    /// Renders every sheet into `folder` (PNG files) and returns them in dataset order. Distortions run in
    /// parallel, one engine per task; random ones use seed 42 (as the goldens).
    func render(into folder: URL) throws -> [Sheet] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Each job renders one sheet row: one photograph at every condition, with its own engine (the eidolon
        // engine keeps the photograph's DoG stack across conditions).
        var jobs: [(name: String, conditions: [String], photos: Int, row: (Int) throws -> [Image8])] = []
        let photos = self.photos, tables = self.tables
        for distortion in Distortion.all {
            let shown = distortion.name.hasPrefix("eidolon") ? min(Self.eidolonPhotos, photos.count) : photos.count
            jobs.append((distortion.name, distortion.conditions, shown, { photo in
                let engine = Distorter(tables: tables)
                return try distortion.conditions.map { condition in
                    try engine.apply(distortion, condition: condition, to: photos[photo].image, seed: 42)
                        .image8(.roundHalfUp, expandGrey: true)
                }
            }))
        }
        // One task per (distortion, photo): the cells of a sheet row are rendered by one worker.
        let rows = jobs.count * photos.count
        let results = UnsafeMutableBufferPointer<Result<[Image8], Error>?>.allocate(capacity: rows)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let slots = results
        nonisolated(unsafe) let work = jobs
        let photoCount = photos.count
        DispatchQueue.concurrentPerform(iterations: rows) { index in
            let j = index / photoCount, photo = index % photoCount
            if photo >= work[j].photos { slots[index] = .success([]); return }
            slots[index] = Result { try work[j].row(photo) }
        }
        var sheets: [Sheet] = []
        for (j, job) in jobs.enumerated() {
            var cells: [[Image8]] = []
            for p in 0..<photos.count {
                let row = try results[j * photos.count + p]!.get()
                if !row.isEmpty { cells.append(row) }
            }
            let sheet = Self.contactSheet(cells)
            let file = "\(job.name).png"
            try sheet.writePNG(to: folder.appendingPathComponent(file))
            sheets.append(Sheet(distortion: job.name, conditions: job.conditions, file: file))
        }
        return sheets
    }

    /// Rows of images (any size, 1 or 3 channels) halved by 2 × 2 averaging onto a white RGB sheet.
    static func contactSheet(_ rows: [[Image8]]) -> Image8 {
        let columns = rows.map(\.count).max() ?? 0
        let width = columns * tile + (columns + 1) * gap, height = rows.count * tile + (rows.count + 1) * gap
        var sheet = Image8(channels: 3, height: height, width: width,
                           samples: [UInt8](repeating: 255, count: 3 * width * height))
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let x0 = gap + c * (tile + gap), y0 = gap + r * (tile + gap)
                let sx = Double(image.width) / Double(tile), sy = Double(image.height) / Double(tile)
                for y in 0..<tile {
                    for x in 0..<tile {
                        let ix = min(Int(Double(x) * sx), image.width - 2), iy = min(Int(Double(y) * sy), image.height - 2)
                        for ch in 0..<3 {
                            let source = image.channels >= 3 ? ch : 0
                            var sum = 0
                            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                                sum += Int(image.samples[((iy + dy) * image.width + ix + dx) * image.channels + source])
                            }
                            sheet.samples[((y0 + y) * width + x0 + x) * 3 + ch] = UInt8((sum + 2) / 4)
                        }
                    }
                }
            }
        }
        return sheet
    }

    /// The gallery section of the report page.
    static func html(_ sheets: [Sheet], photos: [String], folder: String) -> String {
        var out = "<section id=\"gallery\"><h2>Stimulus gallery: every parametric distortion at every level</h2>\n"
        out += "<p>Rows: the sample photographs pinned in the manifest (" + photos.map(escape).joined(separator: ", ")
            + "; the eidolons show the first \(eidolonPhotos)); columns: the conditions in the experiment's order. "
            + "Random distortions use seed 42.</p>\n"
        for s in sheets {
            out += "<figure><figcaption><b>\(escape(s.distortion))</b>: "
                + s.conditions.map(escape).joined(separator: " · ") + "</figcaption>"
                + "<img src=\"\(folder)/\(s.file)\" alt=\"\(escape(s.distortion))\" style=\"max-width:100%\"></figure>\n"
        }
        return out + "</section>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
