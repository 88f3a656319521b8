// SQLite: the 100-byte database header (magic, a power-of-two page size, file format versions,
// the fixed payload fractions) and its in-header database size, trusted only when the
// "version-valid-for" number equals the change counter (as SQLite itself does). Length = page
// size x page count. The first page's b-tree header must be a table b-tree page.
#include "formats.hpp"

#include <cstring>

namespace triage::carve {

Check validate_sqlite(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 112) return need_more(112);
    if (std::memcmp(b, "SQLite format 3\0", 16) != 0) return invalid();
    uint32_t page = be16(b + 16);
    if (page == 1) page = 65536;
    if (page < 512 || (page & (page - 1)) != 0) return invalid();
    if ((b[18] != 1 && b[18] != 2) || (b[19] != 1 && b[19] != 2)) return invalid();
    if (b[21] != 64 || b[22] != 32 || b[23] != 32) return invalid();
    if (b[20] >= page / 2) return invalid();
    const uint32_t pages = be32(b + 28);
    if (pages == 0 || be32(b + 92) != be32(b + 24)) return invalid();
    const uint8_t kind = b[100];
    if (kind != 0x0D && kind != 0x05) return invalid();  // leaf or interior table b-tree page
    const uint64_t len = static_cast<uint64_t>(page) * pages;
    if (len > (64ull << 30)) return invalid();
    if (len > n) return ran_out(n, len, "sqlite");
    return complete(len, "sqlite");
}

}  // namespace triage::carve
