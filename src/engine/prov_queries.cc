// The engine's provenance reads: a resource version's lineage, as JSON and as
// W3C PROV-JSON, with what the caller may not see left out and counted.
#include <algorithm>
#include <set>

#include "engine/answers.h"
#include "engine/engine.h"
#include "graph/questions.h"
#include "graph/lineage.h"
#include "model/codec.h"
#include "rules/visibility.h"

namespace cocreate {

namespace {

// The lineage of one resource version as the caller may see it: each item
// it may not see left out and counted.
struct ShownLineage {
  LineageResult result;
  int64_t redacted = 0;
};

ShownLineage ShowLineage(const State& state, const Principal& p, LineageResult result) {
  ShownLineage out;
  auto keep = [&](std::vector<LineageItem>& items, Noun noun) {
    std::erase_if(items, [&](const LineageItem& item) {
      bool hidden = !CanSee(state, p, noun, item.id);
      out.redacted += hidden;
      return hidden;
    });
  };
  keep(result.provisions, Noun::kProvision);
  keep(result.resources, Noun::kResource);
  keep(result.services, Noun::kService);
  keep(result.offerings, Noun::kOffering);
  keep(result.relationships, Noun::kRelationship);
  std::erase_if(result.organizations, [&](const std::string& id) {
    bool hidden = !CanSee(state, p, Noun::kOrganization, id);
    out.redacted += hidden;
    return hidden;
  });
  out.result = std::move(result);
  return out;
}

const ResourceVersion& VersionOf(const State& state, const std::string& id, int64_t version) {
  return state.FindResource(id)->versions[static_cast<size_t>(version - 1)];
}

// GET /resources/{id}/lineage: each object as it stood when the walk
// reached it (CONTRACT §5, "Time").
void WriteLineageJson(const State& state, const LineageResult& l, int64_t redacted,
                      JsonWriter& w) {
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  auto num = [&](std::string_view k, int64_t v) {
    WriteKey(w, k);
    w.Int64(v);
  };
  auto list = [&](std::string_view key, const std::vector<LineageItem>& items, auto fields) {
    WriteKey(w, key);
    w.StartArray();
    for (const auto& item : items) {
      w.StartObject();
      str("id", item.id);
      fields(item);
      w.EndObject();
    }
    w.EndArray();
  };
  w.StartObject();
  str("resource", l.resource);
  num("version", l.version);
  list("provisions", l.provisions, [&](const LineageItem& item) {
    const Provision& x = *state.FindProvision(item.id);
    str("action", x.action);
    str("relationship", x.relationship);
    str("at", x.at.str());
  });
  list("resources", l.resources, [&](const LineageItem& item) {
    const ResourceVersion& v = VersionOf(state, item.id, item.version);
    num("version", v.version);
    str("kind", v.kind);
    str("name", v.name);
    str("owner", v.owner);
  });
  list("services", l.services, [&](const LineageItem& item) {
    const Service& x = *state.ServiceAt(item.id, item.seq);
    str("name", x.name);
    str("provider", x.provider);
  });
  list("offerings", l.offerings, [&](const LineageItem& item) {
    const Offering& x = *state.OfferingAt(item.id, item.seq);
    num("version", x.version);
    str("name", x.name);
    str("provider", x.provider);
  });
  list("relationships", l.relationships, [&](const LineageItem& item) {
    const Relationship& x = *state.FindRelationship(item.id);
    const RelationshipChange& at = *state.RelationshipAt(item.id, item.seq);
    str("provider", x.provider);
    str("consumer", x.consumer);
    str("type", RelationshipTypeName(at.type));
    str("status", RelationshipStatusName(at.status));
  });
  WriteKey(w, "organizations");
  w.StartArray();
  for (const auto& id : l.organizations) {
    w.StartObject();
    str("id", id);
    str("name", state.FindOrganization(id)->name);
    w.EndObject();
  }
  w.EndArray();
  num("redacted", redacted);
  w.EndObject();
}

// ?format=prov: W3C PROV-JSON (CONTRACT §5, §9.21). Each resource version
// is an entity cc:ID@N generated exactly once: by its provision, by
// cc:revision:ID@N (an owner's revision) or by cc:create:ID (created
// directly); each version after the first is a prov:Revision of the one
// before. Provisions, revisions and creations are activities; organizations
// are agents; services, offerings and relationships are entities. A version
// whose provision the caller may not see has no generation listed.
void WriteLineageProv(const State& state, const LineageResult& l, JsonWriter& w) {
  auto str = [&](std::string_view k, std::string_view v) {
    WriteKey(w, k);
    WriteString(w, v);
  };
  // prov:type as the `prov` package writes it: a typed qualified name.
  auto type = [&](std::string_view name) {
    WriteKey(w, "prov:type");
    w.StartObject();
    str("$", name);
    str("type", "prov:QUALIFIED_NAME");
    w.EndObject();
  };
  auto q = [](std::string_view id) { return "cc:" + std::string(id); };
  auto qv = [](std::string_view id, int64_t version) {
    return "cc:" + std::string(id) + "@" + std::to_string(version);
  };
  // Every shown resource with its versions 1..N: N the highest reached.
  std::vector<std::pair<std::string, int64_t>> resources{{l.resource, l.version}};
  for (const auto& item : l.resources) {
    auto it = std::find_if(resources.begin(), resources.end(),
                           [&](const auto& r) { return r.first == item.id; });
    if (it == resources.end()) {
      resources.emplace_back(item.id, item.version);
    } else {
      it->second = std::max(it->second, item.version);
    }
  }
  std::set<std::string> provisions;
  for (const auto& item : l.provisions) provisions.insert(item.id);
  // How each version was made: the generating activity's id, or "" (hidden).
  auto activity_of = [&](const std::string& id, const ResourceVersion& v) -> std::string {
    if (!v.provision.empty()) return provisions.count(v.provision) ? q(v.provision) : "";
    if (v.version == 1) return "cc:create:" + id;
    return "cc:revision:" + id + "@" + std::to_string(v.version);
  };
  std::vector<std::string> agents = l.organizations;
  auto agent = [&](const std::string& org) {
    if (std::find(agents.begin(), agents.end(), org) == agents.end()) agents.push_back(org);
  };
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) agent(VersionOf(state, id, k).owner);
  }
  int relations = 0;
  auto relation_key = [&] { WriteKey(w, "_:r" + std::to_string(++relations)); };
  auto relation = [&](std::string_view a, const std::string& a_id, std::string_view b,
                      const std::string& b_id) {
    relation_key();
    w.StartObject();
    str(a, a_id);
    str(b, b_id);
    w.EndObject();
  };

  w.StartObject();
  WriteKey(w, "prefix");
  w.StartObject();
  str("cc", "urn:cocreate:");
  w.EndObject();

  WriteKey(w, "entity");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      WriteKey(w, qv(id, k));
      w.StartObject();
      type("cc:resource");
      str("prov:label", v.name);
      str("cc:kind", v.kind);
      WriteKey(w, "cc:version");
      w.Int64(v.version);
      w.EndObject();
    }
  }
  auto entities = [&](const std::vector<LineageItem>& items, std::string_view noun,
                      auto label) {
    for (const auto& item : items) {
      WriteKey(w, q(item.id));
      w.StartObject();
      type(noun);
      str("prov:label", label(item));
      w.EndObject();
    }
  };
  entities(l.services, "cc:service",
           [&](const LineageItem& i) { return state.ServiceAt(i.id, i.seq)->name; });
  std::set<std::string> offerings;  // one entity per offering
  std::vector<LineageItem> first_offerings;
  for (const auto& item : l.offerings) {
    if (offerings.insert(item.id).second) first_offerings.push_back(item);
  }
  entities(first_offerings, "cc:offering",
           [&](const LineageItem& i) { return state.OfferingAt(i.id, i.seq)->name; });
  entities(l.relationships, "cc:relationship", [&](const LineageItem& i) {
    return std::string(RelationshipTypeName(state.RelationshipAt(i.id, i.seq)->type)) +
           " relationship";
  });
  w.EndObject();

  WriteKey(w, "activity");
  w.StartObject();
  for (const auto& item : l.provisions) {
    const Provision& x = *state.FindProvision(item.id);
    WriteKey(w, q(item.id));
    w.StartObject();
    type("cc:provision");
    str("prov:label", x.action);
    str("prov:startTime", x.at.str());
    str("prov:endTime", x.at.str());
    w.EndObject();
  }
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      if (!v.provision.empty()) continue;
      WriteKey(w, activity_of(id, v));
      w.StartObject();
      type(k == 1 ? "cc:create" : "cc:revision");
      str("prov:startTime", v.at.str());
      str("prov:endTime", v.at.str());
      w.EndObject();
    }
  }
  w.EndObject();

  WriteKey(w, "agent");
  w.StartObject();
  for (const auto& id : agents) {
    WriteKey(w, q(id));
    w.StartObject();
    type("prov:Organization");
    str("prov:label", state.FindOrganization(id)->name);
    w.EndObject();
  }
  w.EndObject();

  WriteKey(w, "wasGeneratedBy");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      std::string activity = activity_of(id, v);
      if (activity.empty()) continue;
      relation_key();
      w.StartObject();
      str("prov:entity", qv(id, k));
      str("prov:activity", activity);
      str("prov:time", v.at.str());
      w.EndObject();
    }
  }
  w.EndObject();

  // A provision used each resource at the version current at its seq.
  WriteKey(w, "used");
  w.StartObject();
  for (const auto& item : l.provisions) {
    for (const auto& r : state.FindProvision(item.id)->used) {
      const ResourceVersion* v = state.FindResource(r)->AsOf(item.seq);
      auto shown = std::find_if(resources.begin(), resources.end(),
                                [&](const auto& x) { return x.first == r; });
      if (v != nullptr && shown != resources.end() && v->version <= shown->second) {
        relation("prov:activity", q(item.id), "prov:entity", qv(r, v->version));
      }
    }
  }
  w.EndObject();

  WriteKey(w, "wasAssociatedWith");
  w.StartObject();
  for (const auto& item : l.provisions) {
    relation("prov:activity", q(item.id), "prov:agent", q(state.FindProvision(item.id)->provider));
  }
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      const ResourceVersion& v = VersionOf(state, id, k);
      if (v.provision.empty()) relation("prov:activity", activity_of(id, v), "prov:agent", q(v.owner));
    }
  }
  w.EndObject();

  WriteKey(w, "wasAttributedTo");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 1; k <= n; ++k) {
      relation("prov:entity", qv(id, k), "prov:agent", q(VersionOf(state, id, k).owner));
    }
  }
  w.EndObject();

  WriteKey(w, "wasDerivedFrom");
  w.StartObject();
  for (const auto& [id, n] : resources) {
    for (int64_t k = 2; k <= n; ++k) {
      relation_key();
      w.StartObject();
      str("prov:generatedEntity", qv(id, k));
      str("prov:usedEntity", qv(id, k - 1));
      type("prov:Revision");
      w.EndObject();
    }
  }
  // A service derives from the resource versions it was built on when reached.
  for (const auto& item : l.services) {
    const Service& s = *state.ServiceAt(item.id, item.seq);
    for (const auto& r : s.built_on) {
      const Resource* res = state.FindResource(r);
      const ResourceVersion* v = res == nullptr ? nullptr : res->AsOf(item.seq);
      auto shown = std::find_if(resources.begin(), resources.end(),
                                [&](const auto& x) { return x.first == r; });
      if (v != nullptr && shown != resources.end() && v->version <= shown->second) {
        relation("prov:generatedEntity", q(item.id), "prov:usedEntity", qv(r, v->version));
      }
    }
  }
  w.EndObject();
  // The top level holds only PROV-JSON keys: the redacted count travels in
  // the Cocreate-Redacted header.
  w.EndObject();
}

}  // namespace

StatusOr<std::string> Engine::Lineage(const Principal& p, const std::string& resource,
                                      bool prov, int64_t* redacted_out,
                                      int64_t version) const {
  ReadLock lock(*this);
  if (!Exists(state_, p, Noun::kResource, resource)) return NoSuch(Noun::kResource, resource);
  // A walk over the state's history: the index knows only the present.
  StatusOr<LineageResult> walked = cocreate::Lineage(state_, resource, version);
  if (!walked.ok()) return walked.status();  // a version beyond the latest: 404
  ShownLineage shown = ShowLineage(state_, p, std::move(*walked));
  if (redacted_out != nullptr) *redacted_out = shown.redacted;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (prov) {
    WriteLineageProv(state_, shown.result, w);
  } else {
    WriteLineageJson(state_, shown.result, shown.redacted, w);
  }
  return Done(buf);
}

}  // namespace cocreate
