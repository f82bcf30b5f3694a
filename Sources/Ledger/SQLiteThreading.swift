import CSQLiteSetup

/// SQLite's threading mode in this process: multi-thread, set as the process loads.
///
/// Debian's SQLite is built serialized: every call on a connection or a statement (each bind, step and
/// reset) takes the connection's mutex, and every allocation takes a global one for SQLite's memory
/// statistics. GRDB already hands each connection to one thread at a time, so those locks guard
/// nothing here, yet they were a tenth of a rebuild's row inserts (docs/BENCHMARKS.md). Multi-thread
/// mode drops both; the locks between connections (the file's, the WAL index's) stay.
///
/// The setting belongs to the process and SQLite takes it only before its first use, so a C
/// constructor in `CSQLiteSetup` asks for it when the process loads: the gateway, the tools and the
/// tests all run in this mode, whichever of them opens a connection first.
public enum SQLiteThreading {
    /// Whether this process runs SQLite in multi-thread mode.
    public static var multiThread: Bool { crow_sqlite_threading_result() == 0 }

    /// The mode's name, as the gateway's log and the benchmark report print it.
    public static var modeName: String { multiThread ? "multi-thread" : "serialized" }
}
