import ClustmakeJSON
import Foundation
import Testing

/// `clustmake plan --target cron --schedule …`: crontab.txt in the plan directory, and the checks of the options.
@Suite struct CronPlanTests {
    let hello = CLI.repositoryRoot.appendingPathComponent("examples/hello.yaml").path

    @Test("--target cron writes crontab.txt: the schedule, flock on a lock in the plan directory, absolute paths")
    func crontab() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(
            ["plan", hello, "--no-push", "--target", "cron", "--schedule", "*/10 2-4 * * sun"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let plan = directory.appendingPathComponent("plan").resolvingSymlinksInPath().path
        let text = try String(contentsOfFile: plan + "/crontab.txt", encoding: .utf8)
        let entries = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.count == 1, "\(text)")
        let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: plan + "/plan.json"))))
        // PATH: clustmake's directory, then the local workers' (the self-contained worker's when it is built), then
        // the system's, each once.
        var path = ["/" + (try CLI.built("clustmake").split(separator: "/").dropLast().joined(separator: "/"))]
        for host in json["hosts"]?.arrayValue ?? [] where host["local"]?.boolValue == true {
            let worker = try #require(host["worker"]?.stringValue)
            let directory = "/" + worker.split(separator: "/").dropLast().joined(separator: "/")
            if worker.hasPrefix("/") && !path.contains(directory) { path.append(directory) }
        }
        #expect(
            entries.first
                == """
                */10 2-4 * * sun PATH=\(path.joined(separator: ":")):/usr/local/bin:/usr/bin:/bin /usr/bin/flock -n -E 75 \
                \(plan)/run.lock /bin/sh \(plan)/run-all.sh >>\(plan)/cron.log 2>&1 || [ $? -ne 75 ] || \
                echo 'clustmake: not started: the run started earlier still goes on' >>\(plan)/cron.log
                """)
        #expect(json["target"]?.stringValue == "cron")
        let local = try CLI.run(["plan", hello, "--no-push", "-o", "local"], in: directory)
        #expect(local.status == 0, "\(local.stderr)")
        let localJSON = try JSONValue.parse(
            Array(try Data(contentsOf: directory.appendingPathComponent("local/plan.json"))))
        #expect(localJSON["target"] == nil, "a local plan's plan.json is as before")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("local/crontab.txt").path))
    }

    @Test(
        "a bad schedule or a schedule without cron exits 2 with one message and writes nothing",
        arguments: [
            (["--target", "cron", "--schedule", "61 * * * *"], "--schedule: the minute field '61'"),
            (["--target", "cron", "--schedule", "* * *"], "has 3 fields; a crontab schedule has five"),
            (["--target", "cron"], "--target cron needs --schedule"),
            (["--schedule", "* * * * *"], "--schedule goes with --target cron only"),
        ])
    func refused(options: [String], message: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(["plan", hello, "--no-push"] + options, in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }
}
