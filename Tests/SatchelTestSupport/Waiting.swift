/// Waits until `condition` holds, looking every 20 ms, or until `deadline`, which only ends a test that would
/// otherwise hang; returns whether it held.
public func wait(until deadline: ContinuousClock.Instant, _ condition: () -> Bool) async -> Bool {
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
