"""Renderers of the published tables into files: the implementation report workbook."""
