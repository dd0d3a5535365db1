// Visibility: what an organization's token may see (CONTRACT §3, Visibility).
// The admin sees everything. Pure functions of the state.
#ifndef COCREATE_RULES_VISIBILITY_H_
#define COCREATE_RULES_VISIBILITY_H_

#include <string>

#include "model/codec.h"
#include "model/json.h"
#include "model/types.h"
#include "rules/state.h"

namespace cocreate {

// True when `p` may see the object `id` of kind `noun`. REQUIRES: it exists.
bool CanSee(const State& state, const Principal& p, Noun noun, const std::string& id);
// True when `p` may see `person`: its own organization's people, and those in
// a role on a relationship `p`'s organization is party to (CONTRACT §9.11).
bool CanSeePerson(const State& state, const Principal& p, const Person& person);
// True when `id` names an object (of any noun, or a record of a relationship,
// or a person) that `p` may see.
// A declared party role (TMF669): to the admin, the organization that
// declared it and the organization it engages.
bool CanSeePartyRole(const State& state, const Principal& p, const PartyRole& role);
bool CanSeeId(const State& state, const Principal& p, const std::string& id);
// True when the event is about something `p` may see.
bool CanSeeEvent(const State& state, const Principal& p, const Event& e);

// The ids `p` may see, as the codecs' IdFilter (CONTRACT §7: no hidden id in
// any answer). Lives as long as the state lock its user holds.
class VisibleIds final : public IdFilter {
 public:
  VisibleIds(const State& state, const Principal& p) : state_(state), p_(p) {}
  bool Shows(const std::string& id) const override;

 private:
  const State& state_;
  const Principal& p_;
};

// Which members of an organization's own consumer group a caller other than
// its owner sees: itself only (CONTRACT §9.10). Lives as long as `org`.
class OnlySelf final : public IdFilter {
 public:
  explicit OnlySelf(const std::string& org) : org_(org) {}
  bool Shows(const std::string& id) const override { return id == org_; }

 private:
  const std::string& org_;
};

// True when the encoding of object `id` of `noun` for `p` must be filtered:
// false for the admin and for the caller's own services, offerings and
// provisions, whose references it named itself (CONTRACT §9.7).
// REQUIRES: the object exists.
bool Redacts(const State& state, const Principal& p, Noun noun, const std::string& id);

// The data of event `e` as `p` may see it: every id `p` may not see is left
// out of its list (counted in data's "redacted": {FIELD: n}) or, in a single
// field, null; role.transitioned evidence naming anything hidden is left out
// (counted as "evidence"). The admin gets the data unchanged.
// True when a role transition's evidence entry names nothing `filter` hides
// (CONTRACT §2: entries naming anything the caller may not see are left out).
bool ShowsEvidence(const IdFilter& filter, const Evidence& e);

Json VisibleEventData(const State& state, const Principal& p, const Event& e);

}  // namespace cocreate

#endif  // COCREATE_RULES_VISIBILITY_H_
