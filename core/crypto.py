"""Encryption of secrets at rest (Spotify tokens): MultiFernet, newest key first."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UndecryptableToken(Exception):
    """A stored secret no configured key can decrypt (a key was dropped too early)."""


class TokenCipher:
    """Encrypts with the newest key; decrypts with any configured key."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._multi = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> bytes:
        """Ciphertext of `plaintext` under the newest key."""
        return self._multi.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        """The plaintext behind `ciphertext`, whichever configured key made it."""
        try:
            return self._multi.decrypt(bytes(ciphertext)).decode()
        except InvalidToken:
            raise UndecryptableToken("no configured key decrypts this token") from None

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same plaintext re-encrypted under the newest key."""
        try:
            return self._multi.rotate(bytes(ciphertext))
        except InvalidToken:
            raise UndecryptableToken("no configured key decrypts this token") from None

    def encrypt_optional(self, plaintext: str | None) -> bytes | None:
        """encrypt(), passing None through."""
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, ciphertext: bytes | None) -> str | None:
        """decrypt(), passing None through."""
        return None if ciphertext is None else self.decrypt(ciphertext)
