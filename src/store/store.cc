#include "store/store.h"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.h"

namespace cocreate {

StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const StoreOptions& options) {
  const std::string& spec = options.spec;
  if (spec == "sqlite" || spec.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
      return Unavailable("cannot create data dir '" + options.data_dir + "': " + ec.message());
    }
    return OpenSqliteStore(options.data_dir + "/cocreate.db", options.durable);
  }
  if (spec.rfind("sqlite:", 0) == 0) return OpenSqliteStore(spec.substr(7), options.durable);
  if (spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0) {
    return Status(Code::kInvalidArgument, "unsupported_store",
                  "the PostgreSQL backend is not built yet; use --store sqlite");
  }
  return Status(Code::kInvalidArgument, "unsupported_store",
                "unknown store '" + spec + "': use sqlite, sqlite:PATH or postgresql://...");
}

}  // namespace cocreate
