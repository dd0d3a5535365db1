// Small pieces shared by the engine's read side (queries.cc and
// relationship_queries.cc): how a JSON answer is opened, closed and finished.
// Internal to src/engine.
#ifndef COCREATE_ENGINE_ANSWERS_H_
#define COCREATE_ENGINE_ANSWERS_H_

#include <string>
#include <string_view>

#include "engine/engine.h"
#include "model/json.h"
#include "rules/state.h"

namespace cocreate {

// The text a writer wrote.
std::string Done(rapidjson::StringBuffer& buf);
// "key": "time", or "key": null for a time that has not come.
void WriteTimeOrNull(JsonWriter& w, std::string_view key, const std::string& at);
// Opens a list: `{"items": [`.
void BeginList(JsonWriter& w);
// Closes a list's items and writes its `total`, `limit` and `offset`; the
// object stays open for more members.
void EndItems(JsonWriter& w, int64_t total, const ListQuery& q);
// EndItems, and closes the object.
void EndList(JsonWriter& w, int64_t total, const ListQuery& q);
// True when `id` is a `noun` that `p` may see.
bool Exists(const State& s, const Principal& p, Noun noun, const std::string& id);
// 404: no `noun` `id` (absent or hidden alike).
Status NoSuch(Noun noun, const std::string& id);

}  // namespace cocreate

#endif  // COCREATE_ENGINE_ANSWERS_H_
