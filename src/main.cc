// cocreate: a service relationship engine. All work happens in the libraries.
#include "cli/cli.h"

#ifdef COCREATE_JEMALLOC
// Read by jemalloc before main: the heap that holds a large state on
// transparent huge pages (first touches of fresh memory cost half as much
// that way). MALLOC_CONF in the environment overrides it.
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
constexpr cocreate::Allocator kAllocator = cocreate::Allocator::kJemalloc;
#else
constexpr cocreate::Allocator kAllocator = cocreate::Allocator::kGlibc;
#endif

int main(int argc, char** argv) { return cocreate::RunCli(argc, argv, kAllocator); }
