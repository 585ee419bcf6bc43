/// Reading `/metrics` (Prometheus' text format) in tests.
public enum PrometheusText {
    /// The value of the sample `name` without labels, or `nil` when `text` has none.
    public static func value(of name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
    }
}
