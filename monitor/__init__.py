"""Side effects: the check runner, metric store, anomalies, alerts, incidents, scheduler, reports, CLI."""
