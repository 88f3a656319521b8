/*
 * triage detector ABI: the one interface between the scan engine and every detector,
 * built-in or loaded from a shared object. Plain C: no C++ types cross it, nothing throws
 * across it. Versioning rules:
 *   - TRIAGE_HOST_API_VERSION grows when functions are appended to triage_host_api;
 *     existing members never move or change. A plugin states the lowest version it needs
 *     in triage_plugin.min_host_api; the host refuses plugins that need a newer one.
 *   - Every struct starts with struct_size so that either side can tell which members
 *     the other knows about.
 * A plugin exports one symbol, TRIAGE_PLUGIN_ENTRY_SYMBOL, of type triage_plugin_entry_fn.
 * Built-in detectors are registered through the very same function type (plugins/builtin.c*).
 */
#ifndef TRIAGE_DETECTOR_ABI_H
#define TRIAGE_DETECTOR_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRIAGE_HOST_API_VERSION 2u
#define TRIAGE_PLUGIN_ENTRY_SYMBOL "triage_plugin_entry"

#define TRIAGE_OPTION_TIME_LEFT_MS "triage.time_left_ms"

/* Return codes of detector callbacks and host functions. */
#define TRIAGE_OK 0
#define TRIAGE_ERROR (-1)
#define TRIAGE_CANCELLED (-2)

/* What a detector wants to see (bit flags in triage_detector.wants). */
#define TRIAGE_WANT_BLOCKS 0x1u     /* every object's content, streamed in blocks */
#define TRIAGE_WANT_UNALLOC 0x2u    /* unallocated byte ranges (carvers): streamed in blocks,
                                       offsets relative to the range; image_offset says where it is */
#define TRIAGE_WANT_METADATA 0x4u   /* no content: object_begin/object_end after the content
                                       detectors, with get_hash() answering (hash-set lookups) */
#define TRIAGE_WANT_WHOLE 0x8u      /* the whole object in ONE object_block call, for objects up to
                                       the host's whole-object cap (--whole-object-cap); larger
                                       objects are not given to the detector */
#define TRIAGE_WANT_HEAVY 0x10u     /* (host API >= 2) a costly content detector (YARA, keyword
                                       search): its object_end runs after the metadata detectors,
                                       and when the object was marked "known_good" and the
                                       examiner skips known-good files (the default),
                                       object_marked(host, "skip") answers 1 there: do no work */

/* Kinds of object handed to detectors. */
#define TRIAGE_OBJECT_FILE 0        /* a file's default data stream */
#define TRIAGE_OBJECT_STREAM 1      /* an alternate data stream (NTFS ADS) */
#define TRIAGE_OBJECT_UNALLOC 2     /* an unallocated or unpartitioned byte range */
#define TRIAGE_OBJECT_CHILD 3       /* carved or extracted bytes */

/* For TRIAGE_OBJECT_UNALLOC, triage_object_info.name is the range's kind: "fs_unallocated",
 * "unpartitioned", "no_filesystem", "fs_metadata" (directories, FAT tables: allocated, not file
 * content) or "file_slack". A "file_slack" range starts TRIAGE_SEAM_BYTES before the end of a
 * file's content and ends TRIAGE_SEAM_BYTES after the end of its last allocated block (less
 * where the file system ends first): a hit [s, e) belongs to it only when e > TRIAGE_SEAM_BYTES
 * and s < size - TRIAGE_SEAM_BYTES (it reaches past the file's end and starts before the slack's
 * end); everything else is reported by the file or the neighbouring range. Carvers skip both. */
#define TRIAGE_SEAM_BYTES 64

/* Log levels. */
#define TRIAGE_LOG_DEBUG 0
#define TRIAGE_LOG_INFO 1
#define TRIAGE_LOG_WARNING 2
#define TRIAGE_LOG_ERROR 3

/* Opaque host context: identifies the worker and current object inside the host. */
typedef struct triage_host triage_host;

/* The object a detector is about to see. Strings are UTF-8 and valid until object_end. */
typedef struct triage_object_info {
    uint32_t struct_size;
    int32_t kind;              /* TRIAGE_OBJECT_* */
    int64_t object_id;         /* file_id in the index, or -1 for unallocated ranges */
    const char* path;          /* forensic path, e.g. "/Users/a.txt" or "vol2/unalloc@0x1f000" */
    const char* name;          /* last path element */
    uint64_t size;             /* bytes that will be streamed (declared size) */
    int32_t allocated;         /* 1 allocated, 0 deleted or unallocated */
    uint64_t image_offset;     /* byte offset in the image for unallocated ranges, else 0 */
} triage_object_info;

/* A finding. Strings may be NULL where not applicable; the host copies everything. */
typedef struct triage_finding {
    uint32_t struct_size;
    const char* kind;          /* "hash", "yara", "hashset", "pattern", ... */
    const char* rule;          /* rule, set or pattern name */
    const char* category;
    int32_t severity;          /* 0 info .. 10 critical */
    int64_t offset;            /* object offset (or image offset for unallocated), -1 none */
    int64_t length;            /* -1 when not applicable */
    const char* detail;        /* free text or JSON */
} triage_finding;

/* Functions the host hands to detectors. Append-only: new members go at the end, and
 * TRIAGE_HOST_API_VERSION grows with them; version 1 is everything up to get_hash, version 2
 * adds mark_object, object_marked and set_property.
 * Strings returned by get_option and get_hash stay valid until the next call of either. */
typedef struct triage_host_api {
    uint32_t struct_size;
    uint32_t api_version;
    void (*log)(triage_host* host, int level, const char* message);
    int (*emit_finding)(triage_host* host, const triage_finding* finding);
    /* Record a content hash of the current object, e.g. ("sha256", "ab12..."). */
    int (*emit_hash)(triage_host* host, const char* algorithm, const char* hex_value);
    /* Bytes derived from the current object (carved, extracted) that re-enter the scan as a
     * child object named by relative_path under the current object's path ("parent>relative"):
     * hashed, matched and scanned by every detector, and listed in the index with its parent.
     * The host copies the bytes. parent_offset: where they start in the parent, or -1. */
    int (*emit_child)(triage_host* host, const char* relative_path, const uint8_t* data,
                      size_t length, int64_t parent_offset);
    /* Value of this detector's option KEY as text (the default when not set), or NULL.
     * The reserved key TRIAGE_OPTION_TIME_LEFT_MS answers the milliseconds left of the current
     * object's time budget (NULL before the first object, or from hosts that do not know the key). */
    const char* (*get_option)(triage_host* host, const char* key);
    /* Non-zero when the scan is being cancelled or this object's time budget is spent. */
    int (*is_cancelled)(triage_host* host);
    /* The current object's hash by algorithm ("md5", "sha1", "sha256"), lower-case hex, or NULL
     * when not known. Known to TRIAGE_WANT_METADATA detectors; content detectors run before
     * the hashes are final and get NULL. */
    const char* (*get_hash)(triage_host* host, const char* algorithm);
    /* --- host API version 2 --- */
    /* Mark the current object: "known_good" (in a known-good hash set) or "sensitive" (matched
     * as abuse material: its content and thumbnails never leave the index). Marks are kept in
     * the index (files.known_good, files.sensitive). Unknown flags give TRIAGE_ERROR. */
    int (*mark_object)(triage_host* host, const char* flag);
    /* 1 when the current object carries the mark FLAG so far ("known_good", "sensitive", or
     * "skip": known good and the examiner skips known-good files), else 0. */
    int (*object_marked)(triage_host* host, const char* flag);
    /* Record a property of the current object: KEY (1..64 characters of a-z 0-9 _ . -) = VALUE
     * (UTF-8 text up to 4096 bytes), kept in the index's properties table; setting a key twice
     * keeps the last value. Well-known keys: "mime" and "description" (the content's type,
     * shown as v_files.type), "entropy", "encrypted". Properties of unallocated ranges are not
     * kept (use findings there). TRIAGE_ERROR for a bad key or value. */
    int (*set_property)(triage_host* host, const char* key, const char* value);
} triage_host_api;

/* An option a detector takes. type is "string", "int", "bool" or "size". */
typedef struct triage_option_desc {
    const char* key;
    const char* type;
    const char* default_value;
    const char* help;
} triage_option_desc;

/* One detector, driven through phases:
 *   init (once per scan, optional): check options, load what every instance shares (rules, hash
 *        sets) read-only; on failure it writes a message and the scan does not start;
 *   create (once per worker): an instance, called by one thread at a time, so a detector never
 *        needs locks (not always the same thread: a large object's blocks may come on a helper
 *        thread of the worker; keep state in the instance, not in thread-locals);
 *   object_begin -> object_block* -> object_end (per object);
 *   destroy (per instance), then shutdown (once, optional) with the shared state.
 * Callbacks return TRIAGE_OK or TRIAGE_ERROR; on error the host calls last_error (if set) for
 * a message, records it and skips the detector for that object only. */
typedef struct triage_detector {
    uint32_t struct_size;
    const char* name;
    const char* version;
    const char* author;
    const char* description;
    uint32_t wants;                        /* TRIAGE_WANT_* */
    const triage_option_desc* options;     /* may be NULL */
    size_t option_count;
    /* May be NULL. Sets *shared (may stay NULL); on TRIAGE_ERROR writes a NUL-terminated
     * message of at most error_size bytes into error. */
    int (*init)(const triage_host_api* api, triage_host* host, void** shared, char* error, size_t error_size);
    void (*shutdown)(void* shared);        /* may be NULL */
    void* (*create)(const triage_host_api* api, triage_host* host, void* shared);
    void (*destroy)(void* instance);
    int (*object_begin)(void* instance, const triage_object_info* object);
    int (*object_block)(void* instance, const uint8_t* data, size_t length, uint64_t offset);
    int (*object_end)(void* instance);
    const char* (*last_error)(void* instance);   /* may be NULL */
    /* May be NULL, and is not read when struct_size does not reach it (an older plugin). For a
     * TRIAGE_WANT_WHOLE detector: called with the object and its first block (object_begin has
     * not been called yet), 1 when the detector wants the whole object, 0 when it has no use for
     * it (a picture decoder and a video). When no whole-object detector wants an object, the
     * host does not hold it in memory; a detector that answered 0 gets no phase for it. */
    int (*wants_whole)(void* instance, const triage_object_info* object, const uint8_t* head, size_t length);
} triage_detector;

/* What a plugin file (or a built-in module) offers. */
typedef struct triage_plugin {
    uint32_t struct_size;
    uint32_t min_host_api;                 /* lowest TRIAGE_HOST_API_VERSION it needs */
    const triage_detector* const* detectors;
    size_t detector_count;
} triage_plugin;

/* Marks the entry point visible even when a plugin builds with -fvisibility=hidden:
 *   TRIAGE_PLUGIN_EXPORT const triage_plugin* triage_plugin_entry(uint32_t host_api_version) */
#if defined(__GNUC__) || defined(__clang__)
#define TRIAGE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define TRIAGE_PLUGIN_EXPORT
#endif

/* The single entry point. host_api_version is the host's TRIAGE_HOST_API_VERSION. */
typedef const triage_plugin* (*triage_plugin_entry_fn)(uint32_t host_api_version);

#ifdef __cplusplus
}
#endif

#endif /* TRIAGE_DETECTOR_ABI_H */
