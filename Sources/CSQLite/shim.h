// The system SQLite, for OCPPStationStorage and station-bench.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro Swift cannot import: SQLite copies a bound value before the call returns.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. No page-cache bulk block: SQLite otherwise preallocates
// SQLITE_DEFAULT_PCACHE_INITSZ (20) pages, about 90 KiB, per connection and keeps it through PRAGMA shrink_memory;
// without it every cached page is an ordinary allocation that shrink_memory hands back. Only valid before SQLite
// initialises (the first sqlite3_open); afterwards it returns SQLITE_MISUSE and changes nothing.
static inline int csqlite_config_page_cache_without_bulk(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}
