// Generator: a realistic synthetic ecosystem written through the same rules
// as every other write, for benchmarks and differential tests.
//
// Shape kTiers (the default): organizations in tiers (a few infrastructure providers, more
// platform builders, many business units and end consumers). Each provider
// owns resources and offers services built on them; consumers pick providers
// of the tier above with power-law preference, are provisioned new or
// modified resources, build their own services on what they obtained and
// offer them downwards; a few lower-tier organizations provide back upstream,
// closing cycles. Commands are submitted in windows, so the committer writes
// them in large rounds: one transaction per round, every event in the log.
//
// Shape kHubs: the same tiers beneath a few hyperscalers. Each hyperscaler
// runs a control plane and regions; all its services stand on the control
// plane and depend on its identity service. Every other provider first
// obtains from one or two hyperscalers (the first one far more often) and
// builds everything it offers on what it obtained, and some end consumers
// buy from them directly; so a hyperscaler's control plane or identity
// service reaches most of the ecosystem (on the order of half of all nodes;
// the providers' own resources are reached by nothing).
#ifndef COCREATE_ENGINE_GENERATOR_H_
#define COCREATE_ENGINE_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <string>

#include "engine/engine.h"

namespace cocreate {

enum class GeneratorShape {
  kTiers,  // tiers with power-law preference (the default)
  kHubs,   // the same beneath a few hyperscalers everything builds on
};

struct GeneratorOptions {
  int64_t organizations = 100;  // Default 100.
  GeneratorShape shape = GeneratorShape::kTiers;  // Default kTiers.
  uint64_t seed = 1;            // Same seed, same ecosystem.
  int window = 20000;           // commands in flight at once
  // 0: a sparse ecosystem (about one edge per node). F > 0: providers own
  // F+2 resources and run F/2 services each built on F resources and
  // depending on up to F/2 services: about F/3 edges per node.
  int fanout = 0;
  // With evolve, the ecosystem then changes (CONTRACT §5): services' built_on
  // and depends_on shrink, grow and get edges back, offerings' access
  // changes, owners revise resources, new provisions modify what earlier
  // ones made, consumers transfer obtained goods onwards, and resources,
  // offerings and services retire. Default false.
  bool evolve = false;
  // Called after each window with (commands accepted so far, total planned).
  std::function<void(int64_t, int64_t)> progress;
};

struct GeneratorStats {
  int64_t commands = 0;
  int64_t rejected = 0;  // commands the rules refused (a bug if not 0)
  int64_t events = 0;
};

// Writes the ecosystem into `engine` as the admin. Errors: the first command
// the store refused (503), or an unexpected rule refusal.
StatusOr<GeneratorStats> Generate(Engine& engine, const GeneratorOptions& options);

}  // namespace cocreate

#endif  // COCREATE_ENGINE_GENERATOR_H_
