#!/bin/sh
# write installer to the USB stick
dd if=debian-12.iso of=/dev/sdb bs=4M conv=fsync
shred --help
cipher /e C:\Secure
