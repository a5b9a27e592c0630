"""The wire protocol a client reads (``docs/protocol.md``): its frames and their SSE encoding."""
