"""Plain-Python domain of OneSeal: no Flask, SQLAlchemy or engine imports here."""
