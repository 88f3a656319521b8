// The budget the YARA scanners of all workers share for their buffers (plugins/yara/buffer_budget.hpp):
// never more taken than the limit by objects that wait, turns taken in the order asked, children
// (may_wait false) never wait, a request above the limit waits for everything to be free, and
// a wait past its patience goes over the budget rather than hang.
#include "yara/buffer_budget.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using triage::yara::BufferBudget;
using namespace std::chrono_literals;

namespace {

// True once pred holds, false if it has not within 5 s (a broken budget must fail, not hang).
template <class Pred>
bool eventually(Pred pred) {
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

}  // namespace

TEST_CASE("YARA buffer budget: holders never exceed the limit; every taker gets in", "[yara]") {
    BufferBudget b(100);
    std::atomic<uint64_t> inside{0}, worst{0};
    std::atomic<int> done{0};
    std::vector<std::thread> ts;
    for (int k = 0; k < 4; ++k)
        ts.emplace_back([&, k] {
            for (int i = 0; i < 200; ++i) {
                const uint64_t n = 30 + static_cast<uint64_t>((k * 7 + i) % 40);
                auto g = b.take(n, true, 10s);
                REQUIRE(!g.over);
                const uint64_t now = inside += n;
                uint64_t w = worst.load();
                while (now > w && !worst.compare_exchange_weak(w, now)) {
                }
                std::this_thread::sleep_for(20us);
                inside -= n;
                b.give(g.bytes);
                ++done;
            }
        });
    for (auto& t : ts) t.join();
    CHECK(done == 800);
    CHECK(worst.load() <= 100);
    CHECK(b.peak() <= 100);
    CHECK(b.waits() > 0);  // 4 takers of 30-69 bytes in 100: some had to wait
    CHECK(b.used() == 0);
}

TEST_CASE("YARA buffer budget: turns in the order asked; a large request is not passed by later small ones", "[yara]") {
    BufferBudget b(100);
    auto first = b.take(60, true, 10s);  // holds 60 of 100
    std::mutex mu;
    std::vector<int> order;
    std::thread large([&] {
        auto g = b.take(80, true, 10s);  // must wait for the 60 to be given back
        {
            std::lock_guard l(mu);
            order.push_back(80);
        }
        b.give(g.bytes);
    });
    REQUIRE(eventually([&] { return b.waits() >= 1; }));
    std::thread small([&] {
        // 30 would fit beside the 60, but the 80 asked first; and once the 80 has its turn the
        // 30 does not fit beside it, so the order of the two pushes is the order of the turns.
        auto g = b.take(30, true, 10s);
        {
            std::lock_guard l(mu);
            order.push_back(30);
        }
        b.give(g.bytes);
    });
    // The 30 waits behind the 80 (or, were the turns not kept, gets in at once).
    REQUIRE(eventually([&] {
        std::lock_guard l(mu);
        return b.waits() >= 2 || !order.empty();
    }));
    std::this_thread::sleep_for(20ms);
    {
        std::lock_guard l(mu);
        CHECK(order.empty());
    }
    b.give(first.bytes);
    large.join();
    small.join();
    REQUIRE(order.size() == 2);
    CHECK(order[0] == 80);
    CHECK(order[1] == 30);
}

TEST_CASE("YARA buffer budget: children never wait; oversized requests wait for an empty budget; patience ends a wait", "[yara]") {
    BufferBudget b(100);
    auto held = b.take(90, true, 10s);
    // A child (carved or extracted bytes) takes its bytes at once, over the limit.
    auto child = b.take(50, false, 0s);
    CHECK(child.over);
    CHECK(b.used() == 140);
    b.give(child.bytes);
    // A request above the limit waits until nothing is held, then takes it all.
    std::atomic<bool> got{false};
    std::thread big([&] {
        auto g = b.take(250, true, 10s);
        CHECK(!g.over);
        got = true;
        b.give(g.bytes);
    });
    std::this_thread::sleep_for(30ms);
    CHECK(!got);
    b.give(held.bytes);
    big.join();
    CHECK(got);
    CHECK(b.peak() == 250);
    // A wait longer than its patience goes over the budget instead of hanging.
    auto again = b.take(90, true, 10s);
    const auto t0 = std::chrono::steady_clock::now();
    auto late = b.take(50, true, 50ms);
    CHECK(late.over);
    CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
    CHECK(b.used() == 140);
    b.give(late.bytes);
    b.give(again.bytes);
    CHECK(b.used() == 0);
}
