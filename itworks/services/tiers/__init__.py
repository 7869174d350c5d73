"""Readiness tiers: confirmation, lists, re-contact, imports and the segmentation run."""
