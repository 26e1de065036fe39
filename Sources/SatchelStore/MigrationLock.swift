import Foundation

/// Makes processes that open one SQLite database together open and migrate it one at a time: two platform processes
/// starting on one data folder, a node and its import worker. Opening switches a new file to WAL, which another
/// process opening it at that moment meets as "database is locked"; and GRDB's migrator reads which migrations ran
/// before it takes the write lock, so two of them would both create the first tables and one would fail ("table
/// already exists").
///
/// The lock is an exclusive `flock` on a file of its own beside the database (`<database>-migration.lock`), held from
/// ``init(databaseAt:)`` until the value is released: closing any descriptor of the database file itself would drop
/// SQLite's own POSIX locks on it. Where the lock file cannot be made (a read-only folder, where nothing can be
/// migrated either), nothing is locked.
public final class MigrationLock {
    private let descriptor: Int32

    /// Takes the lock for the database at `path`, waiting for other processes.
    public init(databaseAt path: String) {
        descriptor = open(path + "-migration.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
    }

    deinit {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
