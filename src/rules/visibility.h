// Visibility: what an organization's token may see (CONTRACT §3, Visibility).
// The admin sees everything. Pure functions of the state.
#ifndef COCREATE_RULES_VISIBILITY_H_
#define COCREATE_RULES_VISIBILITY_H_

#include <string>

#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

// True when `p` may see the object `id` of kind `noun`. REQUIRES: it exists.
bool CanSee(const State& state, const Principal& p, Noun noun, const std::string& id);
// True when `id` names an object (of any noun) that `p` may see.
bool CanSeeId(const State& state, const Principal& p, const std::string& id);
// True when the event is about something `p` may see.
bool CanSeeEvent(const State& state, const Principal& p, const Event& e);

}  // namespace cocreate

#endif  // COCREATE_RULES_VISIBILITY_H_
