// TM Forum Open APIs v4 over the engine (CONTRACT §8): one generic TMF630
// layer (id and href, @type, `fields`, `offset`/`limit` with
// X-Total-Count/X-Result-Count, attribute filters, merge-patch PATCH) and a
// mapping per API between TMF resources and cocreate's nouns:
//
//   TMF632 party                 organization, individual
//   TMF669 partyRoleManagement   partyRole
//   TMF639 resourceInventory...  resource
//   TMF633 serviceCatalog...     serviceSpecification, serviceCandidate, serviceCatalog
//   TMF638 serviceInventory      service
//   TMF641 serviceOrdering       serviceOrder
//
// A TMF write is a native command: it goes through the same rules and
// records the same events as the API of CONTRACT §3. Reads apply the same
// visibility; what the caller may not see, and what is retired or closed,
// is 404. docs/tmf.md gives the mapping field by field.
#ifndef COCREATE_TMF_TMF_H_
#define COCREATE_TMF_TMF_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "model/json.h"
#include "model/status.h"

namespace cocreate::tmf {

// Where the TMF APIs live on the listener.
inline constexpr std::string_view kRoot = "/tmf-api";

// One request below /tmf-api, authenticated and parsed.
struct Request {
  std::string method;                       // GET (HEAD too), POST, PATCH, DELETE
  std::vector<std::string> path;            // segments below /tmf-api, decoded
  std::map<std::string, std::string> query;  // decoded parameters
  const Json* body = nullptr;               // the parsed body, or null
};

// Its answer: `error` is set for an error (the HTTP layer renders it in
// TMF630's Error shape); otherwise `status`, `body` and `headers`.
struct Answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  Status error;
};

class Api {
 public:
  explicit Api(Engine& engine) : engine_(engine) {}

  using Reply = std::function<void(Answer)>;
  // Answers `request` by calling `reply` exactly once, possibly on the
  // engine's committer thread (writes answer once they are durable).
  void Handle(const Principal& p, const Request& request, Reply reply) const;

 private:
  Engine& engine_;
};

// TMF630 list parameters (exposed for tests).
struct ListParams {
  std::vector<std::string> fields;  // empty: every field
  int64_t offset = 0;
  int64_t limit = 100;
  // Attribute filters on the resource's own fields: a dotted path and the
  // values it may take (a comma-separated list means any of them).
  std::vector<std::pair<std::string, std::string>> filters;
};

// Reads `fields`, `offset`, `limit` (1..1000) and the filters among
// `query`'s other keys whose first path segment is one of `filterable`;
// other keys are ignored (CONTRACT §9.24). Errors: invalid_field (400) for
// a malformed offset, limit or fields.
StatusOr<ListParams> ParseListParams(const std::map<std::string, std::string>& query,
                                     const std::vector<std::string>& filterable);
// True when `doc` satisfies every filter: the value at the path (any
// element of an array on the way) equals the filter's text, or one of its
// comma-separated parts. Numbers and booleans compare by their JSON text.
bool Matches(const Json& doc, const std::vector<std::pair<std::string, std::string>>& filters);
// `doc` with only the members `fields` names, plus id, href and @type.
Json SelectFields(const Json& doc, const std::vector<std::string>& fields);

}  // namespace cocreate::tmf

#endif  // COCREATE_TMF_TMF_H_
