"""The terminal as a chat platform (rich): typed commands in, cards and deliveries out."""
