-- triage index schema, version 1.
-- Tables hold what a scan found; the v_* views are the stable interface for examiners,
-- scripts and the report renderer (documented in docs/schema.md). Times are Unix seconds
-- (UTC) in tables and ISO 8601 UTC text in views. Hashes are lower-case hex.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS case_info (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    case_number  TEXT,
    examiner     TEXT,
    created      TEXT NOT NULL
);

-- One row per evidence item. fingerprint identifies the same evidence across runs.
CREATE TABLE IF NOT EXISTS evidence (
    evidence_id      INTEGER PRIMARY KEY,
    path             TEXT NOT NULL,
    segments         TEXT NOT NULL,           -- JSON array of segment files
    format           TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sector_size      INTEGER NOT NULL,
    fingerprint      TEXT NOT NULL UNIQUE,
    stored_md5       TEXT,
    stored_sha1      TEXT,
    computed_md5     TEXT,
    computed_sha1    TEXT,
    computed_sha256  TEXT,
    verification     TEXT NOT NULL DEFAULT 'not checked'
                     CHECK (verification IN ('verified', 'mismatch', 'no stored hash', 'not checked')),
    status           TEXT NOT NULL DEFAULT 'scanning' CHECK (status IN ('scanning', 'complete')),
    added            TEXT NOT NULL,
    completed        TEXT
);

-- Partitions and unallocated slots of a volume system (MBR, GPT, ...).
CREATE TABLE IF NOT EXISTS volumes (
    volume_id     INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(evidence_id),
    volume        TEXT NOT NULL DEFAULT '',   -- the container volume this table lies in ('' the evidence)
    vs_type       TEXT NOT NULL,
    slot          INTEGER NOT NULL,           -- TSK partition address
    start_offset  INTEGER NOT NULL,           -- bytes from the start of the image
    length        INTEGER NOT NULL,           -- bytes
    description   TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('partition', 'unallocated', 'meta')),
    UNIQUE (evidence_id, volume, slot)
);

-- Containers TSK does not open itself, found in a partition, a whole image or a volume: LVM2
-- physical volumes, LUKS, BitLocker and FileVault 2 volumes, the shadow copies of NTFS
-- volumes. Encrypted ones are recorded whether or not a secret opened them.
CREATE TABLE IF NOT EXISTS containers (
    container_id  INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(evidence_id),
    parent_volume TEXT NOT NULL DEFAULT '',   -- the volume it lies in ('' the evidence)
    kind          TEXT NOT NULL,              -- lvm, luks, bitlocker, filevault, vss
    offset        INTEGER NOT NULL,           -- bytes from the start of the parent
    length        INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('opened', 'locked', 'unsupported', 'damaged')),
    reason        TEXT,                       -- why it was not opened
    detail        TEXT NOT NULL,              -- JSON: identifiers, method, key protectors, times (never a secret)
    volumes       TEXT NOT NULL,              -- JSON array of the labels of the volumes it opened
    UNIQUE (evidence_id, parent_volume, kind, offset)
);

CREATE TABLE IF NOT EXISTS filesystems (
    fs_id         INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(evidence_id),
    volume_id     INTEGER REFERENCES volumes(volume_id),
    volume        TEXT NOT NULL DEFAULT '',   -- container volume: 'lvm:vg/lv', 'luks:<uuid>', 'bitlocker:<guid>', 'vss:1' ...
    offset        INTEGER NOT NULL,           -- bytes from the start of the image or volume (of the pool for APFS)
    fs_type       TEXT NOT NULL,
    pool_block    INTEGER NOT NULL DEFAULT -1,-- APFS: the volume's superblock block in its container, else -1
    block_size    INTEGER,
    block_count   INTEGER,
    status        TEXT NOT NULL DEFAULT 'walking' CHECK (status IN ('walking', 'complete')),
    -- Several file systems can share an offset: the volumes of an APFS container, or two
    -- file systems TSK finds in one partition (both are walked).
    UNIQUE (evidence_id, volume, offset, fs_type, pool_block)
);

-- Every name TSK lists (allocated, deleted, orphan, virtual) and every NTFS data stream.
CREATE TABLE IF NOT EXISTS files (
    file_id        INTEGER PRIMARY KEY,
    evidence_id    INTEGER NOT NULL REFERENCES evidence(evidence_id),
    fs_id          INTEGER NOT NULL REFERENCES filesystems(fs_id),
    path           TEXT NOT NULL,             -- from the file-system root, starting with '/'
    name           TEXT NOT NULL,
    stream         TEXT,                      -- NTFS alternate data stream name, else NULL
    meta_addr      INTEGER NOT NULL,
    meta_seq       INTEGER,
    attr_type      INTEGER NOT NULL DEFAULT 0,
    attr_id        INTEGER NOT NULL DEFAULT 0,
    name_type      TEXT NOT NULL,             -- fls letters: r d l v c b p s h w -
    meta_type      TEXT NOT NULL,
    allocated      INTEGER NOT NULL,          -- 1 allocated name, 0 deleted/orphan
    realloc        INTEGER NOT NULL DEFAULT 0,-- deleted name whose metadata is in use again
    virtual        INTEGER NOT NULL DEFAULT 0,-- TSK virtual entry ($OrphanFiles, $MBR, $FAT1, ...)
    size           INTEGER,
    mode           INTEGER,
    uid            INTEGER,
    gid            INTEGER,
    mtime          INTEGER,
    atime          INTEGER,
    ctime          INTEGER,
    crtime         INTEGER,
    -- shared: a shadow-copy file whose bytes are those of the file at the same path in the
    -- volume the snapshot is of (hashes, properties and marks copied from it, not read again)
    content        TEXT NOT NULL DEFAULT 'none'
                   CHECK (content IN ('read', 'partial', 'unreadable', 'none', 'shared')),
    origin         TEXT NOT NULL DEFAULT 'fs' CHECK (origin IN ('fs', 'extracted', 'carved')),
    known_good     INTEGER NOT NULL DEFAULT 0,-- in a known-good hash set (NSRL ...): heavy detectors may skip it
    sensitive      INTEGER NOT NULL DEFAULT 0,-- matched as abuse material: content never leaves the index
    parent_id      INTEGER REFERENCES files(file_id),  -- the object a detector derived this one from
    detector       TEXT,                      -- the detector that emitted it (extracted, carved)
    parent_offset  INTEGER,                   -- where it starts in the parent, when known
    UNIQUE (fs_id, path, meta_addr, attr_type, attr_id)
);
CREATE INDEX IF NOT EXISTS files_evidence ON files(evidence_id);

CREATE TABLE IF NOT EXISTS hashes (
    file_id    INTEGER NOT NULL REFERENCES files(file_id),
    algorithm  TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (file_id, algorithm)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hashes_value ON hashes(value);

-- What detectors say about an object beyond hashes: its type by content ("mime",
-- "description"), entropy, ... (set_property in the detector ABI).
CREATE TABLE IF NOT EXISTS properties (
    file_id    INTEGER NOT NULL REFERENCES files(file_id),
    detector   TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (file_id, key, detector)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS findings (
    finding_id        INTEGER PRIMARY KEY,
    file_id           INTEGER REFERENCES files(file_id),
    evidence_id       INTEGER NOT NULL REFERENCES evidence(evidence_id),
    detector          TEXT NOT NULL,
    detector_version  TEXT NOT NULL,
    kind              TEXT NOT NULL,
    rule              TEXT,
    category          TEXT,
    severity          INTEGER,
    offset            INTEGER,                -- object offset; for unallocated ranges (file_id NULL) image offset,
                                              -- or the offset in the container volume named by volume
    length            INTEGER,
    detail            TEXT,
    volume            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);

-- Byte ranges the carver reads: file-system unallocated blocks, unpartitioned disk space, and
-- partitions (or whole images) in which no file system could be read; and, for the keyword and
-- identifier detectors only, file slack (with seam margins) and file-system metadata blocks.
CREATE TABLE IF NOT EXISTS unalloc_ranges (
    range_id      INTEGER PRIMARY KEY,
    evidence_id   INTEGER NOT NULL REFERENCES evidence(evidence_id),
    fs_id         INTEGER REFERENCES filesystems(fs_id),
    kind          TEXT NOT NULL CHECK (kind IN ('fs_unallocated', 'unpartitioned', 'no_filesystem', 'file_slack', 'fs_metadata')),
    volume        TEXT NOT NULL DEFAULT '',   -- container volume the range lies in ('' the image)
    start_offset  INTEGER NOT NULL,           -- bytes from the start of the image (of the volume)
    length        INTEGER NOT NULL,
    scanned       INTEGER NOT NULL DEFAULT 0, -- 1 once the unallocated-space detectors ran over it
    UNIQUE (evidence_id, volume, kind, start_offset)
);

CREATE TABLE IF NOT EXISTS errors (
    error_id     INTEGER PRIMARY KEY,
    evidence_id  INTEGER REFERENCES evidence(evidence_id),
    location     TEXT NOT NULL,
    detector     TEXT,
    file_id      INTEGER,
    message      TEXT NOT NULL,
    time         TEXT NOT NULL,
    UNIQUE (evidence_id, location, message)
);

-- Detectors that ran over an evidence item, with their versions and origin.
CREATE TABLE IF NOT EXISTS detector_runs (
    evidence_id  INTEGER NOT NULL REFERENCES evidence(evidence_id),
    detector     TEXT NOT NULL,
    version      TEXT NOT NULL,
    origin       TEXT NOT NULL,
    PRIMARY KEY (evidence_id, detector)
);

-- Append-only, hash-chained audit log: hash = SHA-256(prev_hash | seq | time | action | detail).
CREATE TABLE IF NOT EXISTS audit (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- ---- stable views -------------------------------------------------------------------
CREATE VIEW IF NOT EXISTS v_evidence AS
SELECT evidence_id, path, format, size, stored_md5, stored_sha1,
       computed_md5, computed_sha1, computed_sha256, verification
FROM evidence;

CREATE VIEW IF NOT EXISTS v_files AS
SELECT f.file_id, f.evidence_id, fs.offset AS partition_offset, fs.fs_type, f.path, f.name,
       f.meta_addr, f.allocated, f.meta_type,
       (SELECT value FROM properties p WHERE p.file_id = f.file_id AND p.key = 'mime' LIMIT 1) AS type,
       f.size,
       (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'md5') AS md5,
       (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha1') AS sha1,
       (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256') AS sha256,
       strftime('%Y-%m-%dT%H:%M:%SZ', f.mtime, 'unixepoch') AS mtime,
       strftime('%Y-%m-%dT%H:%M:%SZ', f.atime, 'unixepoch') AS atime,
       strftime('%Y-%m-%dT%H:%M:%SZ', f.ctime, 'unixepoch') AS ctime,
       strftime('%Y-%m-%dT%H:%M:%SZ', f.crtime, 'unixepoch') AS crtime,
       f.known_good, f.sensitive, NULLIF(fs.volume, '') AS volume, f.origin
FROM files f JOIN filesystems fs ON fs.fs_id = f.fs_id;

-- Items carved out of unallocated space (docs/carving.md): where they start in the image, how
-- long they are, their format and whether they were cut short.
CREATE VIEW IF NOT EXISTS v_carved AS
SELECT f.file_id, f.evidence_id, f.path, f.parent_offset AS image_offset, f.size AS length,
       json_extract(fi.detail, '$.format') AS format, json_extract(fi.detail, '$.type') AS type,
       json_extract(fi.detail, '$.truncated') AS truncated,
       (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256') AS sha256
FROM files f LEFT JOIN findings fi ON fi.file_id = f.file_id AND fi.kind = 'carved'
WHERE f.origin = 'carved';

CREATE VIEW IF NOT EXISTS v_errors AS
SELECT evidence_id, location, message FROM errors;

CREATE VIEW IF NOT EXISTS v_findings AS
SELECT finding_id, file_id, evidence_id, detector, detector_version, kind, rule, category,
       severity, offset, length, detail
FROM findings;

-- Per-case histogram of identifiers (the identifiers detector): each value, how many hits,
-- in how many files (unallocated-space hits count as hits, not files).
CREATE VIEW IF NOT EXISTS v_identifiers AS
SELECT rule AS type, json_extract(detail, '$.value') AS value, COUNT(*) AS hits,
       COUNT(DISTINCT file_id) AS files
FROM findings WHERE kind = 'identifier'
GROUP BY rule, json_extract(detail, '$.value');
