import Foundation

/// A browser-like client for tests: the curl command-line tool with a cookie jar, bound to a chosen loopback address,
/// run off the cooperative threads (which serve the requests when the server is in-process).
public struct CurlClient: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// The address curl binds to, so a server can tell clients apart (127.0.0.2 for a second device).
    public let interface: String
    /// The cookie jar file, nil for a client without cookies.
    public let cookieJar: String?

    /// What one request got back.
    public struct Answer: Sendable {
        public var status: Int
        public var retryAfter: String
        public var location: String
        public var body: String
    }

    /// A client of `baseURL` from `interface`, keeping cookies in `cookieJar`.
    public init(baseURL: String, interface: String = "127.0.0.1", cookieJar: String? = nil) {
        self.baseURL = baseURL
        self.interface = interface
        self.cookieJar = cookieJar
    }

    /// One request: a form POST when `form` is given (URL-encoded), a JSON POST when `json` is, else a GET.
    public func request(
        _ path: String, form: [String: String]? = nil, json: String? = nil, headers: [String] = []
    ) async -> Answer {
        var arguments = ["-s", "--interface", interface, "-w", "\n%{http_code} %header{retry-after} %header{location}"]
        for header in headers { arguments += ["-H", header] }
        if let cookieJar { arguments += ["-b", cookieJar, "-c", cookieJar] }
        for (key, value) in form ?? [:] { arguments += ["--data-urlencode", "\(key)=\(value)"] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        arguments.append(baseURL + path)
        let output = await Self.run("/usr/bin/curl", arguments)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let fields = (lines.last ?? "").split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        return Answer(
            status: Int(fields.first ?? "") ?? 0, retryAfter: fields.count > 1 ? fields[1] : "",
            location: fields.count > 2 ? fields[2] : "", body: lines.dropLast().joined(separator: "\n"))
    }

    /// The value of the first `name="csrf"` field in a page, or "".
    public static func csrf(in html: String) -> String {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return "" }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Runs a program off the cooperative threads and returns what it printed.
    static func run(_ program: String, _ arguments: [String]) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: program)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                try? process.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }
}
