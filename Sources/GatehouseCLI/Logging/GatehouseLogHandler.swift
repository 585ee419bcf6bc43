import ArgumentParser
import Foundation
import Logging

/// Log lines on standard error, one `write` each, as JSON objects (`--log-format json`, for
/// log pipelines) or as `key=value` text (`--log-format text`, for people). Every line
/// has the time (UTC, milliseconds), the level, the logger's label and the message, then
/// the metadata; Hummingbird's `hb.request.id` is written as `request_id`.
struct GatehouseLogHandler: LogHandler {
    /// How lines are written.
    enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case json, text
    }

    let label: String
    let format: Format
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, format: Format) {
        self.label = label
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var metadata = self.metadata
        if let provided = self.metadataProvider?.get() { metadata.merge(provided) { $1 } }
        if let own = event.metadata { metadata.merge(own) { $1 } }
        if let id = metadata.removeValue(forKey: "hb.request.id") { metadata["request_id"] = id }
        let fields = metadata.sorted { $0.key < $1.key }
        var line: String
        switch self.format {
        case .json:
            line = "{\"time\":\"\(Self.timestamp())\",\"level\":\"\(event.level)\",\"logger\":\(Self.quoted(self.label))"
            line += ",\"message\":\(Self.quoted(event.message.description))"
            for (key, value) in fields { line += ",\(Self.quoted(key)):\(Self.json(value))" }
            line += "}\n"
        case .text:
            line = "\(Self.timestamp()) \(event.level) \(self.label): \(event.message)"
            for (key, value) in fields { line += " \(key)=\(value)" }
            line += "\n"
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// A metadata value as JSON: numbers and booleans as themselves, the rest as strings.
    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return Self.quoted(string)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: return String(number)
            case let number as Double where number.isFinite: return String(number)
            case let flag as Bool: return String(flag)
            default: return Self.quoted(convertible.description)
            }
        case .array(let values): return "[" + values.map(Self.json).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.sorted { $0.key < $1.key }.map { Self.quoted($0.key) + ":" + Self.json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Now as `2026-12-06T07:41:05.123Z`, written digit by digit: a line per request
    /// cannot afford a formatter.
    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func append(_ value: Int, digits: Int, then separator: UInt8?) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
            if let separator { bytes.append(separator) }
        }
        append(Int(parts.tm_year) + 1900, digits: 4, then: UInt8(ascii: "-"))
        append(Int(parts.tm_mon) + 1, digits: 2, then: UInt8(ascii: "-"))
        append(Int(parts.tm_mday), digits: 2, then: UInt8(ascii: "T"))
        append(Int(parts.tm_hour), digits: 2, then: UInt8(ascii: ":"))
        append(Int(parts.tm_min), digits: 2, then: UInt8(ascii: ":"))
        append(Int(parts.tm_sec), digits: 2, then: UInt8(ascii: "."))
        append(now.tv_nsec / 1_000_000, digits: 3, then: UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
