"""The README's walkthrough, as its readers see it: the sentence and the
```bash block of each step between the `walkthrough:start` and
`walkthrough:end` markers."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
STEP = re.compile(r"(?P<says>\S[^\n]*)\n\n```bash\n(?P<command>.*?)\n```", re.DOTALL)


def readme_steps(text: str | None = None) -> list[tuple[str, str]]:
    """(sentence, command) of each step, in order."""
    text = README.read_text() if text is None else text
    section = text.split("<!-- walkthrough:start -->", 1)[1].split("<!-- walkthrough:end -->", 1)[0]
    return [(m["says"], m["command"]) for m in STEP.finditer(section)]
