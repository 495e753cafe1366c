"""Export adapters: PDF (WeasyPrint), EPUB 3 (ebooklib), DOCX (python-docx), Markdown, cover (Pillow), file store.

All formats share one content pipeline (`markup`: chapter Markdown -> sanitized XHTML, typography per
language). Submodules are imported on use: WeasyPrint loads Pango at import time, which the web process
may not need.
"""
