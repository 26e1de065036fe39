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
            // Publishing for chosen regions and stages (issue 16): a school's stages, and a bundle's targets, one a
            // line.
            "pg4-targeting",
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
                var accepted = 0
                if !events.isEmpty {
                    for try await count in try await connection.query(
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
                            RETURNING 1)
                        SELECT count(*) FROM added
                        """, logger: logger
                    ).decode(Int64.self) {
                        accepted = Int(count)
                    }
                }
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
        try await run {
            try await client.query(
                "UPDATE node SET last_health = \(json), last_seen_at = now() WHERE id = \(node)", logger: logger)
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
