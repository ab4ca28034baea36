"""The platform-neutral core: an invocation in, plain reply data out; posts and alerts into the outbox.

Subsystems, one package each, and what they may import (besides the shared modules below):

    commands       specs, typed-text parsing, dispatch, handlers     -> search, subscriptions, delivery, sources
    delivery       daily digests and their scheduler, the outbox worker, ingest   -> subscriptions, sources
    search         the /paper matcher and its indexes                -> (shared only)
    subscriptions  the query language, matching, alerts, bundling    -> (shared only)
    sources        Hugging Face and arXiv clients, file formats      -> (shared only)

Shared, at the top of bot/, imported by any of them and importing none of them: models (papers
and the records the store keeps), text and spelling (the one folding and word-form rule),
replies and serialize (what handlers return, to and from JSON), store (the interface a store
implements), adapter (the interface a chat adapter implements), syntax (how a platform types
commands), clock, ids, retry_after. Nothing in bot/ imports paperboy.storage, paperboy.adapters
or the command line; tests/architecture/test_imports.py holds it to that.
"""
