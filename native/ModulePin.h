// Keeps the addon (and so libllama and libggml, which it links) loaded for
// the life of the process.
//
// Node unloads an addon when the last environment that loaded it goes away:
// a worker thread that was the only user, terminated. Unloading libggml-base
// leaves its std::terminate handler pointing into unmapped memory, and
// loading it again (the next worker) trips ggml's assert that the handler is
// not its own (GGML_ASSERT(prev != ggml_uncaught_exception)): a process
// abort. Engine threads and ggml's thread pools are also never meant to
// outlive the code they run. A pinned module is never unloaded.
#pragma once

namespace lg {

// Idempotent; failures are ignored (the addon then works as before).
void PinModule();

}  // namespace lg
