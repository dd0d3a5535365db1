// cocreate: a service relationship engine. All work happens in the libraries.
#include "cli/cli.h"

int main(int argc, char** argv) { return cocreate::RunCli(argc, argv); }
