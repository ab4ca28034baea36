"""Trend charts (/paper trend): the trend text read into up to three /subscribe queries and a month
range (request), the months a chart covers (months), and the chart itself drawn to PNG with its alt
text (chart). Counting is the store's; this package imports only the shared modules of paperboy.bot
and the subscription query language (subscriptions), and never touches a store."""
