#include "import/catalog.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "model/codec.h"
#include "rules/commands.h"

namespace cocreate {

namespace {

enum class Result { kCreated, kUpdated, kUnchanged, kRefused };

Status Refused(std::string_view what, const std::string& ref) {
  return Status(Code::kUnprocessable, "refused_reference",
                std::string(what) + " '" + ref +
                    "' was refused by this import (see its own entry), so this is refused too");
}

// Applies one catalog; see ApplyCatalog.
class Applier {
 public:
  Applier(Engine& engine, const Catalog& catalog) : engine_(engine), catalog_(catalog) {}

  ImportReport Run() {
    // What the reader refused cannot be named by what follows.
    for (const Refusal& r : catalog_.refused) {
      report_.refused.push_back(r);
      for (auto& refused : refused_) refused.insert(r.entity);
    }
    // Each phase names only what earlier phases made, so its entities are
    // applied side by side: their commands share the engine's group
    // commits. Results are noted in the catalog's order, after the phase.
    auto phase = [&](const auto& items, Noun noun, auto apply) {
      std::vector<StatusOr<Result>> results =
          InParallel(items.size(), [&](size_t i) { return (this->*apply)(items[i]); });
      for (size_t i = 0; i < items.size(); ++i) {
        std::string external_id;
        if constexpr (requires { items[i].external_id; }) external_id = items[i].external_id;
        Note(items[i].origin, results[i], noun, external_id);
      }
    };
    phase(catalog_.organizations, Noun::kOrganization, &Applier::ApplyOrganization);
    phase(catalog_.resources, Noun::kResource, &Applier::ApplyResource);
    // Services by level: a service after those of this catalog it depends on.
    for (const auto& level : ServiceLevels()) {
      std::vector<PlannedService> services;
      for (size_t i : level) services.push_back(catalog_.services[i]);
      phase(services, Noun::kService, &Applier::ApplyService);
    }
    phase(catalog_.offerings, Noun::kOffering, &Applier::ApplyOffering);
    phase(catalog_.relationships, Noun::kRelationship, &Applier::ApplyRelationship);
    std::sort(deferred_.begin(), deferred_.end(), [](const Deferred& a, const Deferred& b) {
      return a.service < b.service;
    });
    for (const Deferred& d : deferred_) ApplyDeferred(d);
    for (const auto& label : order_) {
      switch (results_[label]) {
        case Result::kCreated: ++report_.created; break;
        case Result::kUpdated: ++report_.updated; break;
        case Result::kUnchanged: ++report_.unchanged; break;
        case Result::kRefused: break;
      }
    }
    return std::move(report_);
  }

 private:
  // Links of a new or changed service that wait for this import's
  // relationships (a dependency on another organization's service).
  struct Deferred {
    Origin origin;
    std::string service, external_id;
    std::vector<std::string> built_on, depends_on;
  };

  void Note(const Origin& origin, const StatusOr<Result>& result, Noun noun,
            const std::string& external_id) {
    if (!results_.count(origin.entity)) order_.push_back(origin.entity);
    if (result.ok()) {
      // An entity already counted (a relationship of the same pair) keeps
      // its first result unless this one did more.
      auto it = results_.find(origin.entity);
      if (it == results_.end() || *result == Result::kCreated ||
          (*result == Result::kUpdated && it->second == Result::kUnchanged)) {
        results_[origin.entity] = *result;
      }
      return;
    }
    Refuse(origin, result.status());
    if (!external_id.empty()) refused_[static_cast<size_t>(noun)].insert(external_id);
  }

  void Refuse(const Origin& origin, const Status& status) {
    if (!results_.count(origin.entity)) order_.push_back(origin.entity);
    results_[origin.entity] = Result::kRefused;
    std::string message = status.message();
    if (!status.field().empty() && message.find(status.field()) == std::string::npos) {
      message += " (field '" + status.field() + "')";
    }
    report_.refused.push_back({origin.entity, origin.line, status.reason(), std::move(message)});
  }

  // The id `ref` names among `noun`: by external_id, or (CSV) by id.
  std::optional<std::string> Find(Noun noun, const std::string& ref) const {
    std::optional<std::string> out;
    engine_.Inspect([&](const State& s) {
      if (const std::string* id = s.FindByExternalId(noun, ref)) {
        out = *id;
      } else if (catalog_.ids_allowed) {
        const Noun* n = s.FindNoun(ref);
        if (n != nullptr && *n == noun) out = ref;
      }
    });
    return out;
  }

  // Find, or the reason there is nothing to find: refused earlier in this
  // import, or unknown.
  StatusOr<std::string> Resolve(Noun noun, const std::string& ref, std::string_view what) const {
    if (std::optional<std::string> id = Find(noun, ref)) return *id;
    if (refused_[static_cast<size_t>(noun)].count(ref)) return Refused(what, ref);
    return Status(Code::kUnprocessable, "unknown_reference",
                  std::string(what) + " '" + ref + "' names no " + std::string(NounName(noun)) +
                      (catalog_.ids_allowed ? " (by external_id or id)" : " (by external_id)"),
                  std::string(what));
  }

  // Runs a decoded command as the admin; the answer's JSON.
  StatusOr<Json> Execute(StatusOr<Command> command) {
    if (!command.ok()) return command.status();
    CC_ASSIGN_OR_RETURN(Outcome outcome, engine_.Execute(Principal::Admin(), std::move(*command)));
    return Json::Parse(outcome.body);
  }

  // The attributes `current` should have: the import's keys replaced.
  static Json Desired(const Json& current, const Json& owned) {
    Json out = current;
    for (const auto& [key, value] : owned.members()) out.Set(key, value);
    return out;
  }

  StatusOr<Result> ApplyOrganization(const PlannedOrganization& o) {
    std::optional<Organization> current;
    engine_.Inspect([&](const State& s) {
      if (const std::string* id = s.FindByExternalId(Noun::kOrganization, o.external_id)) {
        current = *s.FindOrganization(*id);
      }
    });
    if (!current) {
      Json body = Json::MakeObject({{"external_id", Json(o.external_id)}, {"name", Json(o.name)}});
      if (o.description) body.Set("description", Json(*o.description));
      body.Set("attributes", o.attributes);
      CC_RETURN_IF_ERROR(Execute(DecodeCreate(Noun::kOrganization, body)).status());
      return Result::kCreated;
    }
    Json patch = Json::MakeObject();
    if (current->name != o.name) patch.Set("name", Json(o.name));
    if (o.description && current->description != *o.description) {
      patch.Set("description", Json(*o.description));
    }
    const Json current_attributes = current->attributes.value();
    Json attrs = MergeDiff(current_attributes, Desired(current_attributes, o.attributes));
    if (!attrs.members().empty()) patch.Set("attributes", std::move(attrs));
    if (patch.members().empty()) return Result::kUnchanged;
    CC_RETURN_IF_ERROR(Execute(DecodePatch(Noun::kOrganization, current->id, patch)).status());
    return Result::kUpdated;
  }

  StatusOr<Result> ApplyResource(const PlannedResource& r) {
    CC_ASSIGN_OR_RETURN(std::string owner, Resolve(Noun::kOrganization, r.owner, "owner"));
    std::optional<Resource> current;
    engine_.Inspect([&](const State& s) {
      if (const std::string* id = s.FindByExternalId(Noun::kResource, r.external_id)) {
        current = *s.FindResource(*id);
      }
    });
    if (!current) {
      Json body = Json::MakeObject({{"external_id", Json(r.external_id)},
                                    {"owner", Json(owner)},
                                    {"kind", Json(r.kind)},
                                    {"name", Json(r.name)},
                                    {"attributes", r.attributes}});
      CC_RETURN_IF_ERROR(Execute(DecodeCreate(Noun::kResource, body)).status());
      return Result::kCreated;
    }
    const ResourceVersion& v = current->current();
    if (v.owner != owner) {
      return Status(Code::kUnprocessable, "owner_mismatch",
                    "resource '" + current->id + "' is owned by '" + v.owner +
                        "', the source says '" + owner +
                        "'; ownership passes only by a provision that transfers it");
    }
    if (v.kind != r.kind) {
      return Status(Code::kUnprocessable, "kind_mismatch",
                    "resource '" + current->id + "' is of kind '" + v.kind +
                        "', the source says '" + r.kind + "'; a resource's kind does not change");
    }
    Json body = Json::MakeObject();
    if (v.name != r.name) body.Set("name", Json(r.name));
    const Json current_attributes = v.attributes.value();
    Json attrs = MergeDiff(current_attributes, Desired(current_attributes, r.attributes));
    if (!attrs.members().empty()) body.Set("attributes", std::move(attrs));
    if (body.members().empty()) return Result::kUnchanged;
    CC_RETURN_IF_ERROR(Execute(DecodeRevision(current->id, body)).status());
    return Result::kUpdated;
  }

  // Services in an order where a service comes after those it depends on
  // within the catalog (a cycle is cut where it closes).
  // How many commands an import keeps in flight: enough to fill a group
  // commit, few enough to be threads.
  static constexpr size_t kWorkers = 32;

  // apply(i) for every i < n on up to kWorkers threads; the results in
  // index order.
  template <typename F>
  static std::vector<StatusOr<Result>> InParallel(size_t n, F apply) {
    std::vector<std::optional<StatusOr<Result>>> out(n);
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < n; i = next++) out[i] = apply(i);
    };
    std::vector<std::thread> threads;
    for (size_t t = 1; t < std::min(kWorkers, n); ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    std::vector<StatusOr<Result>> results;
    results.reserve(n);
    for (auto& r : out) results.push_back(std::move(*r));
    return results;
  }

  // ServiceOrder cut into levels: each service after every service of this
  // catalog it depends on that comes before it (a cycle's back edge is
  // left to the deferred links, as in the plain order).
  std::vector<std::vector<size_t>> ServiceLevels() const {
    std::vector<size_t> order = ServiceOrder();
    std::unordered_map<std::string, size_t> position;
    for (size_t p = 0; p < order.size(); ++p) {
      position.emplace(catalog_.services[order[p]].external_id, p);
    }
    std::vector<size_t> level(order.size(), 0);
    std::vector<std::vector<size_t>> levels;
    for (size_t p = 0; p < order.size(); ++p) {
      for (const auto& dep : catalog_.services[order[p]].depends_on) {
        auto it = position.find(dep);
        if (it != position.end() && it->second < p) level[p] = std::max(level[p], level[it->second] + 1);
      }
      if (levels.size() <= level[p]) levels.resize(level[p] + 1);
      levels[level[p]].push_back(order[p]);
    }
    return levels;
  }

  std::vector<size_t> ServiceOrder() const {
    std::unordered_map<std::string, size_t> by_ref;
    for (size_t i = 0; i < catalog_.services.size(); ++i) {
      by_ref.emplace(catalog_.services[i].external_id, i);
    }
    std::vector<int> mark(catalog_.services.size(), 0);  // 0 new, 1 open, 2 done
    std::vector<size_t> out;
    // Iterative depth-first walk: deep chains do not grow the call stack.
    for (size_t root = 0; root < catalog_.services.size(); ++root) {
      if (mark[root] != 0) continue;
      std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
      mark[root] = 1;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const auto& deps = catalog_.services[node].depends_on;
        if (next < deps.size()) {
          auto it = by_ref.find(deps[next++]);
          if (it != by_ref.end() && mark[it->second] == 0) {
            mark[it->second] = 1;
            stack.push_back({it->second, 0});
          }
          continue;
        }
        mark[node] = 2;
        out.push_back(node);
        stack.pop_back();
      }
    }
    return out;
  }

  // True when this import plans a relationship of `consumer_ref` on an
  // offering of the service `service_ref` (both external_ids).
  bool PlannedConsumption(const std::string& consumer_ref, const std::string& service_ref) const {
    for (const auto& rel : catalog_.relationships) {
      if (rel.consumer != consumer_ref) continue;
      for (const auto& o : catalog_.offerings) {
        if (o.external_id == rel.offering && o.service == service_ref) return true;
      }
    }
    return false;
  }

  StatusOr<Result> ApplyService(const PlannedService& s) {
    CC_ASSIGN_OR_RETURN(std::string provider, Resolve(Noun::kOrganization, s.provider, "provider"));
    std::vector<std::string> built_on, depends_on, now_depends_on;
    for (const auto& ref : s.built_on) {
      CC_ASSIGN_OR_RETURN(std::string id, Resolve(Noun::kResource, ref, "built_on"));
      built_on.push_back(std::move(id));
    }
    bool deferred = false;
    for (const auto& ref : s.depends_on) {
      // Refused before anything of it is made: deferring it would create
      // the service and then refuse only its links.
      if (ref == s.external_id) {
        return Status(Code::kUnprocessable, "service_not_usable",
                      "a service cannot depend on itself", "depends_on");
      }
      std::optional<std::string> id = Find(Noun::kService, ref);
      if (!id) {
        // A service of this catalog not applied yet: a dependency cycle.
        bool planned = std::any_of(catalog_.services.begin(), catalog_.services.end(),
                                   [&](const PlannedService& p) { return p.external_id == ref; });
        if (planned && !refused_[static_cast<size_t>(Noun::kService)].count(ref)) {
          deferred = true;
          depends_on.push_back(ref);  // resolved again when the deferred links are applied
          continue;
        }
        CC_ASSIGN_OR_RETURN(std::string known, Resolve(Noun::kService, ref, "depends_on"));
        id = known;
      }
      depends_on.push_back(*id);
      // Another organization's service is usable once this import's
      // relationships exist; the rules judge the rest now.
      bool usable = true;
      std::string target_ref;
      engine_.Inspect([&](const State& st) {
        const Service* target = st.FindService(*id);
        usable = target == nullptr || st.CanUseService(provider, *id);
        if (target != nullptr) target_ref = target->external_id;
      });
      if (!usable && PlannedConsumption(s.provider, target_ref)) {
        deferred = true;
        continue;
      }
      now_depends_on.push_back(*id);
    }
    std::optional<Service> current;
    engine_.Inspect([&](const State& st) {
      if (const std::string* id = st.FindByExternalId(Noun::kService, s.external_id)) {
        current = *st.FindService(*id);
      }
    });
    Result result;
    std::string id;
    if (!current) {
      Json body = Json::MakeObject({{"external_id", Json(s.external_id)},
                                    {"provider", Json(provider)},
                                    {"name", Json(s.name)}});
      if (s.description) body.Set("description", Json(*s.description));
      body.Set("built_on", Strings(built_on));
      body.Set("depends_on", Strings(now_depends_on));
      CC_ASSIGN_OR_RETURN(Json created, Execute(DecodeCreate(Noun::kService, body)));
      id = StrOr(created, "id");
      result = Result::kCreated;
    } else {
      if (current->provider != provider) {
        return Status(Code::kUnprocessable, "provider_mismatch",
                      "service '" + current->id + "' is run by '" + current->provider +
                          "', the source says '" + provider + "'; a service's provider does not change");
      }
      id = current->id;
      Json patch = Json::MakeObject();
      if (current->name != s.name) patch.Set("name", Json(s.name));
      if (s.description && current->description != *s.description) {
        patch.Set("description", Json(*s.description));
      }
      if (current->built_on != built_on) patch.Set("built_on", Strings(built_on));
      // Links still waiting are added with the deferred ones.
      if (!deferred && current->depends_on != now_depends_on) {
        patch.Set("depends_on", Strings(now_depends_on));
      }
      result = Result::kUnchanged;
      if (!patch.members().empty()) {
        CC_RETURN_IF_ERROR(Execute(DecodePatch(Noun::kService, id, patch)).status());
        result = Result::kUpdated;
      }
    }
    if (deferred) {
      std::lock_guard<std::mutex> lock(deferred_mu_);
      deferred_.push_back({s.origin, id, s.external_id, built_on, depends_on});
    }
    return result;
  }

  StatusOr<Result> ApplyOffering(const PlannedOffering& o) {
    CC_ASSIGN_OR_RETURN(std::string service, Resolve(Noun::kService, o.service, "service"));
    std::string provider;
    engine_.Inspect([&](const State& s) { provider = s.FindService(service)->provider; });
    std::optional<Offering> current;
    engine_.Inspect([&](const State& s) {
      if (const std::string* id = s.FindByExternalId(Noun::kOffering, o.external_id)) {
        current = *s.FindOffering(*id);
      }
    });
    Json use = Json::MakeObject({{"name", Json("use")}, {"effect", Json("none")}});
    if (!current) {
      Json body = Json::MakeObject({{"external_id", Json(o.external_id)},
                                    {"provider", Json(provider)},
                                    {"service", Json(service)},
                                    {"name", Json(o.name)},
                                    {"audience", Json("public")},
                                    {"actions", Json::MakeArray({use})}});
      CC_RETURN_IF_ERROR(Execute(DecodeCreate(Noun::kOffering, body)).status());
      return Result::kCreated;
    }
    if (current->service != service) {
      return Status(Code::kUnprocessable, "service_mismatch",
                    "offering '" + current->id + "' offers service '" + current->service +
                        "', the source says '" + service + "'; an offering's service does not change");
    }
    Json patch = Json::MakeObject();
    if (current->name != o.name) patch.Set("name", Json(o.name));
    // Actions added through the API stay; `use` is put back when missing.
    if (current->FindAction("use") == nullptr) {
      Json actions = Json::MakeArray();
      for (const auto& a : current->actions) {
        actions.Push(Json::MakeObject({{"name", Json(a.name)}, {"effect", Json(EffectName(a.effect))}}));
      }
      actions.Push(use);
      patch.Set("actions", std::move(actions));
    }
    if (patch.members().empty()) return Result::kUnchanged;
    CC_RETURN_IF_ERROR(Execute(DecodePatch(Noun::kOffering, current->id, patch)).status());
    return Result::kUpdated;
  }

  StatusOr<Result> ApplyRelationship(const PlannedRelationship& r) {
    CC_ASSIGN_OR_RETURN(std::string consumer, Resolve(Noun::kOrganization, r.consumer, "consumer"));
    CC_ASSIGN_OR_RETURN(std::string offering, Resolve(Noun::kOffering, r.offering, "offering"));
    std::optional<Relationship> live;
    engine_.Inspect([&](const State& s) {
      for (const std::string& id : s.RelationshipsOn(offering)) {
        const Relationship* rel = s.FindRelationship(id);
        if (rel->consumer == consumer && rel->live()) live = *rel;
      }
    });
    // A suspended relationship stays as its provider left it.
    if (live && live->status != RelationshipStatus::kRequested) return Result::kUnchanged;
    Result result = Result::kUpdated;
    std::string id;
    if (live) {
      id = live->id;
    } else {
      Json body = Json::MakeObject({{"offering", Json(offering)},
                                    {"consumer", Json(consumer)},
                                    {"type", Json("basic")}});
      CC_ASSIGN_OR_RETURN(Json created, Execute(DecodeCreate(Noun::kRelationship, body)));
      id = StrOr(created, "id");
      result = Result::kCreated;
    }
    CC_RETURN_IF_ERROR(Execute(DecodeLifecycle(id, LifecycleVerb::kActivate, nullptr)).status());
    return result;
  }

  void ApplyDeferred(const Deferred& d) {
    if (results_[d.origin.entity] == Result::kRefused) return;
    Status st = [&]() -> Status {
      std::vector<std::string> depends_on;
      for (const auto& ref : d.depends_on) {
        // Already an id, or a service of this catalog applied since.
        std::optional<std::string> id;
        engine_.Inspect([&](const State& s) {
          if (s.FindService(ref) != nullptr) id = ref;
        });
        if (!id) {
          CC_ASSIGN_OR_RETURN(std::string found, Resolve(Noun::kService, ref, "depends_on"));
          id = found;
        }
        depends_on.push_back(*id);
      }
      bool same = false;
      engine_.Inspect([&](const State& s) {
        const Service* cur = s.FindService(d.service);
        same = cur != nullptr && cur->depends_on == depends_on && cur->built_on == d.built_on;
      });
      if (same) return Status::Ok();
      Json patch = Json::MakeObject(
          {{"built_on", Strings(d.built_on)}, {"depends_on", Strings(depends_on)}});
      CC_RETURN_IF_ERROR(Execute(DecodePatch(Noun::kService, d.service, patch)).status());
      if (results_[d.origin.entity] == Result::kUnchanged) results_[d.origin.entity] = Result::kUpdated;
      return Status::Ok();
    }();
    if (!st.ok()) {
      Refuse(d.origin, Status(st.code(), st.reason(),
                              st.message() + "; the service is there without its depends_on links"));
    }
  }

  static Json Strings(const std::vector<std::string>& items) {
    Json out = Json::MakeArray();
    for (const auto& s : items) out.Push(Json(s));
    return out;
  }

  Engine& engine_;
  const Catalog& catalog_;
  ImportReport report_;
  std::vector<std::string> order_;  // entity labels, first seen first
  std::unordered_map<std::string, Result> results_;
  std::set<std::string> refused_[7];  // external_ids refused, per noun
  std::mutex deferred_mu_;
  std::vector<Deferred> deferred_;  // GUARDED_BY(deferred_mu_) while a phase runs
};

}  // namespace

std::string ImportReport::ToJson() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "created");
  w.Int64(created);
  WriteKey(w, "updated");
  w.Int64(updated);
  WriteKey(w, "unchanged");
  w.Int64(unchanged);
  WriteKey(w, "refused");
  w.StartArray();
  for (const Refusal& r : refused) {
    w.StartObject();
    WriteKey(w, "entity");
    WriteString(w, r.entity);
    if (r.line > 0) {
      WriteKey(w, "line");
      w.Int64(r.line);
    }
    WriteKey(w, "code");
    WriteString(w, r.code);
    WriteKey(w, "message");
    WriteString(w, r.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

ImportReport ApplyCatalog(Engine& engine, const Catalog& catalog) {
  return Applier(engine, catalog).Run();
}

}  // namespace cocreate
