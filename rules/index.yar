/*
  triage's shipped YARA rule set: every category file, included by relative path (resolved from
  this file's folder), so `yara rules/index.yar TARGET` loads the whole set. Each category file
  also compiles on its own. Keep this list in step with the folders (the [rules] test checks it).
*/

include "crypto/wallets.yar"
include "crypto/seed_phrases.yar"
include "ransomware/notes.yar"
include "stealers/logs.yar"
include "remote_access/tools.yar"
include "anonymity/tor.yar"
include "exploits/documents.yar"
include "exploits/webshells.yar"
include "fraud/phishing_kits.yar"
include "anti_forensics/wipers.yar"
