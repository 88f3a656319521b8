// Rules without external variables, so the yara CLI can run them too (the oracle).
rule oracle_jpeg
{
    meta:
        author = "triage tests"
        description = "JPEG start of image with a JFIF or Exif header"
    strings:
        $jfif = "JFIF"
        $exif = "Exif"
    condition:
        uint16(0) == 0xD8FF and ($jfif or $exif)
}

rule oracle_marker
{
    meta:
        author = "triage tests"
        description = "the test marker anywhere"
    strings:
        $m = "TRIAGE-YARA-MARKER-0123456789"
    condition:
        $m
}

rule oracle_zip
{
    meta:
        author = "triage tests"
        description = "a ZIP local file header at the start"
    condition:
        uint32(0) == 0x04034B50
}
