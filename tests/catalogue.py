"""The shared check of the bad-input and fault catalogue (tests/test_faults_*.py).

Every case runs the command line in-process, as the console script does, and asserts what a
user sees: the exit status (2 for bad input, 1 for a failed computation), exactly one line on
stderr that starts with ``Error:`` and names what is wrong, and no traceback anywhere.
"""

from __future__ import annotations

import pytest

from simtrial.cli import main


def expect_error(capsys, args, status: int, *fragments: str) -> str:
    """Run ``simtrial ARGS``; assert one ``Error:`` line holding ``fragments``; return it."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    assert info.value.code == status, (info.value.code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
