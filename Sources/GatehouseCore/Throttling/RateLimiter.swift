public import Foundation
import Synchronization

/// Counts requests per key in fixed windows (`throttle_anon`, `throttle_user`).
///
/// Like DRF's default cache, the counts are per instance: N instances admit up to N times
/// the rate in total. That is what a SimpleJWT deployment with several workers does too.
public final class RateLimiter: Sendable {
    private struct Window {
        var start: Int
        var hits: Int
    }

    private let windows = Mutex<(entries: [String: Window], calls: Int)>(([:], 0))

    public init() {}

    /// Counts one request for `key`.
    /// - Returns: `nil` when admitted, else the seconds until the window ends (`Retry-After`).
    public func admit(_ key: String, rate: ThrottleRate, now: Date = Date()) -> Int? {
        let second = Int(now.timeIntervalSince1970)
        let start = second - second % rate.period
        return self.windows.withLock { state -> Int? in
            state.calls += 1
            if state.calls % 10_000 == 0 {
                // Forget windows that ended, so the table cannot grow without bound.
                state.entries = state.entries.filter { second - $0.value.start < 86_400 }
            }
            var window = state.entries[key] ?? Window(start: start, hits: 0)
            if window.start != start { window = Window(start: start, hits: 0) }
            guard window.hits < rate.requests else {
                return max(1, start + rate.period - second)
            }
            window.hits += 1
            state.entries[key] = window
            return nil
        }
    }
}
