"""Lines the plugin writes between pytest's test results, each on a line of its own.

pytest's progress is a line of letters (``-q``, ``-n``) or of a file's path and its letters;
a message written in the middle would split it or be glued to it. ``own_line`` ends that line
first, as pytest's reporter does before its own messages. A timeout warning fires in the
watchdog's thread while the test runs and fd 1 is captured: ``LiveLine`` writes it at once
to the terminal's own descriptor and lets pytest's reporter, in the main thread, start the
next result on a fresh line (``LiveLine.mend``).
"""

from __future__ import annotations

import os

import pytest

from pytest_tasktiming._durations import human_duration


def own_line(config: pytest.Config, text: str, **markup: bool) -> bool:
    """Write ``text`` on a line of its own in the terminal; False when there is none."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return False
    terminal.ensure_newline()  # a path and its letters
    if terminal._tw.width_of_current_line:  # letters with no path (-q, xdist)
        terminal.write("\n")
    terminal.write_line(text, **markup)
    return True


def warning_text(nodeid: str, elapsed: float, timeout: float, past: bool) -> str:
    """The timeout warning, as the terminal, pytest's warnings summary and the log show it:
    the threshold's, or (``past``) the limit's when it is not enforced."""
    if past:
        return (
            f"{nodeid} ran past its {timeout:g}s timeout ({human_duration(elapsed)} so far); "
            "not enforced"
        )
    return (
        f"{nodeid} has run {human_duration(elapsed)}, {elapsed / timeout:.0%} of its "
        f"{timeout:g}s timeout"
    )


class LiveLine:
    """Writes a line while a test runs, from any thread, without splitting pytest's progress.

    :param fd: a duplicate of the terminal's descriptor, taken before capture redirected it.
    """

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.fd = fd
        self.open = False  # our text ends the terminal's current line, with no newline yet

    def write(self, text: str) -> None:
        """Write ``tasktiming: text`` now, after a newline if the terminal's line has text."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        started = terminal is not None and terminal._tw.width_of_current_line > 0
        os.write(self.fd, f"{chr(10) * started}tasktiming: {text}".encode())
        if terminal is None:
            os.write(self.fd, b"\n")
        else:
            self.open = True

    def mend(self, nodeid: str) -> None:
        """In the main thread, before pytest's next result (of ``nodeid``): start it on a new
        line, with the path or test id that pytest's reporter shows at the start of a line."""
        if not self.open:
            return
        self.open = False
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None:  # unregistered since: nothing to mend
            return
        if terminal.showlongtestinfo:  # -v: the test's line is written again, then its result
            terminal.currentfspath = None
        elif terminal.showfspath:
            terminal.currentfspath = None
            terminal.write_fspath_result(nodeid, "")
        else:  # -q: letters alone
            terminal.write("\n")
