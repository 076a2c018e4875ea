import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// WfCommons commands run by the worker as WfCommons' translators run them: one `sh -c` line of the program and
/// its arguments joined by spaces. A stand-in for each program records the argv it gets; the worker's run must
/// give the same argv as `sh -c LINE` run directly.
///
/// The lines are the ones the job graph loader makes from real instances (WfCommonsRealInstanceTests checks
/// them there): makeflow blast (WfFormat 1.0–1.4, with a `2>` redirection), Pegasus montage (1.4), Nextflow
/// sarek (1.5, a multi-line script with quotes and a here-document), and a WfCommons benchmark task whose
/// arguments hold several words and quoted JSON.
@Suite struct WfCommonsCommandLineTests {
    static let lines: [String] = [
        "blastall ./blastall -p blastn -d nt/nt -i small.fasta.0 -o small.fasta.0.out 2> small.fasta.0.err",
        "mViewer -red 3-mosaic.fits -1s 99.999% gaussian-log -green 2-mosaic.fits -1s 99.999% gaussian-log "
            + "-blue 1-mosaic.fits -1s 99.999% gaussian-log -out mosaic-color.jpg",
        "gatk --java-options \"-Xmx6g\" CreateSequenceDictionary \\\n"
            + "        --REFERENCE genome.fasta \\\n"
            + "        --URI genome.fasta \\\n"
            + "        --TMP_DIR . \\\n"
            + "        \n"
            + "\n"
            + "    cat <<-END_VERSIONS > versions.yml\n"
            + "    \"NFCORE_SAREK:SAREK:PREPARE_GENOME:GATK4_CREATESEQUENCEDICTIONARY\":\n"
            + "        gatk4: $(echo $(gatk --version 2>&1) | sed 's/^.*(GATK) v//; s/ .*$//')\n"
            + "    END_VERSIONS",
        "wfbench analyze --percent-cpu 0.6 --cpu-work 100 --out '{\"result.txt\": 128}' 2> analyze.err",
    ]

    /// The programs the lines call; each records its name and arguments, NUL-separated, one call a line.
    static let programs = ["blastall", "mViewer", "gatk", "wfbench"]

    @Test("the worker runs a WfCommons command line with the argv sh -c gives it", arguments: lines)
    func sameArgv(_ line: String) throws {
        let fixture = try WorkerFixture([])
        let bin = fixture.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let recorder = "#!/bin/sh\nprintf '%s\\0' \"${0##*/}\" \"$@\" >> \"$ARGV_LOG\"\nprintf '\\n' >> \"$ARGV_LOG\"\n"
        for program in Self.programs {
            for path in ["\(bin)/\(program)", fixture.path(program)] {
                try recorder.write(toFile: path, atomically: true, encoding: .utf8)
                #expect(chmod(path, 0o755) == 0)
            }
        }
        let path = "\(bin):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
        let byWorker = fixture.path("worker.argv")
        let job = shell("t", line, cwd: fixture.directory, env: ["PATH": path, "ARGV_LOG": byWorker])
        try fixture.store.push(try JobGraph(jobs: [job]), pushedBy: "test")
        let finished = try fixture.run(["t"])
        #expect(finished.status == WorkerExitStatus.success, "\(finished.stderr)")

        let direct = fixture.path("direct.argv")
        let spawned = Spawn.process(
            ["/bin/sh", "-c", "cd \"$0\" && exec /bin/sh -c \"$1\"", fixture.directory, line],
            standardOutput: .file(fixture.path("direct.out"), append: false),
            standardError: .file(fixture.path("direct.err"), append: false),
            environment: Spawn.environment(setting: ["PATH": path, "ARGV_LOG": direct]))
        guard case .success(let pid) = spawned else {
            Issue.record("cannot start /bin/sh: \(spawned)")
            return
        }
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid && status == 0)

        let recorded = try #require(FileManager.default.contents(atPath: byWorker))
        #expect(!recorded.isEmpty)
        #expect(recorded == FileManager.default.contents(atPath: direct))
        let calls = recorded.split(separator: UInt8(ascii: "\n")).map { call in
            call.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        switch line.prefix(4) {
        case "blas":
            #expect(
                calls == [
                    [
                        "blastall", "./blastall", "-p", "blastn", "-d", "nt/nt", "-i", "small.fasta.0", "-o",
                        "small.fasta.0.out",
                    ]
                ])
            #expect(FileManager.default.fileExists(atPath: fixture.path("small.fasta.0.err")))
        case "mVie":
            #expect(calls.first?.count == 18 && calls.first?[4] == "99.999%")
        case "gatk":
            #expect(calls.first?.prefix(4) == ["gatk", "--java-options", "-Xmx6g", "CreateSequenceDictionary"])
            #expect(calls.count == 2 && calls.last == ["gatk", "--version"])
            #expect(FileManager.default.fileExists(atPath: fixture.path("versions.yml")))
        default:
            #expect(
                calls == [
                    [
                        "wfbench", "analyze", "--percent-cpu", "0.6", "--cpu-work", "100", "--out",
                        "{\"result.txt\": 128}",
                    ]
                ])
        }
    }
}
