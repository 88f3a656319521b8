// External plugins run in a child process each (one per worker and detector): the parent
// streams objects over a socket and collects findings; a plugin that crashes, hangs past the
// per-object budget, or runs out of its memory limit is killed, recorded, and restarted for the
// next object. The child is this same executable started as `triage __plugin-host ...`.
#include "engine/detector_instance.hpp"
#include "util/text.hpp"

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>

namespace triage::engine {

namespace {

constexpr int kChannelFd = 3;
constexpr uint32_t kMaxPayload = 64u << 20;

enum MsgType : uint32_t {
    kBegin = 2,
    kBlock = 3,
    kEnd = 4,
    kFinding = 10,
    kHash = 11,
    kLog = 12,
    kResult = 13,
    kChild = 14,
    kMark = 15,
    kProperty = 16,
};

// ---- framing: [u32 type][u32 length][payload] ---------------------------------------
struct Out {
    std::string b;
    void u32(uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
    void i32(int32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
    void u64(uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
    void i64(int64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
    void str(const char* s) {
        std::string v = s ? s : "";
        u32(static_cast<uint32_t>(v.size()));
        b += v;
    }
};

struct In {
    const std::string& b;
    size_t pos = 0;
    bool ok = true;
    template <class T>
    T num() {
        T v{};
        if (pos + sizeof v > b.size()) {
            ok = false;
            return v;
        }
        std::memcpy(&v, b.data() + pos, sizeof v);
        pos += sizeof v;
        return v;
    }
    std::string str() {
        uint32_t n = num<uint32_t>();
        if (!ok || pos + n > b.size()) {
            ok = false;
            return {};
        }
        std::string s = b.substr(pos, n);
        pos += n;
        return s;
    }
};

// Resident memory of a process in bytes (0 when unknown).
uint64_t resident_bytes(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid));
    FILE* f = std::fopen(path, "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

// Set while the parent waits on a plugin process, so the wait can watch its memory.
struct MemoryWatch {
    pid_t pid = -1;
    uint64_t limit = 0;
    bool exceeded = false;
};
thread_local MemoryWatch* t_watch = nullptr;

// Waits for fd to be ready: 0 ready, -2 deadline passed, -4 memory limit exceeded, -1 error.
// A null deadline waits forever (the child's side).
int wait_fd(int fd, short events, const Clock::time_point* deadline) {
    for (;;) {
        int ms = -1;
        if (deadline) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
            if (left <= 0) return -2;
            ms = static_cast<int>(std::min<long long>(left, 1 << 30));
        }
        if (t_watch) ms = ms < 0 ? 100 : std::min(ms, 100);  // look at the child's memory 10 times a second
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, ms);
        if (r > 0) return 0;
        if (r == 0) {
            if (t_watch && resident_bytes(t_watch->pid) > t_watch->limit) {
                t_watch->exceeded = true;
                return -4;
            }
            if (deadline) continue;  // re-check against the clock
            return -2;
        }
        if (errno != EINTR) return -1;
    }
}

// 0 ok, -1 peer gone / error, -2 timeout.
int write_all(int fd, const char* p, size_t n, const Clock::time_point* deadline) {
    while (n > 0) {
        if (int w = wait_fd(fd, POLLOUT, deadline)) return w;
        ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return 0;
}

int read_all(int fd, char* p, size_t n, const Clock::time_point* deadline) {
    while (n > 0) {
        if (int w = wait_fd(fd, POLLIN, deadline)) return w;
        ssize_t r = ::recv(fd, p, n, 0);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        p += r;
        n -= static_cast<size_t>(r);
    }
    return 0;
}

int send_msg(int fd, uint32_t type, const std::string& payload, const Clock::time_point* deadline,
             const uint8_t* extra = nullptr, size_t extra_len = 0) {
    Out h;
    h.u32(type);
    h.u32(static_cast<uint32_t>(payload.size() + extra_len));
    if (int r = write_all(fd, h.b.data(), h.b.size(), deadline)) return r;
    if (int r = write_all(fd, payload.data(), payload.size(), deadline)) return r;
    if (extra_len) return write_all(fd, reinterpret_cast<const char*>(extra), extra_len, deadline);
    return 0;
}

int recv_msg(int fd, uint32_t& type, std::string& payload, const Clock::time_point* deadline) {
    uint32_t head[2];
    if (int r = read_all(fd, reinterpret_cast<char*>(head), sizeof head, deadline)) return r;
    if (head[1] > kMaxPayload) return -3;
    type = head[0];
    payload.resize(head[1]);
    return read_all(fd, payload.data(), payload.size(), deadline);
}

// ---- the parent's side ------------------------------------------------------------------
class PluginProcessInstance final : public DetectorInstance {
public:
    PluginProcessInstance(const LoadedDetector& det, const InstanceLimits& limits) : det_(det), limits_(limits) {
        spawn();
    }
    ~PluginProcessInstance() override { stop(false); }

    bool usable() const override { return spawn_failures_ < 3; }
    std::string error() const override { return error_; }

    bool begin(const triage_object_info& info, Clock::duration budget, const std::vector<HashRec>* known_hashes,
               ObjectResult& out) override {
        budget_ = budget;
        spent_ = Clock::duration::zero();
        if (pid_ < 0 && !spawn()) return false;
        Out o;
        o.i32(info.kind);
        o.i64(info.object_id);
        o.u64(info.size);
        o.i32(info.allocated);
        o.u64(info.image_offset);
        o.str(info.path);
        o.str(info.name);
        o.u32(known_hashes ? static_cast<uint32_t>(known_hashes->size()) : 0);
        if (known_hashes)
            for (const auto& h : *known_hashes) {
                o.str(h.algorithm.c_str());
                o.str(h.value.c_str());
            }
        o.u32(mark_bits(out));  // what object_marked answers in the child
        return exchange(kBegin, o.b, nullptr, 0, out, "object_begin");
    }
    bool block(const uint8_t* data, size_t len, uint64_t offset, ObjectResult& out) override {
        Out o;
        o.u64(offset);
        return exchange(kBlock, o.b, data, len, out, "object_block");
    }
    bool end(ObjectResult& out) override {
        Out o;
        o.u32(mark_bits(out));  // marks set by the metadata detectors since object_begin
        return exchange(kEnd, o.b, nullptr, 0, out, "object_end");
    }

private:
    bool spawn() {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            error_ = std::string("cannot create a channel to the plugin process: ") + std::strerror(errno);
            ++spawn_failures_;
            return false;
        }
        std::vector<std::string> args = {"triage", "__plugin-host", det_.origin, det_.desc->name};
        for (const auto& [k, v] : det_.options) args.push_back(k + "=" + v);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        // The address-space backstop sits above the resident limit the parent watches.
        rlimit mem{limits_.memory_bytes * 2 + (256ull << 20), limits_.memory_bytes * 2 + (256ull << 20)};
        rlimit core{0, 0};
        pid_t pid = ::fork();
        if (pid == 0) {
            // Only async-signal-safe calls between fork and exec.
            ::dup2(sv[1], kChannelFd);
            ::dup2(STDERR_FILENO, STDOUT_FILENO);  // a plugin's prints must not reach triage's stdout
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
            // A hard backstop besides the parent's watch on resident memory (AddressSanitizer and
            // ThreadSanitizer reserve terabytes of address space, so their builds rely on the watch).
            ::setrlimit(RLIMIT_AS, &mem);
#else
            (void)mem;
#endif
            ::setrlimit(RLIMIT_CORE, &core);
            ::execv("/proc/self/exe", argv.data());
            ::_exit(127);
        }
        ::close(sv[1]);
        if (pid < 0) {
            ::close(sv[0]);
            error_ = std::string("cannot start the plugin process: ") + std::strerror(errno);
            ++spawn_failures_;
            return false;
        }
        pid_ = pid;
        fd_ = sv[0];
        // The child says it loaded the plugin and created the detector (or why not).
        ObjectResult ignored;
        deadline_ = Clock::now() + std::chrono::seconds(30);
        if (!read_until_result(ignored, "start")) {
            ++spawn_failures_;
            return false;
        }
        spawn_failures_ = 0;
        return true;
    }

    void stop(bool force) {
        if (pid_ < 0) return;
        ::close(fd_);  // EOF tells a healthy child to finish
        fd_ = -1;
        if (force) ::kill(pid_, SIGKILL);
        int status = 0;
        for (int i = 0; i < 200 && !force; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            ::usleep(10000);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    // Why the child is gone (after EOF on the channel).
    std::string reap() {
        int status = 0;
        std::string why = "plugin process ended";
        for (int i = 0; i < 100; ++i) {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                if (WIFSIGNALED(status))
                    why = "plugin process killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                          strsignal(WTERMSIG(status)) + ")";
                else if (WIFEXITED(status))
                    why = "plugin process exited with code " + std::to_string(WEXITSTATUS(status));
                ::close(fd_);
                fd_ = -1;
                pid_ = -1;
                return why;
            }
            ::usleep(10000);
        }
        stop(true);
        return why;
    }

    bool exchange(uint32_t type, const std::string& payload, const uint8_t* data, size_t len, ObjectResult& out,
                  const char* phase) {
        if (pid_ < 0) {
            error_ = std::string(phase) + ": plugin process not running";
            return false;
        }
        // Only the time this plugin takes is charged to its budget.
        const auto start = Clock::now();
        deadline_ = start + (budget_ - spent_);
        MemoryWatch watch{pid_, limits_.memory_bytes};
        t_watch = &watch;
        int r = send_msg(fd_, type, payload, &deadline_, data, len);
        bool ok;
        if (r == -2) {
            ok = timed_out(phase);
        } else if (r == -4) {
            ok = over_memory(phase);
        } else if (r != 0) {
            error_ = std::string(phase) + ": " + reap();
            ok = false;
        } else {
            ok = read_until_result(out, phase);
        }
        t_watch = nullptr;
        spent_ += Clock::now() - start;
        return ok;
    }

    bool over_memory(const char* phase) {
        stop(true);
        error_ = std::string(phase) + ": plugin process exceeded the memory limit of " +
                 std::to_string(limits_.memory_bytes >> 20) + " MiB; plugin process killed";
        return false;
    }

    bool timed_out(const char* phase) {
        stop(true);
        error_ = std::string(phase) + ": exceeded the per-object time budget of " +
                 std::to_string(std::chrono::duration<double>(budget_).count()).substr(0, 6) +
                 " s; plugin process killed";
        return false;
    }

    bool read_until_result(ObjectResult& out, const char* phase) {
        for (;;) {
            uint32_t type = 0;
            std::string p;
            int r = recv_msg(fd_, type, p, &deadline_);
            if (r == -2) return timed_out(phase);
            if (r == -4) return over_memory(phase);
            if (r == -3) {
                stop(true);
                error_ = std::string(phase) + ": plugin sent an oversized message; plugin process killed";
                return false;
            }
            if (r != 0) {
                error_ = std::string(phase) + ": " + reap();
                return false;
            }
            In in{p};
            switch (type) {
                case kFinding: {
                    FindingRec f;
                    f.detector = det_.desc->name;
                    f.version = det_.desc->version;
                    int32_t sev = in.num<int32_t>();
                    int64_t off = in.num<int64_t>(), length = in.num<int64_t>();
                    f.kind = in.str();
                    f.rule = in.str();
                    f.category = in.str();
                    f.detail = in.str();
                    f.severity = sev;
                    if (off >= 0) f.offset = off;
                    if (length >= 0) f.length = length;
                    if (in.ok && !f.kind.empty()) out.findings.push_back(std::move(f));
                    break;
                }
                case kHash: {
                    std::string alg = in.str(), hex = in.str();
                    if (in.ok) out.hashes.push_back({det_.desc->name, alg, hex});
                    break;
                }
                case kProperty: {
                    std::string key = in.str(), value = in.str();
                    if (in.ok && valid_property(key.c_str(), value.c_str()))
                        add_property(out, det_.desc->name, key, value);
                    break;
                }
                case kMark: {
                    std::string flag = in.str();
                    if (in.ok) apply_mark(out, flag.c_str());
                    break;
                }
                case kChild: {
                    std::string rel = in.str();
                    int64_t poff = in.num<int64_t>();
                    if (!in.ok || rel.empty()) break;
                    size_t n = p.size() - in.pos;
                    if (out.child_bytes + n > kMaxChildBytesPerObject) {
                        out.errors.push_back({det_.desc->name, "emit_child refused: more than " +
                                                                   std::to_string(kMaxChildBytesPerObject >> 20) +
                                                                   " MiB of child objects from one object"});
                        break;
                    }
                    out.child_bytes += n;
                    out.children.push_back({det_.desc->name, rel,
                                            std::vector<uint8_t>(p.begin() + static_cast<std::ptrdiff_t>(in.pos), p.end()),
                                            poff});
                    break;
                }
                case kLog: {
                    int32_t level = in.num<int32_t>();
                    std::string msg = in.str();
                    if (in.ok && level >= TRIAGE_LOG_WARNING)
                        std::cerr << "\n[" << det_.desc->name << "] " << (level >= TRIAGE_LOG_ERROR ? "error: " : "warning: ")
                                  << util::terminal_safe(msg) << "\n";
                    break;
                }
                case kResult: {
                    int32_t rc = in.num<int32_t>();
                    std::string msg = in.str();
                    if (rc == TRIAGE_OK) return true;
                    error_ = std::string(phase) + " failed" + (msg.empty() ? "" : ": " + msg);
                    return false;
                }
                default:
                    stop(true);
                    error_ = std::string(phase) + ": plugin sent an unknown message; plugin process killed";
                    return false;
            }
        }
    }

    const LoadedDetector& det_;
    InstanceLimits limits_;
    pid_t pid_ = -1;
    int fd_ = -1;
    int spawn_failures_ = 0;
    Clock::time_point deadline_;
    Clock::duration budget_{}, spent_{};
    std::string error_;
};

// ---- the child's side ------------------------------------------------------------------
struct ChildState {
    std::map<std::string, std::string> options;
    const triage_detector* det = nullptr;
    std::string option_buf;
    std::map<std::string, std::string> hashes;  // of the current object (metadata phase)
    ObjectResult marks;                          // the current object's marks, as the parent knows them
};
ChildState g_child;

void child_send(uint32_t type, const Out& o) {
    if (send_msg(kChannelFd, type, o.b, nullptr) != 0) ::_exit(3);
}

void child_log(triage_host*, int level, const char* message) {
    Out o;
    o.i32(level);
    o.str(message);
    child_send(kLog, o);
}
int child_emit_finding(triage_host*, const triage_finding* f) {
    if (!f || !f->kind) return TRIAGE_ERROR;
    Out o;
    o.i32(f->severity);
    o.i64(f->offset);
    o.i64(f->length);
    o.str(f->kind);
    o.str(f->rule);
    o.str(f->category);
    o.str(f->detail);
    child_send(kFinding, o);
    return TRIAGE_OK;
}
int child_emit_hash(triage_host*, const char* alg, const char* hex) {
    if (!alg || !hex) return TRIAGE_ERROR;
    Out o;
    o.str(alg);
    o.str(hex);
    child_send(kHash, o);
    return TRIAGE_OK;
}
int child_emit_child(triage_host*, const char* rel, const uint8_t* data, size_t len, int64_t parent_offset) {
    if (!rel || !*rel || (!data && len) || len > kMaxPayload - 4096) return TRIAGE_ERROR;
    Out o;
    o.str(rel);
    o.i64(parent_offset);
    o.b.append(reinterpret_cast<const char*>(data), len);
    child_send(kChild, o);
    return TRIAGE_OK;
}
const char* child_get_hash(triage_host*, const char* alg) {
    if (!alg) return nullptr;
    auto it = g_child.hashes.find(alg);
    return it == g_child.hashes.end() ? nullptr : it->second.c_str();
}
int child_mark_object(triage_host*, const char* flag) {
    if (!apply_mark(g_child.marks, flag)) return TRIAGE_ERROR;
    Out o;
    o.str(flag);
    child_send(kMark, o);
    return TRIAGE_OK;
}
int child_object_marked(triage_host*, const char* flag) { return query_mark(g_child.marks, flag); }
int child_set_property(triage_host*, const char* key, const char* value) {
    if (!valid_property(key, value)) return TRIAGE_ERROR;
    Out o;
    o.str(key);
    o.str(value);
    child_send(kProperty, o);
    return TRIAGE_OK;
}
void set_child_marks(uint32_t bits) {
    g_child.marks.known_good = bits & kMarkKnownGood;
    g_child.marks.sensitive = bits & kMarkSensitive;
    g_child.marks.skip_heavy = bits & kMarkSkip;
}
const char* child_get_option(triage_host*, const char* key) {
    if (!key) return nullptr;
    auto it = g_child.options.find(key);
    if (it != g_child.options.end()) {
        g_child.option_buf = it->second;
        return g_child.option_buf.c_str();
    }
    for (size_t i = 0; i < g_child.det->option_count; ++i)
        if (std::string(key) == g_child.det->options[i].key) return g_child.det->options[i].default_value;
    return nullptr;
}
int child_is_cancelled(triage_host*) { return 0; }  // the parent kills the process instead

const triage_host_api kChildApi{sizeof(triage_host_api), TRIAGE_HOST_API_VERSION, child_log,        child_emit_finding,
                                child_emit_hash,         child_emit_child,        child_get_option, child_is_cancelled,
                                child_get_hash,          child_mark_object,       child_object_marked,
                                child_set_property};

void child_result(int rc, const char* msg) {
    Out o;
    o.i32(rc);
    o.str(msg);
    child_send(kResult, o);
}

}  // namespace

std::unique_ptr<DetectorInstance> make_plugin_process_instance(const LoadedDetector& det, const InstanceLimits& limits) {
    return std::make_unique<PluginProcessInstance>(det, limits);
}

int plugin_host_main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    // Ctrl-C (and a service manager's SIGTERM) reach the whole process group: the scan stops
    // cleanly, but a plugin process killed by them would be recorded as a failure on the object
    // it held. The parent ends this process itself (EOF on the channel, or SIGKILL).
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    if (argc < 4) return 2;
    const std::string so = argv[2], name = argv[3];
    for (int i = 4; i < argc; ++i) {
        std::string kv = argv[i];
        auto eq = kv.find('=');
        if (eq != std::string::npos) g_child.options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    void* h = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        child_result(TRIAGE_ERROR, (std::string("cannot load ") + so + ": " + ::dlerror()).c_str());
        return 1;
    }
    auto entry = reinterpret_cast<triage_plugin_entry_fn>(::dlsym(h, TRIAGE_PLUGIN_ENTRY_SYMBOL));
    const triage_plugin* plugin = entry ? entry(TRIAGE_HOST_API_VERSION) : nullptr;
    if (plugin)
        for (size_t i = 0; i < plugin->detector_count; ++i)
            if (plugin->detectors[i] && name == plugin->detectors[i]->name) g_child.det = plugin->detectors[i];
    if (!g_child.det) {
        child_result(TRIAGE_ERROR, ("detector '" + name + "' not found in " + so).c_str());
        return 1;
    }
    const triage_detector* d = g_child.det;
    void* shared = nullptr;
    if (d->init) {
        char error[1024] = "";
        if (d->init(&kChildApi, nullptr, &shared, error, sizeof error) != TRIAGE_OK) {
            error[sizeof error - 1] = '\0';
            child_result(TRIAGE_ERROR, error[0] ? error : "init failed");
            return 1;
        }
    }
    void* inst = d->create(&kChildApi, nullptr, shared);
    if (!inst) {
        child_result(TRIAGE_ERROR, "the detector's create() returned NULL");
        return 1;
    }
    child_result(TRIAGE_OK, "");
    auto last_error = [&]() -> const char* { return d->last_error ? d->last_error(inst) : ""; };
    std::string path, fname;
    for (;;) {
        uint32_t type = 0;
        std::string p;
        if (recv_msg(kChannelFd, type, p, nullptr) != 0) break;
        In in{p};
        int rc = TRIAGE_ERROR;
        if (type == kBegin) {
            triage_object_info info{};
            info.struct_size = sizeof info;
            info.kind = in.num<int32_t>();
            info.object_id = in.num<int64_t>();
            info.size = in.num<uint64_t>();
            info.allocated = in.num<int32_t>();
            info.image_offset = in.num<uint64_t>();
            path = in.str();
            fname = in.str();
            g_child.hashes.clear();
            uint32_t nh = in.num<uint32_t>();
            for (uint32_t k = 0; k < nh && in.ok; ++k) {
                std::string a = in.str();
                g_child.hashes[a] = in.str();
            }
            set_child_marks(in.num<uint32_t>());
            info.path = path.c_str();
            info.name = fname.c_str();
            rc = in.ok ? d->object_begin(inst, &info) : TRIAGE_ERROR;
        } else if (type == kBlock) {
            uint64_t off = in.num<uint64_t>();
            rc = in.ok ? d->object_block(inst, reinterpret_cast<const uint8_t*>(p.data()) + 8, p.size() - 8, off)
                       : TRIAGE_ERROR;
        } else if (type == kEnd) {
            set_child_marks(in.num<uint32_t>());
            rc = in.ok ? d->object_end(inst) : TRIAGE_ERROR;
        }
        child_result(rc, rc == TRIAGE_OK ? "" : last_error());
    }
    d->destroy(inst);
    if (d->shutdown) d->shutdown(shared);
    return 0;
}

}  // namespace triage::engine
