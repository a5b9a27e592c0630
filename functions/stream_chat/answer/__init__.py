"""One answer, from the provider's events to the bytes of the response body.

    provider ──upstream (thread)──▶ inbox ──watch──▶ relay ──sse──▶ body

``pipeline`` runs it; ``upstream`` calls the provider off the delivery path; the ``inbox`` is
where the upstream and the cancel watcher put their news; ``relay`` turns it into protocol frames.
"""
