// Executables. ELF: identification bytes, a consistent header (header and table entry sizes of
// the class), the section header table, and every section's and segment's file extent; the item
// ends at the furthest of them (normally the section header table). PE: the MZ header's e_lfanew
// points at "PE\0\0", a known optional-header magic, a sane section count; the item ends at the
// furthest section's raw data or at the end of the certificate table (which is addressed by file
// offset). Data appended after that (an overlay) is not part of the carved item.
#include "formats.hpp"

#include <algorithm>
#include <cstring>

namespace triage::carve {

Check validate_elf(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 64) return need_more(64);
    if (std::memcmp(b, "\x7f" "ELF", 4) != 0) return invalid();
    const bool is64 = b[4] == 2, le = b[5] == 1;
    if ((b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2) || b[6] != 1) return invalid();
    auto u16 = [&](size_t o) -> uint64_t { return le ? le16(b + o) : be16(b + o); };
    auto u32 = [&](size_t o) -> uint64_t { return le ? le32(b + o) : be32(b + o); };
    auto u64 = [&](size_t o) -> uint64_t { return le ? le64(b + o) : be64(b + o); };
    auto word = [&](size_t o) { return is64 ? u64(o) : u32(o); };
    const uint64_t type = u16(16), machine = u16(18);
    if (type < 1 || type > 4 || machine == 0 || u32(20) != 1) return invalid();
    const uint64_t phoff = word(is64 ? 32 : 28), shoff = word(is64 ? 40 : 32);
    const uint64_t ehsize = u16(is64 ? 52 : 40), phentsize = u16(is64 ? 54 : 42), phnum = u16(is64 ? 56 : 44);
    const uint64_t shentsize = u16(is64 ? 58 : 46), shnum = u16(is64 ? 60 : 48);
    if (ehsize != (is64 ? 64u : 52u)) return invalid();
    if (phnum && phentsize != (is64 ? 56u : 32u)) return invalid();
    if (shnum && shentsize != (is64 ? 64u : 40u)) return invalid();
    if (!phnum && !shnum) return invalid();
    uint64_t end = ehsize;
    const uint64_t ph_end = phoff + phnum * phentsize, sh_end = shoff + shnum * shentsize;
    if ((phnum && (phoff < ehsize || ph_end > (1ull << 32))) || (shnum && (shoff < ehsize || sh_end > (1ull << 32))))
        return invalid();
    end = std::max({end, phnum ? ph_end : 0, shnum ? sh_end : 0});
    const uint64_t tables = std::max(ph_end, sh_end);
    if (tables > n) return ran_out(n, tables, "elf");
    bool interp = false;  // a PT_INTERP segment: an executable, even when position-independent
    for (uint64_t i = 0; i < phnum; ++i) {
        const size_t e = static_cast<size_t>(phoff + i * phentsize);
        interp = interp || u32(e) == 3;
        const uint64_t off = is64 ? u64(e + 8) : u32(e + 4), filesz = is64 ? u64(e + 32) : u32(e + 16);
        if (off + filesz > (1ull << 32)) return invalid();
        end = std::max(end, off + filesz);
    }
    for (uint64_t i = 0; i < shnum; ++i) {
        const size_t e = static_cast<size_t>(shoff + i * shentsize);
        const uint64_t stype = u32(e + 4);
        if (stype == 8 /* SHT_NOBITS */ || stype == 0) continue;
        const uint64_t off = is64 ? u64(e + 24) : u32(e + 16), size = is64 ? u64(e + 32) : u32(e + 20);
        if (off + size > (1ull << 32)) return invalid();
        end = std::max(end, off + size);
    }
    if (end > n) return ran_out(n, end, "elf");
    return complete(end, type == 3 && !interp ? "so" : "elf");
}

Check validate_pe(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 64) return need_more(64);
    if (b[0] != 'M' || b[1] != 'Z') return invalid();
    const uint32_t lfanew = le32(b + 0x3C);
    if (lfanew < 0x40 || lfanew > 0x10000 || lfanew % 4 != 0) return invalid();
    if (lfanew + 24 > n) return need_more(lfanew + 24);
    if (std::memcmp(b + lfanew, "PE\0\0", 4) != 0) return invalid();
    const uint16_t nsec = le16(b + lfanew + 6), opt_size = le16(b + lfanew + 20), chars = le16(b + lfanew + 22);
    if (nsec == 0 || nsec > 96 || opt_size < 0x60) return invalid();
    const size_t opt = lfanew + 24;
    if (opt + opt_size + 40ull * nsec > n) return need_more(opt + opt_size + 40ull * nsec);
    const uint16_t magic = le16(b + opt);
    if (magic != 0x10B && magic != 0x20B) return invalid();
    const bool pe32p = magic == 0x20B;
    const uint64_t file_align = le32(b + opt + 36), headers = le32(b + opt + 60);
    if (file_align < 0x200 || file_align > 0x10000 || (file_align & (file_align - 1))) {
        if (file_align != 0 && file_align < 0x200 && (file_align & (file_align - 1)) == 0) {
            // small alignment (drivers, packed files) is allowed
        } else {
            return invalid();
        }
    }
    uint64_t end = std::max<uint64_t>(headers, opt + opt_size + 40ull * nsec);
    const size_t sec = opt + opt_size;
    for (unsigned i = 0; i < nsec; ++i) {
        const size_t s = sec + 40u * i;
        const uint64_t raw_size = le32(b + s + 16), raw_ptr = le32(b + s + 20);
        if (raw_size && raw_ptr + raw_size > (1ull << 31)) return invalid();
        if (raw_size) end = std::max(end, raw_ptr + raw_size);
    }
    // The certificate table (data directory 4) is given as a file offset and sits at the end.
    const size_t dirs = opt + (pe32p ? 112 : 96);
    const uint32_t ndirs = le32(b + opt + (pe32p ? 108 : 92));
    if (ndirs > 4 && dirs + 8 * 5 <= opt + opt_size) {
        const uint64_t cert_off = le32(b + dirs + 32), cert_size = le32(b + dirs + 36);
        if (cert_off && cert_size && cert_off + cert_size < (1ull << 31)) end = std::max(end, cert_off + cert_size);
    }
    if (end > n) return ran_out(n, end, (chars & 0x2000) ? "dll" : "exe");
    return complete(end, (chars & 0x2000) ? "dll" : "exe");
}

}  // namespace triage::carve
