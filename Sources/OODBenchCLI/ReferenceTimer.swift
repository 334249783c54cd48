import Foundation
import Imaging

/// Times the reference Python functions (rgeirhos/generalisation-humans-DNNs `code/image_manipulation.py`,
/// imported from where it lies, never copied) in a child `python3`, for `oodbench bench distortions`.
struct ReferenceTimer {
    let python: String
    let codeFolder: URL?

    struct Result {
        var description: String
        /// Median and fastest call per "distortion condition".
        var ms: [String: Double]
        var minMs: [String: Double]
        var roundTripMs: [String: Double]
    }

    func run(image: Image8, png: Data, tablesFolder: String, seconds: Double, cpuClock: Bool = false,
             only: Set<String>? = nil, roundTrips: [(String, String)]) -> Swift.Result<Result, CLIError> {
        guard let codeFolder else {
            return .failure(CLIError("image_manipulation.py not found; pass --reference-code PATH to a checkout of "
                                     + "rgeirhos/generalisation-humans-DNNs"))
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("oodbench-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            try Data(image.samples).write(to: work.appendingPathComponent("input.u8"))
            try png.write(to: work.appendingPathComponent("input.png"))
            try Self.harness.write(to: work.appendingPathComponent("harness.py"), atomically: true, encoding: .utf8)
            let arguments: [String: Any] = [
                "code_dir": codeFolder.path, "input": work.appendingPathComponent("input.u8").path,
                "png": work.appendingPathComponent("input.png").path, "height": image.height, "width": image.width,
                "tables": tablesFolder, "seconds": seconds, "cpu_clock": cpuClock,
                "only": only.map { Array($0).sorted() } ?? [],
                "round_trips": roundTrips.map { [$0.0, $0.1] },
            ]
            let argumentData = try JSONSerialization.data(withJSONObject: arguments)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, work.appendingPathComponent("harness.py").path,
                                 String(decoding: argumentData, as: UTF8.self)]
            var environment = ProcessInfo.processInfo.environment
            for key in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] { environment[key] = "1" }
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.standardError  // progress and Python errors go straight through
            try process.run()
            let outputData = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                return .failure(CLIError("\(python) exited with status \(process.terminationStatus) (its error is above)"))
            }
            guard let object = try JSONSerialization.jsonObject(with: outputData) as? [String: Any],
                  let ms = object["ms"] as? [String: Double] else {
                return .failure(CLIError("\(python) gave no result"))
            }
            let notes = (object["notes"] as? [String]) ?? []
            let versions = (object["versions"] as? String) ?? ""
            return .success(Result(
                description: "\(codeFolder.path)/image_manipulation.py, \(versions), one thread"
                    + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")),
                ms: ms, minMs: (object["min_ms"] as? [String: Double]) ?? [:],
                roundTripMs: (object["round_trip_ms"] as? [String: Double]) ?? [:]))
        } catch {
            return .failure(CLIError("\(error)"))
        }
    }

    /// The timing harness (our own code): imports the reference module, calls each function as the goldens'
    /// generator does (fresh seed 42 before each random call), median (and fastest call) over ≥ 3 calls and
    /// ≥ `seconds`.
    static let harness = #"""
    import io, json, os, statistics, sys, time, types
    import numpy as np
    import scipy

    args = json.loads(sys.argv[1])
    notes = []
    try:
        import skimage.color, skimage.io  # noqa: F401
        have_skimage = True
    except Exception:
        have_skimage = False
        sk, color, skio = (types.ModuleType(n) for n in ("skimage", "skimage.color", "skimage.io"))
        def rgb2gray(rgb):
            rgb = np.asarray(rgb)
            return ((0.2125 * rgb[..., 0]) + (0.7154 * rgb[..., 1])) + (0.0721 * rgb[..., 2])
        color.rgb2gray = rgb2gray
        def imread(path):
            raise RuntimeError("scikit-image is not installed")
        skio.imread = imread
        sk.color, sk.io = color, skio
        sys.modules.update({"skimage": sk, "skimage.color": color, "skimage.io": skio})
        notes.append("scikit-image missing: rgb2gray is an elementwise numpy stand-in")
    try:
        import PIL.Image
        have_pil = True
    except Exception:
        have_pil = False
        pil = types.ModuleType("PIL"); pil.Image = types.ModuleType("PIL.Image")
        sys.modules.update({"PIL": pil, "PIL.Image": pil.Image})
        notes.append("Pillow missing: PNG round trip of the reference not timed")

    sys.path.insert(0, args["code_dir"])
    import image_manipulation as im

    h, w = args["height"], args["width"]
    img = np.fromfile(args["input"], dtype=np.uint8).reshape(h, w, 3) / 255.0

    def find(name):
        for root, _, files in os.walk(args["tables"]):
            if name in files:
                return os.path.join(root, name)
        return None
    spectrum_path, gamma_path = find("mean_power_spectrum_grey.npy"), find("x_gamma_function.npy")
    spectrum = np.load(spectrum_path) if spectrum_path else None
    gamma = np.load(gamma_path) if gamma_path else None

    def call(dist, cond, x):
        if dist == "colour":
            return x if cond == "cr" else im.rgb2gray(x)
        if dist == "contrast":
            return im.grayscale_contrast(x, {"c100": 1.0, "c50": 0.5, "c30": 0.3, "c15": 0.15, "c10": 0.1,
                                             "c05": 0.05, "c03": 0.03, "c01": 0.01}[cond])
        if dist == "high-pass":
            return im.rgb2gray(x) if cond == "inf" else im.high_pass_filter(x, float(cond))
        if dist == "low-pass":
            return im.low_pass_filter(x, float(cond))
        if dist == "phase-scrambling":
            np.random.seed(42)
            return im.phase_scrambling(x, int(cond))
        if dist == "power-equalisation":
            return im.rgb2gray(x) if cond == "0" else im.power_equalisation(x, spectrum)
        if dist == "false-colour":
            return x if cond == "true" else im.false_colour(x, gamma)
        if dist == "rotation":
            return {"0": im.rgb2gray, "90": im.rotate90, "180": im.rotate180, "270": im.rotate270}[cond](x)
        if dist == "uniform-noise":
            return im.uniform_noise(x, float(cond), 0.3, np.random.RandomState(seed=42))
        raise KeyError(dist)

    # The call's own clock: wall time, or this thread's CPU time (--clock cpu, for a loaded machine).
    clock = time.thread_time if args.get("cpu_clock") else time.perf_counter

    def timed_ms(fn):  # (median, fastest)
        fn()
        times, start = [], time.perf_counter()
        while len(times) < 3 or time.perf_counter() - start < args["seconds"]:
            t0 = clock(); fn(); times.append((clock() - t0) * 1000.0)
        return statistics.median(times), min(times)

    conditions = {
        "colour": ["cr", "bw"], "contrast": ["c100", "c50", "c30", "c15", "c10", "c05", "c03", "c01"],
        "high-pass": ["inf", "3", "1.5", "1", "0.7", "0.55", "0.45", "0.4"],
        "low-pass": ["0", "1", "3", "5", "7", "10", "15", "40"],
        "phase-scrambling": ["0", "30", "60", "90", "120", "150", "180"], "power-equalisation": ["0", "pow"],
        "false-colour": ["true", "false"], "rotation": ["0", "90", "180", "270"],
        "uniform-noise": ["0.00", "0.03", "0.05", "0.10", "0.20", "0.35", "0.60", "0.90"],
    }
    ms, fastest = {}, {}
    for dist, conds in conditions.items():
        if args.get("only") and dist not in args["only"]:
            continue
        for cond in conds:
            if (dist == "power-equalisation" and cond == "pow" and spectrum is None) or \
               (dist == "false-colour" and cond == "false" and gamma is None):
                notes.append("%s %s: data table not found" % (dist, cond)); continue
            ms["%s %s" % (dist, cond)], fastest["%s %s" % (dist, cond)] = timed_ms(lambda: call(dist, cond, img))
            print("reference %s %s: %.4f ms" % (dist, cond, ms["%s %s" % (dist, cond)]), file=sys.stderr, flush=True)

    round_trip = {}
    if have_pil:
        png = open(args["png"], "rb").read()
        def trip(dist, cond):
            x = np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB")) / 255.0
            out = np.asarray(call(dist, cond, x), dtype=np.float64)
            b = (np.clip(out * 255.0, 0, 255) + 0.5).astype(np.uint8)
            if b.ndim == 2:
                b = np.dstack((b, b, b))
            PIL.Image.fromarray(b).save(io.BytesIO(), "PNG")
        for dist, cond in args["round_trips"]:
            if "%s %s" % (dist, cond) in ms:
                round_trip["%s %s" % (dist, cond)] = timed_ms(lambda: trip(dist, cond))[0]

    versions = "python %s, numpy %s, scipy %s%s%s" % (
        sys.version.split()[0], np.__version__, scipy.__version__,
        (", scikit-image " + __import__("skimage").__version__) if have_skimage else "",
        (", Pillow " + __import__("PIL").__version__) if have_pil else "")
    print(json.dumps({"ms": ms, "min_ms": fastest, "round_trip_ms": round_trip, "notes": notes,
                      "versions": versions}))
    """#
}
