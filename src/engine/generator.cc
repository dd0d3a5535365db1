#include "engine/generator.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cocreate {

namespace {

// Collects the answers of a window of submitted commands.
class Window {
 public:
  void Submit(Engine& engine, Command command) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++pending_;
    }
    engine.Submit(Principal::Admin(), std::move(command), [this](StatusOr<Outcome> r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.ok()) {
        ++accepted_;
      } else if (first_error_.ok()) {
        first_error_ = r.status();
      }
      if (--pending_ == 0) cv_.notify_all();
    });
  }
  // Waits for every submitted command; returns the first refusal, if any.
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    return first_error_;
  }
  int64_t accepted() const { return accepted_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t pending_ = 0;
  int64_t accepted_ = 0;
  Status first_error_;
};

Command Create(Noun noun, Json body) { return DecodeCreate(noun, body).value(); }
Command Move(const std::string& rel, LifecycleVerb verb) {
  return DecodeLifecycle(rel, verb, nullptr).value();
}
Json Ids(const std::vector<std::string>& ids) {
  Json a = Json::MakeArray();
  for (const auto& id : ids) a.Push(Json(id));
  return a;
}
Json Obj(Json::Object members) { return Json::MakeObject(std::move(members)); }

// What a provider's services stand on (Builder::Offer).
enum class OfferOn {
  kOwn,       // its own resources only
  kObtained,  // what it obtained first, topped up with its own resources
  kCloud,     // a hyperscaler's: its control plane and some of its regions
};

// The tier of a hyperscaler (GeneratorShape::kHubs), above tier 0.
constexpr int kCloudTier = -1;

struct Org {
  std::string id;
  int tier = 0;  // kCloudTier, or 0 (infrastructure) to 3 (end consumers)
  std::vector<std::string> resources;  // owned, usable for services
  std::vector<std::string> services;
  std::vector<std::string> offerings;
  std::vector<std::string> obtained;   // resources provisioned to it
};

class Builder {
 public:
  Builder(Engine& engine, const GeneratorOptions& options)
      : engine_(engine), options_(options), rng_(options.seed) {}

  StatusOr<GeneratorStats> Run() {
    int64_t n = std::max<int64_t>(options_.organizations, 4);
    const bool hubs = options_.shape == GeneratorShape::kHubs;
    // kHubs: the first few organizations are hyperscalers.
    const int64_t clouds = hubs ? std::clamp<int64_t>(n / 20, 1, 3) : 0;
    // Tiers of the others: 2% infrastructure, 10% platforms, 38% business
    // units, 50% end consumers.
    for (int64_t i = 0; i < n; ++i) {
      double f = static_cast<double>(i - clouds) / static_cast<double>(n - clouds);
      int tier = i < clouds ? kCloudTier : f < 0.02 ? 0 : f < 0.12 ? 1 : f < 0.5 ? 2 : 3;
      orgs_.push_back({"g-org-" + std::to_string(i), tier, {}, {}, {}, {}});
    }
    for (auto& o : orgs_) {
      Add(Create(Noun::kOrganization, Obj({{"id", Json(o.id)}, {"name", Json("Org " + o.id)}})));
    }
    CC_RETURN_IF_ERROR(Flush());
    if (hubs) {
      // The hyperscalers offer first; every provider then obtains from one
      // or two of them, and some end consumers buy from them directly.
      std::vector<Org*> hyperscalers;
      for (auto& o : orgs_) {
        if (o.tier != kCloudTier) continue;
        Offer(o, OfferOn::kCloud);
        hyperscalers.push_back(&o);
      }
      CC_RETURN_IF_ERROR(Flush());
      std::vector<std::pair<Org*, Org*>> links;
      for (auto& o : orgs_) {
        if (o.tier == kCloudTier) continue;
        int k = o.tier < 3 ? 1 + static_cast<int>(rng_() % 2) : rng_() % 4 == 0;
        for (int j = 0; j < k; ++j) links.emplace_back(PowerLaw(hyperscalers), &o);
      }
      CC_RETURN_IF_ERROR(Relate(links));
    }
    // Providers (tiers 0-2) get resources, services and offerings: with
    // kHubs, built on what they obtained from the hyperscalers.
    for (auto& o : orgs_) {
      if (o.tier >= 0 && o.tier < 3) Offer(o, hubs ? OfferOn::kObtained : OfferOn::kOwn);
    }
    CC_RETURN_IF_ERROR(Flush());
    // Tier by tier, consumers obtain from the tier above, then offer onwards.
    for (int tier = 1; tier <= 3; ++tier) {
      std::vector<Org*> providers;
      for (auto& o : orgs_) {
        if (o.tier == tier - 1) providers.push_back(&o);
      }
      if (providers.empty()) {  // small ecosystems: any tier above
        for (auto& o : orgs_) {
          if (o.tier < tier) providers.push_back(&o);
        }
      }
      std::vector<std::pair<Org*, Org*>> links;  // provider, consumer
      for (auto& o : orgs_) {
        if (o.tier != tier) continue;
        int k = 1 + static_cast<int>(rng_() % 3);
        for (int j = 0; j < k; ++j) links.emplace_back(PowerLaw(providers), &o);
      }
      CC_RETURN_IF_ERROR(Relate(links));
      if (tier < 3) {
        for (auto& o : orgs_) {
          if (o.tier == tier) Offer(o, OfferOn::kObtained);
        }
        CC_RETURN_IF_ERROR(Flush());
      }
    }
    // A few organizations provide back upstream: cycles (never to a
    // hyperscaler, which buys from nobody).
    std::vector<std::pair<Org*, Org*>> back;
    for (auto& o : orgs_) {
      std::vector<Org*> upstream = providers_of_[o.id];
      std::erase_if(upstream, [](const Org* p) { return p->tier == kCloudTier; });
      if (o.tier == 2 && !o.offerings.empty() && !upstream.empty() && rng_() % 20 == 0) {
        back.emplace_back(&o, upstream[rng_() % upstream.size()]);  // serves its own provider
      }
    }
    CC_RETURN_IF_ERROR(Relate(back));
    if (options_.evolve) CC_RETURN_IF_ERROR(Evolve());
    stats_.events = engine_.last_seq();
    return stats_;
  }

 private:
  std::string NewId(const std::string& prefix) { return prefix + "-" + std::to_string(++ids_); }

  // Preferential choice: earlier (more established) organizations are picked
  // far more often, giving power-law fan-in.
  Org* PowerLaw(const std::vector<Org*>& from) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    size_t i = static_cast<size_t>(from.size() * u * u * u);
    return from[std::min(i, from.size() - 1)];
  }

  // Up to `k` distinct elements of `from`, in a random order.
  std::vector<std::string> Sample(std::vector<std::string> from, size_t k) {
    for (size_t i = 0; i < from.size() && i < k; ++i) {
      std::swap(from[i], from[i + rng_() % (from.size() - i)]);
    }
    if (from.size() > k) from.resize(k);
    return from;
  }

  void Offer(Org& o, OfferOn on) {
    const int f = options_.fanout;
    const bool own_only = on == OfferOn::kOwn;
    const bool cloud = on == OfferOn::kCloud;
    // A hyperscaler's resources: its control plane first, then its regions.
    int resources = f > 0 ? f + 2 : cloud ? 3 : 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < resources; ++i) {
      std::string id = NewId("g-res");
      const char* kind = i == 0 ? "platform" : cloud ? "region" : "dataset";
      const char* name = !cloud ? "resource " : i == 0 ? "control plane " : "region ";
      Add(Create(Noun::kResource, Obj({{"id", Json(id)}, {"owner", Json(o.id)},
                                       {"kind", Json(kind)},
                                       {"name", Json(name + id)},
                                       {"attributes", Obj({{"size", Json(int64_t(rng_() % 100))}})}})));
      o.resources.push_back(id);
    }
    // A spare, uncommitted good that offerings can transfer.
    std::string spare = NewId("g-res");
    Add(Create(Noun::kResource, Obj({{"id", Json(spare)}, {"owner", Json(o.id)},
                                     {"kind", Json("device")}, {"name", Json("spare")}})));
    spares_[o.id].push_back(spare);
    int services = f > 0 ? std::max(1, f / 2) : 1;
    if (cloud) services = std::max(3, services);
    for (int k = 0; k < services; ++k) {
      std::vector<std::string> built_on;
      std::vector<std::string> depends;
      std::vector<std::string> consumed;
      for (const auto& [rel, s] : consumed_[o.id]) {
        if (!inactive_.count(rel)) consumed.push_back(s);
      }
      if (cloud) {
        // Every service stands on the control plane and some regions, and
        // all but the first (identity) depend on the first.
        built_on = {o.resources[0]};
        std::vector<std::string> regions(o.resources.begin() + 1, o.resources.end());
        for (auto& r : Sample(regions, f > 0 ? std::max(1, f / 4) : 1)) {
          built_on.push_back(std::move(r));
        }
        if (k > 0) depends = {o.services[0]};
      } else if (f == 0) {
        built_on = {o.resources[0]};
        if (!own_only) {
          // Services stand on most of what the organization obtained, so a
          // failure upstream reaches across organizations.
          for (const auto& r : o.obtained) {
            if (rng_() % 4 != 0) built_on.push_back(r);
          }
        }
        if (!o.services.empty()) depends.push_back(o.services.back());
        for (const auto& s : consumed) {
          if (rng_() % 2 == 0) depends.push_back(s);
        }
      } else {
        // Services made after obtaining stand on everything obtained and
        // depend on everything consumed: failures cascade down the tiers.
        if (!own_only) {
          built_on = o.obtained;
          depends = consumed;
        }
        size_t own = static_cast<size_t>(f) > built_on.size() ? f - built_on.size() : 0;
        for (auto& r : Sample(o.resources, own)) built_on.push_back(std::move(r));
        size_t deps = static_cast<size_t>(f / 2) > depends.size() ? f / 2 - depends.size() : 0;
        for (auto& d : Sample(o.services, deps)) depends.push_back(std::move(d));
      }
      std::string svc = NewId("g-svc");
      if (options_.evolve) {
        services_[svc] = {o.id, built_on, depends};
        for (const auto& r : built_on) ++committed_[r];
      }
      Add(Create(Noun::kService, Obj({{"id", Json(svc)}, {"provider", Json(o.id)},
                                      {"name", Json("service " + svc)}, {"built_on", Ids(built_on)},
                                      {"depends_on", Ids(depends)}})));
      o.services.push_back(svc);
      std::string off = NewId("g-off");
      Json access = Json::MakeArray();
      if (f == 0) {
        if (o.resources.size() > 1) access.Push(Obj({{"resource", Json(o.resources[1])}}));
      } else {
        for (const auto& r : Sample(o.resources, 2)) access.Push(Obj({{"resource", Json(r)}}));
      }
      if (options_.evolve) {
        OfferingInfo& info = offerings_[off];
        info.provider = o.id;
        info.service = svc;
        for (const Json& a : access.items()) {
          info.access.push_back(a.Find("resource")->as_string());
          ++committed_[info.access.back()];
        }
      }
      Json actions = Json::MakeArray();
      for (const char* e : {"create", "modify", "transfer", "none"}) {
        actions.Push(Obj({{"name", Json(std::string("do-") + e)}, {"effect", Json(e)}}));
      }
      Json goods = Json::MakeArray();
      goods.Push(Obj({{"kind", Json("device")}, {"name", Json("device")}}));
      Add(Create(Noun::kOffering, Obj({{"id", Json(off)}, {"provider", Json(o.id)},
                                       {"service", Json(svc)}, {"name", Json("offering " + off)},
                                       {"audience", Json("public")}, {"access", access},
                                       {"actions", actions}, {"goods", goods}})));
      o.offerings.push_back(off);
    }
  }

  // Requests and activates a relationship per (provider, consumer) link, then
  // provisions: a created resource each, a modification of it, sometimes a
  // transfer of a spare good.
  Status Relate(const std::vector<std::pair<Org*, Org*>>& links) {
    static const char* kTypes[] = {"basic", "cooperative", "partnership"};
    std::vector<std::pair<std::string, std::pair<Org*, Org*>>> rels;
    for (const auto& [p, c] : links) {
      if (p->offerings.empty() || p == c) continue;
      size_t k = rng_() % p->offerings.size();  // offerings[k] describes services[k]
      // One live relationship per consumer and offering (CONTRACT §5).
      size_t tries = 0;
      while (!requested_.insert(c->id + "\n" + p->offerings[k]).second &&
             ++tries < p->offerings.size()) {
        k = (k + 1) % p->offerings.size();
      }
      if (tries == p->offerings.size()) continue;
      std::string rel = NewId("g-rel");
      Add(Create(Noun::kRelationship,
                 Obj({{"id", Json(rel)}, {"offering", Json(p->offerings[k])},
                      {"consumer", Json(c->id)}, {"type", Json(kTypes[rng_() % 3])}})));
      rels.push_back({rel, {p, c}});
      if (options_.evolve) {
        offerings_[p->offerings[k]].relationships++;
        live_.push_back({rel, p, c});
      }
      consumed_[c->id].emplace_back(rel, p->services[k]);
      providers_of_[c->id].push_back(p);
    }
    CC_RETURN_IF_ERROR(Flush());
    for (const auto& r : rels) Add(Move(r.first, LifecycleVerb::kActivate));
    CC_RETURN_IF_ERROR(Flush());
    std::vector<std::pair<std::string, std::string>> made;  // relationship, resource
    for (const auto& [rel, pc] : rels) {
      auto [p, c] = pc;
      std::string res = NewId("g-res");
      std::string prov = NewId("g-prov");
      Json creates = Json::MakeArray();
      creates.Push(Obj({{"id", Json(res)}, {"kind", Json("workspace")}, {"name", Json("made " + res)}}));
      Json used = Json::MakeArray();
      used.Push(Json(p->resources[0]));
      Json costs = Json::MakeArray();
      costs.Push(Obj({{"amount", Json(static_cast<double>(rng_() % 1000) / 10)},
                      {"currency", Json("EUR")}, {"kind", Json("introduced")}}));
      Add(Create(Noun::kProvision,
                 Obj({{"id", Json(prov)}, {"relationship", Json(rel)}, {"action", Json("do-create")},
                      {"used", used}, {"creates", creates},
                      {"value", Obj({{"outcomes", Ids({"set up"})}, {"costs", costs}})}})));
      c->obtained.push_back(res);
      made.emplace_back(rel, res);
      if (options_.evolve) made_by_[rel].push_back(res);
      auto& spares = spares_[p->id];
      if (!spares.empty() && rng_() % 4 == 0) {
        Add(Create(Noun::kProvision, Obj({{"id", Json(NewId("g-prov"))}, {"relationship", Json(rel)},
                                          {"action", Json("do-transfer")},
                                          {"transfers", Ids({spares.back()})}})));
        c->obtained.push_back(spares.back());
        if (options_.evolve) devices_[c->id].push_back(spares.back());
        spares.pop_back();
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    for (const auto& [rel, res] : made) {
      if (rng_() % 2) continue;
      Json modifies = Json::MakeArray();
      modifies.Push(Obj({{"resource", Json(res)}, {"attributes", Obj({{"tuned", Json(true)}})}}));
      Add(Create(Noun::kProvision, Obj({{"id", Json(NewId("g-prov"))}, {"relationship", Json(rel)},
                                        {"action", Json("do-modify")}, {"modifies", modifies}})));
    }
    CC_RETURN_IF_ERROR(Flush());
    // Relationships age: some are suspended, a few end (after their
    // provisions, so the resources they made stay with the consumers).
    for (const auto& [rel, res] : made) {
      uint64_t r = rng_() % 20;
      if (r == 0) Add(Move(rel, LifecycleVerb::kTerminate));
      if (r == 1 || r == 2) Add(Move(rel, LifecycleVerb::kSuspend));
      if (r <= 2) inactive_.insert(rel);
    }
    return Flush();
  }

  // The ecosystem changes (GeneratorOptions::evolve), in rounds whose
  // commands the rules all accept: every choice is checked against what the
  // builder knows of the state.
  Status Evolve() {
    auto has = [](const std::vector<std::string>& v, const std::string& x) {
      return std::find(v.begin(), v.end(), x) != v.end();
    };
    auto usable = [&](const std::string& org, const std::string& r) {
      return !retired_.count(r) && owner_of(r, org);
    };
    // 1. Services change what they stand on: one link dropped, one own
    // resource or earlier own service added; offerings change their access.
    std::vector<std::pair<std::string, Links>> undo;  // the links before
    for (auto& o : orgs_) {
      for (size_t k = 0; k < o.services.size(); ++k) {
        if (rng_() % 3 != 0) continue;
        const std::string& svc = o.services[k];
        Links& now = services_[svc];
        Links next = now;
        if (!next.built_on.empty() && rng_() % 2 == 0) {
          next.built_on.erase(next.built_on.begin() + rng_() % next.built_on.size());
        }
        for (const auto& r : o.resources) {
          if (!has(next.built_on, r) && rng_() % 2 == 0) {
            next.built_on.push_back(r);
            break;
          }
        }
        if (!next.depends_on.empty() && rng_() % 2 == 0) {
          next.depends_on.erase(next.depends_on.begin() + rng_() % next.depends_on.size());
        } else if (k > 0 && !has(next.depends_on, o.services[k - 1])) {
          next.depends_on.push_back(o.services[rng_() % k]);
          if (std::count(next.depends_on.begin(), next.depends_on.end(), next.depends_on.back()) > 1) {
            next.depends_on.pop_back();
          }
        }
        if (next.built_on == now.built_on && next.depends_on == now.depends_on) continue;
        Patch(Noun::kService, svc, Obj({{"built_on", Ids(next.built_on)},
                                        {"depends_on", Ids(next.depends_on)}}));
        undo.emplace_back(svc, now);
        Relink(now, next);
      }
      for (const auto& off : o.offerings) {
        if (rng_() % 3 != 0) continue;
        auto& access = offerings_[off].access;
        std::vector<std::string> next = access;
        if (!next.empty() && rng_() % 2 == 0) next.erase(next.begin() + rng_() % next.size());
        for (const auto& r : o.resources) {
          if (!has(next, r) && rng_() % 3 == 0) {
            next.push_back(r);
            break;
          }
        }
        if (next == access) continue;
        Json list = Json::MakeArray();
        for (const auto& r : next) list.Push(Obj({{"resource", Json(r)}}));
        Patch(Noun::kOffering, off, Obj({{"access", list}}));
        for (const auto& r : access) --committed_[r];
        for (const auto& r : next) ++committed_[r];
        access = next;
      }
      // Owners revise some of their resources.
      for (const auto& r : o.resources) {
        if (rng_() % 4 == 0) Revise(r);
      }
      for (const auto& r : o.obtained) {
        if (rng_() % 5 == 0 && usable(o.id, r)) Revise(r);
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    // 2. Provisions after the changes modify what earlier ones made, so a
    // resource's versions stand on different upstreams.
    for (const auto& [rel, p, c] : live_) {
      if (inactive_.count(rel) || rng_() % 2) continue;
      for (const auto& res : made_by_[rel]) {
        if (!usable(c->id, res)) continue;
        Json modifies = Json::MakeArray();
        modifies.Push(Obj({{"resource", Json(res)},
                           {"attributes", Obj({{"round", Json(int64_t(2))}})}}));
        Json used = Json::MakeArray();
        used.Push(Json(p->resources[0]));
        Add(Create(Noun::kProvision, Obj({{"id", Json(NewId("g-prov"))}, {"relationship", Json(rel)},
                                          {"action", Json("do-modify")}, {"used", used},
                                          {"modifies", modifies}})));
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    // 3. Consumers pass obtained goods on to their own consumers (the
    // relationship that brought them no longer reaches them), and retire
    // some of what they were given.
    for (const auto& [rel, p, c] : live_) {
      if (inactive_.count(rel)) continue;
      auto& devices = devices_[p->id];
      if (devices.empty() || rng_() % 2) continue;
      std::string d = devices.back();
      devices.pop_back();
      if (!usable(p->id, d) || committed_[d] > 0) continue;
      Add(Create(Noun::kProvision, Obj({{"id", Json(NewId("g-prov"))}, {"relationship", Json(rel)},
                                        {"action", Json("do-transfer")}, {"transfers", Ids({d})}})));
      owner_[d] = c->id;
    }
    CC_RETURN_IF_ERROR(Flush());
    // Some relationships pause: what the consumers built on them degrades.
    std::vector<std::string> paused;
    for (const auto& [rel, p, c] : live_) {
      if (inactive_.count(rel) || rng_() % 10) continue;
      Add(Move(rel, LifecycleVerb::kSuspend));
      paused.push_back(rel);
    }
    CC_RETURN_IF_ERROR(Flush());
    for (const auto& rel : paused) {
      if (rng_() % 2) {
        Add(Move(rel, LifecycleVerb::kResume));
      } else {
        inactive_.insert(rel);
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    for (const auto& o : orgs_) {
      for (const auto& r : o.obtained) {
        if (committed_[r] > 0 || !usable(o.id, r) || rng_() % 3) continue;
        Add(Retire(Noun::kResource, r));
        retired_.insert(r);
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    // 4. Some links come back: services return to what they stood on before
    // step 1, where that is still theirs to use.
    for (const auto& [svc, before] : undo) {
      if (rng_() % 2) continue;
      Links& now = services_[svc];
      const std::string& provider = now.provider;
      Links next = now;
      for (const auto& r : before.built_on) {
        if (!has(next.built_on, r) && usable(provider, r)) next.built_on.push_back(r);
      }
      for (const auto& d : before.depends_on) {
        if (!has(next.depends_on, d) && !retired_.count(d) && own_service(provider, d)) {
          next.depends_on.push_back(d);
        }
      }
      if (next.built_on == now.built_on && next.depends_on == now.depends_on) continue;
      Patch(Noun::kService, svc, Obj({{"built_on", Ids(next.built_on)},
                                      {"depends_on", Ids(next.depends_on)}}));
      Relink(now, next);
    }
    CC_RETURN_IF_ERROR(Flush());
    // 5. Offerings nobody took retire, then their services when nothing
    // else of the provider depends on them.
    for (auto& o : orgs_) {
      for (size_t k = 0; k < o.offerings.size(); ++k) {
        const std::string& off = o.offerings[k];
        if (rng_() % 4 != 0) continue;
        Add(Retire(Noun::kOffering, off));
        retired_.insert(off);
        const std::string& svc = o.services[k];
        if (offerings_[off].relationships > 0) continue;
        bool depended = false;
        for (const auto& other : o.services) {
          depended = depended || (other != svc && !retired_.count(other) &&
                                  has(services_[other].depends_on, svc));
        }
        if (depended) continue;
        pending_service_retirements_.push_back(svc);
      }
    }
    CC_RETURN_IF_ERROR(Flush());
    for (const auto& svc : pending_service_retirements_) {
      Add(Retire(Noun::kService, svc));
      retired_.insert(svc);
      Relink(services_[svc], Links{services_[svc].provider, {}, {}});
    }
    CC_RETURN_IF_ERROR(Flush());
    // 6. The directory changes too: organizations are renamed, a consumer
    // group changes members, and a newcomer closes again.
    for (size_t i = 0; i < orgs_.size(); i += 7) {
      Patch(Noun::kOrganization, orgs_[i].id, Obj({{"description", Json("renamed")}}));
    }
    Add(Create(Noun::kConsumerGroup,
               Obj({{"id", Json("g-group")}, {"name", Json("group")},
                    {"members", Ids({orgs_[0].id, orgs_[1].id})}})));
    std::string newcomer = "g-org-closing";
    Add(Create(Noun::kOrganization, Obj({{"id", Json(newcomer)}, {"name", Json("newcomer")}})));
    Add(Create(Noun::kResource, Obj({{"id", Json(NewId("g-res"))}, {"owner", Json(newcomer)},
                                     {"kind", Json("platform")}, {"name", Json("left behind")}})));
    CC_RETURN_IF_ERROR(Flush());
    Patch(Noun::kConsumerGroup, "g-group",
          Obj({{"add", Ids({orgs_[2].id})}, {"remove", Ids({orgs_[0].id})}}));
    Add(DecodeRetire(Noun::kOrganization, newcomer, nullptr).value());
    return Flush();
  }

  struct Links {
    std::string provider;
    std::vector<std::string> built_on, depends_on;
  };
  struct OfferingInfo {
    std::string provider, service;
    std::vector<std::string> access;
    int relationships = 0;
  };
  struct Live {
    std::string rel;
    Org* provider;
    Org* consumer;
  };

  // Whether `org` owns `r` now: resources keep their first owner unless a
  // transfer this builder made moved them.
  bool owner_of(const std::string& r, const std::string& org) const {
    auto it = owner_.find(r);
    if (it != owner_.end()) return it->second == org;
    for (const auto& o : orgs_) {
      if (o.id != org) continue;
      return std::find(o.resources.begin(), o.resources.end(), r) != o.resources.end() ||
             std::find(o.obtained.begin(), o.obtained.end(), r) != o.obtained.end();
    }
    return false;
  }
  bool own_service(const std::string& org, const std::string& svc) {
    auto it = services_.find(svc);
    return it != services_.end() && it->second.provider == org;
  }
  void Relink(Links& now, const Links& next) {
    for (const auto& r : now.built_on) --committed_[r];
    for (const auto& r : next.built_on) ++committed_[r];
    now.built_on = next.built_on;
    now.depends_on = next.depends_on;
  }
  void Patch(Noun noun, const std::string& id, Json body) {
    Add(DecodePatch(noun, id, body).value());
  }
  void Revise(const std::string& r) {
    Add(DecodeRevision(r, Obj({{"attributes", Obj({{"revised", Json(true)}})}})).value());
  }
  Command Retire(Noun noun, const std::string& id) {
    return DecodeRetire(noun, id, nullptr).value();
  }

  // A full window goes out at once, so the plan of a phase is never held
  // whole (at 1 M objects it took 2.4 GB); the windows are the same as if
  // the phase were submitted at its end. The first failure waits for Flush.
  void Add(Command command) {
    if (!failed_.ok()) return;
    batch_.push_back(std::move(command));
    if (batch_.size() >= static_cast<size_t>(options_.window)) failed_ = Flush();
  }

  // Submits the batch in windows and waits for each.
  Status Flush() {
    if (!failed_.ok()) return failed_;
    for (size_t start = 0; start < batch_.size(); start += options_.window) {
      Window window;
      size_t end = std::min(batch_.size(), start + static_cast<size_t>(options_.window));
      for (size_t i = start; i < end; ++i) window.Submit(engine_, std::move(batch_[i]));
      Status st = window.Wait();
      stats_.commands += window.accepted();
      stats_.rejected += static_cast<int64_t>(end - start) - window.accepted();
      if (options_.progress) options_.progress(stats_.commands, stats_.commands);
      if (!st.ok()) return st;
    }
    batch_.clear();
    return Status::Ok();
  }

  Engine& engine_;
  const GeneratorOptions& options_;
  std::mt19937_64 rng_;
  std::vector<Org> orgs_;
  std::vector<Command> batch_;
  Status failed_;  // of a Flush that Add started
  std::unordered_map<std::string, std::vector<std::string>> spares_;
  // consumer → (relationship, service it consumes through it)
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> consumed_;
  std::unordered_set<std::string> inactive_;  // suspended or terminated relationships
  std::unordered_set<std::string> requested_;  // "consumer\noffering" already requested
  std::unordered_map<std::string, std::vector<Org*>> providers_of_;
  // For Evolve: what the builder knows of the state it wrote.
  std::unordered_map<std::string, Links> services_;
  std::unordered_map<std::string, OfferingInfo> offerings_;
  std::unordered_map<std::string, int> committed_;  // built_on and access references
  std::unordered_map<std::string, std::string> owner_;  // after a transfer
  std::unordered_map<std::string, std::vector<std::string>> made_by_;  // relationship → created
  std::unordered_map<std::string, std::vector<std::string>> devices_;  // goods obtained
  std::unordered_set<std::string> retired_;
  std::vector<Live> live_;
  std::vector<std::string> pending_service_retirements_;
  int64_t ids_ = 0;
  GeneratorStats stats_;
};

}  // namespace

StatusOr<GeneratorStats> Generate(Engine& engine, const GeneratorOptions& options) {
  Builder builder(engine, options);
  return builder.Run();
}

}  // namespace cocreate
