import HTTPTypes

extension HTTPFields {
    /// The value of the field `name`, as `self[name]` reads it: the one field's value as it
    /// came, or, when the field occurs more than once, every value joined as `self[name]`
    /// joins them. `self[name]` builds a joined copy even of a single value, which was a
    /// third of reading a verify's body (`perf`).
    func value(of name: HTTPField.Name) -> String? {
        guard let first = self.firstIndex(where: { $0.name == name }) else { return nil }
        guard self[self.index(after: first)...].contains(where: { $0.name == name }) else { return self[first].value }
        return self[name]
    }
}
