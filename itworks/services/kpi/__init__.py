"""Targets, baseline history, KGI/KPI progress and the half-year notes."""
