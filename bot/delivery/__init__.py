"""Everything that goes out unasked: ingest of the paper sources and what follows it (ingest,
pipeline), each channel's daily list (digest, scheduler), and the outbox worker that hands every
delivery to its platform's adapter and records the result (outbox). Imports subscriptions and
sources besides the shared modules; never search, commands or an adapter."""
