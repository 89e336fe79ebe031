"""Anomaly detection on metric history: the model (`model`, pure) and the run over the mart (`run`)."""

from __future__ import annotations

from monitor.anomaly.model import AnomalyRule, Point, Verdict, detect
from monitor.anomaly.run import AnomalyResult, detect_anomalies, dimension_of

__all__ = ["AnomalyResult", "AnomalyRule", "Point", "Verdict", "detect", "detect_anomalies", "dimension_of"]
