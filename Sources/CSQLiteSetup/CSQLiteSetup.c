#include "CSQLiteSetup.h"
#include <sqlite3.h>

static int threading_result = -1;

// Runs when the process loads (a constructor), so that the setting precedes any use of SQLite in the
// process, whichever code opens a connection first. sqlite3_config is variadic, so Swift cannot call
// it; this file does.
__attribute__((constructor)) static void crow_sqlite_use_multithread_mode(void) {
    int mode = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    threading_result = mode != SQLITE_OK ? mode : sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int crow_sqlite_threading_result(void) {
    return threading_result;
}
