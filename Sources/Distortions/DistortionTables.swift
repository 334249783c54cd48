import CKernels
import Crypto
import Foundation

/// The two data tables of the reference code, read from `.npy` files and verified by sha256 (never compiled in).
///
/// - `mean_power_spectrum_grey.npy`: 224 × 224 float64, the mean **amplitude** spectrum of the experiment images in
///   fftshift layout (power-equalisation, specs/distortions.md §3.6).
/// - `x_gamma_function.npy`: 256 × 1 float64, the measured monitor response (false-colour, §3.7).
///
/// Both come from rgeirhos/generalisation-humans-DNNs `code/` (CC BY 4.0). Build the value once and share it:
/// it is immutable and `Sendable`.
public struct DistortionTables: Sendable {
    /// sha256 of `mean_power_spectrum_grey.npy` at commit 0b88343 of rgeirhos/generalisation-humans-DNNs.
    public static let meanAmplitudeSpectrumSHA256 = "e174b43499e15bb9be6dc798efd5a8565abd064feaf58f2f5e269e4795b4170c"
    /// sha256 of `x_gamma_function.npy` at the same commit.
    public static let gammaTableSHA256 = "8a9680db77b2a24156a19d3fd8e82187aee1995ea8de6b048f354ba44b6196a2"
    /// The upstream file names (`code/<name>`).
    public static let meanAmplitudeSpectrumFileName = "mean_power_spectrum_grey.npy"
    public static let gammaTableFileName = "x_gamma_function.npy"

    /// Side of the square amplitude spectrum (224).
    public let spectrumSize: Int
    /// The mean amplitude spectrum, row-major `spectrumSize × spectrumSize`, fftshift layout (DC at [112][112]).
    public let meanAmplitudeSpectrum: [Double]
    /// The monitor response g[0…255]: strictly increasing, g[0] = 0, g[255] = 1.
    public let gamma: [Double]

    /// Derived once: the spectrum symmetrised about DC and laid out as FFTW's unshifted half spectrum, scaled by
    /// 1/(N·N) (so the inverse transform needs no extra pass). See `FourierDistortions`.
    let halfSpectrumScaled: [Double]
    /// Derived once: false-colour's nearest-index table (`ck_false_colour_index`: buckets keyed by the exponent and
    /// top mantissa bits of the value, each holding its one decision threshold and the index below it).
    let gammaIndex: [Double]

    /// Reads both tables from the given files and checks their sha256 against the known values.
    public init(meanAmplitudeSpectrum spectrumURL: URL, gammaTable gammaURL: URL) throws {
        let spectrum = try Self.load(spectrumURL, sha256: Self.meanAmplitudeSpectrumSHA256)
        let gamma = try Self.load(gammaURL, sha256: Self.gammaTableSHA256)
        guard spectrum.shape.count == 2, spectrum.shape[0] == spectrum.shape[1], spectrum.shape[0] % 2 == 0,
              spectrum.shape[0] > 0 else {
            throw DistortionsError.malformedTable(path: spectrumURL.path,
                                                  reason: "shape \(spectrum.shape), expected a square even size")
        }
        guard gamma.values.count == 256, gamma.shape.first == 256 else {
            throw DistortionsError.malformedTable(path: gammaURL.path, reason: "shape \(gamma.shape), expected (256, 1)")
        }
        try self.init(spectrum: spectrum.values, size: spectrum.shape[0], gamma: gamma.values, gammaPath: gammaURL.path)
    }

    /// Finds both tables by sha256 among the `.npy` files under `folder` (searched recursively), whatever their names.
    public init(searching folder: URL) throws {
        var found: [String: URL] = [:]
        let wanted = [Self.meanAmplitudeSpectrumSHA256, Self.gammaTableSHA256]
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey]
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: keys) else {
            throw DistortionsError.unreadableTable(path: folder.path, reason: "cannot list the folder")
        }
        for case let url as URL in walker where url.pathExtension == "npy" {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true,
                  let size = values.fileSize, size == 401_488 || size == 2_128,
                  let data = try? Data(contentsOf: url) else { continue }
            let digest = Self.sha256Hex(data)
            if wanted.contains(digest), found[digest] == nil { found[digest] = url }
            if found.count == wanted.count { break }
        }
        guard let spectrum = found[Self.meanAmplitudeSpectrumSHA256] else {
            throw DistortionsError.tableNotFound(name: Self.meanAmplitudeSpectrumFileName,
                                                 sha256: Self.meanAmplitudeSpectrumSHA256, folder: folder.path)
        }
        guard let gamma = found[Self.gammaTableSHA256] else {
            throw DistortionsError.tableNotFound(name: Self.gammaTableFileName, sha256: Self.gammaTableSHA256,
                                                 folder: folder.path)
        }
        try self.init(meanAmplitudeSpectrum: spectrum, gammaTable: gamma)
    }

    private init(spectrum: [Double], size: Int, gamma: [Double], gammaPath: String) throws {
        for k in 1..<gamma.count where !(gamma[k] > gamma[k - 1]) {
            throw DistortionsError.malformedTable(path: gammaPath, reason: "not strictly increasing at entry \(k)")
        }
        spectrumSize = size
        meanAmplitudeSpectrum = spectrum
        self.gamma = gamma
        halfSpectrumScaled = Self.symmetrisedHalfSpectrum(spectrum, size: size)
        gammaIndex = gamma.withUnsafeBufferPointer { g in
            [Double](unsafeUninitializedCapacity: 2 * Int(CK_FC_INDEX_COUNT) + 1) { buffer, count in
                _ = ck_false_colour_index(g.baseAddress!, buffer.baseAddress!)
                count = 2 * Int(CK_FC_INDEX_COUNT) + 1
            }
        }
    }

    /// (T(k) + T(−k)) / 2 · 1/N² on FFTW's half spectrum (rows u = 0…N−1, columns v = 0…N/2), from the shifted T.
    /// The real part of the reference's inverse transform only sees this symmetric part (specs §3.6).
    static func symmetrisedHalfSpectrum(_ t: [Double], size n: Int) -> [Double] {
        let half = n / 2 + 1
        let scale = 1.0 / Double(n * n)
        var out = [Double](repeating: 0, count: n * half)
        for u in 0..<n {
            for v in 0..<half {
                let r = (u + n / 2) % n, c = (v + n / 2) % n
                let rm = (n - u + n / 2) % n, cm = (n - v + n / 2) % n
                out[u * half + v] = (t[r * n + c] + t[rm * n + cm]) * 0.5 * scale
            }
        }
        return out
    }

    static func load(_ url: URL, sha256 expected: String) throws -> NPYArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DistortionsError.unreadableTable(path: url.path, reason: error.localizedDescription)
        }
        let digest = sha256Hex(data)
        guard digest == expected else {
            throw DistortionsError.tableChecksumMismatch(path: url.path, expected: expected, got: digest)
        }
        return try NPYArray(data: data, path: url.path)
    }

    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
