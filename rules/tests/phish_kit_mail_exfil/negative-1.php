<?php
$ip = $_SERVER["REMOTE_ADDR"];
$body = "From: " . $_POST["email"] . "\n" . $_POST["message"] . "\nIP: " . $ip;
mail($admin, "Contact form", $body);
?>
