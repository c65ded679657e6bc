"""Time: the bureau's clock and its calendar of working days."""
