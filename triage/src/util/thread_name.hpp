#pragma once
// Names the calling thread (at most 15 characters are kept) so that `top -H`, `perf report
// --sort comm` and gdb show the scan's pipeline: reader-N, hash-md5, hash-sha, worker-N,
// range-free/-slack/-meta, index-writer, image-hash, progress.
#include <pthread.h>

#include <string>

namespace triage::util {

inline void name_thread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

}  // namespace triage::util
