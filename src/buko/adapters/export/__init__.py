"""Export adapters: PDF (WeasyPrint), EPUB 3 (ebooklib), DOCX (python-docx), cover (Pillow), file store.

Submodules are imported on use: WeasyPrint loads Pango at import time, which the web process may not need.
"""
