/// The markup, style and script of the report page (``ReportPage``): `templates/report.html` with
/// `templates/report.css` and `templates/report.js` put in its place, built into the binary (``ReportFiles``).
///
/// The page fetches nothing: its content security policy allows only its own inline style and script. The script
/// reads the data from the `<script id="data">` element, fills the tables, and draws each timeline on a canvas:
/// one rectangle per attempt, drawn colour by colour, with the critical path as a thin line along the top of its
/// bars; the wheel zooms, dragging pans, hovering shows an attempt's details, and both timelines share one time
/// axis. When it is done it sets
/// `data-rendered="ok"` on `<body>` (and `data-errors` on any error), which the tests read in headless Chromium.
///
/// The skeleton names what goes where as `{{{title}}}` (the HTML-escaped title), `{{{style}}}`, `{{{script}}}` (the
/// style sheet and the script, without their files' final newline) and `{{{data}}}` (the page's JSON, written
/// between ``head(title:)`` and ``tail``).
enum ReportTemplate {
    /// A piece of the skeleton: text as it is, or the name of what replaces a placeholder.
    enum Piece: Equatable {
        case text(Substring)
        case placeholder(Substring)
    }

    /// `templates/report.html` cut at its placeholders.
    static let skeleton = pieces(of: ReportFiles.html)

    /// Everything before the data, with the (HTML-escaped) title.
    static func head(title: String) -> String {
        render(skeleton.prefix { $0 != .placeholder("data") }, title: title)
    }

    /// Everything after the data.
    static let tail = render(skeleton.drop { $0 != .placeholder("data") }.dropFirst(), title: "")

    /// `text` cut into text and `{{{name}}}` placeholders.
    static func pieces(of text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = text[...]
        while let open = rest.firstRange(of: "{{{"), let close = rest[open.upperBound...].firstRange(of: "}}}") {
            pieces.append(.text(rest[..<open.lowerBound]))
            pieces.append(.placeholder(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        pieces.append(.text(rest))
        return pieces
    }

    /// The pieces as text, their placeholders filled.
    static func render(_ pieces: some Sequence<Piece>, title: String) -> String {
        var page = ""
        for piece in pieces {
            switch piece {
            case .text(let text): page += text
            case .placeholder("title"): page += title
            case .placeholder("style"): page += ReportFiles.css.dropLast()
            case .placeholder("script"): page += ReportFiles.js.dropLast()
            case .placeholder(let name): page += "{{{\(name)}}}"
            }
        }
        return page
    }
}
