import Hummingbird
import SatchelCore
import SatchelHTTP

/// Turns an error answer for a browser into a page in the page's language with a way home: a wrong address, a
/// missing content file, a page that needs a login. API clients keep their JSON errors.
///
/// It sits around every route, the router's own "no route" answer included, so no page answers a browser with an
/// empty body or a JSON object.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders the pages.
    let pages: WebPages

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            guard Self.wantsPage(request) else { throw error }
            return page(for: error.status, headers: error.headers, request: request)
        } catch let error as any HTTPResponseError {
            guard Self.wantsPage(request), error.status.code >= 400 else { throw error }
            return page(for: error.status, headers: [:], request: request)
        } catch {
            guard Self.wantsPage(request) else { throw error }
            context.logger.error("page failed", metadata: ["satchel.http.error": "\(String(reflecting: error))"])
            return page(for: .internalServerError, headers: [:], request: request)
        }
    }

    /// Whether the client is a browser showing a page: it accepts HTML, or it names no type and asks for a page
    /// rather than an API answer or a content file (which an `<img>` or `<video>` also fetches).
    static func wantsPage(_ request: Request) -> Bool {
        let accept = (request.headers[.accept] ?? "").lowercased()
        if accept.contains("text/html") || accept.contains("application/xhtml") { return true }
        if !accept.isEmpty && !accept.contains("*/*") { return false }
        let path = request.uri.path
        let machinePaths = ["/api/", "/content/", "/healthz", "/metrics"]
        return !machinePaths.contains { path.hasPrefix($0) }
    }

    private func page(for status: HTTPResponse.Status, headers: HTTPFields, request: Request) -> Response {
        let text = Self.text(for: status)
        let language = pages.language(for: request)
        var response = pages.renderPage(
            "error", title: text.heading,
            context: [
                "heading": text.heading(language), "message": text.message(language),
                "login": status == .unauthorized,
            ], request: request)
        response.status = status
        for field in headers where field.name != .contentType && field.name != .contentLength {
            response.headers.append(field)
        }
        return response
    }

    /// The heading and sentence shown for an error status.
    static func text(for status: HTTPResponse.Status) -> (heading: LocalizedText, message: LocalizedText) {
        switch status {
        case .notFound:
            return (
                UIText.notFound,
                LocalizedText(
                    zh: "这个地址没有页面或文件，可能输错了，或资源已被更新或删除。",
                    en:
                        "There is no page or file at this address: it may be mistyped, or the resource was updated or removed."
                )
            )
        case .unauthorized:
            return (
                LocalizedText(zh: "请先登录", en: "Please log in"),
                LocalizedText(zh: "这个页面需要先登录教师账号。", en: "This page needs you to log in to your teacher account first.")
            )
        case .forbidden:
            return (
                LocalizedText(zh: "不能进行这个操作", en: "This cannot be done"),
                LocalizedText(
                    zh: "这个操作需要管理员账号，或页面已过期。请返回，刷新页面后再试。",
                    en: "This needs an administrator's account, or the page has expired. Go back, reload and try again."
                )
            )
        case .internalServerError:
            return (
                LocalizedText(zh: "出错了", en: "Something went wrong"),
                LocalizedText(
                    zh: "本校资源服务器没能完成这个请求。请稍后再试；如果一直这样，请告诉管理员。",
                    en: "The school's server could not answer this request. Try again later; if it keeps happening, "
                        + "tell the administrator.")
            )
        default:
            return (
                LocalizedText(zh: "无法打开这个页面", en: "This page cannot be opened"),
                LocalizedText(
                    zh: "请求没有成功（\(status.code)）。请返回上一页或回到首页。",
                    en: "The request did not succeed (\(status.code)). Go back, or start again from the home page.")
            )
        }
    }
}
