"""VAPID keys for Web Push in the forms the two ends want.

pywebpush (py-vapid) takes the private key as base64url DER (not PEM text); browsers take the public
key as the base64url uncompressed P-256 point (``applicationServerKey``).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_keys() -> tuple[str, str]:
    """A new key pair: (private key as base64url DER, public key as base64url uncompressed point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64(private), _b64(public)


if __name__ == "__main__":  # `python -m app.notifications.vapid`: two lines, the private then the public key
    print("\n".join(generate_keys()))
