import Foundation
import Hummingbird
import NIOCore
import SatchelCore
import SatchelHTTP
import SatchelStore

/// The JSON API under `/api/v1` for the catalog and search; see `docs/api.md`.
struct CatalogAPI: Sendable {
    let database: SatchelDatabase

    struct BundleSummary: Codable {
        var id: String
        var version: Int
        var title: LocalizedText
        var kind: String
        var totalSize: Int64
        var fileCount: Int
        var installedAt: Date
    }

    struct ResourceSummary: Codable {
        var bundleId: String
        var id: String
        var title: LocalizedText
        var description: LocalizedText?
        var type: String
        var stage: String?
        var grade: String?
        var subject: String?
        var edition: String?
        var term: String?
        var unit: String?
        var language: String?
        var tags: [String]
        var creditHours: Double?
        var url: String
        var page: String
        var size: Int64
    }

    func bundles() throws -> Response {
        try json(["bundles": try database.bundles().map(summary)])
    }

    func bundle(id: String) throws -> Response {
        guard let bundle = try database.bundle(id: id) else { throw APIError.notFound("No bundle \(id) is installed.") }
        struct Detail: Codable {
            var bundle: BundleSummary
            var resources: [ResourceSummary]
        }
        return try json(Detail(bundle: summary(bundle), resources: try database.resources(bundleId: id).map(summary)))
    }

    func resource(bundleId: String, id: String) throws -> Response {
        guard let resource = try database.resource(bundleId: bundleId, id: id) else {
            throw APIError.notFound("No resource \(id) in bundle \(bundleId).")
        }
        return try json(summary(resource))
    }

    /// `GET /api/v1/resources?stage=&grade=&subject=&edition=&term=&page=&pageSize=`
    func resources(_ request: Request) throws -> Response {
        let filter = classification(request)
        let results = try database.browse(
            filter, page: try integer(request, "page", default: 1),
            pageSize: try integer(request, "pageSize", default: 50))
        return try json(page(results))
    }

    /// `GET /api/v1/search?q=&page=&pageSize=`
    func search(_ request: Request) throws -> Response {
        let query = (QueryString(request.uri.query)["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard query.count <= 200 else {
            throw APIError(
                status: .badRequest, code: "query_too_long", message: "The query is longer than 200 characters.")
        }
        let results = try database.search(
            query, page: try integer(request, "page", default: 1),
            pageSize: try integer(request, "pageSize", default: 20))
        struct Answer: Encodable {
            var query: String
            var terms: [String]
            var filter: Classification
            var facets: [String: [FacetValue]]
            var total: Int
            var page: Int
            var pageSize: Int
            var results: [ResourceSummary]
            var browse: Classification?
            var suggestions: [String]?
        }
        let empty = results.total == 0
        return try json(
            Answer(
                query: query, terms: SearchText.highlightTerms(query), filter: results.filter, facets: results.facets,
                total: results.total, page: results.page, pageSize: results.pageSize,
                results: results.resources.map(summary), browse: empty ? results.nearest : nil,
                suggestions: empty ? results.suggestions : nil))
    }

    /// `GET /api/v1/facets?stage=...`: the values of every classification level under the given filter.
    func facets(_ request: Request) throws -> Response {
        let filter = classification(request)
        var facets: [String: [FacetValue]] = [:]
        for level in Classification.levels { facets[level] = try database.facet(level, filter: filter) }
        return try json(["facets": facets])
    }

    private func classification(_ request: Request) -> Classification {
        let parameters = QueryString(request.uri.query)
        return Classification(
            stage: parameters["stage"], grade: parameters["grade"], subject: parameters["subject"],
            edition: parameters["edition"], term: parameters["term"], unit: parameters["unit"])
    }

    private struct Page: Encodable {
        var total: Int
        var page: Int
        var pageSize: Int
        var resources: [ResourceSummary]
    }

    private func page(_ results: SearchPage) -> Page {
        Page(
            total: results.total, page: results.page, pageSize: results.pageSize,
            resources: results.resources.map(summary))
    }

    private func integer(_ request: Request, _ name: String, default value: Int) throws -> Int {
        guard let text = QueryString(request.uri.query)[name] else { return value }
        guard let number = Int(text), number >= 1, number <= 10_000 else {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "The parameter \(name) must be a whole number from 1 to 10000.")
        }
        return number
    }

    private func summary(_ bundle: BundleRecord) -> BundleSummary {
        BundleSummary(
            id: bundle.id, version: bundle.version, title: bundle.title, kind: bundle.kind, totalSize: bundle.totalSize,
            fileCount: bundle.fileCount, installedAt: bundle.installedAt)
    }

    private func summary(_ resource: ResourceRecord) -> ResourceSummary {
        let description: LocalizedText? =
            resource.descriptionZh == nil && resource.descriptionEn == nil
            ? nil : LocalizedText(zh: resource.descriptionZh ?? "", en: resource.descriptionEn ?? "")
        return ResourceSummary(
            bundleId: resource.bundleId, id: resource.id, title: resource.title, description: description,
            type: resource.type, stage: resource.stage, grade: resource.grade, subject: resource.subject,
            edition: resource.edition, term: resource.term, unit: resource.unit, language: resource.language,
            tags: resource.tags?.split(separator: "\n").map(String.init) ?? [], creditHours: resource.creditHours,
            url: "/content/\(HTMLText.segment(resource.bundleId))/\(HTMLText.path(resource.entry))",
            page: "/resources/\(HTMLText.segment(resource.bundleId))/\(HTMLText.segment(resource.id))",
            size: resource.entrySize)
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
