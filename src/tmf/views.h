// The TMF view of cocreate's objects: one function per TMF resource that
// writes an object as that resource (docs/tmf.md gives the mapping field by
// field). Each takes the state and the caller and returns nullopt when the
// object is absent, hidden from the caller, retired or closed: such an
// object is 404 in every TMF view.
#ifndef COCREATE_TMF_VIEWS_H_
#define COCREATE_TMF_VIEWS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/json.h"
#include "rules/state.h"

namespace cocreate::tmf {

inline constexpr std::string_view kPartyBase = "/tmf-api/party/v4/";
inline constexpr std::string_view kPartyRoleBase = "/tmf-api/partyRoleManagement/v4/";
inline constexpr std::string_view kResourceBase = "/tmf-api/resourceInventoryManagement/v4/";
inline constexpr std::string_view kCatalogBase = "/tmf-api/serviceCatalogManagement/v4/";
inline constexpr std::string_view kInventoryBase = "/tmf-api/serviceInventory/v4/";
inline constexpr std::string_view kOrderingBase = "/tmf-api/serviceOrdering/v4/";

using View = std::optional<Json> (*)(const State&, const Principal&, const std::string& id);

std::optional<Json> OrganizationView(const State& s, const Principal& p, const std::string& id);
std::optional<Json> IndividualView(const State& s, const Principal& p, const std::string& id);
std::optional<Json> PartyRoleView(const State& s, const Principal& p, const std::string& id);
std::optional<Json> ResourceView(const State& s, const Principal& p, const std::string& id);
std::optional<Json> ServiceSpecificationView(const State& s, const Principal& p,
                                             const std::string& id);
std::optional<Json> ServiceCandidateView(const State& s, const Principal& p,
                                         const std::string& id);
std::optional<Json> ServiceCatalogView(const State& s, const Principal& p, const std::string& id);
std::optional<Json> InventoryServiceView(const State& s, const Principal& p,
                                         const std::string& id);
std::optional<Json> ServiceOrderView(const State& s, const Principal& p, const std::string& id);

// The ids a list of each resource walks, in creation order (the view then
// drops what the caller may not see).
std::vector<std::string> OrganizationIds(const State& s);
std::vector<std::string> IndividualIds(const State& s);
std::vector<std::string> PartyRoleIds(const State& s);
std::vector<std::string> ResourceIds(const State& s);
std::vector<std::string> ServiceIds(const State& s);
std::vector<std::string> OfferingIds(const State& s);
std::vector<std::string> RelationshipIds(const State& s);
std::vector<std::string> ServiceOrderIds(const State& s);

// The given and family names TMF632 shows for a person: as given, or the
// name split at its last space (CONTRACT §9.24).
std::pair<std::string, std::string> SplitName(const Person& person);

}  // namespace cocreate::tmf

#endif  // COCREATE_TMF_VIEWS_H_
