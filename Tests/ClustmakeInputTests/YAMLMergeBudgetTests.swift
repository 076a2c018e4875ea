import ClustmakeModel
import Testing

@testable import ClustmakeInput

@Suite struct YAMLMergeBudgetTests {
    @Test("a chain of merges that copies more keys than the budget is refused at the mapping that passes it")
    func budget() throws {
        var text = "l0: &l0 {k0: 0}\n"
        for level in 1...20 {
            text += "l\(level): &l\(level) {<<: *l\(level - 1), k\(level): \(level)}\n"
        }
        // Levels 1…20 copy 1 + 2 + … + 20 = 210 keys.
        _ = try YAMLNode.parse(text, file: "chain.yaml", mergeBudget: 210)
        let error = try #require(throws: InputError.self) {
            try YAMLNode.parse(text, file: "chain.yaml", mergeBudget: 209)
        }
        #expect(error.code == .invalidValue && error.message.contains("copy more than"), "\(error)")
        // The mapping begins at its anchor, `&l20`.
        #expect(error.line == 21 && error.column == 6, "\(error)")
    }
}
