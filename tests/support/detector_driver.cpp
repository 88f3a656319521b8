#include "support/detector_driver.hpp"

#include <catch2/catch.hpp>

struct triage_host {
    th::DetectorDriver* d;
};

namespace th {
namespace {

void h_log(triage_host*, int, const char*) {}
int h_finding(triage_host* h, const triage_finding* f) {
    if (!h->d->current || !f || !f->kind) return TRIAGE_ERROR;
    h->d->current->findings.push_back({f->kind, f->rule ? f->rule : "", f->detail ? f->detail : "", f->offset, f->length});
    return TRIAGE_OK;
}
int h_hash(triage_host* h, const char* alg, const char* hex) {
    if (!h->d->current) return TRIAGE_ERROR;
    h->d->current->hashes[alg] = hex;
    return TRIAGE_OK;
}
int h_child(triage_host*, const char*, const uint8_t*, size_t, int64_t) { return TRIAGE_ERROR; }
const char* h_option(triage_host* h, const char* key) {
    auto it = h->d->options.find(key);
    if (it != h->d->options.end()) return it->second.c_str();
    for (size_t i = 0; i < h->d->det.option_count; ++i)
        if (std::string(key) == h->d->det.options[i].key) return h->d->det.options[i].default_value;
    return nullptr;
}
int h_cancelled(triage_host*) { return 0; }
const char* h_get_hash(triage_host* h, const char* alg) {
    if (!h->d->current || !alg) return nullptr;
    auto it = h->d->known_hashes.find(alg);
    return it == h->d->known_hashes.end() ? nullptr : it->second.c_str();
}

int h_mark(triage_host* h, const char* flag) {
    if (!h->d->current || !flag) return TRIAGE_ERROR;
    const std::string f(flag);
    if (f != "known_good" && f != "sensitive") return TRIAGE_ERROR;
    h->d->current->marks.insert(f);
    return TRIAGE_OK;
}
int h_marked(triage_host* h, const char* flag) {
    if (!flag) return 0;
    return h->d->marked.count(flag) || (h->d->current && h->d->current->marks.count(flag)) ? 1 : 0;
}

int h_property(triage_host* h, const char* key, const char* value) {
    if (!h->d->current || !key || !*key || !value) return TRIAGE_ERROR;
    h->d->current->properties[key] = value;
    return TRIAGE_OK;
}

const triage_host_api kApi{sizeof(triage_host_api), TRIAGE_HOST_API_VERSION, h_log, h_finding, h_hash, h_child, h_option,
                           h_cancelled, h_get_hash, h_mark, h_marked, h_property};
triage_host g_hosts[64];
int g_next = 0;

}  // namespace

DetectorDriver::DetectorDriver(const triage_detector& d, std::map<std::string, std::string> opts)
    : det(d), options(std::move(opts)) {
    triage_host* h = &g_hosts[g_next++ % 64];
    h->d = this;
    if (det.init) {
        char error[512] = "";
        REQUIRE(det.init(&kApi, h, &shared, error, sizeof error) == TRIAGE_OK);
    }
    instance = det.create(&kApi, h, shared);
    REQUIRE(instance != nullptr);
}

DetectorDriver::~DetectorDriver() {
    det.destroy(instance);
    if (det.shutdown) det.shutdown(shared);
}

Emitted DetectorDriver::run(const std::string& data, const std::vector<size_t>& splits, const std::string& name) {
    Emitted e;
    current = &e;
    triage_object_info info{};
    info.struct_size = sizeof info;
    info.kind = TRIAGE_OBJECT_FILE;
    info.path = name.c_str();
    info.name = name.c_str();
    info.size = data.size();
    info.allocated = 1;
    e.begin_rc = det.object_begin(instance, &info);
    size_t pos = 0;
    std::vector<size_t> cuts = splits;
    cuts.push_back(data.size());
    for (size_t cut : cuts) {
        if (cut <= pos || cut > data.size()) continue;
        e.block_rcs.push_back(
            det.object_block(instance, reinterpret_cast<const uint8_t*>(data.data()) + pos, cut - pos, pos));
        pos = cut;
    }
    e.end_rc = det.object_end(instance);
    current = nullptr;
    return e;
}

std::vector<std::vector<size_t>> standard_splits(size_t size) {
    const size_t mib = 1 << 20;
    std::vector<std::vector<size_t>> out = {{}, {65}, {1, 2, 3}};
    if (size > mib) out.push_back({mib - 1, mib, mib + 1});
    out.push_back({size / 2});
    return out;
}

}  // namespace th
