"""The bureau's figures: API and page."""
