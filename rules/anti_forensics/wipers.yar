/*
  Anti-forensics: secure deletion and free-space wiping, event/shell log clearing, timestamp
  manipulation, disk-encryption tools (their headers are random, so the tools and their settings
  are detected instead), raw-disk wipers and privacy cleaners. Severity: integer 1-10.
*/

rule antiforensics_sdelete_binary : anti_forensics
{
  meta:
    author = "triage project"
    description = "Sysinternals SDelete executable (secure delete / free-space cleaning)"
    date = "2026-11-29"
    severity = 5
    category = "anti_forensics"
    reference = "https://learn.microsoft.com/sysinternals/downloads/sdelete"
  strings:
    $n1 = "SDelete" ascii wide
    $n2 = "sdelete" ascii wide
    $s = "Sysinternals" nocase ascii wide
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    1 of ($n*) and $s
}

rule antiforensics_wipe_commands : anti_forensics
{
  meta:
    author = "triage project"
    description = "Secure-wipe commands in scripts or histories: cipher /w, sdelete with wipe options, shred -u/-z, dd from /dev/zero|urandom onto a disk device, BleachBit shredding, format with overwrite passes"
    date = "2026-11-29"
    severity = 6
    category = "anti_forensics"
    reference = "https://attack.mitre.org/techniques/T1070/004/"
  strings:
    $cipher = /cipher(\.exe)?["']?\s+\/w:/ nocase ascii wide
    $sdel = /sdelete(64)?(\.exe)?["']?\s+([-\/]accepteula\s+)?(-[a-z0-9]+\s+)*-[pszcr]\b/ nocase ascii wide
    $shred = /\bshred\s+(-[a-zA-Z0-9]+\s+|--[a-z-]+(=\S+)?\s+)*(-[a-zA-Z0-9]*[uz][a-zA-Z0-9]*|--remove|--zero)\b/ ascii
    $dd = /\bdd\s+if=\/dev\/(zero|urandom|random)\s+of=\/dev\/(sd[a-z]|hd[a-z]|nvme[0-9]|mmcblk[0-9]|disk[0-9]|vd[a-z]|xvd[a-z])/ ascii
    $bleach = /bleachbit(_console)?(\.exe)?["']?\s+(-[a-z]+\s+)*(--shred|--wipe-free-space|-s\s)/ nocase ascii wide
    $format = /format(\.com)?\s+[a-z]:\s+[^\r\n]{0,30}\/p:[0-9]+/ nocase ascii wide
  condition:
    filesize < 10MB and any of them
}

rule antiforensics_log_clearing : anti_forensics
{
  meta:
    author = "triage project"
    description = "Clearing of Windows event logs or the NTFS USN journal (wevtutil cl, Clear-EventLog, fsutil usn deletejournal), or two or more Unix log/shell-history erasure commands"
    date = "2026-11-29"
    severity = 7
    category = "anti_forensics"
    reference = "https://attack.mitre.org/techniques/T1070/001/"
  strings:
    $w1 = /wevtutil(\.exe)?["']?\s+(cl|clear-log)\s+/ nocase ascii wide
    $w2 = /Clear-EventLog\s+/ nocase ascii wide
    $w3 = /fsutil(\.exe)?["']?\s+usn\s+deletejournal/ nocase ascii wide
    $w4 = /Remove-EventLog\s+/ nocase ascii wide
    $l1 = /unset\s+HISTFILE\b/ ascii
    $l2 = /HISTFILE=\/dev\/null/ ascii
    $l3 = /\bhistory\s+-c\b/ ascii
    $l4 = /\b(rm|shred)\s+(-[a-zA-Z]+\s+)*\/var\/log\// ascii
    $l5 = /(>|truncate\s+-s\s*0)\s*\/var\/log\/(wtmp|btmp|lastlog|auth\.log|secure|messages|syslog)/ ascii
    $l6 = /ln\s+-sf?\s+\/dev\/null\s+\S*\.bash_history/ ascii
    $l7 = /HISTSIZE=0\b/ ascii
  condition:
    filesize < 10MB and (1 of ($w*) or 2 of ($l*))
}

rule antiforensics_timestomp : anti_forensics
{
  meta:
    author = "triage project"
    description = "File timestamp manipulation: Meterpreter/standalone timestomp usage, or a script that sets creation, last-write and last-access times of files. Can be benign (time sync after copy): check context"
    date = "2026-11-29"
    severity = 5
    category = "anti_forensics"
    reference = "https://attack.mitre.org/techniques/T1070/006/"
  strings:
    $ts = /timestomp(\.exe)?\s+\S+\s+(-[mabcezfrv]\b|"?[0-9]{1,2}\/[0-9]{1,2}\/[0-9]{4})/ nocase ascii wide
    $c = /\.CreationTime(Utc)?\s*=\s*/ nocase ascii wide
    $m = /\.LastWriteTime(Utc)?\s*=\s*/ nocase ascii wide
    $a = /\.LastAccessTime(Utc)?\s*=\s*/ nocase ascii wide
  condition:
    filesize < 10MB and ($ts or ($c and $m and $a))
}

rule antiforensics_disk_encryption_tool : anti_forensics
{
  meta:
    author = "triage project"
    description = "VeraCrypt or TrueCrypt executable or driver: encrypted containers or hidden volumes may exist (volume headers are indistinguishable from random data, so the tool is what can be found)"
    date = "2026-11-29"
    severity = 4
    category = "anti_forensics"
    reference = "https://veracrypt.fr/en/Documentation.html"
  strings:
    $v1 = "VeraCrypt" ascii wide
    $v2 = "IDRIX" ascii wide
    $v3 = "\\Device\\VeraCrypt" ascii wide
    $v4 = "veracrypt.sys" nocase ascii wide
    $t1 = "TrueCrypt" ascii wide
    $t2 = "TrueCrypt Foundation" ascii wide
    $t3 = "truecrypt.sys" nocase ascii wide
    $t4 = "\\Device\\TrueCrypt" ascii wide
  condition:
    (uint16(0) == 0x5A4D or uint32(0) == 0x464C457F or uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE) and
    (($v1 and 1 of ($v2, $v3, $v4)) or ($t1 and 1 of ($t2, $t3, $t4)))
}

rule antiforensics_veracrypt_settings : anti_forensics
{
  meta:
    author = "triage project"
    description = "VeraCrypt/TrueCrypt settings or favorite-volumes XML: names mounted containers/partitions and mount options"
    date = "2026-11-29"
    severity = 5
    category = "anti_forensics"
    reference = "https://veracrypt.fr/en/Program%20Menu.html"
  strings:
    $r1 = "<VeraCrypt>" ascii
    $r2 = "<TrueCrypt>" ascii
    $c1 = "<config key=\"" ascii
    $c2 = "<favorites>" ascii
    $c3 = "<volume " ascii
  condition:
    filesize < 1MB and 1 of ($r*) and 1 of ($c*)
}

rule antiforensics_raw_disk_wiper : anti_forensics
{
  meta:
    author = "triage project"
    description = "Executable that opens raw physical drives and also destroys recovery/log data or forces a reboot (shadow copies, boot config, event logs): destructive wiper"
    date = "2026-11-29"
    severity = 9
    category = "anti_forensics"
    reference = "https://attack.mitre.org/techniques/T1561/002/"
  strings:
    $pd = "\\\\.\\PhysicalDrive" nocase ascii wide
    $io = "DeviceIoControl" ascii
    $d1 = /vssadmin(\.exe)?\s+delete\s+shadows/ nocase ascii wide
    $d2 = /bcdedit(\.exe)?\s+\/(set|delete)/ nocase ascii wide
    $d3 = /wevtutil(\.exe)?\s+cl\b/ nocase ascii wide
    $d4 = /shutdown(\.exe)?\s+\/r/ nocase ascii wide
    $d5 = "InitiateSystemShutdown" ascii
    $d6 = "NtRaiseHardError" ascii
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    $pd and $io and 2 of ($d*)
}

rule antiforensics_privacy_cleaner : anti_forensics
{
  meta:
    author = "triage project"
    description = "Privacy/trace cleaner executable (BleachBit, CCleaner, PrivaZer, Eraser): common software, but its presence and run times matter when traces are missing"
    date = "2026-11-29"
    severity = 3
    category = "anti_forensics"
    reference = "https://attack.mitre.org/techniques/T1070/"
  strings:
    $a1 = "CCleaner" ascii wide
    $a2 = "Piriform" ascii wide
    $b1 = "BleachBit" ascii wide
    $b2 = "bleachbit.org" ascii wide
    $c1 = "PrivaZer" ascii wide
    $c2 = "Goversoft" ascii wide
    $d1 = "Eraser" ascii wide
    $d2 = "Heidi Computers" ascii wide
  condition:
    (uint16(0) == 0x5A4D or uint32(0) == 0x464C457F) and
    (($a1 and $a2) or ($b1 and $b2) or ($c1 and $c2) or ($d1 and $d2))
}
