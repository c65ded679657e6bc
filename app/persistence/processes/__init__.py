"""Process models, their revisions and deployed versions."""
