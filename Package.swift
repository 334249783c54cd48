// swift-tools-version:6.0
import PackageDescription

// System libraries come from Debian's -dev packages through pkg-config (see .ci/run for the list).
let package = Package(
    name: "OODBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "oodbench", targets: ["OODBenchCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // libdeflate: the PNG fast paths (8-bit, non-interlaced) compress and inflate with it (about twice zlib's speed).
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // libpng/libjpeg report errors by longjmp, which Swift cannot catch: the calls live in this C shim.
        .target(name: "CImagingShims", dependencies: ["CPNG", "CJPEG", "CDeflate"]),
        // Hot numeric loops in C with an AVX2+FMA path chosen at run time (Swift here compiles for SSE2 only). Debug
        // builds optimise them too (the same code release builds run; the files fix their own FP contraction), so
        // that debug test runs of the eidolon and model kernels take seconds, not minutes.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // zlib for .tar.gz extraction (ZIPFoundation already owns the module name CZlib).
        .systemLibrary(name: "CZlibSystem", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Pipeline modules (see ../shared/ARCHITECTURE.md)
        // One-line error texts shared by every module's error type (escaping, errno wording).
        .target(name: "ErrorText"),
        // Bounds checks of a zip's directory before ZIPFoundation reads it (its offset conversions trap).
        .target(name: "ZipSafety"),
        .target(name: "Imaging", dependencies: ["CImagingShims", "CKernels", "ErrorText"]),
        .target(name: "Distortions", dependencies: [
            "Imaging", "CFFTW", "CKernels",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Datasets", dependencies: [
            "Imaging", "Distortions", "CZlibSystem", "ErrorText", "ZipSafety",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "Inference", dependencies: [
            "COpenBLAS", "CKernels", "ErrorText", "ZipSafety",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "Models", dependencies: [
            "Inference", "Imaging", "CKernels",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Evaluation", dependencies: ["Models", "Datasets", "Scoring"]),
        .target(name: "Scoring", dependencies: ["ErrorText"]),
        .target(name: "Reports", dependencies: [
            "Scoring",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "OODBenchCLI", dependencies: [
            "Imaging", "Distortions", "Datasets", "Inference", "Models", "Evaluation", "Scoring", "Reports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CImagingShims", "TestSupport"]),
        .testTarget(name: "DistortionsTests", dependencies: ["Distortions", "Imaging", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: [
            "Datasets", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "TestSupport"]),
        .testTarget(name: "ZipSafetyTests", dependencies: ["ZipSafety"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Inference", "Imaging", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"]),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Scoring", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Imaging", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: Fuzz targets (libFuzzer), excluded from the normal build
// Present only when OODBENCH_FUZZ=1, so `swift build` and `swift test` never see them. scripts/fuzz.sh builds
// them with `--sanitize fuzzer --sanitize address` into .build-fuzz/ and runs each one (see Fuzz/README.md).
if Context.environment["OODBENCH_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzPNG", ["Imaging"]), ("FuzzJPEG", ["Imaging"]),
        ("FuzzSafetensors", ["Inference"]), ("FuzzTorchZip", ["Inference"]),
        ("FuzzLegacyTorch", ["Inference"]), ("FuzzUnpickler", ["Inference"]),
        ("FuzzRawDataCSV", ["Scoring"]), ("FuzzManifest", ["Datasets"]), ("FuzzTar", ["Datasets"]),
        ("FuzzZip", ["Datasets"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: target.dependencies + ["FuzzSupport"], path: "Fuzz/\(target.name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
