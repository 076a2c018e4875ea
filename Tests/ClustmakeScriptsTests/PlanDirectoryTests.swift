import ClustmakeCommands
import ClustmakeInput
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Foundation
import Testing

@Suite struct PlanDirectoryTests {
    private func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a plan directory holds a script per host, run-all.sh, plan.json, summary.txt and its marker")
    func layout() throws {
        let root = try TemporaryDirectory()
        let plan = try Plans.small()
        let written = try PlanDirectory(path: root.path + "/plan/").write(ScriptWriter(plan: plan))
        #expect(written.path == root.path + "/plan")
        #expect(!written.replaced)
        #expect(
            written.files == [
                "hosts/nessa.sh", "hosts/lab2.sh", "hosts/spare.sh", "run-all.sh", "plan.json", "summary.txt",
                ".clustmake-plan",
            ])
        #expect(try entries(root.path) == ["plan"], "no temporary directory is left next to it")
        #expect(
            try entries(root.path + "/plan") == [".clustmake-plan", "hosts", "plan.json", "run-all.sh", "summary.txt"])
        #expect(try entries(root.path + "/plan/hosts") == ["lab2.sh", "nessa.sh", "spare.sh"])
        for script in ["run-all.sh", "hosts/nessa.sh", "hosts/spare.sh"] {
            #expect(try mode(root.path + "/plan/" + script) == 0o755)
        }
        #expect(try mode(root.path + "/plan/plan.json") == 0o644)
        #expect(try mode(root.path + "/plan") == 0o755)
        let sizes = try written.files.reduce(0) { total, file in
            total
                + (try #require(
                    FileManager.default.attributesOfItem(atPath: root.path + "/plan/" + file)[.size] as? Int))
        }
        #expect(written.bytes == sizes)
        #expect(try root.read("plan/summary.txt") == PlanSummary(plan: plan).text)
    }

    @Test("an existing plan directory is replaced as a whole")
    func replaces() throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/plan"
        _ = try PlanDirectory(path: path).write(ScriptWriter(plan: try Plans.small()))
        try root.write("stale", to: "plan/hosts/old-host.sh")
        let graph = try Plans.graph(["only": []])
        let other = Plans.greedy(graph, on: Cluster(hosts: [Host(name: "solo")]))
        let written = try PlanDirectory(path: path).write(ScriptWriter(plan: other))
        #expect(written.replaced)
        #expect(written.leftover == nil)
        #expect(try entries(path + "/hosts") == ["solo.sh"])
        #expect(try entries(root.path) == ["plan"])
    }

    @Test("an empty directory may be used; a directory that is not a plan's, a file or a link is never replaced")
    func refusesForeignPaths() throws {
        let root = try TemporaryDirectory()
        let writer = try ScriptWriter(plan: try Plans.small())
        try FileManager.default.createDirectory(atPath: root.path + "/empty", withIntermediateDirectories: false)
        #expect(try PlanDirectory(path: root.path + "/empty").write(writer).replaced)

        try root.write("my notes", to: "home/notes.txt")
        try root.write("x", to: "file")
        try FileManager.default.createSymbolicLink(
            atPath: root.path + "/link", withDestinationPath: root.path + "/empty")
        for name in ["home", "file", "link", "."] {
            let error = try #require(throws: ScriptError.self) {
                try PlanDirectory(path: root.path + "/" + name).write(writer)
            }
            #expect(error.code == .outputInUse, "\(name)")
        }
        #expect(try root.read("home/notes.txt") == "my notes")
        #expect(try entries(root.path + "/home") == ["notes.txt"])
        #expect(try entries(root.path) == ["empty", "file", "home", "link"])
    }

    @Test("when writing fails half-way nothing is left behind and the existing plan is untouched")
    func failureLeavesExistingPlan() throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/plan"
        _ = try PlanDirectory(path: path).write(ScriptWriter(plan: try Plans.small()))
        let before = try root.read("plan/hosts/nessa.sh")

        // A host template that loses the job lines fails after the temporary directory and hosts/ exist.
        let templates = try TemporaryDirectory()
        try templates.write("#!/bin/sh\n# no jobs here\n", to: "host.sh.mustache")
        let broken = try ScriptWriter(
            plan: try Plans.small(), templates: ScriptTemplates(overridingWith: templates.path))
        let error = try #require(throws: ScriptError.self) { try PlanDirectory(path: path).write(broken) }
        #expect(error.code == .templateIncomplete)
        #expect(try entries(root.path) == ["plan"])
        #expect(try root.read("plan/hosts/nessa.sh") == before)
    }

    @Test("a parent that cannot be written to gives an error naming it, and changes nothing")
    func unwritableParent() throws {
        let root = try TemporaryDirectory()
        let writer = try ScriptWriter(plan: try Plans.small())
        // A regular file where the parent directory should be fails for every user, root included.
        try root.write("x", to: "not-a-directory")
        let error = try #require(throws: ScriptError.self) {
            try PlanDirectory(path: root.path + "/not-a-directory/plan").write(writer)
        }
        #expect(error.code == .io)
        #expect(error.file?.hasPrefix(root.path + "/not-a-directory") == true)
        #expect(error.cause?.contains("Not a directory") == true)
        #expect(error.cause?.contains("errno") == true)
        #expect(try entries(root.path) == ["not-a-directory"])

        try FileManager.default.createDirectory(atPath: root.path + "/locked", withIntermediateDirectories: false)
        _ = try PlanDirectory(path: root.path + "/locked/plan").write(writer)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: root.path + "/locked")
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path + "/locked")
        }
        if geteuid() != 0 {  // root may write anyway
            let denied = try #require(throws: ScriptError.self) {
                try PlanDirectory(path: root.path + "/locked/plan").write(writer)
            }
            #expect(denied.code == .io)
            #expect(try entries(root.path + "/locked") == ["plan"])
        }
    }
}
