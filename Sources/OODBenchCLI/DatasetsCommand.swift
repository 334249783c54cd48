import ArgumentParser
import Datasets
import Foundation

/// `oodbench datasets list | fetch NAME… | verify`: the pinned upstream assets and the stimulus datasets.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List, fetch and verify the pinned upstream data and the 17 stimulus datasets.",
        discussion: """
        Files are looked up in $OODBENCH_MIRROR (a folder laid out like ../shared/reference-data; by default \
        ../shared/reference-data beside the checkout when it exists), then in $OODBENCH_CACHE (default \
        ~/.cache/oodbench), and only then downloaded from the URL pinned in datasets-manifest/. Every file is \
        checked against its pinned size and sha256; downloads resume after an interruption.

        Examples:
          oodbench datasets list
          oodbench datasets verify
          oodbench datasets fetch texture-vs-shape-stimuli colour --offline
        """,
        subcommands: [List.self, Fetch.self, Verify.self]
    )

    struct Location: ParsableArguments {
        @Flag(help: "Never reach the network: fail with a clear message when a file is in neither the mirror nor the cache.")
        var offline = false

        func resolver(progress: ProgressLine? = nil) throws -> AssetResolver {
            var resolver = try AssetResolver.fromEnvironment(offline: offline)
            if let progress {
                resolver.progress = { p in
                    let total = p.total.map { " of \(ProgressLine.bytes($0))" } ?? ""
                    progress.update("fetching \(p.name): \(ProgressLine.bytes(p.received))\(total)")
                }
            }
            return resolver
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the manifest's asset groups and the 17 datasets, with what is available locally.",
            discussion: """
            Examples:
              oodbench datasets list
              OODBENCH_MIRROR=../shared/reference-data oodbench datasets list
            """)

        @OptionGroup var location: Location

        func run() throws {
            let resolver = try location.resolver()
            print("mirror: \(resolver.mirror?.path ?? "(none)")")
            print("cache:  \(resolver.cache.path)\(resolver.offline ? "  (offline)" : "")")
            print("")
            print("Asset groups (datasets-manifest/):")
            for group in resolver.manifest.groups {
                if group.pinned {
                    let size = group.files.reduce(Int64(0)) { $0 + ($1.size ?? 0) }
                    let present = group.files.filter { file in
                        resolver.candidatePaths(group: group, file: file).contains { FileManager.default.fileExists(atPath: $0.path) }
                    }.count
                    print("  \(group.name): \(group.files.count) files, \(ProgressLine.bytes(size)), pinned (sha256); present locally \(present)/\(group.files.count)")
                } else {
                    print("  \(group.name): \(group.files.count) archives, UNPINNED (no checksum known); after download, file names and counts are checked against the catalog")
                }
                print("      \(group.upstream.joined(separator: ", ")) — \(group.license)")
            }
            print("")
            print("Datasets (catalog):")
            for spec in Catalog.all {
                let conditions = spec.conditions.map(\.token).joined(separator: " ")
                let source: String
                switch spec.source {
                case .releaseArchive: source = "model-vs-human v0.1 archive (unpinned)\(spec.isParametric ? " or `oodbench generate`" : "")"
                case .textureVsShape(let folder): source = "texture-vs-shape-stimuli/\(folder) (pinned)"
                }
                let local = FileManager.default.fileExists(atPath: resolver.cache.appendingPathComponent("datasets/\(spec.name)").path) ? ", fetched" : ""
                print("  \(spec.name): \(spec.imageCount) images, \(spec.imagesPerCategoryAndCondition) per category and condition; conditions \(conditions); \(source)\(local)")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch asset groups or datasets into the cache (verified, resumable).",
            discussion: """
            NAME is an asset group (see `datasets list`), a dataset name, or `all`. Files already in the mirror or \
            the cache are verified, not downloaded again.

            Examples:
              oodbench datasets fetch model-vs-human-human-raw-data
              oodbench datasets fetch cue-conflict sketch
              oodbench datasets fetch all --offline
            """)

        @OptionGroup var location: Location

        @Argument(help: "Asset groups, datasets, or `all`.")
        var names: [String]

        func validate() throws {
            if names.isEmpty { throw ValidationError("Name at least one asset group or dataset, e.g. `oodbench datasets fetch colour`.") }
        }

        func run() throws {
            let progress = ProgressLine()
            let resolver = try location.resolver(progress: progress)
            do {
                for name in names {
                    for line in try resolver.fetch(name) {
                        progress.finish()
                        print(line)
                    }
                }
            } catch {
                progress.finish()
                throw error
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every pinned file present in the mirror or cache against its size and sha256.",
            discussion: """
            Prints one line per group, and one line per corrupt file naming it. Exits 1 when any copy is corrupt; \
            files present nowhere are counted as missing (fetch them with `oodbench datasets fetch`). Fetched \
            stimulus datasets are checked against the catalog's names and counts.

            Examples:
              oodbench datasets verify
              OODBENCH_MIRROR=/data/mirror oodbench datasets verify
            """)

        @OptionGroup var location: Location

        func run() throws {
            let resolver = try location.resolver()
            let results = resolver.verify()
            var corrupt = 0
            for group in resolver.manifest.groups where group.pinned {
                let rows = results.filter { $0.group == group.name }
                var ok = 0, missing = 0
                for row in rows {
                    switch row.state {
                    case .ok: ok += 1
                    case .missing: missing += 1
                    case .corrupt(let error):
                        corrupt += 1
                        print("CORRUPT \(error)")
                    }
                }
                let bad = rows.count - ok - missing
                print("\(group.name): \(ok) ok, \(missing) missing, \(bad) corrupt (of \(rows.count))")
            }
            for spec in Catalog.all where spec.source == .releaseArchive {
                let folder = resolver.cache.appendingPathComponent("datasets/\(spec.name)")
                guard FileManager.default.fileExists(atPath: folder.path) else { continue }
                do {
                    let n = try DatasetChecker.check(folder, spec)
                    print("\(spec.name): \(n) images, names and counts match the catalog (archive unpinned)")
                } catch {
                    corrupt += 1
                    print("CORRUPT \(error)")
                }
            }
            if corrupt > 0 { throw CLIError("\(corrupt) corrupt file(s); see the CORRUPT lines above") }
        }
    }
}
