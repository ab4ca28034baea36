"""Keyword subscriptions: the query language (query), a paper folded into what queries look at
(paper_text), every subscription matched against a batch of new papers at once (index), one alert
per match into the outbox (alerts), and several alerts of one subscription sent as one list
(bundles). Imports only the shared modules of paperboy.bot."""
