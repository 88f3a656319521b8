// libFuzzer entry for the carving validators and the carver: every validator over the input (as a
// span that starts with each format's signature prepended, so the structure walk is reached), and
// the carver over the input fed in odd-sized blocks with a small page. Build and run (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I plugins -I plugins/carve \
//     plugins/carve/fuzz/fuzz_validators.cpp plugins/carve/formats.cpp plugins/carve/carver.cpp \
//     plugins/carve/validate_*.cpp -lz -o /tmp/fuzz_carve && /tmp/fuzz_carve -max_total_time=60 CORPUS_DIR
#include "carve/carver.hpp"

#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace triage::carve;
    for (const auto& f : all_formats()) {
        std::string buf(f.magic_at, '\0');
        buf.append(f.magic);
        buf.append(reinterpret_cast<const char*>(data), size);
        const Check c = f.validate(Bytes(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
        if ((c.verdict == Verdict::Complete || c.verdict == Verdict::Truncated) && c.length > buf.size() && !c.ran_out)
            __builtin_trap();  // a validator claimed bytes it was not given
        f.validate(Bytes(data, size));
    }
    CarverOptions opt;
    opt.page = 4096;
    opt.margin = 1024;
    opt.item_cap = 1 << 16;
    Carver carver(opt, [&](const Item& it) {
        if (it.length == 0 || it.bytes.size() != it.length || it.offset + it.length > size) __builtin_trap();
    });
    for (size_t off = 0; off < size; off += 777) carver.feed(data + off, std::min<size_t>(777, size - off));
    carver.finish();
    return 0;
}
