"""A Lambda runtime that streams responses, for the managed Python runtime (which cannot).

Run as ``python -m stream_chat.runtime``; ``stream_chat/bootstrap`` starts it on Lambda. See
``docs/runtime.md``.
"""
