// Volumes The Sleuth Kit 4.11 cannot open itself, read through Debian's libyal libraries:
// LVM2 logical volumes (libvslvm), LUKS1 (libluksde), BitLocker (libbde), Volume Shadow
// Copies of NTFS (libvshadow); FileVault 2 and LUKS2 are recognised and reported. Each volume
// behaves as an evidence::Image, so the layout stage walks what lies inside like any other disk.
#pragma once

#include "evidence/image.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace triage::volumes {

// Secrets for the encrypted volumes of one evidence item. Never written anywhere: the audit log
// records only kinds() (which kinds of secret were supplied).
struct Secrets {
    std::vector<std::string> passwords;
    std::vector<std::string> recovery_passwords;
    std::vector<std::string> key_files;     // LUKS key files (paths)
    std::vector<std::string> startup_keys;  // BitLocker .BEK startup keys (paths)
    bool empty() const {
        return passwords.empty() && recovery_passwords.empty() && key_files.empty() && startup_keys.empty();
    }
    std::vector<std::string> kinds() const;
};

// A byte range of a TSK image: the place a container was found in.
struct Range {
    TSK_IMG_INFO* img = nullptr;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// A volume inside a container. Reads are serialised (the libyal handles are not thread-safe).
class Volume : public evidence::Image {
public:
    const std::string& label() const { return label_; }
    // Volumes live inside one scan: a second independent handle is not offered.
    std::unique_ptr<evidence::Image> reopen() const override;

protected:
    std::string label_;
};

struct Container {
    std::string kind;          // "lvm", "luks", "bitlocker", "filevault", "vss"
    uint64_t offset = 0;       // where it starts in its parent
    uint64_t length = 0;
    std::string status;        // "opened", "locked", "unsupported", "damaged"
    std::string reason;        // why not opened (empty when opened)
    nlohmann::json detail = nlohmann::json::object();  // identifiers, method, protectors, times
    std::vector<std::shared_ptr<Volume>> volumes;      // what it opened
};

// Looks for an LVM2 physical volume, a LUKS or a BitLocker volume (also To Go, whose outer FAT
// file system is only a reader) at the start of the range: checked before any file system.
// nullopt when there is none. An encrypted volume is always reported, opened or not.
// label_prefix: the label of the volume the range lies in ("" for the evidence itself).
std::optional<Container> probe(const Range& r, const Secrets& secrets, const std::string& label_prefix);

// A FileVault 2 (CoreStorage) physical volume: recognised and reported; checked only where no
// file system was found (its signature is weak).
std::optional<Container> probe_filevault(const Range& r, const Secrets& secrets);

// The Volume Shadow Copy stores of the NTFS volume in the range, nullopt when it has none.
std::optional<Container> probe_vss(const Range& r, const std::string& label_prefix);

// Joins a parent label and a child label ("lvm:vg/lv" and "luks:<uuid>" → "lvm:vg/lv>luks:<uuid>").
std::string join_label(const std::string& parent, const std::string& child);

}  // namespace triage::volumes
