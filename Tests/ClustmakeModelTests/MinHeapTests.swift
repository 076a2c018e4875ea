import ClustmakeModel
import PropertyBased
import Testing

@Suite struct MinHeapTests {
    /// A key with many ties and the index that breaks them, as the planner's and the scheduler's entries are.
    struct Entry: Comparable {
        var key: Double
        var index: Int
        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.key < rhs.key || (lhs.key == rhs.key && lhs.index < rhs.index)
        }
    }

    @Test("an empty heap has nothing to peek at or pop")
    func empty() {
        var heap = MinHeap<Int>()
        #expect(heap.isEmpty)
        #expect(heap.count == 0)
        #expect(heap.peek == nil)
        #expect(heap.pop() == nil)
    }

    @Test("pushed integers come out sorted, repeats included")
    func sortsIntegers() async {
        await propertyCheck(input: Gen.int(in: -50...50).array(of: 0...200)) { values in
            var heap = MinHeap<Int>(capacity: values.count)
            for value in values { heap.push(value) }
            #expect(heap.count == values.count)
            var popped: [Int] = []
            while let value = heap.pop() { popped.append(value) }
            #expect(popped == values.sorted())
            #expect(heap.isEmpty)
        }
    }

    @Test("pushes and pops interleaved always pop the smallest element held, and peek shows it")
    func interleaved() async {
        await propertyCheck(input: Gen.int(in: -1...30).array(of: 0...300)) { operations in
            // -1 pops; anything else pushes an entry whose key ties often.
            var heap = MinHeap<Entry>()
            var held: [Entry] = []
            for (index, operation) in operations.enumerated() {
                if operation < 0 {
                    let smallest = held.min()
                    #expect(heap.peek == smallest)
                    #expect(heap.pop() == smallest)
                    if let smallest { held.remove(at: held.firstIndex(of: smallest)!) }
                } else {
                    let entry = Entry(key: Double(operation % 7), index: index)
                    heap.push(entry)
                    held.append(entry)
                }
                #expect(heap.count == held.count)
                #expect(heap.peek == held.min())
            }
        }
    }

    @Test("the order entries come out in does not depend on the order they went in")
    func orderIndependent() async {
        await propertyCheck(input: Gen.int(in: 0...5).array(of: 0...100), Gen.int(in: 0...1000)) { keys, seed in
            let entries = keys.enumerated().map { Entry(key: Double($0.element), index: $0.offset) }
            var random = SplitMix(seed: UInt64(seed))
            var forward = MinHeap<Entry>()
            var shuffled = MinHeap<Entry>()
            for entry in entries { forward.push(entry) }
            for entry in entries.shuffled(using: &random) { shuffled.push(entry) }
            while let entry = forward.pop() { #expect(shuffled.pop() == entry) }
            #expect(shuffled.isEmpty)
        }
    }

    @Test("removeAll empties the heap and it can be filled again")
    func removeAll() {
        var heap = MinHeap<Int>(capacity: 4)
        for value in [3, 1, 2] { heap.push(value) }
        heap.removeAll()
        #expect(heap.isEmpty)
        heap.push(5)
        heap.push(4)
        #expect(heap.pop() == 4)
        #expect(heap.pop() == 5)
    }
}
