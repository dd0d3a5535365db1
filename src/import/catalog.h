// Catalog import (CONTRACT §8 "Import.", §9.23): what a source says should
// exist, independent of its format, and how it is applied through the rules.
//
// A reader (backstage.h, csv.h) turns a source into a Catalog: planned
// organizations, resources, services, offerings and relationships, each
// named by its `external_id`, with references to other entities by
// external_id (or, for CSV, by id), plus what it refused while reading.
// ApplyCatalog then reconciles the catalog with the engine's state, as the
// admin acting in each owner's name (§9.26), one native command at a time:
// an entity absent by external_id is created, one present is changed in
// place (PATCH or revision) when the source differs and left alone, with no
// event, when it does not.
#ifndef COCREATE_IMPORT_CATALOG_H_
#define COCREATE_IMPORT_CATALOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "model/json.h"

namespace cocreate {

// An entity the import could not apply, and why. `line` is 0 when the
// source has no line for it (the report then leaves it out).
struct Refusal {
  std::string entity;  // the entity's external_id, or where it sits in the source
  int64_t line = 0;
  std::string code;  // a contract error code (`unknown_reference`, ...) or an import one
  std::string message;
};

// Where a planned entity comes from: its label in the report and its line.
struct Origin {
  std::string entity;
  int64_t line = 0;
};

// References are external_ids; with Catalog::ids_allowed also plain ids.
struct PlannedOrganization {
  Origin origin;
  std::string external_id, name;
  std::optional<std::string> description;  // nullopt: the source does not say
  Json attributes = Json::MakeObject();    // top-level keys the import owns
};

struct PlannedResource {
  Origin origin;
  std::string external_id, owner, kind, name;
  Json attributes = Json::MakeObject();  // top-level keys the import owns
};

struct PlannedService {
  Origin origin;
  std::string external_id, provider, name;
  std::optional<std::string> description;
  std::vector<std::string> built_on, depends_on;
};

// A public offering of `service` with one action `use` of effect `none`.
struct PlannedOffering {
  Origin origin;
  std::string external_id, service, name;
};

// An active `basic` relationship of `consumer` on `offering`.
struct PlannedRelationship {
  Origin origin;
  std::string consumer, offering;
};

struct Catalog {
  bool ids_allowed = false;  // references may also be plain ids (CSV)
  std::vector<PlannedOrganization> organizations;
  std::vector<PlannedResource> resources;
  std::vector<PlannedService> services;
  std::vector<PlannedOffering> offerings;
  std::vector<PlannedRelationship> relationships;
  std::vector<Refusal> refused;  // refused while reading
};

// The import's answer (CONTRACT §9.23): how many entities were created,
// updated and left unchanged, and each refusal.
struct ImportReport {
  int64_t created = 0, updated = 0, unchanged = 0;
  std::vector<Refusal> refused;
  // {"created", "updated", "unchanged", "refused": [{"entity", "line"?, "code", "message"}]}
  std::string ToJson() const;
};

// Applies `catalog` in the order organizations, resources, services,
// offerings, relationships, then the service links that needed those
// relationships. Every step is a native command run as the admin; an entity
// the rules refuse is reported with the rule's code and message, and so is
// every entity that names it (`refused_reference`). Never fails as a whole.
ImportReport ApplyCatalog(Engine& engine, const Catalog& catalog);


}  // namespace cocreate

#endif  // COCREATE_IMPORT_CATALOG_H_
