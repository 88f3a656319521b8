// The DFTT #2 keyword-search strings that lie inside files (the answer key's "in file" rows).
// Strings crossing into slack, unallocated space or between files are not file content, so a
// file-level YARA scan cannot and should not find them.
rule kw_first { strings: $s = "first" condition: $s }
rule kw_second { strings: $s = "SECOND" condition: $s }
rule kw_cross2 { strings: $s = "2cross2" condition: $s }
rule kw_fragment1 { strings: $s = "1fragment" condition: $s }
rule kw_fragment2 { strings: $s = "2fragment sentence2" condition: $s }
rule kw_deleted { strings: $s = "deleted" condition: $s }
rule kw_regexp_chars { strings: $s = "a?b\\c*d$e#f[g^" condition: $s }
