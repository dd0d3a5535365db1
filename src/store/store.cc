#include "store/store.h"

#include <filesystem>
#include <system_error>

#include "store/postgres/postgres_store.h"
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
    return OpenPostgresStore(spec);
  }
  return Status(Code::kInvalidArgument, "unsupported_store",
                "unknown store '" + spec + "': use sqlite, sqlite:PATH or postgresql://...");
}

Status EventStore::Append(const std::vector<Event>& events) {
  int64_t after = events.empty() ? 0 : events.front().seq - 1;
  return WriteRound(
      after,
      [&](const Event& e) {
        return Unavailable("the store changed underneath: seq " + std::to_string(e.seq) +
                           " is already taken");
      },
      [&] { return events; });
}

Status ReadEventColumns(std::string_view data, std::string_view private_data, Event& e) {
  auto where = [&](const Status& st) {
    return Internal("event seq " + std::to_string(e.seq) + " (" + e.type +
                    ") cannot be read: " + st.message());
  };
  auto parsed = Json::Parse(data);
  if (!parsed.ok()) return where(parsed.status());
  e.data = std::move(parsed).value();
  auto priv = Json::Parse(private_data);
  if (!priv.ok()) return where(priv.status());
  e.private_data = std::move(priv).value();
  return Status::Ok();
}

bool EventStore::WaitForAppend(int timeout_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
  return false;
}

}  // namespace cocreate
