// The keywords detector through the C ABI: the same Ukrainian, Russian and Romanian sentences,
// upper-cased and encoded by Python's codecs (an encoder this project did not write) in every
// code page that can hold them, all found from lower-case terms exactly once at their offsets;
// Romanian comma-below and cedilla letters as one; a term split across a page boundary found
// once; UTF-16LE/BE found; a bad regex refused with the file and line.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" const triage_plugin* triage_builtin_keywords_entry(uint32_t host_api_version);

namespace {

const triage_detector& keywords_detector() {
    return *triage_builtin_keywords_entry(TRIAGE_HOST_API_VERSION)->detectors[0];
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

struct Hit {
    std::string rule, encoding;
    int64_t offset;
};
std::vector<Hit> hits_of(const th::Emitted& e) {
    std::vector<Hit> out;
    for (const auto& f : e.findings) {
        REQUIRE(f.kind == "keyword");
        auto j = nlohmann::json::parse(f.detail);
        out.push_back({f.rule, j["encoding"].get<std::string>(), f.offset});
    }
    return out;
}

// Python label of each of our encodings.
const std::map<std::string, std::string> kPythonCodec = {
    {"utf-8", "utf-8"},           {"utf-16le", "utf-16-le"},   {"utf-16be", "utf-16-be"},
    {"cp1251", "cp1251"},         {"koi8-u", "koi8_u"},        {"koi8-r", "koi8_r"},
    {"cp866", "cp866"},           {"iso-8859-5", "iso8859_5"}, {"cp1250", "cp1250"},
    {"iso-8859-2", "iso8859_2"},  {"iso-8859-16", "iso8859_16"},
};

}  // namespace

TEST_CASE("keywords: Cyrillic and Romanian sentences found in every code page that holds them", "[identifiers]") {
    th::TempDir dir;
    // Terms as an examiner types them: lower case; the Romanian ones once with comma-below, once
    // with cedilla letters.
    const std::vector<std::string> terms = {
        "гроші з їжакового рахунку передати євгенові біля ґанку",  // Ukrainian (і ї є ґ)
        "євгенові",
        "встречаемся в субботу, ещё привезём объявления",  // Russian (ё ъ)
        "объявления",
        "întâlnire în țara bârsei: aduceți banii știți unde",  // Romanian, comma below
        "aduceţi",                                            // cedilla form of a comma-below word
        "știți",
    };
    std::string kw;
    for (const auto& t : terms) kw += t + "\n";
    write(dir / "kw.txt", kw);
    // Python writes each sentence upper-cased into every encoding that can hold it; Romanian
    // also in its cedilla form (the only one CP1250 and ISO-8859-2 have). It prints the byte
    // offset of each term in each file: the oracle.
    write(dir / "gen.py", R"PY(
import json, sys
out = sys.argv[1]
terms = json.loads(open(out + '/terms.json', encoding='utf-8').read())
sentences = {
  'uk': 'Гроші з Їжакового рахунку передати Євгенові біля ґанку',
  'ru': 'Встречаемся в субботу, ещё привезём объявления',
  'ro': 'Întâlnire în Țara Bârsei: aduceți banii știți unde',
  'ro-cedilla': 'Întâlnire în Ţara Bârsei: aduceţi banii ştiţi unde',
}
codecs = json.loads(sys.argv[2])
fold = {'ș': 'ş', 'ț': 'ţ', 'Ș': 'Ş', 'Ț': 'Ţ'}
def norm(s):
    return ''.join(fold.get(c, c) for c in s.lower())
expect = []
for lang, s in sentences.items():
    for label, codec in codecs.items():
        text = 'xx ' + s.upper() + ' yy ' + s + ' zz'
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            continue
        name = lang + '.' + label
        open(out + '/' + name, 'wb').write(data)
        for t in terms:
            # where the term occurs, in characters, then bytes (the text is all one encoding)
            start = 0
            while True:
                i = norm(text).find(norm(t), start)
                if i < 0: break
                expect.append([name, label, t, len(text[:i].encode(codec))])
                start = i + 1
print(json.dumps(expect))
)PY");
    nlohmann::json codecs = nlohmann::json::object();
    for (const auto& [label, codec] : kPythonCodec) codecs[label] = codec;
    write(dir / "terms.json", nlohmann::json(terms).dump());
    auto r = th::run("/usr/bin/python3 " + th::q(dir / "gen.py") + " " + th::q(dir.path) + " " + th::q(codecs.dump()));
    REQUIRE(r.rc == 0);
    auto expect = nlohmann::json::parse(r.out);
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> want;  // file -> (term, offset)
    std::map<std::string, std::string> label_of;
    for (const auto& e : expect) {
        want[e[0].get<std::string>()].push_back({e[2].get<std::string>(), e[3].get<int64_t>()});
        label_of[e[0].get<std::string>()] = e[1].get<std::string>();
    }
    // Every code page got at least one of the sentences.
    std::set<std::string> labels_seen;
    for (const auto& [f, l] : label_of) labels_seen.insert(l);
    CHECK(labels_seen.size() == kPythonCodec.size());

    th::DetectorDriver drv(keywords_detector(), {{"file", dir / "kw.txt"}});
    for (const auto& [file, list] : want) {
        const std::string data = slurp(dir / file);
        auto got = hits_of(drv.run(data, {data.size() / 2 + 1}));
        std::vector<std::pair<std::string, int64_t>> have;
        for (const auto& h : got) {
            have.push_back({h.rule, h.offset});
            CAPTURE(file, h.rule, h.encoding);
            CHECK(h.encoding.find(label_of[file]) != std::string::npos);
        }
        auto w = list;
        std::sort(w.begin(), w.end());
        std::sort(have.begin(), have.end());
        CAPTURE(file);
        CHECK(have == w);
    }
}

TEST_CASE("keywords: a term across a page boundary is found once, UTF-16 too", "[identifiers]") {
    th::TempDir dir;
    write(dir / "kw.txt", "Пароль\nsecret-term\n");
    th::DetectorDriver drv(keywords_detector(), {{"file", dir / "kw.txt"}, {"page_mb", "1"}, {"margin_kb", "4"}});
    const size_t mib = 1 << 20;
    const std::string cyr = "\xd0\x9f\xd0\x90\xd0\xa0\xd0\x9e\xd0\x9b\xd0\xac";  // ПАРОЛЬ in UTF-8
    std::string le;
    for (char c : std::string("SECRET-TERM")) le += std::string(1, c) + '\0';
    for (size_t shift : {size_t{1}, size_t{3}, size_t{11}}) {
        std::string data(3 * mib, '.');
        data.replace(mib - shift, cyr.size(), cyr);
        data.replace(2 * mib - shift, le.size(), le);
        for (const auto& splits : th::standard_splits(data.size())) {
            CAPTURE(shift, splits);
            auto got = hits_of(drv.run(data, splits));
            REQUIRE(got.size() == 2);
            std::sort(got.begin(), got.end(), [](const Hit& a, const Hit& b) { return a.offset < b.offset; });
            CHECK(got[0].rule == "Пароль");
            CHECK(got[0].offset == static_cast<int64_t>(mib - shift));
            CHECK(got[0].encoding == "utf-8");
            CHECK(got[1].rule == "secret-term");
            CHECK(got[1].offset == static_cast<int64_t>(2 * mib - shift));
            CHECK(got[1].encoding == "utf-16le");
        }
    }
    // UTF-16BE at an odd offset is reported as UTF-16BE, once.
    std::string be = "\x01";
    for (char c : std::string("Secret-Term")) be += std::string(1, '\0') + c;
    be += "\x01\x02";
    auto got = hits_of(drv.run(be, {}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].offset == 1);
    CHECK(got[0].encoding == "utf-16be");
}

TEST_CASE("keywords: a broken regex is refused naming the file and line", "[identifiers]") {
    th::TempDir dir;
    write(dir / "kw.txt", "# leads\nfine\nre:(unclosed\n");
    // Through a real scan: the scan refuses to start and says where.
    const std::string img = dir / "img.raw";
    REQUIRE(th::run("dd if=/dev/zero of=" + th::q(img) + " bs=1M count=2 2>/dev/null && mkfs.vfat " + th::q(img) +
                    " >/dev/null").rc == 0);
    auto r = th::run(th::q(th::triage_bin()) + " scan " + th::q(img) + " --case " + th::q(dir / "case") +
                     " --quiet --keywords " + th::q(dir / "kw.txt"));
    CHECK(r.rc != 0);
    CHECK(r.err.find("kw.txt line 3") != std::string::npos);
}

TEST_CASE("keywords: a Cyrillic regex matches either case in UTF-8; an ASCII one binary-safe", "[identifiers]") {
    th::TempDir dir;
    write(dir / "kw.txt", "re:пароль:?\\s*\\d{4}\nre:pin\\s*\\d{4}\n");
    th::DetectorDriver drv(keywords_detector(), {{"file", dir / "kw.txt"}});
    const std::string data = std::string("\xff\xfe\x80 ") + "ПАРОЛЬ: 1234 \xc3 PIN 9876 \xfe";
    auto got = hits_of(drv.run(data, {}));
    REQUIRE(got.size() == 2);
    std::sort(got.begin(), got.end(), [](const Hit& a, const Hit& b) { return a.offset < b.offset; });
    CHECK(got[0].rule == "пароль:?\\s*\\d{4}");
    CHECK(got[0].offset == 4);
    CHECK(got[1].rule == "pin\\s*\\d{4}");
    CHECK(got[1].offset == static_cast<int64_t>(data.find("PIN")));
}
