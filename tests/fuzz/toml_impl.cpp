// The toml++ implementation (parser, printers), compiled into the fuzz target with coverage and
// sanitizer instrumentation. Its definitions take precedence over the shared library's.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
