"""Chat commands: declared once as specs (table), typed text parsed into invocations (typed), each
invocation dispatched by its spec to a handler (dispatch, handlers) that returns plain reply data.
Imports search, subscriptions, delivery and sources; adapters import this package, never the reverse."""
