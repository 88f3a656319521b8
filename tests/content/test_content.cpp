// Content intelligence (issue 9): type by content, archives and embedded objects, EXIF/GPS,
// encryption. Oracles: the DFTT #8 answer key, Debian's file, unzip, tar, bsdtar, exiftool,
// cryptsetup, qpdf and file(1); every sample is built at test time.
#include "support/harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string sh(const std::string& cmd) {
    auto r = th::run(cmd);
    INFO("command: " << cmd << "\nstderr: " << r.err);
    REQUIRE(r.rc == 0);
    return r.out;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// An ext2 image holding TREE (mke2fs -d). ext2, not ext4: The Sleuth Kit 4.11 cannot read some
// files mke2fs -d writes into ext4 extents when they hold runs of zero blocks (sparse), e.g. a ZIP
// of stored ZIPs of zeros ("fs_attr_add_run: ... No filler entry"); these tests are about content.
std::string fs_image(const th::TempDir& t, const std::string& tree, const std::string& size = "64M") {
    std::string img = t / "disk.img";
    sh("mke2fs -q -t ext2 -d " + th::q(tree) + " -F " + th::q(img) + " " + size);
    return img;
}

// md5 of every regular file under DIR, keyed by the path relative to DIR.
std::map<std::string, std::string> md5_tree(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || e.is_symlink()) continue;
        auto line = sh("md5sum " + th::q(e.path().string()));
        out[fs::relative(e.path(), dir).string()] = line.substr(0, 32);
    }
    return out;
}

// Children of PARENT in the index: member path (after "PARENT>") -> md5, one level only.
std::map<std::string, std::string> indexed_members(const std::string& c, const std::string& parent) {
    std::map<std::string, std::string> out;
    auto r = th::run("sqlite3 -separator '|' " + th::q(c + "/index.db") +
                     " \"SELECT path, md5 FROM v_files WHERE path LIKE '" + parent + ">%'\"");
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        auto bar = line.rfind('|');
        std::string rel = line.substr(parent.size() + 1, bar - parent.size() - 1);
        if (rel.find('>') != std::string::npos) continue;
        out[rel] = line.substr(bar + 1);
    }
    return out;
}

std::string show(const std::map<std::string, std::string>& m) {
    std::string s;
    for (const auto& [k, v] : m) s += k + " " + v + "\n";
    return s;
}

int64_t count(const std::string& c, const std::string& where) {
    return th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE " + where);
}

}  // namespace

TEST_CASE("content: DFTT 8-jpeg-search, every JPEG of the answer key is found by its type", "[content]") {
    const std::string img = th::testdata("dftt/8-jpeg-search/8-jpeg-search.dd");
    th::TempDir t;
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);
    INFO(th::sql1(c, "SELECT group_concat(location || ': ' || message, char(10)) FROM v_errors"));

    // The answer key (index.html): the JPEGs and where they are, with the key's MD5s. Paths of
    // members are the container's path, '>', the member's name in the archive.
    struct Key {
        const char* path;
        const char* md5;
    };
    const Key jpegs[] = {
        {"/alloc/file1.jpg", "75b8d00568815a36c3809b46fc84ba6d"},            // JPEG extension
        {"/alloc/file2.dat", "de5d83153339931371719f4e5c924eba"},            // renamed
        {"/del1/file6.jpg", "afd55222024a4e22f7f5a3a665320763"},             // deleted
        {"/del2/file7.hmm", "0c452c5800fcfa7c66027ae89c4f068a"},             // deleted, renamed
        {"/archive/file8.zip>file8.jpg", "f9956284a89156ef6967b49eced9d1b1"},  // in a ZIP
        {"/archive/file9.boo>file9.jpg", "c5a6917669c77d20f30ecb39d389eb7d"},  // in a renamed ZIP
        {"/archive/file10.tar.gz>file10.jpg", "c476a66ccdc2796b4f6f8e27273dd788"},  // in a tar.gz
        {"/misc/file13.dll:here", "9b787e63e3b64562730c5aecaab1e1f8"},       // in an NTFS ADS
    };
    for (const auto& k : jpegs) {
        INFO(k.path);
        CHECK(th::sql1(c, std::string("SELECT type FROM v_files WHERE path='") + k.path + "' AND md5='" + k.md5 + "'") ==
              "image/jpeg");
    }
    CHECK(th::sql1(c, "SELECT allocated FROM v_files WHERE path='/del1/file6.jpg'") == "0");
    // The containers, also with the key's MD5s, typed by content whatever their extension.
    CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/archive/file9.boo' AND md5='73c3029066aee9416a5aeb98a5c55321'") ==
          "application/zip");
    CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/archive/file10.tar.gz' AND "
                      "md5='d4f8cf643141f0c2911c539750e18ef2'") == "application/gzip");

    // file11.dat: "1572 bytes of random data and then a JPEG picture": the picture is carved at
    // that offset, and its MD5 is that of the file's bytes from 1572 on (icat + tail as oracle).
    const auto addr = th::sql1(c, "SELECT meta_addr FROM v_files WHERE path='/misc/file11.dat'");
    CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE path='/misc/file11.dat'") == "f407ab92da959c7ab03292cfe596a99d");
    const auto tail_md5 = sh("icat " + th::q(img) + " " + addr + " | tail -c +1573 | md5sum").substr(0, 32);
    CHECK(th::sql1(c, "SELECT type || ' ' || md5 FROM v_files WHERE path='/misc/file11.dat>jpeg@0x624.jpg'") ==
          "image/jpeg " + tail_md5);
    // file12.doc: the Word document's picture is found inside it, and it is a whole JPEG: Pillow
    // decodes it completely (the carved bytes are compared with what icat gives at that offset).
    CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE path='/misc/file12.doc'") == "61c0b55639e52d1ce82aba834ada2bab");
    const auto doc_child = th::sql1(c, "SELECT path FROM v_files WHERE path LIKE '/misc/file12.doc>jpeg@%' AND type='image/jpeg'");
    REQUIRE(!doc_child.empty());
    const auto off = std::stoull(doc_child.substr(doc_child.find("@0x") + 3), nullptr, 16);
    const auto size = th::sql1(c, "SELECT size FROM v_files WHERE path='" + doc_child + "'");
    const auto doc_addr = th::sql1(c, "SELECT meta_addr FROM v_files WHERE path='/misc/file12.doc'");
    const std::string carved = t / "carved.jpg";
    sh("icat " + th::q(img) + " " + doc_addr + " > " + th::q(t / "doc.bin") + " && dd if=" + th::q(t / "doc.bin") +
       " of=" + th::q(carved) + " bs=65536 iflag=skip_bytes,count_bytes status=none skip=" + std::to_string(off) +
       " count=" + size);
    CHECK(sh("md5sum " + th::q(carved)).substr(0, 32) == th::sql1(c, "SELECT md5 FROM v_files WHERE path='" + doc_child + "'"));
    CHECK(trim(sh("/usr/bin/python3 -c 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); "
                  "print(im.format)' " + th::q(carved))) == "JPEG");

    // The decoys are not JPEGs by content: file3.jpg (random bytes) contradicts its extension.
    CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/invalid/file3.jpg'") != "image/jpeg");
    CHECK(count(c, "v.path='/invalid/file3.jpg' AND f.kind='type_mismatch'") == 1);
    CHECK(count(c, "v.path='/alloc/file1.jpg' AND f.kind='type_mismatch'") == 0);
}

TEST_CASE("content: type by content equals file(1); extensions that contradict it are findings", "[content]") {
    th::TempDir t;
    const std::string tree = t / "tree";
    fs::create_directories(tree);
    sh("cd " + th::q(tree) + " && /usr/bin/python3 -c 'from PIL import Image; Image.new(\"RGB\", (32, 24), (200, 30, 40)).save(\"photo.jpg\")'");
    fs::copy_file(tree + "/photo.jpg", tree + "/photo.dll");   // a JPEG named .dll
    fs::copy_file(tree + "/photo.jpg", tree + "/photo.dat");   // .dat: no claim, no finding
    std::ofstream(tree + "/notes.txt") << "plain text notes\n";
    std::ofstream(tree + "/table.csv") << "a,b,c\n1,2,3\n";
    sh("cd " + th::q(tree) + " && zip -q packed.txt notes.txt");   // a ZIP named .txt
    // OOXML is a ZIP: a minimal Word document made with Python's zipfile is no mismatch.
    sh("cd " + th::q(tree) + " && /usr/bin/python3 -c '\nimport zipfile\nz = zipfile.ZipFile(\"letter.docx\", \"w\")\n"
       "z.writestr(\"[Content_Types].xml\", \"<?xml version=\\\"1.0\\\"?><Types xmlns=\\\"http://schemas.openxmlformats.org/package/2006/content-types\\\"><Override PartName=\\\"/word/document.xml\\\" ContentType=\\\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\\\"/></Types>\")\n"
       "z.writestr(\"word/document.xml\", \"<w:document/>\")\nz.close()'");
    sh("cd " + th::q(tree) + " && zip -q app.jar notes.txt");   // a JAR is a ZIP
    const std::string img = fs_image(t, tree, "16M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);

    for (const char* n : {"photo.jpg", "photo.dll", "photo.dat", "notes.txt", "table.csv", "packed.txt", "letter.docx", "app.jar"}) {
        INFO(n);
        CHECK(th::sql1(c, std::string("SELECT type FROM v_files WHERE path='/") + n + "'") ==
              trim(sh("file -b --mime-type " + th::q(tree + "/" + n))));
        CHECK(th::sql1(c, std::string("SELECT value FROM properties p JOIN v_files v ON v.file_id=p.file_id WHERE v.path='/") + n +
                              "' AND p.key='description'") == trim(sh("file -b " + th::q(tree + "/" + n))));
    }
    CHECK(count(c, "v.path='/photo.dll' AND f.kind='type_mismatch' AND f.rule='image/jpeg'") == 1);
    CHECK(count(c, "v.path='/packed.txt' AND f.kind='type_mismatch' AND f.rule='application/zip'") == 1);
    const auto detail = nlohmann::json::parse(th::sql1(c, "SELECT detail FROM v_findings f JOIN v_files v ON "
                                                          "v.file_id=f.file_id WHERE v.path='/photo.dll' AND f.kind='type_mismatch'"));
    CHECK(detail.at("extension") == "dll");
    CHECK(detail.at("mime") == "image/jpeg");
    for (const char* n : {"photo.jpg", "photo.dat", "notes.txt", "table.csv", "letter.docx", "app.jar"}) {
        INFO(n);
        CHECK(count(c, std::string("v.path='/") + n + "' AND f.kind='type_mismatch'") == 0);
    }
}

TEST_CASE("content: '--preset hashes' names text by its encoding; binary types are file(1)'s", "[content]") {
    // filetype.text_types=false (the hashes preset): libmagic without its text tests. Oracle:
    // file(1) with the same tests excluded ('-e text') and its --mime-encoding; binary formats
    // must equal plain 'file --mime-type'.
    th::TempDir t;
    const std::string tree = t / "tree";
    fs::create_directories(tree);
    sh("cd " + th::q(tree) + " && /usr/bin/python3 -c 'from PIL import Image; Image.new(\"RGB\", (32, 24), (9, 80, 40)).save(\"photo.jpg\")'");
    fs::copy_file(tree + "/photo.jpg", tree + "/photo.dll");
    std::ofstream(tree + "/page.html") << "<!DOCTYPE html>\n<html><head><title>t</title></head><body>Привіт</body></html>\n";
    std::ofstream(tree + "/letter.rtf") << "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello}\n";
    std::ofstream(tree + "/mail.eml") << "From: a@example.org\nTo: b@example.org\nSubject: x\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nbody\n";
    std::ofstream(tree + "/notes.jpg") << "these are notes, not a picture\n";   // text named .jpg
    std::ofstream(tree + "/blob.bin") << std::string("\x01\x02\xff\xfe\x00\x80", 6);
    sh("cd " + th::q(tree) + " && zip -q packed.txt page.html");
    const std::string img = fs_image(t, tree, "16M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c, "--preset hashes") == 0);

    for (const char* n : {"photo.jpg", "photo.dll", "page.html", "letter.rtf", "mail.eml", "notes.jpg", "blob.bin", "packed.txt"}) {
        INFO(n);
        const std::string f = th::q(tree + "/" + n);
        const std::string full = trim(sh("file -b --mime-type " + f));
        const std::string no_text = trim(sh("file -b --mime-type -e text " + f));
        const std::string charset = trim(sh("file -b --mime-encoding " + f));
        const bool texty = no_text == "application/octet-stream" && charset != "binary" && charset != "unknown-8bit";
        const std::string expected = texty ? "text/plain" : full;
        CHECK(th::sql1(c, std::string("SELECT type FROM v_files WHERE path='/") + n + "'") == expected);
        if (!texty) CHECK(no_text == full);   // the binary tests alone name binary formats alike
    }
    // Each text file was named by libmagic's text tests in the full preset, not here.
    CHECK(trim(sh("file -b --mime-type " + th::q(tree + "/page.html"))) == "text/html");
    CHECK(count(c, "f.kind='type_mismatch' AND v.path='/photo.dll'") == 1);
    CHECK(count(c, "f.kind='type_mismatch' AND v.path='/notes.jpg' AND f.rule='text/plain'") == 1);
    CHECK(count(c, "f.kind='type_mismatch' AND v.path='/packed.txt' AND f.rule='application/zip'") == 1);
    for (const char* n : {"photo.jpg", "page.html", "letter.rtf", "mail.eml", "blob.bin"}) {
        INFO(n);
        CHECK(count(c, std::string("v.path='/") + n + "' AND f.kind='type_mismatch'") == 0);
    }
    CHECK(th::sql1(c, "SELECT count(*) FROM properties WHERE key='description'") == "0");
}

TEST_CASE("content: a MAGIC variable or local magic is honoured as libmagic itself does", "[content]") {
    // Every libmagic handle shares one copy of the compiled database unless the examiner's
    // setup asks for more (MAGIC, local magic in /etc/magic): then each handle loads as file(1)
    // does. Oracle: file(1) with the same MAGIC.
    th::TempDir t;
    const std::string tree = t / "tree";
    fs::create_directories(tree);
    std::ofstream(tree + "/sample.lab") << "TRIAGE-LAB-FORMAT v1\nrecord\n";
    std::ofstream(tree + "/notes.txt") << "plain text notes\n";
    const std::string magic = t / "lab.magic";
    std::ofstream(magic) << "0\tstring\tTRIAGE-LAB-FORMAT\tTriage lab test format\n!:mime\tapplication/x-triage-lab\n";
    const std::string img = fs_image(t, tree, "16M");
    const std::string c = t / "case";
    const auto r = th::run("MAGIC=" + th::q(magic) + " " + th::q(th::triage_bin()) + " scan " + th::q(img) + " --case " +
                           th::q(c) + " --quiet");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const std::string want = trim(sh("MAGIC=" + th::q(magic) + " file -b --mime-type " + th::q(tree + "/sample.lab")));
    REQUIRE(want == "application/x-triage-lab");
    CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/sample.lab'") == want);
    CHECK(th::sql1(c, "SELECT value FROM properties p JOIN v_files v ON v.file_id=p.file_id WHERE v.path='/sample.lab' "
                      "AND p.key='description'") == "Triage lab test format");
    // Without MAGIC the shared system database names it as plain file(1) does.
    const std::string c2 = t / "case2";
    REQUIRE(th::scan({img}, c2) == 0);
    CHECK(th::sql1(c2, "SELECT type FROM v_files WHERE path='/sample.lab'") ==
          trim(sh("file -b --mime-type " + th::q(tree + "/sample.lab"))));
    CHECK(th::sql1(c2, "SELECT type FROM v_files WHERE path='/notes.txt'") == "text/plain");
}

TEST_CASE("content: archive members equal what unzip, tar and bsdtar extract", "[content]") {
    th::TempDir t;
    const std::string src = t / "src", tree = t / "tree";
    fs::create_directories(src + "/sub/deeper");
    fs::create_directories(tree);
    sh("head -c 300000 /dev/urandom > " + th::q(src + "/random.bin"));
    sh("seq 1 20000 > " + th::q(src + "/sub/numbers.txt"));
    sh("cd " + th::q(src) + " && /usr/bin/python3 -c 'from PIL import Image; Image.new(\"RGB\", (64, 48), (10, 120, 30)).save(\"sub/deeper/pic.jpg\")'");
    std::ofstream(src + "/empty.txt").close();
    std::ofstream(src + "/name with spaces & <chars>.txt") << "odd name\n";
    const std::string a = tree + "/a";
    fs::create_directories(a);
    sh("cd " + th::q(src) + " && zip -q -r " + th::q(a + "/x.zip") + " .");
    sh("tar -C " + th::q(src) + " -czf " + th::q(a + "/x.tar.gz") + " .");
    sh("tar -C " + th::q(src) + " -cjf " + th::q(a + "/x.tar.bz2") + " .");
    sh("tar -C " + th::q(src) + " -cJf " + th::q(a + "/x.tar.xz") + " .");
    sh("bsdtar -C " + th::q(src) + " --format 7zip -cf " + th::q(a + "/x.7z") + " .");
    sh("bsdtar -C " + th::q(src) + " --format iso9660 -cf " + th::q(a + "/x.iso") + " .");
    sh("bsdtar -C " + th::q(src) + " --format cpio -cf " + th::q(a + "/x.cpio") + " .");
    sh("cd " + th::q(src) + "/sub && gcab -c " + th::q(a + "/x.cab") + " numbers.txt");
    sh("gzip -c " + th::q(src + "/sub/numbers.txt") + " > " + th::q(a + "/numbers.txt.gz"));
    const std::string img = fs_image(t, tree, "32M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);
    INFO(th::sql1(c, "SELECT group_concat(location || ': ' || message, char(10)) FROM v_errors"));

    struct Oracle {
        const char* archive;
        const char* extract;   // shell command, ARCHIVE and DIR substituted
    };
    const Oracle oracles[] = {
        {"x.zip", "unzip -q ARCHIVE -d DIR"},
        {"x.tar.gz", "tar -xzf ARCHIVE -C DIR"},
        {"x.tar.bz2", "tar -xjf ARCHIVE -C DIR"},
        {"x.tar.xz", "tar -xJf ARCHIVE -C DIR"},
        {"x.7z", "bsdtar -xf ARCHIVE -C DIR"},
        {"x.iso", "bsdtar -xf ARCHIVE -C DIR"},
        {"x.cpio", "bsdtar -xf ARCHIVE -C DIR"},
        {"x.cab", "gcab -x -C DIR ARCHIVE"},
    };
    for (const auto& o : oracles) {
        INFO(o.archive);
        const std::string dir = t / (std::string("out-") + o.archive);
        fs::create_directories(dir);
        std::string cmd = o.extract;
        cmd.replace(cmd.find("ARCHIVE"), 7, th::q(a + "/" + o.archive));
        cmd.replace(cmd.find("DIR"), 3, th::q(dir));
        sh(cmd);
        // The index path cannot hold '>' (the container separator): members name it '_'.
        std::map<std::string, std::string> expected;
        for (const auto& [member, md5] : md5_tree(dir)) {
            std::string name = member;
            std::replace(name.begin(), name.end(), '>', '_');
            expected[name] = md5;
        }
        REQUIRE(expected.size() >= 1);
        auto got = indexed_members(c, std::string("/a/") + o.archive);
        // tar and cpio name members "./sub/numbers.txt"; the index path drops the "." element.
        INFO("index:\n" << show(got) << "oracle:\n" << show(expected));
        CHECK(got == expected);
        CHECK(count(c, std::string("v.path='/a/") + o.archive + "' AND f.detector='archive'") == 0);
    }
    // A gzip file that holds no archive: one member, named after the file.
    CHECK(indexed_members(c, "/a/numbers.txt.gz") ==
          std::map<std::string, std::string>{{"numbers.txt", sh("md5sum " + th::q(src + "/sub/numbers.txt")).substr(0, 32)}});
    // Members go through the whole pipeline: typed, and the JPEG inside the ZIP is a JPEG.
    CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/a/x.zip>sub/deeper/pic.jpg'") == "image/jpeg");
    CHECK(th::sql1(c, "SELECT count(*) FROM v_files WHERE path='/a/x.zip>sub/deeper/pic.jpg' AND sha256 IS NOT NULL") == "1");
}

TEST_CASE("content: zip bombs and deep nesting stay within the limits, which are recorded", "[content]") {
    th::TempDir t;
    const std::string tree = t / "tree", work = t / "work";
    fs::create_directories(tree);
    fs::create_directories(work);
    // A single member of 150 MiB of zeros, about 150 KB compressed (ratio ~1000).
    sh("cd " + th::q(work) + " && head -c 150M /dev/zero > zeros && zip -q -9 " + th::q(tree + "/single.zip") + " zeros && rm zeros");
    // Nested: 10 x 10 archives each holding 50 MiB of zeros (5 GiB expanded in all).
    sh("cd " + th::q(work) + " && head -c 50M /dev/zero > z && zip -q -9 l0.zip z && rm z && "
       "for i in 0 1 2 3 4 5 6 7 8 9; do cp l0.zip l0-$i.zip; done && zip -q -0 l1.zip l0-*.zip && rm l0*.zip && "
       "for i in 0 1 2 3 4 5 6 7 8 9; do cp l1.zip l1-$i.zip; done && zip -q -0 " + th::q(tree + "/nested.zip") +
       " l1-*.zip && rm l1*.zip");
    // 20 levels of ZIP inside ZIP around one text file.
    sh("cd " + th::q(work) + " && echo innermost > f.txt && zip -q n1.zip f.txt && "
       "for i in $(seq 2 20); do zip -q n$i.zip n$((i-1)).zip; done && cp n20.zip " + th::q(tree + "/deep.zip"));
    const std::string img = fs_image(t, tree, "16M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);

    // The single member is not expanded past the ratio limit (100 by default) and not emitted.
    CHECK(count(c, "v.path='/single.zip' AND f.kind='archive_limit' AND f.rule='ratio'") == 1);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE path LIKE '/single.zip>%'") == 0);
    // Nested: every innermost member hits the ratio limit, and no member larger than the
    // per-archive limit (192 MiB) exists anywhere.
    CHECK(count(c, "v.path LIKE '/nested.zip>%' AND f.kind='archive_limit' AND f.rule IN ('ratio','tree_size')") >= 1);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE path LIKE '/nested.zip>%>%>z'") == 0);
    CHECK(th::sql_int(c, "SELECT coalesce(max(size),0) FROM v_files WHERE path LIKE '/nested.zip>%'") < (192ll << 20));
    // Deep nesting: archives inside 6 containers are not opened (max_depth 6); the limit is a finding.
    CHECK(count(c, "v.path LIKE '/deep.zip>%' AND f.kind='archive_limit' AND f.rule='depth'") == 1);
    CHECK(th::sql_int(c, "SELECT max(length(path) - length(replace(path, '>', ''))) FROM v_files WHERE path LIKE '/deep.zip%'") == 6);
    CHECK(th::sql1(c, "SELECT path FROM v_files WHERE path LIKE '%>f.txt'").empty());

    // With a larger depth the engine's own nesting cap (8 levels) is what stops, also recorded;
    // with a 1 MiB archive cap the 5 MB nested.zip is not opened, and that is a finding too.
    const std::string c2 = t / "case2";
    REQUIRE(th::scan({img}, c2, "--option archive.max_depth=30 --option archive.max_archive_mib=1 --disable exif") == 0);
    CHECK(count(c2, "v.path='/nested.zip' AND f.kind='archive_limit' AND f.rule='archive_size'") == 1);
    CHECK(th::sql_int(c2, "SELECT count(*) FROM v_files WHERE path LIKE '/nested.zip>%'") == 0);
    CHECK(th::sql_int(c2, "SELECT max(length(path) - length(replace(path, '>', ''))) FROM v_files WHERE path LIKE '/deep.zip%'") == 9);
    CHECK(th::sql_int(c2, "SELECT count(*) FROM v_errors WHERE message LIKE '%levels of nested objects%'") >= 1);
}

TEST_CASE("content: EXIF and GPS equal what exiftool reports; export-geo writes them", "[content]") {
    th::TempDir t;
    const std::string tree = t / "tree";
    fs::create_directories(tree);
    sh("cd " + th::q(tree) + " && /usr/bin/python3 -c '\nfrom PIL import Image\n"
       "Image.new(\"RGB\", (40, 30), (1, 2, 3)).save(\"paris.jpg\")\n"
       "Image.new(\"RGB\", (40, 30), (9, 8, 7)).save(\"a & <b>.jpg\")\n"
       "Image.new(\"RGB\", (40, 30), (5, 5, 5)).save(\"scan.tif\")\n"
       "Image.new(\"RGB\", (40, 30), (7, 7, 7)).save(\"nogps.jpg\")'");
    sh("exiftool -q -overwrite_original -Make=Canon '-Model=Canon EOS 5D' '-DateTimeOriginal=2024:05:01 10:20:30' "
       "-GPSLatitude=48.8583701 -GPSLatitudeRef=N -GPSLongitude=2.2944813 -GPSLongitudeRef=E -GPSAltitude=35.25 "
       "'-GPSAltitudeRef=Above Sea Level' " + th::q(tree + "/paris.jpg"));
    sh("exiftool -q -overwrite_original -Make=Apple '-Model=iPhone 12' '-DateTimeOriginal=2023:12:24 23:59:01' "
       "-GPSLatitude=33.8688 -GPSLatitudeRef=S -GPSLongitude=70.1234567 -GPSLongitudeRef=W -GPSAltitude=12.5 "
       "'-GPSAltitudeRef=Below Sea Level' " + th::q(tree + "/a & <b>.jpg"));
    sh("exiftool -q -overwrite_original -Make=Nikon -Model=D850 -GPSLatitude=50.4501 -GPSLatitudeRef=N "
       "-GPSLongitude=30.5234 -GPSLongitudeRef=E " + th::q(tree + "/scan.tif"));
    sh("exiftool -q -overwrite_original -Make=Sony -Model=A7 " + th::q(tree + "/nogps.jpg"));
    // HEIC (libheif's heif-enc from a Pillow JPEG made outside the tree), tags written by exiftool.
    sh("cd " + th::q(t.path) + " && /usr/bin/python3 -c 'from PIL import Image; Image.new(\"RGB\", (64, 64), (50, 60, 70)).save(\"src.jpg\")' && "
       "heif-enc src.jpg -o " + th::q(tree + "/phone.heic") + " > /dev/null");
    sh("exiftool -q -overwrite_original -Make=Apple '-Model=iPhone 13' '-DateTimeOriginal=2022:08:24 12:00:00' "
       "-GPSLatitude=47.0105 -GPSLatitudeRef=N -GPSLongitude=28.8638 -GPSLongitudeRef=E " + th::q(tree + "/phone.heic"));
    const std::string img = fs_image(t, tree, "16M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);

    auto oracle = nlohmann::json::parse(sh("cd " + th::q(tree) + " && exiftool -j -n -Make -Model -DateTimeOriginal "
                                           "-Composite:GPSLatitude -Composite:GPSLongitude -Composite:GPSAltitude *.jpg *.tif *.heic"));
    REQUIRE(oracle.size() == 5);
    for (const auto& o : oracle) {
        const std::string name = o.at("SourceFile");
        INFO(name);
        auto finding = [&](const char* rule) {
            const auto d = th::sql1(c, "SELECT f.detail FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                                       "f.kind='exif' AND f.rule='" + std::string(rule) + "' AND v.path='/" + name + "'");
            return d.empty() ? nlohmann::json() : nlohmann::json::parse(d);
        };
        const auto cam = finding("camera");
        REQUIRE(cam.is_object());
        CHECK(cam.at("make") == o.at("Make"));
        CHECK(cam.at("model") == o.at("Model"));
        if (o.contains("DateTimeOriginal"))
            CHECK(finding("datetime_original").at("value") == o.at("DateTimeOriginal"));
        else
            CHECK(finding("datetime_original").is_null());
        const auto gps = finding("gps");
        if (!o.contains("GPSLatitude")) {
            CHECK(gps.is_null());
            continue;
        }
        REQUIRE(gps.is_object());
        CHECK(gps.at("latitude").get<double>() == Approx(o.at("GPSLatitude").get<double>()).margin(1e-7));
        CHECK(gps.at("longitude").get<double>() == Approx(o.at("GPSLongitude").get<double>()).margin(1e-7));
        if (o.contains("GPSAltitude"))
            CHECK(gps.at("altitude").get<double>() == Approx(o.at("GPSAltitude").get<double>()).margin(1e-3));
    }

    // GeoJSON: one point per GPS image, with path and the index's hashes.
    const std::string gj = t / "points.geojson";
    sh(th::q(th::triage_bin()) + " export-geo " + th::q(c) + " --format geojson -o " + th::q(gj));
    std::ifstream gin(gj);
    const auto geo = nlohmann::json::parse(gin);
    REQUIRE(geo.at("features").size() == 4);
    std::set<std::string> paths;
    for (const auto& f : geo.at("features")) {
        const std::string path = f.at("properties").at("path");
        paths.insert(path);
        CHECK(f.at("properties").at("sha256") == th::sql1(c, "SELECT sha256 FROM v_files WHERE path='" + path + "'"));
        CHECK(f.at("properties").at("md5") ==
              trim(sh("md5sum " + th::q(tree + path)).substr(0, 32)));
        const double lon = f.at("geometry").at("coordinates").at(0), lat = f.at("geometry").at("coordinates").at(1);
        const auto lat_ref = std::stod(sh("exiftool -s3 -n -Composite:GPSLatitude " + th::q(tree + path)));
        const auto lon_ref = std::stod(sh("exiftool -s3 -n -Composite:GPSLongitude " + th::q(tree + path)));
        CHECK(lat == Approx(lat_ref).margin(1e-7));
        CHECK(lon == Approx(lon_ref).margin(1e-7));
    }
    CHECK(paths == std::set<std::string>{"/paris.jpg", "/a & <b>.jpg", "/scan.tif", "/phone.heic"});
    // An existing output file is not overwritten.
    CHECK(th::run(th::q(th::triage_bin()) + " export-geo " + th::q(c) + " --format geojson -o " + th::q(gj)).rc == 2);

    // KML: well-formed (Python's XML parser reads it) and the odd name comes back intact.
    const std::string kml = t / "points.kml";
    sh(th::q(th::triage_bin()) + " export-geo " + th::q(c) + " --format kml -o " + th::q(kml));
    const auto names = sh("/usr/bin/python3 -c '\nimport sys, xml.etree.ElementTree as ET\nns = {\"k\": \"http://www.opengis.net/kml/2.2\"}\n"
                          "r = ET.parse(sys.argv[1]).getroot()\nfor p in r.iterfind(\".//k:Placemark\", ns):\n"
                          "    print(p.find(\"k:name\", ns).text + \"|\" + p.find(\".//k:coordinates\", ns).text)' " + th::q(kml));
    INFO(names);
    CHECK(names.find("/a & <b>.jpg|-70.1234567,-33.8688,-12.5\n") != std::string::npos);
    CHECK(names.find("/paris.jpg|2.2944813,48.8583701,35.25\n") != std::string::npos);
}

TEST_CASE("content: entropy and encrypted containers and documents", "[content]") {
    th::TempDir t;
    const std::string tree = t / "tree";
    fs::create_directories(tree);
    sh("head -c 1048576 /dev/urandom > " + th::q(tree + "/random.bin"));          // 512-multiple: VeraCrypt candidate
    sh("head -c 1048577 /dev/urandom > " + th::q(tree + "/random-odd.bin"));      // high entropy only
    sh("seq 1 50000 > " + th::q(tree + "/text.txt"));
    // LUKS1 and LUKS2 headers written by cryptsetup into plain files (no device, no mount).
    sh("head -c 64 /dev/urandom > " + th::q(t / "key"));
    for (const char* v : {"luks1", "luks2"}) {
        const std::string f = tree + "/" + v + ".img";
        sh("truncate -s 20M " + th::q(f) + " && cryptsetup luksFormat --batch-mode --type " + v +
           " --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file " + th::q(t / "key") + " " + th::q(f));
    }
    // A ZIP with an encrypted member (zip -P), an encrypted PDF (qpdf), the container of an
    // encrypted OOXML file (a compound file with EncryptionInfo and EncryptedPackage streams, which
    // file(1) recognises), and a BitLocker boot sector signature made by hand.
    std::ofstream(t / "secret.txt") << "the plans\n";
    sh("cd " + th::q(t.path) + " && zip -q -P s3cret " + th::q(tree + "/locked.zip") + " secret.txt");
    // 7-Zip (p7zip): an encrypted member, and encrypted headers (-mhe: not even the names show).
    sh("cd " + th::q(t.path) + " && 7z a -bd -ps3cret " + th::q(tree + "/locked.7z") + " secret.txt > /dev/null && "
       "7z a -bd -ps3cret -mhe=on " + th::q(tree + "/hidden.7z") + " secret.txt > /dev/null");
    sh("cd " + th::q(t.path) + " && /usr/bin/python3 -c 'from PIL import Image; Image.new(\"RGB\", (20, 20)).save(\"plain.pdf\")' && "
       "qpdf --encrypt user owner 256 -- plain.pdf " + th::q(tree + "/locked.pdf") + " && cp plain.pdf " + th::q(tree + "/open.pdf"));
    sh("/usr/bin/python3 " + th::q(std::string(TRIAGE_SOURCE_DIR) + "/tests/content/make_encrypted_ooxml.py") + " " +
       th::q(tree + "/locked.docx"));
    REQUIRE(trim(sh("file -b " + th::q(tree + "/locked.docx"))) == "CDFV2 Encrypted");
    sh("/usr/bin/python3 -c 'import sys, os; open(sys.argv[1], \"wb\").write(b\"\\xebX\\x90-FVE-FS-\" + os.urandom(500) + b\"\\x55\\xaa\" + os.urandom(65536))' " +
       th::q(tree + "/bitlocker.img"));
    // A Core Storage physical volume header as libfvde documents it (no Debian tool writes one).
    sh("/usr/bin/python3 -c 'import sys, os, struct; h = bytearray(os.urandom(512)); h[8:12] = struct.pack(\"<HH\", 1, 0x10); "
       "h[88:94] = b\"CS\" + struct.pack(\"<I\", 1); open(sys.argv[1], \"wb\").write(bytes(h) + os.urandom(65536))' " +
       th::q(tree + "/corestorage.img"));
    const std::string img = fs_image(t, tree, "64M");
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c) == 0);

    auto rules = [&](const std::string& path) {
        return th::sql1(c, "SELECT group_concat(rule, ',') FROM (SELECT f.rule FROM v_findings f JOIN v_files v ON "
                           "v.file_id=f.file_id WHERE f.kind='encrypted' AND v.path='" + path + "' ORDER BY f.rule)");
    };
    CHECK(rules("/random.bin") == "high_entropy,veracrypt_truecrypt");
    CHECK(rules("/random-odd.bin") == "high_entropy");
    CHECK(rules("/text.txt").empty());
    CHECK(rules("/luks1.img") == "luks1");
    CHECK(rules("/luks2.img") == "luks2");
    CHECK(rules("/locked.zip") == "archive_member,zip");
    CHECK(rules("/locked.7z") == "archive_member");
    CHECK(rules("/hidden.7z") == "archive");
    CHECK(rules("/locked.pdf") == "pdf");
    CHECK(rules("/open.pdf").empty());
    CHECK(rules("/locked.docx") == "office");
    CHECK(rules("/bitlocker.img") == "bitlocker");
    CHECK(rules("/corestorage.img") == "filevault2");
    // The UUID in the LUKS finding is the one cryptsetup reports.
    for (const char* v : {"luks1", "luks2"}) {
        const auto d = nlohmann::json::parse(th::sql1(c, std::string("SELECT detail FROM v_findings f JOIN v_files v ON "
                                                                     "v.file_id=f.file_id WHERE f.kind='encrypted' AND v.path='/") + v + ".img'"));
        CHECK(d.at("uuid") == trim(sh("cryptsetup luksUUID " + th::q(tree + "/" + v + ".img"))));
    }
    // The entropy property equals Shannon's formula computed by Python over the same bytes.
    for (const char* n : {"random.bin", "text.txt", "luks2.img"}) {
        INFO(n);
        const auto expected = trim(sh("/usr/bin/python3 -c '\nimport sys, math, collections\nd = open(sys.argv[1], \"rb\").read()\n"
                                      "c = collections.Counter(d)\nprint(\"%.3f\" % -sum(v / len(d) * math.log2(v / len(d)) for v in c.values()))' " +
                                      th::q(tree + "/" + n)));
        CHECK(th::sql1(c, std::string("SELECT value FROM properties p JOIN v_files v ON v.file_id=p.file_id WHERE p.key='entropy' AND v.path='/") +
                              n + "'") == expected);
    }
}
