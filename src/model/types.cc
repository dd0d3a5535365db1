#include "model/types.h"

#include <array>

namespace cocreate {

namespace {
constexpr std::array<std::string_view, 7> kNounNames = {
    "organization", "consumer_group", "resource", "service", "offering", "relationship",
    "provision"};
constexpr std::array<std::string_view, 7> kCollections = {
    "organizations", "consumer-groups", "resources", "services", "offerings", "relationships",
    "provisions"};

template <typename E, size_t N>
std::optional<E> FromName(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kEffects = {"create", "modify", "transfer", "none"};
constexpr std::array<std::string_view, 3> kTypes = {"basic", "cooperative", "partnership"};
constexpr std::array<std::string_view, 5> kStatuses = {"requested", "active", "suspended",
                                                        "terminated", "rejected"};
constexpr std::array<std::string_view, 2> kValueKinds = {"introduced", "removed"};
}  // namespace

std::string_view NounName(Noun noun) { return kNounNames[static_cast<size_t>(noun)]; }
std::string_view CollectionName(Noun noun) { return kCollections[static_cast<size_t>(noun)]; }
std::optional<Noun> NounFromCollection(std::string_view c) {
  return FromName<Noun>(kCollections, c);
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kMember: return "member";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

std::string_view EffectName(Effect e) { return kEffects[static_cast<size_t>(e)]; }
std::optional<Effect> EffectFromName(std::string_view s) { return FromName<Effect>(kEffects, s); }

std::string_view RelationshipTypeName(RelationshipType t) { return kTypes[static_cast<size_t>(t)]; }
std::optional<RelationshipType> RelationshipTypeFromName(std::string_view s) {
  return FromName<RelationshipType>(kTypes, s);
}

std::string_view RelationshipStatusName(RelationshipStatus s) {
  return kStatuses[static_cast<size_t>(s)];
}
std::optional<RelationshipStatus> RelationshipStatusFromName(std::string_view s) {
  return FromName<RelationshipStatus>(kStatuses, s);
}

std::string_view ValueKindName(ValueKind k) { return kValueKinds[static_cast<size_t>(k)]; }
std::optional<ValueKind> ValueKindFromName(std::string_view s) {
  return FromName<ValueKind>(kValueKinds, s);
}

std::string_view ProposalStatusName(ProposalStatus s) {
  switch (s) {
    case ProposalStatus::kOpen: return "open";
    case ProposalStatus::kAccepted: return "accepted";
    case ProposalStatus::kDeclined: return "declined";
    case ProposalStatus::kWithdrawn: return "withdrawn";
  }
  return "open";
}

namespace {
constexpr std::array<std::string_view, 4> kRequestStatuses = {"open", "fulfilled", "declined",
                                                              "cancelled"};
}  // namespace

std::string_view RequestStatusName(RequestStatus s) {
  return kRequestStatuses[static_cast<size_t>(s)];
}
std::optional<RequestStatus> RequestStatusFromName(std::string_view s) {
  return FromName<RequestStatus>(kRequestStatuses, s);
}

std::optional<bool> IsConsumerRole(std::string_view role) {
  if (role == "customer" || role == "user" || role == "sponsor") return true;
  if (role == "relationship_manager") return false;
  return std::nullopt;
}

const ResourceVersion* Resource::AsOf(int64_t seq) const {
  const ResourceVersion* found = nullptr;
  for (const ResourceVersion& v : versions) {
    if (v.seq > seq) break;
    found = &v;
  }
  return found;
}

const ServiceAction* Offering::FindAction(std::string_view action_name) const {
  for (const auto& a : actions) {
    if (a.name == action_name) return &a;
  }
  return nullptr;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(id[0])) return false;
  for (char c : id.substr(1)) {
    if (!alnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string DerivedRoleId(const std::string& org, std::string_view role) {
  return org + ":" + std::string(role);
}

std::optional<std::pair<std::string, std::string>> ParseDerivedRoleId(const std::string& id) {
  for (std::string_view role : {"provider", "consumer"}) {
    if (id.size() > role.size() + 1 &&
        id.compare(id.size() - role.size(), role.size(), role) == 0 &&
        id[id.size() - role.size() - 1] == ':') {
      return std::make_pair(id.substr(0, id.size() - role.size() - 1), std::string(role));
    }
  }
  return std::nullopt;
}

namespace {
constexpr std::string_view kEventTypeNames[] = {
#define COCREATE_EVENT_TYPE_NAME(name, text) text,
    COCREATE_EVENT_TYPES(COCREATE_EVENT_TYPE_NAME)
#undef COCREATE_EVENT_TYPE_NAME
};
}  // namespace

std::string_view EventTypeName(EventType type) {
  return kEventTypeNames[static_cast<size_t>(type)];
}

std::optional<EventType> EventTypeFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kEventTypeNames); ++i) {
    if (kEventTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

const std::vector<std::string_view>& EventTypeNames() {
  static const std::vector<std::string_view> kNames(std::begin(kEventTypeNames),
                                                    std::end(kEventTypeNames));
  return kNames;
}

}  // namespace cocreate
