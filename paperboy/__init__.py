"""paperboy: research papers delivered to Discord, Slack and the terminal.

    paperboy            the command line (cli), `paperboy run` (runner) and settings (config)
    paperboy.bot        the platform-neutral core: commands, search, subscriptions, delivery, sources
    paperboy.storage    the stores: every store protocol of the core, on SQLite and on PostgreSQL
    paperboy.adapters   one package per chat platform, found through the paperboy.adapters entry points

docs/architecture.md has the flow, the package map and how to add a platform.
"""
