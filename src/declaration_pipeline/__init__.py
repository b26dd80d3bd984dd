"""Turns declaration.md, references.bib and signatories.yaml into a PDF, DOCX and HTML.

The data takes one path, one module per stage:
sources (load) -> checks -> assemble -> render -> verify.
"""
