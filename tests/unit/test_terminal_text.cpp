// util::terminal_safe: what from evidence or a received file may be printed on a terminal.
#include "util/text.hpp"

#include <catch2/catch.hpp>

TEST_CASE("text for the terminal: controls and bytes that are not UTF-8 are escaped, other text kept", "[unit]") {
    using triage::util::terminal_safe;
    // C0 controls and DEL: ESC [ 2 J would clear the screen; a newline would forge a line.
    CHECK(terminal_safe("a\x1b[2Jb") == "a\\x1b[2Jb");
    CHECK(terminal_safe("x\ny\rz\t\x7f") == "x\\x0ay\\x0dz\\x09\\x7f");
    CHECK(terminal_safe(std::string("nul\0end", 7)) == "nul\\x00end");
    // C1 controls as UTF-8 (U+009B CSI, U+0085 NEL, U+009F): escaped as code points.
    CHECK(terminal_safe("\xc2\x9b" "31m") == "\\u009b31m");
    CHECK(terminal_safe("\xc2\x85\xc2\x9f") == "\\u0085\\u009f");
    // U+00A0 and up are text: Ukrainian, Romanian, Georgian, Hungarian names pass unchanged.
    for (const char* s : {"Київ", "Chișinău", "თბილისი", "Győr", "\xc2\xa0nbsp"}) CHECK(terminal_safe(s) == s);
    // Bytes that are not UTF-8: a lone 0x9B (CSI to an 8-bit terminal), a cut sequence, an
    // overlong form, a surrogate.
    CHECK(terminal_safe("\x9b" "2J") == "\\x9b2J");
    CHECK(terminal_safe("\xd0") == "\\xd0");
    CHECK(terminal_safe("\xc0\xaf") == "\\xc0\\xaf");
    CHECK(terminal_safe("\xed\xa0\x80") == "\\xed\\xa0\\x80");
    // The backslash is doubled, so "\x1b" written in a name is not read as an escaped ESC.
    CHECK(terminal_safe("\\x1b") == "\\\\x1b");
    CHECK(terminal_safe("") == "");
}

TEST_CASE("UTF-8 sequences are measured as RFC 3629 defines them", "[unit]") {
    using triage::util::utf8_sequence;
    CHECK(utf8_sequence("a", 0) == 1);
    CHECK(utf8_sequence("\xd0\x9a", 0) == 2);          // К
    CHECK(utf8_sequence("\xe1\x83\x97", 0) == 3);      // თ
    CHECK(utf8_sequence("\xf0\x9f\x98\x80", 0) == 4);  // U+1F600
    CHECK(utf8_sequence("\xf4\x90\x80\x80", 0) == 0);  // past U+10FFFF
    CHECK(utf8_sequence("\xe0\x80\x80", 0) == 0);      // overlong
    CHECK(utf8_sequence("\x80", 0) == 0);              // a continuation byte alone
    CHECK(utf8_sequence("\xe1\x83", 0) == 0);          // cut short
}
