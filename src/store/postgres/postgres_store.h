// The PostgreSQL backend of EventStore, through libpq: one connection for
// writes and reads, one that LISTENs for appends by other instances. The
// writer lock is a transaction-scoped advisory lock, so instances sharing a
// database take turns; the seq primary key backs it up.
#ifndef COCREATE_STORE_POSTGRES_POSTGRES_STORE_H_
#define COCREATE_STORE_POSTGRES_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "store/store.h"

namespace cocreate {

// Connects to `url` (postgresql://USER@HOST:PORT/DB), applies pending schema
// migrations in one transaction, and returns the store. Errors: Unavailable
// when the server cannot be reached, a migration fails, or the database's
// schema is newer than this build knows.
StatusOr<std::unique_ptr<EventStore>> OpenPostgresStore(const std::string& url);

// The newest schema version this build knows.
int PostgresSchemaVersion();

}  // namespace cocreate

#endif  // COCREATE_STORE_POSTGRES_POSTGRES_STORE_H_
