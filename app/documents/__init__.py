"""Signed documents: the only package importing cryptography, reportlab, segno and pyHanko.

It owns the bureau's seal as key material (a demo CA and signing certificate, or a PKCS#12
file issued by a CA), the seal's image drawn by the program, the certificate and refusal-letter
PDFs with their embedded CJK font and QR code, their PAdES signature, and the independent
check of a signed PDF. It knows nothing of cases or the database: services hand it plain
values and store what it returns. Private keys never leave the objects of :mod:`seal_keys`.
"""
