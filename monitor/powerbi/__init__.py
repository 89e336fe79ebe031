"""Power BI: a PBIP project over the reporting views (export) and real-time tiles (push)."""
