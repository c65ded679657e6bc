"""The cases and tasks JSON API."""
