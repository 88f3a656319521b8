/*
  Cryptocurrency wallets and keys: wallet files of common clients, encrypted vaults, private keys
  in text. Severity: integer 1-10 (see rules/README.md). The BIP39 seed-phrase rule is generated
  into seed_phrases.yar beside this file.
*/

rule crypto_bitcoin_core_wallet_bdb : crypto
{
  meta:
    author = "triage project"
    description = "Bitcoin Core (or fork) legacy wallet.dat: Berkeley DB B-tree file holding wallet record types (key, ckey, mkey, name, pool, hdchain ...)"
    date = "2026-11-29"
    severity = 9
    category = "crypto"
    reference = "https://en.bitcoin.it/wiki/Wallet"
  strings:
    // record type names are stored length-prefixed (compact size) in the key of each record
    $r1 = "\x03key"
    $r2 = "\x04ckey"
    $r3 = "\x04mkey"
    $r4 = "\x04name"
    $r5 = "\x04pool"
    $r6 = "\x07hdchain"
    $r7 = "\x07keymeta"
    $r8 = "\x0adefaultkey"
    $r9 = "\x0aminversion"
    $r10 = "\x09bestblock"
    $r11 = "\x0corderposnext"
  condition:
    uint32(12) == 0x00053162 and   // Berkeley DB B-tree meta page magic
    3 of ($r*)
}

rule crypto_bitcoin_core_wallet_sqlite : crypto
{
  meta:
    author = "triage project"
    description = "Bitcoin Core descriptor wallet (SQLite): key/value table 'main' with descriptor wallet records"
    date = "2026-11-29"
    severity = 9
    category = "crypto"
    reference = "https://github.com/bitcoin/bitcoin/blob/master/doc/managing-wallets.md"
  strings:
    $main = "CREATE TABLE main" nocase
    $k1 = "walletdescriptor"
    $k2 = "activeexternalspk"
    $k3 = "activeinternalspk"
    $k4 = "bestblock_nomerkle"
    $k5 = "walletdescriptorkey"
    $k6 = "walletdescriptorckey"
  condition:
    uint32be(0) == 0x53514C69 and uint32be(4) == 0x74652066 and   // "SQLite f"
    $main and 2 of ($k*)
}

rule crypto_electrum_wallet_plain : crypto
{
  meta:
    author = "triage project"
    description = "Electrum wallet file, not encrypted as a whole (JSON with seed_version, wallet_type and keystore or address history)"
    date = "2026-11-29"
    severity = 8
    category = "crypto"
    reference = "https://electrum.readthedocs.io/en/latest/faq.html"
  strings:
    $seed_version = "\"seed_version\":"
    $wallet_type = "\"wallet_type\":"
    $o1 = "\"keystore\":"
    $o2 = "\"addr_history\":"
    $o3 = "\"use_encryption\":"
    $o4 = "\"stored_height\":"
  condition:
    uint8(0) == 0x7B and filesize < 100MB and
    $seed_version and $wallet_type and 2 of ($o*)
}

rule crypto_electrum_wallet_encrypted : crypto
{
  meta:
    author = "triage project"
    description = "Electrum-style ECIES blob at the start of a file (base64 of 'BIE1' + compressed ephemeral public key + ciphertext): typically a password-encrypted Electrum wallet"
    date = "2026-11-29"
    severity = 7
    category = "crypto"
    reference = "https://electrum.readthedocs.io/en/latest/faq.html"
  strings:
    $bie1 = /QklFMQ[A-Za-z0-9+\/]{120}/
  condition:
    $bie1 at 0 and filesize < 100MB
}

rule crypto_metamask_vault : crypto
{
  meta:
    author = "triage project"
    description = "MetaMask-style encrypted vault (JSON data/iv/salt, possibly escaped inside the extension's LevelDB store); holds the seed phrase, decryptable with the user's password"
    date = "2026-11-29"
    severity = 8
    category = "crypto"
    reference = "https://support.metamask.io/configure/wallet/how-to-recover-your-secret-recovery-phrase/"
  strings:
    $data = /\\?"data\\?":\s?\\?"[A-Za-z0-9+\/]{64,}={0,2}\\?"/
    $iv = /\\?"iv\\?":\s?\\?"[A-Za-z0-9+\/]{16,32}={0,2}\\?"/
    $salt = /\\?"salt\\?":\s?\\?"[A-Za-z0-9+\/]{16,64}={0,2}\\?"/
  condition:
    filesize < 200MB and $data and $iv and $salt and
    // the three fields of one vault sit close together
    for any i in (1 .. #iv) : ( $salt in (@iv[i] - 2048 .. @iv[i] + 2048) and $data in (@iv[i] - 65536 .. @iv[i] + 1024) )
}

rule crypto_ethereum_keystore_v3 : crypto
{
  meta:
    author = "triage project"
    description = "Ethereum V3 keystore (UTC--... file of geth, MyEtherWallet and others): encrypted private key with KDF parameters"
    date = "2026-11-29"
    severity = 8
    category = "crypto"
    reference = "https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/"
  strings:
    $ct = "\"ciphertext\""
    $cp = "\"cipherparams\""
    $kp = "\"kdfparams\""
    $mac = "\"mac\""
    $kdf = /"kdf"\s*:\s*"(scrypt|pbkdf2)"/
    $ver = /"version"\s*:\s*3[^0-9]/
  condition:
    filesize < 64KB and all of them
}

rule crypto_private_key_wif : crypto
{
  meta:
    author = "triage project"
    description = "Bitcoin private key in Wallet Import Format (5H/5J/5K... or K.../L... base58) next to a label such as 'private key', 'WIF' or importprivkey"
    date = "2026-11-29"
    severity = 9
    category = "crypto"
    reference = "https://en.bitcoin.it/wiki/Wallet_import_format"
  strings:
    $wif = /(private[ _]?key|Private[ _]?[Kk]ey|PRIVATE[ _]?KEY|privkey|PrivKey|WIF|wif|importprivkey|dumpprivkey)[^\r\n]{0,24}[\s:="'](5[HJK][1-9A-HJ-NP-Za-km-z]{49}|[KL][1-9A-HJ-NP-Za-km-z]{51})([^1-9A-HJ-NP-Za-km-z]|$)/
  condition:
    filesize < 50MB and $wif
}

rule crypto_bitcoin_core_wallet_dump : crypto
{
  meta:
    author = "triage project"
    description = "Text export of a Bitcoin Core wallet made with dumpwallet: every private key of the wallet in clear"
    date = "2026-11-29"
    severity = 10
    category = "crypto"
    reference = "https://developer.bitcoin.org/reference/rpc/dumpwallet.html"
  strings:
    $h1 = "# Wallet dump created by Bitcoin"
    $h2 = "# * Created on"
    $k1 = "# extended private masterkey:"
    $k2 = " # addr="
  condition:
    filesize < 200MB and $h1 and $h2 and ($k1 or #k2 >= 2)
}

rule crypto_bip32_extended_private_key : crypto
{
  meta:
    author = "triage project"
    description = "BIP32 extended private key (xprv/yprv/zprv/tprv ... 111 base58 characters): controls every address of an HD wallet"
    date = "2026-11-29"
    severity = 9
    category = "crypto"
    reference = "https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki"
  strings:
    $x = /(^|[^1-9A-HJ-NP-Za-km-z])(xprv|yprv|zprv|tprv|uprv|vprv|Yprv|Zprv)[1-9A-HJ-NP-Za-km-z]{107}([^1-9A-HJ-NP-Za-km-z]|$)/
  condition:
    filesize < 100MB and $x
}
