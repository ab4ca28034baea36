"""/paper lookups: arXiv ids resolved exactly; titles (typos and all) and keywords ranked from an
in-memory title index and the store's full-text search; the paper sources asked within a time
bound. Imports only the shared modules of paperboy.bot."""
