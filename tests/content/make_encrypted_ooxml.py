# Writes a minimal compound file (CFB v3, 512-byte sectors) holding the two streams of a
# password-protected OOXML document, EncryptionInfo and EncryptedPackage (4096 random bytes each,
# so no mini stream), for the entropy detector test. file(1) calls the result "CDFV2 Encrypted".
# Debian 12 has no tool that encrypts OOXML (msoffcrypto-tool 5.0 only decrypts).
# Usage: python3 make_encrypted_ooxml.py OUT
import os
import struct
import sys


def entry(name, typ, start, size, child=0xFFFFFFFF, left=0xFFFFFFFF, right=0xFFFFFFFF):
    n = name.encode('utf-16-le') + b'\0\0' if name else b''
    e = n.ljust(64, b'\0') + struct.pack('<HBBIII', len(n), typ, 1, left, right, child)
    e += b'\0' * 16 + struct.pack('<I', 0) + b'\0' * 16 + struct.pack('<IQ', start, size)
    assert len(e) == 128
    return e
hdr = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + b'\0' * 16 + struct.pack('<HHHHH', 0x3E, 3, 0xFFFE, 9, 6)
hdr += b'\0' * 6 + struct.pack('<IIIIIIII', 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE) + struct.pack('<I', 0)
hdr += struct.pack('<I', 0) + b'\xff' * (436 - 4)
hdr = hdr[:76] + struct.pack('<I', 0) + b'\xff\xff\xff\xff' * 108
assert len(hdr) == 512, len(hdr)
fat = [0xFFFFFFFD, 0xFFFFFFFE] + list(range(3, 10)) + [0xFFFFFFFE] + list(range(11, 18)) + [0xFFFFFFFE]
fat += [0xFFFFFFFF] * (128 - len(fat))
fat = struct.pack('<128I', *fat)
d = entry('Root Entry', 5, 0xFFFFFFFE, 0, child=1) + entry('EncryptionInfo', 2, 10, 4096, right=2)
d += entry('EncryptedPackage', 2, 2, 4096) + entry('', 0, 0, 0)
open(sys.argv[1], 'wb').write(hdr + fat + d + os.urandom(8192))
