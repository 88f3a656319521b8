// A work-around for The Sleuth Kit 4.11's attribute walk on large holes. tsk_fs_attr_walk checks
// each run's block address against the file system's last block before it looks at the run's
// SPARSE / FILLER flag, so a hole longer than the whole file system (a 10 GB sparse file inside a
// 64 MiB ext4 image, a VM disk file on a small volume) fails with "Invalid address in run (too
// large)" after the first last_block blocks - icat fails the same way. Such attributes are
// streamed here from their run list instead: zeros for holes, blocks through tsk_fs_read.
#pragma once

#include <tsk/libtsk.h>

#include <cstddef>
#include <functional>

namespace triage::layout {

// True when TSK's walk would fail on ATTR for that reason: a plain (not compressed or encrypted)
// non-resident attribute of at most 16 GiB with a sparse or filler run reaching past the last
// block. Larger claims are left to TSK's error (time spent is proportional to the claimed size).
bool needs_sparse_walk(const TSK_FS_INFO* fs, const TSK_FS_ATTR* attr);

// Streams ATTR's SIZE bytes to SINK in pieces of at most 1 MiB, as tsk_fs_file_walk would; SINK
// returns false to stop early. 0 when done or stopped, 1 on a read error (TSK's error state set,
// so tsk_error_get() describes it), like TSK's walk functions.
uint8_t walk_sparse_attr(TSK_FS_INFO* fs, const TSK_FS_ATTR* attr, const std::function<bool(char*, size_t)>& sink);

}  // namespace triage::layout
