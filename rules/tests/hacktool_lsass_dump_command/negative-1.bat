procdump64.exe -accepteula -ma notepad.exe notepad.dmp
regsvr32 comsvcs.dll
