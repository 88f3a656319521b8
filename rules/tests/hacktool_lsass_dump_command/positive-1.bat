rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\out.dmp full
