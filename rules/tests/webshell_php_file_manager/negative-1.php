<?php
if (isset($_FILES["photo"])) {
  $dst = getcwd() . "/uploads/" . basename($_FILES["photo"]["name"]);
  move_uploaded_file($_FILES["photo"]["tmp_name"], $dst);
  chmod($dst, 0644);
  echo "free: " . disk_free_space("/");
}
?>
