import KubeClient

/// Many small requests to one API server, at most so many at once: the dry runs of a sync, its
/// applies, a plan's reads of live objects.
enum BoundedConcurrency {
    /// `body` of every item in one sliding window (the next starts as soon as any ends, never
    /// waiting for the slowest of a batch), results in the items' order. The first error thrown
    /// cancels the rest and is rethrown.
    ///
    /// At most `limit` run at once. `opened`: how many may run from the start, `nil` for `limit`
    /// (a server that multiplexes, HTTP/2: they share one connection). Against an HTTP/1.1 server
    /// (LocalCluster) each one in flight beyond the connections already open costs a new
    /// connection and its handshakes: give how many are open (at least one is used), and the window
    /// grows as ``Window`` says, only when what is left is worth another connection.
    static func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, opened: Int?, _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        guard !items.isEmpty else { return [] }
        return try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            var window = Window(limit: limit, opened: opened)
            var running = 0
            func fill() {
                while running < window.size, next < items.count {
                    let index = next
                    let item = items[index]
                    next += 1
                    running += 1
                    group.addTask { (index, try await body(item)) }
                }
            }
            fill()
            while let (index, result) = try await group.next() {
                results[index] = result
                running -= 1
                window.ended(waiting: items.count - next)
                fill()
            }
            return results.compactMap { $0 }
        }
    }

    /// ``map(_:limit:opened:_:)`` of requests to `client`'s server: all of `limit` at once when it
    /// multiplexes, else starting at the connections its client has open.
    static func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, over client: KubeClient, _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await map(items, limit: limit, opened: client.multiplexes ? nil : client.peakRequestsInFlight, body)
    }

    /// How many may run at once over HTTP/1.1. It starts at the connections already open (one at
    /// least) and grows by one when a request ends, only when the `waiting` requests would take
    /// longer on the `size` connections in use than on one more, counting a new connection as two
    /// round trips (TCP's handshake and TLS's) and each request as one: `waiting / size > 2 +
    /// waiting / (size + 1)`, that is `waiting > 2 · size · (size + 1)`. So a change of up to four
    /// objects is sent over one warm connection, and a thousand objects reach 16 in flight within a
    /// few round trips, as TCP's slow start would.
    struct Window: Equatable {
        let limit: Int
        private(set) var size: Int

        /// `opened`: how many from the start; `nil`: all of `limit` (the server multiplexes).
        init(limit: Int, opened: Int? = 1) {
            self.limit = max(1, limit)
            size = min(self.limit, max(1, opened ?? self.limit))
        }

        mutating func ended(waiting: Int) {
            guard size < limit, waiting > 2 * size * (size + 1) else { return }
            size += 1
        }
    }
}
