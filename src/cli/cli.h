// The command line: `cocreate serve|export|import`, --version, --help (CONTRACT §4).
#ifndef COCREATE_CLI_CLI_H_
#define COCREATE_CLI_CLI_H_

#include <string>

#include "engine/engine.h"

namespace cocreate {

// The malloc the binary is linked with (main.cc knows).
enum class Allocator { kGlibc, kJemalloc };

// Parses argv and runs the chosen subcommand; returns the process exit code.
// Before anything else, may run the binary again once so that the heap is on
// transparent huge pages (glibc) or off them when the operator opted out
// (jemalloc); see docs/operations.md.
int RunCli(int argc, char** argv, Allocator allocator = Allocator::kGlibc);

// Loads the demo ecosystem into `engine` through the API router, in-process.
// Errors: the first step that fails, naming it. REQUIRES: an empty store.
Status LoadDemo(Engine& engine);

// Returns the admin token: COCREATE_ADMIN_TOKEN when set, else the one in
// DATA_DIR/admin.token, else a new one written there (mode 0600). Sets
// `generated` when it made a new one.
StatusOr<std::string> AdminToken(const std::string& data_dir, bool& generated);

}  // namespace cocreate

#endif  // COCREATE_CLI_CLI_H_
