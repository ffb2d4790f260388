/// Many small requests to one API server, at most so many at once: the dry runs of a sync, its
/// applies, a plan's reads of live objects.
enum BoundedConcurrency {
    /// `body` of every item, at most `limit` running at once in one sliding window (the next starts
    /// as soon as any ends, never waiting for the slowest of a batch), results in the items' order.
    /// The first error thrown cancels the rest and is rethrown.
    static func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        guard !items.isEmpty else { return [] }
        return try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                guard next < items.count else { return }
                let index = next
                let item = items[index]
                next += 1
                group.addTask { (index, try await body(item)) }
            }
            for _ in 0..<max(1, limit) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
            }
            return results.compactMap { $0 }
        }
    }
}
