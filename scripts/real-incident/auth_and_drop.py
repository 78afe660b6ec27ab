#!/usr/bin/python3
"""One brute-force try that drops the connection right after a failed AUTH.

swaks always says QUIT, even with --quit-after AUTH; a bot just hangs up.
This does EHLO, STARTTLS, EHLO, AUTH PLAIN, and on failure closes the TCP
connection without QUIT, so Postfix logs "lost connection after AUTH".
Loopback only: make.sh passes a 127.0.0.0/8 or ::1 server.

usage: auth_and_drop.py SERVER PORT SOURCE_IP HELO USER PASSWORD
"""
import smtplib
import ssl
import sys

server, port, source, helo, user, password = sys.argv[1:7]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(server, int(port), local_hostname=helo,
                 source_address=(source, 0), timeout=20)
s.ehlo()
s.starttls(context=ctx)
s.ehlo()
s.user, s.password = user, password
try:
    s.auth("PLAIN", s.auth_plain)
    print("AUTH accepted?!")
    s.quit()
except smtplib.SMTPAuthenticationError as e:
    print("AUTH failed:", e.smtp_code, e.smtp_error.decode(errors="replace"))
    s.close()   # no QUIT: just hang up
