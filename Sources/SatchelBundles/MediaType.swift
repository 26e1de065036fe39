/// Media types by file extension, for the manifest and the HTTP server.
public enum MediaType {
    /// The media type for a path, from its extension; `application/octet-stream` when unknown.
    public static func forPath(_ path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "application/octet-stream" }
        return byExtension[path[path.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    /// Whether content of this type compresses well, so it is worth sending gzipped.
    public static func isCompressible(_ mediaType: String) -> Bool {
        mediaType.hasPrefix("text/") || mediaType.hasPrefix("application/json")
            || mediaType.hasPrefix("application/javascript") || mediaType.hasPrefix("image/svg+xml")
            || mediaType.hasPrefix("application/xml")
    }

    /// The resource type a file of this extension makes by default.
    public static func resourceType(forPath path: String) -> String {
        let type = forPath(path)
        if type.hasPrefix("video/") { return "video" }
        if type.hasPrefix("audio/") { return "audio" }
        if type.hasPrefix("image/") { return "image" }
        if type.hasPrefix("text/html") { return "html" }
        return "document"
    }

    private static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "json": "application/json", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "xml": "application/xml", "svg": "image/svg+xml",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "ico": "image/x-icon", "bmp": "image/bmp",
        "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "ogv": "video/ogg", "mov": "video/quicktime",
        "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "oga": "audio/ogg", "wav": "audio/wav",
        "pdf": "application/pdf", "epub": "application/epub+zip", "zip": "application/zip",
        "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "wasm": "application/wasm", "vtt": "text/vtt; charset=utf-8", "srt": "text/plain; charset=utf-8",
    ]
}
