del /f /q C:\Users\test\secret.txt
cipher /w:C:\
