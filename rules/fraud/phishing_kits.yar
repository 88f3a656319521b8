/*
  Fraud and phishing kits: credential harvesting back ends (Telegram bot API, mail()), anti-bot
  cloaking, cloned bank/login pages and the result logs kits write. Severity: integer 1-10.
*/

rule phish_kit_telegram_exfil : fraud
{
  meta:
    author = "triage project"
    description = "Phishing kit back end sending harvested form fields (password, card, CVV, PIN, OTP ...) to a Telegram bot (api.telegram.org/bot.../sendMessage or sendDocument)"
    date = "2026-11-29"
    severity = 8
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1567/"
  strings:
    $tg = "api.telegram.org/bot" nocase
    $send = /send(Message|Document)/
    $cred = /\$_(POST|REQUEST|GET)\s*\[\s*['"](pass|password|passwd|pwd|pin|cvv|cvc|cvv2|card|cardnumber|cc|ccnum|exp|expiry|otp|sms|code|login|email|phone|user|username)['"]\s*\]/ nocase
  condition:
    filesize < 2MB and $tg and $send and #cred >= 2
}

rule phish_kit_mail_exfil : fraud
{
  meta:
    author = "triage project"
    description = "Phishing kit back end mailing a submitted password/card field together with the victim's IP address (mail() with $_POST password field and REMOTE_ADDR)"
    date = "2026-11-29"
    severity = 8
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1056/003/"
  strings:
    $mail = /\bmail\s*\(\s*\$[A-Za-z_][A-Za-z0-9_]*\s*,/
    $pw = /\$_(POST|REQUEST)\s*\[\s*['"](pass|password|passwd|pwd|pin|cvv|cvc|cvv2)['"]\s*\]/ nocase
    $ip1 = "REMOTE_ADDR" ascii
    $ip2 = "HTTP_X_FORWARDED_FOR" ascii
  condition:
    filesize < 2MB and $mail and $pw and 1 of ($ip*)
}

rule phish_kit_antibot : fraud
{
  meta:
    author = "triage project"
    description = "Phishing kit 'antibot' cloaking: inspects the visitor's user agent/IP/host name and blocks security vendors and URL scanners (four or more named)"
    date = "2026-11-29"
    severity = 6
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1480/"
  strings:
    $ua = "HTTP_USER_AGENT" ascii
    $ip = "REMOTE_ADDR" ascii
    $v1 = "phishtank" nocase
    $v2 = "netcraft" nocase
    $v3 = "kaspersky" nocase
    $v4 = "bitdefender" nocase
    $v5 = "trendmicro" nocase
    $v6 = "sophos" nocase
    $v7 = "fortinet" nocase
    $v8 = "forcepoint" nocase
    $v9 = "virustotal" nocase
    $v10 = "urlscan" nocase
    $v11 = "spamhaus" nocase
    $v12 = "sucuri" nocase
    $v13 = "zscaler" nocase
    $v14 = "mcafee" nocase
    $v15 = "symantec" nocase
    $v16 = "paloalto" nocase
    $v17 = "eset" fullword nocase
    $v18 = "safebrowsing" nocase
  condition:
    filesize < 2MB and ($ua or $ip) and 4 of ($v*)
}

rule phish_bank_clone_ua_md : fraud
{
  meta:
    author = "triage project"
    description = "Cloned login/payment page of a Ukrainian or Moldovan bank or state app (PrivatBank/Privat24, Monobank, Oschadbank, PUMB, Diia, MAIB, Moldindconbank, Victoriabank) whose form posts card/PIN/password fields to a PHP script"
    date = "2026-11-29"
    severity = 8
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1566/002/"
  strings:
    $html = "<form" nocase
    $b1 = "privat24" nocase ascii wide
    $b2 = "privatbank" nocase ascii wide
    $b3 = { D0 9F D1 80 D0 B8 D0 B2 D0 B0 D1 82 }   // "Приват" UTF-8
    $b4 = "monobank" nocase ascii wide
    $b5 = "oschadbank" nocase ascii wide
    $b6 = { D0 9E D1 89 D0 B0 D0 B4 D0 B1 D0 B0 D0 BD D0 BA }   // "Ощадбанк" UTF-8
    $b7 = "pumb.ua" nocase ascii wide
    $b8 = "diia.gov.ua" nocase ascii wide
    $b9 = "maib.md" nocase ascii wide
    $b10 = "micb.md" nocase ascii wide
    $b11 = "moldindconbank" nocase ascii wide
    $b12 = "victoriabank" nocase ascii wide
    $action = /<form[^>]{0,300}action\s*=\s*["']?[^"'\s>]{0,200}\.php/ nocase
    $f = /<input[^>]{0,200}name\s*=\s*["']?(card|cardnumber|card_number|ccnum|cvv|cvc|cvv2|pin|pincode|exp|expiry|password|pass|otp|sms_code)["'\s>]/ nocase
  condition:
    filesize < 5MB and $html and 1 of ($b*) and $action and #f >= 2
}

rule phish_saved_page_clone_php : fraud
{
  meta:
    author = "triage project"
    description = "Login page saved from a real site (browser 'saved from url' mark) but edited so its password form posts to a PHP script: typical cloned phishing page"
    date = "2026-11-29"
    severity = 7
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1566/002/"
  strings:
    $motw = "<!-- saved from url=(" nocase
    $pw = /type\s*=\s*["']?password/ nocase
    $action = /<form[^>]{0,300}action\s*=\s*["']?[^"'\s>]{0,200}\.php/ nocase
  condition:
    filesize < 5MB and $motw in (0 .. 1024) and $pw and $action
}

rule phish_kit_result_log : fraud
{
  meta:
    author = "triage project"
    description = "Phishing kit result log: two or more harvested login/password records, each with the victim's IP address and browser user agent"
    date = "2026-11-29"
    severity = 8
    category = "fraud"
    reference = "https://attack.mitre.org/techniques/T1056/003/"
  strings:
    $rec = /(E-?mail|Login|User(name)?|Phone|ID)\s*:\s*[^\r\n]{3,100}\r?\n[^\r\n]{0,40}Pass(word)?\s*:\s*[^\r\n]{1,100}\r?\n/ nocase
    $ip = /IP( Address)?\s*:\s*[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/ nocase
    $ua = /(User-?Agent|Browser)\s*:\s*Mozilla\/[0-9]/ nocase
  condition:
    filesize < 50MB and #rec >= 2 and #ip >= 2 and $ua
}
