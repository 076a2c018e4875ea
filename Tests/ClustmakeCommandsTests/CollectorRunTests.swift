import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// The collector's commands on runs of the real worker (`compmake … make_single`): successes, a failure (exit
/// 113), a blocked job (115) and one stopped at its timeout; then GNU parallel and headless Chromium read what the
/// commands wrote.
@Suite struct CollectorRunTests {
    /// The jobs in graph order; `ok1` and `after` on nodeA, the rest spread over nodeA and nodeB.
    static let jobs: [(Job, host: String, status: Int32)] = [
        (Job(id: "ok1", command: .shell("echo hello; sleep 0.1"), tags: ["quick"]), "nodeA", 0),
        (Job(id: "ok2", command: .shell("echo two"), tags: ["quick"]), "nodeB", 0),
        (Job(id: "fail", command: .shell("echo 'about to fail' >&2; exit 3")), "nodeA", 113),
        (Job(id: "blocked", command: .shell("echo never"), deps: ["fail"]), "nodeB", 115),
        (Job(id: "slow", command: .shell("sleep infinity"), timeout: 0.5), "nodeB", 113),
        (Job(id: "after", command: .argv(["printf", "%s\\n", "a b"]), deps: ["ok1"]), "nodeA", 0),
    ]

    /// Pushes the jobs and runs each with the worker, in graph order.
    static func recordRun() throws -> CollectorFixture {
        let fixture = try CollectorFixture(namespace: "real")
        try fixture.store.push(try JobGraph(namespace: "real", jobs: jobs.map(\.0)), pushedBy: "test")
        for (job, host, status) in jobs {
            let result = try fixture.worker(job.id, on: host)
            #expect(result.status == status, "worker for \(job.id): \(result.stderr)")
        }
        return fixture
    }

    @Test("status, stats, results and logs read back what the workers recorded; every JSON parses")
    func commands() throws {
        let fixture = try Self.recordRun()

        let status = try fixture.clustmake("status")
        #expect(status.status == 0)
        #expect(status.stdout.contains("done 3  failed 2  blocked 1"))
        #expect(status.stdout.contains("about to fail"))
        #expect(status.stdout.contains("timed out after"))
        #expect(status.stdout.contains("  blocked  fail        fail\n"))
        let statusJSON = try JSONValue.parse(try fixture.clustmake("status", ["--json"]).stdout)
        #expect(statusJSON["failed"]?.arrayValue?.map { $0["job"]?.stringValue ?? "" } == ["fail", "slow"])
        #expect(statusJSON["failed"]?[0]?["last_stderr_line"]?.stringValue == "about to fail")
        #expect(statusJSON["blocked"]?[0]?["root_cause"]?.stringValue == "fail")

        let stats = try JSONValue.parse(try fixture.clustmake("stats", ["--json"]).stdout)
        #expect(stats["run"]?["attempts"]?.intValue == 5)
        #expect(stats["run"]?["outcomes"]?["failed"]?.intValue == 2)
        #expect(stats["hosts"]?.arrayValue?.map { $0["host"]?.stringValue ?? "" } == ["nodeA", "nodeB"])
        #expect((stats["run"]?["badput"]?.doubleValue ?? 0) >= 0.5)
        let text = try fixture.clustmake("stats")
        #expect(text.status == 0)
        #expect(text.stdout.contains("critical path actually taken"))
        #expect(text.stdout.contains("pass --plan DIR"))

        let results = try JSONValue.parse(try fixture.clustmake("results", ["--json"]).stdout)
        let attempts = try #require(results["attempts"]?.arrayValue)
        #expect(Set(attempts.map { $0["job"]?.stringValue ?? "" }) == ["ok1", "ok2", "fail", "slow", "after"])
        let slow = try #require(attempts.first { $0["job"]?.stringValue == "slow" })
        #expect(slow["timed_out"]?.boolValue == true)
        #expect(slow["state"]?.stringValue == "failed")
        let trace = try fixture.clustmake("results", ["--format", "trace"]).stdout.split(separator: "\n")
        #expect(trace.count == 6)
        #expect(trace.dropFirst().allSatisfy { $0.split(separator: "\t").count == 12 })

        let logs = try fixture.clustmake("logs", ["after", "--stdout"])
        #expect(logs.stdout == "a b\n")
        let failLogs = try fixture.clustmake("logs", ["fail"])
        #expect(
            failLogs.stdout.contains("==> fail attempt 1 of 1 on nodeA (failed): stderr, 14 B <==\nabout to fail\n"))
    }

    @Test(
        "the joblog is read back by GNU parallel: --resume skips every job with a line, --resume-failed the done ones")
    func joblog() throws {
        let parallel = try Tool.path("parallel", package: "parallel")
        let fixture = try Self.recordRun()
        let joblog = try fixture.clustmake("results", ["--format", "joblog"])
        #expect(joblog.status == 0)
        let ids = Self.jobs.map(\.0.id)
        func resume(_ option: String) throws -> [String] {
            let file = fixture.path("run-\(option).joblog")
            try joblog.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try Tool.run(
                parallel, ["--will-cite", "-j1", "-k", "--joblog", file, option, "echo", "ran", "{}", ":::"] + ids,
                environment: ["HOME": fixture.directory.path])
            #expect(result.status == 0, "parallel \(option): \(result.stderr)")
            return result.stdout.split(separator: "\n").map { String($0.dropFirst("ran ".count)) }
        }
        // blocked never ran, so it has no line: the only job --resume runs.
        #expect(try resume("--resume") == ["blocked"])
        // fail (exit 3) and slow (stopped at its timeout: -1 and signal 15) are not done either.
        #expect(try resume("--resume-failed") == ["fail", "blocked", "slow"])
    }

    @Test("the report opens in headless Chromium: a screenshot that is not blank, no script errors")
    func report() throws {
        let chromium = try Tool.path("chromium", package: "chromium")
        let python = try Tool.path("python3", package: "python3")
        let fixture = try Self.recordRun()
        let written = try fixture.clustmake("report", ["-o", fixture.path("report.html")])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.hasPrefix("Wrote "))
        let page = "file://" + fixture.path("report.html")
        let common = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,900",
            "--user-data-dir=" + fixture.path("chromium-profile"), "--enable-logging=stderr", "--v=0",
        ]
        let dom = try Tool.run(chromium, common + ["--dump-dom", page], timeout: 60)
        #expect(dom.status == 0, "chromium --dump-dom: \(dom.stderr)")
        let body = String(dom.stdout.firstMatch(of: /<body[^>]*>/)?.0 ?? "")
        #expect(body.contains("data-rendered=\"ok\""), "the page did not finish drawing: \(body)")
        #expect(!body.contains("data-errors"), "the page reported errors: \(body)")
        #expect(!dom.stderr.contains("Uncaught"), "the page logged an error: \(dom.stderr)")
        let bars = dom.stdout.firstMatch(of: /data-bars="([0-9]+)"/).map { Int($0.1) ?? 0 } ?? 0
        #expect(bars == 5)

        let screenshot = fixture.path("report.png")
        let shot = try Tool.run(chromium, common + ["--screenshot=" + screenshot, page], timeout: 60)
        #expect(shot.status == 0, "chromium --screenshot: \(shot.stderr)")
        #expect(!shot.stderr.contains("Uncaught"))
        let check = try Tool.run(python, ["-c", Self.pngCheck, screenshot])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let figures = check.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        // [width, height, distinct colours, pixels that are not the background]
        #expect(figures.count == 4)
        if figures.count == 4 {
            #expect(figures[0] == 1400 && figures[1] == 900)
            #expect(figures[2] >= 8, "the screenshot has \(figures[2]) colours: blank?")
            #expect(figures[3] > 1400 * 900 / 50, "the screenshot has \(figures[3]) drawn pixels: blank?")
        }
    }

    @Test("at a thousand short jobs the critical path taken is a thin line: the bars' colours stay visible under it")
    func criticalPathAtScale() throws {
        let chromium = try Tool.path("chromium", package: "chromium")
        let python = try Tool.path("python3", package: "python3")
        // Two chains of 500 short jobs (j_i after j_{i-2}) back to back on two lanes of one host: the critical path
        // runs through hundreds of bars about 2.5 pixels wide each.
        let fixture = try CollectorFixture(namespace: "chain")
        let jobs = (0..<1000).map { index in
            Job(id: "j\(index)", command: .shell("true"), deps: index >= 2 ? ["j\(index - 2)"] : [])
        }
        try fixture.store.push(try JobGraph(namespace: "chain", jobs: jobs), pushedBy: "test")
        let writer = HistoryWriter(store: fixture.store, redis: try fixture.server.connect())
        for index in 0..<1000 {
            let runtime = index % 2 == 0 ? 0.02 : 0.019
            try writer.run("j\(index)", on: "node", at: Double(index / 2) * (runtime + 0.005), for: runtime)
        }
        let written = try fixture.clustmake("report", ["-o", fixture.path("report.html")])
        #expect(written.status == 0, "\(written.stderr)")
        let screenshot = fixture.path("report.png")
        let shot = try Tool.run(
            chromium,
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,900",
                "--user-data-dir=" + fixture.path("chromium-profile"), "--screenshot=" + screenshot,
                "file://" + fixture.path("report.html"),
            ], timeout: 60)
        #expect(shot.status == 0, "chromium --screenshot: \(shot.stderr)")
        let count = try Tool.run(python, ["-c", Self.pngCheck, screenshot, "2e8540", "111111"])
        #expect(count.status == 0, "\(count.stdout)\(count.stderr)")
        let figures = count.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        // [width, height, distinct colours, drawn pixels, succeeded green, critical-path black]
        #expect(figures.count == 6)
        if figures.count == 6 {
            let (green, black) = (figures[4], figures[5])
            #expect(black >= 300, "the critical path is drawn (\(black) dark pixels)")
            // An outline per bar, as the page drew it before, covered the lanes: 10,914 green to 25,029 dark pixels.
            #expect(green >= 2 * black, "the bars are covered: \(green) green pixels, \(black) dark")
        }
    }

    /// Decodes an 8-bit RGB or RGBA PNG (as Chromium writes screenshots) and prints its width, height, number of
    /// distinct colours, and how many pixels differ from the most common one; then, for each colour given as an
    /// argument (hex `RRGGBB`), how many pixels are within 24 of it in every channel.
    static let pngCheck = #"""
        import sys, zlib, struct, collections
        data = open(sys.argv[1], "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
        pos, idat = 8, b""
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
        assert depth == 8 and colour in (2, 6), "unexpected PNG type"
        channels = 3 if colour == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * channels
        previous = bytearray(stride)
        counts = collections.Counter()
        for row in range(height):
            kind = raw[row * (stride + 1)]
            line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                up = previous[i]
                corner = previous[i - channels] if i >= channels else 0
                if kind == 1: line[i] = (line[i] + left) & 255
                elif kind == 2: line[i] = (line[i] + up) & 255
                elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
                elif kind == 4:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
            counts.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
            previous = line
        background = counts.most_common(1)[0][1]
        near = [sum(n for k, n in counts.items() if all(abs(a - b) <= 24 for a, b in zip(k, bytes.fromhex(c))))
                for c in sys.argv[2:]]
        print(width, height, len(counts), width * height - background, *near)
        """#
}
