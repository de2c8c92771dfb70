"""Accounts: sign-up, sign-in, sessions and their tokens, email verification and password reset."""
