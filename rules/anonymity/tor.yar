/*
  Tor and other anonymity tools: configuration, onion service keys, onion addresses, Tor Browser
  profiles and binaries, proxychains and I2P. Mostly context for an investigation rather than
  evidence of a crime: severities are low to medium. Severity: integer 1-10.
*/

rule tor_torrc_config : anonymity
{
  meta:
    author = "triage project"
    description = "Tor configuration file (torrc): three or more Tor directives at line starts (SocksPort, ControlPort, HiddenServiceDir/Port, UseBridges, ClientTransportPlugin, ExitNodes ...)"
    date = "2026-11-29"
    severity = 4
    category = "anonymity"
    reference = "https://2019.www.torproject.org/docs/tor-manual.html.en"
  strings:
    $d1 = /(^|\n)[ \t]*SocksPort[ \t]+[0-9A-Za-z]/
    $d2 = /(^|\n)[ \t]*ControlPort[ \t]+[0-9A-Za-z]/
    $d3 = /(^|\n)[ \t]*HiddenServiceDir[ \t]+\S/
    $d4 = /(^|\n)[ \t]*HiddenServicePort[ \t]+[0-9]/
    $d5 = /(^|\n)[ \t]*UseBridges[ \t]+[01]/
    $d6 = /(^|\n)[ \t]*ClientTransportPlugin[ \t]+\S/
    $d7 = /(^|\n)[ \t]*(ExitNodes|EntryNodes|ExcludeNodes|StrictNodes)[ \t]+\S/
    $d8 = /(^|\n)[ \t]*(CookieAuthentication|HashedControlPassword)[ \t]+\S/
    $d9 = /(^|\n)[ \t]*Bridge[ \t]+(obfs4|meek|snowflake|webtunnel)[ \t]/
    $d10 = /(^|\n)[ \t]*(ORPort|ExitPolicy|ExitRelay)[ \t]+\S/
  condition:
    filesize < 256KB and 3 of them
}

rule tor_onion_service_key_file : anonymity
{
  meta:
    author = "triage project"
    description = "Tor v3 onion service key file (hs_ed25519_secret_key / hs_ed25519_public_key): whoever holds the secret key operates that .onion site"
    date = "2026-11-29"
    severity = 7
    category = "anonymity"
    reference = "https://spec.torproject.org/rend-spec/"
  strings:
    $sec = "== ed25519v1-secret: type0 ==\x00\x00\x00"
    $pub = "== ed25519v1-public: type0 ==\x00\x00\x00"
  condition:
    ($sec at 0 and filesize == 96) or ($pub at 0 and filesize == 64)
}

rule tor_onion_v3_address : anonymity
{
  meta:
    author = "triage project"
    description = "Tor v3 onion address (56 base32 characters ending in 'd', then .onion) in any file: visited or published hidden services"
    date = "2026-11-29"
    severity = 3
    category = "anonymity"
    reference = "https://spec.torproject.org/rend-spec/encoding-onion-addresses.html"
  strings:
    $a = /(^|[^a-z2-7])[a-z2-7]{55}d\.onion([^a-z0-9]|$)/ ascii wide
  condition:
    $a
}

rule tor_browser_profile : anonymity
{
  meta:
    author = "triage project"
    description = "Tor Browser profile preferences (prefs.js / user.js) or launcher settings: two or more Tor Browser specific preference names"
    date = "2026-11-29"
    severity = 4
    category = "anonymity"
    reference = "https://tb-manual.torproject.org/"
  strings:
    $p1 = "torbrowser.version" ascii wide
    $p2 = "extensions.torlauncher." ascii wide
    $p3 = "extensions.torbutton." ascii wide
    $p4 = "torbrowser.settings." ascii wide
    $p5 = "TorBrowser-Data" ascii wide
    $p6 = "browser.torbrowser." ascii wide
  condition:
    filesize < 10MB and 2 of them
}

rule tor_daemon_binary : anonymity
{
  meta:
    author = "triage project"
    description = "Tor daemon executable or library (PE, ELF or Mach-O) identified by Tor's own startup and configuration strings"
    date = "2026-11-29"
    severity = 4
    category = "anonymity"
    reference = "https://www.torproject.org/download/tor/"
  strings:
    $s1 = "Tor can't help you if you use it wrong!" ascii
    $s2 = "Bootstrapped %d%%" ascii
    $s3 = "HiddenServiceDir" ascii
    $s4 = "ClientTransportPlugin" ascii
    $s5 = "onion-key" ascii
  condition:
    (uint16(0) == 0x5A4D or uint32(0) == 0x464C457F or uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE) and
    3 of them
}

rule anon_proxychains_tor : anonymity
{
  meta:
    author = "triage project"
    description = "proxychains configuration routing traffic through the local Tor SOCKS port (127.0.0.1 9050/9150)"
    date = "2026-11-29"
    severity = 4
    category = "anonymity"
    reference = "https://github.com/rofl0r/proxychains-ng"
  strings:
    $list = "[ProxyList]"
    $tor = /(^|\n)[ \t]*socks[45][ \t]+127\.0\.0\.1[ \t]+(9050|9150)\b/
    $c1 = /(^|\n)[ \t]*(strict_chain|dynamic_chain|random_chain|round_robin_chain)\b/
  condition:
    filesize < 128KB and $list and $tor and $c1
}

rule anon_i2p_tunnel_config : anonymity
{
  meta:
    author = "triage project"
    description = "I2P router tunnel configuration (i2ptunnel.config or tunnels.d/*.config): numbered tunnel entries with type, listen port and I2CP settings"
    date = "2026-11-29"
    severity = 4
    category = "anonymity"
    reference = "https://geti2p.net/en/docs/api/i2ptunnel"
  strings:
    $t1 = /tunnel\.[0-9]{1,3}\.type=(httpclient|client|server|httpserver|ircclient|sockstunnel|streamrclient|streamrserver|httpbidirserver|connectclient|ircserver)/
    $t2 = /tunnel\.[0-9]{1,3}\.i2cpPort=/
    $t3 = /tunnel\.[0-9]{1,3}\.i2cpHost=/
    $t4 = /tunnel\.[0-9]{1,3}\.listenPort=/
    $t5 = /tunnel\.[0-9]{1,3}\.privKeyFile=/
    $t6 = /tunnel\.[0-9]{1,3}\.option\.i2cp\./
  condition:
    filesize < 1MB and $t1 and 2 of ($t2, $t3, $t4, $t5, $t6)
}
