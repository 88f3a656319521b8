// Keyword terms turned into byte patterns: each term in every encoding disks in the region
// carry, each character as the set of its case variants (Unicode case mapping of glibc's
// C.UTF-8, plus Romanian comma-below and cedilla forms taken as one letter), so that one
// multi-pattern database matches every term case-insensitively in every encoding at once.
#pragma once

#include <string>
#include <vector>

namespace triage::kw {

struct Term {
    std::string text;  // as given (without the "re:" / "lit:" prefix)
    bool regex = false;
    int line = 0;      // in the keywords file
};

// Reads a keywords file: one term a line; "re:" starts a regular expression (PCRE syntax as
// Hyperscan takes it), "lit:" a literal that would otherwise look like a comment or a regex,
// lines starting with '#' and empty lines are skipped. Throws naming the file and line.
std::vector<Term> load_terms(const std::string& path);

// The encodings, by iconv name, with the label findings carry.
struct Encoding {
    const char* iconv_name;
    const char* label;
};
const std::vector<Encoding>& encodings();

// One pattern of the database: Hyperscan regex text over bytes, the term it belongs to and
// the encodings whose bytes it stands for (several code pages often give identical bytes).
struct Pattern {
    std::string expression;
    unsigned term = 0;
    std::vector<std::string> labels;
    bool regex = false;
};

// The patterns of every term in every encoding it can be written in.
std::vector<Pattern> build_patterns(const std::vector<Term>& terms);

// Decodes bytes of the encoding LABEL for a finding's context: at most max_chars characters of
// UTF-8, control characters and undecodable bytes escaped as \xHH.
std::string decode_context(const std::string& bytes, const std::string& label, size_t max_chars = 80);

}  // namespace triage::kw
