#!/usr/bin/env python3
"""Generates rules/crypto/seed_phrases.yar from the BIP39 English word list.

Usage: python3 rules/tools/gen_bip39_rule.py [WORDLIST] > rules/crypto/seed_phrases.yar
WORDLIST defaults to the copy shipped by Debian's python3-mnemonic package. The word list is the
BIP39 standard's data; the rule logic around it is this project's own.

Why generated: YARA 4.2 allows at most ~127 alternatives in one regular expression, so the 2048
words are split into groups of 114 (18 strings, each word delimited by whitespace or the ends of
the file). For every word hit the condition looks at the window that starts there:
  * no common English word that is not a BIP39 word ("stop word": frequent words of 3+ letters,
    and one/two-letter words between spaces or newlines, which BIP39 never has) in its first 40
    bytes: the cheap test that rejects prose early;
  * at least 12 BIP39 words start within 160 bytes;
  * they come from at least 6 different groups (sorted lists such as the BIP39 list itself or a
    dictionary stay in one or two groups);
  * no group holds more than 5 of the words in the window;
  * the shortest prefix of the window that holds 12 words has no stop word and no word twice
    (menus, tables and keyword lists repeat words; about 3% of 12-word phrases repeat a word and
    are missed, longer phrases usually still have a run of 12 distinct words).
Known false positive: a sorted list of 12+ words that are all BIP39 words and spread over 6+
groups within 160 bytes (a short keyword list with no one- or two-letter entries) still matches.
A phrase must start a file or a line or follow a label, list number or indentation, except in
files under 4 KB. Words are delimited by whitespace only: a phrase inside quotes loses its first
and last word, so 12 words in quotes are not enough (a quoted 14-word or longer phrase is found).
Measured: no match on 120 MB of English documentation and C/C++ headers cut into 200 KB pieces,
nor on the whole of /usr/share of a Debian 12 development machine (vim help tables, keyword lists
and word-frequency lists there matched earlier versions and shaped the stop-word and repetition
tests);
600 synthetic phrases (12/15/18/24 distinct words, space, newline or numbered, with and without
notes around them): all matched. Cost: about 25 MB/s on plain text, 150 MB/s on binaries
(one core), most of it scanning for the 2048 words.

YARA 4.2.3 fails at run time (internal error 31) on `#s in (lo .. hi)` unless lo is 0, so a count
in [lo, hi] is written as the difference of two counts from 0.
"""
import sys

WORDLIST = sys.argv[1] if len(sys.argv) > 1 else \
    "/usr/lib/python3/dist-packages/mnemonic/wordlist/english.txt"
GROUP = 114
WINDOW = 160
MIN_WORDS = 12
MIN_GROUPS = 6
MAX_PER_GROUP = 5
STOP = ("the and for with are was from his her which were been has had their would but she not could "
        "should than these those its our your them some most does did may how who why here each "
        "using let many get see").split()
# Every one- or two-letter token is foreign to BIP39 (its words have 3 to 8 letters); these are
# the common ones, matched between spaces/newlines (word lists put one per line).
STOP2 = "of to in is it as on be by or an at if so we he do my me up no us go am".split()

words = open(WORDLIST).read().split()
assert len(words) == 2048, "expected the 2048-word BIP39 list"
wordset = set(words)
stop = [s for s in STOP if s not in wordset]
assert not any(s in wordset for s in STOP2)
groups = [words[i:i + GROUP] for i in range(0, len(words), GROUP)]
names = ["g%02d" % i for i in range(len(groups))]


def count(name, lo, hi):
    return "((#%s in (0 .. %s)) - (#%s in (0 .. %s - 1)))" % (name, hi, name, lo)


def total(lo, hi):
    return " + ".join(count(n, lo, hi) for n in names)


def quick_no_stop(lo, hi):
    # The early reject: an explicit chain of the commonest stop words (`and` stops at the first
    # hit, while a `for any of` loop evaluates every string).
    return " and ".join("not ($s%03d in (%s .. %s))" % (i, lo, hi) for i in QUICK_STOP)


def no_stop(lo, hi):
    return "not for any of ($s*) : ( $ in (%s .. %s) )" % (lo, hi)


def distinct(name, lo, hi):
    # BIP39 words are unique in their first four letters and a group is an alphabetical range, so
    # two hits are the same word exactly when the four bytes after their leading whitespace are
    # equal and they are in the same group. `for all` over an empty range is false in YARA 4.2,
    # hence the guard; a word ending less than four bytes before the end of the file cannot be
    # read as uint32 (undefined is false), so it is not compared.
    first = "(#%s in (0 .. %s - 1)) + 1" % (name, lo)
    last = "(#%s in (0 .. %s))" % (name, hi)
    return ("(%s < 2 or for all i in (%s .. %s - 1) : ( for all j in (i + 1 .. %s) : "
            "( @%s[j] + 5 > filesize or uint32(@%s[i] + 1) != uint32(@%s[j] + 1) ) ))") % (
        count(name, lo, hi), first, last, last, name, name, name)


def window(s):
    hi = "%s + %d" % (s, WINDOW)
    pre = "%s + 48 + 4 * d" % s
    # A phrase starts a file or a line, or follows a label ("seed:"), a list number
    # ("1." / "1)"), a bullet ("-") or indentation; in files under 4 KB (most seed notes) it may
    # start anywhere ("my phrase is ..."). Checking this first keeps larger prose files cheap.
    start = ("(filesize < 4KB or %s == 0 or uint8(%s) == 0x0A or "
             "uint8(%s - 1) == 0x3A or uint8(%s - 1) == 0x2E or uint8(%s - 1) == 0x29 or "
             "uint8(%s - 1) == 0x2D or uint8(%s - 1) == 0x20 or uint8(%s - 1) == 0x09 or "
             "uint8(%s - 1) == 0x0A)") % ((s,) * 9)
    return "\n".join([
        "(",
        "        %s and" % start,
        "        %s and" % quick_no_stop(s, s + " + 40"),
        "        %s >= %d and" % (total(s, hi), MIN_WORDS),
        "        for %d of ($g*) : ( $ in (%s .. %s) ) and" % (MIN_GROUPS, s, hi),
        "        %s and" % " and ".join("%s <= %d" % (count(n, s, hi), MAX_PER_GROUP) for n in names),
        "        for any d in (0 .. %d) : (" % ((WINDOW - 48) // 4),
        "          %s and" % no_stop(s, pre),
        "          %s >= %d and" % (total(s, pre), MIN_WORDS),
        "          %s" % " and\n          ".join(distinct(n, s, pre) for n in names),
        "        )",
        "      )"])


out = [
    "// GENERATED by rules/tools/gen_bip39_rule.py: edit the generator, not this file.",
    "// The 2048 words are the BIP39 standard's English list (data); see the generator for the logic.",
    "",
    "rule crypto_bip39_seed_phrase",
    "{",
    "  meta:",
    '    author = "triage project"',
    '    description = "A run of at least %d distinct BIP39 English mnemonic words (wallet seed / '
    'recovery phrase): lower case, whitespace separated, optionally numbered; prose, tables and '
    'sorted word lists do not match. Files up to 256 KB."' % MIN_WORDS,
    '    date = "2026-11-29"',
    "    severity = 8",
    '    category = "crypto"',
    '    reference = "https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki"',
    "  strings:",
]
for n, g in zip(names, groups):
    out.append("    $%s = /(^|\\s)(%s)(\\s|$)/" % (n, "|".join(g)))
# Text strings, not one regex: stop words are the commonest words of prose, and a regex verified at
# each of their hits triples the scanning time on text.
stop_strings = ['"%s" fullword nocase' % w for w in stop]
for w in STOP2:
    stop_strings += ['"%s%s%s"' % (a, w, b) for a in (" ", "\\n") for b in (" ", "\\n")]
# indexes of: the, and, for, with, " of ", " to ", " in ", " is ", " it "
QUICK_STOP = [stop.index(w) for w in ("the", "and", "for", "with")] + \
    [len(stop) + 4 * STOP2.index(w) for w in ("of", "to", "in", "is", "it")]
for i, x in enumerate(stop_strings):
    out.append("    $s%03d = %s" % (i, x))
out.append("  condition:")
out.append("    filesize < 256KB and")
out.append("    (%s) >= %d and" % (" + ".join("#" + n for n in names), MIN_WORDS))
out.append("    (")
out.append("\n      or\n".join("      for any k in (1 .. #%s) : %s" % (n, window("@%s[k]" % n))
                                for n in names))
out.append("    )")
out.append("}")
print("\n".join(out))
