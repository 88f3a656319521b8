// One memory budget for the buffers of every worker's YARA scanner (issue 8: flat memory).
//
// YARA scans an object of up to a page (yara.max_buffer_mb) whole, so each worker may hold a page
// of it. Two workers meeting two large videos held two pages; the scan's peak then depended on
// where the largest files of the image happened to lie. With a budget, a large object waits
// until the bytes are free, in the order the objects asked (the order of the stream), so that a
// later small request cannot starve an earlier large one.
//
// Why this cannot deadlock the stream (docs/performance.md): only a file streamed in the file
// lane waits (may_wait). Whoever holds bytes is then either a file earlier in that lane, whose
// blocks have all been handed over and which finishes without the stream, or an object that
// never waits (a child: carved or extracted bytes, processed from memory). And a wait is bounded
// by `patience`: past it the object takes its bytes over the budget, so a slow holder costs time,
// never the scan.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

namespace triage::yara {

class BufferBudget {
public:
    explicit BufferBudget(uint64_t limit) : limit_(limit) {}
    BufferBudget(const BufferBudget&) = delete;
    BufferBudget& operator=(const BufferBudget&) = delete;

    struct Grant {
        uint64_t bytes = 0;
        bool over = false;  // taken over the budget after waiting `patience`, or without waiting
        std::chrono::steady_clock::duration waited{};
    };

    // Takes `bytes` (a request above the limit is taken as the whole limit: it waits for
    // everything to be free, then proceeds). With may_wait false the bytes are taken at once,
    // counted, and may exceed the limit.
    Grant take(uint64_t bytes, bool may_wait, std::chrono::steady_clock::duration patience) {
        const auto t0 = std::chrono::steady_clock::now();
        std::unique_lock lock(mu_);
        Grant g;
        g.bytes = bytes;
        if (!may_wait) {
            g.over = used_ + bytes > limit_;
            add_locked(bytes);
            return g;
        }
        const uint64_t ticket = next_ticket_++;
        waiting_.push_back(ticket);
        const uint64_t fits = std::min(bytes, limit_);
        auto ready = [&] { return waiting_.front() == ticket && used_ + fits <= limit_; };
        if (!ready()) {
            ++waits_;
            g.over = !cv_.wait_until(lock, t0 + patience, ready);
            g.waited = std::chrono::steady_clock::now() - t0;
            waited_ += g.waited;
        }
        waiting_.erase(std::find(waiting_.begin(), waiting_.end(), ticket));
        add_locked(bytes);
        cv_.notify_all();  // the next in line may fit too
        return g;
    }

    void give(uint64_t bytes) {
        {
            std::lock_guard lock(mu_);
            used_ -= std::min(bytes, used_);
        }
        cv_.notify_all();
    }

    uint64_t limit() const { return limit_; }
    uint64_t used() const {
        std::lock_guard lock(mu_);
        return used_;
    }
    uint64_t peak() const {
        std::lock_guard lock(mu_);
        return peak_;
    }
    // Objects that had to wait (counted when the wait begins), and how long they waited in all.
    uint64_t waits() const {
        std::lock_guard lock(mu_);
        return waits_;
    }
    double waited_seconds() const {
        std::lock_guard lock(mu_);
        return std::chrono::duration<double>(waited_).count();
    }

private:
    void add_locked(uint64_t bytes) {
        used_ += bytes;
        peak_ = std::max(peak_, used_);
    }

    const uint64_t limit_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<uint64_t> waiting_;
    uint64_t next_ticket_ = 0, used_ = 0, peak_ = 0, waits_ = 0;
    std::chrono::steady_clock::duration waited_{};
};

}  // namespace triage::yara
