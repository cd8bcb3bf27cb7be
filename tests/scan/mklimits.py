#!/usr/bin/python3
"""mklimits.py DIR - messages that cross the header and line limits."""
import sys
out = sys.argv[1]
with open(out + "/many-headers.eml", "w") as f:
    for i in range(50):
        f.write("X-Note-%d: n%d\r\n" % (i, i))
    f.write("Subject: card 4111 1111 1111 1111\r\n\r\nbody\r\n")
with open(out + "/long-header.eml", "w") as f:
    f.write("Subject: " + "x" * 5000 + " card 4111 1111 1111 1111\r\n\r\nbody\r\n")
with open(out + "/long-line.eml", "w") as f:
    f.write("Subject: hi\r\n\r\n" + "y" * 3000 + "\r\nshort\r\n")
