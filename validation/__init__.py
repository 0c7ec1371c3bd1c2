"""llmplan validated against real training: a PyTorch model measured on the CPU, and published runs.

    pip install torch==2.13.0        # CPU build; the measured parts need it
    python -m validation             # prints the comparison table, exits non-zero on a failed check
    python -m pytest validation -q   # the same checks as tests

See validation/README.md.
"""
