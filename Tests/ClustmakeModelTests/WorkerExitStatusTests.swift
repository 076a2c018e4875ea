import ClustmakeModel
import Foundation
import Testing

/// `WorkerExitStatus` against docs/worker.md's exit-status table, so the two cannot drift.
@Suite struct WorkerExitStatusTests {
    /// The rows of the table under "## Exit status", each as its cells.
    static let documentRows: [[String]] = {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        let path =
            realpath(#filePath, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : #filePath
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent("docs/worker.md"), encoding: .utf8)) ?? ""
        guard let section = text.components(separatedBy: "\n## Exit status\n").dropFirst().first else { return [] }
        var rows: [[String]] = []
        for line in section.split(separator: "\n", omittingEmptySubsequences: false).drop(while: { !$0.hasPrefix("|") })
        {
            guard line.hasPrefix("|") else { break }
            let cells = line.dropFirst().dropLast().components(separatedBy: " | ").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            rows.append(cells)
        }
        return rows
    }()

    @Test("docs/worker.md's exit-status table has the columns the type has")
    func header() throws {
        let header = try #require(Self.documentRows.first)
        #expect(header == ["status", "name", "meaning", "kind", "an executor should"])
    }

    @Test("every row of docs/worker.md's exit-status table is the type's row, in the same order")
    func documentedTable() {
        let documented = Self.documentRows.dropFirst(2).map { $0 }
        let table = WorkerExitStatus.table.map { entry in
            [String(entry.status), entry.name, entry.meaning, entry.kind.rawValue, entry.action]
        }
        #expect(documented.count == table.count)
        for (row, expected) in zip(documented, table) {
            #expect(row == expected)
        }
    }

    @Test("every exit status of the table is distinct, and only 0, 113 and 115 are job outcomes")
    func exitStatuses() {
        let statuses = WorkerExitStatus.table.map(\.status)
        #expect(Set(statuses).count == statuses.count)
        #expect(statuses.filter(WorkerExitStatus.isJobOutcome) == [0, 113, 115])
    }

    @Test("host trouble has a note for failure reasons; a status outside the table is host trouble")
    func hostTrouble() {
        for entry in WorkerExitStatus.table {
            #expect((entry.kind == .hostTrouble) == (entry.failureNote != nil), "\(entry.status)")
        }
        #expect(WorkerExitStatus.kind(WorkerExitStatus.internalError) == .hostTrouble)
        #expect(WorkerExitStatus.kind(1) == .hostTrouble && WorkerExitStatus.kind(137) == .hostTrouble)
        #expect(WorkerExitStatus.entry(255) == nil)
        #expect(
            [116, 117, 124].allSatisfy { WorkerExitStatus.kind($0) == .notRunHere }
                && WorkerExitStatus.table.filter { $0.kind == .notRunHere }.count == 3)
    }
}
