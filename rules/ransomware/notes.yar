/*
  Ransomware: ransom notes (English, Russian, Ukrainian), payment and contact artefacts, and the
  recovery-destruction commands ransomware runs before encrypting. Severity: integer 1-10.
*/

rule ransom_note_english_wording : ransomware
{
  meta:
    author = "triage project"
    description = "Ransom note wording: second-person statement that files/network were encrypted, plus at least two of payment, threat and contact wording"
    date = "2026-11-29"
    severity = 8
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1486/"
  strings:
    $enc1 = /(all )?(of )?your (important |personal )?(files|documents|data|photos|databases|network|computers?|servers?)( and [a-z]+)? (have|has) been (encrypted|locked)/ nocase ascii wide
    $enc2 = /(all )?your (important )?(files|documents|data) (are|were) (encrypted|locked)/ nocase ascii wide
    $pay1 = /(buy|pay|send|transfer)[^\r\n]{0,40}(bitcoin|btc|monero|xmr|cryptocurrency)/ nocase ascii wide
    $pay2 = /(decryption key|decryptor|decrypt(ion)? (tool|software|program)|private key)/ nocase ascii wide
    $thr1 = /do not (try to )?(rename|modify|delete|decrypt|move|restore)/ nocase ascii wide
    $thr2 = /(will be|are) (permanently |irreversibly )?(lost|deleted|destroyed|published|leaked)/ nocase ascii wide
    $con1 = /(contact|write to|e-?mail) us/ nocase ascii wide
    $con2 = /(tox ?id|onionmail|protonmail|tor browser|\.onion)/ nocase ascii wide
  condition:
    filesize < 1MB and 1 of ($enc*) and
    ((1 of ($pay*)) and (1 of ($thr*)) or (1 of ($pay*)) and (1 of ($con*)) or (1 of ($thr*)) and (1 of ($con*)))
}

rule ransom_note_onion_payment_site : ransomware
{
  meta:
    author = "triage project"
    description = "Ransom note directing the victim to a Tor (.onion) payment or chat site: onion address plus Tor Browser instructions plus decryption wording"
    date = "2026-11-29"
    severity = 8
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1486/"
  strings:
    $onion = /[a-z2-7]{16}([a-z2-7]{39}d)?\.onion/ ascii wide
    $tor = /(download|install|open|use) (the )?tor ?browser/ nocase ascii wide
    $dec = /decrypt/ nocase ascii wide
    $id = /(your|personal|unique) (personal )?(id|key|code)/ nocase ascii wide
  condition:
    filesize < 1MB and $onion and $tor and $dec and $id
}

rule ransom_note_cyrillic : ransomware
{
  meta:
    author = "triage project"
    description = "Russian or Ukrainian ransom note (UTF-8, UTF-16LE or CP1251): 'files ... encrypted' (файли/файлы ... зашифровані/зашифрованы) plus ransom/payment wording, or decryption wording with a contact channel (anonymous mail, Tox, Jabber, Telegram, .onion)"
    date = "2026-11-29"
    severity = 8
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1486/"
  strings:
    // "айл" (файл/Файл) then "зашифрован", either order, within a few words
    $f8a = { D0 B0 D0 B9 D0 BB [1-40] D0 B7 D0 B0 D1 88 D0 B8 D1 84 D1 80 D0 BE D0 B2 D0 B0 D0 BD }
    $f8b = { D0 B7 D0 B0 D1 88 D0 B8 D1 84 D1 80 D0 BE D0 B2 D0 B0 D0 BD [1-40] D0 B0 D0 B9 D0 BB }
    $f16a = { 30 04 39 04 3B 04 [2-60] 37 04 30 04 48 04 38 04 44 04 40 04 3E 04 32 04 30 04 3D 04 }
    $f16b = { 37 04 30 04 48 04 38 04 44 04 40 04 3E 04 32 04 30 04 3D 04 [2-60] 30 04 39 04 3B 04 }
    $f1251a = { E0 E9 EB [1-30] E7 E0 F8 E8 F4 F0 EE E2 E0 ED }
    $f1251b = { E7 E0 F8 E8 F4 F0 EE E2 E0 ED [1-30] E0 E9 EB }
    // decryption: расшифр (ru), розшифр (uk)
    $d8_1 = { D1 80 D0 B0 D1 81 D1 88 D0 B8 D1 84 D1 80 }
    $d8_2 = { D1 80 D0 BE D0 B7 D1 88 D0 B8 D1 84 D1 80 }
    $d16_1 = { 40 04 30 04 41 04 48 04 38 04 44 04 40 04 }
    $d16_2 = { 40 04 3E 04 37 04 48 04 38 04 44 04 40 04 }
    $d1251_1 = { F0 E0 F1 F8 E8 F4 F0 }
    $d1251_2 = { F0 EE E7 F8 E8 F4 F0 }
    // ransom / payment: выкуп (ru), викуп (uk), биткоин, біткоїн, and Latin bitcoin/BTC/Monero
    $p8_1 = { D0 B2 D1 8B D0 BA D1 83 D0 BF }
    $p8_2 = { D0 B2 D0 B8 D0 BA D1 83 D0 BF }
    $p8_3 = { D0 B1 D0 B8 D1 82 D0 BA D0 BE D0 B8 D0 BD }
    $p8_4 = { D0 B1 D1 96 D1 82 D0 BA D0 BE D1 97 D0 BD }
    $p16_1 = { 32 04 4B 04 3A 04 43 04 3F 04 }
    $p16_2 = { 32 04 38 04 3A 04 43 04 3F 04 }
    $p16_3 = { 31 04 38 04 42 04 3A 04 3E 04 38 04 3D 04 }
    $p16_4 = { 31 04 56 04 42 04 3A 04 3E 04 57 04 3D 04 }
    $p1251_1 = { E2 FB EA F3 EF }
    $p1251_2 = { E2 E8 EA F3 EF }
    $p1251_3 = { E1 E8 F2 EA EE E8 ED }
    $p1251_4 = { E1 B3 F2 EA EE BF ED }
    $plat = /bitcoin|\bBTC\b|monero/ nocase ascii wide
    // contact channels typical of notes
    $c1 = /@(protonmail|proton|onionmail|tutanota|tuta|cock|airmail|mail2tor|keemail|msgsafe)\./ nocase ascii wide
    $c2 = /\b(q?tox( ?id)?|jabber|xmpp|telegram)\b/ nocase ascii wide
    $c3 = ".onion" nocase ascii wide
  condition:
    filesize < 1MB and 1 of ($f*) and (1 of ($p*) or (1 of ($d*) and 1 of ($c*)))
}

rule ransom_recovery_inhibition_commands : ransomware
{
  meta:
    author = "triage project"
    description = "Two or more commands that destroy Windows recovery options (shadow copies, backup catalog, boot recovery), as run by ransomware before encryption"
    date = "2026-11-29"
    severity = 8
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1490/"
  strings:
    $vss = /vssadmin(\.exe)?["']?\s+delete\s+shadows/ nocase ascii wide
    $vss_resize = /vssadmin(\.exe)?["']?\s+resize\s+shadowstorage\s[^\r\n]{0,80}maxsize=[0-9]{1,3}(mb|kb)/ nocase ascii wide
    $wmic = /wmic(\.exe)?["']?\s+shadowcopy\s+delete/ nocase ascii wide
    $ps = /win32_shadowcopy[^\r\n]{0,80}(\.delete\(\)|remove-(wmi|cim)object)/ nocase ascii wide
    $bcd1 = /bcdedit(\.exe)?["']?\s+\/set\s+\{default\}\s+recoveryenabled\s+no/ nocase ascii wide
    $bcd2 = /bcdedit(\.exe)?["']?\s+\/set\s+\{default\}\s+bootstatuspolicy\s+ignoreallfailures/ nocase ascii wide
    $wbadmin = /wbadmin(\.exe)?["']?\s+delete\s+(catalog|systemstatebackup|backup)/ nocase ascii wide
  condition:
    filesize < 20MB and 2 of them
}

rule ransom_pe_with_note_text : ransomware
{
  meta:
    author = "triage project"
    description = "Windows executable that embeds ransom note wording and a recovery-destruction command or a stream-cipher constant: probable ransomware binary"
    date = "2026-11-29"
    severity = 9
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1486/"
  strings:
    $note1 = /your (important )?(files|documents|data|network) (have|has) been encrypted/ nocase ascii wide
    $note2 = /(decryption key|decryptor|to decrypt your files)/ nocase ascii wide
    $cmd1 = /vssadmin(\.exe)?\s+delete\s+shadows/ nocase ascii wide
    $cmd2 = /bcdedit(\.exe)?\s+\/set\s+\{default\}\s+recoveryenabled\s+no/ nocase ascii wide
    $cmd3 = /wmic(\.exe)?\s+shadowcopy\s+delete/ nocase ascii wide
    $k1 = "expand 32-byte k"   // Salsa20/ChaCha constant
    $k2 = "expand 16-byte k"
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    $note1 and $note2 and 1 of ($cmd*, $k*)
}

rule ransom_note_contact_id : ransomware
{
  meta:
    author = "triage project"
    description = "Ransom note that gives a victim ID or a Tox ID (76 hex digits) for contacting the operators, together with decryption wording"
    date = "2026-11-29"
    severity = 7
    category = "ransomware"
    reference = "https://attack.mitre.org/techniques/T1486/"
  strings:
    $tox = /tox( ?id| chat)?\s*:?\s*[0-9A-Fa-f]{76}/ nocase ascii wide
    $vid = /(your|personal|victim|unique) (personal |unique )?(id|identifier|key)\s*:\s*[A-Za-z0-9+\/=_-]{16,}/ nocase ascii wide
    $dec = /(decrypt|recover) (your |all )?(files|data)/ nocase ascii wide
  condition:
    filesize < 1MB and $dec and ($tox or $vid)
}
