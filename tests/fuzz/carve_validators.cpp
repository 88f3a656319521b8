// Fuzz target: the carver's validators (plugins/carve/validate_*.cpp) and the streaming carver.
// Every validator sees the input twice: as it is, and behind its own signature (so the structure
// walk is reached without the fuzzer having to guess magic numbers). The carver then gets the
// input in odd-sized blocks with a small page, so items cross page and block boundaries.
// Invariants: a validator never claims bytes it was not given (unless it says it ran out), and
// every carved item lies inside the input with exactly its length in bytes.
#include "carve/carver.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace triage::carve;
    for (const auto& f : all_formats()) {
        std::string buf(f.magic_at, '\0');
        buf.append(f.magic);
        buf.append(reinterpret_cast<const char*>(data), size);
        const Check c = f.validate(Bytes(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
        FUZZ_CHECK(!((c.verdict == Verdict::Complete || c.verdict == Verdict::Truncated) && c.length > buf.size() &&
                     !c.ran_out),
                   std::string(f.name) + " claimed " + std::to_string(c.length) + " bytes of " + std::to_string(buf.size()));
        FUZZ_CHECK(!(c.verdict == Verdict::Complete && c.length == 0), std::string(f.name) + ": a complete item of 0 bytes");
        const Check raw = f.validate(Bytes(data, size));
        FUZZ_CHECK(!(raw.verdict == Verdict::Complete && raw.length > size),
                   std::string(f.name) + " claimed " + std::to_string(raw.length) + " bytes of " + std::to_string(size));
    }
    CarverOptions opt;
    opt.page = 4096;
    opt.margin = 1024;
    opt.item_cap = 1 << 16;
    Carver carver(opt, [&](const Item& it) {
        FUZZ_CHECK(it.length > 0 && it.bytes.size() == it.length && it.offset + it.length <= size,
                   "carved item at " + std::to_string(it.offset) + " of " + std::to_string(it.length) + " bytes (" +
                       std::to_string(it.bytes.size()) + " given) from " + std::to_string(size));
        FUZZ_CHECK(std::equal(it.bytes.begin(), it.bytes.end(), data + it.offset), "carved bytes differ from the input");
    });
    for (size_t off = 0; off < size; off += 777) carver.feed(data + off, std::min<size_t>(777, size - off));
    carver.finish();
    return 0;
}
