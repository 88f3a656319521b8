<?php
$name = htmlspecialchars($_POST["name"]);
exec("ls -l /var/www/uploads", $out);
echo $name;
?>
