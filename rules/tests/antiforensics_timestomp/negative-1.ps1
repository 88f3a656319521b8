$f = Get-Item "C:\Build\out.dll"
$f.LastWriteTime = Get-Date
