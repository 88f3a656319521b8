#!/bin/sh
nc -zv 192.0.2.10 22
ncat --ssl -l 4444 > received.bin
bash -i
