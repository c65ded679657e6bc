"""The web edge, the JSON API, the pages, the modeler and the auditors' pages (Flask)."""
