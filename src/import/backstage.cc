#include "import/backstage.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace cocreate {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Thrown inside this file only, for a field that is there but malformed;
// caught per entity.
struct FieldError {
  std::string code, message;
};

// The member `key` of `m`; a null node when `m` is not a mapping or has no
// such member (yaml-cpp throws on any question to a missing member).
YAML::Node Child(const YAML::Node& m, const char* key) {
  if (!m.IsDefined() || !m.IsMap()) return YAML::Node();
  const YAML::Node& map = m;
  YAML::Node v = map[key];
  if (!v.IsDefined()) return YAML::Node();
  return v;
}

// The text at `key` of mapping `m`; nullopt when absent or null.
std::optional<std::string> Text(const YAML::Node& m, const char* key, const std::string& path) {
  YAML::Node v = Child(m, key);
  if (v.IsNull()) return std::nullopt;
  if (!v.IsScalar()) throw FieldError{"invalid_field", "'" + path + "' must be a text"};
  return v.Scalar();
}

std::string Required(const YAML::Node& m, const char* key, const std::string& path) {
  std::optional<std::string> v = Text(m, key, path);
  if (!v || v->empty()) throw FieldError{"missing_field", "'" + path + "' is required"};
  return *v;
}

// A list of texts at `key`; empty when absent or null.
std::vector<std::string> Texts(const YAML::Node& m, const char* key, const std::string& path) {
  std::vector<std::string> out;
  YAML::Node v = Child(m, key);
  if (v.IsNull()) return out;
  if (!v.IsSequence()) throw FieldError{"invalid_field", "'" + path + "' must be a list of texts"};
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      throw FieldError{"invalid_field",
                       "'" + path + "[" + std::to_string(i) + "]' must be a text"};
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

// A mapping of texts (labels, annotations) as a JSON object; members whose
// value is not a text are left out.
Json TextMap(const YAML::Node& m, const char* key) {
  Json out = Json::MakeObject();
  YAML::Node v = Child(m, key);
  if (!v.IsMap()) return out;
  for (const auto& kv : v) {
    if (kv.first.IsScalar() && kv.second.IsScalar()) {
      out.Set(kv.first.Scalar(), Json(kv.second.Scalar()));
    }
  }
  return out;
}

struct Entity {
  std::string kind;  // lower-cased
  std::string ns;    // lower-cased
  std::string ref;   // kind:namespace/name, lower-cased
  YAML::Node node;
  Origin origin;
};

std::string RefOrThrow(const std::string& text, std::string_view default_kind,
                       const std::string& ns, const std::string& path) {
  std::string ref = CanonicalRef(text, default_kind, ns);
  if (ref.empty()) {
    throw FieldError{"invalid_reference",
                     "'" + path + "' is not an entity reference ([kind:][namespace/]name): '" +
                         text + "'"};
  }
  return ref;
}

std::string KindOf(const std::string& ref) { return ref.substr(0, ref.find(':')); }

}  // namespace

std::string CanonicalRef(std::string_view ref, std::string_view default_kind,
                         std::string_view default_namespace) {
  std::string_view kind = default_kind, ns = default_namespace, name = ref;
  size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    kind = name.substr(0, colon);
    name = name.substr(colon + 1);
  }
  size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    ns = name.substr(0, slash);
    name = name.substr(slash + 1);
  }
  if (ns.empty()) ns = "default";
  if (kind.empty() || name.empty() || name.find_first_of(":/") != std::string_view::npos) return "";
  return Lower(kind) + ":" + Lower(ns) + "/" + Lower(name);
}

struct BackstageReader::Impl {
  std::vector<Entity> entities;
  std::map<std::string, std::string> seen;  // ref -> where it was first defined
  std::vector<Refusal> refused;

  void AddDocument(const YAML::Node& doc, const std::string& source, size_t index) {
    Origin origin{source + " document " + std::to_string(index + 1), doc.Mark().line + 1};
    if (doc.IsNull() || !doc.IsDefined()) return;  // an empty document: nothing to import
    if (!doc.IsMap()) {
      refused.push_back({origin.entity, origin.line, "invalid_entity",
                         "a catalog entity is a YAML mapping; this document is a " +
                             std::string(doc.IsSequence() ? "list" : "scalar")});
      return;
    }
    try {
      std::string api_version = Required(doc, "apiVersion", "apiVersion");
      std::string kind = Lower(Required(doc, "kind", "kind"));
      YAML::Node metadata = Child(doc, "metadata");
      if (!metadata.IsMap()) {
        throw FieldError{"missing_field", "'metadata' is required (a mapping with 'name')"};
      }
      std::string name = Required(metadata, "name", "metadata.name");
      std::string ns = Text(metadata, "namespace", "metadata.namespace").value_or("default");
      std::string ref = CanonicalRef(name, kind, ns);
      if (ref.empty()) {
        throw FieldError{"invalid_field", "'metadata.name' must not hold ':' or '/': '" + name + "'"};
      }
      origin.entity = ref;
      if (api_version.rfind("backstage.io/", 0) != 0) {
        throw FieldError{"invalid_field",
                         "'apiVersion' must be backstage.io/v1alpha1 or another backstage.io/ "
                         "version, not '" + api_version + "'"};
      }
      static const std::set<std::string> kImported = {"group", "component", "system", "resource",
                                                      "api"};
      if (!kImported.count(kind)) return;  // User, Domain, Location, Template, ...: not imported
      auto [it, fresh] =
          seen.emplace(ref, source + " line " + std::to_string(origin.line));
      if (!fresh) {
        throw FieldError{"duplicate_external_id",
                         "'" + ref + "' is defined twice; it was first defined at " + it->second};
      }
      entities.push_back({kind, Lower(ns), ref, doc, origin});
    } catch (const FieldError& e) {
      refused.push_back({origin.entity, origin.line, e.code, e.message});
    }
  }
};

BackstageReader::BackstageReader() : impl_(std::make_unique<Impl>()) {}
BackstageReader::~BackstageReader() = default;

void BackstageReader::Add(std::string_view text, const std::string& source) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    impl_->refused.push_back({source, e.mark.is_null() ? 0 : e.mark.line + 1, "invalid_yaml",
                              "not YAML: " + e.msg + "; nothing in " + source + " was imported"});
    return;
  } catch (const std::exception& e) {
    impl_->refused.push_back({source, 0, "invalid_yaml",
                              std::string("cannot read it: ") + e.what() + "; nothing in " +
                                  source + " was imported"});
    return;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    try {
      impl_->AddDocument(docs[i], source, i);
    } catch (const std::exception& e) {
      impl_->refused.push_back({source + " document " + std::to_string(i + 1), 0, "invalid_entity",
                                std::string("cannot read it: ") + e.what()});
    }
  }
}

namespace {

// attributes.source of an organization or a resource: what Backstage says
// of the entity that has no field of its own here.
Json SourceOf(const Entity& e) {
  Json src = Json::MakeObject({{"format", Json("backstage")}, {"ref", Json(e.ref)}});
  if (auto v = Text(e.node, "apiVersion", "apiVersion")) src.Set("apiVersion", Json(*v));
  const YAML::Node metadata = Child(e.node, "metadata");
  if (auto v = Text(metadata, "title", "metadata.title")) src.Set("title", Json(*v));
  const YAML::Node spec = Child(e.node, "spec");
  for (const char* key : {"type", "lifecycle", "system", "domain", "parent"}) {
    YAML::Node v = Child(spec, key);
    if (v.IsScalar()) src.Set(key, Json(v.Scalar()));
  }
  Json labels = TextMap(metadata, "labels");
  if (!labels.members().empty()) src.Set("labels", std::move(labels));
  Json annotations = TextMap(metadata, "annotations");
  if (!annotations.members().empty()) src.Set("annotations", std::move(annotations));
  if (YAML::Node list = Child(metadata, "tags"); list.IsSequence()) {
    Json tags = Json::MakeArray();
    for (const auto& t : list) {
      if (t.IsScalar()) tags.Push(Json(t.Scalar()));
    }
    src.Set("tags", std::move(tags));
  }
  return src;
}

}  // namespace

Catalog BackstageReader::Build() {
  Impl& in = *impl_;
  Catalog out;
  // Owners of components, and the component providing each API (the first
  // in reading order).
  std::map<std::string, std::string> owner_of, provider_of;
  for (const Entity& e : in.entities) {
    if (e.kind != "component") continue;
    try {
      const YAML::Node spec = Child(e.node, "spec");
      if (auto owner = Text(spec, "owner", "spec.owner")) {
        owner_of[e.ref] = CanonicalRef(*owner, "group", e.ns);
      }
      for (const auto& api : Texts(spec, "providesApis", "spec.providesApis")) {
        provider_of.emplace(CanonicalRef(api, "api", e.ns), e.ref);
      }
    } catch (const FieldError&) {
      // Reported when the component itself is read below.
    }
  }
  std::set<std::pair<std::string, std::string>> consumed;  // (owner, api)
  for (const Entity& e : in.entities) {
    try {
      const YAML::Node metadata = Child(e.node, "metadata");
      const YAML::Node spec = Child(e.node, "spec");
      std::string name = Text(metadata, "title", "metadata.title")
                             .value_or(Required(metadata, "name", "metadata.name"));
      std::optional<std::string> description = Text(metadata, "description", "metadata.description");
      if (e.kind == "group") {
        PlannedOrganization o;
        o.origin = e.origin;
        o.external_id = e.ref;
        o.name = name;
        if (auto v = Text(Child(spec, "profile"), "displayName", "spec.profile.displayName")) {
          o.name = *v;
        }
        o.description = description.value_or("");
        o.attributes.Set("source", SourceOf(e));
        out.organizations.push_back(std::move(o));
      } else if (e.kind == "resource") {
        PlannedResource r;
        r.origin = e.origin;
        r.external_id = e.ref;
        r.owner = RefOrThrow(Required(spec, "owner", "spec.owner"), "group", e.ns, "spec.owner");
        r.kind = Text(spec, "type", "spec.type").value_or("resource");
        r.name = name;
        r.attributes.Set("source", SourceOf(e));
        if (description) r.attributes.Set("description", Json(*description));
        out.resources.push_back(std::move(r));
      } else if (e.kind == "component" || e.kind == "system") {
        PlannedService s;
        s.origin = e.origin;
        s.external_id = e.ref;
        s.provider = RefOrThrow(Required(spec, "owner", "spec.owner"), "group", e.ns, "spec.owner");
        s.name = name;
        s.description = description.value_or("");
        for (const auto& dep : Texts(spec, "dependsOn", "spec.dependsOn")) {
          std::string ref = RefOrThrow(dep, "component", e.ns, "spec.dependsOn");
          std::string kind = KindOf(ref);
          if (kind == "resource") {
            s.built_on.push_back(ref);
          } else if (kind == "component" || kind == "system") {
            s.depends_on.push_back(ref);
          } else {
            throw FieldError{"invalid_reference",
                             "'spec.dependsOn' names '" + ref +
                                 "': only a Resource, Component or System can be depended on"};
          }
        }
        std::vector<std::string> apis;
        if (e.kind == "component") {
          for (const auto& api : Texts(spec, "consumesApis", "spec.consumesApis")) {
            apis.push_back(RefOrThrow(api, "api", e.ns, "spec.consumesApis"));
          }
          Texts(spec, "providesApis", "spec.providesApis");  // checked: a list of texts
        }
        out.services.push_back(std::move(s));
        for (const auto& api : apis) {
          const std::string& consumer = out.services.back().provider;
          auto provider = provider_of.find(api);
          // A team using its own API is no relationship between organizations.
          if (provider != provider_of.end() && owner_of[provider->second] == consumer) continue;
          if (!consumed.insert({consumer, api}).second) continue;
          out.relationships.push_back(
              {{"relationship " + consumer + " -> " + api, e.origin.line}, consumer, api});
        }
      } else if (e.kind == "api") {
        auto provider = provider_of.find(e.ref);
        if (provider == provider_of.end()) {
          throw FieldError{"no_provider", "API '" + e.ref +
                                              "' is provided by no Component (no providesApis "
                                              "names it), so it has no service to offer"};
        }
        out.offerings.push_back({e.origin, e.ref, provider->second, name});
      }
    } catch (const FieldError& err) {
      in.refused.push_back({e.origin.entity, e.origin.line, err.code, err.message});
    } catch (const std::exception& err) {
      in.refused.push_back({e.origin.entity, e.origin.line, "invalid_entity",
                            std::string("cannot read it: ") + err.what()});
    }
  }
  out.refused = in.refused;
  return out;
}

}  // namespace cocreate
