@echo off
rem weekly maintenance
vssadmin list shadows
wbadmin start backup -backupTarget:E: -include:C: -quiet
vssadmin delete shadows /for=c: /oldest
