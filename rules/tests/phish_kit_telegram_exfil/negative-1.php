<?php
$token = "0000000000:SYNTHETIC";
$msg = "New order #" . $_POST["order_id"] . " from " . $_POST["name"];
file_get_contents("https://api.telegram.org/bot" . $token . "/sendMessage?chat_id=1&text=" . urlencode($msg));
?>
