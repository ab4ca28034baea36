"""A reader's own papers: the reading list kept per user and platform, and its export as BibTeX.
Imports only the shared modules at the top of bot/."""
