"""What a run produced and the reports written from it (Chinese HTML, JSON, JUnit XML)."""
