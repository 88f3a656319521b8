// `triage scan`: opens each evidence item, walks its layout, streams every object's content
// once to the enabled detectors on N workers, and records everything in the case index.
#pragma once

#include "engine/detectors.hpp"
#include "index/db.hpp"
#include "volumes/volumes.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace triage::engine {

struct ScanOptions {
    std::string case_dir;
    std::vector<std::string> images;
    std::string examiner;
    std::string case_number;
    bool quiet = false;
    unsigned jobs = 0;                  // 0: one per core
    size_t block_size = 1 << 20;
    double detector_timeout_s = 60;     // per object and detector
    uint64_t plugin_memory_mb = 2048;   // address-space limit of each plugin process
    uint64_t whole_object_cap_mb = 32;  // TRIAGE_WANT_WHOLE detectors see objects up to this size
    // Objects of this many MiB or more have their streaming detectors run in groups on several
    // threads from the same blocks (0: never), so one large file does not hold up the stream.
    uint64_t split_object_mb = 8;
    bool skip_known_good = true;
    bool reuse_snapshots = true;        // shadow-copy files unchanged from the current volume take its hashes
    // One sequential read of each image feeding the image hash, the files and the unallocated
    // ranges (issue 8); false: every file read through TSK as the walk lists it, the image hash
    // on a read of its own (the earlier design, kept for comparison and as a fallback).
    bool one_read = true;
    std::vector<std::string> command_line;  // recorded in the audit log (secrets already removed)
    // Secrets for encrypted volumes, one entry per image (same order as images; may be shorter).
    std::vector<volumes::Secrets> secrets;
};

// Exit codes of `triage scan`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitEvidenceUnreadable = 1;   // an evidence item could not be opened or read
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

// Set from signal handlers; checked by every stage.
extern std::atomic<bool> g_cancel;

int run_scan(const ScanOptions& opt, const DetectorSet& detectors);

// Marks one unallocated range of the index scanned, by its whole UNIQUE key (the statement is
// kMarkRangeScannedSql; the tests check its query plan and that it marks no other range).
extern const char* const kMarkRangeScannedSql;
void mark_range_scanned(index::Db& db, int64_t evidence_id, const std::string& volume, const std::string& kind,
                        uint64_t start);

}  // namespace triage::engine
