#!/bin/sh
shred -vzu -n 3 /home/test/notes.txt
dd if=/dev/zero of=/dev/sdb bs=1M status=progress
