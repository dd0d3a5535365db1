// The engine's log reads: GET /events and the SSE stream, read from the store
// and judged against the state, and the log for tests and tools.
#include <algorithm>
#include <set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "graph/questions.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {

namespace {

void EncodeEvent(const State& s, const Principal& p, const Event& e, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "seq");
  w.Int64(e.seq);
  WriteKey(w, "type");
  WriteString(w, EventTypeName(e.type));
  WriteKey(w, "at");
  WriteString(w, e.at);
  WriteKey(w, "actor");
  WriteString(w, e.actor);
  WriteKey(w, "subject");
  WriteString(w, e.subject);
  WriteKey(w, "data");
  if (p.is_admin()) {
    EventDataJson(e).Write(w);
  } else {
    VisibleEventData(s, p, e).Write(w);
  }
  w.EndObject();
}

}  // namespace

std::string Engine::EncodeEventFor(const Principal& p, const Event& e) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  EncodeEvent(state_, p, e, w);
  return Done(buf);
}

StatusOr<std::vector<std::pair<int64_t, std::string>>> Engine::EventsFrom(
    const Principal& p, int64_t after, int64_t limit, int64_t max_examined,
    int64_t* examined_to) const {
  // The log is read from the store in batches, without the state lock, up
  // to last_seq_: events durable and applied (never one whose round might
  // still be undone); each batch is then judged under the shared lock.
  constexpr int64_t kBatch = 500;
  std::vector<std::pair<int64_t, std::string>> out;
  if (examined_to != nullptr) *examined_to = after;
  const int64_t upto = last_seq_.load();
  int64_t cursor = std::max<int64_t>(after, 0);
  int64_t examined = 0;
  while (cursor < upto && static_cast<int64_t>(out.size()) < limit) {
    int64_t batch = kBatch;
    if (max_examined >= 0) batch = std::min(batch, max_examined - examined);
    if (batch <= 0) break;
    CC_ASSIGN_OR_RETURN(std::vector<Event> events, store_->Read(cursor, upto, batch));
    if (events.empty()) break;
    ReadLock lock(*this);
    for (Event& e : events) {
      if (static_cast<int64_t>(out.size()) >= limit) break;
      ++examined;
      cursor = e.seq;
      if (examined_to != nullptr) *examined_to = e.seq;
      e.private_data = Json();  // never shown
      if (!CanSeeEvent(state_, p, e)) continue;
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      EncodeEvent(state_, p, e, w);
      out.emplace_back(e.seq, Done(buf));
    }
  }
  return out;
}

StatusOr<std::vector<Event>> Engine::Log(int64_t after) const {
  std::vector<Event> log;
  CC_RETURN_IF_ERROR(store_->Scan(after, [&](Event e) {
    if (e.seq > last_seq_.load()) return Status::Ok();
    e.private_data = Json();
    log.push_back(std::move(e));
    return Status::Ok();
  }));
  return log;
}

StatusOr<std::string> Engine::Events(const Principal& p, int64_t after, int64_t limit) const {
  CC_ASSIGN_OR_RETURN(auto events, EventsFrom(p, after, limit));
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) body += ',';
    body += events[i].second;
  }
  body += "],\"next\":";
  body += std::to_string(events.empty() ? after : events.back().first);
  body += '}';
  return body;
}

}  // namespace cocreate
