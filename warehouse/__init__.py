"""The warehouse: engines from URLs, dialect capabilities, DDL per dialect and the migration runner."""
