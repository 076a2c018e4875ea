import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import Foundation
import Testing

@Suite struct ReportPageTests {
    static func page(_ history: RunHistory, plan: PlannedRun? = nil, reason: String? = nil) async -> String {
        let statistics = await RunStatistics(history, plan: plan)
        let failures = [
            ReportPage.Failure(
                job: "b", state: "failed", attempt: 1, host: "h1", reason: reason, lastStderrLine: "</script>")
        ]
        return String(
            decoding: ReportPage(history: history, statistics: statistics, plan: plan, failures: failures).bytes(),
            as: UTF8.self)
    }

    @Test("the page is self-contained: a policy forbidding fetches, no external resources, data that parses")
    func selfContained() async throws {
        let html = await Self.page(Histories.diamond(), plan: Histories.diamondPlan())
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

    @Test("counts of one read in the singular on the page: one lane, one attempt, one job failed")
    func singularCounts() async throws {
        let history = RunHistory(
            namespace: "one", now: Histories.t0 + 10, jobs: [Histories.job("a", state: .failed)],
            attempts: [Histories.attempt(0, 1, on: "h1", from: 0, to: 1, .failed, exit: 1)])
        let statistics = await RunStatistics(history, plan: nil)
        let failure = ReportPage.Failure(
            job: "a", state: "failed", attempt: 1, host: "h1", reason: "exited with status 1", lastStderrLine: nil)
        func html(failures: Int) -> String {
            let page = ReportPage(
                history: history, statistics: statistics, plan: nil,
                failures: Array(repeating: failure, count: failures))
            return String(decoding: page.bytes(), as: UTF8.self)
        }
        let one = html(failures: 1)
        #expect(one.contains(#""failureNote":"1 job failed, was interrupted or was lost.""#))
        #expect(one.contains(", 0 retries"))
        #expect(one.contains(" of 1 lane\""))
        #expect(one.contains("\"1 attempt, "))
        for plural in ["1 jobs", "1 lanes", "1 attempts", "1 hosts"] { #expect(!one.contains(plural), "\(plural)") }
        #expect(html(failures: 0).contains(#""failureNote":"No job failed, was interrupted or was lost.""#))
        let limit = ReportPage.failureLimit
        #expect(
            html(failures: limit + 1).contains(
                "\"failureNote\":\"\(limit + 1) jobs failed, were interrupted or were lost; the first \(limit) are "
                    + "listed (all of them: clustmake status --json).\""))
    }

    @Test("text from the run cannot end the data's script element or inject markup")
    func escaping() async {
        let html = await Self.page(Histories.diamond(), reason: "<!-- </script><script>alert(1)</script>")
        let scripts = html.components(separatedBy: "</script>").count - 1
        #expect(scripts == 2)
        #expect(!html.contains("<script>alert"))
    }
}
