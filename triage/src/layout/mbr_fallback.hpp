// When The Sleuth Kit refuses a whole DOS partition table because one entry is impossible (a
// partition starting past the end of the image: TSK gives up on the table when that is one of
// the first entries), the other entries may still point at readable file systems. This reads
// the four primary entries of sector 0 directly so that those are not lost.
#pragma once

#include <tsk/libtsk.h>

#include <cstdint>
#include <vector>

namespace triage::layout {

struct MbrEntry {
    int slot = 0;            // 0..3, as in the table
    uint8_t type = 0;
    uint64_t start = 0;      // bytes
    uint64_t length = 0;     // bytes, clipped to the image
};

// Primary entries of a DOS partition table at sector 0 (0x55AA signature) that start inside the
// image: not empty, not extended (0x05, 0x0F, 0x85) and not GPT-protective (0xEE). Empty when
// there is no such table.
std::vector<MbrEntry> raw_mbr_entries(TSK_IMG_INFO* img);

}  // namespace triage::layout
