"""Tables: header grammar and cells -> batch inputs, results frames, sweeps (no file writers here)."""
