import Foundation
import Logging
import PostgresNIO
import SatchelCore

/// The platform's tables on PostgreSQL, shared by any number of `satchel-platform serve` processes: every operation
/// is one statement or one transaction, and no process keeps state of its own.
///
/// Ingest is idempotent under concurrent duplicates: a batch locks its node's row first, so two processes given the
/// same batch at once run one after the other; the second finds the batch id recorded (unique per node) and stores
/// nothing. Event ids are unique across the table, and the cursor only moves forward.
public struct PostgresPlatformDatabase: PlatformStorage {
    /// Named, append-only migrations: each runs once, in order, under an advisory lock so that processes starting
    /// together do not race. A released migration is never edited; a change is a new entry at the end.
    static let migrations: [(name: String, statements: [String])] = [
        (
            "pg1",
            [
                """
                CREATE TABLE enrol_token (token text PRIMARY KEY, school_code text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(), used_by text)
                """,
                """
                CREATE TABLE node (id text PRIMARY KEY, school_code text NOT NULL, public_key text NOT NULL,
                    enrolled_at timestamptz NOT NULL DEFAULT now(), acknowledged bigint NOT NULL DEFAULT 0,
                    last_health text, last_seen_at timestamptz)
                """,
                """
                CREATE TABLE received_event (id text PRIMARY KEY, node_id text NOT NULL, seq bigint NOT NULL,
                    type text NOT NULL, occurred_at double precision NOT NULL, payload text NOT NULL)
                """,
                """
                CREATE TABLE push_batch (node_id text NOT NULL, batch_id text NOT NULL, acknowledged bigint NOT NULL,
                    PRIMARY KEY (node_id, batch_id))
                """,
                """
                CREATE TABLE catalog (cursor bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    bundle_id text NOT NULL, version integer NOT NULL, manifest bytea NOT NULL, signature bytea NOT NULL,
                    archive text NOT NULL, published_at timestamptz NOT NULL DEFAULT now(), UNIQUE (bundle_id, version))
                """,
            ]
        ),
        (
            // The node's raw clock stays in occurred_at; the corrected time the platform reports, where it came
            // from, and the boot instant the node sent (docs/protocol.md §14).
            "pg2-event-clock",
            [
                """
                ALTER TABLE received_event ADD COLUMN corrected_at double precision, ADD COLUMN time_source text,
                    ADD COLUMN boot_id text, ADD COLUMN monotonic double precision
                """
            ]
        ),
        (
            // Schools belong to regions, and operators see a region's schools (issue 16).
            "pg3-operators",
            [
                "ALTER TABLE enrol_token ADD COLUMN region text NOT NULL DEFAULT ''",
                "ALTER TABLE node ADD COLUMN region text NOT NULL DEFAULT ''",
                "CREATE INDEX node_region ON node (region text_pattern_ops)",
                """
                CREATE TABLE operator (username text PRIMARY KEY, name text NOT NULL, role text NOT NULL,
                    region text NOT NULL, password_hash text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())
                """,
                """
                CREATE TABLE operator_credential (hash text PRIMARY KEY,
                    username text NOT NULL REFERENCES operator (username) ON DELETE CASCADE, expires_at timestamptz)
                """,
            ]
        ),
        (
            // Monitoring (issue 16): aggregates kept up to date at ingest, the resources of published manifests to
            // group them by, and the fields of each node's latest health report. Events received before this
            // migration are not in the aggregates.
            "pg4-monitoring",
            [
                """
                CREATE TABLE usage_weekly (node_id text NOT NULL, week text NOT NULL, bundle_id text NOT NULL,
                    resource_id text NOT NULL, views bigint NOT NULL, downloads bigint NOT NULL, seconds bigint NOT NULL,
                    PRIMARY KEY (node_id, week, bundle_id, resource_id))
                """,
                """
                CREATE TABLE unanswered_search (node_id text NOT NULL, week text NOT NULL, query text NOT NULL,
                    searches bigint NOT NULL, PRIMARY KEY (node_id, week, query))
                """,
                """
                CREATE TABLE platform_teacher (node_id text NOT NULL, teacher_id text NOT NULL, name text, number text,
                    removed boolean NOT NULL DEFAULT false, PRIMARY KEY (node_id, teacher_id))
                """,
                """
                CREATE TABLE training_completion (node_id text NOT NULL, teacher_id text NOT NULL,
                    bundle_id text NOT NULL, resource_id text NOT NULL, year integer NOT NULL,
                    hours double precision NOT NULL, PRIMARY KEY (node_id, teacher_id, bundle_id, resource_id))
                """,
                """
                CREATE TABLE catalog_resource (bundle_id text NOT NULL, resource_id text NOT NULL,
                    version integer NOT NULL, title_zh text NOT NULL, title_en text NOT NULL, subject text NOT NULL,
                    grade text NOT NULL, stage text NOT NULL, PRIMARY KEY (bundle_id, resource_id))
                """,
                """
                INSERT INTO catalog_resource (bundle_id, resource_id, version, title_zh, title_en, subject, grade, stage)
                SELECT DISTINCT ON (c.bundle_id, r->>'id') c.bundle_id, r->>'id', c.version,
                    COALESCE(r->'title'->>'zh', ''), COALESCE(r->'title'->>'en', ''), COALESCE(r->>'subject', ''),
                    COALESCE(r->>'grade', ''), COALESCE(r->>'stage', '')
                FROM catalog c
                CROSS JOIN LATERAL jsonb_array_elements(convert_from(c.manifest, 'UTF8')::jsonb -> 'resources') r
                WHERE r->>'id' IS NOT NULL
                ORDER BY c.bundle_id, r->>'id', c.version DESC
                """,
                """
                ALTER TABLE node ADD COLUMN version text, ADD COLUMN free_bytes bigint, ADD COLUMN events_pending bigint,
                    ADD COLUMN last_error text, ADD COLUMN clock_offset double precision
                """,
            ]
        ),
        (
            // Publishing for chosen regions and stages (issue 16): a school's stages, and a bundle's targets, one a
            // line.
            "pg5-targeting",
            [
                "ALTER TABLE enrol_token ADD COLUMN stages text NOT NULL DEFAULT ''",
                "ALTER TABLE node ADD COLUMN stages text NOT NULL DEFAULT ''",
                """
                ALTER TABLE catalog ADD COLUMN target_regions text NOT NULL DEFAULT '',
                    ADD COLUMN target_stages text NOT NULL DEFAULT ''
                """,
            ]
        ),
    ]

    /// The key of the advisory lock that migrations hold ("satchel" in ASCII), so that processes starting together
    /// migrate one at a time.
    static let migrationLock: Int64 = 0x7361_7463_6865_6C

    /// Where the database is (without a password when shown).
    public let url: PostgresURL
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// Connects to `url`, applies any migrations not yet applied, and starts the connection pool (at most
    /// `maxConnections` per process). Throws a ``PlatformError`` naming the URL (never its password) when the
    /// database cannot be reached or refuses the login.
    public init(
        url: PostgresURL, maxConnections: Int = 20, logger: Logger = Logger(label: "satchel.platform.pg")
    )
        async throws
    {
        self.url = url
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        let poolTLS: PostgresClient.Configuration.TLS
        switch url.tls {
        case .disable:
            tls = .disable
            poolTLS = .disable
        case .require:
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            tls = .require(context)
            poolTLS = .require(.makeClientConfiguration())
        }
        let connectionConfiguration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: tls)
        do {
            let connection = try await PostgresConnection.connect(
                configuration: connectionConfiguration, id: 0, logger: logger)
            do {
                try await Self.migrate(connection, logger: logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as PlatformError {
            throw error
        } catch {
            throw PlatformError(
                code: .databaseUnavailable,
                message: LocalizedText(
                    zh: "无法使用数据库 \(url.redacted)：\(Self.describe(error))。请检查地址、用户、密码和数据库是否存在。",
                    en: "Cannot use the database \(url.redacted): \(Self.describe(error)). "
                        + "Check the host, port, user, password and that the database exists."))
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: poolTLS)
        configuration.options.maximumConnections = maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    /// The names of every migration, in the order they run.
    public static var migrationNames: [String] { migrations.map(\.name) }

    /// Applies the migrations not yet recorded, each in its own transaction, holding ``migrationLock`` throughout
    /// (closing the connection on an error releases it).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS satchel_migration (identifier text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
            """, logger: logger)
        for migration in migrations {
            try await connection.withTransaction(logger: logger) { connection in
                let applied = try await connection.query(
                    "SELECT 1 FROM satchel_migration WHERE identifier = \(migration.name)", logger: logger
                ).collect()
                guard applied.isEmpty else { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO satchel_migration (identifier) VALUES (\(migration.name))", logger: logger)
            }
        }
        try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await run {
            var names: [String] = []
            for try await name in try await client.query(
                "SELECT identifier FROM satchel_migration ORDER BY applied_at, identifier", logger: logger
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    /// Stops the pool; queries still running finish first.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// Runs `body`, turning database errors into a ``PlatformError`` that names the URL without its password.
    @discardableResult
    private func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PlatformError {
            throw error
        } catch {
            logger.error(
                "database operation failed",
                metadata: ["satchel.database": "\(url.redacted)", "satchel.error": "\(Self.describe(error))"])
            throw PlatformError(
                code: .databaseFailed,
                message: LocalizedText(
                    zh: "数据库 \(url.redacted) 出错：\(Self.describe(error))。",
                    en: "The database \(url.redacted) failed: \(Self.describe(error))."))
        }
    }

    /// What went wrong, from the server's message when there is one (PSQLError hides it from `description`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresTransactionError {
            guard let inner = error.closureError ?? error.beginError ?? error.commitError else {
                return "the transaction failed"
            }
            return describe(inner)
        }
        return "\(error)"
    }

    public func createToken(schoolCode: String, region: String, stages: [String]) async throws -> String {
        let token = PlatformDatabase.newTokenSecret()
        let stages = stages.joined(separator: "\n")
        try await run {
            try await client.query(
                """
                INSERT INTO enrol_token (token, school_code, region, stages)
                VALUES (\(token), \(schoolCode), \(region), \(stages))
                """,
                logger: logger)
        }
        return token
    }

    public func enrol(token: String, schoolCode: String, publicKey: String) async throws -> String? {
        try await run {
            try await client.withTransaction(logger: logger) { connection -> String? in
                let rows = try await connection.query(
                    "SELECT school_code, used_by, region, stages FROM enrol_token WHERE token = \(token) FOR UPDATE",
                    logger: logger)
                var found: (String, String?, String, String)?
                for try await row in rows.decode((String, String?, String, String).self) { found = row }
                guard let (school, used, region, stages) = found, school == schoolCode else { return nil }
                if let used {
                    var key: String?
                    for try await value in try await connection.query(
                        "SELECT public_key FROM node WHERE id = \(used)", logger: logger
                    ).decode(String.self) {
                        key = value
                    }
                    return key == publicKey ? used : nil
                }
                let id = PlatformDatabase.newNodeId()
                try await connection.query(
                    """
                    INSERT INTO node (id, school_code, region, stages, public_key)
                    VALUES (\(id), \(schoolCode), \(region), \(stages), \(publicKey))
                    """, logger: logger)
                try await connection.query(
                    "UPDATE enrol_token SET used_by = \(id) WHERE token = \(token)", logger: logger)
                return id
            }
        }
    }

    public func publicKey(node: String) async throws -> String? {
        try await run {
            var key: String?
            for try await value in try await client.query(
                "SELECT public_key FROM node WHERE id = \(node)", logger: logger
            ).decode(String.self) {
                key = value
            }
            return key
        }
    }

    public func enrolledNode(id: String) async throws -> (publicKey: String, schoolCode: String)? {
        try await run {
            var found: (publicKey: String, schoolCode: String)?
            for try await (key, school) in try await client.query(
                "SELECT public_key, school_code FROM node WHERE id = \(id)", logger: logger
            ).decode((String, String).self) {
                found = (key, school)
            }
            return found
        }
    }

    public func school(node: String) async throws -> PublishTargets.School? {
        try await run {
            var found: PublishTargets.School?
            for try await (region, stages) in try await client.query(
                "SELECT region, stages FROM node WHERE id = \(node)", logger: logger
            ).decode((String, String).self) {
                found = PublishTargets.School(region: region, stages: stages.split(separator: "\n").map(String.init))
            }
            return found
        }
    }

    public func receive(
        _ batch: [ReceivedEvent], batchId: String, node: String, from: Int64, to: Int64
    ) async throws -> (Int64, Int, Int)? {
        // Sorted by id, so that two transactions inserting overlapping ids take their row locks in the same order.
        let events = batch.sorted { $0.id < $1.id }
        let ids = events.map(\.id)
        let sequences = events.map(\.seq)
        let types = events.map(\.type)
        let times = events.map(\.occurredAt)
        let payloads = events.map(\.payload)
        // Optional fields go as text, "" for none, turned back into NULL in the statement.
        let corrected = events.map { $0.correctedAt.map { String($0) } ?? "" }
        let sources = events.map { $0.timeSource ?? "" }
        let boots = events.map { $0.bootId ?? "" }
        let monotonic = events.map { $0.monotonic.map { String($0) } ?? "" }
        return try await run {
            try await client.withTransaction(logger: logger) { connection -> (Int64, Int, Int)? in
                // The node's row is the lock that puts concurrent pushes of one node in a line.
                var acknowledged: Int64 = 0
                for try await value in try await connection.query(
                    "SELECT acknowledged FROM node WHERE id = \(node) FOR UPDATE", logger: logger
                ).decode(Int64.self) {
                    acknowledged = value
                }
                let known = try await connection.query(
                    "SELECT 1 FROM push_batch WHERE node_id = \(node) AND batch_id = \(batchId)", logger: logger
                ).collect()
                if !known.isEmpty { return (acknowledged, 0, batch.count) }
                guard from <= acknowledged + 1 else { return nil }
                var stored = Set<String>()
                if !events.isEmpty {
                    for try await id in try await connection.query(
                        """
                        WITH added AS (
                            INSERT INTO received_event (id, node_id, seq, type, occurred_at, payload, corrected_at,
                                time_source, boot_id, monotonic)
                            SELECT e.id, \(node), e.seq, e.type, e.occurred_at, e.payload,
                                NULLIF(e.corrected_at, '')::double precision, NULLIF(e.time_source, ''),
                                NULLIF(e.boot_id, ''), NULLIF(e.monotonic, '')::double precision
                            FROM unnest(\(ids)::text[], \(sequences)::bigint[], \(types)::text[],
                                \(times)::double precision[], \(payloads)::text[], \(corrected)::text[],
                                \(sources)::text[], \(boots)::text[], \(monotonic)::text[])
                                AS e(id, seq, type, occurred_at, payload, corrected_at, time_source, boot_id, monotonic)
                            ORDER BY e.id
                            ON CONFLICT (id) DO NOTHING
                            RETURNING id)
                        SELECT id FROM added
                        """, logger: logger
                    ).decode(String.self) {
                        stored.insert(id)
                    }
                }
                let accepted = stored.count
                try await apply(
                    MonitoringDelta(events: events.filter { stored.contains($0.id) }), node: node, connection)
                let cursor = max(acknowledged, to)
                try await connection.query(
                    "UPDATE node SET acknowledged = \(cursor), last_seen_at = now() WHERE id = \(node)",
                    logger: logger)
                try await connection.query(
                    "INSERT INTO push_batch (node_id, batch_id, acknowledged) VALUES (\(node), \(batchId), \(cursor))",
                    logger: logger)
                return (cursor, accepted, batch.count - accepted)
            }
        }
    }

    public func occurrences(node: String) async throws -> [Occurrence] {
        try await run {
            var result: [Occurrence] = []
            for try await (id, seq, type, clock, corrected, source) in try await client.query(
                """
                SELECT id, seq, type, occurred_at, corrected_at, time_source FROM received_event
                WHERE node_id = \(node) ORDER BY seq
                """, logger: logger
            ).decode((String, Int64, String, Double, Double?, String?).self) {
                result.append(
                    Occurrence(
                        id: id, sequence: seq, type: type, nodeClock: clock, corrected: corrected, source: source))
            }
            return result
        }
    }

    public func cursor(node: String) async throws -> Int64 {
        try await run {
            var cursor: Int64 = 0
            for try await value in try await client.query(
                "SELECT acknowledged FROM node WHERE id = \(node)", logger: logger
            ).decode(Int64.self) {
                cursor = value
            }
            return cursor
        }
    }

    public func recordHealth(node: String, json: String) async throws {
        let summary = Monitoring.HealthSummary(json: json)
        let pending = summary.eventsPending.map(Int64.init)
        try await run {
            try await client.query(
                """
                UPDATE node SET last_health = \(json), last_seen_at = now(), version = \(summary.version),
                    free_bytes = \(summary.freeBytes), events_pending = \(pending), last_error = \(summary.lastError)
                WHERE id = \(node)
                """, logger: logger)
        }
    }

    public func publish(
        bundleId: String, version: Int, manifest: Data, signature: Data, archive: String, targets: PublishTargets
    ) async throws {
        let (regions, stages) = targets.stored
        try await run {
            try await client.withTransaction(logger: logger) { connection in
                // Publishers take turns, so cursors become visible in the order they were given: a node that has
                // read cursor n never misses an entry numbered below n that committed later.
                try await connection.query("LOCK TABLE catalog IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO catalog (bundle_id, version, manifest, signature, archive, target_regions,
                        target_stages)
                    VALUES (\(bundleId), \(version), \(manifest), \(signature), \(archive), \(regions), \(stages))
                    ON CONFLICT (bundle_id, version) DO NOTHING
                    """, logger: logger)
                let resources = Monitoring.catalogResources(manifest: manifest)
                guard !resources.isEmpty else { return }
                // The newest version's titles, subjects and grades are the ones kept.
                try await connection.query(
                    """
                    INSERT INTO catalog_resource (bundle_id, resource_id, version, title_zh, title_en, subject, grade,
                        stage)
                    SELECT \(bundleId), r.id, \(version), r.title_zh, r.title_en, r.subject, r.grade, r.stage
                    FROM unnest(\(resources.map { $0.id })::text[], \(resources.map { $0.titleZh })::text[],
                        \(resources.map { $0.titleEn })::text[], \(resources.map { $0.subject })::text[],
                        \(resources.map { $0.grade })::text[], \(resources.map { $0.stage })::text[])
                        AS r(id, title_zh, title_en, subject, grade, stage)
                    ON CONFLICT (bundle_id, resource_id) DO UPDATE SET version = excluded.version,
                        title_zh = excluded.title_zh, title_en = excluded.title_en, subject = excluded.subject,
                        grade = excluded.grade, stage = excluded.stage
                    WHERE excluded.version >= catalog_resource.version
                    """, logger: logger)
            }
        }
    }

    public func catalog(since: Int64) async throws -> [CatalogRow] {
        try await run {
            var entries: [CatalogRow] = []
            let rows = try await client.query(
                """
                SELECT cursor, bundle_id, version, manifest, signature, archive, target_regions, target_stages
                FROM catalog WHERE cursor > \(since) ORDER BY cursor
                """, logger: logger)
            for try await (cursor, bundleId, version, manifest, signature, archive, regions, stages) in rows.decode(
                (Int64, String, Int, Data, Data, String, String, String).self)
            {
                entries.append(
                    CatalogRow(
                        cursor: cursor, bundleId: bundleId, version: version, manifest: manifest,
                        signature: signature, archive: archive, targets: PublishTargets(stored: regions, stages)))
            }
            return entries
        }
    }

    public func status(within region: String) async throws -> PlatformStatus {
        // "" matches every region; otherwise the region itself and the paths below it.
        let below = region + "/%"
        return try await run {
            // One snapshot, so the figures agree with each other.
            try await client.withTransaction(logger: logger) { connection -> PlatformStatus in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                var status = PlatformStatus(eventsReceived: 0, nodes: [], bundles: 0)
                for try await (events, bundles) in try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM received_event e JOIN node n ON n.id = e.node_id
                        WHERE \(region) = '' OR n.region = \(region) OR n.region LIKE \(below)),
                        (SELECT count(*) FROM catalog)
                    """, logger: logger
                ).decode((Int64, Int64).self) {
                    status.eventsReceived = Int(events)
                    status.bundles = Int(bundles)
                }
                // Byte order, as SQLite sorts, whatever the database's collation.
                for try await (id, school, nodeRegion, acknowledged) in try await connection.query(
                    """
                    SELECT id, school_code, region, acknowledged FROM node
                    WHERE \(region) = '' OR region = \(region) OR region LIKE \(below) ORDER BY id COLLATE "C"
                    """, logger: logger
                ).decode((String, String, String, Int64).self) {
                    status.nodes.append(
                        .init(id: id, schoolCode: school, region: nodeRegion, acknowledged: acknowledged))
                }
                return status
            }
        }
    }

    // MARK: Monitoring

    /// Adds what a batch's stored events bring to the aggregates of `node`, inside the batch's transaction. Each
    /// statement's rows have distinct keys (the delta is already summed), as `ON CONFLICT DO UPDATE` requires.
    private func apply(_ delta: MonitoringDelta, node: String, _ connection: PostgresConnection) async throws {
        if !delta.usage.isEmpty {
            let usage = Array(delta.usage)
            try await connection.query(
                """
                INSERT INTO usage_weekly (node_id, week, bundle_id, resource_id, views, downloads, seconds)
                SELECT \(node), u.week, u.bundle_id, u.resource_id, u.views, u.downloads, u.seconds
                FROM unnest(\(usage.map { $0.key.week })::text[], \(usage.map { $0.key.bundleId })::text[],
                    \(usage.map { $0.key.resourceId })::text[], \(usage.map { Int64($0.value.views) })::bigint[],
                    \(usage.map { Int64($0.value.downloads) })::bigint[], \(usage.map { Int64($0.value.seconds) })::bigint[])
                    AS u(week, bundle_id, resource_id, views, downloads, seconds)
                ON CONFLICT (node_id, week, bundle_id, resource_id) DO UPDATE SET
                    views = usage_weekly.views + excluded.views, downloads = usage_weekly.downloads + excluded.downloads,
                    seconds = usage_weekly.seconds + excluded.seconds
                """, logger: logger)
        }
        if !delta.unansweredSearches.isEmpty {
            let searches = Array(delta.unansweredSearches)
            try await connection.query(
                """
                INSERT INTO unanswered_search (node_id, week, query, searches)
                SELECT \(node), s.week, s.query, s.searches
                FROM unnest(\(searches.map { $0.key.week })::text[], \(searches.map { $0.key.query })::text[],
                    \(searches.map { Int64($0.value) })::bigint[]) AS s(week, query, searches)
                ON CONFLICT (node_id, week, query) DO UPDATE SET searches = unanswered_search.searches + excluded.searches
                """, logger: logger)
        }
        if !delta.teachers.isEmpty {
            // Optional text goes as "" for none, turned back into NULL in the statement.
            let teachers = Array(delta.teachers)
            try await connection.query(
                """
                INSERT INTO platform_teacher (node_id, teacher_id, name, number, removed)
                SELECT \(node), t.id, NULLIF(t.name, ''), NULLIF(t.number, ''), t.removed
                FROM unnest(\(teachers.map { $0.key })::text[], \(teachers.map { $0.value.name ?? "" })::text[],
                    \(teachers.map { $0.value.number ?? "" })::text[], \(teachers.map { $0.value.removed })::boolean[])
                    AS t(id, name, number, removed)
                ON CONFLICT (node_id, teacher_id) DO UPDATE SET name = COALESCE(excluded.name, platform_teacher.name),
                    number = COALESCE(excluded.number, platform_teacher.number), removed = excluded.removed
                """, logger: logger)
        }
        if !delta.completions.isEmpty {
            let completions = delta.completions
            try await connection.query(
                """
                INSERT INTO platform_teacher (node_id, teacher_id)
                SELECT DISTINCT \(node), t.id FROM unnest(\(completions.map(\.teacherId))::text[]) AS t(id)
                ON CONFLICT DO NOTHING
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO training_completion (node_id, teacher_id, bundle_id, resource_id, year, hours)
                SELECT \(node), c.teacher_id, c.bundle_id, c.resource_id, c.year, c.hours
                FROM unnest(\(completions.map(\.teacherId))::text[], \(completions.map(\.bundleId))::text[],
                    \(completions.map(\.resourceId))::text[], \(completions.map { Int64($0.year) })::integer[],
                    \(completions.map(\.hours))::double precision[])
                    AS c(teacher_id, bundle_id, resource_id, year, hours)
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if let offset = delta.clockOffset {
            try await connection.query("UPDATE node SET clock_offset = \(offset) WHERE id = \(node)", logger: logger)
        }
    }

    public func usage(
        within region: String, by dimension: Monitoring.UsageDimension, limit: Int
    ) async throws -> [Monitoring.UsageTotal] {
        let keys: String
        switch dimension {
        case .region: keys = "n.region"
        case .school: keys = "n.school_code, n.region"
        case .subject: keys = "COALESCE(r.subject, '')"
        case .grade: keys = "COALESCE(r.grade, '')"
        case .week: keys = "u.week"
        case .resource:
            keys = """
                u.bundle_id, u.resource_id, COALESCE(r.title_zh, ''), COALESCE(r.title_en, ''), COALESCE(r.subject, ''),
                COALESCE(r.grade, '')
                """
        }
        // Byte order for ties, as SQLite sorts, whatever the database's collation.
        // The first key (subject and grade have one, with a comma inside).
        let first = dimension == .subject || dimension == .grade ? keys : String(keys.prefix { $0 != "," })
        let order =
            dimension == .week
            ? "u.week COLLATE \"C\" DESC" : "sum(u.views) DESC, sum(u.seconds) DESC, \(first) COLLATE \"C\""
        let below = region + "/%"
        let count = dimension.keyCount
        let query: PostgresQuery = """
            SELECT \(unescaped: keys), sum(u.views)::bigint, sum(u.downloads)::bigint, sum(u.seconds)::bigint
            FROM usage_weekly u JOIN node n ON n.id = u.node_id
            LEFT JOIN catalog_resource r ON r.bundle_id = u.bundle_id AND r.resource_id = u.resource_id
            WHERE \(region) = '' OR n.region = \(region) OR n.region LIKE \(below)
            GROUP BY \(unescaped: keys) ORDER BY \(unescaped: order) LIMIT \(Int64(limit))
            """
        return try await run {
            var totals: [Monitoring.UsageTotal] = []
            for try await row in try await client.query(query, logger: logger) {
                let cells = row.makeRandomAccess()
                var keys: [String] = []
                for index in 0..<count { keys.append(try cells[index].decode(String.self)) }
                totals.append(
                    Monitoring.UsageTotal(
                        keys: keys, views: Int(try cells[count].decode(Int64.self)),
                        downloads: Int(try cells[count + 1].decode(Int64.self)),
                        seconds: Int(try cells[count + 2].decode(Int64.self))))
            }
            return totals
        }
    }

    public func unansweredSearches(within region: String, limit: Int) async throws -> [Monitoring.UnansweredSearch] {
        let below = region + "/%"
        return try await run {
            var result: [Monitoring.UnansweredSearch] = []
            for try await (query, searches, schools, week) in try await client.query(
                """
                SELECT s.query, sum(s.searches)::bigint, count(DISTINCT n.school_code), max(s.week COLLATE "C")
                FROM unanswered_search s JOIN node n ON n.id = s.node_id
                WHERE \(region) = '' OR n.region = \(region) OR n.region LIKE \(below)
                GROUP BY s.query ORDER BY 2 DESC, 3 DESC, s.query COLLATE "C" LIMIT \(Int64(limit))
                """, logger: logger
            ).decode((String, Int64, Int64, String).self) {
                result.append(
                    Monitoring.UnansweredSearch(
                        query: query, searches: Int(searches), schools: Int(schools), lastWeek: week))
            }
            return result
        }
    }

    public func trainingHours(within region: String, year: Int) async throws -> [Monitoring.TeacherHours] {
        let below = region + "/%"
        return try await run {
            var result: [Monitoring.TeacherHours] = []
            for try await (node, school, nodeRegion, teacher, name, number, hours, modules) in try await client.query(
                """
                SELECT t.node_id, n.school_code, n.region, t.teacher_id, COALESCE(t.name, ''), COALESCE(t.number, ''),
                    COALESCE(sum(c.hours), 0)::double precision, count(c.teacher_id)
                FROM platform_teacher t JOIN node n ON n.id = t.node_id
                LEFT JOIN training_completion c ON c.node_id = t.node_id AND c.teacher_id = t.teacher_id
                    AND c.year = \(Int64(year))
                WHERE NOT t.removed AND (\(region) = '' OR n.region = \(region) OR n.region LIKE \(below))
                GROUP BY t.node_id, t.teacher_id, n.school_code, n.region, t.name, t.number
                ORDER BY n.school_code COLLATE "C", t.node_id COLLATE "C", t.teacher_id COLLATE "C"
                """, logger: logger
            ).decode((String, String, String, String, String, String, Double, Int64).self) {
                result.append(
                    Monitoring.TeacherHours(
                        nodeId: node, schoolCode: school, region: nodeRegion, teacherId: teacher, name: name,
                        number: number, hours: hours, modules: Int(modules)))
            }
            return result
        }
    }

    public func fleet(within region: String) async throws -> [Monitoring.NodeHealth] {
        let below = region + "/%"
        return try await run {
            var result: [Monitoring.NodeHealth] = []
            for try await row in try await client.query(
                """
                SELECT id, school_code, region, version, last_seen_at, clock_offset, free_bytes, events_pending,
                    last_error
                FROM node WHERE \(region) = '' OR region = \(region) OR region LIKE \(below) ORDER BY id COLLATE "C"
                """, logger: logger
            ) {
                let (id, school, nodeRegion, version, seen, offset, free, pending, error) = try row.decode(
                    (String, String, String, String?, Date?, Double?, Int64?, Int64?, String?).self)
                result.append(
                    Monitoring.NodeHealth(
                        id: id, schoolCode: school, region: nodeRegion, version: version, lastSeenAt: seen,
                        clockOffset: offset, freeBytes: free, eventsPending: pending.map(Int.init), lastError: error))
            }
            return result
        }
    }

    // MARK: Operators

    public func addOperator(_ operator: Operator, passwordHash: String) async throws -> Bool {
        try await run {
            let rows = try await client.query(
                """
                INSERT INTO operator (username, name, role, region, password_hash)
                VALUES (\(`operator`.username), \(`operator`.name), \(`operator`.role.rawValue), \(`operator`.region),
                    \(passwordHash))
                ON CONFLICT (username) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect()
            return !rows.isEmpty
        }
    }

    public func operators() async throws -> [Operator] {
        try await run {
            var result: [Operator] = []
            for try await (username, name, role, region) in try await client.query(
                "SELECT username, name, role, region FROM operator ORDER BY username COLLATE \"C\"", logger: logger
            ).decode((String, String, String, String).self) {
                if let found = Self.operator(username, name, role, region) { result.append(found) }
            }
            return result
        }
    }

    public func removeOperator(username: String) async throws -> Bool {
        try await run {
            // Its sessions and tokens go with it (ON DELETE CASCADE).
            !(try await client.query(
                "DELETE FROM operator WHERE username = \(username) RETURNING 1", logger: logger
            ).collect()).isEmpty
        }
    }

    public func operatorLogin(username: String) async throws -> (Operator, passwordHash: String)? {
        try await run {
            var found: (Operator, passwordHash: String)?
            for try await (name, role, region, hash) in try await client.query(
                "SELECT name, role, region, password_hash FROM operator WHERE username = \(username)", logger: logger
            ).decode((String, String, String, String).self) {
                if let person = Self.operator(username, name, role, region) { found = (person, hash) }
            }
            return found
        }
    }

    public func storeCredential(hash: String, username: String, expiresAt: Date?) async throws {
        try await run {
            try await client.query(
                "INSERT INTO operator_credential (hash, username, expires_at) VALUES (\(hash), \(username), \(expiresAt))",
                logger: logger)
        }
    }

    public func operatorFor(credentialHash: String) async throws -> Operator? {
        try await run {
            var found: Operator?
            for try await (username, name, role, region) in try await client.query(
                """
                SELECT o.username, o.name, o.role, o.region FROM operator_credential c
                JOIN operator o ON o.username = c.username
                WHERE c.hash = \(credentialHash) AND (c.expires_at IS NULL OR c.expires_at > now())
                """, logger: logger
            ).decode((String, String, String, String).self) {
                found = Self.operator(username, name, role, region)
            }
            return found
        }
    }

    public func removeCredential(hash: String) async throws {
        try await run {
            try await client.query("DELETE FROM operator_credential WHERE hash = \(hash)", logger: logger)
        }
    }

    /// The operator of a stored row; nil for a row no longer valid.
    private static func `operator`(_ username: String, _ name: String, _ role: String, _ region: String) -> Operator? {
        guard let role = Operator.Role(rawValue: role) else { return nil }
        return try? Operator(username: username, name: name, role: role, region: region)
    }
}
