import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import Foundation
import Testing

@Suite struct ReportPageTests {
    static func page(_ history: RunHistory, plan: PlannedRun? = nil, reason: String? = nil) -> String {
        let statistics = RunStatistics(history, plan: plan)
        let failures = [
            ReportPage.Failure(
                job: "b", state: "failed", attempt: 1, host: "h1", reason: reason, lastStderrLine: "</script>")
        ]
        return String(
            decoding: ReportPage(history: history, statistics: statistics, plan: plan, failures: failures).bytes(),
            as: UTF8.self)
    }

    @Test("the page is self-contained: a policy forbidding fetches, no external resources, data that parses")
    func selfContained() throws {
        let html = Self.page(Histories.diamond(), plan: Histories.diamondPlan())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"))
        for forbidden in ["src=", "href=", "http://", "https://", "@import", "url("] {
            #expect(!html.contains(forbidden), "the page mentions \(forbidden)")
        }
        let start = try #require(html.range(of: "<script id=\"data\" type=\"application/json\">"))
        let end = try #require(html.range(of: "\n</script>", range: start.upperBound..<html.endIndex))
        let data = try JSONValue.parse(String(html[start.upperBound..<end.lowerBound]))
        #expect(data["rows"]?.arrayValue?.map { $0.stringValue ?? "" } == ["h1/0", "h2/0"])
        #expect(data["attempts"]?["start"]?.arrayValue?.count == 6)
        #expect(data["critical"]?.arrayValue?.count == 4)
        #expect(data["planned"]?["rows"]?.arrayValue?.count == 3)
        #expect(data["failures"]?[0]?["stderr"]?.stringValue == "</script>")
    }

    @Test("text from the run cannot end the data's script element or inject markup")
    func escaping() {
        let html = Self.page(Histories.diamond(), reason: "<!-- </script><script>alert(1)</script>")
        let scripts = html.components(separatedBy: "</script>").count - 1
        #expect(scripts == 2)
        #expect(!html.contains("<script>alert"))
    }
}
