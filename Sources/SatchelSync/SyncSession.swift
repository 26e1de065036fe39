import Foundation
import GRDB
import Logging
import SatchelBundles
import SatchelCore
import SatchelStore

/// One sync session with the platform: finish a pending enrolment, push events (before anything else), pull the
/// catalog and only the blobs the node lacks, report health. Each step is bounded, and its outcome is recorded in
/// `syncState` for `satchel status`, `/healthz` and `/metrics`.
public struct SyncSession: Sendable {
    /// What one session did.
    public struct Report: Sendable, Codable {
        public var pushedEvents = 0
        public var pushedBatches = 0
        public var pushBytes = 0
        public var installedBundles: [String] = []
        public var downloadedBytes: Int64 = 0
        public var errors: [String] = []
        public var acknowledged: Int64 = 0
        /// Files left incomplete because the link failed (no route, refused, timed out) after all their attempts;
        /// ``SyncService`` then watches for the link's return instead of waiting a whole interval.
        public var unfinishedDownloads = 0
        /// The bytes the session moved over the network, both ways, counting transfers that were stopped or broke
        /// off.
        public var wireBytes = WireMeter.Count()
    }

    let node: Node
    let logger: Logger
    /// Events per pushed batch, at most. Each batch costs a round trip, so on a rural link (300 ms) fewer, larger
    /// batches drain a backlog in about the time its bytes take.
    public var batchSize = 5000
    /// The most JSON one pushed batch holds: a batch of events that would be larger is sent in halves. A quarter of
    /// what the platform takes (``SyncProtocol/maxBatchJSONBytes``), so a node never sends what it refuses.
    public var maxBatchJSONBytes = SyncProtocol.maxBatchJSONBytes / 4
    /// The most batches one session pushes; the rest waits for the next session.
    public var maxBatches = 100
    /// Called after each pushed batch and each downloaded blob, for a progress display.
    public var progress: (@Sendable (String) -> Void)?
    /// How long a source (the platform or a peer) that sent more than allowed (a blob over its signed size, a
    /// catalog over its cap) is left alone, so that the node pulls from the others meanwhile.
    public var misbehavingSourcePause: TimeInterval = 600

    /// Counts the bytes the session moves over the network; its unrecorded bytes are added to the `syncState`
    /// totals `wireBytesSent` and `wireBytesReceived` when the session's result is written.
    public let meter: WireMeter
    /// Whether `meter` outlives the session (the background service's): then the bytes of a session whose unchanged
    /// result is not written wait in it for a later write instead of forcing one.
    let meterOutlivesSession: Bool

    /// A session for `node`; `meter`, when given, is shared with later sessions (see ``meter``).
    public init(node: Node, logger: Logger, meter: WireMeter? = nil) {
        self.node = node
        self.logger = logger
        self.meter = meter ?? WireMeter()
        meterOutlivesSession = meter != nil
    }

    /// The transport with this node's proxy, CA bundle and the bandwidth cap for the time of day.
    public func transport(now: Date = Date()) -> CurlTransport {
        var transport = CurlTransport()
        transport.meter = meter
        let configuration = node.configuration
        if !configuration.syncProxy.isEmpty { transport.proxy = configuration.syncProxy }
        if !configuration.syncCABundle.isEmpty { transport.caBundle = configuration.syncCABundle }
        let inSchool = SchoolHours(text: configuration.syncSchoolHours)?.contains(now) ?? false
        let kbps = inSchool ? configuration.syncSchoolHoursKbps : configuration.syncOtherKbps
        transport.maxBytesPerSecond = Int64(kbps) * 1000 / 8
        return transport
    }

    /// Runs one session against the enrolled platform.
    public func run() async throws -> Report {
        var report = Report()
        let start = meter.total
        guard var enrolment = try Enrolment.load(node.database) else {
            throw SyncError(
                code: .notEnrolled,
                message: LocalizedText(
                    zh: "本校资源服务器尚未注册到国家平台。请技术员运行 satchel provision --platform 网址 --token 令牌 --school 学校代码。",
                    en: "This node is not enrolled. Run satchel provision --platform URL --token TOKEN --school CODE."))
        }
        guard let identity = try NodeIdentity.load(from: node.directory) else {
            throw SyncError(
                code: .identity,
                message: LocalizedText(
                    zh: "缺少节点密钥。请运行 satchel provision --force。",
                    en: "The node key is missing. Run satchel provision --force."))
        }
        // One transport for the whole session: its requests share one connection.
        let transport = transport()
        do {
            if enrolment.nodeId == nil {
                enrolment = try await Self.completeEnrolment(
                    enrolment, identity: identity, node: node, transport: transport)
            }
            let client = PlatformClient(
                baseURL: enrolment.platformURL, transport: transport, identity: identity,
                nodeId: enrolment.nodeId, clock: PlatformClock(database: node.database))
            try await push(client, nodeId: enrolment.nodeId!, report: &report)
            try await pull(client, source: enrolment.platformURL, cursorKey: "catalogCursor", report: &report)
            _ = try? node.database.compact(
                olderThan: Date().addingTimeInterval(-Double(node.configuration.eventRetentionDays) * 86_400),
                maxPendingUsageEvents: node.configuration.maxPendingUsageEvents)
            let status = try healthReport(errors: report.errors)
            try? await client.health(status)
            let end = meter.total
            report.wireBytes = WireMeter.Count(
                sent: end.sent - start.sent, received: end.received - start.received)
            try record(
                result: report.errors.isEmpty ? "ok" : "partial: " + report.errors.joined(separator: "; "),
                failingSide: report.unfinishedDownloads > 0 ? .network : nil)
        } catch {
            try? record(
                result: "failed: " + String(describing: error), failingSide: (error as? TransportError)?.failingSide)
            throw error
        }
        return report
    }

    /// Pulls bundles from a LAN peer's catalog, with the same verification as any import.
    public func pull(fromPeer url: String) async throws -> Report {
        var report = Report()
        let client = PlatformClient(baseURL: url, transport: transport(), identity: nil, nodeId: nil)
        let start = meter.total
        defer { if !meterOutlivesSession { try? recordWireBytes() } }
        try await pull(client, source: url, cursorKey: "peerCursor:" + url, report: &report)
        let end = meter.total
        report.wireBytes = WireMeter.Count(sent: end.sent - start.sent, received: end.received - start.received)
        return report
    }

    // MARK: Enrolment

    /// Enrols with the platform using the pending token; the token is forgotten once used.
    public static func completeEnrolment(
        _ enrolment: Enrolment, identity: NodeIdentity, node: Node, transport: CurlTransport
    ) async throws -> Enrolment {
        guard let token = enrolment.pendingToken else {
            throw SyncError(
                code: .notEnrolled,
                message: LocalizedText(
                    zh: "注册未完成且没有注册令牌。请重新运行 satchel provision。",
                    en: "Enrolment is incomplete and no token is left. Run satchel provision again."))
        }
        let parsed = try EnrolmentToken(text: token)
        let client = PlatformClient(
            baseURL: enrolment.platformURL, transport: transport, identity: nil, nodeId: nil,
            clock: PlatformClock(database: node.database))
        let answer = try await client.enrol(
            SyncProtocol.EnrolRequest(
                token: parsed.secret, schoolCode: enrolment.schoolCode, publicKey: identity.publicKey,
                nodeVersion: SatchelVersion.current))
        // Only the platform whose key the token names can sign the answer; nothing in an answer that fails this
        // (a node id, publisher keys) is used.
        guard let platformKey = Data(base64Encoded: answer.platformKey), platformKey.count == 32,
            EnrolmentToken.fingerprint(of: platformKey) == parsed.fingerprint,
            let signature = Data(base64Encoded: answer.signature),
            (try? PublisherKey(base64: answer.platformKey))?.isValidSignature(
                signature, for: answer.signedBytes(nodePublicKey: identity.publicKey)) == true
        else {
            throw SyncError(
                code: .forgedEnrolment,
                message: LocalizedText(
                    zh: "\(enrolment.platformURL) 的注册回答没有平台密钥（指纹 \(parsed.fingerprint)）的有效签名："
                        + "可能有人冒充平台或篡改了网络通信。未信任任何公钥。请检查平台网址和令牌。",
                    en: "The enrolment answer from \(enrolment.platformURL) is not signed by the platform key "
                        + "\(parsed.fingerprint) the token names: someone may be impersonating the platform or "
                        + "tampering with the connection. Nothing was trusted. Check the platform URL and the token."))
        }
        for key in answer.publisherKeys {
            let publisher = try PublisherKey(base64: key)
            try node.database.trust(
                TrustedKeyRecord(
                    keyId: publisher.id, publicKey: publisher.base64, label: "platform: \(answer.platformName)",
                    addedAt: Date()))
        }
        for key in answer.releaseKeys ?? [] {
            let release = try PublisherKey(base64: key)
            try node.database.trust(
                TrustedKeyRecord(
                    keyId: release.id, publicKey: release.base64, label: "platform: \(answer.platformName)",
                    addedAt: Date(), purpose: .release))
        }
        var done = enrolment
        done.nodeId = answer.nodeId
        done.pendingToken = nil
        try done.save(node.database)
        return done
    }

    // MARK: Push

    private func push(_ client: PlatformClient, nodeId: String, report: inout Report) async throws {
        // The platform's cursor decides where pushing starts. Behind ours: the platform was restored, so we send
        // again from its cursor. Ahead of ours: this node was restored from an old backup, so its own numbering must
        // jump past the platform's, and events after our cursor are sent again; the platform drops the ones it has
        // by their ids, so nothing is counted twice and nothing recorded since the backup is lost.
        let remote = try await client.cursor()
        let local = try node.database.acknowledgedSequence()
        if remote.acknowledged < local {
            try node.database.setSyncValue("ackedSequence", String(remote.acknowledged))
        } else if remote.acknowledged > local {
            try node.database.reserveSequences(through: remote.acknowledged)
        }
        var limit = batchSize
        var batches = 0
        while batches < maxBatches {
            let acknowledged = try node.database.acknowledgedSequence()
            let events = try EventExport.events(after: acknowledged, limit: limit, database: node.database)
            guard let first = events.first, let last = events.last else { break }
            // The batch covers everything after the cursor, including sequence numbers whose events were rolled up
            // into daily totals (the rollups come later in the log), so the platform sees no gap.
            let from = acknowledged + 1
            let batch = SyncProtocol.EventBatch(
                batchId: "\(nodeId):\(from)-\(last.s)", nodeId: nodeId, from: min(from, first.s), to: last.s,
                events: events)
            let cursor: SyncProtocol.Cursor
            let bytes: Int
            do {
                (cursor, bytes) = try await client.push(batch, maxJSONBytes: maxBatchJSONBytes)
            } catch let tooLarge as PlatformClient.BatchTooLarge where events.count > 1 {
                // Nothing was sent: the same events go in halves (and the rest of the session keeps the smaller size).
                logger.debug(
                    "batch over its size, halved", metadata: ["satchel.sync.jsonBytes": "\(tooLarge.jsonBytes)"])
                limit = events.count / 2
                continue
            }
            batches += 1
            try node.database.setAcknowledgedSequence(cursor.acknowledged)
            report.pushedEvents += events.count
            report.pushedBatches += 1
            report.pushBytes += bytes
            report.acknowledged = cursor.acknowledged
            progress?("pushed events up to \(cursor.acknowledged)")
        }
    }

    // MARK: Pull

    /// Pulls from one source, unless it misbehaved lately; a source that sends more than allowed is left alone for
    /// ``misbehavingSourcePause``.
    private func pull(_ client: PlatformClient, source: String, cursorKey: String, report: inout Report) async throws {
        let pauseKey = "misbehavedUntil:" + client.baseURL
        if let until = try node.database.syncValue(pauseKey).flatMap(Double.init), until > Date().timeIntervalSince1970
        {
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: until))
            throw SyncError(
                code: .badResponse,
                message: LocalizedText(
                    zh: "\(client.baseURL) 最近发送了超出限制的数据，\(time) 之前不再从它拉取。",
                    en: "\(client.baseURL) lately sent more than allowed; it is not pulled from before \(time)."))
        }
        do {
            try await pullEntries(client, source: source, cursorKey: cursorKey, report: &report)
        } catch let error as TransportError where error.code == .tooLarge {
            let until = Date().timeIntervalSince1970 + misbehavingSourcePause
            try node.database.setSyncValue(pauseKey, String(until))
            logger.warning(
                "source sent more than allowed; paused", metadata: ["satchel.sync.source": "\(client.baseURL)"])
            throw error
        }
    }

    private func pullEntries(
        _ client: PlatformClient, source: String, cursorKey: String, report: inout Report
    ) async throws {
        // Subscriptions that changed since the cursor was last moved apply to what was published before, too: the
        // catalog is read again from the start (bundles already installed are skipped without a download).
        let subscriptionsKey = cursorKey + "Subscriptions"
        let subscriptions = node.configuration.subscriptions.joined(separator: "\n")
        let subscriptionsChanged = try node.database.syncValue(subscriptionsKey) ?? "" != subscriptions
        let since = subscriptionsChanged ? 0 : Int64(try node.database.syncValue(cursorKey) ?? "0") ?? 0
        let catalog = try await client.catalog(since: since)
        // Only the newest version of each bundle matters.
        var newest: [String: SyncProtocol.CatalogEntry] = [:]
        for entry in catalog.bundles where (newest[entry.id]?.version ?? 0) < entry.version { newest[entry.id] = entry }
        let importer = try node.importer(logger: logger)
        var failed = false
        for entry in newest.values.sorted(by: { $0.cursor < $1.cursor }) {
            if let installed = try node.database.bundle(id: entry.id), installed.version >= entry.version { continue }
            do {
                guard let manifestData = Data(base64Encoded: entry.manifest),
                    let signature = Data(base64Encoded: entry.signature)
                else {
                    throw SyncError(
                        code: .badResponse,
                        message: LocalizedText(
                            zh: "目录条目 \(entry.id) 格式错误。", en: "The catalog entry \(entry.id) is malformed."))
                }
                let plan = try importer.plan(
                    manifestData: manifestData, signature: signature, source: source + " " + entry.id)
                guard !plan.alreadyInstalled, Subscriptions(node.configuration.subscriptions).wants(plan.manifest)
                else {
                    continue
                }
                if let installed = try node.database.bundle(id: plan.manifest.id),
                    installed.version > plan.manifest.version
                {
                    continue
                }
                for (sha, size) in plan.missing {
                    report.downloadedBytes += try await fetch(sha, size: size, client: client)
                    progress?("downloaded \(sha.prefix(12))")
                }
                _ = try importer.install(plan, downloads: node.directory.downloadsPath)
                report.installedBundles.append("\(plan.manifest.id) v\(plan.manifest.version)")
            } catch let error as TransportError where error.code == .tooLarge {
                // A source that sends more than the signed size is not asked for anything else this time.
                throw error
            } catch let error as BundleError {
                // A bundle that fails verification will fail the same way next time: report it and move on.
                report.errors.append(error.message.en)
                logger.warning(
                    "bundle refused", metadata: ["satchel.bundle": "\(entry.id)", "satchel.error": "\(error)"])
            } catch {
                failed = true
                if (error as? TransportError)?.isNetworkFailure == true { report.unfinishedDownloads += 1 }
                report.errors.append(String(describing: error))
                logger.warning(
                    "bundle pull failed", metadata: ["satchel.bundle": "\(entry.id)", "satchel.error": "\(error)"])
            }
        }
        // The cursor moves on only when every entry was handled, so a failed bundle is tried again next time.
        if try !failed && (subscriptionsChanged || node.database.syncValue(cursorKey) != String(catalog.cursor)) {
            try node.database.setSyncValues([(cursorKey, String(catalog.cursor)), (subscriptionsKey, subscriptions)])
        }
    }

    /// Downloads one blob into `downloads/<sha>.part`, resuming after an interruption, then renames it to
    /// `downloads/<sha>` once complete. Retries with exponential backoff and jitter.
    private func fetch(_ sha: String, size: Int64, client: PlatformClient) async throws -> Int64 {
        let final = node.directory.downloadsPath + "/" + sha
        if let existing = try? FileManager.default.attributesOfItem(atPath: final)[.size] as? Int64, existing == size {
            return 0
        }
        let partial = final + ".part"
        // A part that is already whole (a crash before the rename) or too long is settled before asking again.
        if let have = try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int64 {
            if have == size {
                try? FileManager.default.removeItem(atPath: final)
                try FileManager.default.moveItem(atPath: partial, toPath: final)
                return 0
            }
            if have > size { try? FileManager.default.removeItem(atPath: partial) }
        }
        var received: Int64 = 0
        var attempt = 0
        while true {
            do {
                received += try await client.downloadBlob(sha, size: size, to: partial)
                let have = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int64) ?? 0
                if have == size {
                    try? FileManager.default.removeItem(atPath: final)
                    try FileManager.default.moveItem(atPath: partial, toPath: final)
                    return received
                }
                if have > size { try? FileManager.default.removeItem(atPath: partial) }
                throw TransportError(
                    code: .connection,
                    message: LocalizedText(
                        zh: "下载被截断。", en: "The download was cut short."))
            } catch let error as TransportError where error.code == .tooLarge {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            } catch {
                attempt += 1
                guard attempt < 8 else { throw error }
                try await Task.sleep(for: Backoff.delay(attempt: attempt, base: 0.2, cap: 10))
            }
        }
    }

    // MARK: Health

    /// The version is the installed package's where there is one (what releases are compared by), and an upgrade
    /// that was not kept is one of the errors, so the fleet page lists the node among those that need a visit.
    private func healthReport(errors: [String]) throws -> SyncProtocol.HealthReport {
        let upgrade = ReleaseStager(directory: node.directory).outcome()
        var errors = Array(errors.prefix(5))
        if let upgrade, upgrade.result != .installed { errors.append(upgrade.summary.en) }
        return SyncProtocol.HealthReport(
            version: ReleaseStager.installedPackageVersion() ?? SatchelVersion.current,
            freeBytes: node.directory.freeBytes() ?? 0, storeBytes: try node.database.storeBytes(),
            eventsPending: try node.database.pendingEventCount(), bundles: try node.database.bundles().count,
            lastErrors: errors, upgrade: upgrade?.summary.en)
    }

    /// Stores the session's result and time in one write. A result the same as the stored one is written again
    /// only after four sync intervals (an hour at the default 15 minutes): an idle node syncs 96 times a day, and on
    /// an SD card each write costs a WAL page, an fsync and a checkpoint. `lastSyncAt` may so lag by up to four
    /// intervals while nothing changes.
    /// The bytes on the wire are added to their totals in the same write; when the write is skipped they wait in a
    /// shared meter for the next one (a session's own meter forces the write instead, so none is lost).
    private func record(result: String, failingSide: FailingSide?) throws {
        let result = String(result.prefix(500))
        let stored = try node.database.syncValues(["lastSyncAt", "lastSyncResult", "lastSyncFailingSide"])
        if stored["lastSyncResult"] == result, stored["lastSyncFailingSide"] == failingSide?.rawValue,
            meterOutlivesSession || meter.total.isZero,
            let last = stored["lastSyncAt"].flatMap({ ISO8601DateFormatter().date(from: $0) }),
            abs(Date().timeIntervalSince(last)) < unchangedResultInterval
        {
            return
        }
        try writeWithWireBytes([
            ("lastSyncAt", ISO8601DateFormatter().string(from: Date())), ("lastSyncResult", result),
            ("lastSyncFailingSide", failingSide?.rawValue),
        ])
    }

    /// Adds the meter's unrecorded bytes to the `syncState` totals now (the background service does this when it
    /// stops).
    public func recordWireBytes() throws {
        try writeWithWireBytes([])
    }

    private func writeWithWireBytes(_ values: [(key: String, value: String?)]) throws {
        let wire = meter.takeUnrecorded()
        guard !wire.isZero || !values.isEmpty else { return }
        do {
            let stored = try node.database.syncValues(["wireBytesSent", "wireBytesReceived"])
            let sent = (stored["wireBytesSent"].flatMap { Int64($0) } ?? 0) + wire.sent
            let received = (stored["wireBytesReceived"].flatMap { Int64($0) } ?? 0) + wire.received
            try node.database.setSyncValues(
                values + [("wireBytesSent", String(sent)), ("wireBytesReceived", String(received))])
        } catch {
            meter.giveBack(wire)
            throw error
        }
    }

    /// How long an unchanged session result goes without being written again: four sync intervals, so that the
    /// rule keeps its proportion when intervals are scaled (as `scripts/bench-sd-writes.sh` does).
    var unchangedResultInterval: TimeInterval {
        TimeInterval(4 * max(1, node.configuration.syncIntervalSeconds))
    }
}

/// Exponential backoff with jitter: `base * 2^attempt`, capped, then scaled by a random 50-100 %, so that many nodes
/// whose link returns at once do not retry in step.
public enum Backoff {
    public static func delay(attempt: Int, base: Double, cap: Double) -> Duration {
        let exponential = min(cap, base * pow(2, Double(min(attempt, 20))))
        return .milliseconds(Int(exponential * Double.random(in: 0.5...1.0) * 1000))
    }
}

/// The school's subscriptions: bundle ids, or `stage=…` / `subject=…` / `grade=…` filters on resources.
public struct Subscriptions: Sendable {
    let rules: [String]

    public init(_ rules: [String]) {
        self.rules = rules
    }

    /// Whether the school wants this bundle; with no rules it wants everything.
    public func wants(_ manifest: Manifest) -> Bool {
        guard !rules.isEmpty else { return true }
        for rule in rules {
            if rule == manifest.id { return true }
            let parts = rule.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let match = manifest.resources.contains { resource in
                switch parts[0] {
                case "stage": resource.stage == parts[1]
                case "grade": resource.grade == parts[1]
                case "subject": resource.subject == parts[1]
                case "kind": manifest.kind.rawValue == parts[1]
                default: false
                }
            }
            if match { return true }
        }
        return false
    }
}

/// Reads events from the log in their wire form.
public enum EventExport {
    /// Up to `limit` events with a sequence above `after`, oldest first, each with its boot instant and, when its
    /// boot learned a true time (before or after the event), its corrected time.
    public static func events(after: Int64, limit: Int, database: SatchelDatabase) throws -> [SyncProtocol.WireEvent] {
        let anchors = try database.clockAnchors()
        return try database.storedEvents(after: after, limit: limit).map { event in
            SyncProtocol.WireEvent(
                sequence: event.sequence, id: event.id, type: event.type,
                occurredAt: event.occurredAt.timeIntervalSince1970, payload: event.payload, boot: event.boot,
                corrected: anchors.corrected(event.boot))
        }
    }
}
