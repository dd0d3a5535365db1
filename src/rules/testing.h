// Test support: drive a State through the rules without an engine or store.
// Header-only; included by tests of the rules and the layers above.
#ifndef COCREATE_RULES_TESTING_H_
#define COCREATE_RULES_TESTING_H_

#include <string>
#include <string_view>

#include "rules/decide.h"

namespace cocreate::testing {

class Scenario {
 public:
  // Decides `command` and, when accepted, applies its events.
  StatusOr<Decision> Run(const Principal& p, StatusOr<Command> command) {
    if (!command.ok()) return command.status();
    std::string now = "2026-01-01T00:00:" + Two(++clock_ % 60) + ".000Z";
    StatusOr<Decision> d = Decide(state_, p, *command, now);
    if (!d.ok()) return d;
    for (Event& e : d->events) {
      e.seq = state_.last_seq() + 1;
      Status applied = state_.Apply(e);
      if (!applied.ok()) return applied;
      events_.push_back(e);
      events_.back().private_data = Json();
    }
    return d;
  }

  // Creates a `noun` from a JSON body.
  StatusOr<Decision> Create(const Principal& p, Noun noun, std::string_view body) {
    auto json = Json::Parse(body);
    if (!json.ok()) return json.status();
    return Run(p, DecodeCreate(noun, *json));
  }

  StatusOr<Decision> Move(const Principal& p, const std::string& rel, LifecycleVerb verb) {
    return Run(p, DecodeLifecycle(rel, verb, nullptr));
  }

  const State& state() const { return state_; }
  // Every applied event, as a store would hand it out to a reader: without
  // its private data.
  const std::vector<Event>& events() const { return events_; }

 private:
  static std::string Two(int n) {
    std::string s = std::to_string(n);
    if (s.size() < 2) s.insert(0, 1, '0');  // (not "0" + s: GCC 12 -O3 warns, -Werror=restrict)
    return s;
  }
  State state_;
  std::vector<Event> events_;
  int clock_ = 0;
};

}  // namespace cocreate::testing

#endif  // COCREATE_RULES_TESTING_H_
