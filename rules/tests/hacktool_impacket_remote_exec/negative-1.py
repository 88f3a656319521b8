from impacket.smbconnection import SMBConnection

conn = SMBConnection("192.0.2.5", "192.0.2.5")
conn.login("guest", "")
for share in conn.listShares():
    print(share)
