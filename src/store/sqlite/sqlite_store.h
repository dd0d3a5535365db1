// The SQLite backend of EventStore: WAL journal, synchronous=FULL, exclusive
// locking (one process per file, no -shm), one table `events` keyed by seq,
// and `meta` holding the schema version.
#ifndef COCREATE_STORE_SQLITE_SQLITE_STORE_H_
#define COCREATE_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "store/store.h"

namespace cocreate {

// Opens the database at `path` (":memory:" for a private in-memory one),
// creating the file 0600 when absent. With kExclusive it holds the file
// locked until the store is destroyed. Errors: Unavailable; reason "store_in_use" when
// another process has the file open.
StatusOr<std::unique_ptr<EventStore>> OpenSqliteStore(
    const std::string& path, bool durable, SqliteLocking locking = SqliteLocking::kExclusive);

// The schema version this build writes and understands.
inline constexpr int kSqliteSchemaVersion = 2;  // 2: webhook deliveries

}  // namespace cocreate

#endif  // COCREATE_STORE_SQLITE_SQLITE_STORE_H_
