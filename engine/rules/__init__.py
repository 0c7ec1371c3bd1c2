"""Rules: formula expressions, units and dimensions, the rule model, and the loader of rule files.

The lowest layer: imports nothing else from engine/ except engine.errors (see .importlinter).
"""
