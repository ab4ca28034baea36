"""The platform-neutral core: an invocation in, plain reply data out; posts and alerts into the outbox.

Subsystems, one package each, and what they may import (besides the shared modules below):

    commands       specs, typed-text parsing, dispatch, handlers     -> search, subscriptions, delivery,
                                                                        sources, reading, trends
    delivery       digests and their scheduler, the outbox worker, ingest, delivery kinds
                                                                     -> subscriptions, sources
    search         the /paper matcher, its indexes, names, vectors   -> (shared only)
    subscriptions  the query language, matching, alerts, bundling    -> (shared only)
    sources        Hugging Face and arXiv clients, file formats      -> (shared only)
    reading        reading lists' BibTeX                             -> (shared only)
    trends         trend charts: requests, months, the picture       -> subscriptions

Each subsystem declares what it asks of a store beside its code (its store.py); store.py here has
what several share (the store's thread, papers, state).

Shared, at the top of bot/, imported by any of them and importing none of them: models (papers
and the records the store keeps), text and spelling (the one folding and word-form rule),
replies and serialize (what handlers return, to and from JSON), store (the store protocols
several subsystems share), kinds (delivery kinds, as producers register them with the outbox),
settings (reading the environment), adapter (the interface a chat adapter implements), syntax
(how a platform types commands), categories, clock, ids, retry_after. Nothing in bot/ imports
paperboy.storage, paperboy.adapters or the command line; tests/architecture/test_imports.py holds
it to that.
"""
