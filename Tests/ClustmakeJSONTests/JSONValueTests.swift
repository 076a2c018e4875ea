import ClustmakeJSON
import PropertyBased
import Testing

@Suite struct JSONValueTests {
    @Test("literals build the matching cases")
    func literals() {
        let value: JSONValue = ["n": nil, "b": true, "i": 42, "d": 1.5, "s": "x", "a": [1, "two"], "o": ["k": false]]
        #expect(value["n"] == .null)
        #expect(value["b"] == .bool(true))
        #expect(value["i"] == .int(42))
        #expect(value["d"] == .double(1.5))
        #expect(value["s"] == .string("x"))
        #expect(value["a"] == .array([.int(1), .string("two")]))
        #expect(value["o"]?["k"] == .bool(false))
        #expect(value.objectValue?.keys == ["n", "b", "i", "d", "s", "a", "o"])
    }

    @Test("accessors return the payload for their kind and nil otherwise")
    func accessors() {
        let values: [JSONValue] = [nil, true, 7, 2.5, "s", [1], ["k": 1]]
        #expect(values.map(\.kind) == [.null, .bool, .int, .double, .string, .array, .object])
        #expect(values.map(\.isNull) == [true, false, false, false, false, false, false])
        #expect(values.map(\.boolValue) == [nil, true, nil, nil, nil, nil, nil])
        #expect(values.map(\.intValue) == [nil, nil, 7, nil, nil, nil, nil])
        #expect(values.map(\.doubleValue) == [nil, nil, 7.0, 2.5, nil, nil, nil])
        #expect(values.map(\.stringValue) == [nil, nil, nil, nil, "s", nil, nil])
        #expect(values.map { $0.arrayValue != nil } == [false, false, false, false, false, true, false])
        #expect(values.map { $0.objectValue != nil } == [false, false, false, false, false, false, true])
    }

    @Test("subscripts give nil for the wrong kind, a missing key or an index out of bounds")
    func subscripts() {
        let value: JSONValue = ["list": [10, 20], "none": nil]
        #expect(value["list"]?[1] == 20)
        #expect(value["list"]?[2] == nil)
        #expect(value["list"]?[-1] == nil)
        #expect(value["missing"] == nil)
        #expect(value["none"] == .null)
        #expect(value[0] == nil)
        #expect(JSONValue.string("x")["key"] == nil)
    }

    @Test("integers and reals with the same magnitude are different values")
    func intIsNotDouble() {
        #expect(JSONValue.int(1) != JSONValue.double(1))
        #expect(JSONValue.int(1).doubleValue == JSONValue.double(1).doubleValue)
    }

    @Test("description is compact JSON")
    func description() {
        let value: JSONValue = ["a": [1, true, nil], "b": "q\""]
        #expect(value.description == #"{"a":[1,true,null],"b":"q\""}"#)
    }
}

@Suite struct JSONObjectTests {
    @Test("members keep insertion order; replacing keeps the position, removing closes the gap")
    func order() {
        var object: JSONObject = ["b": 1, "a": 2, "c": 3]
        object["a"] = 20
        object["d"] = 4
        #expect(object.keys == ["b", "a", "c", "d"])
        #expect(object.values == [1, 20, 3, 4])
        #expect(object.removeValue(forKey: "a") == 20)
        object["a"] = 5
        #expect(object.keys == ["b", "c", "d", "a"])
        #expect(object.map(\.key) == ["b", "c", "d", "a"])
        #expect(object[1].key == "c")
        #expect(object.index(forKey: "d") == 2)
    }

    @Test("assigning nil removes a member; assigning .null stores null")
    func nilVersusNull() {
        var object: JSONObject = ["a": 1]
        object["a"] = .null
        #expect(object["a"] == .null)
        #expect(object.count == 1)
        object["a"] = nil
        #expect(object.isEmpty)
    }

    @Test("keys are compared byte for byte, so canonically equivalent spellings are distinct keys")
    func byteKeys() throws {
        var object = JSONObject()
        object["\u{E9}"] = 1
        object["e\u{301}"] = 2
        #expect(object.count == 2)
        #expect(object["\u{E9}"] == 1)
        #expect(object["e\u{301}"] == 2)
        let parsed = try JSONValue.parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
        #expect(parsed.objectValue?.count == 2)
    }

    @Test("equality and hashing ignore member order")
    func unorderedEquality() {
        let a: JSONObject = ["x": 1, "y": [2, 3]]
        let b: JSONObject = ["y": [2, 3], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1, "y": [3, 2]])
        #expect(a != ["x": 1])
        #expect(Set<JSONValue>([.object(a), .object(b)]).count == 1)
    }

    @Test("small and large objects behave like a list of pairs", arguments: [3, 8, 9, 40])
    func modelCheck(size: Int) async {
        let operations = zip(Gen.int(in: 0..<size), Gen.int(in: 0...3)).array(of: 0...120)
        await propertyCheck(input: operations) { operations in
            var object = JSONObject()
            var model: [(String, Int64)] = []
            for (keyNumber, operation) in operations {
                let key = "k\(keyNumber)"
                let position = model.firstIndex { $0.0 == key }
                if operation == 0 {
                    object[key] = nil
                    if let position { model.remove(at: position) }
                } else {
                    object[key] = .int(Int64(operation * 100 + keyNumber))
                    if let position {
                        model[position].1 = Int64(operation * 100 + keyNumber)
                    } else {
                        model.append((key, Int64(operation * 100 + keyNumber)))
                    }
                }
                #expect(object.keys == model.map(\.0))
            }
            #expect(object.values == model.map { .int($0.1) })
            for (key, value) in model { #expect(object[key] == .int(value)) }
            #expect(object["absent"] == nil)
        }
    }
}
