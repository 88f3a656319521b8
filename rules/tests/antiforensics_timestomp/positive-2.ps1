$f = Get-Item "C:\Temp\tool.exe"
$t = Get-Date "2015-01-01 10:00"
$f.CreationTime = $t
$f.LastWriteTime = $t
$f.LastAccessTime = $t
