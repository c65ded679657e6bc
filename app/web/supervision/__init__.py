"""The approval–supervision push: API and desk page."""
