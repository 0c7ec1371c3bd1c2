"""Text: parsing values users type and formatting quantities for people (usable from engine.solve upward)."""
