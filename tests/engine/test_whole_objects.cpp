// Whole-object detectors (TRIAGE_WANT_WHOLE) are asked at an object's first block whether they
// want it whole (wants_whole): one that declines gets no phase for the object, one that wants it
// gets the object's exact bytes in one block, and when none wants it the worker does not hold
// it. A detector built against the ABI before wants_whole (a smaller struct_size) is treated as
// wanting every object, as before.
#include "engine/bounded_queue.hpp"
#include "engine/detector_instance.hpp"
#include "engine/detectors.hpp"
#include "engine/worker.hpp"

#include <triage/detector.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

using namespace triage::engine;

namespace {

// What each test detector saw, by detector and object path: its phases and the bytes of its block.
struct Seen {
    std::vector<std::string> phases;
    std::string bytes;
    int asked = 0;
};
std::map<std::string, std::map<std::string, Seen>> g_seen;

template <bool kPicky>
class Recorder final : public triage::sdk::Detector {
public:
    using Detector::Detector;
    static const char* name() { return kPicky ? "pictures" : "everything"; }
    bool wants_whole(const triage_object_info& o, const uint8_t* head, size_t length) override {
        ++g_seen[name()][o.path].asked;
        return !kPicky || (length >= 3 && std::string(reinterpret_cast<const char*>(head), 3) == "PIC");
    }
    void begin(const triage_object_info& o) override {
        path_ = o.path;
        g_seen[name()][path_].phases.push_back("begin");
    }
    void block(const uint8_t* data, size_t length, uint64_t) override {
        auto& s = g_seen[name()][path_];
        s.phases.push_back("block");
        s.bytes.assign(reinterpret_cast<const char*>(data), length);
    }
    void end() override { g_seen[name()][path_].phases.push_back("end"); }

private:
    std::string path_;
};

const triage_detector kPictures =
    triage::sdk::describe<Recorder<true>>("pictures", "1", "tests", "wants pictures whole", TRIAGE_WANT_WHOLE);
const triage_detector kEverything =
    triage::sdk::describe<Recorder<false>>("everything", "1", "tests", "wants every object whole", TRIAGE_WANT_WHOLE);

// A descriptor as a plugin built before wants_whole existed would give it: the picky detector's
// callbacks, but a struct_size that ends at last_error.
triage_detector older_abi(triage_detector d) {
    d.struct_size = offsetof(triage_detector, last_error) + sizeof(void*);
    return d;
}

LoadedDetector built_in(const triage_detector* d) {
    LoadedDetector l;
    l.desc = d;
    l.origin = "built-in";
    return l;
}

std::string object_bytes(const std::string& head, size_t size) {
    std::string s = head;
    for (size_t i = s.size(); i < size; ++i) s += static_cast<char>('a' + i % 23);
    return s;
}

ObjectResult run(Worker& w, const std::string& path, const std::string& data) {
    BoundedQueue<Block> q(data.size() / 1000 + 2);
    for (size_t off = 0; off < data.size(); off += 1000) {
        Block b;
        b.offset = off;
        b.data.assign(data.begin() + static_cast<std::ptrdiff_t>(off),
                      data.begin() + static_cast<std::ptrdiff_t>(std::min(data.size(), off + 1000)));
        q.push(std::move(b));
    }
    q.close();
    ObjectDesc o;
    o.path = path;
    o.name = path;
    o.size = data.size();
    return w.process(o, q, 1 << 20);
}

}  // namespace

TEST_CASE("whole-object detectors are asked at the first block; an object no one wants is not held", "[engine]") {
    g_seen.clear();
    const LoadedDetector pictures = built_in(&kPictures), everything = built_in(&kEverything);
    const triage_detector old_desc = older_abi(kPictures);
    const LoadedDetector old_pictures = built_in(&old_desc);
    const InstanceLimits limits;
    const std::string pic = object_bytes("PIC", 4321), vid = object_bytes("VID", 5000);

    SECTION("one picky detector: the picture whole, the video not at all") {
        Worker w({&pictures}, limits);
        run(w, "/a.pic", pic);
        run(w, "/b.vid", vid);
        CHECK(g_seen["pictures"]["/a.pic"].asked == 1);
        CHECK(g_seen["pictures"]["/a.pic"].phases == std::vector<std::string>{"begin", "block", "end"});
        CHECK(g_seen["pictures"]["/a.pic"].bytes == pic);
        CHECK(g_seen["pictures"]["/b.vid"].asked == 1);
        CHECK(g_seen["pictures"]["/b.vid"].phases.empty());
    }
    SECTION("a picky detector and one that wants everything: each gets what it asked for") {
        Worker w({&pictures, &everything}, limits);
        run(w, "/b.vid", vid);
        CHECK(g_seen["pictures"]["/b.vid"].phases.empty());
        CHECK(g_seen["everything"]["/b.vid"].phases == std::vector<std::string>{"begin", "block", "end"});
        CHECK(g_seen["everything"]["/b.vid"].bytes == vid);
    }
    SECTION("a detector from before wants_whole gets every object, unasked") {
        Worker w({&old_pictures}, limits);
        run(w, "/b.vid", vid);
        CHECK(g_seen["pictures"]["/b.vid"].asked == 0);
        CHECK(g_seen["pictures"]["/b.vid"].phases == std::vector<std::string>{"begin", "block", "end"});
        CHECK(g_seen["pictures"]["/b.vid"].bytes == vid);
    }
}
