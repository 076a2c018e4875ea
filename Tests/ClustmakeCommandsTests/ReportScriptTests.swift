import Foundation
import Testing

@Suite struct ReportScriptTests {
    @Test("templates/report.js, the report page's script, passes node --check")
    func syntax() throws {
        let node = try Tool.path("node", package: "nodejs")
        let script = CLI.repositoryRoot.appendingPathComponent("templates/report.js").path
        let result = try Tool.run(node, ["--check", script])
        #expect(result.status == 0, "node --check \(script): \(result.stderr)")
    }
}
