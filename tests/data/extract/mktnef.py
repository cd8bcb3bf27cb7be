#!/usr/bin/python3
"""mktnef.py - write winmail.dat, a small TNEF stream (MS-OXTNEF) as
Outlook and Exchange send it, for tests/unit/extract_test.c and
tests/scan/t-extract.sh. No Debian package writes TNEF (ytnef and tnef only
read it); make.sh runs this and checks the result with ytnef(1).

    mktnef.py OUT

The stream holds the message class, a subject, a plain-text body
(attBody), the message's MAPI properties with a Unicode body (PR_BODY_W,
as Outlook writes it) and an RTF body (PR_RTF_COMPRESSED, in the
uncompressed "MELA" form of MS-OXRTFCP), and two attachments: notes.txt, and a file whose
name is only in the attachment's MAPI properties (PR_ATTACH_LONG_FILENAME).
The card numbers were generated (Luhn-valid, no real card); the IBAN is the
ISO 13616 example; the key id is shaped like an AWS key id and is none.
"""
import struct
import sys

LVL_MESSAGE, LVL_ATTACHMENT = 1, 2
# attribute ids: type << 16 | id (MS-OXTNEF 2.1.3.2)
attTnefVersion = 0x00089006
attOemCodepage = 0x00069007
attMessageClass = 0x00078008
attSubject = 0x00018004
attBody = 0x0002800C
attMsgProps = 0x00069003
attAttachRendData = 0x00069002
attAttachTitle = 0x00018010
attAttachData = 0x0006800F
attAttachment = 0x00069005


def attr(level, aid, data):
    return (struct.pack("<BII", level, aid, len(data)) + data +
            struct.pack("<H", sum(data) & 0xFFFF))


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def mapi_props(props):
    """props: (type, id, bytes) for PT_UNICODE (0x1F), PT_BINARY (0x102)
    and PT_STRING8 (0x1E): one value each."""
    out = struct.pack("<I", len(props))
    for ptype, pid, value in props:
        out += struct.pack("<HHII", ptype, pid, 1, len(value)) + pad4(value)
    return out


def utf16(s):
    return (s + "\0").encode("utf-16-le")


def main():
    body = ("Body: CONFIDENTIAL card 4539 3016 6131 8604 IBAN DE89 3704 0044 "
            "0532 0130 00\r\n")
    body_w = "Unicode body: key AKIAEXFILTESTKEY2345 card 5105 5260 1815 9084\r\n"
    notes = b"Attached: card 6011 0824 6281 9485 key AKIAEXFILTESTKEY2345\n"
    plan = b"Plan: CONFIDENTIAL IBAN DE89 3704 0044 0532 0130 00\n"
    rend = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)
    s = struct.pack("<IH", 0x223E9F78, 0x0001)
    s += attr(LVL_MESSAGE, attTnefVersion, struct.pack("<I", 0x00010000))
    s += attr(LVL_MESSAGE, attOemCodepage, struct.pack("<II", 1252, 0))
    s += attr(LVL_MESSAGE, attMessageClass, b"IPM.Microsoft Mail.Note\0")
    s += attr(LVL_MESSAGE, attSubject, b"Q3 payouts\0")
    s += attr(LVL_MESSAGE, attBody, body.encode("ascii") + b"\0")
    rtf = (b"{\\rtf1\\ansi\\ansicpg1252 RTF body: card 3714 9139 0996 033 "
           b"\\par CONFIDENTIAL}")
    rtf_c = struct.pack("<IIII", len(rtf) + 12, len(rtf), 0x414C454D, 0) + rtf
    s += attr(LVL_MESSAGE, attMsgProps,
              mapi_props([(0x001F, 0x1000, utf16(body_w)),
                          (0x0102, 0x1009, rtf_c)]))
    # first attachment: rendering data, title, data
    s += attr(LVL_ATTACHMENT, attAttachRendData, rend)
    s += attr(LVL_ATTACHMENT, attAttachTitle, b"notes.txt\0")
    s += attr(LVL_ATTACHMENT, attAttachData, notes)
    # second: a short 8.3 title, the long name in the MAPI properties
    s += attr(LVL_ATTACHMENT, attAttachRendData, rend)
    s += attr(LVL_ATTACHMENT, attAttachTitle, b"PLAN~1.TXT\0")
    s += attr(LVL_ATTACHMENT, attAttachData, plan)
    s += attr(LVL_ATTACHMENT, attAttachment,
              mapi_props([(0x001F, 0x3707, utf16("Payout plan.txt"))]))
    with open(sys.argv[1], "wb") as f:
        f.write(s)


main()
