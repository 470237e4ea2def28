"""Authoring: an exercise spec (TOML) → a validated nbgrader source notebook and its local-check samples."""
