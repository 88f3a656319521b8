// The example plugin (plugins/example) as an outside author would build it: the SDK installed
// with `cmake --install` into a temporary prefix, the plugin configured and built out of tree
// with find_package(triage), then driven block by block through the C ABI and loaded into real
// scans with --plugin-dir. The oracle is the content the test writes itself: it knows every
// offset at which it put the pattern.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::string kVersion = "1.0.0";      // example_pattern's descriptor version
const std::string kPattern = "NEEDLE-42";  // set with --option; the built-in default is another
constexpr uint64_t kMiB = 1 << 20;         // the engine streams content in 1 MiB blocks

// Builds plugins/example once per test run; later test cases reuse the result.
struct ExamplePlugin {
    th::TempDir tmp;
    std::string prefix, plugin_dir, so;
};

const ExamplePlugin& example_plugin() {
    static std::unique_ptr<ExamplePlugin> built;  // its folder is removed when the tests exit
    if (built) return *built;
    auto p = std::make_unique<ExamplePlugin>();
    p->prefix = p->tmp / "prefix";
    const std::string cmake = th::q(TRIAGE_CMAKE);

    auto inst = th::run(cmake + " --install " + th::q(TRIAGE_BUILD_DIR) + " --prefix " + th::q(p->prefix));
    INFO("cmake --install: " << inst.out << inst.err);
    REQUIRE(inst.rc == 0);
    REQUIRE(fs::exists(p->prefix + "/include/triage/detector_abi.h"));
    REQUIRE(fs::exists(p->prefix + "/include/triage/detector.hpp"));

    // Out of tree: the source folder is read in place, the build goes to the temporary folder,
    // and the SDK can only come from the installed prefix.
    const std::string build = p->tmp / "example-build";
    auto cfg = th::run(cmake + " -S " + th::q(std::string(TRIAGE_SOURCE_DIR) + "/plugins/example") + " -B " +
                       th::q(build) + " -DCMAKE_PREFIX_PATH=" + th::q(p->prefix) +
                       " -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo");
    INFO("configure: " << cfg.out << cfg.err);
    REQUIRE(cfg.rc == 0);
    auto dir = th::run("grep '^triage_DIR:' " + th::q(build + "/CMakeCache.txt"));
    CHECK(dir.out.find(p->prefix + "/") != std::string::npos);

    auto mk = th::run(cmake + " --build " + th::q(build));
    INFO("build: " << mk.out << mk.err);
    REQUIRE(mk.rc == 0);
    CHECK((mk.out + mk.err).find("warning") == std::string::npos);
    REQUIRE(fs::exists(build + "/example_pattern.so"));

    // Only the entry point is exported.
    auto syms = th::run("nm -D --defined-only " + th::q(build + "/example_pattern.so") + " | grep ' T '");
    CHECK(syms.out.find("triage_plugin_entry") != std::string::npos);
    CHECK(syms.out.find("PatternDetector") == std::string::npos);

    p->plugin_dir = p->tmp / "plugins";
    fs::create_directories(p->plugin_dir);
    p->so = p->plugin_dir + "/example_pattern.so";
    fs::copy_file(build + "/example_pattern.so", p->so);
    built = std::move(p);
    return *built;
}

// An ext4 image holding the pattern at known places; `expected` gets "path@offset" of each.
std::string make_image(const th::TempDir& t, std::set<std::string>& expected) {
    using th::img::random_bytes;
    using th::img::write_file;
    const std::string tree = t / "tree";
    const size_t n = kPattern.size();

    write_file(tree + "/at0.txt", kPattern + " at the very start\n");
    expected.insert("/at0.txt@0");

    write_file(tree + "/dir/at65.bin", random_bytes(65, 1) + kPattern + random_bytes(100, 2));
    expected.insert("/dir/at65.bin@65");

    write_file(tree + "/twice.txt", "a " + kPattern + std::string(200, '.') + kPattern + "\n");
    expected.insert("/twice.txt@2");
    expected.insert("/twice.txt@" + std::to_string(2 + n + 200));

    // Across the first block boundary, ending exactly at the second, starting exactly at the third.
    std::string big = random_bytes(3 * kMiB + 100, 3);
    big.replace(kMiB - 5, n, kPattern);
    big.replace(2 * kMiB - n, n, kPattern);
    big.replace(3 * kMiB, n, kPattern);
    write_file(tree + "/big/boundary.bin", big);
    for (uint64_t at : {kMiB - 5, 2 * kMiB - n, 3 * kMiB}) expected.insert("/big/boundary.bin@" + std::to_string(at));

    // All but the last byte of the pattern across a boundary: no match.
    std::string miss = random_bytes(kMiB + 64, 4);
    std::string almost = kPattern;
    almost.back() = '#';
    miss.replace(kMiB - 5, n, almost);
    write_file(tree + "/nearmiss.bin", miss);

    write_file(tree + "/none.txt", "nothing to see here\n");

    const std::string img = t / "pattern.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tree) + " -F " + th::q(img) + " 16M").rc == 0);
    return img;
}

std::string findings_sql(const std::string& kind) {
    return "FROM v_findings v JOIN v_files f ON f.file_id = v.file_id WHERE v.detector = 'example_pattern' AND "
           "v.kind = '" + kind + "'";
}

// "path@offset" of every example_pattern finding in the case.
std::multiset<std::string> found(const std::string& case_dir) {
    std::string list = th::sql1(case_dir, "SELECT group_concat(f.path || '@' || v.offset, char(10)) " + findings_sql("pattern"));
    std::multiset<std::string> out;
    std::istringstream in(list);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.insert(line);
    return out;
}

th::CmdResult scan_with(const std::string& img, const std::string& case_dir, const std::string& plugin_dir,
                        const std::string& extra) {
    return th::run(th::q(th::triage_bin()) + " scan " + th::q(img) + " --case " + th::q(case_dir) +
                   " --quiet --plugin-dir " + th::q(plugin_dir) + " " + extra);
}

}  // namespace

TEST_CASE("the example plugin built out of tree against the installed SDK finds each offset once", "[plugins]") {
    const auto& plugin = example_plugin();
    th::TempDir t;
    std::set<std::string> expected;
    const std::string img = make_image(t, expected);

    SECTION("the pattern given as text") {
        const std::string c = t / "case";
        auto r = scan_with(img, c, plugin.plugin_dir,
                           "--option example_pattern.pattern=" + kPattern + " --option example_pattern.label=needle");
        INFO("stderr: " << r.err << "\nerrors:\n" << th::img::dump_errors(c));
        REQUIRE(r.rc == 0);
        auto got = found(c);
        // As a multiset: a match across the block boundary reported twice would show here.
        CHECK(got == std::multiset<std::string>(expected.begin(), expected.end()));
        CHECK(th::sql_int(c, "SELECT count(*) " + findings_sql("pattern") + " AND f.path = '/big/boundary.bin' AND v.offset = " +
                                 std::to_string(kMiB - 5)) == 1);
        // Every row carries the detector's version, the label, the pattern length.
        CHECK(th::sql1(c, "SELECT group_concat(DISTINCT v.detector_version) " + findings_sql("pattern")) == kVersion);
        CHECK(th::sql1(c, "SELECT group_concat(DISTINCT v.rule) " + findings_sql("pattern")) == "needle");
        CHECK(th::sql1(c, "SELECT group_concat(DISTINCT v.length) " + findings_sql("pattern")) ==
              std::to_string(kPattern.size()));
        CHECK(th::sql1(c, "SELECT v.detail " + findings_sql("pattern") + " AND f.path = '/twice.txt' AND v.offset = 2") ==
              "a [" + kPattern + "]");
        CHECK(th::sql_int(c, "SELECT count(*) FROM errors WHERE detector = 'example_pattern'") == 0);
        // The built-in hashers ran beside it.
        CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE path = '/none.txt'") ==
              th::img::file_hash(t / "tree/none.txt", "md5sum"));
    }

    SECTION("the pattern given as hex, label defaulting to the pattern") {
        std::string hex;
        for (unsigned char ch : kPattern) {
            char b[4];
            std::snprintf(b, sizeof b, "%02x ", ch);
            hex += b;
        }
        const std::string c = t / "case-hex";
        auto r = scan_with(img, c, plugin.plugin_dir, "--option " + th::q("example_pattern.hex=" + hex));
        INFO("stderr: " << r.err);
        REQUIRE(r.rc == 0);
        CHECK(found(c) == std::multiset<std::string>(expected.begin(), expected.end()));
        CHECK(th::sql1(c, "SELECT group_concat(DISTINCT v.rule) " + findings_sql("pattern")) == kPattern);
    }

    SECTION("max_hits caps the findings of one object") {
        const std::string c = t / "case-max";
        auto r = scan_with(img, c, plugin.plugin_dir,
                           "--option example_pattern.pattern=" + kPattern + " --option example_pattern.max_hits=1");
        REQUIRE(r.rc == 0);
        CHECK(th::sql_int(c, "SELECT count(*) " + findings_sql("pattern") + " AND f.path = '/big/boundary.bin'") == 1);
        CHECK(th::sql1(c, "SELECT v.offset " + findings_sql("pattern_limit") + " AND f.path = '/big/boundary.bin'") ==
              std::to_string(2 * kMiB - kPattern.size()));
        CHECK(th::sql_int(c, "SELECT count(*) " + findings_sql("pattern") + " AND f.path = '/dir/at65.bin'") == 1);
    }

    SECTION("--disable example_pattern: it does not run") {
        const std::string c = t / "case-off";
        REQUIRE(scan_with(img, c, plugin.plugin_dir, "--disable example_pattern").rc == 0);
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings WHERE detector = 'example_pattern'") == 0);
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE md5 IS NOT NULL") > 0);
    }

    SECTION("a bad option value: recorded per object, the scan goes on") {
        const std::string c = t / "case-bad";
        auto r = scan_with(img, c, plugin.plugin_dir, "--option example_pattern.hex=xyz");
        INFO("stderr: " << r.err);
        REQUIRE(r.rc == 0);
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings WHERE detector = 'example_pattern'") == 0);
        CHECK(th::sql_int(c, "SELECT count(*) FROM errors WHERE detector = 'example_pattern' AND message LIKE "
                             "'%hex%not hexadecimal%' AND file_id = (SELECT file_id FROM v_files WHERE path = '/at0.txt')") == 1);
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE path = '/at0.txt' AND md5 IS NOT NULL") == 1);
    }

    SECTION("an option the detector does not declare is refused") {
        auto r = scan_with(img, t / "case-unknown", plugin.plugin_dir, "--option example_pattern.nosuch=1");
        CHECK(r.rc == 2);
        CHECK(r.err.find("nosuch") != std::string::npos);
    }
}

TEST_CASE("triage plugins lists the example with version and origin file and options", "[plugins]") {
    const auto& plugin = example_plugin();
    auto r = th::run(th::q(th::triage_bin()) + " plugins --plugin-dir " + th::q(plugin.plugin_dir));
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("example_pattern " + kVersion + "  (" + plugin.so + ")") != std::string::npos);
    CHECK(r.out.find("option pattern (string, default TRIAGE-EXAMPLE)") != std::string::npos);
    CHECK(r.out.find("option hex (string") != std::string::npos);
    CHECK(r.out.find("option label (string") != std::string::npos);
    CHECK(r.out.find("option max_hits (int, default 1000)") != std::string::npos);
    CHECK(r.out.find("hash ") != std::string::npos);  // built-ins are listed too
    CHECK(r.err.empty());
}

TEST_CASE("a file in the plugin folder that is not a plugin is named and skipped", "[plugins]") {
    const auto& plugin = example_plugin();
    th::TempDir t;
    const std::string dir = t / "plugins";
    fs::create_directories(dir);
    fs::copy_file(plugin.so, dir + "/example_pattern.so");
    th::img::write_file(dir + "/bad.so", "this is a text file, not a shared object\n");
    th::img::write_file(dir + "/README.txt", "not *.so: ignored\n");

    auto l = th::run(th::q(th::triage_bin()) + " plugins --plugin-dir " + th::q(dir));
    CHECK(l.rc == 0);
    CHECK(l.err.find("bad.so") != std::string::npos);
    CHECK(l.err.find("README.txt") == std::string::npos);
    CHECK(l.out.find("example_pattern " + kVersion) != std::string::npos);

    std::set<std::string> expected;
    const std::string img = make_image(t, expected);
    const std::string c = t / "case";
    auto r = scan_with(img, c, dir, "--option example_pattern.pattern=" + kPattern);
    INFO("stderr: " << r.err);
    CHECK(r.rc == 0);
    CHECK(r.err.find("bad.so") != std::string::npos);
    CHECK(found(c) == std::multiset<std::string>(expected.begin(), expected.end()));
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE sha256 IS NOT NULL") > 0);
}

// The built .so driven directly through its entry point: whatever the block boundaries, the
// same findings (offsets, lengths, details) come out.
TEST_CASE("example_pattern: findings do not depend on block boundaries", "[plugins]") {
    const auto& plugin = example_plugin();
    void* h = dlopen(plugin.so.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(h != nullptr);
    auto entry = reinterpret_cast<triage_plugin_entry_fn>(dlsym(h, TRIAGE_PLUGIN_ENTRY_SYMBOL));
    REQUIRE(entry != nullptr);
    const triage_plugin* p = entry(TRIAGE_HOST_API_VERSION);
    REQUIRE(p != nullptr);
    CHECK(p->struct_size == sizeof(triage_plugin));
    CHECK(p->min_host_api == 1);
    REQUIRE(p->detector_count == 1);
    const triage_detector& det = *p->detectors[0];
    CHECK(std::string(det.name) == "example_pattern");
    CHECK(std::string(det.version) == kVersion);
    CHECK(det.wants == TRIAGE_WANT_BLOCKS);
    {
        th::DetectorDriver drv(det, {{"pattern", kPattern}});
        const size_t n = kPattern.size();
        auto offsets = [](const th::Emitted& e) {
            std::vector<int64_t> v;
            for (const auto& f : e.findings) v.push_back(f.offset);
            return v;
        };
        auto same = [](const th::Emitted& a, const th::Emitted& b) {
            if (a.findings.size() != b.findings.size()) return false;
            for (size_t i = 0; i < a.findings.size(); ++i) {
                const auto &x = a.findings[i], &y = b.findings[i];
                if (x.kind != y.kind || x.rule != y.rule || x.detail != y.detail || x.offset != y.offset ||
                    x.length != y.length)
                    return false;
            }
            return true;
        };

        // Small content: split at every single point, and fed one byte at a time.
        const std::string small = kPattern + "..x" + kPattern + kPattern + "\x01" + kPattern.substr(0, n - 1);
        const std::vector<int64_t> small_at = {0, static_cast<int64_t>(n + 3), static_cast<int64_t>(2 * n + 3)};
        auto whole = drv.run(small, {});
        REQUIRE(whole.begin_rc == TRIAGE_OK);
        CHECK(offsets(whole) == small_at);
        CHECK(whole.findings[1].detail == kPattern + "..x[" + kPattern + "]");
        CHECK(whole.findings[0].kind == "pattern");
        CHECK(whole.findings[0].rule == kPattern);  // no label: the pattern itself
        CHECK(whole.findings[0].length == static_cast<int64_t>(n));
        std::vector<size_t> every;
        for (size_t i = 1; i < small.size(); ++i) {
            INFO("split at " << i);
            CHECK(same(drv.run(small, {i}), whole));
            every.push_back(i);
        }
        CHECK(same(drv.run(small, every), whole));

        // The standard splits (whole, at 65, around 1 MiB) over content with the pattern at 0,
        // at 65 and straddling the 1 MiB boundary.
        std::string big = th::img::random_bytes(kMiB + 4096, 7);
        for (uint64_t at : {uint64_t{0}, uint64_t{65}, kMiB - 5}) big.replace(at, n, kPattern);
        auto big_whole = drv.run(big, {});
        CHECK(offsets(big_whole) == std::vector<int64_t>{0, 65, static_cast<int64_t>(kMiB - 5)});
        for (const auto& splits : th::standard_splits(big.size())) {
            INFO(splits.size() << " split points");
            auto e = drv.run(big, splits);
            CHECK(e.begin_rc == TRIAGE_OK);
            CHECK(e.end_rc == TRIAGE_OK);
            for (int rc : e.block_rcs) CHECK(rc == TRIAGE_OK);
            CHECK(same(e, big_whole));
        }
    }
    {
        // Overlapping matches all count; hex overrides pattern; label names the rule.
        th::DetectorDriver drv(det, {{"hex", "61:61"}, {"pattern", "ignored"}, {"label", "aa"}});
        auto e = drv.run("xaaaa", {3});
        REQUIRE(e.findings.size() == 3);
        CHECK(e.findings[0].offset == 1);
        CHECK(e.findings[2].offset == 3);
        CHECK(e.findings[0].rule == "aa");
    }
    {
        // A bad option value is an error on each object, with a message naming the option.
        th::DetectorDriver drv(det, {{"hex", "6"}});
        auto e = drv.run("abc", {});
        CHECK(e.begin_rc == TRIAGE_ERROR);
        REQUIRE(det.last_error != nullptr);
        CHECK(std::string(det.last_error(drv.instance)).find("odd number") != std::string::npos);
    }
    dlclose(h);
}
