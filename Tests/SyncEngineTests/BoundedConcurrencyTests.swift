import Testing

@testable import SyncEngine

@Suite("BoundedConcurrency: a sliding window that opens connections only when they are worth it")
struct BoundedConcurrencyTests {
    /// What the bodies saw: when each started, how many ran (itself included) and how many had ended.
    actor Observer {
        var running = 0
        var started = 0
        var ended = 0
        var starts: [(index: Int, running: Int, ended: Int)] = []
        var peak = 0

        func start(_ index: Int) {
            running += 1
            started += 1
            peak = max(peak, running)
            starts.append((index, running, ended))
        }

        func end() {
            running -= 1
            ended += 1
        }
    }

    @Test("over HTTP/1.1 the window starts at the connections open and grows by at most one with each body that ends, never past the limit; results keep the items' order")
    func growsFromTheOpenConnections() async throws {
        for opened in [1, 3] {
            let observer = Observer()
            let items = Array(0..<200)
            let results = try await BoundedConcurrency.map(items, limit: 8, opened: opened) { item in
                await observer.start(item)
                for _ in 0..<(item % 5) { await Task.yield() }
                await observer.end()
                return item * 2
            }
            #expect(results == items.map { $0 * 2 })
            let starts = await observer.starts
            #expect(starts.count == 200)
            for start in starts {
                #expect(start.running <= min(8, opened + start.ended), "item \(start.index): \(start.running) running after \(start.ended) ended")
            }
            #expect(await observer.peak <= 8)
        }
    }

    @Test("a change of four objects or fewer goes over one connection: one request at a time")
    func fewItemsOneAtATime() async throws {
        for count in 1...4 {
            let observer = Observer()
            _ = try await BoundedConcurrency.map(Array(0..<count), limit: 16, opened: 1) { item in
                await observer.start(item)
                await Task.yield()
                await observer.end()
                return item
            }
            #expect(await observer.peak == 1, "\(count) items")
        }
    }

    /// Holds each arrival until `needed` have arrived (true), or until ``giveUp()`` (false).
    actor Gate {
        let needed: Int
        var arrived = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []

        init(needed: Int) {
            self.needed = needed
        }

        func arrive() async -> Bool {
            arrived += 1
            if arrived >= needed {
                for waiter in waiting { waiter.resume(returning: true) }
                waiting = []
                return true
            }
            return await withCheckedContinuation { waiting.append($0) }
        }

        func giveUp() {
            for waiter in waiting { waiter.resume(returning: false) }
            waiting = []
        }
    }

    @Test("a server that multiplexes gets the whole limit at once")
    func multiplexedRunsAllAtOnce() async throws {
        // Each body waits until all eight have started: only possible when all run at once.
        let gate = Gate(needed: 8)
        let deadline = Task {
            try await Task.sleep(for: .seconds(60))
            await gate.giveUp()
        }
        let together = try await BoundedConcurrency.map(Array(0..<8), limit: 8, opened: nil) { _ in await gate.arrive() }
        deadline.cancel()
        #expect(together == Array(repeating: true, count: 8))
    }

    @Test("Window: grows by one only while the requests waiting exceed 2·size·(size+1), up to the limit; starts at the connections open")
    func window() {
        var window = BoundedConcurrency.Window(limit: 3)
        #expect(window.size == 1)
        window.ended(waiting: 4)
        #expect(window.size == 1, "four left: cheaper on the one connection")
        window.ended(waiting: 5)
        #expect(window.size == 2)
        window.ended(waiting: 12)
        #expect(window.size == 2)
        window.ended(waiting: 13)
        #expect(window.size == 3)
        window.ended(waiting: 1_000)
        #expect(window.size == 3, "never past the limit")
        #expect(BoundedConcurrency.Window(limit: 16, opened: nil).size == 16)
        #expect(BoundedConcurrency.Window(limit: 16, opened: 5).size == 5)
        #expect(BoundedConcurrency.Window(limit: 16, opened: 0).size == 1)
        #expect(BoundedConcurrency.Window(limit: 0, opened: nil).size == 1)
    }

    @Test("the first error cancels the rest and is thrown")
    func firstError() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await BoundedConcurrency.map(Array(0..<50), limit: 4, opened: 1) { item -> Int in
                if item == 3 { throw Refused() }
                return item
            }
        }
    }
}
