"""What a bureau edits as data (catalogue, projects, calendar): loaded and validated, errors naming file and line."""
