/// Small helpers for server-rendered HTML: escaping and the page frame every screen shares.
enum HTML {
    /// Escapes text for an HTML text node or a quoted attribute.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Percent-encodes one URL path segment.
    static func pathSegment(_ text: String) -> String {
        var allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        allowed.remove(UInt8(ascii: "/"))
        var result = ""
        for byte in text.utf8 {
            if allowed.contains(byte) {
                result.append(Character(Unicode.Scalar(byte)))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    /// Percent-encodes a bundle path, keeping its slashes.
    static func path(_ text: String) -> String {
        text.split(separator: "/", omittingEmptySubsequences: false).map { pathSegment(String($0)) }
            .joined(separator: "/")
    }

    /// A complete page: works without JavaScript and fits a 360 px phone screen.
    static func page(title: String, language: String, languageSwitch: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="\(language)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f7f9;color:#1d2330;\
        line-height:1.6}
        header{background:#1f6f54;color:#fff;padding:.6rem 1rem;display:flex;justify-content:space-between;\
        align-items:center;flex-wrap:wrap}
        header a{color:#fff;text-decoration:none}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        .card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:.6rem 0;box-shadow:0 1px 2px #0002}
        .meta{color:#5a6270;font-size:.9rem}
        video,img,iframe{max-width:100%}
        iframe{width:100%;height:70vh;border:1px solid #ccd}
        a{color:#1f5fa8}
        .button{display:inline-block;background:#1f6f54;color:#fff;padding:.4rem .9rem;border-radius:.4rem;\
        text-decoration:none}
        </style>
        </head>
        <body>
        <header><a href="/"><strong>Satchel</strong></a> \(languageSwitch)</header>
        <main>
        \(body)
        </main>
        </body>
        </html>
        """
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
