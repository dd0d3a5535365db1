#include "model/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "model/json.h"

namespace cocreate {

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  if (text == "debug") level = LogLevel::kDebug;
  else if (text == "info") level = LogLevel::kInfo;
  else if (text == "warn") level = LogLevel::kWarn;
  else if (text == "error") level = LogLevel::kError;
  else if (text == "off") level = LogLevel::kOff;
  else return false;
  return true;
}

void InitLog(LogLevel level) {
  auto logger = spdlog::stderr_logger_mt("cocreate");
  // The message is the rest of the JSON object: `"msg":...,"key":...`.
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err,
      spdlog::level::off};
  logger->set_level(kLevels[static_cast<int>(level)]);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(std::move(logger));
}

struct LogLine::Impl {
  rapidjson::StringBuffer buf;
  JsonWriter w{buf};
};

LogLine::LogLine(std::string_view msg) : impl_(std::make_unique<Impl>()) {
  impl_->w.StartObject();
  Add("msg", msg);
}

LogLine::~LogLine() = default;

LogLine& LogLine::Add(std::string_view key, std::string_view value) {
  WriteKey(impl_->w, key);
  WriteString(impl_->w, value);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, int64_t value) {
  WriteKey(impl_->w, key);
  impl_->w.Int64(value);
  return *this;
}

LogLine& LogLine::Add(std::string_view key, double value) {
  WriteKey(impl_->w, key);
  impl_->w.Double(value);
  return *this;
}

LogLine& LogLine::AddNull(std::string_view key) {
  WriteKey(impl_->w, key);
  impl_->w.Null();
  return *this;
}

void LogLine::Debug() { Write(spdlog::level::debug); }
void LogLine::Info() { Write(spdlog::level::info); }
void LogLine::Warn() { Write(spdlog::level::warn); }
void LogLine::Error() { Write(spdlog::level::err); }

void LogLine::Write(int level) {
  auto lvl = static_cast<spdlog::level::level_enum>(level);
  if (!spdlog::default_logger_raw()->should_log(lvl)) return;
  impl_->w.EndObject();
  // Without the object's braces: the pattern supplies them around time and level.
  std::string_view text(impl_->buf.GetString(), impl_->buf.GetSize());
  text = text.substr(1, text.size() - 2);
  spdlog::default_logger_raw()->log(lvl, "{}", text);
}

}  // namespace cocreate
