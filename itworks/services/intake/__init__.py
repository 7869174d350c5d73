"""Arrivals: registration, fair applications, imports, the registrant record and exports."""
