// The single index writer: one thread, one connection, operations applied in the order they
// were posted, committed in large batches. A failure (full disk, ...) stops the writer; the
// error is rethrown to the next caller of post() or flush() and nothing committed is lost.
#pragma once

#include "index/db.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace triage::index {

class IndexWriter {
public:
    using Op = std::function<void(Db&)>;
    // Memory is bounded twice: by (max_batch + max_queue) posted operations, and by max_bytes of
    // what the posters say their operations hold (an object with its findings), counted from the
    // post until the batch that applied it is committed. An operation larger than max_bytes alone
    // is let in when nothing else is held, so no post waits for ever.
    explicit IndexWriter(const std::string& db_path, size_t max_batch = 4096, size_t max_queue = 4096,
                         uint64_t max_bytes = kDefaultMaxBytes);
    static constexpr uint64_t kDefaultMaxBytes = 16u << 20;
    ~IndexWriter();
    IndexWriter(const IndexWriter&) = delete;
    IndexWriter& operator=(const IndexWriter&) = delete;

    void post(Op op, uint64_t bytes = 0);  // blocks while the queue is full (in operations or bytes)
    void flush();         // returns when everything posted so far is committed
    void stop();          // flush and end the thread
    uint64_t committed_ops() const;
    // Seconds the writer thread spent applying and committing batches (not waiting for work):
    // against the scan's wall time it shows whether the index is ever the bottleneck.
    double busy_seconds() const { return busy_ns_.load() / 1e9; }
    // The most bytes held at once, and how often a post waited for room.
    uint64_t peak_bytes() const;
    uint64_t full_waits() const;

private:
    void run();
    void rethrow_locked();
    Db db_;
    size_t max_batch_, max_queue_;
    uint64_t max_bytes_;
    mutable std::mutex mu_;
    std::condition_variable cv_work_, cv_space_, cv_done_;
    struct Posted {
        Op op;
        uint64_t bytes;
    };
    std::deque<Posted> queue_;
    uint64_t posted_ = 0, done_ = 0;
    uint64_t held_bytes_ = 0, peak_bytes_ = 0, full_waits_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
    std::atomic<uint64_t> busy_ns_{0};
    std::thread thread_;
};

}  // namespace triage::index
