<?php
$ua = $_SERVER["HTTP_USER_AGENT"];
if (preg_match("/googlebot|bingbot|yandexbot/i", $ua)) { header("X-Robots-Tag: noindex"); }
?>
