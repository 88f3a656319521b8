// Fuzz target: the hash-set importers (triage/src/hashset/importers.cpp) and the set files they
// build (store.cpp). The input is written to a scratch file under a tmpfs folder and imported
// twice: with the format detect_format() reads from its content (when it can tell), and with the
// format the first byte picks, over the rest of the input (so every reader -- VICS/CAID JSON,
// ICSE, NSRL RDS 2.x and v3, hashdeep, the *sum outputs, plain and PDQ lists -- sees every input).
// Bad input must end in ImportError (a message naming the file), never anything else; a set that
// is built opens again and finds every hash it counted.
#include "fuzz_check.hpp"
#include "hashset/hashset.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace triage::hashset;

namespace {

const fs::path& scratch() {
    static const fs::path dir = [] {
        const char* t = std::getenv("TMPDIR");
        fs::path base = t && *t ? fs::path(t) : fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::path("/tmp");
        fs::path d = base / ("triage-fuzz-hashset-" + std::to_string(::getpid()));
        fs::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(scratch(), ec);
        });
        return d;
    }();
    return dir;
}

// The reader alone (check_file, fast); and for one input in eight also the whole import, the
// set files built and opened again (import_file, slower: it writes the set under tmpfs).
void import_one(const fs::path& file, const std::string& format, bool build) {
    const fs::path sets = scratch() / "sets";
    ImportOptions o;
    o.dir = sets.string();
    o.name = "s";
    o.format = format;
    o.replace = true;
    o.max_messages = 5;
    auto named = [&](const std::exception& e) {
        FUZZ_CHECK(std::string(e.what()).find(file.string()) != std::string::npos,
                   format + ": an import error that does not name the file: " + e.what());
    };
    uint64_t read = 0;
    try {
        ImportResult r = check_file(file.string(), o);
        const Manifest& m = r.manifest;
        FUZZ_CHECK(m.records_skipped <= m.records, format + ": more records skipped than read");
        FUZZ_CHECK(r.messages.size() <= o.max_messages && r.problems >= r.messages.size(), format + ": message counts");
        for (const auto& msg : r.messages)
            FUZZ_CHECK(msg.rfind(file.string(), 0) == 0, format + ": a message that does not name the file: " + msg);
        for (uint64_t c : m.counts) read += c;
    } catch (const ImportError& e) {
        named(e);
        return;
    }
    if (!build) return;
    try {
        ImportResult r = import_file(file.string(), o);
        const Manifest& m = r.manifest;
        uint64_t total = 0;
        for (size_t a = 0; a < m.counts.size(); ++a) total += m.counts[a] + m.duplicates[a];
        FUZZ_CHECK(total == read, format + ": the import holds " + std::to_string(total) + " hashes, the check read " +
                                      std::to_string(read));
        Set set((sets / "s").string());
        for (int a = 0; a < kAlgoCount; ++a)
            FUZZ_CHECK(set.count(static_cast<Algo>(a)) == m.counts[static_cast<size_t>(a)],
                       format + ": the set's " + algo_name(static_cast<Algo>(a)) + " count differs from its manifest");
    } catch (const ImportError& e) {
        named(e);
        FUZZ_CHECK(read == 0, format + ": the import failed where the check read " + std::to_string(read) + " hashes: " + e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const fs::path in = scratch() / "input";
    auto write = [&](const uint8_t* p, size_t n) {
        std::ofstream f(in, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
    };
    write(data, size);
    std::string detected;
    try {
        detected = detect_format(in.string());
    } catch (const ImportError& e) {
        FUZZ_CHECK(std::string(e.what()).find(in.string()) != std::string::npos,
                   std::string("detect_format error without the file name: ") + e.what());
    }
    const bool build = size % 8 == 0;
    if (!detected.empty()) import_one(in, detected, build);
    if (size > 1) {
        const auto& all = formats();
        const std::string chosen = all[data[0] % all.size()];
        write(data + 1, size - 1);
        import_one(in, chosen, build);
    }
    return 0;
}
