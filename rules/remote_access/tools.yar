/*
  Remote access and hacking tools: credential dumpers, remote execution services, reverse shells,
  RAT capability sets, post-exploitation frameworks. Several are dual-use (PsExec, RMS): their
  severity is lower and the description says so. Severity: integer 1-10.
*/

rule hacktool_mimikatz_commands : remote_access
{
  meta:
    author = "triage project"
    description = "Three or more mimikatz module::command strings (sekurlsa::logonpasswords, lsadump::sam, kerberos::golden ...): a mimikatz binary, script, console log or command history"
    date = "2026-11-29"
    severity = 9
    category = "remote_access"
    reference = "https://attack.mitre.org/software/S0002/"
  strings:
    $c1 = "sekurlsa::logonpasswords" nocase ascii wide
    $c2 = "sekurlsa::pth" nocase ascii wide
    $c3 = "sekurlsa::tickets" nocase ascii wide
    $c4 = "sekurlsa::ekeys" nocase ascii wide
    $c5 = "sekurlsa::minidump" nocase ascii wide
    $c6 = "lsadump::sam" nocase ascii wide
    $c7 = "lsadump::secrets" nocase ascii wide
    $c8 = "lsadump::dcsync" nocase ascii wide
    $c9 = "lsadump::lsa" nocase ascii wide
    $c10 = "kerberos::golden" nocase ascii wide
    $c11 = "kerberos::ptt" nocase ascii wide
    $c12 = "privilege::debug" nocase ascii wide
    $c13 = "token::elevate" nocase ascii wide
    $c14 = "vault::cred" nocase ascii wide
    $c15 = "dpapi::masterkey" nocase ascii wide
  condition:
    filesize < 50MB and 3 of them
}

rule hacktool_mimikatz_binary : remote_access
{
  meta:
    author = "triage project"
    description = "Executable carrying mimikatz authorship/product markers and its module names"
    date = "2026-11-29"
    severity = 9
    category = "remote_access"
    reference = "https://attack.mitre.org/software/S0002/"
  strings:
    $a1 = "gentilkiwi" nocase ascii wide
    $a2 = "mimikatz" nocase ascii wide
    $a3 = "Benjamin DELPY" nocase ascii wide
    $m1 = "sekurlsa" ascii wide
    $m2 = "lsadump" ascii wide
    $m3 = "kerberos::" ascii wide
    $m4 = "mimilib" ascii wide
    $m5 = "mimidrv" ascii wide
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    1 of ($a*) and 2 of ($m*)
}

rule hacktool_remote_service_exec : remote_access
{
  meta:
    author = "triage project"
    description = "PsExec-style remote execution (PSEXESVC, RemComSvc, PAExec service) together with the service-control or ADMIN$ share plumbing it uses. Dual-use admin tool; also in event logs of a target host"
    date = "2026-11-29"
    severity = 5
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1569/002/"
  strings:
    $s1 = "PSEXESVC" nocase ascii wide
    $s2 = "RemComSvc" nocase ascii wide
    $s3 = "PAExec-" ascii wide
    $p1 = "ADMIN$" ascii wide
    $p2 = "\\pipe\\" nocase ascii wide
    $p3 = "OpenSCManager" ascii wide
    $p4 = "CreateService" ascii wide
  condition:
    filesize < 50MB and 1 of ($s*) and 2 of ($p*)
}

rule hacktool_reverse_shell_oneliner : remote_access
{
  meta:
    author = "triage project"
    description = "Reverse/bind shell one-liners: netcat/ncat -e with a shell, bash /dev/tcp redirection, mkfifo + nc relay, PowerShell TCPClient shell, Python socket + dup2 shell"
    date = "2026-11-29"
    severity = 8
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1059/"
  strings:
    $nc = /\bn(c|cat)(\.exe)?\s[^\r\n|;&]{0,80}-(e|c|-exec|-sh-exec)\s*["']?(\/bin\/(ba|z|da)?sh|cmd(\.exe)?|powershell(\.exe)?)/ nocase
    $devtcp = /(ba)?sh\s+-i\s*(>&|&>|>)\s*\/dev\/(tcp|udp)\/[0-9A-Za-z.\-]+\/[0-9]{1,5}/
    $fifo = /mkfifo\s+\/tmp\/[^\s;]{1,30}\s*;[^\r\n]{0,120}\|\s*n(c|cat)\s/
    $ps = /New-Object\s+(System\.)?Net\.Sockets\.TCPClient\s*\(\s*["'][0-9A-Za-z.\-]+["']\s*,\s*[0-9]{1,5}\s*\)[^\r\n]{0,400}GetStream\(\)/ nocase
    $py = /socket\.socket\([^\r\n]{0,300}\.connect\(\([^\r\n]{0,300}os\.dup2\([^\r\n]{0,300}(\/bin\/(ba)?sh|pty\.spawn)/
  condition:
    filesize < 10MB and any of them
}

rule rat_capability_combination : remote_access
{
  meta:
    author = "triage project"
    description = "Executable combining RAT capabilities: webcam capture (avicap32), keystroke capture, Run-key persistence and network sockets"
    date = "2026-11-29"
    severity = 7
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1125/"
  strings:
    $cam = "capCreateCaptureWindow" nocase ascii wide
    $k1 = "GetAsyncKeyState" ascii wide
    $k2 = "SetWindowsHookEx" ascii wide
    $run = "\\CurrentVersion\\Run" nocase ascii wide
    $n1 = "WSAStartup" ascii wide
    $n2 = "System.Net.Sockets" ascii wide
    $n3 = "InternetOpenUrl" ascii wide
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    $cam and 1 of ($k*) and $run and 1 of ($n*)
}

rule remote_admin_rms_tektonit : remote_access
{
  meta:
    author = "triage project"
    description = "Remote Manipulator System / Remote Utilities (TektonIT) host components (rutserv, rfusclient): legitimate remote-admin software often installed covertly by fraud and RAT campaigns in the region"
    date = "2026-11-29"
    severity = 4
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1219/"
  strings:
    $a1 = "TektonIT" nocase ascii wide
    $a2 = "rutserv" nocase ascii wide
    $a3 = "rfusclient" nocase ascii wide
    $a4 = "Remote Manipulator System" nocase ascii wide
  condition:
    filesize < 100MB and 2 of them
}

rule hacktool_reflective_loader_dll : remote_access
{
  meta:
    author = "triage project"
    description = "PE exporting/naming ReflectiveLoader: reflective DLL injection used by Meterpreter, Cobalt Strike-style beacons and many loaders"
    date = "2026-11-29"
    severity = 7
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1620/"
  strings:
    $r1 = "ReflectiveLoader" ascii
    $r2 = "_ReflectiveLoader@" ascii
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and any of them
}

rule hacktool_meterpreter_commands : remote_access
{
  meta:
    author = "triage project"
    description = "Three or more Metasploit Meterpreter command names (core_channel_open, stdapi_sys_config_getuid, priv_elevate_getsystem ...)"
    date = "2026-11-29"
    severity = 8
    category = "remote_access"
    reference = "https://attack.mitre.org/software/S0692/"
  strings:
    $c1 = "core_channel_open" ascii wide
    $c2 = "core_loadlib" ascii wide
    $c3 = "stdapi_sys_config_getuid" ascii wide
    $c4 = "stdapi_sys_config_sysinfo" ascii wide
    $c5 = "stdapi_sys_process_execute" ascii wide
    $c6 = "stdapi_fs_stat" ascii wide
    $c7 = "stdapi_railgun_api" ascii wide
    $c8 = "priv_elevate_getsystem" ascii wide
    $c9 = "priv_passwd_get_sam_hashes" ascii wide
    $c10 = "metsrv" ascii wide
  condition:
    filesize < 50MB and 3 of them
}

rule hacktool_lsass_dump_command : remote_access
{
  meta:
    author = "triage project"
    description = "Command that dumps LSASS process memory for offline credential extraction (comsvcs.dll MiniDump, procdump -ma lsass, Out-Minidump, sqldumper)"
    date = "2026-11-29"
    severity = 8
    category = "remote_access"
    reference = "https://attack.mitre.org/techniques/T1003/001/"
  strings:
    $comsvcs = /comsvcs(\.dll)?["']?\s*[, ]\s*(#\+?0*24|minidump)\b/ nocase ascii wide
    $procdump = /procdump(64)?(\.exe)?\s+(-[a-z]+\s+)*-ma\s+(-[a-z]+\s+)*lsass/ nocase ascii wide
    $outmini = /Out-Minidump[^\r\n]{0,120}lsass/ nocase ascii wide
    $sqldumper = /sqldumper(\.exe)?\s+[0-9]+\s+0\s+0x0?1100/ nocase ascii wide
  condition:
    filesize < 20MB and any of them
}

rule hacktool_impacket_remote_exec : remote_access
{
  meta:
    author = "triage project"
    description = "Impacket lateral-movement / credential tools: a Python script importing impacket with secretsdump/wmiexec/smbexec-style code, or a command line running those scripts against user@host"
    date = "2026-11-29"
    severity = 7
    category = "remote_access"
    reference = "https://attack.mitre.org/software/S0357/"
  strings:
    $imp = /from\s+impacket(\.[a-z0-9_.]+)?\s+import/
    $x1 = "secretsdump" ascii
    $x2 = "wmiexec" ascii
    $x3 = "smbexec" ascii
    $x4 = "dcomexec" ascii
    $x5 = "atexec" ascii
    $x6 = "ntlmrelayx" ascii
    $x7 = "GetUserSPNs" ascii
    $cli = /(secretsdump|wmiexec|smbexec|psexec|atexec|dcomexec)(\.py)?\s+(-[a-z-]+\s+[^\s]+\s+)*['"]?[A-Za-z0-9._-]{1,40}\/[A-Za-z0-9._$-]{1,40}(:[^\s@]{0,60})?@[A-Za-z0-9.-]{3,}/
  condition:
    filesize < 10MB and (($imp and 1 of ($x*)) or $cli)
}
