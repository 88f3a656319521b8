// Rules for triage's own YARA tests (not shipped): a plain marker, a PE check, and the
// external variables triage defines.
import "pe"

rule test_marker
{
    meta:
        author = "triage tests"
        description = "the test marker string"
        severity = 5
        category = "test"
    strings:
        $m = "TRIAGE-YARA-MARKER-0123456789"
    condition:
        $m
}

rule test_pe_seven_sections
{
    meta:
        author = "triage tests"
        description = "a PE with seven sections (testdata/yara/tiny)"
        severity = "low"
    condition:
        uint16(0) == 0x5A4D and pe.number_of_sections == 7
}

rule test_marker_in_deleted_txt
{
    meta:
        author = "triage tests"
        description = "the marker in a deleted .txt file (externals: deleted, extension, filename)"
    strings:
        $m = "TRIAGE-YARA-MARKER-0123456789"
    condition:
        $m and deleted and extension == "txt" and filename startswith "gone"
}
