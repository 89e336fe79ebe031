"""Data-quality checks: suites -> specs -> metrics -> SQL per dialect -> results -> scores (pure)."""
