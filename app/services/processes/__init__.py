"""Process definitions: deployed versions and what the engine runs, the designers' models
(upload, versions, validation, deployment, differences), model files, path coverage.

May import: the root modules only.
"""
