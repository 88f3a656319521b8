/*
  Credential stealers: the logs they produce (credential dumps, system summaries, cookie dumps),
  the browser stores they copy, and the binaries/scripts that target them. Severity: integer 1-10.
*/

rule stealer_log_credential_triples : stealers
{
  meta:
    author = "triage project"
    description = "Stealer log 'Passwords.txt' style dump: three or more URL/host + login + password records"
    date = "2026-11-29"
    severity = 8
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1555/003/"
  strings:
    $rec = /(URL|Url|url|Host|HOST|Hostname|HOSTNAME|Origin)\s*:\s*[^\r\n]{3,300}\r?\n\s*(Username|USERNAME|User|USER|Login|LOGIN|login|username)\s*:\s*[^\r\n]{0,300}\r?\n\s*(Password|PASSWORD|Pass|PASS|password|pass)\s*:/
  condition:
    filesize < 50MB and #rec >= 3
}

rule stealer_log_system_summary : stealers
{
  meta:
    author = "triage project"
    description = "Stealer log system summary ('Information.txt'/'System.txt' style): build/log identifiers with hardware ID, antivirus, screen and keyboard details"
    date = "2026-11-29"
    severity = 7
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1082/"
  strings:
    $a1 = /\bHWID\s*:/ nocase
    $a2 = /\bBuild ?ID\s*:/ nocase
    $a3 = /\bLog ?date\s*:/ nocase
    $a4 = /\b(Screen|Display) ?resolution\s*:/ nocase
    $a5 = /\bKeyboard ?(layouts?|languages?)\s*:/ nocase
    $a6 = /\bAnti ?virus(es)?\s*:/ nocase
    $a7 = /\bTime ?zone\s*:/ nocase
    $a8 = /\bElevated\s*:/ nocase
    $a9 = /\bInstalled ?(apps|software|programs)\s*:/ nocase
    $a10 = /\bMachine ?ID\s*:/ nocase
    $a11 = /\bLog ?path\s*:/ nocase
  condition:
    filesize < 5MB and ($a1 or $a2 or $a3) and 5 of ($a*)
}

rule stealer_cookie_dump_netscape : stealers
{
  meta:
    author = "triage project"
    description = "Netscape-format cookie dump with many cookies across high-value services (stealer 'Cookies' folder), not a small tool cookie jar"
    date = "2026-11-29"
    severity = 7
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1539/"
  strings:
    $line = /\t(TRUE|FALSE)\t\/[^\t\r\n]{0,200}\t(TRUE|FALSE)\t[0-9]{1,13}\t[^\t\r\n]{1,200}\t/
    $d1 = ".google.com\t"
    $d2 = ".facebook.com\t"
    $d3 = ".instagram.com\t"
    $d4 = ".paypal.com\t"
    $d5 = ".amazon.com\t"
    $d6 = ".binance.com\t"
    $d7 = ".coinbase.com\t"
    $d8 = ".live.com\t"
    $d9 = ".microsoftonline.com\t"
    $d10 = ".twitter.com\t"
    $d11 = "discord.com\t"
    $d12 = "steamcommunity.com\t"
    $d13 = ".privat24.ua\t"
    $d14 = ".github.com\t"
    $d15 = ".tiktok.com\t"
    $d16 = ".telegram.org\t"
  condition:
    filesize < 50MB and #line >= 20 and 3 of ($d*)
}

rule stealer_chromium_login_data_db : stealers
{
  meta:
    author = "triage project"
    description = "Chromium 'Login Data' SQLite database (saved passwords). Normal inside a browser profile; a copy elsewhere (temp folder, archive, log folder) points to a stealer"
    date = "2026-11-29"
    severity = 3
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1555/003/"
  strings:
    $t = "CREATE TABLE logins" nocase
    $c1 = "origin_url"
    $c2 = "username_value"
    $c3 = "password_value"
    $c4 = "signon_realm"
  condition:
    uint32be(0) == 0x53514C69 and uint32be(4) == 0x74652066 and
    $t and all of ($c*)
}

rule stealer_firefox_logins_json : stealers
{
  meta:
    author = "triage project"
    description = "Firefox/Thunderbird logins.json (saved passwords, decryptable with key4.db). Normal in a profile; a copy elsewhere points to a stealer"
    date = "2026-11-29"
    severity = 3
    category = "stealers"
    reference = "https://support.mozilla.org/kb/profiles-where-firefox-stores-user-data"
  strings:
    $l = "\"logins\":"
    $u = "\"encryptedUsername\":"
    $p = "\"encryptedPassword\":"
    $h = "\"hostname\":"
    $f = "\"formSubmitURL\":"
  condition:
    filesize < 50MB and $l and $u and $p and $h and $f
}

rule stealer_binary_multi_target : stealers
{
  meta:
    author = "triage project"
    description = "Executable that references Chromium and Firefox credential stores together with messenger/wallet/FTP data paths: typical infostealer target list"
    date = "2026-11-29"
    severity = 8
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1555/003/"
  strings:
    $c1 = "\\Google\\Chrome\\User Data" nocase ascii wide
    $c2 = "\\Microsoft\\Edge\\User Data" nocase ascii wide
    $c3 = "\\BraveSoftware\\Brave-Browser\\User Data" nocase ascii wide
    $c4 = "\\Yandex\\YandexBrowser\\User Data" nocase ascii wide
    $c5 = "\\Opera Software\\Opera Stable" nocase ascii wide
    $ld = "Login Data" ascii wide
    $f1 = "\\Mozilla\\Firefox\\Profiles" nocase ascii wide
    $f2 = "logins.json" ascii wide
    $f3 = "key4.db" ascii wide
    $o1 = "\\Telegram Desktop\\tdata" nocase ascii wide
    $o2 = "wallet.dat" nocase ascii wide
    $o3 = "\\Exodus\\exodus.wallet" nocase ascii wide
    $o4 = "\\Electrum\\wallets" nocase ascii wide
    $o5 = "\\discord\\Local Storage\\leveldb" nocase ascii wide
    $o6 = "\\FileZilla\\recentservers.xml" nocase ascii wide
    $o7 = "\\Steam\\config" nocase ascii wide
  condition:
    uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
    $ld and 1 of ($c*) and 1 of ($f*) and 2 of ($o*)
}

rule stealer_discord_token_grabber : stealers
{
  meta:
    author = "triage project"
    description = "Discord token grabber script/binary: reads Discord's LevelDB local storage, looks for tokens and posts to a Discord webhook"
    date = "2026-11-29"
    severity = 7
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1528/"
  strings:
    $hook = /discord(app)?\.com\/api\/webhooks\/[0-9]{5,}/ ascii wide
    $ls = "Local Storage" ascii wide
    $ldb = "leveldb" ascii wide
    $t1 = "dQw4w9WgXcQ:" ascii wide
    $t2 = "[\\w-]{24}" ascii wide
    $t3 = "mfa\\.[\\w-]{84}" ascii wide
    $t4 = "[\\w-]{24,26}\\.[\\w-]{6}\\.[\\w-]{" ascii wide
  condition:
    filesize < 20MB and $hook and $ls and $ldb and 1 of ($t*)
}

rule stealer_crypto_wallet_extension_targets : stealers
{
  meta:
    author = "triage project"
    description = "File listing the Chrome extension IDs of four or more crypto wallets (MetaMask, Phantom, Coinbase, Binance, TronLink, Ronin, Trust, Keplr, OKX ...): stealer target list"
    date = "2026-11-29"
    severity = 7
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1555/"
  strings:
    $e1 = "nkbihfbeogaeaoehlefnkodbefgpgknn" ascii wide   // MetaMask
    $e2 = "bfnaelmomeimhlpmgjnjophhpkkoljpa" ascii wide   // Phantom
    $e3 = "hnfanknocfeofbddgcijnmhnfnkdnaad" ascii wide   // Coinbase Wallet
    $e4 = "fhbohimaelbohpjbbldcngcnapndodjp" ascii wide   // Binance Wallet
    $e5 = "ibnejdfjmmkpcnlpebklmnkoeoihofec" ascii wide   // TronLink
    $e6 = "fnjhmkhhmkbjkkabndcnnogagogbneec" ascii wide   // Ronin
    $e7 = "egjidjbpglichdcondbcbdnbeeppgdph" ascii wide   // Trust Wallet
    $e8 = "dmkamcknogkgcdfhhbddcghachkejeap" ascii wide   // Keplr
    $e9 = "mcohilncbfahbmgdjkbpemcciiolgcge" ascii wide   // OKX Wallet
    $e10 = "aholpfdialjgjfhomihkjbmgjidlcdno" ascii wide  // Exodus Web3
  condition:
    filesize < 50MB and 4 of them
}

rule stealer_telegram_session_theft : stealers
{
  meta:
    author = "triage project"
    description = "Script or binary that copies Telegram Desktop session data (tdata folder, key_datas file and the D877F783D5D3EF8C map folder): session hijacking"
    date = "2026-11-29"
    severity = 7
    category = "stealers"
    reference = "https://attack.mitre.org/techniques/T1539/"
  strings:
    $tdata = "tdata" ascii wide
    $map = "D877F783D5D3EF8C" ascii wide
    $key = "key_datas" ascii wide
  condition:
    filesize < 20MB and all of them
}
