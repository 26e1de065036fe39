import Foundation
import SatchelBundles
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// Issue 16, item 4: a bundle published for chosen regions or stages reaches only those schools, through the
/// platform's catalog (real nodes enrolled with a real platform over loopback, on SQLite and on PostgreSQL) and on a
/// USB stick; and a school that changes its subscriptions gets what was published before the change.
@Suite(.serialized) struct TargetedPublishingTests {
    @Test(arguments: OperatorTests.Storage.allCases)
    func aTargetedBundleReachesOnlyItsRegionsAndStages(storage: OperatorTests.Storage) async throws {
        let publisher = SigningKey()
        try await storage.withPlatform(publisherKeys: [publisher.publicKey.base64]) {
            try await check($0, publisher: publisher)
        }
    }

    private func check(_ platform: Platform, publisher: SigningKey) async throws {
        let packer = try TestNode()
        func publish(_ id: String, regions: [String] = [], stages: [String] = []) async throws {
            try await platform.publish(
                archive: try packer.pack(["index.html": "<p>\(id)</p>"], id: id, key: publisher),
                targets: try PublishTargets(regions: regions, stages: stages))
        }
        try await publish("for-everyone")
        try await publish("gansu", regions: ["甘肃省"])
        try await publish("dingxi-primary", regions: ["甘肃省/定西市"], stages: ["小学"])
        try await publish("primary", stages: ["小学"])
        try await publish("two-counties", regions: ["云南省/怒江州/贡山县", "甘肃省/兰州市"])

        let live = try await LivePlatform(platform: platform)
        do {
            // Four schools: their tokens name their region and stages; the last one's stages were never given.
            let schools: [(code: String, region: String, stages: [String], expected: Set<String>)] = [
                ("S-ANDING", "甘肃省/定西市/安定区", ["小学"], ["for-everyone", "gansu", "dingxi-primary", "primary"]),
                ("S-LANZHOU", "甘肃省/兰州市", ["初中"], ["for-everyone", "gansu", "two-counties"]),
                ("S-GONGSHAN", "云南省/怒江州/贡山县", ["小学", "初中"], ["for-everyone", "primary", "two-counties"]),
                ("S-LINXIA", "甘肃省/临夏州", [], ["for-everyone", "gansu", "primary"]),
            ]
            var nodeIds: [String: String] = [:]
            for school in schools {
                let token = try await platform.createToken(
                    schoolCode: school.code, region: school.region, stages: school.stages)
                let (test, _) = try SyncTests.provisionedNode(url: live.baseURL, token: token, school: school.code)
                _ = try await SyncTests.syncUntil(test.node, attempts: 5) {
                    try test.node.database.bundles().count >= school.expected.count
                }
                let installed = Set(try test.node.database.bundles().map(\.id))
                #expect(installed == school.expected, "\(school.code)")
                nodeIds[school.code] = try Enrolment.load(test.node.database)?.nodeId
            }

            // Whoever does not say which school it is sees only what is for everyone; a request that names a node
            // without its signature is refused rather than answered with less.
            let anonymous = CurlClient(baseURL: live.baseURL)
            let open = await anonymous.request("/api/v1/catalog")
            #expect(open.status == 200)
            let openIds = try JSONDecoder().decode(SyncProtocol.Catalog.self, from: Data(open.body.utf8)).bundles.map(
                \.id)
            #expect(openIds == ["for-everyone"])
            let forged = await anonymous.request(
                "/api/v1/catalog", headers: ["\(RequestSignature.nodeHeader): \(nodeIds["S-ANDING"] ?? "")"])
            #expect(forged.status == 401)

            // The USB stick for a school carries what is published for it.
            let stick = packer.folder.file("stick")
            let files = try await platform.exportBundles(to: stick, node: nodeIds["S-GONGSHAN"], since: 0)
            #expect(
                Set(files.map { ($0 as NSString).lastPathComponent.components(separatedBy: "-1.").first ?? "" })
                    == ["for-everyone", "primary", "two-counties"])
            await #expect(throws: PlatformError.self) {
                _ = try await platform.exportBundles(to: stick, node: "no-such-node", since: 0)
            }
        } catch {
            await live.stop()
            throw error
        }
        await live.stop()
    }

    @Test func targetsAreCheckedWhenPublished() throws {
        #expect(throws: PlatformError.self) { try PublishTargets(regions: ["甘肃省/定西市/安定区/某乡"], stages: []) }
        #expect(throws: PlatformError.self) { try PublishTargets(regions: ["甘肃%"], stages: []) }
        #expect(throws: PlatformError.self) { try PublishTargets(regions: [], stages: ["小学,初中"]) }
        #expect(throws: PlatformError.self) { try PublishTargets(regions: [], stages: [""]) }
        #expect(throws: PlatformError.self) {
            try PublishTargets(regions: (0...PublishTargets.maxEntries).map { "省\($0)" }, stages: [])
        }
        let targets = try PublishTargets(regions: [" 甘肃省 / 定西市 ", "甘肃省/定西市"], stages: ["小学", "小学"])
        #expect(targets.regions == ["甘肃省/定西市"] && targets.stages == ["小学"])
        #expect(PublishTargets.list("甘肃省，云南省, ,小学") == ["甘肃省", "云南省", "小学"])
    }

    @Test func changedSubscriptionsApplyToWhatWasPublishedBefore() async throws {
        let publisher = SigningKey()
        let folder = TemporaryDirectory("subscriptions")
        let platform = try Platform(root: folder.file("platform"), publisherKeys: [publisher.publicKey.base64])
        let packer = try TestNode()
        for id in ["maths", "chinese"] {
            try await platform.publish(archive: try packer.pack(["index.html": "<p>\(id)</p>"], id: id, key: publisher))
        }
        let live = try await LivePlatform(platform: platform)
        do {
            let token = try await platform.createToken(schoolCode: "S-001")
            // The school first subscribes to maths only: chinese is read and passed over.
            let (first, _) = try SyncTests.provisionedNode(url: live.baseURL, token: token) {
                $0.subscriptions = ["maths"]
            }
            _ = try await SyncTests.syncUntil(first.node, attempts: 5) {
                try first.node.database.bundle(id: "maths") != nil
                    && first.node.database.syncValue("catalogCursor") != nil
            }
            #expect(try first.node.database.bundles().map(\.id) == ["maths"])

            // The same data folder, opened again with chinese added to the subscriptions, as after editing the
            // configuration and restarting: the next sync brings the chinese bundle published before.
            var configuration = first.node.configuration
            configuration.subscriptions = ["maths", "chinese"]
            let again = Node(
                configuration: configuration, directory: first.node.directory, database: first.node.database)
            _ = try await SyncTests.syncUntil(again, attempts: 5) { try again.database.bundle(id: "chinese") != nil }
            #expect(Set(try again.database.bundles().map(\.id)) == ["maths", "chinese"])
        } catch {
            await live.stop()
            throw error
        }
        await live.stop()
    }
}
