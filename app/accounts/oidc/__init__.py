"""Sign-in through OpenID Connect providers (Google, or any provider by its issuer URL)."""
