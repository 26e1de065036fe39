import Foundation
import Hummingbird
import NIOCore
import SatchelCore
import SatchelSync

/// `GET /verify`: the public page where anyone holding a printed certificate checks its verification code.
///
/// The page is open by design, so it shows only what the code itself holds: the statement when it is valid, and
/// otherwise only whether the text is not a code at all or is not signed by a node enrolled for the school it names
/// (an unknown node, a changed code and a wrong school read the same, so the page tells nothing about which nodes
/// exist). The command `satchel-platform verify` tells those apart for an operator.
enum CertificateVerifyPage {
    /// Answers the form, or the verdict on `?code=`: 200 when valid, 422 when not, 400 when the code is too long.
    static func respond(to request: Request, platform: Platform) async -> Response {
        // A form sent by GET encodes spaces as `+`, which the URI's parameters leave as they are.
        guard let code = request.uri.queryParameters["code"].map({ $0.replacingOccurrences(of: "+", with: " ") }),
            !code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return page(status: .ok, code: "", verdict: "") }
        guard code.count <= CertificateCode.maxTextLength else {
            return page(
                status: .badRequest, code: "",
                verdict: notice(
                    "bad",
                    LocalizedText(
                        zh: "输入太长：验证码不超过 \(CertificateCode.maxTextLength) 个字符。",
                        en: "Too long: a code has at most \(CertificateCode.maxTextLength) characters.")))
        }
        do {
            let statement = try await platform.verifyCertificate(code: code)
            var rows = ""
            for line in statement.lines {
                rows +=
                    "<tr><th>\(escape(line.label.zh)) · \(escape(line.label.en))</th><td>\(escape(line.value))</td></tr>"
            }
            let verdict =
                notice(
                    "good",
                    LocalizedText(
                        zh: "✔ 有效：此证书由平台已注册的学校节点签发，内容未被改动。",
                        en: "Valid: signed by a school node enrolled with this platform, and unchanged."))
                + "<table>\(rows)</table>"
            return page(status: .ok, code: code, verdict: verdict)
        } catch let error as CertificateError {
            let reason: LocalizedText
            switch error.code {
            case .malformed, .unsupportedVersion:
                reason = error.message
            default:
                reason = LocalizedText(
                    zh: "验证码不是平台已注册的该校节点签发的：可能被改动、输入有误或系伪造。",
                    en: "The code is not signed by a node enrolled for its school: it was changed, mistyped or forged.")
            }
            return page(
                status: .unprocessableContent, code: code,
                verdict: notice("bad", LocalizedText(zh: "✘ 无效。" + reason.zh, en: "Not valid. " + reason.en)))
        } catch {
            return page(
                status: .internalServerError, code: code,
                verdict: notice(
                    "bad", LocalizedText(zh: "平台暂时无法核验，请稍后再试。", en: "The platform cannot check codes now; try later.")))
        }
    }

    private static func notice(_ kind: String, _ text: LocalizedText) -> String {
        "<p class=\"\(kind)\">\(escape(text.zh))<br><span lang=\"en\">\(escape(text.en))</span></p>"
    }

    private static func page(status: HTTPResponse.Status, code: String, verdict: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>证书核验 · Certificate check</title>
            <style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:44rem;margin:0 auto;padding:1rem;
            line-height:1.6}textarea{width:100%;font:1rem monospace}button{font-size:1rem;padding:.4rem 1rem}
            .good{background:#e3f4ea;border-left:6px solid #1f6f54;padding:.6rem}
            .bad{background:#fbe7e7;border-left:6px solid #b3261e;padding:.6rem}
            th{text-align:left;padding-right:1rem;vertical-align:top}</style></head><body>
            <h1>培训证书核验 · Training certificate check</h1>
            <form method="get" action="/verify">
            <p><label for="code">请输入证书上的验证码 · Enter the code printed on the certificate</label></p>
            <textarea id="code" name="code" rows="6" maxlength="\(CertificateCode.maxTextLength)" required \
            autocomplete="off" spellcheck="false">\(escape(code))</textarea>
            <p><button type="submit">核验 · Check</button></p></form>
            \(verdict)
            </body></html>
            """
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ]
        // The code holds a teacher's name: it must not travel on in a Referer or stay in a cache or a search index.
        headers[.init("Referrer-Policy")!] = "no-referrer"
        headers[.init("X-Robots-Tag")!] = "noindex"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
