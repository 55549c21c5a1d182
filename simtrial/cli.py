"""The ``simtrial`` command: parse, load, call the library, print.

Heavy imports (numpy, numba, scipy) happen inside the commands so that ``simtrial --version``
and ``--help`` answer at once. The options several commands take (``--scenario --seed --reps
--jobs --format --power --endpoint``) are declared once, below, so that they mean the same,
with the same types, ranges and help, in every command.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from simtrial._version import __version__
from simtrial.errors import SimtrialError
from simtrial.scenario import MAX_N
from simtrial.text import terminal

#: Most simulated trials a command takes: a Monte Carlo standard error of 5e-5 at any power.
#: Each endpoint keeps a p-value per trial (0.8 GB at this many).
MAX_REPS = 10**8
DEFAULT_REPS = 10_000
#: What each ``--format`` choice prints.
FORMATS = {"table": "a table to read", "text": "text to read", "json": "every number",
           "csv": "one row per endpoint"}

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


# ---------------------------------------------------------------------- shared options
def scenario_option() -> Decorator:
    """``--scenario/-s``: a built-in scenario name or a TOML file."""
    return click.option("--scenario", "-s", default="msc-covid19", show_default=True,
                        help="Built-in scenario name or path of a TOML scenario file.")


def seed_option() -> Decorator:
    """``--seed``: the seed of the simulated trials."""
    return click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
                        help="Seed of the simulated trials: the same seed gives the same "
                             "numbers.")


def reps_option(per: str, default: int | None = DEFAULT_REPS) -> Decorator:
    """``--reps``: simulated trials `per` what the command simulates (a phrase).

    With ``default=None`` the command chooses (``power``: from ``--mcse``, else 10000).
    """
    chosen = "" if default is not None else f" (default: {DEFAULT_REPS})"
    return click.option("--reps", type=click.IntRange(min=1, max=MAX_REPS), default=default,
                        show_default=default is not None,
                        help=f"Simulated trials {per}{chosen}.")


def jobs_option(what: str = "Threads") -> Decorator:
    """``--jobs/-j``: how many run at once (`what`: threads, or a sweep's cells)."""
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                        help=f"{what} (default: all cores); results do not depend on it.")


def format_option(*choices: str) -> Decorator:
    """``--format``: one of `choices` (the first is the default), into parameter ``fmt``."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True,
                        help="Output: " + ", ".join(f"{c} ({FORMATS[c]})" for c in choices[:-1])
                             + f" or {choices[-1]} ({FORMATS[choices[-1]]}).")


def power_option(of: str = "", *, repeatable: bool = False, required: bool = True
                 ) -> Decorator:
    """``--power``: a target power in (0, 1), into parameter ``target`` (or ``targets``).

    `of` names whose power it is; ``repeatable`` (sweep: the target lines of a plot, also
    ``--target-power``) takes it several times, 0.8 and 0.9 by default.
    """
    kind = click.FloatRange(0, 1, min_open=True, max_open=True)
    if repeatable:
        return click.option("--power", "--target-power", "targets", type=kind, multiple=True,
                            default=(0.8, 0.9), show_default=True,
                            help=f"Target power{of}, in (0, 1) (repeatable).")
    return click.option("--power", "target", type=kind, required=required,
                        help=f"Target power{of}, in (0, 1).")


def endpoints_option() -> Decorator:
    """``--endpoint`` (repeatable): the endpoints simulated, into parameter ``endpoints``."""
    return click.option("--endpoint", "endpoints", multiple=True,
                        help="Endpoint id (repeatable; default: every endpoint).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="simtrial")
def cli():
    """Plan two-arm trials by Monte Carlo: power, sample size, sensitivity, reports."""


@cli.command()
@scenario_option()
@click.option("--n", "n", type=click.IntRange(min=2, max=MAX_N), required=True,
              help="Patients randomised in total (split by the allocation).")
@reps_option("per endpoint", default=None)
@click.option("--mcse", type=click.FloatRange(min=5e-5, max=0.05), default=None,
              help="Instead of --reps: choose reps (100 to 10^8) so that the Monte Carlo "
                   "standard error is at most this.")
@seed_option()
@jobs_option()
@endpoints_option()
@format_option("table", "json", "csv")
def power(scenario, n, reps, mcse, seed, jobs, endpoints, fmt):
    """Simulated power of each endpoint at N patients."""
    from simtrial import display
    from simtrial.scenario import load_scenario
    from simtrial.simulate import power as simulate_power
    from simtrial.warmup import compile_alongside

    if reps is not None and mcse is not None:
        raise click.UsageError("--reps and --mcse exclude each other: give one")
    if mcse is not None:
        reps = math.ceil(0.25 / mcse**2)  # p (1 - p) <= 1/4 whatever the power
    sc = load_scenario(scenario)
    if n < sc.trial.smallest_n():
        raise click.BadParameter(f"{n} leaves an arm fewer than 2 patients at allocation "
                                 f"{':'.join(f'{a:g}' for a in sc.trial.allocation)} (allowed: "
                                 f"{sc.trial.smallest_n()} or more)", param_hint="'--n'")
    chosen = list(dict.fromkeys(endpoints))
    with compile_alongside(scenario, n, chosen):
        result = simulate_power(sc, n, reps=reps or DEFAULT_REPS, seed=seed,
                                jobs=_cap_jobs(jobs), endpoints=chosen or None)
    if fmt == "json":
        _echo_json(result.to_dict())
    elif fmt == "csv":
        click.echo(display.power_csv(result), nl=False)
    else:
        click.echo(display.power_table(result, title=sc.title))


@cli.command()
@click.argument("name", required=False)
def scenarios(name):
    """List the built-in and example scenarios, or show one (NAME may also be a file)."""
    from simtrial import display
    from simtrial.scenario import builtin_names, load_scenario

    if name:
        click.echo(display.scenario_text(load_scenario(name)))
        return
    builtins = builtin_names(examples=False)
    examples = [name for name in builtin_names() if name not in builtins]
    for shipped in builtins + examples:
        if shipped == examples[0]:
            click.echo("\nexamples (scenarios/examples/, one feature each):")
        sc = load_scenario(shipped)
        count = f"{len(sc.endpoints)} endpoint" + ("s" if len(sc.endpoints) > 1 else "")
        click.echo(terminal(f"{shipped}  {count}  {sc.title}"))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check a scenario file; print a one-line summary or the first error."""
    from simtrial.scenario import load_scenario

    sc = load_scenario(file)
    ids = ", ".join(ep.id for ep in sc.endpoints)
    count = len(sc.endpoints)
    click.echo(f"OK: {file}: scenario {sc.name!r}, {count} endpoint{'s' * (count != 1)} ({ids})")


@cli.command()
@scenario_option()
@click.option("--n", "n_text", required=True,
              help="Total sample sizes: a list 300,400,500 or an inclusive range 200:800:50.")
@click.option("--vary", "vary_texts", multiple=True, metavar="KEY=V1,V2,...",
              help="Scenario value to vary (repeatable; the grid is the product with --n): "
                   "trial.alpha, trial.allocation=65:35,1:1, endpoints.<id>.dropout[.<arm>], "
                   "endpoints.<id>.<arm>.<param>.")
@reps_option("per grid cell")
@seed_option()
@jobs_option("Cells simulated at once")
@endpoints_option()
@click.option("--backend", type=click.Choice(["loky", "dask"]), default="loky",
              show_default=True, help="joblib's loky process pool, or a Dask cluster.")
@click.option("--scheduler", metavar="ADDR",
              help="Running Dask scheduler (tcp://host:8786); default: a local cluster.")
@click.option("--worker-timeout", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, metavar="SECONDS",
              help="Stop (keeping finished cells) when a Dask cluster has had no worker this "
                   "long.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), required=True,
              help="Output file: CSV, or JSON lines if it ends in .jsonl.")
@click.option("--resume", is_flag=True, help="Finish an interrupted sweep in --out.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Also draw power curves to this PNG (needs matplotlib).")
@power_option(" drawn as a line on --plot", repeatable=True)
def sweep(scenario, n_text, vary_texts, reps, seed, jobs, endpoints, backend, scheduler,
          worker_timeout, out, resume, force, quiet, plot, targets):
    """Power of each endpoint over a grid of sample sizes and scenario values."""
    from simtrial.cli_progress import TerminalProgress
    from simtrial.errors import SweepFailed
    from simtrial.scenario import load_scenario
    from simtrial.sweeps import sweep as run_sweep
    from simtrial.sweeps.backends import require_backend
    from simtrial.sweeps.grid import parse_n_values, parse_vary

    vary = dict(parse_vary(text) for text in vary_texts)
    if len(vary) != len(vary_texts):
        raise click.UsageError("--vary: each KEY may be given once")
    try:
        if plot:
            from simtrial import plots

            plots.require_matplotlib()
            plots.check_figure_path(plot)
            if Path(plot).resolve() == Path(out).resolve():
                raise click.UsageError(f"--plot {plot} is the --out file; give two files")
        require_backend(backend)
    except ImportError as exc:
        raise click.UsageError(str(exc)) from None
    progress = None if quiet or not sys.stderr.isatty() else TerminalProgress()
    n_values = parse_n_values(n_text)
    if max(n_values) > MAX_N:
        raise click.BadParameter(f"{max(n_values)} is above the largest n, {MAX_N}",
                                 param_hint="'--n'")
    sc = load_scenario(scenario)
    kept = f"the finished cells are kept in {out}: continue with --resume"
    try:
        with _sigterm_raises():
            result = run_sweep(sc, n_values, vary=vary, reps=reps, seed=seed,
                               endpoints=list(dict.fromkeys(endpoints)) or None, jobs=jobs,
                               backend=backend, scheduler=scheduler, out=out, resume=resume,
                               force=force, progress=progress, worker_timeout=worker_timeout,
                               note=lambda text: click.echo(f"Note: {text}", err=True))
    except SweepFailed as exc:  # a failed computation: exit status 1
        raise click.ClickException(f"sweep stopped: {exc}") from None
    except KeyboardInterrupt:
        raise _Stopped(f"interrupted (Ctrl-C); {kept}", 130) from None
    except _Terminated:
        raise _Stopped(f"terminated (SIGTERM); {kept}", 143) from None
    if plot:
        plots.save_power_curves(result, plot, targets=targets)
    if not quiet:
        cells = len(result.rows) // len(result.endpoints)
        click.echo(f"{out}: {len(result.rows)} rows ({cells} cells x {len(result.endpoints)} "
                   f"endpoints)" + (f"; plot: {plot}" if plot else ""), err=True)


@cli.command()
@scenario_option()
@click.option("--endpoint", default=None, help="Id of the endpoint that must reach --power.")
@click.option("--criterion", type=click.Choice(["any", "all"]), default=None,
              help="Instead of --endpoint: the multiplicity family must reject at least one "
                   "(any) or every (all) hypothesis.")
@power_option(required=False)
@click.option("--assurance", "target_assurance",
              type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Instead of --power: target assurance over the scenario's [[priors]] "
                   "(--reps trials at each of --draws prior draws).")
@click.option("--draws", type=click.IntRange(min=2, max=10**6), default=2000, show_default=True,
              help="With --assurance: values drawn from the priors.")
@reps_option("per point of the power curve and for the answer (with --assurance: per prior "
             "draw, default 1000)", default=None)
@seed_option()
@click.option("--max-n", type=click.IntRange(min=4, max=MAX_N), default=100_000,
              show_default=True,
              help="Largest total n searched.")
@click.option("--follow-up", type=click.FloatRange(min=0, max=1e6), default=None,
              help="Time-to-event endpoint analysed at a number of events: months from the last "
                   "patient randomised to the expected last event; N is solved (default: N is "
                   "the [trial] accrual as written).")
@click.option("--keep-accrual", type=click.Choice(["rate", "duration"]), default="rate",
              show_default=True,
              help="With --follow-up: keep the accrual's rates (its duration is solved) or its "
                   "duration (its rates are scaled).")
@jobs_option()
@format_option("table", "json")
def samplesize(scenario, endpoint, criterion, target, target_assurance, draws, reps, seed, max_n,
               follow_up, keep_accrual, jobs, fmt):
    """Smallest total N whose simulated power (or --assurance) reaches its target.

    Under a scenario's group-sequential [design]: the smallest maximum N at which the design's
    overall power for the primary endpoint reaches --power, with the fixed design's N and the
    inflation factor.

    A time-to-event endpoint analysed at a number of events: the smallest number of events
    whose simulated power reaches --power (Schoenfeld's and Freedman's beside it), and N, the
    patients randomised to observe them (the accrual as written, or solved for --follow-up).
    """
    from simtrial import display
    from simtrial.scenario import load_scenario
    from simtrial.search import family_sample_size, sample_size

    if (target is None) == (target_assurance is None):
        raise click.UsageError("give exactly one of --power P and --assurance A")
    if target_assurance is not None:
        from simtrial.assurance import assurance_sample_size

        if criterion is not None:
            raise click.UsageError("--criterion is not used with --assurance (the family's "
                                   "assurance is reported beside the endpoint's)")
        if follow_up is not None:
            raise click.UsageError("--follow-up is not used with --assurance (it solves the "
                                   "patients of an event-driven power search)")
        sc = load_scenario(scenario)
        _echo_search(lambda: assurance_sample_size(
            sc, target_assurance, draws=draws, reps=reps or 1000, seed=seed, endpoint=endpoint,
            max_n=max_n, jobs=_cap_jobs(jobs)), fmt,
            lambda res: display.assurance_table(res.result, res.target_assurance))
        return
    reps = reps or DEFAULT_REPS
    if (endpoint is None) == (criterion is None):
        raise click.UsageError("give exactly one of --endpoint ID (one endpoint's test) and "
                               "--criterion any|all (the multiplicity family)")
    sc = load_scenario(scenario)
    if criterion is not None:
        _echo_search(lambda: family_sample_size(sc, criterion, target, reps=reps, seed=seed,
                                                max_n=max_n, jobs=_cap_jobs(jobs)), fmt,
                     display.family_sample_size_table)
        return
    if follow_up is not None:
        from simtrial.search_events import events_sample_size

        _echo_search(lambda: events_sample_size(sc, endpoint, target, follow_up=follow_up,
                                                keep=keep_accrual, reps=reps, seed=seed,
                                                jobs=_cap_jobs(jobs)), fmt,
                     display.sample_size_table)
        return
    _echo_search(lambda: sample_size(sc, endpoint, target, reps=reps, seed=seed, max_n=max_n,
                                     jobs=_cap_jobs(jobs)), fmt, display.sample_size_table)


@cli.command("assurance")
@scenario_option()
@click.option("--n", "n", type=click.IntRange(min=2, max=MAX_N), required=True,
              help="Patients randomised in total (split by the allocation).")
@click.option("--draws", type=click.IntRange(min=2, max=10**6), default=2000, show_default=True,
              help="Values drawn from the scenario's [[priors]].")
@reps_option("per prior draw (the same trials at every draw)", default=1000)
@seed_option()
@jobs_option()
@click.option("--endpoint", default=None,
              help="Id of the endpoint whose success counts (default: the primary).")
@format_option("table", "json")
def assurance_command(scenario, n, draws, reps, seed, jobs, endpoint, fmt):
    """Assurance: the probability of success averaged over the scenario's design priors."""
    from simtrial import display
    from simtrial.assurance import assurance
    from simtrial.scenario import load_scenario

    sc = load_scenario(scenario)
    if n < sc.trial.smallest_n():
        raise click.BadParameter(f"{n} leaves an arm fewer than 2 patients (allowed: "
                                 f"{sc.trial.smallest_n()} or more)", param_hint="'--n'")
    result = assurance(sc, n, draws=draws, reps=reps, seed=seed, endpoint=endpoint,
                       jobs=_cap_jobs(jobs))
    if fmt == "json":
        _echo_json(result.to_dict())
    else:
        click.echo(display.assurance_table(result))


@cli.command()
@scenario_option()
@click.option("--endpoint", required=True, help="Id of the endpoint.")
@click.option("--n", "n", type=click.IntRange(min=4, max=MAX_N), required=True,
              help="Patients randomised in total (split by the allocation).")
@power_option()
@reps_option("per effect evaluated")
@seed_option()
@jobs_option()
@format_option("table", "json")
def detectable(scenario, endpoint, n, target, reps, seed, jobs, fmt):
    """Smallest treatment effect detectable with --power at N patients."""
    from simtrial import display
    from simtrial.scenario import load_scenario
    from simtrial.search import detectable_effect

    sc = load_scenario(scenario)
    _echo_search(lambda: detectable_effect(sc, endpoint, n, target, reps=reps, seed=seed,
                                           jobs=_cap_jobs(jobs)), fmt, display.detectable_table)


@cli.command()
@scenario_option()
@power_option(" of the primary endpoint")
@click.option("--out", "-o", type=click.Path(file_okay=False), required=True,
              help="Directory for report.md, report.docx, results.json and the figures.")
@reps_option("for the sample size and the powers at n (the curve and the sensitivity "
             "analysis use a fifth)")
@seed_option()
@jobs_option()
@click.option("--force", is_flag=True, help="Replace a non-empty --out directory.")
@click.option("--format", "fmt", type=click.Choice(["auto", "md", "docx"]), default="auto",
              show_default=True,
              help="Output: auto writes report.md, and report.docx when python-docx is "
                   "installed; md: no report.docx; docx: report.docx required (an error "
                   "without python-docx).")
def report(scenario, target, out, reps, seed, jobs, force, fmt):
    """Grant-ready sample-size justification (Markdown, Word, figures, JSON) in --out."""
    from simtrial.reports import report as write_report

    docx = {"auto": None, "md": False, "docx": True}[fmt]

    unchanged = f"--out {out} is as it was"
    try:
        with _sigterm_raises():
            _echo_search(lambda: write_report(scenario, target, out, reps=reps, seed=seed,
                                              jobs=_cap_jobs(jobs), force=force, docx=docx),
                         "text", _report_line)
    except KeyboardInterrupt:
        raise _Stopped(f"interrupted (Ctrl-C); {unchanged}", 130) from None
    except _Terminated:
        raise _Stopped(f"terminated (SIGTERM); {unchanged}", 143) from None


def _report_line(rep) -> str:
    """What `simtrial report` prints: the files written, n, and a note on what was not."""
    for note in rep.notes:
        click.echo(f"note: {note}", err=True)
    return f"{rep.out}: {', '.join(rep.files)} (n = {rep.results['sample_size']['n_total']})"


class _Terminated(Exception):
    """SIGTERM, raised in the main thread so that cleanup (``finally``) runs."""


class _Stopped(click.ClickException):
    """A command stopped by a signal: one ``Error:`` line, exit status 128 + signal."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click's is a ClassVar; ours varies


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While writing files: SIGTERM raises _Terminated instead of ending the process at once."""
    import threading

    if threading.current_thread() is not threading.main_thread():  # only it can set handlers
        yield
        return

    def terminate(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command()
@click.argument("scenario", required=False)
@click.option("--looks", default="0.5,0.75,1", show_default=True,
              help="Information fractions, comma-separated, increasing, ending at 1.")
@click.option("--efficacy", default="ld-obf", show_default=True,
              help="Efficacy bounds: obf | pocock | ld-obf | ld-pocock | hsd:<gamma> | "
                   "kd:<rho> | none.")
@click.option("--futility", default="none", show_default=True,
              help="Futility bounds: none, a beta-spending rule as for --efficacy, "
                   "conditional power cp:<p> (planned effect) or cp-trend:<p> (current trend), "
                   "one p or one per interim look (cp:0.05:0.1), or z bounds at the interim "
                   "looks, comma-separated.")
@click.option("--alpha", type=click.FloatRange(0, 0.5, min_open=True), default=0.025,
              show_default=True, help="Significance level (one-sided, or in total two-sided).")
@click.option("--sided", type=click.Choice(["1", "2"]), default="1", show_default=True,
              help="One-sided, or symmetric two-sided bounds.")
@click.option("--beta", type=click.FloatRange(0, 0.5, min_open=True, max_open=True),
              default=0.2, show_default=True,
              help="Type II error: beta spending aims at power 1 - beta, and cp:<p> takes "
                   "conditional power at the drift with that power.")
@click.option("--binding/--non-binding", default=False, show_default=True,
              help="Whether the efficacy bounds take the futility bounds into account.")
@format_option("table", "json")
def design(scenario, looks, efficacy, futility, alpha, sided, beta, binding, fmt):
    """Boundaries of a group-sequential design: efficacy and futility z at each look.

    With SCENARIO (a built-in name or a TOML file), its [design] table (looks and rules, with
    [trial] alpha and sidedness); otherwise the design the flags describe.
    """
    from simtrial import display
    from simtrial.design import group_sequential_design

    if scenario is not None:
        from simtrial.scenario import load_scenario

        sc = load_scenario(scenario)
        if sc.design is None:
            raise click.BadParameter(f"{scenario} has no [design] table (allowed: a scenario "
                                     "with one, or the flags)", param_hint="'SCENARIO'")
        result = sc.design
    else:
        result = group_sequential_design(
            _numbers(looks, "--looks"), alpha=alpha, sided=int(sided), efficacy=efficacy,
            futility=None if futility == "none" else (
                futility if any(c.isalpha() for c in futility)
                else _numbers(futility, "--futility")),
            beta=beta, binding=binding)
    if fmt == "json":
        _echo_json(result.to_dict())
    else:
        click.echo(display.design_table(result))


def _numbers(text: str, flag: str) -> list[float]:
    """Comma-separated numbers of a flag, or a one-line error naming it."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of numbers",
                                 param_hint=f"'{flag}'") from None


@cli.command()
@click.argument("method")
@click.argument("inputs", nargs=-1, metavar="KEY=VALUE...")
@format_option("text", "json")
def derive(method, inputs, fmt):
    """A simulation parameter derived from published figures (simtrial.evidence).

    Example: simtrial derive sd_from_ci lower=0 upper=57 n1=65 n2=35
    """
    from simtrial import evidence

    result = evidence.derive(method, **dict(_key_value(text) for text in inputs))
    if fmt == "json":
        _echo_json(result.to_dict())
        return
    click.echo(f"{result.method} = {result.value:.6g}")
    click.echo(result.explanation)
    if result.interval is not None:
        click.echo(f"interval: {result.interval[0]:.6g} to {result.interval[1]:.6g}")
    if result.reference:
        click.echo(f"reference: {result.reference}")


def _key_value(text: str) -> tuple[str, int | float | str]:
    """``KEY=VALUE`` -> (key, int, float or the text as given)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.UsageError(f"derive input {text!r}: expected KEY=VALUE, e.g. n1=65")
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            continue
    return key, value


def _cap_jobs(jobs: int | None) -> int | None:
    """``--jobs`` capped at the cores available, with a note on stderr when it was above."""
    from simtrial.simulate import available_cores

    cores = available_cores()
    if jobs is not None and jobs > cores:
        click.echo(f"Note: --jobs {jobs} is more than the {cores} cores available; using "
                   f"{cores}", err=True)
        return cores
    return jobs


def _echo_search(search, fmt: str, as_table) -> None:
    """Run a search and print its result (a target it cannot reach: TargetNotReached, exit 1)."""
    result = search()
    if fmt == "json":
        _echo_json(result.to_dict())
    else:
        click.echo(as_table(result))


def _echo_json(data: dict) -> None:
    """Print a result's JSON, with the versions that fix its numbers (``versions``)."""
    from simtrial._version import versions

    click.echo(json.dumps({**data, "versions": versions()}, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one ``Error:`` line, exit status 2 for bad input, 1 for a failure.

    Only simtrial's own errors (:mod:`simtrial.errors`), click's usage errors and the
    operating system's (a file that cannot be read or written, no memory left) are caught:
    anything else is a bug, and its traceback shows.
    """
    try:
        code = cli.main(args=argv, prog_name="simtrial", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Error: aborted", err=True)
        code = 1
    except click.ClickException as exc:
        click.echo(f"Error: {terminal(exc.format_message())}", err=True)
        code = exc.exit_code
    except SimtrialError as exc:  # bad input (exit 2) or a failed computation (exit 1)
        click.echo(f"Error: {terminal(str(exc))}", err=True)
        code = exc.exit_status
    except MemoryError:  # a failed computation (DESIGN 1.4): too big for this machine
        click.echo("Error: out of memory: lower --reps (or raise --mcse) or the sample size",
                   err=True)
        code = 1
    except OSError as exc:  # a file that cannot be read or written, named by the OS
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"Error: {terminal(where)}{exc.strerror or exc}", err=True)
        code = 1
    sys.exit(code or 0)
