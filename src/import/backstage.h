// Backstage catalog descriptors (`catalog-info.yaml`, multi-document YAML)
// read into a Catalog (catalog.h). The mapping, field by field, is written
// up in docs/import.md:
//
//   Group              → organization
//   Component, System  → service of its spec.owner (dependsOn: a Resource →
//                        built_on, a Component or System → depends_on)
//   Resource           → resource of its spec.owner (kind: spec.type)
//   API                → public offering of the service of the Component
//                        that lists it in providesApis; one action `use`
//                        (effect none)
//   consumesApis       → active basic relationship of the consuming
//                        Component's owner on the API's offering, one per
//                        owner and API
//
// Every entity's external_id is its entity reference as Backstage writes it,
// lower-cased (`component:default/checkout`); references in the descriptors
// take Backstage's defaults (the kind the field implies, the referring
// entity's namespace). Other kinds (User, Domain, Location, Template, ...)
// are skipped.
#ifndef COCREATE_IMPORT_BACKSTAGE_H_
#define COCREATE_IMPORT_BACKSTAGE_H_

#include <memory>
#include <string>
#include <string_view>

#include "import/catalog.h"

namespace cocreate {

// Collects the entities of any number of YAML texts, then builds one
// Catalog, so that an API and the Component providing it may sit in
// different files. Not thread-safe.
class BackstageReader {
 public:
  BackstageReader();
  ~BackstageReader();
  // Reads every document of `text`; `source` names it in refusals (a file
  // path, or "content"). A text that is not YAML is refused as a whole
  // (`invalid_yaml`, with its line); a document that is not a mapping, or
  // lacks apiVersion, kind or metadata.name, is refused alone
  // (`invalid_entity`, `missing_field`). Never throws.
  void Add(std::string_view text, const std::string& source);
  // The catalog of everything added, with every refusal met so far.
  Catalog Build();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Backstage entity reference `[kind:][namespace/]name` as an external_id
// `kind:namespace/name`, lower-cased, with the defaults filled in; empty
// when `ref` is malformed or has no kind and `default_kind` is empty.
std::string CanonicalRef(std::string_view ref, std::string_view default_kind,
                         std::string_view default_namespace);

}  // namespace cocreate

#endif  // COCREATE_IMPORT_BACKSTAGE_H_
