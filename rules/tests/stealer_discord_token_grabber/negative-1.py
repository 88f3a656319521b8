import json, urllib.request
WEBHOOK = "https://discord.com/api/webhooks/000000000000000000/SYNTHETIC"
def notify(build):
    urllib.request.urlopen(WEBHOOK, json.dumps({"content": "build %s passed" % build}).encode())
