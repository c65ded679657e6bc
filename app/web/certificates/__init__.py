"""The certificate registry's API and public verification."""
