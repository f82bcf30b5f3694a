#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// What SQLite answered when this process asked for multi-thread mode with its memory statistics
/// off: SQLITE_OK (0) when both settings took.
///
/// The request runs once, as the process loads, before any Swift code (and so any SQLite use) can
/// run. SQLite accepts these settings only before its first use; had something used it earlier,
/// SQLite would answer SQLITE_MISUSE (21) and stay serialized, which is slower and just as correct.
int crow_sqlite_threading_result(void);

#endif
