"""Built-in scenario files (TOML); see README.md in this folder for the schema."""
