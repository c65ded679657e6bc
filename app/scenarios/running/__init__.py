"""Running scenarios: sandboxes, the services steps work with, execution step by step, the pytest runner and recorder, the checks of 那么 steps."""
