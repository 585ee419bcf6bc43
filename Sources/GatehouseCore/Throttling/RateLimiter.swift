public import Foundation
import Synchronization

/// Counts requests per key in fixed windows, in this process only: the fallback of
/// ``SharedThrottle`` while the database is away, and the failed-login burst detector.
///
/// Keys are hashes (``ThrottleKey``); windows that ended are swept as time moves on, and at
/// most ``capacity`` keys are counted at once: past that a new key is admitted uncounted
/// rather than growing the map.
public final class RateLimiter: Sendable {
    private struct Window {
        var start: Int
        var period: Int
        var hits: Int
    }

    private struct State {
        var windows: [ThrottleKey: Window] = [:]
        var sweptAt = 0
    }

    /// The most keys counted at once.
    public static let capacity = 100_000

    private let state = Mutex(State())

    public init() {}

    /// Counts one request for `key`.
    /// - Returns: `nil` when admitted, else the seconds until the window ends (`Retry-After`).
    public func admit(_ key: ThrottleKey, rate: ThrottleRate, now: Date) -> Int? {
        let second = Int(now.timeIntervalSince1970)
        let start = second - second % rate.period
        return self.state.withLock { state -> Int? in
            if state.sweptAt != second {
                state.sweptAt = second
                state.windows = state.windows.filter { $0.value.start + $0.value.period > second }
            }
            var window = state.windows[key] ?? Window(start: start, period: rate.period, hits: 0)
            if window.start != start { window = Window(start: start, period: rate.period, hits: 0) }
            guard window.hits < rate.requests else {
                return max(1, start + rate.period - second)
            }
            window.hits += 1
            if state.windows[key] != nil || state.windows.count < Self.capacity {
                state.windows[key] = window
            }
            return nil
        }
    }
}
