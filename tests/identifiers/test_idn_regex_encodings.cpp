// Issue 10, the parts found through decoded views of the content: internationalised e-mail
// addresses and domain names (Cyrillic, Georgian, Romanian letters) in UTF-8 and UTF-16LE/BE,
// and keyword regular expressions in UTF-16 and every legacy code page. The oracle is Python:
// its codecs write the files, its RFC 3492 punycode codec and unicodedata give the expected
// forms, its re module the expected matches; the offsets are where Python put them.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

extern "C" const triage_plugin* triage_builtin_identifiers_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_keywords_entry(uint32_t host_api_version);

namespace {

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

}  // namespace

TEST_CASE("identifiers: internationalised e-mail addresses and domains in UTF-8 and UTF-16", "[identifiers]") {
    th::TempDir dir;
    write(dir / "gen.py", R"PY(
import json, sys, unicodedata
out = sys.argv[1]
# planted: (text as written, type, valid?)
planted = [
    ('іван.петренко@приклад.укр', 'email', True),        # Ukrainian
    ('Олена@Пошта.Укр', 'email', True),                  # capitals: normalised to lower case
    ('ნინო@მაგალითი.გე', 'email', True),                 # Georgian
    ('ștefan@știință.ro', 'email', True),                # Romanian, comma below
    ('ion@învăţământ.md', 'email', True),                # Romanian, cedilla
    ('коivan@mail.ua', 'email', True),                   # mixed: one address, not its ASCII tail
    ('пример.рф', 'domain', True),
    ('ПРИКЛАД.УКР', 'domain', True),
    ('საქართველო.გე', 'domain', True),
    ('învățământ.ro', 'domain', True),
    ('приклад.qqq', 'domain', False),                    # no such top-level domain
    ('вася@приклад.zzz', 'email', False),
    ('ф' * 64 + '.укр', 'domain', False),                # a label longer than 63 (in punycode too)
    ('пРиКлАд.укр', 'domain', False),                    # mixed case, as random bytes give
]
def forms(host):
    labels = [unicodedata.normalize('NFC', l.lower()) for l in host.split('.')]
    uni = '.'.join(labels)
    asc = '.'.join(l if l.isascii() else 'xn--' + l.encode('punycode').decode() for l in labels)
    return uni, asc
expect = []
for codec, label in (('utf-8', 'utf-8'), ('utf-16-le', 'utf-16le'), ('utf-16-be', 'utf-16be')):
    text = 'початок\n'
    for p, kind, valid in planted:
        text += 'Контакт: '
        if valid:
            if kind == 'email':
                local, host = p.split('@')
                uni, asc = forms(host)
                value = local.lower() + '@' + uni
            else:
                value, asc = forms(p)
            expect.append([label, kind, value, 'punycode ' + asc, len(text.encode(codec))])
        text += p + ', далі\n'
    open(out + '/idn.' + label, 'wb').write(text.encode(codec))
print(json.dumps(expect))
)PY");
    auto r = th::run("/usr/bin/python3 " + th::q(dir / "gen.py") + " " + th::q(dir.path));
    REQUIRE(r.rc == 0);
    const auto expect = nlohmann::json::parse(r.out);
    REQUIRE(expect.size() == 3 * 10);

    th::DetectorDriver drv(*triage_builtin_identifiers_entry(TRIAGE_HOST_API_VERSION)->detectors[0]);
    for (const std::string label : {"utf-8", "utf-16le", "utf-16be"}) {
        std::set<std::tuple<std::string, std::string, std::string, int64_t>> want, have;
        for (const auto& e : expect)
            if (e[0] == label)
                want.insert({e[1].get<std::string>(), e[2].get<std::string>(), e[3].get<std::string>(), e[4].get<int64_t>()});
        const std::string data = slurp(dir / ("idn." + label));
        for (const auto& splits : th::standard_splits(data.size())) {
            have.clear();
            for (const auto& f : drv.run(data, splits).findings) {
                if (f.rule != "email" && f.rule != "domain") continue;
                const auto d = nlohmann::json::parse(f.detail);
                CHECK(d["encoding"] == label);
                have.insert({f.rule, d["value"].get<std::string>(), d.value("note", ""), f.offset});
            }
            CAPTURE(label, splits);
            CHECK(have == want);
        }
    }
}

TEST_CASE("keywords: regular expressions in UTF-16LE/BE and every code page", "[identifiers]") {
    th::TempDir dir;
    const std::vector<std::string> regexes = {"пароль:?\\s*\\d{4}", "bănci\\w*\\s+\\d+", "pin\\s*\\d{4}"};
    std::string kw;
    for (const auto& t : regexes) kw += "re:" + t + "\n";
    write(dir / "kw.txt", kw);
    write(dir / "terms.json", nlohmann::json(regexes).dump());
    write(dir / "gen.py", R"PY(
import json, re, sys
out = sys.argv[1]
regexes = json.loads(open(out + '/terms.json', encoding='utf-8').read())
sentences = {
  'uk': 'Мій пароль: 4821 до скриньки, PIN 9876',
  'ru': 'Пароль 1357 от почты',
  'ro': 'Codul băncii 4455 și PIN 1234',
  'ro-cedilla': 'Codul băncii 4455 şi PIN 1234',   # what CP1250 and ISO-8859-2 can hold
}
codecs = {'utf-8': 'utf-8', 'utf-16le': 'utf-16-le', 'utf-16be': 'utf-16-be', 'cp1251': 'cp1251',
          'koi8-u': 'koi8_u', 'koi8-r': 'koi8_r', 'cp866': 'cp866', 'iso-8859-5': 'iso8859_5',
          'cp1250': 'cp1250', 'iso-8859-2': 'iso8859_2', 'iso-8859-16': 'iso8859_16'}
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
        for t in regexes:
            for m in re.finditer(t, text, re.IGNORECASE):
                expect.append([name, label, t, len(text[:m.start()].encode(codec)), m.group(0).isascii()])
print(json.dumps(expect))
)PY");
    auto r = th::run("/usr/bin/python3 " + th::q(dir / "gen.py") + " " + th::q(dir.path));
    REQUIRE(r.rc == 0);
    const auto expect = nlohmann::json::parse(r.out);
    std::map<std::string, std::set<std::pair<std::string, int64_t>>> want;
    std::map<std::pair<std::string, int64_t>, std::pair<std::string, bool>> label_of;  // (file, offset) -> label, ascii
    std::set<std::string> labels;
    for (const auto& e : expect) {
        const std::string file = e[0].get<std::string>();
        want[file].insert({e[2].get<std::string>(), e[3].get<int64_t>()});
        label_of[{file, e[3].get<int64_t>()}] = {e[1].get<std::string>(), e[4].get<bool>()};
        labels.insert(e[1].get<std::string>());
    }
    CHECK(labels.size() == 11);  // every encoding has at least one sentence with a match

    th::DetectorDriver drv(*triage_builtin_keywords_entry(TRIAGE_HOST_API_VERSION)->detectors[0], {{"file", dir / "kw.txt"}});
    for (const auto& [file, w] : want) {
        const std::string data = slurp(dir / file);
        std::set<std::pair<std::string, int64_t>> have;
        for (const auto& f : drv.run(data, {data.size() / 2 + 1}).findings) {
            CAPTURE(file, f.rule, f.offset);
            CHECK(have.insert({f.rule, f.offset}).second);  // once per location
            const auto [label, ascii] = label_of[{file, f.offset}];
            const std::string enc = nlohmann::json::parse(f.detail)["encoding"].get<std::string>();
            // An ASCII match in an 8-bit code page is the same bytes in UTF-8: reported as such.
            const bool eight_bit = label.rfind("utf-16", 0) != 0;
            CHECK(enc.find(ascii && eight_bit ? "utf-8" : label) != std::string::npos);
        }
        CAPTURE(file);
        CHECK(have == w);
    }
}
