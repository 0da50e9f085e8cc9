// Build identity, stamped at configure time.
#pragma once

namespace gofer::app {

// The project version, e.g. "0.1.0".
const char* Version();
// `git describe --always --dirty` of the source tree, or "unknown" outside a git checkout.
const char* Commit();

}  // namespace gofer::app
