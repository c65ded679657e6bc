"""What a bureau edits as data: the catalogue of items, construction-project types, the efficiency-supervision policy."""
