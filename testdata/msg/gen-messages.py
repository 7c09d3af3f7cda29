#!/usr/bin/python3
"""Regenerate the small test messages in testdata/msg/ byte-exactly.

Run from anywhere with /usr/bin/python3:  /usr/bin/python3 gen-messages.py
Files are written next to this script. Every byte is spelled out below
(CR = b"\\r", LF = b"\\n"); nothing depends on the platform or an editor.
attachment.eml is made by gen-attachment.py instead.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = b"\r\n"
LF = b"\n"


def lines(*ls, eol=CRLF):
    """Join lines, each followed by eol."""
    return b"".join(l + eol for l in ls)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def std_headers(tag, subject, date="Mon, 30 Nov 2026 10:00:00 +0000",
                frm=b"Alice Example <alice@example.com>",
                to=b"Bob Example <bob@example.net>"):
    return [
        b"From: " + frm,
        b"To: " + to,
        b"Subject: " + subject,
        b"Date: " + date.encode(),
        b"Message-ID: <" + tag + b".20261130@example.com>",
    ]


# ---------------------------------------------------------------- basic
BASIC_HEADERS = std_headers(b"basic", b"Basic test message") + [
    b"MIME-Version: 1.0",
    b"Content-Type: text/plain; charset=us-ascii",
]
BASIC_BODY = [
    b"Hello Bob,",
    b"",
    b"This is a plain text test message. It has a few short lines,",
    b"one empty line in the middle and a signature separator.",
    b"",
    b"-- ",          # standard sig separator: note the trailing space
    b"Alice",
]
write("crlf-basic.eml", lines(*BASIC_HEADERS, b"", *BASIC_BODY, eol=CRLF))
write("lf-basic.eml", lines(*BASIC_HEADERS, b"", *BASIC_BODY, eol=LF))

# ------------------------------------------------------ empty / no body
EMPTY_HEADERS = std_headers(b"empty-body", b"Message with an empty body",
                            date="Mon, 30 Nov 2026 10:01:00 +0000")
# header block, the empty separator line, then nothing at all
write("empty-body.eml", lines(*EMPTY_HEADERS, b""))

NOBODY_HEADERS = std_headers(b"no-body", b"Message with no body at all",
                             date="Mon, 30 Nov 2026 10:02:00 +0000")
# header block only; file ends with the CRLF of the last header field
write("no-body.eml", lines(*NOBODY_HEADERS))

# ----------------------------------------------------- trailing blanks
write("trailing-blank-lines.eml", lines(
    *std_headers(b"trailing-blank-lines", b"Body ends with empty lines",
                 date="Mon, 30 Nov 2026 10:03:00 +0000"),
    b"",
    b"First line.",
    b"",
    b"",
    b"Third paragraph; the two empty lines above must be kept.",
    b"",
    b"",
    b"",
    b"",
    b"",
))

# ---------------------------------------------------- whitespace lines
write("whitespace-lines.eml", lines(
    *std_headers(b"whitespace-lines", b"Whitespace in the body",
                 date="Mon, 30 Nov 2026 10:04:00 +0000"),
    b"",
    b"Leading  and   inner    spaces",
    b"\tTab\tseparated\t\tcolumns",
    b"Mixed \t \t runs  \t\t  of whitespace",
    b"Trailing spaces   ",
    b"Trailing tabs\t\t",
    b"Trailing mix \t \t",
    b"   ",                       # spaces only
    b"\t\t",                      # tabs only
    b" \t \t ",                   # mixed only
    b"",                          # really empty
    b"    Indented line",
    b"\tTab-indented line\t",
    b"Last text line",
    b"  ",                        # body ends with whitespace-only lines
    b"\t",
    b" \t",
))

# ------------------------------------------------------ folded headers
write("folded-headers.eml", (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>,\r\n"
    b"\tCarol Example <carol@example.net>,\r\n"
    b"    Dave Example <dave@example.net>  \r\n"
    b"Subject: This is a long subject line\r\n"
    b" that has been folded   \r\n"
    b"\tover several lines\r\n"
    b"  \t with mixed  whitespace\t \r\n"
    b"Date: Mon, 30 Nov 2026 10:05:00 +0000\r\n"
    b"Message-ID: <folded-headers.20261130@example.com>\r\n"
    b"X-Folded-Empty-First-Line:\r\n"
    b" value starts on the continuation line\r\n"
    b"\r\n"
    b"The To and Subject header fields of this message are folded.\r\n"
))

# --------------------------------------------- WSP before the colon
write("obs-header-space.eml", (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>\r\n"
    b"Subject  : x\r\n"                       # obs-optional: WSP before ':'
    b"Date: Mon, 30 Nov 2026 10:06:00 +0000\r\n"
    b"Message-ID: <obs-header-space.20261130@example.com>\r\n"
    b"X-Obs-Tab \t:  tab and space before the colon\r\n"
    b"\r\n"
    b"The Subject and X-Obs-Tab header fields have whitespace before the colon.\r\n"
))

# --------------------------------------------------- duplicate headers
write("duplicate-headers.eml", (
    b"Received: from mx2.example.net (mx2.example.net [192.0.2.12])\r\n"
    b"\tby mx3.example.org with ESMTPS id r3; Mon, 30 Nov 2026 10:07:03 +0000\r\n"
    b"Received: from mx1.example.net (mx1.example.net [192.0.2.11])\r\n"
    b"\tby mx2.example.net with ESMTP id r2; Mon, 30 Nov 2026 10:07:02 +0000\r\n"
    b"Received: from client.example.com (client.example.com [198.51.100.7])\r\n"
    b"\tby mx1.example.net with ESMTPSA id r1; Mon, 30 Nov 2026 10:07:01 +0000\r\n"
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>\r\n"
    b"Subject: First subject\r\n"
    b"Date: Mon, 30 Nov 2026 10:07:00 +0000\r\n"
    b"Message-ID: <duplicate-headers.20261130@example.com>\r\n"
    b"To: Carol Example <carol@example.net>\r\n"
    b"Subject: Second subject\r\n"
    b"\r\n"
    b"This message has two Subject, three Received and two To header fields.\r\n"
))

# ---------------------------------------------------------------- utf-8
NBSP = "\u00a0".encode("utf-8")       # C2 A0: not WSP, must survive relaxed
write("utf8.eml", lines(
    "From: Zoë Ångström <zoe@example.com>".encode("utf-8"),
    "To: Jürgen Müller <juergen@example.net>".encode("utf-8"),
    "Subject: Grüße aus Köln — ünïcødé ✓ 日本語".encode("utf-8"),
    b"Date: Mon, 30 Nov 2026 10:08:00 +0000",
    b"Message-ID: <utf8.20261130@example.com>",
    b"MIME-Version: 1.0",
    b"Content-Type: text/plain; charset=utf-8",
    b"Content-Transfer-Encoding: 8bit",
    b"",
    "Grüße, Jürgen!".encode("utf-8"),
    b"",
    "Ελληνικά, русский, 日本語, emoji 🎉.".encode("utf-8"),
    b"No-break spaces are not WSP: a" + NBSP + b"b, a " + NBSP + b" b, end" + NBSP,
    "Zoë".encode("utf-8"),
))

# ----------------------------------------------------------- long lines
FOX = b"The quick brown fox jumps over the lazy dog. "


def fill(pattern, n):
    return (pattern * (n // len(pattern) + 1))[:n]


L1 = fill(FOX, 5000)                                    # 5000 chars
L2 = fill(b"0123456789abcdefghijklmnopqrstuvwxyz", 6000)  # 6000, no WSP
L3 = fill(b"Lorem  ipsum\tdolor   sit amet, ", 5500) + b"   "  # WSP runs + trailing
L4 = fill(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ-", 10000)            # 10000 chars
write("long-lines.eml", lines(
    *std_headers(b"long-lines", b"Body lines longer than 998 characters",
                 date="Mon, 30 Nov 2026 10:09:00 +0000"),
    b"",
    b"The next four lines are 5000, 6000, 5503 and 10000 characters long.",
    L1, L2, L3, L4,
    b"End.",
))

# ------------------------------------------------------ mbox postmark
MBOX_HEADERS = [
    b"From: Sender Example <sender@example.org>",
    b"To: Bob Example <bob@example.net>",
    b"Subject: Message with an mbox postmark line",
    b"Date: Mon, 30 Nov 2026 10:00:00 +0000",
    b"Message-ID: <mbox-from.20261130@example.org>",
]
MBOX_BODY = [b"The first line of this file is an mbox \"From \" postmark,",
             b"not a header field. Strip it before signing or verifying."]
POSTMARK = b"From sender@example.org Mon Nov 30 10:00:00 2026"
write("mbox-from.eml", lines(POSTMARK, *MBOX_HEADERS, b"", *MBOX_BODY, eol=CRLF))
write("mbox-from-lf.eml", lines(POSTMARK, *MBOX_HEADERS, b"", *MBOX_BODY, eol=LF))

# ------------------------------------------------------ no final EOL
write("no-final-newline.eml", lines(
    *std_headers(b"no-final-newline", b"Last body line has no line ending",
                 date="Mon, 30 Nov 2026 10:10:00 +0000"),
    b"",
    b"First line.",
) + b"Last line, no CRLF after it.")

# Unterminated last line with trailing whitespace (dkimpy and the RFC differ).
write("no-final-newline-wsp.eml", lines(
    *std_headers(b"no-final-newline-wsp",
                 b"Unterminated last line ending in whitespace",
                 date="Mon, 30 Nov 2026 10:11:00 +0000"),
    b"",
    b"First line.",
) + b"Last line, trailing  \t whitespace, no CRLF \t ")

# ------------------------------------------------------------ bare CR
write("bare-cr.eml", (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>\r\n"
    b"Subject: Bare CR\rinside the subject\r\n"      # bare CR in a header value
    b"Date: Mon, 30 Nov 2026 10:12:00 +0000\r\n"
    b"Message-ID: <bare-cr.20261130@example.com>\r\n"
    b"\r\n"
    b"A bare CR follows:\rand the line goes on.\r\n"  # bare CR in a body line
    b"Whitespace around a bare CR:  \r\t here.\r\n"
    b"Last line.\r\n"
))

# Bare CR at the end of a header value / a body line (just before CRLF).
write("bare-cr-edge.eml", (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>\r\n"
    b"Subject: Bare CR at line ends\r\n"
    b"Date: Mon, 30 Nov 2026 10:13:00 +0000\r\n"
    b"Message-ID: <bare-cr-edge.20261130@example.com>\r\n"
    b"X-Bare-CR-End: value ends with a bare CR\r\r\n"
    b"\r\n"
    b"This line ends with spaces and a bare CR  \r\r\n"
    b"\r\r\n"                                         # line that is only a CR
    b"Next line is empty, then the body ends with a CR-only line.\r\n"
    b"\r\n"
    b"\r\r\n"
))

# ------------------------------------------------- mixed line endings
write("mixed-eol.eml", (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob Example <bob@example.net>\n"             # bare LF ends a header
    b"Subject: Mixed line endings\r\n"
    b"Date: Mon, 30 Nov 2026 10:14:00 +0000\r\n"
    b"Message-ID: <mixed-eol.20261130@example.com>\r\n"
    b"\n"                                              # separator is a bare LF
    b"CRLF line.\r\n"
    b"LF line.\n"
    b"CRLF line with trailing space \r\n"
    b"LF line with trailing tab\t\n"
    b"\n"
    b"\r\n"
))

# --------------------------------------------------------- three.mbox
def mbox_msg(n, subj, body, day):
    return lines(
        b"From sender%d@example.org %s Nov %2d 10:00:00 2026" % (n, day[0], day[1]),
        b"From: Sender %d <sender%d@example.org>" % (n, n),
        b"To: Bob Example <bob@example.net>",
        b"Subject: " + subj,
        b"Date: %s, %d Nov 2026 10:00:00 +0000" % (day[0], day[1]),
        b"Message-ID: <three-%d.20261130@example.org>" % n,
        b"",
        *body,
        b"",                       # mbox: empty line before the next postmark
        eol=LF)


write("three.mbox",
      mbox_msg(1, b"First message in the mbox", [
          b"This is message one.",
      ], (b"Wed", 25)) +
      mbox_msg(2, b"Second message, with a quoted From line", [
          b"This is message two. The next body line began with \"From \"",
          b"and was quoted by the mbox writer:",
          b">From here on, the line starts with a quoted From.",
          b"End of message two.",
      ], (b"Thu", 26)) +
      mbox_msg(3, b"Third message in the mbox", [
          b"This is message three.",
          b"",
          b"It has two paragraphs.",
      ], (b"Fri", 27)))
