import Foundation
import Hummingbird
import NIOCore
import SatchelCore
import SatchelStore

/// The JSON API under `/api/v1` for the catalog, and the health check.
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
        var type: String
        var stage: String?
        var grade: String?
        var subject: String?
        var edition: String?
        var term: String?
        var language: String?
        var url: String
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

    func resources() throws -> Response {
        try json(["resources": try database.resources().map(summary)])
    }

    func health() throws -> Response {
        struct Health: Codable {
            var status: String
            var bundles: Int
            var reasons: [String]
        }
        do {
            let count = try database.bundles().count
            return try json(Health(status: "ok", bundles: count, reasons: []))
        } catch {
            return try json(
                Health(status: "unavailable", bundles: 0, reasons: ["database unreadable"]),
                status: .serviceUnavailable)
        }
    }

    private func summary(_ bundle: BundleRecord) -> BundleSummary {
        BundleSummary(
            id: bundle.id, version: bundle.version, title: bundle.title, kind: bundle.kind, totalSize: bundle.totalSize,
            fileCount: bundle.fileCount, installedAt: bundle.installedAt
        )
    }

    private func summary(_ resource: ResourceRecord) -> ResourceSummary {
        ResourceSummary(
            bundleId: resource.bundleId, id: resource.id, title: resource.title, type: resource.type,
            stage: resource.stage, grade: resource.grade, subject: resource.subject, edition: resource.edition,
            term: resource.term, language: resource.language,
            url: "/content/\(HTML.pathSegment(resource.bundleId))/\(HTML.path(resource.entry))",
            size: resource.entrySize
        )
    }

    private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}
