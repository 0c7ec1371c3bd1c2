"""Print README.md's two set-up commands, one per line, exactly as a reader copies them.

They are the indented lines of the section "## Set up": the first runs the main job on the bundled
example, the second runs the tests. CI runs what this prints, so README and CI cannot drift apart.
Exits 1 (and says why) when the section does not hold exactly two commands.
"""
from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def setup_commands(text: str) -> list[str]:
    commands: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.startswith("## Set up")
            continue
        if inside and line.startswith("    ") and line.strip():
            commands.append(line.strip())
    return commands


def main() -> int:
    commands = setup_commands(README.read_text(encoding="utf-8"))
    if len(commands) != 2:
        print(f"README.md: '## Set up' must hold exactly two indented commands, found {len(commands)}: {commands}",
              file=sys.stderr)
        return 1
    print("\n".join(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main())
