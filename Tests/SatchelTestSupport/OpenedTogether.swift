import Dispatch
import Synchronization

/// Runs `open` `count` times at once, each on its own thread (as processes starting together would), and returns the
/// errors they threw, described.
public func failuresOfOpeningTogether(_ count: Int, _ open: @Sendable () throws -> Void) -> [String] {
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: count) { _ in
        do {
            try open()
        } catch {
            failures.withLock { $0.append("\(error)") }
        }
    }
    return failures.withLock { $0 }
}
