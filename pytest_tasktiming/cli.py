"""The ``tasktiming`` command line: reports, the CI gates, history upkeep, shell timing, scan.

Each subcommand is one ``_add_<name>`` function that declares its arguments and sets
``run``; ``SUBCOMMANDS`` lists them in the order ``--help`` shows. The work itself is a pure
function in its own module that returns data; printing and exit codes stay here. Bad input
never shows a traceback: one line ``tasktiming: error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from ._durations import parse_seconds
from .exceptions import FormatError
from .writer import resolve_path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

if TYPE_CHECKING:
    from typing import TypeAlias

    Subparsers: TypeAlias = "argparse._SubParsersAction[_Parser]"


class CliError(Exception):
    """Bad input from the user: its message is printed as the one error line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except SystemExit as stop:  # --help and --version
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `tasktiming report | head`: the reader has what it wanted
        # Point stdout at /dev/null so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:
        message = _input_error(error)
        if message is None:
            raise
        print(f"tasktiming: error: {message}", file=sys.stderr)
        return EXIT_ERROR


def _input_error(error: Exception) -> str | None:
    """The one-line message for an error caused by the input, None for a bug."""
    import zlib

    from .startstop import UnknownTaskError

    if isinstance(error, CliError | FormatError | UnknownTaskError):
        return str(error)
    if isinstance(error, OSError):
        if error.filename is not None and error.strerror:
            return f"{error.filename}: {error.strerror}"
        return str(error)
    if isinstance(error, EOFError | zlib.error):
        return f"compressed file is damaged: {error}"
    return None


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand of ``SUBCOMMANDS``."""
    from . import __version__

    parser = _Parser(
        prog="tasktiming",
        description="Answers from a task-timing file, CI gates, and the static timeout scan.",
        epilog="Exit status: 0 fine, 1 findings (check, scan, validate), 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", required=True)
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def _command(subparsers: Subparsers, name: str, summary: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=summary, description=summary)
    return parser


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the task-timing file (.tsv or .tsv.gz); default $TASK_TIMING_FILE, "
        "else ./task_timing.tsv",
    )


def _format_argument(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument(
        "--format",
        choices=formats,
        default=formats[0],
        help=f"output format (default {formats[0]})",
    )


def _seconds(source: str) -> Callable[[str], float | None]:
    """An argparse type for a duration (``90``, ``30m``, ``1.5h``); ``0`` gives None."""

    def parse(text: str) -> float | None:
        try:
            return parse_seconds(text, source=source)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _moment(text: str) -> str:
    from .report import parse_moment

    try:
        return parse_moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _file(given: str | None) -> str:
    """The file to use: as the user wrote it, else the default (see ``writer.resolve_path``),
    relative to the current directory when it is inside it, as messages should show it."""
    if given is not None:
        return given
    path = resolve_path(None)
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _warn(message: str) -> None:
    print(f"tasktiming: warning: {message}", file=sys.stderr)


# --- report --------------------------------------------------------------------------------


def _add_report(subparsers: Subparsers) -> None:
    from .report import GROUPINGS
    from .tabular import FORMATS

    parser = _command(
        subparsers, "report", "Runs, total, mean, p50, p95, min, max, last result and streak."
    )
    _file_argument(parser)
    parser.add_argument("--by", choices=GROUPINGS, default="task", help="group by (default task)")
    parser.add_argument("--top", type=_positive_int, metavar="N", help="only the N largest totals")
    parser.add_argument(
        "--since",
        type=_moment,
        metavar="TIME",
        help="tasks started at or after TIME (ISO 8601, or 7d, 36h ago)",
    )
    parser.add_argument("--until", type=_moment, metavar="TIME", help="tasks started before TIME")
    parser.add_argument("--mode", help="only rows of this mode")
    parser.add_argument("--result", help="only final rows with this result")
    _format_argument(parser, FORMATS)
    parser.set_defaults(run=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from .progress import progress_bar
    from .report import Filters, as_record, columns, summarize
    from .tabular import render

    path = _file(args.file)
    filters = Filters(since=args.since, until=args.until, mode=args.mode, result=args.result)
    bar = progress_bar(path, sys.stderr)
    try:
        summary = summarize(path, by=args.by, filters=filters, on_progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if summary.torn_line is not None:
        _warn(f"{path}:{summary.torn_line}: skipped a torn last line (see tasktiming validate)")
    stats = summary.stats[: args.top]
    if not stats and args.format == "table":
        _out("no finished tasks\n")
        return EXIT_OK
    _out(render(columns(args.by), [as_record(s, args.by) for s in stats], args.format))
    return EXIT_OK


# --- check ---------------------------------------------------------------------------------


def _add_check(subparsers: Subparsers) -> None:
    from .tabular import FORMATS

    parser = _command(
        subparsers, "check", "Exit 1 if any task timed out or ran past --max (a CI gate)."
    )
    _file_argument(parser)
    parser.add_argument(
        "--max",
        type=_seconds("--max"),
        default=3600.0,
        metavar="SECONDS",
        help="the limit: 3600, 90m, 1.5h (default 3600; 0: only timeouts count)",
    )
    _format_argument(parser, FORMATS)
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from .check import COLUMNS, find_overruns
    from .tabular import render

    overruns = find_overruns(_file(args.file), limit=args.max)
    limit = "no limit" if args.max is None else f"the limit of {args.max:g} s"
    if args.format != "table" or overruns:
        _out(render(COLUMNS, [overrun.as_record() for overrun in overruns], args.format))
    if args.format == "table":
        _out(f"{_plural(len(overruns), 'task')} timed out or ran past {limit}\n")
    return EXIT_FINDINGS if overruns else EXIT_OK


# --- validate ------------------------------------------------------------------------------


def _add_validate(subparsers: Subparsers) -> None:
    parser = _command(
        subparsers,
        "validate",
        "Check every line; list interrupted tasks; exit 1 if the file has problems.",
    )
    _file_argument(parser)
    parser.add_argument(
        "--repair",
        action="store_true",
        help="remove a torn last line (under the writers' lock, atomically), nothing else",
    )
    parser.set_defaults(run=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from .validate import repair, validate

    path = _file(args.file)
    if args.repair:
        try:
            removed = repair(path)
        except ValueError as error:
            raise CliError(str(error)) from None
        _out(f"{path}: removed a torn last line ({removed} bytes)\n" if removed else "")
    report = validate(path)
    for problem in report.problems:
        _out(f"{path}:{problem.line}: {problem.message}\n")
    for task in report.interrupted:
        _out(
            f"{path}:{task.line}: interrupted: {task.task!r} (task_id {task.task_id}) started "
            f"{task.start_time.isoformat(sep=' ', timespec='seconds')}, "
            f"{_human(task.age)} ago, and never finished\n"
        )
    _out(
        f"{path}: {_plural(report.rows, 'row')}, {_plural(len(report.problems), 'problem')}, "
        f"{len(report.interrupted)} interrupted\n"
    )
    return EXIT_FINDINGS if report.problems else EXIT_OK


def _human(seconds: float) -> str:
    """A time span as people say it: ``42s``, ``5m 03s``, ``3h 25m``, ``2d 04h``."""
    whole = int(max(seconds, 0))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


# --- merge and compact ---------------------------------------------------------------------


def _add_merge(subparsers: Subparsers) -> None:
    parser = _command(
        subparsers, "merge", "Merge files (CI shards) into one: each row once, in time order."
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="the files to merge")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the merged file")
    parser.set_defaults(run=_run_merge)


def _run_merge(args: argparse.Namespace) -> int:
    from .history import merge

    rewrite = merge(args.files, args.output)
    _report_rewrite(rewrite.torn)
    _out(
        f"merged {len(args.files)} files into {args.output}: "
        f"{rewrite.rows_in} rows read, {rewrite.rows_out} written\n"
    )
    return EXIT_OK


def _add_compact(subparsers: Subparsers) -> None:
    parser = _command(
        subparsers, "compact", "Rewrite a file with one row per task (its final row)."
    )
    parser.add_argument("file", metavar="FILE", help="the file to compact")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the compacted file")
    parser.set_defaults(run=_run_compact)


def _run_compact(args: argparse.Namespace) -> int:
    from .history import compact

    rewrite = compact(args.file, args.output)
    _report_rewrite(rewrite.torn)
    _out(
        f"compacted {args.file} into {args.output}: "
        f"{rewrite.rows_in} rows read, {rewrite.rows_out} tasks written\n"
    )
    return EXIT_OK


def _report_rewrite(torn: list[str]) -> None:
    for place in torn:
        _warn(f"{place}: skipped a torn last line")


# --- start and stop ------------------------------------------------------------------------


def _add_start(subparsers: Subparsers) -> None:
    from .todo import DEFAULT_TODO

    parser = _command(
        subparsers, "start", "Write a started row for TASK and print its task id (for scripts)."
    )
    parser.add_argument("task", metavar="TASK", nargs="?", help="the task's name")
    parser.add_argument("--mode", help="the mode column (default shell; todo with --todo)")
    parser.add_argument(
        "--timeout",
        type=_seconds("--timeout"),
        metavar="SECONDS",
        help="record the result timeout if the task is not stopped within SECONDS (90, 30m)",
    )
    _file_option(parser)
    parser.add_argument(
        "--todo",
        type=_positive_int,
        metavar="N",
        help="instead of TASK: checklist item N of the TODO file, numbered as `todo` shows",
    )
    parser.add_argument(
        "--todo-file",
        default=DEFAULT_TODO,
        metavar="TODO",
        help=f"the Markdown checklist of --todo (default ./{DEFAULT_TODO})",
    )
    parser.set_defaults(run=_run_start)


def _add_stop(subparsers: Subparsers) -> None:
    from .startstop import RESULTS

    parser = _command(subparsers, "stop", "Write the final row of a task begun with start.")
    parser.add_argument("task_id", metavar="TASK_ID", help="the id that start printed")
    parser.add_argument("--result", choices=RESULTS, default="completed", help="default completed")
    _file_option(parser)
    parser.set_defaults(run=_run_stop)


def _file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", metavar="FILE", help="default $TASK_TIMING_FILE or ./task_timing.tsv"
    )


def _run_start(args: argparse.Namespace) -> int:
    from .startstop import start

    task, mode = args.task, args.mode or "shell"
    if (task is None) == (args.todo is None):
        raise CliError("give either TASK or --todo N (see 'tasktiming start --help')")
    if args.todo is not None:
        from .todo import item_number, read_items

        try:
            item = item_number(read_items(args.todo_file), args.todo, args.todo_file)
        except ValueError as error:
            raise CliError(str(error)) from None
        task, mode = item.text, args.mode or "todo"
        done = " (already checked)" if item.done else ""
        print(f"timing item {item.number}{done}: {item.text}", file=sys.stderr)
    _out(start(_file(args.file), task, mode=mode, timeout=args.timeout) + "\n")
    return EXIT_OK


def _run_stop(args: argparse.Namespace) -> int:
    from .startstop import stop

    stopped = stop(_file(args.file), args.task_id, result=args.result)
    _out(f"{stopped.task}: {stopped.result} after {stopped.duration:.3f} s\n")
    return EXIT_OK


# --- todo ----------------------------------------------------------------------------------


def _add_todo(subparsers: Subparsers) -> None:
    from .tabular import FORMATS

    parser = _command(
        subparsers,
        "todo",
        "List the checklist items of a Markdown file with the time tracked against each.",
    )
    parser.add_argument(
        "todo_file", nargs="?", metavar="TODO", help="the Markdown checklist (default ./TODO.md)"
    )
    _file_option(parser)
    _format_argument(parser, FORMATS)
    parser.set_defaults(run=_run_todo)


def _run_todo(args: argparse.Namespace) -> int:
    from .tabular import render
    from .todo import COLUMNS, DEFAULT_TODO, read_items, track

    todo_file = args.todo_file or DEFAULT_TODO
    tracked = track(read_items(todo_file), _file(args.file))
    if not tracked and args.format == "table":
        _out(f"{todo_file}: no checklist items\n")
        return EXIT_OK
    _out(render(COLUMNS, [entry.as_record() for entry in tracked], args.format))
    if args.format == "table":
        untimed = sum(1 for entry in tracked if not entry.item.done and not entry.runs)
        done = sum(1 for entry in tracked if entry.item.done)
        _out(f"{len(tracked)} items, {done} done, {untimed} open with no time tracked\n")
    return EXIT_OK


# --- mcp -----------------------------------------------------------------------------------


def _add_mcp(subparsers: Subparsers) -> None:
    parser = _command(
        subparsers,
        "mcp",
        "Serve MCP tools on stdin/stdout for agents: start, stop and list tasks, report "
        "(needs pip install 'pytest-tasktiming[mcp]').",
    )
    _file_option(parser)
    parser.add_argument(
        "--timeout",
        type=_seconds("--timeout"),
        default=3600.0,
        metavar="SECONDS",
        help="the timeout of tasks started without one, and of open tasks found in the file "
        "(default 3600; 0: none)",
    )
    parser.set_defaults(run=_run_mcp)


def _run_mcp(args: argparse.Namespace) -> int:
    from .mcp_server import serve

    try:
        serve(resolve_path(args.file), default_timeout=args.timeout)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("mcp"):
            raise
        raise CliError(
            "tasktiming mcp needs the MCP Python SDK 2 or later: "
            "pip install 'pytest-tasktiming[mcp]'"
        ) from None
    return EXIT_OK


# --- scan ----------------------------------------------------------------------------------


def _add_scan(subparsers: Subparsers) -> None:
    from .scan import FORMATS

    parser = _command(
        subparsers,
        "scan",
        "Find what lets something run longer than --max: timeouts in Python, pytest/tox "
        "config and CI workflows, and CI jobs without one, without running anything.",
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default .)"
    )
    parser.add_argument(
        "--max",
        type=_seconds("--max"),
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help="the largest timeout allowed: 3600, 90m, 2h (default: max in "
        "[tool.tasktiming.scan], else 3600)",
    )
    _format_argument(parser, FORMATS)
    parser.add_argument(
        "--select", metavar="CODES", help="report only these codes or prefixes: TT001,TT002"
    )
    parser.add_argument("--ignore", metavar="CODES", help="never report these codes or prefixes")
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply the configured exclude to paths named here too (for pre-commit)",
    )
    parser.set_defaults(run=_run_scan)


def _run_scan(args: argparse.Namespace) -> int:
    from .scan import ConfigError, render, scan_paths, settings_for

    limit = getattr(args, "max", False)  # not given: the configuration's, or 3600
    if limit is None:
        raise CliError("--max must be above 0 for scan")
    try:
        settings = settings_for(
            args.paths,
            limit=limit or None,
            select=args.select or "",
            ignore=args.ignore or "",
            force_exclude=args.force_exclude,
        )
    except ConfigError as error:
        raise CliError(str(error)) from None
    findings = scan_paths(args.paths, settings)
    _out(render(findings, args.format))
    return EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK


# --- html and serve ------------------------------------------------------------------------


def _add_html(subparsers: Subparsers) -> None:
    parser = _command(
        subparsers,
        "html",
        "Write a self-contained HTML report: timeline by worker, durations, slowest, "
        "timeouts, warnings, failure streaks and a table of every task.",
    )
    _file_argument(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the page to write")
    _timeout_option(parser)
    parser.set_defaults(run=_run_html)


def _add_serve(subparsers: Subparsers) -> None:
    from .serve import DEFAULT_HOST, DEFAULT_PORT

    parser = _command(
        subparsers,
        "serve",
        "Serve a live dashboard of a growing file: running tasks against their timeout, "
        "recent results and the report's views (read-only).",
    )
    _file_argument(parser)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"the port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    _timeout_option(parser)
    parser.set_defaults(run=_run_serve)


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds("--timeout"),
        default=3600.0,
        metavar="SECONDS",
        help="a task's timeout where the file does not show it, for warnings at 80%% "
        "(default 3600; 0: none)",
    )


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def _run_html(args: argparse.Namespace) -> int:
    from .html import write_html_report

    out = write_html_report(resolve_path(args.file), args.output, timeout=args.timeout or 0.0)
    _out(f"wrote {out}\n")
    return EXIT_OK


def _run_serve(args: argparse.Namespace) -> int:
    from .serve import DashboardServer

    path = resolve_path(args.file)
    server = DashboardServer(path, args.host, args.port, timeout=args.timeout or 0.0)
    _out(f"serving {path} at {server.url} (Ctrl+C to stop)\n")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [
    _add_report,
    _add_check,
    _add_validate,
    _add_merge,
    _add_compact,
    _add_start,
    _add_stop,
    _add_todo,
    _add_mcp,
    _add_scan,
    _add_html,
    _add_serve,
]
"""Adds each subcommand; another command is one more function here."""
