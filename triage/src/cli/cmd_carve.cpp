// `triage carve IMG --to DIR [--formats jpeg,png,...] [--max-item-mib N]`: carves a raw image,
// a disk or a memory dump as one byte range, with no file-system walk, through the same carver
// and validators as the `carve` detector. Each item is written once as DIR/0x<offset>.<type>
// (never overwriting a file) and listed in DIR/manifest.csv with its offset, length, format,
// type, truncated flag and SHA-256.
#include "carve/carver.hpp"
#include "cli/commands.hpp"
#include "evidence/image.hpp"
#include "util/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

namespace fs = std::filesystem;

namespace triage::cli {
namespace {

struct CarveArgs {
    std::string image, to, formats;
    uint64_t max_item_mib = 256;
    bool quiet = false;
};

// Writes `data` to a new file (O_EXCL: an existing file is never replaced). Throws on failure.
void write_new_file(const fs::path& p, carve::Bytes data) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create '" + p.string() + "': " + std::strerror(errno));
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = std::strerror(errno);
            ::close(fd);
            throw std::runtime_error("cannot write '" + p.string() + "': " + why);
        }
        done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw std::runtime_error("cannot write '" + p.string() + "': " + std::strerror(errno));
}

int run_carve(const CarveArgs& a) {
    carve::CarverOptions opt;
    try {
        opt.formats = carve::select_formats(a.formats);
    } catch (const std::invalid_argument& e) {
        std::cerr << "triage carve: " << e.what() << "\n";
        return 2;
    }
    if (a.max_item_mib == 0 || a.max_item_mib > 4096) {
        std::cerr << "triage carve: --max-item-mib must be between 1 and 4096\n";
        return 2;
    }
    opt.item_cap = a.max_item_mib << 20;
    std::unique_ptr<evidence::Image> img = evidence::open_image(a.image);  // ImageError -> exit 1 in main
    std::error_code ec;
    fs::create_directories(a.to, ec);
    if (ec || !fs::is_directory(a.to)) {
        std::cerr << "triage carve: cannot create the output folder '" << a.to << "': " << ec.message() << "\n";
        return 1;
    }
    const fs::path manifest_path = fs::path(a.to) / "manifest.csv";
    if (fs::exists(manifest_path)) {
        std::cerr << "triage carve: '" << manifest_path.string()
                  << "' exists: carve into a new or empty folder (nothing is overwritten)\n";
        return 2;
    }
    std::ofstream manifest(manifest_path);
    if (!manifest) {
        std::cerr << "triage carve: cannot create '" << manifest_path.string() << "'\n";
        return 1;
    }
    manifest << "offset,length,format,type,truncated,cut_at_cap,sha256,file\n";
    std::map<std::string, uint64_t> per_format;
    uint64_t truncated = 0;
    std::string write_error;
    const auto t0 = std::chrono::steady_clock::now();
    carve::Carver carver(opt, [&](const carve::Item& it) {
        char name[48];
        std::snprintf(name, sizeof name, "0x%010llx.", static_cast<unsigned long long>(it.offset));
        const std::string file = name + it.ext;
        const std::string sha = util::sha256_hex(
            std::string_view(reinterpret_cast<const char*>(it.bytes.data()), it.bytes.size()));
        try {
            write_new_file(fs::path(a.to) / file, it.bytes);
        } catch (const std::exception& e) {
            if (write_error.empty()) write_error = e.what();
            return;
        }
        manifest << it.offset << "," << it.length << "," << it.format->name << "," << it.ext << ","
                 << (it.truncated ? 1 : 0) << "," << (it.cut_at_cap ? 1 : 0) << "," << sha << "," << file << "\n";
        per_format[it.format->name]++;
        truncated += it.truncated ? 1 : 0;
    });
    const size_t bs = 4 << 20;
    std::vector<uint8_t> buf(bs);
    int rc = 0;
    for (uint64_t off = 0; off < img->size();) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(bs, img->size() - off));
        const int64_t n = img->read(off, buf.data(), want);
        if (n <= 0) {
            // The bytes after an unreadable stretch are carved as a range of their own.
            std::cerr << "triage carve: '" << a.image << "': read error at offset " << off << "; skipping "
                      << want << " bytes\n";
            carver.finish();
            rc = 1;
            off += want;
            continue;
        }
        carver.feed(buf.data(), static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
        if (!write_error.empty()) break;
    }
    carver.finish();
    manifest.close();
    if (!write_error.empty()) {
        std::cerr << "triage carve: " << write_error << "\n";
        return 1;
    }
    if (!a.quiet) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cerr << "triage carve: " << a.image << ": " << carver.items() << " items (" << truncated << " truncated) in "
                  << secs << " s";
        for (const auto& [f, c] : per_format) std::cerr << "; " << f << " " << c;
        std::cerr << "\n";
    }
    return rc;
}

}  // namespace

void add_carve_commands(CLI::App& app, Commands& out) {
    auto a = std::make_shared<CarveArgs>();
    auto* sub = app.add_subcommand(
        "carve", "Carve files out of a raw image, disk or memory dump (no file-system walk) into a folder");
    sub->add_option("image", a->image, "Evidence image (raw/dd, split raw, E01, ...)")->required();
    sub->add_option("--to", a->to, "Output folder (created; files are never overwritten)")->required();
    sub->add_option("--formats", a->formats,
                    "Comma-separated formats (default all): jpeg,png,gif,bmp,pdf,zip,sqlite,mp4,riff,elf,pe");
    sub->add_option("--max-item-mib", a->max_item_mib, "Largest item carved, in MiB (default 256); longer items are cut");
    sub->add_flag("--quiet,-q", a->quiet, "No summary");
    out.push_back({sub, [a] { return run_carve(*a); }});
}

}  // namespace triage::cli
