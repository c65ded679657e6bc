"""The auditors' workshop: the scenario library, runs and their queue, what its pages show."""
