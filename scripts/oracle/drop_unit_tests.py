"""Remove the unit-test executable (and its install rule) from a Cyclus or Cycamore CMakeLists.txt."""

import re
import sys
from pathlib import Path

TARGETS = {"cyclus": "cyclus_unit_tests", "cycamore": "cycamore_unit_tests"}


def drop_unit_tests(project: str, cmakelists: Path) -> None:
    """Delete ADD_EXECUTABLE/TARGET_LINK_LIBRARIES/INSTALL blocks naming the unit-test target."""
    target = TARGETS[project]
    text = cmakelists.read_text()
    pattern = re.compile(
        r"(ADD_EXECUTABLE|TARGET_LINK_LIBRARIES|INSTALL)\s*\(\s*(TARGETS\s+)?" + target + r"\b[^)]*\)",
        re.IGNORECASE,
    )
    new = pattern.sub("", text)
    if re.search(r"ADD_EXECUTABLE\s*\(\s*" + target, new, re.IGNORECASE):
        raise SystemExit(f"{cmakelists}: could not find the {target} blocks to drop")
    cmakelists.write_text(new)


if __name__ == "__main__":
    drop_unit_tests(sys.argv[1], Path(sys.argv[2]))
