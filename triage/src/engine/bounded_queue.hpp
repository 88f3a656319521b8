// A blocking, bounded multi-producer/multi-consumer queue; close() ends it for consumers
// once drained. Bounded queues are what keep memory flat whatever the image size.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace triage::engine {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(size_t capacity) : cap_(capacity) {}

    void push(T v) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return q_.size() < cap_ || closed_; });
        if (closed_) return;
        q_.push_back(std::move(v));
        not_empty_.notify_one();
    }
    std::optional<T> pop() {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
        if (q_.empty()) return std::nullopt;
        T v = std::move(q_.front());
        q_.pop_front();
        not_full_.notify_one();
        return v;
    }
    void close() {
        std::unique_lock lock(mu_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

private:
    size_t cap_;
    std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> q_;
    bool closed_ = false;
};

}  // namespace triage::engine
