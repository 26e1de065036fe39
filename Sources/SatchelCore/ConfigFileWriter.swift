import Foundation

/// Updates keys of a JSON config file, keeping the others, writing atomically (a temporary file renamed over it).
public enum ConfigFileWriter {
    /// Sets `values` in the config file at `path`, creating it when missing.
    public static func update(path: String, values: [String: JSONValue]) throws {
        var object: [String: Any] = [:]
        var existed = false
        if let data = FileManager.default.contents(atPath: path),
            let existing = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            object = existing
            existed = true
        }
        let before = object as NSDictionary
        for (key, value) in values {
            switch value {
            case .string(let text): object[key] = text
            case .number(let number): object[key] = number == number.rounded() ? Int(number) as Any : number
            case .bool(let flag): object[key] = flag
            case .array(let items): object[key] = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            case .null: object.removeValue(forKey: key)
            case .object: break
            }
        }
        // A file that already says all this is left untouched: the service user may read the config but not write it
        // (install.sh writes /etc/satchel/satchel.json as root before it runs `satchel provision` as `satchel`).
        if existed, before.isEqual(to: object) { return }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
