"""A case's own rules: its kinds and states, its number, acceptance and 容缺, parallel answers, the fields a step asks for, what an uploaded file is."""
