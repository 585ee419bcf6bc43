import ArgumentParser
import Foundation
import GatehouseCore
import Logging

/// Log lines on standard error (through ``LogSink``, in batches), as JSON objects (`--log-format json`, for
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
        var line = ""
        line.reserveCapacity(256)
        switch self.format {
        case .json:
            line += "{\"time\":\""
            line += Self.timestamp()
            line += "\",\"level\":\""
            line += event.level.rawValue
            line += "\",\"logger\":"
            JSONValue.quote(self.label, into: &line)
            line += ",\"message\":"
            JSONValue.quote(event.message.description, into: &line)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                line += ","
                JSONValue.quote(key == "hb.request.id" ? "request_id" : key, into: &line)
                line += ":"
                Self.json(value, into: &line)
            }
            line += "}\n"
        case .text:
            line += Self.timestamp()
            line += " "
            line += event.level.rawValue
            line += " "
            line += self.label
            line += ": "
            line += Self.oneLine(event.message.description)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                line += " "
                line += key == "hb.request.id" ? "request_id" : key
                line += "="
                line += Self.oneLine(value.description)
            }
            line += "\n"
        }
        LogSink.standardError.append(line)
    }

    /// `text` with its line breaks written as `\n`, so that a line is one entry.
    private static func oneLine(_ text: String) -> String {
        text.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
            ? text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n") : text
    }

    /// A metadata value as JSON: numbers and booleans as themselves, the rest as strings.
    private static func json(_ value: Logger.Metadata.Value, into line: inout String) {
        switch value {
        case .string(let string): JSONValue.quote(string, into: &line)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: line += String(number)
            case let number as Double where number.isFinite: line += String(number)
            case let flag as Bool: line += String(flag)
            default: JSONValue.quote(convertible.description, into: &line)
            }
        case .array(let values):
            line += "["
            for (index, value) in values.enumerated() {
                if index > 0 { line += "," }
                Self.json(value, into: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                JSONValue.quote(key, into: &line)
                line += ":"
                Self.json(value, into: &line)
            }
            line += "}"
        }
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
