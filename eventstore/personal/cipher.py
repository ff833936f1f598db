"""AES-256-GCM from the `cryptography` package: authenticated, a fresh 96-bit nonce per value.

The stored form of a sealed value is `nonce || ciphertext || tag`. The associated data binds a
value to its subject, so a ciphertext copied into another subject's event does not open.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12

__all__ = ["KEY_BYTES", "InvalidTag", "new_key", "open_sealed", "seal"]


def new_key() -> bytes:
    """A new random 256-bit key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    """The plaintext; raises `InvalidTag` when the key, the associated data or the bytes are wrong."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated_data)
