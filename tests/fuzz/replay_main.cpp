// The standalone driver of the ordinary (g++) build: feeds every file under the folders given
// (the committed seed corpus, then the regression inputs of one target) through the target's
// LLVMFuzzerTestOneInput, in name order, so `ctest -L fuzz` replays the corpora as a regression
// test without libFuzzer. The first folder (the corpus) must exist and hold inputs; the others
// (regressions) may be missing or empty.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS [REGRESSIONS...]\n", argv[0]);
        return 2;
    }
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path p = argv[i];
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) {
            inputs.push_back(p);
        } else if (fs::is_directory(p, ec)) {
            size_t before = inputs.size();
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file() && e.path().filename().string()[0] != '.') inputs.push_back(e.path());
            if (inputs.size() == before && i == 1) {
                std::fprintf(stderr, "error: %s holds no input\n", p.c_str());
                return 1;
            }
        } else if (i == 1) {
            std::fprintf(stderr, "error: %s: no such file or folder\n", p.c_str());
            return 1;
        }
    }
    std::sort(inputs.begin(), inputs.end());
    for (const auto& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "error: cannot read %s\n", p.c_str());
            return 1;
        }
        std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "replay %s (%zu bytes)\n", p.c_str(), data.size());
        // A copy of exactly the input's size, so reads past its end are caught by ASan.
        std::vector<uint8_t> exact(data.begin(), data.end());
        LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
    }
    std::printf("%zu inputs replayed, no invariant broken\n", inputs.size());
    return 0;
}
