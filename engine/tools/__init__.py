"""Offline tools beside the engine: checkpoint conversion, corpus measurement."""
