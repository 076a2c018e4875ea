import Foundation
import Testing

@testable import ClustmakeCollector

@Suite struct ReportTemplateTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("templates")

    @Test(
        "the embedded report files are templates/report.html, .css and .js (run templates/embed.sh after editing them)",
        arguments: ["html", "css", "js"])
    func embeddedMatchFiles(extension name: String) throws {
        let path = Self.templates.appendingPathComponent("report." + name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let embedded = ["html": ReportFiles.html, "css": ReportFiles.css, "js": ReportFiles.js][name]
        #expect(embedded == text, "\(path) differs from its embedded copy")
    }

    @Test("the skeleton has the title twice and the style, the data and the script once, and no other placeholder")
    func placeholders() {
        let names = ReportTemplate.skeleton.compactMap { piece -> Substring? in
            if case .placeholder(let name) = piece { return name } else { return nil }
        }
        #expect(names == ["title", "style", "title", "data", "script"])
    }

    @Test("head and tail are the skeleton around the data, with the style and the script in their places")
    func assembled() {
        let head = ReportTemplate.head(title: "T &amp; U")
        #expect(head.hasPrefix("<!DOCTYPE html>\n"))
        #expect(head.contains("<title>T &amp; U</title>\n<style>\n" + ReportFiles.css + "</style>\n"))
        #expect(head.hasSuffix("<script id=\"data\" type=\"application/json\">"))
        #expect(ReportTemplate.tail == "\n</script>\n<script>\n" + ReportFiles.js + "</script>\n</body>\n</html>\n")
        #expect(!head.contains("{{{") && !ReportTemplate.tail.contains("{{{"))
    }

    @Test("text around a placeholder is kept as it is, and an unknown placeholder is left in the text")
    func pieces() {
        let pieces = ReportTemplate.pieces(of: "a{{{title}}}b{{{other}}}{{c")
        #expect(pieces == [.text("a"), .placeholder("title"), .text("b"), .placeholder("other"), .text("{{c")])
        #expect(ReportTemplate.render(pieces, title: "T") == "aTb{{{other}}}{{c")
    }
}

extension ReportTemplateTests {
    @Test("the style sheet is well formed: rules of a selector and `name: value;` declarations, braces balanced")
    func styleSheet() {
        var problems: [String] = []
        var rest = ReportFiles.css[...]
        func trimmed(_ text: Substring) -> Substring {
            guard let first = text.firstIndex(where: { !$0.isWhitespace }),
                let last = text.lastIndex(where: { !$0.isWhitespace })
            else { return "" }
            return text[first...last]
        }
        while let open = rest.firstIndex(of: "{") {
            let selector = trimmed(rest[..<open])
            if selector.isEmpty || selector.contains(where: { "};".contains($0) }) {
                problems.append("bad selector '\(selector)'")
            }
            guard let close = rest[open...].firstIndex(of: "}") else {
                problems.append("'\(selector)' is not closed")
                break
            }
            let block = rest[rest.index(after: open)..<close]
            if block.contains("{") { problems.append("'\(selector)' opens a block inside its block") }
            for declaration in block.split(separator: ";") where !trimmed(declaration).isEmpty {
                let parts = declaration.split(separator: ":", maxSplits: 1)
                let name = parts.first.map(trimmed) ?? ""
                let isName = !name.isEmpty && name.allSatisfy { $0 == "-" || ($0.isLetter && $0.isLowercase) }
                if parts.count != 2 || !isName || trimmed(parts[1]).isEmpty {
                    problems.append("'\(selector)': bad declaration '\(trimmed(declaration))'")
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        if !trimmed(rest).isEmpty { problems.append("text after the last rule: '\(trimmed(rest))'") }
        #expect(problems.isEmpty, "templates/report.css: \(problems.joined(separator: "; "))")
    }
}
