#include "store/store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace cocreate {

Status CreatePrivateDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  std::filesystem::path path(dir);
  if (path.has_parent_path() && !path.parent_path().empty()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  // mkdir with 0700: no moment in which the folder is open to others.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable("cannot create data dir '" + dir + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const StoreOptions& options) {
  const std::string& spec = options.spec;
  if (spec == "sqlite" || spec.empty()) {
    CC_RETURN_IF_ERROR(CreatePrivateDir(options.data_dir));
    return OpenSqliteStore(options.data_dir + "/cocreate.db", options.durable,
                           options.sqlite_locking);
  }
  if (spec.rfind("sqlite:", 0) == 0) {
    return OpenSqliteStore(spec.substr(7), options.durable, options.sqlite_locking);
  }
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

Status EventStore::WriteRound(int64_t after, const std::function<Status(Event)>& catch_up,
                              const std::function<std::vector<Event>()>& decide) {
  return WriteRoundWith(after, catch_up, [&] { return RoundWrites{decide(), {}}; });
}

std::string_view DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending: return "pending";
    case DeliveryStatus::kDelivered: return "delivered";
    case DeliveryStatus::kDead: return "dead";
  }
  return "pending";
}

std::optional<DeliveryStatus> DeliveryStatusFromName(std::string_view s) {
  if (s == "pending") return DeliveryStatus::kPending;
  if (s == "delivered") return DeliveryStatus::kDelivered;
  if (s == "dead") return DeliveryStatus::kDead;
  return std::nullopt;
}

Status ReadEventColumns(std::string_view type, std::string_view data,
                        std::string_view private_data, Event& e) {
  auto where = [&](const Status& st) {
    return Internal("event seq " + std::to_string(e.seq) + " (" + std::string(type) +
                    ") cannot be read: " + st.message());
  };
  std::optional<EventType> known = EventTypeFromName(type);
  if (!known) {
    // (Appended, not "'" + std::string(type): g++ 12 -O3 warns falsely on that.)
    return where(Internal(std::string("'").append(type).append("' is not an event type")));
  }
  e.type = *known;
  auto parsed = Json::Parse(data);
  if (!parsed.ok()) return where(parsed.status());
  e.data = std::move(parsed).value();
  auto priv = Json::Parse(private_data);
  if (!priv.ok()) return where(priv.status());
  e.private_data = std::move(priv).value();
  return Status::Ok();
}

std::optional<int64_t> EventStore::WaitForAppend(int timeout_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
  return std::nullopt;
}

}  // namespace cocreate
