"""RSS hash keys: the default key length and the Microsoft verification key.

The 40-byte key that Microsoft's RSS specification publishes with its verification suite (and that
most NIC drivers ship as their default) is the key the Toeplitz vectors in the tests use
(docs/references.md, Toeplitz RSS hash). Kept apart from the hash kernel so that scenario
validation does not load compiled code.
"""

KEY_BYTES = 40
MICROSOFT_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcb"
    "ae7b30b477cb2da38030f20c6a42b73bbeac01fa")
