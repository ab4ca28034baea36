"""Stores: implementations of the core's Store interface (paperboy.bot.store), and the only place
that speaks SQL. sqlite is the embedded default (one file, WAL), migrations its versioned schema.
Imports nothing of paperboy but paperboy.bot.models."""
