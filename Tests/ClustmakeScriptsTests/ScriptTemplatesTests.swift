import ClustmakeInput
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Foundation
import Testing

@Suite struct ScriptTemplatesTests {
    @Test("the embedded templates are the files in templates/ (run templates/embed.sh after editing them)")
    func embeddedMatchFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryTemplates)
            .filter { $0.hasSuffix(".mustache") }.sorted()
        #expect(names == ScriptTemplates.requiredFileNames.sorted())
        let fromFiles = try ScriptTemplates(overridingWith: repositoryTemplates)
        for name in names {
            #expect(fromFiles.origins[name] == repositoryTemplates + "/" + name)
        }
        let plan = try Plans.small()
        let builtIn = try ScriptWriter(plan: plan)
        let files = try ScriptWriter(plan: plan, templates: fromFiles)
        #expect(builtIn.runAllScript() == files.runAllScript())
        for host in plan.cluster.hosts.indices {
            #expect(try builtIn.hostScript(host) == files.hostScript(host))
        }
        // And the exact text, so that a change that renders alike is noticed too.
        for name in names {
            let text = try String(contentsOfFile: repositoryTemplates + "/" + name, encoding: .utf8)
            #expect(ScriptTemplates.builtInText(name) == text, "\(name) differs from its embedded copy")
        }
    }

    @Test("a template in the user's directory replaces the built-in one of the same name")
    func override() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "#!/bin/sh\n# custom run-all for {{hostCount}} hosts in {{{namespace}}}: it's mine\n{{#hosts}}sh hosts/{{{scriptFileWord}}}\n{{/hosts}}",
            to: "run-all.sh.mustache")
        try directory.write("not a template", to: "notes.txt")
        let templates = try ScriptTemplates(overridingWith: directory.path)
        #expect(templates.origins["run-all.sh.mustache"] == directory.path + "/run-all.sh.mustache")
        #expect(templates.origins["host.sh.mustache"] == "built-in")
        let writer = try ScriptWriter(plan: try Plans.small(), templates: templates)
        #expect(
            String(decoding: writer.runAllScript(), as: UTF8.self)
                == "#!/bin/sh\n# custom run-all for 3 hosts in demo: it's mine\nsh hosts/nessa.sh\nsh hosts/lab2.sh\nsh hosts/spare.sh\n"
        )
    }

    @Test("a user's job template changes every job line; partials from the directory can be used")
    func jobTemplateAndPartial() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "    {{>prefix}}{{{command}}} || failed {{{job}}} $? # {{{order}}}\n", to: "job.sh.mustache")
        try directory.write("echo start {{{job}}}; ", to: "prefix.mustache")
        let writer = try ScriptWriter(
            plan: try Plans.small(), templates: ScriptTemplates(overridingWith: directory.path))
        let script = String(decoding: try writer.hostScript(0), as: UTF8.self)
        #expect(script.contains("    echo start prepare; ssh -n "))
        #expect(script.contains(" make_single more=False wait=86400 -- prepare || failed prepare $? # 0\n"))
    }

    @Test("every value a custom template gets is one shell word, even a hostile destination or worker")
    func hostileValuesAreQuoted() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            """
            #!/bin/sh
            # {{{host}}} at {{{destination}}} runs {{{worker}}}
            printf '%s\\n' {{{destination}}} {{{worker}}} {{{namespace}}} {{{hostWord}}}
            {{#slots}}
            slot_{{{index}}}() {
            {{{jobLines}}}
            }
            {{/slots}}

            """, to: "host.sh.mustache")
        let destination = "x$(touch pwned)`touch pwned`;touch pwned"
        let worker = "/opt/my tools/$(touch pwned)/it's `id` \"compmake\" *"
        let plan = try Plans.small().changingCluster { cluster in
            cluster.hosts[0].address = destination
            cluster.hosts[0].username = "al'ice"
            cluster.hosts[0].worker = worker
        }
        let writer = try ScriptWriter(plan: plan, templates: ScriptTemplates(overridingWith: directory.path))
        try directory.write(String(decoding: try writer.hostScript(0), as: UTF8.self), to: "host.sh")
        let syntax = try Shell.run(["sh", "-n", directory.path + "/host.sh"])
        #expect(syntax.status == 0, "\(syntax.stderr)")
        let run = try Shell.run(["sh", directory.path + "/host.sh"], directory: directory.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                == ["al'ice@" + destination, worker, "demo", "nessa", ""], "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/pwned"))
    }

    @Test("a template that does not parse is reported with its file, line and column")
    func brokenTemplate() throws {
        let directory = try TemporaryDirectory()
        try directory.write("#!/bin/sh\n# fine\n{{#slots}}\necho {{index}}\n", to: "host.sh.mustache")
        let error = try #require(throws: ScriptError.self) {
            try ScriptTemplates(overridingWith: directory.path)
        }
        #expect(error.code == .templateSyntax)
        #expect(error.file == directory.path + "/host.sh.mustache")
        #expect(error.line == 5)
        #expect(error.description.contains("host.sh.mustache:5:"))
        #expect(error.description.contains("never closed"))

        try directory.write("#!/bin/sh\n{{#hosts}}\n{{/slots}}\n", to: "host.sh.mustache")
        let mismatch = try #require(throws: ScriptError.self) {
            try ScriptTemplates(overridingWith: directory.path)
        }
        #expect(mismatch.line == 3)
        #expect(mismatch.column != nil)
    }

    @Test("an unreadable template directory or a non-UTF-8 template is reported")
    func unreadable() throws {
        let missing = try #require(throws: ScriptError.self) {
            try ScriptTemplates(overridingWith: "/nonexistent/templates")
        }
        #expect(missing.code == .templateUnreadable)
        #expect(missing.file == "/nonexistent/templates")
        #expect(missing.cause?.contains("No such file") == true)

        let directory = try TemporaryDirectory()
        try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: directory.path + "/job.sh.mustache"))
        let binary = try #require(throws: ScriptError.self) {
            try ScriptTemplates(overridingWith: directory.path)
        }
        #expect(binary.code == .templateUnreadable)
    }

    @Test("a host template without a slot's job lines, or a job template without the command, is refused")
    func incompleteTemplates() throws {
        let directory = try TemporaryDirectory()
        try directory.write("#!/bin/sh\n{{#slots}}\n# slot {{index}}\n{{/slots}}\n", to: "host.sh.mustache")
        let writer = try ScriptWriter(
            plan: try Plans.small(), templates: ScriptTemplates(overridingWith: directory.path))
        let error = try #require(throws: ScriptError.self) { try writer.hostScript(0) }
        #expect(error.code == .templateIncomplete)
        #expect(error.message.contains("leaves out the job lines of slot 0"))

        try directory.write("#!/bin/sh\n{{#slots}}{{{jobLines}}}\n{{{jobLines}}}\n{{/slots}}\n", to: "host.sh.mustache")
        let twice = try ScriptWriter(
            plan: try Plans.small(), templates: ScriptTemplates(overridingWith: directory.path))
        #expect(throws: ScriptError.self) { try twice.hostScript(0) }

        let jobs = try TemporaryDirectory()
        try jobs.write("    run {{{job}}}\n", to: "job.sh.mustache")
        let noCommand = try ScriptWriter(plan: try Plans.small(), templates: ScriptTemplates(overridingWith: jobs.path))
        let missing = try #require(throws: ScriptError.self) { try noCommand.hostScript(0) }
        #expect(missing.code == .templateIncomplete)
        #expect(missing.file == jobs.path + "/job.sh.mustache")
    }

    @Test("values are never HTML-escaped, even with double mustaches")
    func noEscaping() throws {
        let directory = try TemporaryDirectory()
        try directory.write("    {{command}} || failed {{job}} $?\n", to: "job.sh.mustache")
        let renamed = try Plans.small().changingCluster { $0.hosts[0].worker = "/opt/a&b/<it's>/\"compmake\"" }
        let writer = try ScriptWriter(plan: renamed, templates: ScriptTemplates(overridingWith: directory.path))
        let line = JobLine(plan: renamed, job: 0, settings: writer.settings).shellLine
        #expect(line.contains("&"))
        #expect(
            String(decoding: try writer.hostScript(0), as: UTF8.self).contains("    \(line) || failed prepare $?\n"))
    }
}
